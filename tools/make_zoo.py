"""Pretrain the model zoo's weights (``dlnotes/zoo/*.npz``) reproducibly; print checksums.

Usage (one BLAS thread makes the run bit-reproducible for a given numpy and BLAS kernel set;
another CPU model can make OpenBLAS pick other kernels, and then the weights differ in the last
bits and training drifts a little: the report records the kernel set as ``blas``)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_zoo.py            # all, + sweeps
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_zoo.py --model fashion10_mlp \
        --no-sweep --out /tmp/z

Two models, both trained by :func:`dlnotes.train.fit` with the recipe in :data:`RECIPE`
(only the output layer's size and the training images differ):

* ``fashion5_mlp``: ``mlp([784, 256, 128, 5], seed=0)`` (ReLU) on the **source task** of
  :mod:`dlnotes.zoo.transfer` (five Fashion-MNIST classes of the subset shipped with dlnotes,
  3000 training images); its sweep is on the **target task** (the other five classes);
* ``fashion10_mlp``: ``mlp([784, 256, 128, 10], seed=0)`` on all 6000 training images of the
  subset; its sweep is on the **shifted task** (the ten classes on the held-out test images
  under heavy pixel noise, :func:`dlnotes.zoo.transfer.shifted_task`).

For each model the script evaluates it on its source test split and, unless ``--no-sweep``,
precomputes the transfer sweep the chapter shows (target accuracy vs examples per class,
frozen layers and learning-rate multiplier; a few minutes on one core).

The last line printed per model is a JSON object with the file names, their SHA-256 checksums
and the source accuracy: copy them into ``dlnotes.zoo.REGISTRY``.

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

from dlnotes.data import Augmenter, load_fashion_mnist_subset
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.schedules import cosine
from dlnotes.train import evaluate, fit
from dlnotes.zoo import sha256
from dlnotes.zoo.transfer import (
    Task,
    sample_per_class,
    shifted_task,
    source_task,
    target_task,
    transfer_run,
)


def _all_ten() -> Task:
    return load_fashion_mnist_subset()


#: name -> (source task, number of classes, the sweep's target task).
MODELS: dict[str, tuple[Any, int, Any]] = {
    "fashion5_mlp": (source_task, 5, target_task),
    "fashion10_mlp": (_all_ten, 10, shifted_task),
}

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

#: The grids of the precomputed transfer sweeps.
SWEEPS: dict[str, dict[str, list[Any]]] = {
    "fashion5_mlp": {
        "sizes": [10, 30, 100, 300, 600],
        "seeds": [0, 1],
        "n_frozen": [0, 1, 2],
        "lr_mults": [0.01, 0.1, 1.0],
    },
    "fashion10_mlp": {
        "sizes": [1, 3, 10, 30, 100],
        "seeds": [0, 1, 2],
        "n_frozen": [0, 1, 2],
        "lr_mults": [0.01, 0.1, 1.0],
    },
}


def pretrain(name: str = "fashion5_mlp") -> tuple[Sequential, float]:
    """Train the zoo model ``name`` on its source task with :data:`RECIPE`; return it and its
    source test accuracy."""
    task, n_classes, _ = MODELS[name]
    X_train, y_train, X_test, y_test = task()
    r = RECIPE
    model = mlp([*r["sizes"][:-1], n_classes], seed=r["init_seed"])
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


def sweep(model: Sequential, name: str = "fashion5_mlp") -> dict[str, np.ndarray]:
    """Target test accuracy of :func:`transfer_run` over ``SWEEPS[name]`` on the model's
    target task (see :func:`dlnotes.zoo.load_sweep` for the layout)."""
    X_train, y_train, X_test, y_test = MODELS[name][2]()
    g = SWEEPS[name]
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
    parser.add_argument("--model", choices=sorted(MODELS), help="one model (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    reports = {}
    for name in [args.model] if args.model else list(MODELS):
        reports[name] = make(name, args.out, sweep_too=not args.no_sweep)
    return reports


def blas_kernel() -> str:
    """The BLAS library and the CPU kernel set it chose, e.g. ``"openblas 0.3.31 Haswell"``.

    Bit-identical weights need this to match, not only numpy and the machine type: OpenBLAS
    picks its kernels (and so the order of its floating-point sums) by CPU model.
    """
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "unknown"
    info = blas[0]
    return f"{info['internal_api']} {info.get('version')} {info.get('architecture')}"


def make(name: str, out: Path, *, sweep_too: bool = True) -> dict[str, Any]:
    """Pretrain ``name``, save it (and its sweep) in ``out``; print and return a JSON report."""
    start = time.perf_counter()
    model, acc = pretrain(name)
    path = out / f"{name}.npz"
    model.save(path)
    report: dict[str, Any] = {
        "name": name,
        "file": path.name,
        "sha256": sha256(path),
        "bytes": path.stat().st_size,
        "source_test_accuracy": acc,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "blas": blas_kernel(),
        "pretrain_seconds": round(time.perf_counter() - start, 1),
    }
    if sweep_too:
        sweep_path = out / f"{name}_sweep.npz"
        np.savez(sweep_path, **sweep(model, name))  # type: ignore[arg-type]
        report["sweep_file"] = sweep_path.name
        report["sweep_sha256"] = sha256(sweep_path)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
