"""Run one exercise's graded tests in a guarded child process and collect signed results.

``run_tests`` starts ``python -m pytest -p minilm._grade_plugin`` on some test files,
hands the plugin a local port and a fresh secret key on standard input (see that module),
and reads signed events from that connection until the process ends or runs out of time. A process
that stops early (a test past its budget, ``os._exit``, a crash) is described in one line
that names the test and, where the stack shows it, the exercise function that was running.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import re
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from minilm.lang import t

# The folders a grading process may grade: the learner's files in each language, and the
# course's solutions (minilm.grade exports both names).
LEARNER_TARGETS = {"en": "exercises", "zh": "exercises/zh"}
TARGETS = ("solutions", *LEARNER_TARGETS.values())

GRACE_S = 30.0  # silence past the largest budget after which a grading process is killed


@dataclass
class Run:
    """What one grading process reported, and how it ended."""

    collected: list[str] = field(default_factory=list)
    results: dict[str, dict[str, str]] = field(default_factory=dict)  # nodeid -> outcome, message
    collect_errors: list[dict[str, str]] = field(default_factory=list)
    current: str | None = None  # the test that had started and not finished when the process ended
    finished: bool = False      # pytest reached the end of its session
    ended: str = ""             # why it ended early: "" when it finished
    output: str = ""            # the end of what pytest printed, for a message when all else fails


def _verified(line: bytes, key: bytes) -> dict | None:
    signature, _, payload = line.partition(b" ")
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _apply(run: Run, event: dict) -> None:
    kind = event.get("event")
    if kind == "collected":
        run.collected = list(event["nodeids"])
    elif kind == "collect_error":
        run.collect_errors.append({"nodeid": event["nodeid"], "message": event["message"]})
    elif kind == "start":
        run.current = event["nodeid"]
    elif kind == "result":
        run.results[event["nodeid"]] = {"outcome": event["outcome"], "message": event["message"]}
        run.current = None
    elif kind == "finish":
        run.finished = True


_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+) in (?P<name>\S+)')


def exercise_frame(frames: list[tuple[str, str, int]], root: Path) -> str:
    """The first (filename, function, line) in a file of a graded folder (``TARGETS``):
    "mul, exercises/ex03.py line 7"."""
    folders = {(root / folder).resolve(): folder for folder in TARGETS}
    for filename, function, line in frames:
        path = Path(filename).resolve()
        if path.parent in folders:
            return f"{function}, {folders[path.parent]}/{path.name} line {line}"
    return ""


def running_function(stack: str, root: Path) -> str:
    """The innermost exercise frame of faulthandler's dump, which lists the most recent call first."""
    return exercise_frame([(m["path"], m["name"], m["line"]) for m in _FRAME.finditer(stack)], root)


def hung_function(ended: str) -> tuple[str, str] | None:
    """("exercises/ex03.py", "mul") from "timed out after 2 s in test_mul (mul, exercises/ex03.py line 7)"."""
    # Only a timeout names the running function, in any language of minilm.lang.
    match = re.search(r" \((?P<name>\w+), (?P<file>\S+) line \d+\)$", ended)
    return (match["file"], match["name"]) if match else None


def _ending(returncode: int | None, stack: str, seconds: float, current: str | None, root: Path) -> str:
    """One line on why a process stopped before pytest finished, during test ``current``."""
    if current is None:
        where = t("run.before_any_test")
    elif "::" in current:
        where = t("run.in_test", test=current.split("::", 1)[1])
    else:
        where = t("run.importing", file=current)
    if "Timeout (" in stack:  # faulthandler's dump; anything before it was not ours
        stack = stack[stack.rindex("Timeout ("):]
    if returncode is None or stack.startswith("Timeout ("):
        function = running_function(stack, root)
        return t("run.timed_out", seconds=seconds, where=where) + (f" ({function})" if function else "")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return t("run.killed", signal=name, where=where)
    return t("run.exited", code=returncode, where=where)


def _command(root: Path, target: str, files: list[str], skip: tuple[str, ...], collect_only: bool):
    """The pytest command line and environment of a grading process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINILM_GRADE")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MINILM_COURSE_ROOT"] = str(root)  # minilm.grade.ROOT_ENV: load_target reads this course
    package_parent = str(Path(__file__).resolve().parents[1])  # minilm importable from anywhere
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), package_parent, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pytest", *files, "--target", target, "-q",
           "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:timeout", "-p", "no:randomly",
           "-p", "minilm._grade_plugin", "--continue-on-collection-errors", "--rootdir", str(root)]
    cmd += [f"--deselect={nodeid}" for nodeid in skip]
    if collect_only:
        cmd.append("--collect-only")
    return cmd, env


def _read_events(server: socket.socket, key: bytes, run: Run, quiet_limit: float, deadline: float) -> None:
    """Apply the signed events of the first connection to ``server`` until it closes or goes quiet."""
    hard_stop = min(deadline, time.monotonic() + quiet_limit)
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(server, selectors.EVENT_READ)
        while (left := hard_stop - time.monotonic()) > 0:
            for ready, _ in selector.select(min(left, 1.0)):
                if ready.fileobj is server:  # the plugin connects once, before any exercise is imported
                    connection, _ = server.accept()
                    selector.unregister(server)
                    server.close()
                    selector.register(connection, selectors.EVENT_READ)
                    continue
                chunk = ready.fileobj.recv(1 << 16)
                if not chunk:
                    ready.fileobj.close()
                    return
                *lines, buffer = (buffer + chunk).split(b"\n")
                for line in lines:
                    event = _verified(line, key)
                    if event is not None:  # anything else was written by someone without the key
                        _apply(run, event)
                        hard_stop = min(deadline, time.monotonic() + quiet_limit)
                if run.finished:  # a thread the exercise left running may keep the process alive
                    return


def run_tests(root: Path, target: str, files: list[str], *, budgets: dict[str, float],
              import_budget: float, deadline: float, skip: tuple[str, ...] = (),
              hung: dict[str, list[str]] | None = None, collect_only: bool = False) -> Run:
    """Run pytest on the test ``files`` in ``root`` against ``target``, but not the tests in ``skip``.

    ``budgets`` maps each test file to the seconds one of its tests may take; importing a
    test file (and so its exercise) may take ``import_budget``. The process is killed when
    it has sent nothing for ``GRACE_S`` past the largest budget (its own clock was stopped),
    or at ``deadline`` (``time.monotonic()``). ``hung`` maps an exercise file to functions that
    ran past a budget before: they are replaced by ones that fail at once.
    """
    if importlib.util.find_spec("pytest") is None:
        raise RuntimeError("grading runs pytest, which is not installed: pip install pytest")
    key = secrets.token_bytes(32)
    cmd, env = _command(root, target, files, skip, collect_only)
    run = Run()
    quiet_limit = max([import_budget, *budgets.values()]) + GRACE_S
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "output", "w+b") as output, \
            socket.create_server(("127.0.0.1", 0)) as server:
        stack_file = Path(tmp) / "stack.txt"  # faulthandler writes the stacks of a timeout here
        settings = {"port": server.getsockname()[1], "key": key.hex(), "stack_file": str(stack_file),
                    "root": str(root), "target": target, "budgets": budgets, "import_budget": import_budget,
                    "hung": hung or {}}
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.PIPE, stdout=output,
                                stderr=subprocess.STDOUT)
        try:
            proc.stdin.write(json.dumps(settings).encode() + b"\n")
            proc.stdin.close()
        except OSError:  # it died at once; its exit code says why
            pass
        _read_events(server, key, run, quiet_limit, deadline)
        try:
            returncode = proc.wait(timeout=max(0.0, min(deadline - time.monotonic(), GRACE_S)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            returncode = None
        output.seek(0)
        run.output = output.read()[-3000:].decode(errors="replace")
        stack = stack_file.read_text(errors="replace") if stack_file.is_file() else ""
    if not run.finished or run.current:  # (pytest can also finish in the middle of a test)
        current_file = (run.current or "").split("::")[0]
        seconds = budgets.get(current_file, 0.0) if "::" in (run.current or "") else import_budget
        run.ended = _ending(returncode, stack, seconds, run.current, root)
    return run
