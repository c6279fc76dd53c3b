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


def test_the_book_cache_is_emptied_when_the_package_changes(tmp_path, monkeypatch):
    """The execution cache is keyed by the notebooks' code only: a change to dlnotes (here, a
    stamp of another package) empties it, the same package keeps it."""
    import tasks

    cache, env = tmp_path / ".jupyter_cache", tmp_path / ".doctrees"
    for folder in (cache, env):
        folder.mkdir()
        (folder / "entry").write_text("old outputs")
    tasks.drop_stale_execution_cache(tmp_path)  # no stamp yet: caches of unknown origin
    assert not cache.exists() and not env.exists()
    assert (tmp_path / ".dlnotes-cache-key").is_file()
    cache.mkdir()
    env.mkdir()
    tasks.drop_stale_execution_cache(tmp_path)  # the same package: kept
    assert cache.exists() and env.exists()
    (tmp_path / ".dlnotes-cache-key").write_text("another package\n")
    tasks.drop_stale_execution_cache(tmp_path)
    assert not cache.exists() and not env.exists()


def test_the_venv_install_retries_with_torchs_cpu_index(tmp_path, monkeypatch):
    """The lock pins torch's +cpu build, which PyPI does not host: when the configured indexes
    fail to install the lock, ensure_venv tries once more with PyTorch's CPU index (and still
    stops, with a message, when that fails too); when they succeed it never adds the index."""
    import tasks

    monkeypatch.setattr(tasks, "PY", tmp_path / "python")
    monkeypatch.setattr(tasks, "STAMP", tmp_path / "stamp")
    (tmp_path / "python").write_text("")  # the venv exists; only the install runs

    def installs(results):
        calls = []

        def run(cmd, *args, **kwargs):
            calls.append([str(c) for c in cmd])
            return results.pop(0)

        monkeypatch.setattr(tasks, "run", run)
        return calls

    calls = installs([1, 0, 0])  # PyPI alone fails, with PyTorch's index it works
    tasks.ensure_venv()
    assert len(calls) == 3 and "--extra-index-url" not in calls[0]
    assert calls[1][calls[1].index("--extra-index-url") + 1] == tasks.TORCH_CPU_INDEX
    assert calls[1][-2:] == ["-r", str(tasks.LOCK)] and "-e" in calls[2]
    assert (tmp_path / "stamp").read_text() == tasks.fingerprint()

    (tmp_path / "stamp").unlink()
    calls = installs([0, 0])
    tasks.ensure_venv()
    assert not any("--extra-index-url" in c for c in calls)

    (tmp_path / "stamp").unlink()
    installs([1, 1])
    with pytest.raises(SystemExit, match="installing the pinned environment failed"):
        tasks.ensure_venv()
    assert not (tmp_path / "stamp").exists()
