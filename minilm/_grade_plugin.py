"""The pytest plugin of a grading process: guards it and reports each test to the grader.

``minilm.grade`` starts ``python -m pytest -p minilm._grade_plugin ...`` and writes one JSON
line to the new process's standard input: a port on 127.0.0.1 to connect to, a secret key,
the time budgets and what is graded. This module reads that line and connects when pytest
loads it, before any test or exercise is imported, then stops reading standard input; the
grader accepts that one connection and no other. Learner code therefore never sees where
the reports go or how they are signed (nothing is in the environment or on the command
line), and any line it writes into the connection itself fails the signature check in
``minilm._grade_run``.

Events, one signed JSON object a line: ``start`` (a test file's import or a test begins),
``result`` (it ended: an outcome and a one-line message), ``collect_error``, ``collected``
(every test id) and ``finish``.
A test that runs past its budget is stopped by ``faulthandler``: it writes the stack of
every thread into a file the grader named (used only to name the function that was
running) and ends the process; the grader reports the timeout and grades the remaining tests in a
new process, where that function fails at once instead of looping again.

Outcomes: "passed", "failed" (the test body failed), "error" (setup or teardown failed),
"skipped" (skipped or xfailed: not a pass either).
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import hmac
import json
import os
import runpy
import socket
import sys
import traceback
from pathlib import Path

import pytest

from minilm import _grade_guard
from minilm._grade_run import exercise_frame
from minilm.lang import from_template, language


def _read_settings() -> dict:
    """The grader's one line on standard input; standard input is then closed for good."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 4096)
        if not chunk:
            break
        data += chunk
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return json.loads(data)


_settings = _read_settings()
_key = bytes.fromhex(_settings.pop("key"))
_channel = socket.create_connection(("127.0.0.1", _settings.pop("port")))
_stacks = open(_settings["stack_file"], "w")  # noqa: SIM115 - faulthandler needs it open all along


def _hints() -> dict[str, str]:
    """The graded tests' messages in the course's language (tests/exercises/hints_zh.py), read
    before the guard is installed and before any exercise runs; {} in English."""
    try:
        if language() != "zh":
            return {}
        catalogue = Path(_settings["root"]) / "tests" / "exercises" / "hints_zh.py"
        return runpy.run_path(str(catalogue))["HINTS_ZH"]
    except Exception:  # no catalogue, or a bad MINILM_LANG: the English messages are shown
        return {}


_HINTS = _hints()
_grade_guard.install(Path(_settings["root"]), _settings["target"])
_recorded: dict[str, dict[str, str]] = {}


def _send(event: str, **fields) -> None:
    payload = json.dumps({"event": event, **fields}).encode()
    signature = hmac.new(_key, payload, hashlib.sha256).hexdigest().encode()
    with contextlib.suppress(OSError):  # the connection was closed: the grader notices the silence
        _channel.sendall(signature + b" " + payload + b"\n")


def short_message(report, call=None) -> str:
    """One line saying why a test failed: pytest's crash line, else the last "E" line."""
    if call is not None and call.excinfo is not None and call.excinfo.errisinstance(SystemExit):
        frames = reversed(traceback.extract_tb(call.excinfo.tb))
        where = exercise_frame([(f.filename, f.name, f.lineno) for f in frames], Path(_settings["root"]))
        return f"called sys.exit({call.excinfo.value.code!r})" + (f" in {where}" if where else "")
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return _translated(crash.message.strip().splitlines()[0])[:300]
    text = getattr(report, "longreprtext", "") or str(getattr(report, "longrepr", ""))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors or lines or ["(no message)"])[-1][:300]


def _translated(message: str) -> str:
    """ "AssertionError: <a graded test's message>" in the course's language, where known."""
    kind, sep, text = message.partition(": ")
    translated = from_template(text, _HINTS) if sep and _HINTS else None
    return message if translated is None else f"{kind}: {translated}"


def _start_clock(seconds: float) -> None:
    faulthandler.dump_traceback_later(seconds, exit=True, file=_stacks)


def pytest_collectstart(collector) -> None:
    if isinstance(collector, pytest.Module):  # importing a test file imports its exercise
        _send("start", nodeid=collector.nodeid)
        _start_clock(_settings["import_budget"])


def pytest_collectreport(report) -> None:
    faulthandler.cancel_dump_traceback_later()
    if report.failed:
        _send("collect_error", nodeid=report.nodeid, message=short_message(report))
    if report.nodeid.endswith(".py"):
        _send("result", nodeid=report.nodeid, outcome="imported", message="")


def _failing_at_once(name: str):
    def timed_out_before(*args, **kwargs):
        raise TimeoutError(f"{name} ran past its budget in an earlier test; it is not run again")
    return timed_out_before


def pytest_collection_finish(session) -> None:
    _send("collected", nodeids=[item.nodeid for item in session.items])
    if not _settings["hung"]:
        return
    root = Path(_settings["root"]).resolve()
    for module in list(sys.modules.values()):  # one endless loop costs one budget, not one per test
        path = Path(getattr(module, "__file__", None) or "/").resolve()
        if path.is_relative_to(root):
            for name in _settings["hung"].get(path.relative_to(root).as_posix(), []):
                setattr(module, name, _failing_at_once(name))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _send("start", nodeid=item.nodeid)
    budgets = _settings["budgets"]
    _start_clock(budgets.get(item.nodeid.split("::")[0], max(budgets.values(), default=5.0)))
    yield
    faulthandler.cancel_dump_traceback_later()
    record = _recorded.get(item.nodeid, {"outcome": "passed", "message": ""})
    _send("result", nodeid=item.nodeid, **record)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    record = _recorded.setdefault(item.nodeid, {"outcome": "passed", "message": ""})
    if report.failed and record["outcome"] not in ("failed", "error"):
        record["outcome"] = "failed" if report.when == "call" else "error"
        record["message"] = short_message(report, call)
    elif report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
        record["message"] = short_message(report)


def pytest_sessionfinish(session) -> None:
    _send("finish")
