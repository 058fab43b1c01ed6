"""Whether a learner has edited a shipped file: some checks hold only for the files as shipped."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def edited_by_learner(path: str) -> bool:
    """True if git says ``path`` (relative to the course) differs from the committed file."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return False
    status = subprocess.run(["git", "status", "--porcelain", "--", path], cwd=ROOT,
                            capture_output=True, text=True)
    return status.returncode == 0 and status.stdout[:2].strip() not in ("", "??")
