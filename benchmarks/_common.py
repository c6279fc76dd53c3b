"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def best_time(fn: Callable[[], Any], *, repeat: int = 7, warmup: int = 2) -> float:
    """Best wall-clock time of ``fn()`` in seconds over ``repeat`` runs (after ``warmup``)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def copy_bandwidth(n_bytes: int = 400_000_000) -> float:
    """Measured memory bandwidth in bytes/s of ``np.copyto`` (one read + one write per byte)."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    t = best_time(lambda: np.copyto(dst, src), repeat=5, warmup=1)
    return 2 * src.nbytes / t


def torch_or_none() -> Any:
    """The ``torch`` module, limited to one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def fmt_ratio(x: float | None) -> str:
    return "not installed" if x is None else f"{x:.2f}"
