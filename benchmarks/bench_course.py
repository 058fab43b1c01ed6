"""Course wall time: every notebook in FAST mode (and optionally full mode), and the test suite.

Each notebook runs top to bottom in a fresh ``python3`` kernel through ``nbclient``, from
the ``notebooks/`` folder, the way nbval and a learner's "Run All" run it. FAST mode
(``MINILM_FAST=1``) is what CI runs: the whole suite should take at most 5 minutes on two
cores. Full mode is what a learner runs; each notebook should finish in a few minutes.
Full mode and the test suite take long, so they run only when asked
(``run.py --full-notebooks``, ``run.py --tests``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Table, set_threads

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute_notebook(path: Path, *, fast: bool, timeout: int = 900) -> tuple[float, str]:
    """Run one notebook in a fresh kernel; returns (seconds, "ok" or the error's first line)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    saved = os.environ.get("MINILM_FAST")
    os.environ["MINILM_FAST"] = "1" if fast else "0"  # the kernel inherits this environment
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        status = "ok"
    except Exception as error:  # a failing notebook is a result to report, not a crash
        status = f"error: {type(error).__name__}: {str(error).strip().splitlines()[-1][:80]}"
    finally:
        if saved is None:
            os.environ.pop("MINILM_FAST", None)
        else:
            os.environ["MINILM_FAST"] = saved
    return time.perf_counter() - start, status


def time_test_suite(args: tuple[str, ...] = ("tests",)) -> tuple[float, str]:
    """Wall time of ``pytest -q`` over ``args`` (FAST mode), and pytest's summary line."""
    env = {**os.environ, "MINILM_FAST": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return time.perf_counter() - start, (lines[-1].strip("= ") if lines else f"exit {done.returncode}")


def _smoke_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from minilm.course import FAST\nprint(FAST)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "00_smoke.ipynb"
    nbformat.write(nb, path)
    return path


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None, full: bool = False, tests: bool = False,
        notebooks: list[Path] | None = None) -> Table:
    threads = set_threads(threads)
    table = Table("course", "Course wall time", ["notebook", "FAST mode s", "full mode s", "status"])
    with tempfile.TemporaryDirectory() as tmp:
        if tiny:
            notebooks = [_smoke_notebook(Path(tmp))]
        elif notebooks is None:
            notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        data, totals = [], {"fast": 0.0, "full": 0.0}
        for path in notebooks:
            fast_s, status = execute_notebook(path, fast=True)
            full_s = None
            if full:
                full_s, full_status = execute_notebook(path, fast=False)
                if status == "ok":
                    status = full_status
            totals["fast"] += fast_s
            totals["full"] += full_s or 0.0
            table.add(path.stem, fast_s, full_s, status)
            data.append({"notebook": path.name, "fast_seconds": fast_s, "full_seconds": full_s,
                         "status": status})
    if notebooks:
        table.add("**all notebooks**", totals["fast"], totals["full"] if full else None, "")
    else:
        table.notes.append("No notebooks found in notebooks/ yet.")
    suite = None
    if tests:
        seconds, summary = time_test_suite()
        suite = {"seconds": seconds, "summary": summary}
        table.add("**test suite: pytest -q tests (FAST)**", seconds, None, summary)
    table.notes += [
        "Each notebook runs in a fresh kernel (start-up included), from notebooks/, with nbclient.",
        f"{threads} cores available to the kernel; FAST = MINILM_FAST=1, full = MINILM_FAST=0."
        + ("" if full else " Full mode not measured (run.py --full-notebooks)."),
    ]
    if not tests:
        table.notes.append("Test suite not timed (run.py --tests).")
    table.data = {"notebooks": data, "totals": totals, "test_suite": suite}
    return table


if __name__ == "__main__":
    print(run(full="--full" in sys.argv, tests="--tests" in sys.argv).markdown())
