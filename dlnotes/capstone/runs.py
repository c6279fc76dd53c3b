"""Part 1 of the capstone, "Diagnose these runs": seven small training runs, each with one thing
wrong, recorded the way a practitioner sees a run (train and dev curves, ``fit``'s diagnostics).

Every run trains a small MLP with :func:`dlnotes.train.fit` on the shipped Fashion-MNIST subset
(:func:`diagnosis_data`: 2000 training and 1000 dev images) and has exactly one cause of failure
that a healthy recipe (784-64-10 ReLU MLP, SGD with ``lr=0.05``, momentum ``0.9``, batches of 64,
10 epochs, shuffled batches) does not have; to show its cause clearly, a run may change more than
one setting of the recipe:

=====================  ============================================================================
cause                  what the run does differently
=====================  ============================================================================
``lr_too_high``        ``lr=0.8``
``lr_too_low``         ``lr=2e-4`` without momentum
``high_bias``          a 784-3-10 network (three hidden units)
``high_variance``      200 training images, a 784-256-256-10 network, 60 epochs
``saturating_init``    a 784-128-128-128-10 tanh network with ``N(0, 1)`` weights
``batchnorm_mismatch`` BatchNorm with ``momentum=0.001``: running statistics that never catch up
``no_shuffle``         training images sorted by class and ``shuffle=False``
=====================  ============================================================================

The learner sees them under the letters ``A``..``G`` (a fixed shuffle of the table), not by cause,
next to the healthy recipe itself, recorded as run ``"healthy"`` for comparison.
:func:`make_runs` trains them (about 10 s on one core), ``tools/make_capstone_runs.py`` writes
``dlnotes/capstone/runs.npz``, :func:`load_runs` reads it, :func:`plot_run` draws one.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes import init as _init
from dlnotes.data import load_fashion_mnist_subset
from dlnotes.exercises.ch16 import CAUSES, FIXES  # the options the learner chooses from
from dlnotes.layers import BatchNorm, Linear, ReLU
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.train import History, fit

__all__ = [
    "CAUSES",
    "DIAGNOSTIC_KEYS",
    "FIXES",
    "HEALTHY",
    "LABELS",
    "Run",
    "diagnosis_data",
    "load_runs",
    "make_runs",
    "plot_run",
    "save_runs",
]

#: What the learner sees: run letters. ``_ORDER[k]`` is the cause of run ``LABELS[k]``.
LABELS = ("A", "B", "C", "D", "E", "F", "G")
_ORDER = (
    "high_variance",
    "lr_too_low",
    "batchnorm_mismatch",
    "lr_too_high",
    "no_shuffle",
    "saturating_init",
    "high_bias",
)
#: The label of the healthy recipe's run, recorded for comparison.
HEALTHY = "healthy"
#: Per-layer diagnostics stored for every epoch (NaN where a layer has no such number).
DIAGNOSTIC_KEYS = ("act_std", "grad_std", "weight_grad_std", "update_ratio", "dead_frac")
_CURVES = ("train_loss", "train_acc", "dev_loss", "dev_acc")


@dataclass
class Run:
    """One recorded run as the learner sees it.

    ``train_loss``, ``train_acc``, ``dev_loss``, ``dev_acc``: per epoch, shape ``(E,)``;
    ``step_loss``: per optimizer step, ``(S,)``; ``layers``: the layer names;
    ``diagnostics[key]``: shape ``(E, L)``, :func:`dlnotes.train.layer_diagnostics` of the last
    batch of every epoch for each of the ``L`` layers (NaN where a layer has no such number);
    ``n_train``: training examples.

    Defined in chapter 16 (Capstone project).
    """

    label: str
    n_train: int
    train_loss: np.ndarray
    train_acc: np.ndarray
    dev_loss: np.ndarray
    dev_acc: np.ndarray
    step_loss: np.ndarray
    layers: tuple[str, ...]
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def diagnosis_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_dev, y_dev)``: 2000 and 1000 images of the shipped subset's training
    split (the first 3000, classes interleaved), flattened to ``(N, 784)`` in ``[0, 1]``.

    Defined in chapter 16 (Capstone project).
    """
    X, y, _, _ = load_fashion_mnist_subset()
    return X[:2000], y[:2000], X[2000:3000], y[2000:3000]


def _normal_init(shape: Any, *, seed: Any, dtype: Any) -> np.ndarray:
    return _init.normal(shape, 0.0, 1.0, seed=seed, dtype=dtype)


def _bn_net(seed: int, momentum: float) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Linear(784, 64, bias=False, seed=rng),
        BatchNorm(64, momentum=momentum),
        ReLU(),
        Linear(64, 10, seed=rng),
    )


def _recipe(cause: str, seed: int) -> tuple[Sequential, dict[str, Any], slice | None, bool]:
    """The model, fit keyword arguments, training-row selection and sort flag for one cause."""
    lr, momentum, epochs, rows, sort = 0.05, 0.9, 10, None, False
    if cause == "healthy":
        model = mlp([784, 64, 10], seed=seed)
    elif cause == "lr_too_high":
        model, lr = mlp([784, 64, 10], seed=seed), 0.8
    elif cause == "lr_too_low":
        model, lr, momentum = mlp([784, 64, 10], seed=seed), 2e-4, 0.0
    elif cause == "high_bias":
        model = mlp([784, 3, 10], seed=seed)
    elif cause == "high_variance":
        model, epochs, rows = mlp([784, 256, 256, 10], seed=seed), 60, slice(0, 200)
    elif cause == "saturating_init":
        model = mlp([784, 128, 128, 128, 10], activation="tanh", init=_normal_init, seed=seed)
    elif cause == "batchnorm_mismatch":
        model = _bn_net(seed, momentum=0.001)
    elif cause == "no_shuffle":
        model, sort = mlp([784, 64, 10], seed=seed), True
    else:
        raise ValueError(f"cause must be one of {CAUSES}, got {cause!r}")
    kwargs = {"optimizer": SGD(model.params, lr=lr, momentum=momentum), "epochs": epochs}
    return model, kwargs, rows, sort


def _diagnostic_table(history: History, n_layers: int) -> dict[str, np.ndarray]:
    table = {k: np.full((len(history.diagnostics), n_layers), np.nan) for k in DIAGNOSTIC_KEYS}
    for e, rows in enumerate(history.diagnostics):
        for i, row in enumerate(rows):
            for k in DIAGNOSTIC_KEYS:
                if k in row:
                    table[k][e, i] = row[k]
    return table


def make_runs(seed: int = 0) -> dict[str, Run]:
    """Train the seven runs (see the module docstring) and the healthy one; return them by label.

    Deterministic for a given ``seed`` on one machine (model weights from ``seed``, batch order
    from ``fit``'s ``seed``); about 10 s on one core.

    Defined in chapter 16 (Capstone project).
    """
    X, y, X_dev, y_dev = diagnosis_data()
    runs = {}
    for label, cause in [*zip(LABELS, _ORDER), (HEALTHY, "healthy")]:
        model, kwargs, rows, sort = _recipe(cause, seed)
        Xt, yt = (X, y) if rows is None else (X[rows], y[rows])
        if sort:
            order = np.argsort(yt, kind="stable")
            Xt, yt = Xt[order], yt[order]
        history = fit(
            model,
            Xt,
            yt,
            batch_size=64,
            dev=(X_dev, y_dev),
            shuffle=not sort,
            seed=seed,
            diagnostics=True,
            on_nonfinite="stop",
            progress=False,
            **kwargs,
        )
        runs[label] = Run(
            label=label,
            n_train=len(Xt),
            train_loss=np.asarray(history.train_loss),
            train_acc=np.asarray(history.train_acc),
            dev_loss=np.asarray(history.dev_loss),
            dev_acc=np.asarray(history.dev_acc),
            step_loss=np.asarray(history.step_loss),
            layers=tuple(layer.describe() for layer in model.layers),
            diagnostics=_diagnostic_table(history, len(model.layers)),
        )
    return runs


def _to_arrays(runs: dict[str, Run]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"labels": np.array(sorted(runs))}
    for label, run in runs.items():
        for name in (*_CURVES, "step_loss"):
            out[f"{label}/{name}"] = np.asarray(getattr(run, name), dtype=np.float64)
        out[f"{label}/n_train"] = np.array(run.n_train)
        out[f"{label}/layers"] = np.array(run.layers)
        for k, table in run.diagnostics.items():
            out[f"{label}/diag/{k}"] = table.astype(np.float64)
    return out


def save_runs(runs: dict[str, Run], path: str | Path) -> str:
    """Write ``runs`` to a compressed ``.npz`` (plain arrays, no pickle); return the SHA-256 of
    its arrays (the zip container stores timestamps, so the file's own hash would change).

    Defined in chapter 16 (Capstone project).
    """
    arrays = _to_arrays(runs)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def load_runs(path: str | Path | None = None) -> dict[str, Run]:
    """The seven recorded runs by letter and the healthy one (:data:`HEALTHY`), from ``path`` or
    the shipped ``runs.npz``.

    Defined in chapter 16 (Capstone project).
    """
    ref = resources.files("dlnotes.capstone").joinpath("runs.npz")
    with resources.as_file(ref) as shipped:
        source = Path(path) if path is not None else shipped
        data = np.load(source, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"path {str(source)!r} holds one array, not runs written by save_runs")
        with data:
            if "labels" not in data.files:
                raise ValueError(
                    f"path {str(source)!r} is not a file of runs written by save_runs (no "
                    "'labels' array)"
                )
            missing = [
                f"{label}/{name}"
                for label in (str(s) for s in data["labels"])
                for name in (*_CURVES, "step_loss", "n_train", "layers")
                if f"{label}/{name}" not in data.files
            ]
            if missing:
                raise ValueError(
                    f"path {str(source)!r} is not a file of runs written by save_runs: "
                    f"missing {missing[:3]}{' ...' if len(missing) > 3 else ''}"
                )
            runs = {}
            for label in (str(s) for s in data["labels"]):
                diag = {
                    k: data[f"{label}/diag/{k}"]
                    for k in DIAGNOSTIC_KEYS
                    if f"{label}/diag/{k}" in data.files
                }
                runs[label] = Run(
                    label=label,
                    n_train=int(data[f"{label}/n_train"]),
                    **{name: data[f"{label}/{name}"] for name in (*_CURVES, "step_loss")},
                    layers=tuple(str(s) for s in data[f"{label}/layers"]),
                    diagnostics=diag,
                )
    return runs


def plot_run(run: Run, *, ax: Any = None) -> Any:
    """Draw one run as the learner sees it: loss (train and dev, log scale) and accuracy above,
    the per-step loss and the update ratio ``||ΔW||/||W||`` of every weight layer (per epoch)
    below. Returns the figure.

    Without ``ax`` the figure is 2 × 2 panels, 7.3 in wide with 11-point text, so that it stays
    legible where it is scaled to a narrow notebook column (468 px: text about 9.7 px high).
    With ``ax`` (any 4 axes, in that order) the text follows the caller's ``rcParams``.

    Defined in chapter 16 (Capstone project).
    """
    import matplotlib.pyplot as plt

    if not isinstance(run, Run):
        raise TypeError(
            f"run must be a Run (one value of load_runs(), e.g. load_runs()['A']), "
            f"got {type(run).__name__}"
        )
    if ax is not None:
        from matplotlib.axes import Axes

        axes = np.asarray(ax, dtype=object).ravel()
        if len(axes) != 4:
            raise ValueError(f"ax must hold 4 axes, got {len(axes)}")
        bad = [a for a in axes if not isinstance(a, Axes)]
        if bad:
            raise TypeError(
                f"ax must hold 4 matplotlib Axes (e.g. plt.subplots(2, 2)[1]), got "
                f"{type(bad[0]).__name__}"
            )
        fig = axes[0].figure
        _draw_run(run, axes)
        return fig
    with plt.rc_context({"font.size": _RUN_FONT_PT}):
        fig, grid = plt.subplots(2, 2, figsize=(7.3, 5.3), layout="constrained")
        _draw_run(run, grid.ravel())
    return fig


#: The text size of :func:`plot_run`'s own figure, in points: at 7.3 in (about 740 px at 100 dpi)
#: scaled to a 468 px notebook column, 11 pt is about 9.7 px.
_RUN_FONT_PT = 11


def _draw_run(run: Run, axes: np.ndarray) -> None:
    """Draw ``run`` on four axes (loss, accuracy, mini-batch loss, update ratio), its legends
    and tick labels at the current ``font.size`` (set on the ticks, which matplotlib may create
    at draw time, after the caller's ``rc_context`` has ended)."""
    import matplotlib.pyplot as plt

    size = plt.rcParams["font.size"]
    epochs = np.arange(1, run.epochs + 1)
    colors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7"]  # Okabe-Ito
    a = axes[0]
    a.plot(epochs, run.train_loss, "o-", ms=3, color=colors[0], label="train")
    a.plot(epochs, run.dev_loss, "s-", ms=3, color=colors[1], label="dev")
    a.set(yscale="log", xlabel="epoch", title=f"run {run.label}: loss")
    a.legend(fontsize=size)
    a = axes[1]
    a.plot(epochs, run.train_acc, "o-", ms=3, color=colors[0], label="train")
    a.plot(epochs, run.dev_acc, "s-", ms=3, color=colors[1], label="dev")
    a.set(ylim=(0, 1.02), xlabel="epoch", title="accuracy")
    a = axes[2]
    a.plot(np.arange(1, len(run.step_loss) + 1), run.step_loss, lw=0.6, color=colors[0])
    a.set(yscale="log", xlabel="step", title="mini-batch loss")
    a = axes[3]
    weights = [i for i in range(len(run.layers)) if run.layers[i].startswith("Linear")]
    for j, i in enumerate(weights):
        a.plot(
            epochs,
            run.diagnostics["update_ratio"][:, i],
            "o-",
            ms=3,
            color=colors[j % len(colors)],
            label=f"layer {i}",
        )
    a.axhline(1e-3, color="0.6", ls=":", lw=1)
    a.set(yscale="log", xlabel="epoch", title="update ratio ‖ΔW‖/‖W‖")
    # beside the panel: up to four layers' lines fill it, and a legend inside would hide them
    a.legend(
        fontsize=size,
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        borderaxespad=0,
        handlelength=1.2,
        frameon=False,
    )
    for a in axes:
        a.tick_params(labelsize=size)
    for a in axes[[0, 2, 3]]:
        _plain_log_ticks(a)


def _plain_log_ticks(ax: Any) -> None:
    """On a log axis spanning less than a decade, a few plain values (2.3, 2.32, ...) instead of
    matplotlib's ``2.32 × 10⁰`` on every minor tick, which crowd and overrun the figure's edge
    (run B's loss, which barely moves, is the case in point)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    low, high = ax.get_ylim()
    if high / low < 10:
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
        ax.yaxis.set_minor_locator(NullLocator())
