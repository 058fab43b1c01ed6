"""The README opens with two commands, and lists other ways in; they must do what it says,
exactly as written."""

import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands():
    first_block_start = README.read_text().index("```")
    assert README.read_text()[:first_block_start].count("\n") <= 3  # right after the title
    assert readme_commands() == ["make course", "make test"]


def test_chinese_readme_opens_with_the_same_two_commands():
    chinese = README.with_name("README.zh.md").read_text(encoding="utf-8")
    first_block = re.compile(r"```bash\n.*?```", re.S)
    assert chinese[:chinese.index("```")].count("\n") <= 3  # right after the title, as in README.md
    assert first_block.search(chinese).group(0) == first_block.search(README.read_text()).group(0)
    assert "](README.md)" in chinese and "](README.zh.md)" in README.read_text()


def test_chinese_readme_maps_every_notebook_to_its_chinese_twin():
    chinese = README.with_name("README.zh.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(notebooks/zh/([\w.]+\.ipynb)\)", chinese)
    assert sorted(set(linked)) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def make_env() -> dict[str, str]:
    """The environment minus make's own variables: when this suite runs under `make test`,
    they would turn a nested make into a sub-make that prints "Entering directory" lines."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def test_test_command_runs_tests_and_notebooks_in_fast_mode():
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=make_env())
    command = dry.stdout.strip().splitlines()[-1]
    assert "MINILM_FAST=1" in command and "pytest" in command
    assert "--nbval-lax" in command and " tests " in command and command.endswith("notebooks")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_folder(proc: subprocess.Popen, port: int, token: str) -> str:
    """The JSON listing of the server's root folder, once the server answers (60 s at most)."""
    url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
    deadline = time.time() + 60
    while True:
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("JupyterLab did not start:\n" + (proc.stdout.read() if proc.poll()
                                                             is not None else "timeout"))
            time.sleep(0.5)


def server_args(port: int, token: str) -> list[str]:
    """What a test adds to a documented command: its own port and token, no news fetch."""
    return [f"--port={port}", f"--ServerApp.token={token}", "--LabApp.news_url=None",
            "--ServerApp.port_retries=0"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_chinese_readme_starts_the_course_on_the_chinese_welcome_notebook():
    start = "notebooks/zh/00_welcome.ipynb"
    assert f"make course START={start}" in (ROOT / "README.zh.md").read_text()
    assert (ROOT / start).exists()
    dry = subprocess.run(["make", "-n", "course", f"START={start}"], cwd=ROOT, capture_output=True,
                         text=True, check=True, env=make_env())
    assert f"--LabApp.default_url=/lab/tree/{start}" in dry.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_course_command_starts_jupyterlab_on_the_notebooks():
    """Run `make course` for real (no browser), ask the server what it serves, stop it."""
    if not (ROOT / ".venv" / ".minilm-installed").exists():
        pytest.skip("the course environment (.venv) is not set up; run `make course` once")
    port, token = free_port(), secrets.token_hex(8)
    lab_args = " ".join(["--no-browser", *server_args(port, token)])
    proc = subprocess.Popen(["make", "course", f"LAB_ARGS={lab_args}"], cwd=ROOT, env=make_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        listing = served_folder(proc, port, token)
        # The server shows the course (notebooks/ and exercises/ side by side) ...
        assert '"path": "notebooks"' in listing and '"path": "exercises"' in listing
        # ... and the browser lands on the welcome notebook.
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"http://127.0.0.1:{port}/?token={token}", timeout=5)
        location = redirect.value.headers["Location"].split("?")[0]
        assert location.endswith("/lab/tree/notebooks/00_welcome.ipynb")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def readme_bullet(title: str) -> str:
    """One "- **title**" item of the README's list of other ways in, on one line."""
    found = re.search(rf"^- \*\*{re.escape(title)}\*\*(.*?)(?=^- |^$)", README.read_text(), re.S | re.M)
    assert found, f"README has no '- **{title}**' item"
    return " ".join(found.group(1).split())


def test_without_make_installs_the_same_torch_as_make():
    commands = re.findall(r"`([^`]+)`", readme_bullet("Without make"))
    makefile_torch = re.search(r"^TORCH\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"pip install {makefile_torch}" in commands
    assert 'pip install -e ".[dev]"' in commands


def test_without_make_jupyterlab_serves_the_course_and_opens_the_welcome_notebook(tmp_path):
    """Run the README's `jupyter lab ...` command (plus `--allow-root` as root, as the README
    says) with a stand-in browser that records the page JupyterLab asks it to open."""
    bullet = readme_bullet("Without make")
    lab = next(c for c in re.findall(r"`([^`]+)`", bullet) if c.startswith("jupyter lab"))
    args = shlex.split(lab)[1:]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "`--allow-root`" in bullet and "root" in bullet
        args.append("--allow-root")
    opened = tmp_path / "opened.html"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\ncat "${{1#file://}}" > {shlex.quote(str(opened))}\n')
    browser.chmod(0o755)
    port, token = free_port(), secrets.token_hex(8)
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen([str(jupyter), *args, *server_args(port, token)], cwd=ROOT,
                            env={**os.environ, "BROWSER": str(browser)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        listing = served_folder(proc, port, token)
        assert '"path": "notebooks"' in listing and '"path": "exercises"' in listing
        deadline = time.time() + 20
        while not (opened.exists() and opened.read_text()) and time.time() < deadline:
            time.sleep(0.5)
        assert "/lab/tree/notebooks/00_welcome.ipynb" in opened.read_text()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
