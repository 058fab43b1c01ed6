"""Shared test set-up."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """Every test runs torch on one thread.

    Seeded training tests assert margins measured on one thread; with more threads the
    GEMMs sum in another order, the last bits differ and a long run drifts apart. One
    thread gives the same numbers on a 2-core CI runner and a 16-core laptop, and keeps
    the tiny models from waiting on each other's threads.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
