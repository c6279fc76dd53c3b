#!/usr/bin/env python3
"""Measure the capstone's scoring scale: the baseline's and the reference solution's accuracy on
the hidden test set (and on the shipped self-study test split), and the reference's time::

    python tools/prepare_capstone_test.py --out /tmp/hidden.npz
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/measure_capstone_scale.py /tmp/hidden.npz
    OPENBLAS_CORETYPE=Sandybridge OMP_NUM_THREADS=1 ... (the same, other BLAS kernels)

Prints one JSON line. ``BASELINE`` and ``TARGET`` in ``dlnotes/capstone/scoring.py`` come from it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnotes.capstone import (  # noqa: E402
    Budget,
    baseline_model,
    capstone_data,
    load_hidden_test,
    reference_train_best_model,
    self_study_test,
)


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X).argmax(axis=1) == y))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python tools/measure_capstone_scale.py HIDDEN.npz", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        X_hidden, y_hidden = load_hidden_test(argv[0])
    except (OSError, ValueError) as err:
        print(f"measure_capstone_scale: {err}", file=sys.stderr)
        return 2
    X_test, y_test = self_study_test()
    data = capstone_data()
    base = baseline_model(data)
    budget = Budget()
    ref = reference_train_best_model(data, budget)
    report = {
        "baseline_hidden": accuracy(base, X_hidden, y_hidden),
        "baseline_self_study": accuracy(base, X_test, y_test),
        "reference_hidden": accuracy(ref, X_hidden, y_hidden),
        "reference_self_study": accuracy(ref, X_test, y_test),
        "reference_seconds": round(budget.elapsed, 1),
        "reference_epochs": budget.epochs_used,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
