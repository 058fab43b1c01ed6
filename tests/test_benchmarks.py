"""The benchmark scripts keep running: each one, at tiny sizes, returns a well-formed table.

No timing is asserted here (timings belong in benchmarks/, not in pass/fail tests); what is
checked is that the scripts run, that the FLOP count they divide by is the documented
formula, and that the timing helper really interleaves its candidates.
"""

import json

import pytest
import torch

from benchmarks import (
    bench_attention,
    bench_course,
    bench_data,
    bench_matmul,
    bench_profile,
    bench_training,
    run,
)
from benchmarks.common import Table, measure, median_ratio

MODULES = [bench_matmul, bench_training, bench_profile, bench_attention, bench_data]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.split(".")[-1])
def test_benchmark_runs_at_tiny_size(module):
    table = module.run(tiny=True, threads=1)
    assert isinstance(table, Table) and table.rows
    assert all(len(row) == len(table.columns) for row in table.rows)
    text = table.markdown()
    assert text.startswith(f"### {table.title}") and "|---|" in text
    json.dumps(table.as_dict(), default=str)  # what run.py --json writes


def test_course_benchmark_executes_a_notebook():
    table = bench_course.run(tiny=True, threads=1)
    assert table.rows[0][0] == "00_smoke" and table.rows[0][-1] == "ok"
    assert table.rows[0][1] > 0


def test_training_flop_count_is_6N_plus_attention():
    # PaLM's 6 N + 12 L d T per token, for a GPT whose sizes we choose here.
    shape = bench_matmul.ModelShape(batch=2, context=8, d_model=16, n_layers=2, n_heads=2, vocab=40)
    model, batch = bench_training.build_gpt(shape, torch.Generator().manual_seed(0))
    d, L, T, V = 16, 2, 8, 40
    N = L * (3 * d * d + d * d + 2 * 4 * d * d) + V * d
    assert shape.matmul_params() == N
    expected = (6 * N + 12 * L * d * T) * shape.tokens
    assert bench_training.count_flops(model, batch) == expected == shape.flops_per_token() * shape.tokens
    # the ceiling's GEMM set does exactly the model's matmul work, so MFU = GEMM time / step time
    _run, gemm_flops = bench_matmul.step_gemms(shape, torch.Generator().manual_seed(0))
    assert gemm_flops == expected


def test_median_ratio_pairs_the_rounds():
    # the machine's speed changes between rounds; per-round ratios are 2, 2, 3 -> median 2,
    # while the ratio of the medians (6 / 2 = 3) compares times from different rounds
    assert median_ratio([2.0, 8.0, 6.0], [1.0, 4.0, 2.0]) == 2.0
    with pytest.raises(ValueError):
        median_ratio([1.0], [1.0, 2.0])


def test_hf_gpt2_has_the_same_parameters_as_minilm_gpt():
    pytest.importorskip("transformers")
    from minilm.models import count_parameters

    shape = bench_matmul.TINY
    ours, _ = bench_training.build_gpt(shape, torch.Generator().manual_seed(0))
    theirs, _ = bench_training.build_hf_gpt2(shape, torch.Generator().manual_seed(0))
    assert count_parameters(ours) == count_parameters(theirs)


def test_measure_interleaves_and_rotates_the_order():
    calls = []
    times = measure({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                    repeats=3, warmup=0)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert set(times) == {"a", "b"} and all(len(t) == 3 for t in times.values())


def test_missing_objective_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setitem(bench_data.CASES, "missing", bench_data.DataCase(
        "nothing yet", "minilm.objectives.not_written_yet", bench_data.prepare_clm))
    table = bench_data.run(tiny=True, threads=1)
    assert any(note.startswith("nothing yet: skipped") for note in table.notes)
    assert all(row[0] != "nothing yet" for row in table.rows)


def test_run_py_writes_json_and_markdown(tmp_path):
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    assert run.main(["--tiny", "--only", "attention", "--threads", "1", "--json", str(out),
                     "--markdown", str(md)]) == 0
    payload = json.loads(out.read_text())
    assert list(payload["tables"]) == ["attention"]
    assert "explicit / SDPA" in md.read_text()


def test_run_py_rewrites_only_the_readme_performance_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n<!-- performance:start -->\nold intro\n\n### Kept table\n\n| a |\n"
                      "<!-- performance:end -->\nafter\n")
    assert run.main(["--tiny", "--only", "attention", "--threads", "1", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith(f"# Title\n<!-- performance:start -->\n{run.README_INTRO}\n")
    assert text.endswith("<!-- performance:end -->\nafter\n")
    assert "old intro" not in text and "### Kept table\n\n| a |" in text  # a table not re-run stays
    assert text.index("### Kept table") < text.index("explicit / SDPA")  # the new one comes after
    assert "- `python benchmarks/run.py --tiny --only attention --threads 1`. Measured on" in text
    assert str(readme) not in text

    # running the same table again replaces it instead of adding a second copy
    assert run.main(["--tiny", "--only", "attention", "--threads", "1", "--readme", str(readme)]) == 0
    assert readme.read_text().count("explicit / SDPA") == 1

    (tmp_path / "NO_MARKERS.md").write_text("# nothing to replace\n")
    with pytest.raises(SystemExit, match="performance:start"):
        run.main(["--tiny", "--only", "attention", "--readme", str(tmp_path / "NO_MARKERS.md")])


def test_profile_skips_a_missing_baseline_with_a_note(monkeypatch):
    def missing(shape, generator):
        raise ImportError("No module named 'transformers'")

    monkeypatch.setitem(bench_training.CANDIDATES, bench_training.BASELINE,
                        bench_training.Candidate("transformers GPT2LMHeadModel (SDPA)", missing))
    table = bench_profile.run(tiny=True, threads=1)
    assert table.columns == ["kind of work", "minilm GPT ms", "minilm GPT %"]
    assert any("skipped" in note and "transformers" in note for note in table.notes)
    assert table.rows[-1][-1] == "100 %"


def test_profile_groups_operators_by_kind():
    assert bench_profile.group_of("aten::addmm") == "GEMMs (linear layers, LM head)"
    assert bench_profile.group_of("aten::add_") == "copies, residual adds, bias gradients"
    assert bench_profile.group_of("aten::_log_softmax_backward_data") == "cross-entropy"
    assert bench_profile.group_of("aten::_softmax_backward_data") == "attention softmax (explicit path)"
    assert bench_profile.group_of("aten::_fused_adamw_") == "AdamW + gradient clipping"
    assert bench_profile.group_of("aten::something_new") == bench_profile.OTHER
