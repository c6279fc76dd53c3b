"""``python3 tasks.py COMMAND --help`` says what the command does and does nothing else (it ran
the command before: ``lock --help`` rewrote the lock file, ``dist --help`` cleaned dist/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", ["lock", "dist", "book"])
def test_help_prints_the_commands_purpose_and_runs_nothing(command):
    lock = ROOT / "requirements-lock.txt"
    before = lock.stat().st_mtime_ns
    out = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.startswith(f"python3 tasks.py {command}: ")
    assert "[tasks]" not in out.stdout + out.stderr  # no command was run
    assert lock.stat().st_mtime_ns == before
