"""Precompute chapter 13's large search, ``dlnotes/data/fashion_search.npz``.

Usage (one BLAS thread makes the run bit-reproducible for a given numpy and BLAS kernel set)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_fashion_search.py
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/make_fashion_search.py \\
        --searches 1 --trials 3 --out /tmp/s.npz          # a subset, for the regeneration test

The model is a two-hidden-layer MLP (784-h-h-10) on the Fashion-MNIST subset shipped with
dlnotes (:func:`dlnotes.data.load_fashion_mnist_subset`): its 6000 training images are split into
5000 for training and 1000 for dev (stratified, ``seed=0``), standardized on the training part;
the 2000 test images are kept for the winners' test error. SGD with momentum 0.9, for
:data:`EPOCHS` epochs, over the four hyperparameters of :data:`SPACE`.

The trials are exactly those that ``random_search`` and ``successive_halving`` of
:mod:`dlnotes.tuning` draw with ``seed = s`` and ``n_trials = TRIALS``, for each search seed ``s``
in ``range(SEARCHES)``: trial ``i`` of search ``s`` takes its configuration and its seed (weights
and batch order) from ``trial_seeds(s, TRIALS)[i]``. Each trial is trained once for the full
:data:`EPOCHS` and its dev error is recorded after **every** epoch. ``fit`` draws the batch order
epoch after epoch from one generator and nothing depends on the number of epochs, so the dev error
after ``b`` epochs is exactly what training from scratch for ``b`` epochs gives: a search at any
budget up to :data:`EPOCHS` can look its trials up in the table (a *tabular benchmark*) instead of
training them. Errors above 90 % count as 90 % (chance), and a run that diverges scores 90 % from
then on. About 10 minutes on one core for the full file.

Arrays (one row per trial, searches one after the other): ``search`` and ``trial`` (ints),
``seed`` (the trial's objective seed), one array per hyperparameter of :data:`SPACE`,
``dev_error`` (shape ``(rows, EPOCHS)``), ``test_error`` (after :data:`EPOCHS` epochs),
``train_loss`` (after :data:`EPOCHS` epochs, capped at ln 10) and ``space`` (a JSON description).

Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes.data import Standardizer, load_fashion_mnist_subset, train_dev_test_split
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import evaluate, fit
from dlnotes.tuning import Choice, LogUniform, sample_config, trial_seeds

OUT = Path(__file__).resolve().parent.parent / "dlnotes" / "data" / "fashion_search.npz"
EPOCHS = 27
TRIALS = 27
SEARCHES = 10
MOMENTUM = 0.9
CHANCE_ERROR = 0.9
#: The search space (chapter 13 writes the same one).
SPACE = {
    "lr": LogUniform(1e-4, 1.0),
    "l2": LogUniform(1e-6, 1e-2),
    "hidden": Choice([32, 64, 128, 256]),
    "batch_size": Choice([32, 64, 128, 256]),
}


def data() -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_dev, y_dev, X_test, y_test), standardized on X_train."""
    X, y, X_test, y_test = load_fashion_mnist_subset()
    X_train, y_train, X_dev, y_dev = train_dev_test_split(X, y, sizes=(5000, 1000), seed=0)
    scaler = Standardizer().fit(X_train)
    return (
        scaler.transform(X_train),
        y_train,
        scaler.transform(X_dev),
        y_dev,
        scaler.transform(X_test),
        y_test,
    )


def run(config: dict[str, Any], seed: int, arrays: tuple[np.ndarray, ...], epochs: int = EPOCHS):
    """Train one configuration; return (dev error per epoch, test error, train loss) at the end."""
    X_train, y_train, X_dev, y_dev, X_test, y_test = arrays
    h = int(config["hidden"])
    model = mlp([784, h, h, 10], seed=seed)
    opt = SGD(model.params, lr=config["lr"], momentum=MOMENTUM, check_finite=False)
    with np.errstate(all="ignore"):
        history = fit(
            model,
            X_train,
            y_train,
            optimizer=opt,
            epochs=epochs,
            batch_size=int(config["batch_size"]),
            dev=(X_dev, y_dev),
            l2=config["l2"],
            seed=seed,
            progress=False,
            on_nonfinite="stop",
        )
        # errors above chance count as chance (a run that is no better than guessing)
        curve = [min(1.0 - a, CHANCE_ERROR) for a in history.dev_acc]
        if history.diverged:  # no dev error for the epoch that diverged, nor after it
            curve += [CHANCE_ERROR] * (epochs - len(curve))
            return np.array(curve), CHANCE_ERROR, math.log(10)
        train_loss, _ = evaluate(model, X_train, y_train)
        _, test_acc = evaluate(model, X_test, y_test)
    loss = train_loss if math.isfinite(train_loss) else math.log(10)
    return np.array(curve), min(1.0 - test_acc, CHANCE_ERROR), min(loss, math.log(10))


def describe_space() -> str:
    """The search space as JSON (what the notebook checks its own space against)."""
    out: dict[str, Any] = {}
    for name, dist in SPACE.items():
        if isinstance(dist, Choice):
            out[name] = {"choice": list(dist.options)}
        else:
            out[name] = {"log_uniform": [dist.low, dist.high]}
    return json.dumps(out)


def search_table(searches: int = SEARCHES, trials: int = TRIALS) -> dict[str, np.ndarray]:
    """Every trial of ``searches`` searches of ``trials`` trials each, as the file's arrays.

    With ``trials < TRIALS`` the rows are the first ``trials`` of each search (the same
    configurations and seeds as in the full file: trial ``i`` does not depend on the count).
    """
    arrays = data()
    rows: dict[str, list[Any]] = {k: [] for k in ("search", "trial", "seed", *SPACE)}
    curves, tests, losses = [], [], []
    for s in range(searches):
        for i, (rng, seed) in enumerate(trial_seeds(s, TRIALS)[:trials]):
            config = sample_config(SPACE, rng)
            curve, test_error, train_loss = run(config, seed, arrays)
            for key, value in (("search", s), ("trial", i), ("seed", seed), *config.items()):
                rows[key].append(value)
            curves.append(curve)
            tests.append(test_error)
            losses.append(train_loss)
    out = {k: np.array(v) for k, v in rows.items()}
    out["seed"] = out["seed"].astype(np.int64)
    out["dev_error"] = np.array(curves)
    out["test_error"] = np.array(tests)
    out["train_loss"] = np.array(losses)
    out["space"] = np.array(describe_space())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file (default {OUT})")
    parser.add_argument("--searches", type=int, default=SEARCHES, help="search seeds 0..n-1")
    parser.add_argument("--trials", type=int, default=TRIALS, help="the first n trials of each")
    args = parser.parse_args(argv)
    table = search_table(args.searches, args.trials)
    np.savez_compressed(args.out, **table)  # type: ignore[arg-type]
    final = table["dev_error"][:, -1]
    print(
        f"{len(final)} trials; final dev error: best {final.min():.3f}, "
        f"median {np.median(final):.3f}"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
