#!/usr/bin/env python3
"""Regenerate ``dlnotes/capstone/runs.npz``, the recorded runs of the capstone's "Diagnose these
runs" (see :mod:`dlnotes.capstone.runs`)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_capstone_runs.py [--out PATH]

Prints one JSON line: the SHA-256 of the arrays, the numpy version, machine and BLAS kernels
(``tests/test_capstone.py`` regenerates the runs and compares them with the shipped file).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnotes.capstone.runs import make_runs, save_runs  # noqa: E402

DEFAULT_OUT = ROOT / "dlnotes" / "capstone" / "runs.npz"


def blas_kernels() -> str:
    """The BLAS library and its kernel set, as numpy reports them (best effort)."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # pragma: no cover - older numpy
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output .npz path")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    digest = save_runs(make_runs(args.seed), args.out)
    report = {
        "sha256": digest,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "blas": blas_kernels(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
