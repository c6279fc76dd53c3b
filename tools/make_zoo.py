"""Pretrain the model zoo's weights (``dlnotes/zoo/*.npz``) reproducibly; print checksums.

Usage (one BLAS thread makes the run bit-reproducible on a given machine and numpy)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_zoo.py            # weights + sweep
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_zoo.py --no-sweep --out /tmp/z

The model ``fashion5_mlp`` is ``mlp([784, 256, 128, 5], seed=0)`` (ReLU) trained on the
**source task** of :mod:`dlnotes.zoo.transfer` (five Fashion-MNIST classes from the subset
shipped with dlnotes, 3000 training images) by :func:`dlnotes.train.fit` with the recipe in
:data:`RECIPE`. The script then evaluates it on the source test split (1000 images) and, unless
``--no-sweep``, precomputes the transfer sweep the chapter's explorer shows (target accuracy vs
examples per class, frozen layers and learning-rate multiplier; a few minutes on one core).

The last line printed is a JSON object with the file names, their SHA-256 checksums and the
source accuracy: copy them into ``dlnotes.zoo.REGISTRY``.

Defined in chapter 12 (Transfer learning).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes.data import Augmenter
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.schedules import cosine
from dlnotes.train import evaluate, fit
from dlnotes.zoo import sha256
from dlnotes.zoo.transfer import sample_per_class, source_task, target_task, transfer_run

NAME = "fashion5_mlp"

#: How the weights are made (also recorded in the registry as text).
RECIPE: dict[str, Any] = {
    "sizes": [784, 256, 128, 5],
    "init_seed": 0,
    "lr": 0.05,
    "momentum": 0.9,
    "schedule": "cosine to 0",
    "epochs": 20,
    "batch_size": 64,
    "augment": {"flip": True, "max_shift": 2},
    "fit_seed": 0,
}

#: The grid of the precomputed transfer sweep.
SWEEP: dict[str, list[Any]] = {
    "sizes": [10, 30, 100, 300, 600],
    "seeds": [0, 1],
    "n_frozen": [0, 1, 2],
    "lr_mults": [0.01, 0.1, 1.0],
}


def pretrain() -> tuple[Sequential, float]:
    """Train the zoo model on the source task with :data:`RECIPE`; return it and its source
    test accuracy."""
    X_train, y_train, X_test, y_test = source_task()
    r = RECIPE
    model = mlp(r["sizes"], seed=r["init_seed"])
    steps = r["epochs"] * math.ceil(len(X_train) / r["batch_size"])
    fit(
        model,
        X_train,
        y_train,
        optimizer=SGD(model.params, lr=r["lr"], momentum=r["momentum"]),
        epochs=r["epochs"],
        batch_size=r["batch_size"],
        schedule=cosine(r["lr"], steps),
        augment=Augmenter((28, 28), **r["augment"]),
        seed=r["fit_seed"],
        progress=False,
    )
    _, acc = evaluate(model, X_test, y_test)
    return model, float(acc or 0.0)


def sweep(model: Sequential) -> dict[str, np.ndarray]:
    """Target test accuracy of :func:`transfer_run` over :data:`SWEEP` (see
    :func:`dlnotes.zoo.load_sweep` for the layout)."""
    X_train, y_train, X_test, y_test = target_task()
    g = SWEEP
    shape = (len(g["n_frozen"]), len(g["lr_mults"]), len(g["sizes"]), len(g["seeds"]))
    finetune = np.zeros(shape)
    scratch = np.zeros(shape[2:])
    full_freeze = len(g["sizes"]) and max(g["n_frozen"])
    for s, n in enumerate(g["sizes"]):
        for r, seed in enumerate(g["seeds"]):
            idx = sample_per_class(y_train, n, seed=seed)
            X, y = X_train[idx], y_train[idx]
            _, scratch[s, r] = transfer_run(None, X, y, X_test, y_test, seed=seed)
            for f, n_frozen in enumerate(g["n_frozen"]):
                for m, mult in enumerate(g["lr_mults"]):
                    if n_frozen == full_freeze and m > 0:  # the multiplier does not matter
                        finetune[f, m, s, r] = finetune[f, 0, s, r]
                        continue
                    _, finetune[f, m, s, r] = transfer_run(
                        model, X, y, X_test, y_test, n_frozen=n_frozen, lr_mult=mult, seed=seed
                    )
            print(f"  sweep: {n} per class, seed {seed} done", file=sys.stderr, flush=True)
    return {
        "sizes": np.array(g["sizes"]),
        "seeds": np.array(g["seeds"]),
        "n_frozen": np.array(g["n_frozen"]),
        "lr_mults": np.array(g["lr_mults"]),
        "finetune": finetune,
        "scratch": scratch,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command line: write the files to ``--out`` (default ``dlnotes/zoo``); print a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = Path(__file__).resolve().parent.parent / "dlnotes" / "zoo"
    parser.add_argument("--out", type=Path, default=default_out, help="output folder")
    parser.add_argument("--no-sweep", action="store_true", help="weights only")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model, acc = pretrain()
    path = args.out / f"{NAME}.npz"
    model.save(path)
    report: dict[str, Any] = {
        "name": NAME,
        "file": path.name,
        "sha256": sha256(path),
        "bytes": path.stat().st_size,
        "source_test_accuracy": acc,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "pretrain_seconds": round(time.perf_counter() - start, 1),
    }
    if not args.no_sweep:
        sweep_path = args.out / f"{NAME}_sweep.npz"
        np.savez(sweep_path, **sweep(model))  # type: ignore[arg-type]
        report["sweep_file"] = sweep_path.name
        report["sweep_sha256"] = sha256(sweep_path)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
