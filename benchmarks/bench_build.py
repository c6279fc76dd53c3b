"""The book build (cold: every notebook executed; warm: from the execution cache) and the test
suite, timed on a copy of the repository so the working tree's caches are untouched.

``--quick`` skips both (they take minutes).

    python -m benchmarks build
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _copy_sources(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / f).is_file():
            shutil.copy2(ROOT / f, dest / f)


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict[str, Any]:
    if quick:
        return {"title": "Book build and test suite", "rows": [], "notes": "skipped (--quick)"}
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", DLNOTES_STATIC_SITE="1")
    env["DLNOTES_MATHJAX"] = str(ROOT / ".venv" / "share" / "mathjax")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        _copy_sources(copy)
        build = [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
        rows.append({"what": "book build, cold", "seconds": round(_timed(build, copy, env), 1)})
        rows.append({"what": "book build, warm", "seconds": round(_timed(build, copy, env), 1)})
        suite = [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadfile",
            "--nbval-lax",
            "-m",
            "not browser",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        rows.append(
            {"what": "tests (unit + notebooks)", "seconds": round(_timed(suite, copy, env), 1)}
        )
    return {
        "title": "Book build and test suite",
        "rows": rows,
        "notes": "On a copy of the repository; cold = empty execution cache.",
    }
