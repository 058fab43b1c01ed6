"""minilm.course: the thread policy and the device every notebook's setup cell applies, and
that cell's Colab branch."""

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


# ---------------------------------------------------------------- the device
def test_default_device_follows_minilm_device(monkeypatch):
    from minilm.device import default_device

    monkeypatch.setenv("MINILM_DEVICE", "cpu")
    assert default_device() == torch.device("cpu")
    monkeypatch.setenv("MINILM_DEVICE", "gpu0")
    with pytest.raises(ValueError, match="MINILM_DEVICE"):
        default_device()


def test_setup_reports_the_device_the_notebooks_use(capsys, restore_threads):
    from minilm.course import DEVICE, setup

    setup(seed=0)
    assert f"device: {DEVICE}" in capsys.readouterr().out


# --------------------------------------------------- the setup cell in Google Colab
class FakeColab:
    """Runs SETUP_CELL as Colab would, with git, pip and chdir recorded instead of run."""

    def __init__(self, monkeypatch, course_folder_exists: bool):
        import os
        import subprocess
        import sys
        import types

        self.commands = []
        colab = types.ModuleType("google.colab")
        colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: None)
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
        monkeypatch.setitem(sys.modules, "google.colab", colab)
        monkeypatch.setattr(subprocess, "run", lambda args, **kw: self.commands.append(list(args)))
        monkeypatch.setattr(os, "chdir", lambda path: None)
        is_dir = os.path.isdir
        monkeypatch.setattr(os.path, "isdir", lambda p: course_folder_exists if p == "/content/minilm"
                            else is_dir(p))

    def run(self):
        from minilm.course import SETUP_CELL

        exec(compile(SETUP_CELL, "setup cell", "exec"), {})


def test_colab_without_a_repository_url_stops_with_one_line_and_clones_nothing(monkeypatch):
    monkeypatch.delenv("MINILM_REPO", raising=False)
    colab = FakeColab(monkeypatch, course_folder_exists=False)
    with pytest.raises(SystemExit) as stop:
        colab.run()
    message = str(stop.value)
    assert "MINILM_REPO" in message and "/content/minilm" in message and "\n" not in message
    assert colab.commands == []


def test_colab_clones_the_repository_named_by_minilm_repo(monkeypatch, restore_threads):
    monkeypatch.setenv("MINILM_REPO", "https://example.org/course.git")
    colab = FakeColab(monkeypatch, course_folder_exists=False)
    colab.run()
    assert colab.commands[0][:2] == ["git", "clone"] and "https://example.org/course.git" in colab.commands[0]
    assert colab.commands[1][1:3] == ["-m", "pip"]


def test_colab_uses_a_course_folder_that_is_already_there(monkeypatch, restore_threads):
    monkeypatch.delenv("MINILM_REPO", raising=False)
    colab = FakeColab(monkeypatch, course_folder_exists=True)
    colab.run()
    assert [c[1:4] for c in colab.commands] == [["-m", "pip", "install"]]  # no clone
