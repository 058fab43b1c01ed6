"""The MaskExplorer in a real browser: JupyterLab + Chromium, driven by Playwright.

Starts JupyterLab on a free local port (with a token, no network), opens
``tests/browser/mask_explorer.ipynb`` (copied into the git-ignored ``artifacts/`` so the
committed file never gets outputs), runs all cells, waits for the explorer's picture,
changes the mask kind and the slider the way a learner would, and checks that the picture
in the page changes exactly as ``minilm.masks`` says. Screenshots go to ``artifacts/``.

Skips, with the reason, where Chromium or Playwright is not installed
(``apt-get install chromium``).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from minilm.viz.plots import ACCENT, BLOCKED, MAY

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "browser" / "mask_explorer.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage"]
EXPLORER_SVG = ".minilm-mask-explorer svg.minilm-mask"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def find_chromium() -> str | None:
    for candidate in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (Debian/Ubuntu: apt-get install chromium); "
                    "the browser test needs a real browser")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a token; yields its base URL and the token."""
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"), MINILM_FAST="1")
    env.pop("MINILM_GRADE_TARGET", None)
    # No news and no update checks: the server must not reach the internet or pop up toasts.
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
           "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={home / 'settings'}",
           f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; Jupyter refuses that unless told
    log = open(home / "lab.log", "w")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (home / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        stop_server(proc)
        log.close()
        if ARTIFACTS.is_dir():
            shutil.copy(home / "lab.log", ARTIFACTS / "jupyterlab.log")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session=True`` and the kernels it started."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cell_fill(page, q: int, k: int) -> str:
    return page.locator(f'{EXPLORER_SVG} rect.cell[data-q="{q}"][data-k="{k}"]').get_attribute("fill")


def wait_for_new_svg(page, old: str, timeout_s: float = 30) -> str:
    """The explorer's SVG once it differs from ``old`` (the kernel answers asynchronously)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        svg = page.locator(EXPLORER_SVG).first.evaluate("e => e.outerHTML")
        if svg != old:
            return svg
        page.wait_for_timeout(200)
    raise AssertionError("the picture did not change after the control changed")


def test_mask_explorer_responds_in_jupyterlab(chromium, lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    shutil.copy(NOTEBOOK, ARTIFACTS / NOTEBOOK.name)  # a copy: JupyterLab may save outputs into it
    url = f"{base}/lab/tree/artifacts/browser/{NOTEBOOK.name}?token={token}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
            # The kernel must be up before "Run All Cells" (the status bar says Idle).
            page.locator(".jp-Notebook").first.click()
            page.get_by_text(re.compile(r"\|\s*Idle")).first.wait_for(timeout=60_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            svg = page.locator(EXPLORER_SVG).first
            svg.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "01_causal.png"))
            before = svg.evaluate("e => e.outerHTML")
            # 6 tokens -> 36 cells; causal: query 0 may not read key 2, query 2 may.
            assert page.locator(f"{EXPLORER_SVG} rect.cell").count() == 36
            assert cell_fill(page, 0, 2) == BLOCKED and cell_fill(page, 2, 0) == MAY

            # A learner picks another mask kind in the dropdown ...
            page.locator(".minilm-mask-explorer select").first.select_option(label="prefix-LM (UniLM)")
            after_kind = wait_for_new_svg(page, before)
            page.screenshot(path=str(ARTIFACTS / "02_prefix_lm.png"))
            # ... prefix_lm_mask(6, 3): the prefix reads itself both ways, query 3 still not key 4.
            assert cell_fill(page, 0, 2) == MAY and cell_fill(page, 3, 4) == BLOCKED

            # ... and moves the prefix slider one step right with the keyboard.
            handle = page.locator(".minilm-mask-explorer .noUi-handle").first
            handle.focus()
            handle.press("ArrowRight")
            wait_for_new_svg(page, after_kind)
            page.screenshot(path=str(ARTIFACTS / "03_prefix_lm_4.png"))
            assert cell_fill(page, 0, 3) == MAY and cell_fill(page, 0, 4) == BLOCKED  # prefix_len = 4

            # Picking a query lights up the keys it may attend to (query 4 "the": keys 0..4).
            before = page.locator(EXPLORER_SVG).first.evaluate("e => e.outerHTML")
            page.locator(".minilm-mask-explorer .widget-dropdown", has_text="query").locator("select") \
                .select_option(label="4: the")
            wait_for_new_svg(page, before)
            page.screenshot(path=str(ARTIFACTS / "04_query_highlight.png"))
            assert [cell_fill(page, 4, k) for k in range(6)] == [ACCENT] * 5 + [BLOCKED]
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            raise
        finally:
            browser.close()
