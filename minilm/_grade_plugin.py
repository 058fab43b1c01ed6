"""A tiny pytest plugin for ``minilm.grade``: writes every graded test's outcome to JSON.

``minilm.grade`` runs the graded tests in a separate Python process (a learner's infinite
loop or crash must not take the notebook down) with ``-p minilm._grade_plugin`` and reads
the file named by ``MINILM_GRADE_REPORT`` afterwards::

    {"tests": {"tests/exercises/test_ex00_warmup.py::test_x": {"outcome": "failed",
                                                              "message": "NotImplementedError: ..."}},
     "collection_errors": [{"nodeid": "tests/exercises/test_ex01_ae.py", "message": "..."}],
     "collected": ["tests/exercises/test_ex00_warmup.py::test_x", ...]}

Outcomes: "passed", "failed" (the test body failed), "error" (setup or teardown failed),
"skipped" (skipped or xfailed: not a pass either).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

REPORT_ENV = "MINILM_GRADE_REPORT"

_tests: dict[str, dict[str, str]] = {}
_collection_errors: list[dict[str, str]] = []
_collected: list[str] = []


def short_message(report) -> str:
    """One line saying why a test failed: pytest's crash line, else the last "E" line."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return crash.message.strip().splitlines()[0][:300]
    text = getattr(report, "longreprtext", "") or str(getattr(report, "longrepr", ""))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors or lines or ["(no message)"])[-1][:300]


def pytest_runtest_logreport(report) -> None:
    record = _tests.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.failed and record["outcome"] not in ("failed", "error"):
        record["outcome"] = "failed" if report.when == "call" else "error"
        record["message"] = short_message(report)
    elif report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
        record["message"] = short_message(report)


def pytest_collectreport(report) -> None:
    if report.failed:
        _collection_errors.append({"nodeid": report.nodeid, "message": short_message(report)})


def pytest_itemcollected(item) -> None:
    _collected.append(item.nodeid)


def pytest_sessionfinish(session) -> None:
    path = os.environ.get(REPORT_ENV)
    if path:
        data = {"tests": _tests, "collection_errors": _collection_errors, "collected": _collected}
        Path(path).write_text(json.dumps(data, indent=1))
