"""Notebook plumbing: the FAST switch, the setup cell's work, and the versions table.

Every notebook starts with ``gen = setup()``: it seeds torch, picks the number of CPU
threads, sets a readable plot style and prints what the notebook runs on, the device
included; the models it builds go to ``DEVICE``. ``MINILM_FAST=1``
(set by the test suite) shrinks every training run with ``fast(full, small)`` so that all
notebooks run in CI in minutes.
"""

from __future__ import annotations

import os
import platform

import torch

from minilm.device import default_device
from minilm.lang import use_notebook_language
from minilm.settings import FAST

# Where the notebooks build their models (``model.to(DEVICE)``); ``train`` then moves each
# batch to the model's device. CUDA or Apple MPS when present, else the CPU; MINILM_DEVICE=cpu
# (or cuda, cuda:1, mps) picks one.
DEVICE = default_device()


def fast(full, small):
    """``small`` when ``MINILM_FAST=1`` (tests, CI), else ``full``."""
    return small if FAST else full


def versions() -> dict[str, str]:
    """Versions of what the course depends on, for bug reports and the setup check."""
    import ipywidgets
    import matplotlib

    import minilm

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "minilm": minilm.__version__,
        "matplotlib": matplotlib.__version__,
        "ipywidgets": ipywidgets.__version__,
        "device": str(DEVICE),
        "cpu threads": str(torch.get_num_threads()),
        "fast mode": str(FAST),
    }


def use_threads(threads: int | None = None) -> int:
    """Set torch's CPU threads: ``threads``, else ``$MINILM_THREADS``, else torch's default
    (one per core). Returns the number in use.

    Measured on 2 idle cores, the course's models train 1.2-1.6x faster on 2 threads than
    on 1, even the smallest (d = 32; ``benchmarks/README.md``). When other processes keep
    the cores busy - several notebooks training at once, a test run beside the course -
    threads wait on each other and a step can take many times longer; ``MINILM_THREADS=1``
    avoids that.
    """
    value = os.environ.get("MINILM_THREADS", "").strip()
    if threads is None and value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"MINILM_THREADS must be a positive integer, got {value!r}")
        threads = int(value)
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def setup(seed: int = 0, *, threads: int | None = None, quiet: bool = False) -> torch.Generator:
    """Seed everything, choose CPU threads (``use_threads``), style the plots, print versions;
    returns a seeded ``torch.Generator``.

    A notebook run from ``notebooks/zh/`` also gets ``MINILM_LANG=zh`` (unless it is set):
    the Chinese notebooks share this setup cell, and the grader's table and the widgets'
    labels then speak Chinese (``minilm.lang``).

    Pass the generator to every noising function and sampler in the notebook, so re-running
    a cell gives the same picture and the notebook reads the same for everybody.
    """
    import matplotlib.pyplot as plt

    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    use_notebook_language()
    use_threads(threads)
    torch.manual_seed(seed)  # model initialisation draws from the global generator
    plt.rcParams.update({"figure.dpi": 110, "axes.spines.top": False,
                         "axes.spines.right": False, "font.size": 10})
    if not quiet:
        print("  ".join(f"{k}: {v}" for k, v in versions().items()))
    return torch.Generator().manual_seed(seed)


# The first code cell of every notebook, character for character (tests/test_notebooks.py
# compares each notebook's first code cell with it). It runs unchanged in JupyterLab,
# VS Code and Colab; in Colab it first fetches and installs the course.
SETUP_CELL = """# Setup: the same cell works in JupyterLab, VS Code and Google Colab.
import sys

if "google.colab" in sys.modules:  # Colab starts empty: fetch the course, install it, enable widgets
    import os
    import subprocess

    if not os.path.isdir("/content/minilm"):
        if not os.environ.get("MINILM_REPO"):
            raise SystemExit("Colab needs the course's files: run os.environ['MINILM_REPO'] = "
                             "'<its git URL>' in a cell above, or upload the course to /content/minilm, "
                             "then run this cell again.")
        REPO = os.environ["MINILM_REPO"]
        subprocess.run(["git", "clone", "--depth", "1", REPO, "/content/minilm"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/minilm"], check=True)
    os.chdir("/content/minilm/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()

from minilm.course import DEVICE, FAST, fast, setup

gen = setup(seed=0)"""
