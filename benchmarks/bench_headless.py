"""Headless runs never stall (issue 23): every chapter notebook executed N times with nbclient.

nbclient (hence nbconvert ``--execute``, nbgrader and the book build) used to stall a cell for its
whole timeout, then carry on, after a cell that displayed into an ipywidgets ``Output`` widget:
nbclient mirrors such outputs back to the kernel with comm messages sent on the shell channel
while it awaits the cell's ``execute_reply`` on that same socket, and the reply, although already
received, was then only noticed when the wait timed out. The explorers no longer use an Output
widget, and show no widget at all to a client without stdin (``dlnotes.widgets``).

Two uses:

``python -m benchmarks headless [--runs N]`` (and ``tasks.py bench``): the stress check. Each
notebook runs ``N`` times (default 20; ``--quick``: 3) in a fresh kernel, as the tests and the
grader run it; the table gives the median and maximum per notebook, and the acceptance is
``max <= 2 x median`` for every notebook.

``python -m benchmarks.bench_headless cell --mode explorer --runs 400 --timeout 10``: the
reproducer. It executes one cell ``--runs`` times in one kernel with a short cell timeout and
counts the runs that took the whole timeout (stalls). Modes: ``explorer`` (a chapter 04 explorer
as a notebook shows it), ``output-widget`` (the mechanism alone: a figure displayed inside an
ipywidgets Output widget with ``clear_output(wait=True)``), ``widgets`` (sliders without an
Output widget), ``png`` (the same figure displayed without widgets). ``--live`` forces the live
face in the kernel (``DLNOTES_EXPLORERS=live``), as a front-end with a person at it gets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUNS = 20
#: Seconds between the kernel sending a reply and nbclient returning that make a stall.
STALL_LAG_S = 2.0

_SETUP = "from dlnotes.explorers import ch04\n"
CELLS = {
    "explorer": "ch04.heavy_ball_quadratic().show()",
    "output-widget": (
        "import ipywidgets as W\n"
        "import matplotlib.pyplot as plt\n"
        "from IPython.display import Image, display\n"
        "from dlnotes.widgets import render_png\n"
        "ex = ch04.heavy_ball_quadratic()\n"
        "fig, state = ex.setup()\n"
        "ex.redraw(state, **ex.defaults)\n"
        "out = W.Output()\n"
        "display(out)\n"
        "with out:\n"
        "    out.clear_output(wait=True)\n"
        "    display(Image(render_png(fig)))\n"
        "plt.close(fig)"
    ),
    "widgets": (
        "import ipywidgets as W\n"
        "from IPython.display import display\n"
        "display(W.VBox([W.FloatSlider(), W.SelectionSlider(options=[1, 2]), W.HTML('x')]))"
    ),
    "png": (
        "import matplotlib.pyplot as plt\n"
        "from IPython.display import Image, display\n"
        "from dlnotes.widgets import render_png\n"
        "ex = ch04.heavy_ball_quadratic()\n"
        "fig, state = ex.setup()\n"
        "ex.redraw(state, **ex.defaults)\n"
        "display(Image(render_png(fig)))\n"
        "plt.close(fig)"
    ),
}


def _one_thread_env() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.pop("MPLBACKEND", None)


def stress_cell(mode: str, runs: int, timeout: int = 10, live: bool = False) -> dict[str, Any]:
    """Execute the cell ``CELLS[mode]`` ``runs`` times in one kernel; count the stalls.

    A stall is a run where nbclient returned more than ``STALL_LAG_S`` seconds after the kernel
    sent the cell's ``execute_reply`` (its header's date): the answer was there and nbclient did
    not notice it until the cell timeout. ``timeouts`` counts runs whose reply did not come
    within ``timeout`` at all (a busy machine), which are not stalls.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    if mode not in CELLS:
        raise ValueError(f"mode must be one of {sorted(CELLS)}, got {mode!r}")
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    _one_thread_env()
    if live:
        os.environ["DLNOTES_EXPLORERS"] = "live"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_SETUP), nbformat.v4.new_code_cell(CELLS[mode])]
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True)
    times: list[float] = []
    stalls: list[dict[str, Any]] = []
    timeouts = 0
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        for i in range(runs):
            nb.cells[1].metadata.pop("execution", None)
            t0 = time.perf_counter()
            try:
                client.execute_cell(nb.cells[1], 1)
            except CellTimeoutError:
                timeouts += 1
            seconds = time.perf_counter() - t0
            returned = datetime.now(timezone.utc)
            times.append(seconds)
            sent = nb.cells[1].metadata.get("execution", {}).get("shell.execute_reply")
            if sent is not None:
                lag = (
                    returned - datetime.fromisoformat(sent.replace("Z", "+00:00"))
                ).total_seconds()
                if lag > STALL_LAG_S:  # the kernel had answered; the client did not notice
                    stalls.append({"run": i, "seconds": round(seconds, 2), "lag s": round(lag, 2)})
    return {
        "mode": mode,
        "live": live,
        "runs": runs,
        "timeout s": timeout,
        "stalls": len(stalls),
        "timeouts": timeouts,
        "median s": statistics.median(times),
        "max s": max(times),
        "stall details": stalls[:5],
    }


class ReplyLags:
    """nbclient's ``on_cell_executed`` hook: how long after each ``execute_reply`` it moved on.

    The kernel dates its reply when it sends it; the hook runs when nbclient has finished with
    the cell. The difference is milliseconds normally and a whole cell timeout in a stall (the
    reply had arrived, nobody noticed). Unlike wall time, it does not grow with the machine's
    load, which stretches the cells' own work instead.
    """

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, cell: Any, cell_index: int, execute_reply: Any) -> None:
        sent = (execute_reply or {}).get("header", {}).get("date")
        if isinstance(sent, datetime):
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=timezone.utc)
            self.seconds.append((datetime.now(timezone.utc) - sent).total_seconds())


def time_notebook(path: Path) -> tuple[float, float]:
    """Run every cell of ``path`` headless in a fresh kernel (raises on an error).

    Returns the wall seconds (kernel start included) and the longest lag after a cell's reply
    (:class:`ReplyLags`).
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    lags = ReplyLags()
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=lags,
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0, max(lags.seconds, default=0.0)


def run(quick: bool = False, runs: int | None = None) -> dict[str, Any]:
    """The stress check: every chapter notebook ``runs`` times; median and max per notebook."""
    _one_thread_env()
    n = runs if runs is not None else (3 if quick else DEFAULT_RUNS)
    if n < 1:
        raise ValueError(f"runs must be >= 1, got {n}")
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    times: dict[str, list[float]] = {p.name: [] for p in paths}
    gaps: dict[str, list[float]] = {p.name: [] for p in paths}
    errors: dict[str, list[str]] = {p.name: [] for p in paths}
    for _ in range(n):  # round-robin, so that a busy minute does not hit one notebook only
        for path in paths:
            try:
                seconds, gap = time_notebook(path)
            except Exception as exc:  # a failing run is a result too: keep measuring the rest
                errors[path.name].append(f"{type(exc).__name__}: {str(exc).strip()[-300:]}")
                print(f"[headless] {path.name} failed: {errors[path.name][-1]}", flush=True)
                continue
            times[path.name].append(seconds)
            gaps[path.name].append(gap)
    rows = []
    for name, ts in times.items():
        if errors[name]:
            rows.append(
                {
                    "notebook": name,
                    "runs": len(ts) + len(errors[name]),
                    "verdict": f"FAILED in {len(errors[name])} runs: {errors[name][0][:120]}",
                }
            )
            continue
        median, worst, idle = statistics.median(ts), max(ts), max(gaps[name])
        if worst <= 2 * median and idle < STALL_LAG_S:
            verdict = "ok"
        elif idle >= STALL_LAG_S:
            verdict = f"STALL: nbclient moved on {idle:.0f} s after a reply"
        else:
            verdict = "max > 2 x median from machine load (no reply lag): re-run on a quiet machine"
        rows.append(
            {
                "notebook": name,
                "runs": len(ts),
                "median s": round(median, 2),
                "max s": round(worst, 2),
                "max / median": round(worst / median, 2),
                "longest reply lag s": round(idle, 3),
                "verdict": verdict,
            }
        )
    return {
        "title": f"Headless runs: every notebook {n} times with nbclient (issue 23)",
        "rows": rows,
        "notes": (
            "Each notebook executed in a fresh kernel by nbclient (as nbval, nbgrader and "
            "`nbconvert --execute` run it), round-robin over the chapters, one BLAS thread. "
            "Acceptance: max <= 2 x median for every notebook (a stall adds the cell timeout), and "
            "nbclient never more than 2 s late on a cell's reply (a stall is such a lag; load "
            "only stretches the cells' own work)."
            + (" Fewer than 20 runs: a smoke test of the code path only." if n < 20 else "")
            + (" With fewer than 3 runs the criterion cannot fail." if n < 3 else "")
        ),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_headless")
    sub = ap.add_subparsers(dest="command", required=True)
    cell = sub.add_parser("cell", help="the reproducer: one cell many times in one kernel")
    cell.add_argument("--mode", choices=sorted(CELLS), default="explorer")
    cell.add_argument("--runs", type=int, default=400)
    cell.add_argument("--timeout", type=int, default=10, help="cell timeout in seconds")
    cell.add_argument("--live", action="store_true", help="force the live face in the kernel")
    nbs = sub.add_parser("notebooks", help="the stress check over every chapter notebook")
    nbs.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    args = ap.parse_args(argv)
    if args.command == "cell":
        res = stress_cell(args.mode, args.runs, args.timeout, args.live)
        for key, value in res.items():
            print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    else:
        for row in run(runs=args.runs)["rows"]:
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
