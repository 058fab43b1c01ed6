"""minilm.course: the thread policy every notebook's setup() applies."""

import pytest
import torch

from minilm.course import use_threads


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_use_threads_sets_the_number_asked_for(restore_threads, monkeypatch):
    monkeypatch.setenv("MINILM_THREADS", "2")
    assert use_threads(1) == 1 == torch.get_num_threads()  # the argument wins over the variable


def test_use_threads_reads_minilm_threads(restore_threads, monkeypatch):
    torch.set_num_threads(2)
    monkeypatch.setenv("MINILM_THREADS", "1")
    assert use_threads() == 1 == torch.get_num_threads()


def test_use_threads_keeps_torchs_choice_without_an_override(restore_threads, monkeypatch):
    monkeypatch.delenv("MINILM_THREADS", raising=False)
    torch.set_num_threads(1)
    assert use_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_use_threads_rejects_bad_counts(bad, restore_threads):
    with pytest.raises(ValueError, match="threads"):
        use_threads(bad)


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_use_threads_rejects_a_bad_environment_variable(bad, restore_threads, monkeypatch):
    monkeypatch.setenv("MINILM_THREADS", bad)
    with pytest.raises(ValueError, match="MINILM_THREADS"):
        use_threads()
