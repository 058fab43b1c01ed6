"""Run the benchmarks and print one Markdown table each (optionally write them as JSON).

    python benchmarks/run.py                      # every table, a few minutes
    python benchmarks/run.py --quick              # fewer repeats, headline rows only
    python benchmarks/run.py --only attention     # one table (repeat --only for more)
    python benchmarks/run.py --json benchmarks/results/latest.json --markdown benchmarks/results/latest.md
    python benchmarks/run.py --only course --full-notebooks --tests   # the slow course timings
    python benchmarks/run.py --quick --readme README.md                # refresh README's tables

Run it on an otherwise idle machine: the load average is printed with the results, and
numbers taken while other processes compete for the cores are only good for ratios.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

from benchmarks.common import environment, load_average, set_threads  # noqa: E402

# name -> module; they run in this order (training reads the matmul ceiling, data the step time;
# profile explains the training table).
BENCHMARKS = {
    "matmul": "benchmarks.bench_matmul",
    "training": "benchmarks.bench_training",
    "profile": "benchmarks.bench_profile",
    "attention": "benchmarks.bench_attention",
    "data": "benchmarks.bench_data",
    "course": "benchmarks.bench_course",
}


README_START, README_END = "<!-- performance:start -->", "<!-- performance:end -->"


def update_readme(path: Path, tables: list[str], source: str) -> None:
    """Put these tables between the README's performance markers.

    A table already there with the same heading is replaced in place, new ones are added
    at the end, and the others stay: ``--only course --full-notebooks --readme README.md``
    refreshes the slow course table without re-measuring the rest. ``source`` (command,
    machine) goes under every table written now.
    """
    text = path.read_text()
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise SystemExit(f"--readme: {path} needs one {README_START} line and one {README_END} line")
    before, rest = text.split(README_START)
    section, after = rest.split(README_END)
    blocks = re.split(r"(?m)^(?=### )", section.strip("\n"))
    old = {block.splitlines()[0]: block for block in blocks if block.startswith("### ")}
    for table in tables:
        old[table.splitlines()[0]] = f"{table.rstrip()}\n- {source}\n"
    body = "\n".join([README_INTRO, "", *(block.rstrip() + "\n" for block in old.values())])
    path.write_text(f"{before}{README_START}\n{body.rstrip()}\n{README_END}{after}")


README_INTRO = ("How to run and read these tables: `benchmarks/README.md`. The last line under each "
                "table says how and on what it was measured.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and rows")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", type=Path, help="write every table and its raw numbers here")
    parser.add_argument("--markdown", type=Path, help="also write the printed tables to this file")
    parser.add_argument("--threads", type=int, help="torch threads (default: all available cores)")
    parser.add_argument("--full-notebooks", action="store_true",
                        help="course table: also run every notebook in full mode (slow)")
    parser.add_argument("--tests", action="store_true", help="course table: also time the test suite")
    parser.add_argument("--compile", action="store_true",
                        help="training table: also time minilm GPT under torch.compile (compiles first)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one repeat: checks the scripts run")
    parser.add_argument("--readme", type=Path,
                        help="write the tables between the performance markers of this README")
    args = parser.parse_args(argv)

    threads = set_threads(args.threads)
    env = environment()
    header = (f"Measured on {env['cpu']} ({env['cores']} cores), {threads} threads, torch {env['torch']}, "
              f"Python {env['python']}; load average {env['load_average_1min']} at the start.")
    print(header + "\n", flush=True)
    results, outputs = {}, [header, ""]
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(BENCHMARKS[name])
        kwargs = {"quick": args.quick, "tiny": args.tiny, "threads": threads, "previous": results}
        if name == "course":
            kwargs.update(full=args.full_notebooks, tests=args.tests)
        if name == "training":
            kwargs.update(compile=args.compile)
        start = time.perf_counter()
        table = module.run(**kwargs)
        seconds = time.perf_counter() - start
        table.notes.append(f"Took {seconds:.0f} s; load average {load_average()} at the end.")
        results[name] = table
        text = table.markdown()
        print(text, flush=True)
        outputs.append(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"environment": env, "quick": args.quick,
                   "tables": {name: table.as_dict() for name, table in results.items()}}
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    if args.readme:
        argv = sys.argv[1:] if argv is None else argv
        shown = [a for i, a in enumerate(argv) if a != "--readme" and (i == 0 or argv[i - 1] != "--readme")]
        command = " ".join(["python benchmarks/run.py", *shown])
        update_readme(args.readme, outputs[2:], f"`{command}`. {header}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
