"""The instructor's tools in a real browser (Chromium, driven by Playwright):

* ``gallery.html`` opened from disk, with no server and no network: change the mask kind
  and the slider, hover a cell, switch the theme; the picture changes exactly as
  ``minilm.masks`` says and the console shows no error;
* the presenter served by Voila on a free local port: pick another picture in a menu and
  flip the light/dark switch; the picture changes.

Screenshots go to ``artifacts/browser/``. Skips, with the reason, where Chromium or
Playwright (or Voila, for the second test) is not installed.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import CHROMIUM_ARGS, chromium, free_port, stop_server  # noqa: F401  (chromium: a fixture)

from minilm.viz.gallery import write_gallery
from minilm.viz.plots import ACCENT, BLOCKED, MAY

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
PRESENTER = ROOT / "notebooks" / "presenter.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def cell_fill(page, q: int, k: int) -> str:
    """The colour a cell is drawn in (CSS may override the SVG attribute: ask the browser)."""
    cell = page.locator(f'#picture rect.cell[data-q="{q}"][data-k="{k}"]')
    return cell.evaluate("e => getComputedStyle(e).fill")


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_gallery_works_from_disk_with_no_console_errors(chromium, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_path = write_gallery(tmp_path / "gallery.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: problems.append(f"network request: {r.url}")
                if not r.url.startswith(("file:", "data:")) else None)
        try:
            page.goto(page_path.as_uri())
            page.screenshot(path=str(ARTIFACTS / "gallery_01_causal.png"))
            # "the cat sat on the mat ." causal: query 0 may not read key 2, query 2 may.
            assert cell_fill(page, 0, 2) == rgb(BLOCKED) and cell_fill(page, 2, 0) == rgb(MAY)

            page.select_option("#kind", "prefix")
            page.fill("#slider", "3")
            page.dispatch_event("#slider", "input")
            assert page.text_content("#slider-value") == "3"
            # prefix_lm_mask(7, 3): the prefix reads itself both ways, query 3 not key 4.
            assert cell_fill(page, 0, 2) == rgb(MAY) and cell_fill(page, 3, 4) == rgb(BLOCKED)
            page.fill("#slider", "4")
            page.dispatch_event("#slider", "input")
            assert cell_fill(page, 0, 3) == rgb(MAY) and cell_fill(page, 0, 4) == rgb(BLOCKED)

            page.hover('#picture rect.cell[data-q="5"][data-k="0"]')  # query 5 may read keys 0..5
            assert [cell_fill(page, 5, k) for k in range(7)] == [rgb(ACCENT)] * 6 + [rgb(BLOCKED)]
            page.screenshot(path=str(ARTIFACTS / "gallery_02_prefix_hover.png"))

            page.click("#theme")
            assert "dark" in page.evaluate("document.body.className")
            page.select_option("#kind", "glm")
            assert page.locator("#slider-box").evaluate("e => e.style.visibility") == "hidden"
            page.screenshot(path=str(ARTIFACTS / "gallery_03_glm_dark.png"))
            width = page.evaluate("document.querySelector('#picture svg').getBoundingClientRect().width")
            assert width <= page.evaluate("document.querySelector('#picture').clientWidth") + 1
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "gallery_failure.png"))
            raise
        finally:
            browser.close()
    assert problems == []


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """``voila notebooks/presenter.ipynb`` on 127.0.0.1 (FAST mode); yields the page URL."""
    pytest.importorskip("voila", reason="voila is not installed (pip install -e '.[teach]')")
    port, home = free_port(), tmp_path_factory.mktemp("voila")
    env = dict(os.environ, MINILM_FAST="1", MINILM_THREADS="1", JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"))
    cmd = [sys.executable, "-m", "voila", str(PRESENTER), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    log = open(home / "voila.log", "w")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:  # the port answers once the server is up (a page request would run the notebook)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("Voila did not start:\n" + (home / "voila.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base
    finally:
        stop_server(proc)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "voila.log").write_text((home / "voila.log").read_text())


def image_source(page, index: int) -> str:
    return page.locator(".widget-image").nth(index).get_attribute("src") or ""


def wait_for_change(page, index: int, old: str, timeout_s: float = 60) -> str:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        new = image_source(page, index)
        if new and new != old:
            return new
        page.wait_for_timeout(250)
    raise AssertionError("the picture did not change after the control changed")


def test_presenter_runs_as_a_voila_app_and_its_controls_respond(chromium, voila):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # The classroom without internet: every request that would leave the machine is
        # refused. Voila's own page template links an icon font from a CDN (that request
        # fails and nothing on the page uses it); anything else leaving is an error.
        local = (voila, voila.replace("http", "ws"), "data:", "blob:")

        def offline(route):
            url = route.request.url
            if not url.startswith(local) and "fontawesome" not in url:
                errors.append(f"network request: {url}")
            route.abort()

        page.route(lambda url: not url.startswith(local), offline)
        try:
            page.goto(voila, timeout=180_000)  # Voila answers once the notebook has run
            page.locator(".widget-image").first.wait_for(timeout=180_000)
            page.screenshot(path=str(ARTIFACTS / "voila_01_loaded.png"), full_page=True)
            assert not page.get_by_text("deck = Presenter").first.is_visible(), "code is on screen"

            # The BART menu (the second menu of pictures) switches the picture below it.
            menus = page.locator(".widget-dropdown select")
            options = [menus.nth(i).evaluate("e => [...e.options].map(o => o.value).join('|')")
                       for i in range(menus.count())]
            bart = next(i for i, labels in enumerate(options) if "bart token masking" in labels)
            images_before = [image_source(page, i) for i in range(page.locator(".widget-image").count())]
            menus.nth(bart).select_option(value="bart token masking")
            changed = [i for i, old in enumerate(images_before) if image_source(page, i) != old]
            if not changed:
                deadline = time.time() + 60
                while not changed and time.time() < deadline:
                    page.wait_for_timeout(250)
                    changed = [i for i, old in enumerate(images_before) if image_source(page, i) != old]
            assert len(changed) == 1, "picking a picture must redraw exactly its own image"
            page.screenshot(path=str(ARTIFACTS / "voila_02_bart_menu.png"), full_page=True)

            # The theme switch redraws every picture on a dark background.
            first = image_source(page, 0)
            page.locator(".widget-toggle-button", has_text="dark").first.click()
            wait_for_change(page, 0, first)
            page.screenshot(path=str(ARTIFACTS / "voila_03_dark.png"), full_page=True)
            cell = page.evaluate("document.querySelector('.jp-OutputArea-output, .jp-Cell').clientWidth")
            widest = page.evaluate("Math.max(...[...document.querySelectorAll('.widget-image')]"
                                   ".map(e => e.getBoundingClientRect().width))")
            assert widest <= cell + 1, "a picture is wider than its cell"
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "voila_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert errors == []
