"""Grading throughput: ``tasks.py grade`` on a class of correct chapter-02 submissions.

Each submission is graded as in a real term: one bubblewrap sandbox per exercise (4 for
chapter 02), the answers run on the instructor key's cases, results compared in the grader.
Reports seconds per submission with ``--jobs 1`` and ``--jobs 2`` and the time a class of 300
would take at the measured rate. ``--quick`` grades fewer submissions.

    python -m benchmarks grading
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"
CLASS = 300


def _module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run(quick: bool = False) -> dict[str, Any]:
    import nbformat

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    build = _module(
        "dlnotes_grading_fixtures", ROOT / "tests" / "fixtures" / "grading" / "build.py"
    )
    grade = _module("dlnotes_tools_grade", ROOT / "tools" / "grade.py")
    import keys

    n = 4 if quick else 12
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "source").mkdir()
        (tmp / "source" / MASTER.name).write_bytes(MASTER.read_bytes())
        keys.write(keys.build([MASTER], seed=1), tmp / "key.pkl")
        nb = build.submission(MASTER, {})
        for k in range(n):
            (tmp / "class" / f"student{k:03d}").mkdir(parents=True)
            nbformat.write(nb, tmp / "class" / f"student{k:03d}" / MASTER.name)
        for jobs in (1, 2):
            t0 = time.perf_counter()
            result = grade.grade(
                tmp / "class",
                key_path=tmp / "key.pkl",
                source=tmp / "source",
                out=tmp / f"gradebook-{jobs}.csv",
                jobs=jobs,
            )
            seconds = time.perf_counter() - t0
            assert all(float(r["score"]) == 8.0 for r in result), result
            per = seconds / n
            rows.append(
                {
                    "jobs": jobs,
                    "submissions": n,
                    "sandboxes": 4 * n,
                    "seconds": round(seconds, 1),
                    "s per submission": round(per, 2),
                    f"class of {CLASS} (min)": round(per * CLASS / 60, 1),
                }
            )
    return {
        "title": "Grading: chapter 02 submissions in sandboxes",
        "rows": rows,
        "notes": (
            "Correct submissions of chapter 02 (4 exercises, 8 points), one bubblewrap sandbox "
            "per exercise, one BLAS thread. The class-of-300 time extrapolates the measured rate."
        ),
    }
