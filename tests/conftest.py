"""Shared test set-up: the number of torch threads, and a seed shift for measuring margins."""

import os

import pytest
import torch


def _int_env(name: str, default: int, minimum: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise pytest.UsageError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@pytest.fixture(autouse=True, scope="session")
def test_threads():
    """Every test runs torch on ``$MINILM_TEST_THREADS`` threads (default 1).

    One thread keeps the tiny models from waiting on each other's threads on a shared
    machine. The seeded margins are not tied to it: each sits well away from the spread
    measured over several seeds (the comment next to it), and ``MINILM_TEST_THREADS=2``
    runs the suite with 2 threads, where GEMMs may sum in another order.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(_int_env("MINILM_TEST_THREADS", 1, minimum=1))
    yield
    torch.set_num_threads(threads)


class _AnyGenerator(type(torch._C.Generator)):
    def __instancecheck__(cls, obj):  # generators made before the shift still pass checks
        return isinstance(obj, torch._C.Generator)


class _ShiftedGenerator(torch._C.Generator, metaclass=_AnyGenerator):
    """A torch.Generator whose ``manual_seed(s)`` seeds ``s + $MINILM_TEST_SEED_SHIFT``."""

    def manual_seed(self, seed):
        return super().manual_seed(seed + _int_env("MINILM_TEST_SEED_SHIFT", 0, minimum=0))


@pytest.fixture(autouse=True)
def shifted_seeds(monkeypatch):
    """``MINILM_TEST_SEED_SHIFT=k`` adds k to every seed a test passes to torch.

    A tool for measuring a seeded margin, not for normal runs: running the training tests
    with k = 1, 2, ... shows whether a margin holds for other initialisations and batch
    orders than the one the test happens to use (docs/CONTRIBUTING.md, "Seeded margins").
    """
    shift = _int_env("MINILM_TEST_SEED_SHIFT", 0, minimum=0)
    if shift:
        manual_seed = torch.manual_seed
        monkeypatch.setattr(torch, "manual_seed", lambda seed: manual_seed(seed + shift))
        monkeypatch.setattr(torch, "Generator", _ShiftedGenerator)
    yield
