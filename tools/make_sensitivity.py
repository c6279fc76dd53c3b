"""Precompute chapter 13's one-at-a-time sensitivity study, ``dlnotes/data/digits_sensitivity.npz``.

Usage (one BLAS thread makes the run bit-reproducible for a given numpy and BLAS kernel set)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_sensitivity.py
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_sensitivity.py --out /tmp/s.npz

The model is chapter 13's digits MLP (``load_digits``, standardized, the split of
``train_dev_test_split(seed=0)``), trained by SGD with momentum for :data:`EPOCHS` epochs from a
good configuration, :data:`CENTER`. Each hyperparameter of :data:`GRID` is then varied alone,
the others held at the centre, and every run records the mean cross-entropy on the training and
on the dev set. A run that diverges, or whose loss exceeds ``ln 10`` (the loss of guessing
uniformly among the ten classes), is recorded as ``ln 10``. About 5 seconds on one core.

The file holds, per hyperparameter ``h``: ``h/values``, ``h/train_loss``, ``h/dev_loss``
(aligned arrays), and ``center`` (the centre configuration as a JSON string).

Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes.data import Standardizer, load_digits, train_dev_test_split
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import evaluate, fit

OUT = Path(__file__).resolve().parent.parent / "dlnotes" / "data" / "digits_sensitivity.npz"
EPOCHS = 20
CHANCE_LOSS = math.log(10)
#: The good configuration every sweep starts from.
CENTER: dict[str, Any] = {
    "lr": 0.03,
    "momentum": 0.9,
    "batch_size": 64,
    "hidden": 64,
    "layers": 1,
    "l2": 1e-4,
}
#: The values tried for each hyperparameter (each list contains the centre's value).
GRID: dict[str, list[Any]] = {
    "lr": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
    "momentum": [0.0, 0.5, 0.8, 0.9, 0.95, 0.99],
    "batch_size": [16, 32, 64, 128, 256],
    "hidden": [16, 32, 64, 128, 256],
    "layers": [1, 2, 3, 4],
    "l2": [1e-5, 1e-4, 1e-3, 1e-2, 3e-2],
}


def run(config: dict[str, Any], seed: int = 0) -> tuple[float, float]:
    """Train the digits MLP with ``config``; return (train loss, dev loss), capped at ln 10."""
    X, y = load_digits()
    X_train, y_train, X_dev, y_dev, _, _ = train_dev_test_split(X, y, seed=0)
    scaler = Standardizer().fit(X_train)
    X_train, X_dev = scaler.transform(X_train), scaler.transform(X_dev)
    model = mlp([64] + [config["hidden"]] * config["layers"] + [10], seed=seed)
    opt = SGD(model.params, lr=config["lr"], momentum=config["momentum"], check_finite=False)
    history = fit(
        model,
        X_train,
        y_train,
        optimizer=opt,
        epochs=EPOCHS,
        batch_size=config["batch_size"],
        l2=config["l2"],
        seed=seed,
        progress=False,
        on_nonfinite="stop",
    )
    if history.diverged:
        return CHANCE_LOSS, CHANCE_LOSS
    with np.errstate(all="ignore"):
        losses = [evaluate(model, X_, y_)[0] for X_, y_ in ((X_train, y_train), (X_dev, y_dev))]
    capped = [v if math.isfinite(v) and v < CHANCE_LOSS else CHANCE_LOSS for v in losses]
    return capped[0], capped[1]


def study() -> dict[str, np.ndarray]:
    """Every one-at-a-time run of :data:`GRID` around :data:`CENTER`, as the file's arrays."""
    out: dict[str, np.ndarray] = {"center": np.array(json.dumps(CENTER))}
    for name, values in GRID.items():
        assert CENTER[name] in values, name
        results = [run({**CENTER, name: v}) for v in values]
        out[f"{name}/values"] = np.array(values, dtype=np.float64)
        out[f"{name}/train_loss"] = np.array([r[0] for r in results])
        out[f"{name}/dev_loss"] = np.array([r[1] for r in results])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file (default {OUT})")
    args = parser.parse_args(argv)
    data = study()
    np.savez(args.out, **data)  # type: ignore[arg-type]
    for name in GRID:
        dev = data[f"{name}/dev_loss"]
        print(f"{name:>10}: dev-loss spread {dev.max() - dev.min():.3f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
