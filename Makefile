# The two commands of the course (see README):
#   make course   set up everything once, then open JupyterLab on notebooks/
#   make test     run every test: package, graded exercises (solutions), notebooks, browser
#
# Setup makes a virtual environment in .venv with a CPU build of PyTorch and minilm.
# Override the interpreter or the PyTorch requirement if you need to, e.g.
#   make course PYTHON=python3.12 TORCH="torch>=2.3"

PYTHON ?= python3
TORCH  ?= torch==2.13.0
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.minilm-installed

.PHONY: course setup test test-fast lint grade clean

# Jupyter refuses to run as root unless told; containers and Colab-like machines run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

# JupyterLab opens on notebooks/00_welcome.ipynb; the server's root is the repository, so
# exercises/ (which you edit) is one click away in the file browser.
# START picks the first notebook, e.g. make course START=notebooks/zh/00_welcome.ipynb (Chinese).
START ?= notebooks/00_welcome.ipynb
course: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=. \
	    --LabApp.default_url=/lab/tree/$(START) $(ROOT_FLAG) $(LAB_ARGS)

setup: $(STAMP)

# PyTorch first, pinned: left to a resolver, "torch" can pull several GB of CUDA packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# One pytest run over tests/ and the notebooks (nbval, fast mode), so one summary line
# counts everything; pytest exits 5 when nothing ran, and make then fails. pytest walks
# into notebooks/zh/, so the Chinese notebooks run too (an empty folder adds nothing).
# -n: one worker per CPU core (at most 4); --dist loadfile keeps each file, so each
# notebook and its kernel, on one worker. MINILM_THREADS=1: one torch thread per kernel,
# or the workers' kernels would fight over the same cores.
test: setup
	MINILM_FAST=1 MINILM_THREADS=1 $(BIN)/python -m pytest -n auto --maxprocesses=4 --dist loadfile --nbval-lax tests notebooks

# Package and exercise tests only, no notebooks, no browser: the quick loop while editing.
test-fast: setup
	$(BIN)/python -m pytest tests -m "not browser and not slow" -q

lint: setup
	$(BIN)/ruff check .

grade: setup
	$(BIN)/python -m minilm grade

clean:
	rm -rf $(VENV) .pytest_cache artifacts
