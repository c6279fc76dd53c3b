"""Every chapter notebook, executed top to bottom in a fresh kernel, against the 30 s budget.

The time includes starting the kernel, as a learner experiences it. One BLAS thread, as in the
tests. ``--quick`` runs the same (the numbers are only meaningful in full).

    python -m benchmarks notebooks
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 30.0


def time_notebook(path: Path) -> float:
    """Seconds to start a kernel and run every cell of ``path`` (raises if a cell fails)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict[str, Any]:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.pop("MPLBACKEND", None)
    rows = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        seconds = time_notebook(path)
        rows.append(
            {
                "notebook": path.name,
                "seconds (kernel start included)": round(seconds, 1),
                "budget s": BUDGET_S,
                "share of budget": round(seconds / BUDGET_S, 2),
                "verdict": "ok" if seconds <= BUDGET_S else "OVER BUDGET",
            }
        )
    return {
        "title": "Chapter notebooks: execution time in a fresh kernel",
        "rows": rows,
        "notes": f"Budget: {BUDGET_S:.0f} s per notebook on 2 cores, one BLAS thread.",
    }
