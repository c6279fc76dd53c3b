"""Live explorers: latency from a control change to a redrawn figure (target: median ≤ 100 ms).

Each event moves one random control to one of its values, updates the figure and renders the
PNG the live face displays, as ``Explorer.redraw_seconds`` does. Also reported: how long the
static (website) face takes to precompute and how heavy it is.

    python -m benchmarks explorers
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

TARGET_MS = 100.0


def run(quick: bool = False) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from dlnotes.explorers import all_explorers

    rows = []
    for name, factory in all_explorers().items():
        explorer = factory()
        times_ms = 1000 * explorer.redraw_seconds(n=10 if quick else 40, seed=0)
        row: dict[str, Any] = {
            "explorer": name,
            "median ms": round(float(np.median(times_ms)), 1),
            "p90 ms": round(float(np.percentile(times_ms, 90)), 1),
            "target ms": TARGET_MS,
            "verdict": "ok" if np.median(times_ms) <= TARGET_MS else "TOO SLOW",
        }
        if not quick:
            t0 = time.perf_counter()
            size = sum(len(explorer.static_html(c.name)) for c in explorer.controls)
            row["frames s"] = round(time.perf_counter() - t0, 1)
            row["frames MB"] = round(size / 2**20, 2)
        rows.append(row)
    return {
        "title": "Explorers: redraw latency of the live face",
        "rows": rows,
        "notes": "Median over random control changes; Agg rendering with blitting. frames s and "
        "frames MB: time to precompute the website's frames (every control's sweep), and size.",
    }
