"""Training throughput: minilm's models against Hugging Face's GPT-2 at the same configuration.

Every candidate trains through the same loop, ``minilm.train.train`` (AdamW from
``make_optimizer``, gradient clipping at 1.0, a loss.item() per step), on the same
batch, in the same process, with the same number of threads, interleaved A, B, A, B ...
The table reports the median tokens/s over the repeats and its ratio to the baseline.

The baseline is ``transformers.GPT2LMHeadModel`` built from a ``GPT2Config`` (no download)
with exactly minilm GPT's shape: pre-LN, learned positions, tied embeddings, dropout 0,
exact (erf) GELU. GPT-2 itself used the tanh approximation ("gelu_new"); both models here
use the exact one so that they do the same arithmetic.

FLOPs come from ``torch.utils.flop_counter`` on one forward + backward with attention on
its explicit path (the counter cannot see inside the fused SDPA kernel). For a GPT that
count equals PaLM's 6 N + 12 L d T per token (``bench_matmul.ModelShape``); a test checks
it. MFU = achieved FLOP/s / the matmul ceiling: every GEMM of one step at its own shape
(``bench_matmul.step_gemms``), timed as one more candidate in the same interleaved rounds.
A shared or throttled CPU changes speed from minute to minute; ratios taken within one
round (model vs baseline, model vs GEMMs) cancel most of that, so the table reports the
median of the per-round ratios.

To add a model: write a ``build(shape, generator) -> (model, batch)`` function and add one
``Candidate`` to ``CANDIDATES``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.bench_matmul import TINY, ModelShape, step_gemms
from benchmarks.common import Table, measure, median, median_ratio, set_threads, spread, threads_label
from minilm.nn import Attention
from minilm.train import make_optimizer, train


# ----------------------------------------------------------------------- candidates
def _ids(shape: ModelShape, generator, length: int | None = None) -> torch.Tensor:
    return torch.randint(8, shape.vocab, (shape.batch, length or shape.context), generator=generator)


def _config(cls, shape: ModelShape, **overrides):
    return cls(vocab_size=shape.vocab, max_len=shape.context, d_model=shape.d_model,
               n_layers=shape.n_layers, n_heads=shape.n_heads, d_ff=shape.ff, dropout=0.0, **overrides)


def build_gpt(shape: ModelShape, generator, **overrides):
    from minilm.models import GPT, GPTConfig
    from minilm.objectives.clm import clm_labels

    ids = _ids(shape, generator)
    return GPT(_config(GPTConfig, shape, **overrides)), {"input_ids": ids, "labels": clm_labels(ids)}


def build_gpt_explicit(shape: ModelShape, generator):
    return build_gpt(shape, generator, use_sdpa=False)


def build_gpt_compiled(shape: ModelShape, generator):
    """minilm GPT under ``torch.compile`` (Inductor: fused C++ kernels for the elementwise work)."""
    import torch._inductor.config as inductor_config

    # Inductor compiles in a pool of worker processes by default; on 2 cores they compete
    # with the candidates being timed. One in-process compile thread keeps the timing clean.
    inductor_config.compile_threads = 1
    model, batch = build_gpt(shape, generator)
    return torch.compile(model), batch


def build_hf_gpt2(shape: ModelShape, generator):
    """transformers' GPT-2 with minilm GPT's exact shape; raises ImportError without it."""
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging

    logging.set_verbosity_error()  # it warns that GPT-2's default bos/eos ids exceed our vocab
    config = GPT2Config(vocab_size=shape.vocab, n_positions=shape.context, n_embd=shape.d_model,
                        n_layer=shape.n_layers, n_head=shape.n_heads, n_inner=shape.ff,
                        activation_function="gelu", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        tie_word_embeddings=True, bos_token_id=0, eos_token_id=0)
    ids = _ids(shape, generator)
    # transformers shifts the labels inside the model; minilm's objectives pass them aligned.
    return GPT2LMHeadModel(config), {"input_ids": ids, "labels": ids}


def build_encoder(shape: ModelShape, generator):
    from minilm.models import EncoderConfig, EncoderLM
    from minilm.objectives.mlm import mask_tokens

    inputs, labels = mask_tokens(_ids(shape, generator), mask_id=4, vocab_size=shape.vocab,
                                 generator=generator)
    return EncoderLM(_config(EncoderConfig, shape)), {"input_ids": inputs, "labels": labels}


def build_glm(shape: ModelShape, generator):
    from minilm.models import GLM, GLMConfig
    from minilm.objectives.blank_infilling import blank_infilling, glm_collate

    # Part B adds two tokens per span: start from a shorter text so the batch is ~context long.
    n = int(shape.context * 0.85)
    samples = [blank_infilling(row, mask_id=4, start_id=5, end_id=6, generator=generator)
               for row in _ids(shape, generator, n)]
    batch = glm_collate(samples, pad_id=0)
    config = _config(GLMConfig, shape)
    config.max_len = batch["input_ids"].shape[1]
    return GLM(config), batch


def build_seq2seq(shape: ModelShape, generator):
    from minilm.models import Seq2Seq, Seq2SeqConfig, shift_right

    labels = _ids(shape, generator)
    batch = {"input_ids": _ids(shape, generator), "labels": labels,
             "decoder_input_ids": shift_right(labels, start_id=5, pad_id=0)}
    return Seq2Seq(_config(Seq2SeqConfig, shape)), batch


@dataclass(frozen=True)
class Candidate:
    label: str
    build: Callable  # (ModelShape, torch.Generator) -> (model, batch dict)
    note: str = ""


BASELINE = "hf-gpt2"
CANDIDATES: dict[str, Candidate] = {
    "hf-gpt2": Candidate("transformers GPT2LMHeadModel (SDPA)", build_hf_gpt2),
    "gpt": Candidate("minilm GPT", build_gpt),
    "gpt-explicit": Candidate("minilm GPT, use_sdpa=False", build_gpt_explicit, "explicit attention"),
    "gpt-compile": Candidate("minilm GPT, torch.compile", build_gpt_compiled, "run.py --compile"),
    "bert": Candidate("minilm EncoderLM (BERT, MLM)", build_encoder, "bidirectional"),
    "glm": Candidate("minilm GLM (blank infilling)", build_glm, "Part A/B bool mask"),
    "bart": Candidate("minilm Seq2Seq (BART/T5)", build_seq2seq, "encoder + decoder: 2x the layers"),
}
QUICK = ("hf-gpt2", "gpt", "gpt-explicit")  # --quick: the headline comparison only
# Compiling takes a minute and, measured on 2 CPU cores, stays within the noise of eager mode
# (the GEMMs it cannot speed up are most of a step), so it runs only when asked.
DEFAULT = tuple(name for name in CANDIDATES if name != "gpt-compile")


# -------------------------------------------------------------------------- measure
@contextlib.contextmanager
def explicit_attention_everywhere(model):
    """Route every minilm Attention through the explicit path (so FLOPs can be counted)."""
    layers = [m for m in model.modules() if isinstance(m, Attention)]
    saved = [m.use_sdpa for m in layers]
    for m in layers:
        m.use_sdpa = False
    try:
        yield
    finally:
        for m, flag in zip(layers, saved, strict=True):
            m.use_sdpa = flag


def count_flops(model, batch) -> float:
    """FLOPs of one forward + backward (matmuls; attention counted on the explicit path)."""
    model = getattr(model, "_orig_mod", model)
    with explicit_attention_everywhere(model), FlopCounterMode(display=False) as counter:
        model(**batch).loss.backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def tokens_in(batch: dict) -> int:
    return sum(batch[k].numel() for k in ("input_ids", "decoder_input_ids") if k in batch)


GEMMS = "gemms"  # the interleaved pseudo-candidate that measures the matmul ceiling


def measure_training(names, shape: ModelShape, *, repeats: int, steps: int = 2,
                     warmup: int = 1) -> tuple[dict, dict]:
    """Seconds per training step of each candidate, interleaved with one step's GEMMs alone.

    Returns ``(info, skipped)``; ``info[GEMMS]`` holds the GEMM-only times and FLOPs.
    """
    gen = torch.Generator().manual_seed(0)
    runs, skipped, info = {}, {}, {}
    for name in names:
        torch.manual_seed(0)
        try:
            model, batch = CANDIDATES[name].build(shape, gen)
        except ImportError as error:  # a model that has not landed, or transformers missing
            skipped[name] = f"skipped: {error}"
            continue
        flops = count_flops(model, batch) if name != BASELINE else None
        optimizer = make_optimizer(model, lr=1e-4)
        runs[name] = (lambda m=model, b=batch, o=optimizer:
                      train(m, b, steps=steps, optimizer=o, schedule="constant", progress=False))
        info[name] = {"tokens": tokens_in(batch), "flops": flops}
    gemms, gemm_flops = step_gemms(shape, gen)
    runs[GEMMS] = lambda: [gemms() for _ in range(steps)]
    info[GEMMS] = {"flops": gemm_flops}
    times = measure(runs, repeats=repeats, warmup=warmup)
    for name, t in times.items():
        info[name]["step_seconds"] = [x / steps for x in t]
    if BASELINE in info and "gpt" in info:
        info[BASELINE]["flops"] = info["gpt"]["flops"]  # the same architecture, the same work
    return info, skipped


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None, only: tuple[str, ...] | None = None,
        compile: bool = False) -> Table:
    threads = set_threads(threads)
    shape = TINY if tiny else ModelShape()
    names = only or (QUICK if quick else DEFAULT) + (("gpt-compile",) if compile else ())
    info, skipped = measure_training(names, shape, repeats=1 if tiny else 4 if quick else 7,
                                     steps=1 if tiny else 2)
    gemm_seconds = info[GEMMS]["step_seconds"]
    ceiling_gflops = info[GEMMS]["flops"] / median(gemm_seconds) / 1e9

    table = Table("training", "Training throughput (forward + backward + AdamW step)",
                  ["model", "tokens/s", f"x {CANDIDATES[BASELINE].label.split()[0]}", "ms/step",
                   "GFLOP/s", "MFU", "noise"])
    base = info.get(BASELINE)
    for name in names:
        if name in skipped:
            table.notes.append(f"{CANDIDATES[name].label}: {skipped[name]}")
            continue
        row = info[name]
        seconds = median(row["step_seconds"])
        tps = row["tokens"] / seconds
        gflops = row["flops"] / seconds / 1e9 if row["flops"] else None
        # per round: (model FLOPs / step time) / (GEMM FLOPs / GEMM time), and tokens/s / baseline's
        mfu = None if not row["flops"] else median_ratio(
            [row["flops"] * g for g in gemm_seconds], [info[GEMMS]["flops"] * t for t in row["step_seconds"]])
        speedup = None if not base else median_ratio([row["tokens"] * b for b in base["step_seconds"]],
                                                     [base["tokens"] * t for t in row["step_seconds"]])
        label = CANDIDATES[name].label + (f" ({CANDIDATES[name].note})" if CANDIDATES[name].note else "")
        table.add(label, tps, f"{speedup:.2f}x" if speedup else "–", 1e3 * seconds, gflops,
                  f"{100 * mfu:.0f} %" if mfu else "–", f"±{50 * spread(row['step_seconds']):.0f} %")
        row.update(tokens_per_second=tps, gflops=gflops, mfu=mfu, speedup=speedup)
    table.add("*one step's GEMMs alone (the ceiling)*", "", "", 1e3 * median(gemm_seconds), ceiling_gflops,
              "100 %", f"±{50 * spread(gemm_seconds):.0f} %")
    table.notes += [
        f"{threads_label(threads)}, fp32, batch {shape.batch} x context {shape.context}, d={shape.d_model}, "
        f"{shape.n_layers} layers, {shape.n_heads} heads, vocab {shape.vocab}, dropout 0, exact GELU, "
        "tied embeddings; one shared training loop (minilm.train.train).",
        "MFU = model FLOPs per second / the matmul ceiling, the speed of one step's GEMMs run alone "
        "(last row, timed in the same rounds); model FLOPs = 6 N + 12 L d T per token, counted by "
        "torch.utils.flop_counter.",
        "x and MFU are medians of per-round ratios, so x can differ a little from the ratio of the "
        "tokens/s column; noise = half the (max - min) / median spread of the repeats; the candidates "
        "ran interleaved. tokens/s counts every input token: encoder and decoder tokens for Seq2Seq.",
    ]
    table.data = {"shape": shape.__dict__, "threads": threads, "ceiling_gflops": ceiling_gflops,
                  "models": info, "skipped": skipped}
    return table


if __name__ == "__main__":
    print(run().markdown())
