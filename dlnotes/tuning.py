"""Hyperparameter search: search spaces, random and grid search, successive halving and
Hyperband, over processes, results.

A **search space** maps each hyperparameter's name to a distribution::

    space = {"lr": LogUniform(1e-4, 1e-1), "hidden": Choice([32, 64, 128])}

* :class:`LogUniform` ``(low, high)``: ``exp(U(ln low, ln high))``, every decade equally likely
  (learning rates, weight decay, ``1 − β`` of an average);
* :class:`Uniform` ``(low, high)``: ``U(low, high)`` (dropout probability, a mixing weight);
* :class:`Choice` ``(options)``: one of a few values, equally likely (widths, activations).

:func:`random_search` draws ``n_trials`` configurations with :func:`sample_config`,
:func:`grid_search` takes every point of a grid; both call ``objective(config, seed)`` once per
trial and return a :class:`Results` table sorted best first. :func:`successive_halving` and
:func:`hyperband` spend a small budget (epochs) on many configurations and a large one only on
the survivors: ``objective(config, seed, budget)``. Trials run in parallel processes
with joblib (``n_jobs``), and scale out to a cluster through a joblib backend (``backend=``).

Reproducibility: trial ``i`` draws its configuration and its ``seed`` from the ``i``-th child of
``np.random.SeedSequence(seed)``, never from a shared stream, so the result does not depend on
the order in which the trials finish, on ``n_jobs`` or on the backend.

Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import itertools
import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from dlnotes._validate import check_bool, check_int, check_scalar

if TYPE_CHECKING:
    from typing import Unpack  # Python 3.11; only the annotations name it

    from matplotlib.axes import Axes

__all__ = [
    "Choice",
    "HalvingResults",
    "LogUniform",
    "Results",
    "SearchOptions",
    "Uniform",
    "grid_points",
    "grid_search",
    "halving_schedule",
    "hyperband",
    "hyperband_brackets",
    "narrow_space",
    "plot_results",
    "random_search",
    "sample_config",
    "successive_halving",
    "toy_objective",
    "trial_seeds",
]


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


def _check_rng(rng: Any, where: str) -> np.random.Generator:
    """Require a numpy Generator (``np.random.default_rng(seed)``), naming ``where``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a np.random.Generator (e.g. np.random.default_rng(0)), got "
            f"{type(rng).__name__}"
        )
    return rng


def _check_bounds(kind: str, low: Any, high: Any, *, positive: bool) -> None:
    lo = check_scalar(f"{kind}.low", low, low=0.0 if positive else None, low_inclusive=False)
    hi = check_scalar(f"{kind}.high", high)
    if not hi > lo:
        raise ValueError(f"{kind} needs low < high, got low={low!r}, high={high!r}")


@dataclass(frozen=True)
class LogUniform:
    """Log-uniform on ``[low, high]`` (``0 < low < high``): ``exp(u)``, ``u ~ U(ln low, ln high)``.

    Every decade gets the same share of samples: for ``LogUniform(1e-4, 1)`` a quarter of the
    draws fall in each of ``[1e-4, 1e-3]``, ..., ``[0.1, 1]``. ``grid(n)`` is ``np.geomspace``.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_bounds("LogUniform", self.low, self.high, positive=True)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        rng = _check_rng(rng, "LogUniform.sample")
        return float(np.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def grid(self, n: int) -> list[float]:
        """``n`` geometrically spaced values from ``low`` to ``high`` (both included; ``n = 1``
        gives ``[low]``)."""
        n = check_int("n", n, low=1)
        return [float(v) for v in np.geomspace(self.low, self.high, n)]


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high]``; ``grid(n)`` is ``np.linspace``.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_bounds("Uniform", self.low, self.high, positive=False)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        rng = _check_rng(rng, "Uniform.sample")
        return float(rng.uniform(self.low, self.high))

    def grid(self, n: int) -> list[float]:
        """``n`` evenly spaced values from ``low`` to ``high`` (both included; ``n = 1`` gives
        ``[low]``)."""
        n = check_int("n", n, low=1)
        return [float(v) for v in np.linspace(self.low, self.high, n)]


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (a non-empty sequence), each with probability ``1/len(options)``.

    ``grid(n)`` ignores ``n``: a grid takes every option.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    options: Sequence[Any]

    def __post_init__(self) -> None:
        if isinstance(self.options, (str, bytes)) or not isinstance(self.options, Sequence):
            raise TypeError(f"Choice.options must be a list or tuple, got {self.options!r}")
        if len(self.options) == 0:
            raise ValueError("Choice.options must not be empty, got []")
        object.__setattr__(self, "options", tuple(self.options))

    def sample(self, rng: np.random.Generator) -> Any:
        """One of the options."""
        rng = _check_rng(rng, "Choice.sample")
        return self.options[int(rng.integers(len(self.options)))]

    def grid(self, n: int) -> list[Any]:
        """Every option, in order (``n``, an int >= 1 as for the other distributions, is
        ignored)."""
        check_int("n", n, low=1)
        return list(self.options)


Distribution = LogUniform | Uniform | Choice


def _check_space(space: Any) -> dict[str, Distribution]:
    if not isinstance(space, Mapping):
        raise TypeError(f"space must be a dict name -> distribution, got {type(space).__name__}")
    if len(space) == 0:
        raise ValueError("space must name at least one hyperparameter, got {}")
    for name, dist in space.items():
        if not isinstance(name, str):
            raise TypeError(f"space keys must be strings, got {name!r}")
        if not isinstance(dist, (LogUniform, Uniform, Choice)):
            raise TypeError(
                f"space[{name!r}] must be a LogUniform, Uniform or Choice, got {dist!r}"
            )
    return dict(space)


def sample_config(space: Mapping[str, Distribution], rng: np.random.Generator) -> dict[str, Any]:
    """One configuration ``{name: value}``: a draw from each distribution of ``space``, in order.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    space = _check_space(space)
    rng = _check_rng(rng, "sample_config")
    return {name: dist.sample(rng) for name, dist in space.items()}


def grid_points(space: Mapping[str, Distribution], n_per_axis: int) -> list[dict[str, Any]]:
    """Every configuration of the grid: ``n_per_axis`` values per continuous axis, all options of
    a :class:`Choice`; the product in ``space`` order (the last name varies fastest).

    With ``d`` continuous axes that is ``n_per_axis ** d`` points, yet only ``n_per_axis``
    distinct values of each hyperparameter.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    space = _check_space(space)
    n = int(check_scalar("n_per_axis", n_per_axis, low=1, integer=True))
    axes = [dist.grid(n) for dist in space.values()]
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


# --------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------


def trial_seeds(seed: int, n_trials: int) -> list[tuple[np.random.Generator, int]]:
    """For each trial ``i``: a generator for its configuration and an int seed for its objective.

    Both come from child ``i`` of ``np.random.SeedSequence(seed)`` (``.spawn(n_trials)``), which
    is split in two again, so trial ``i`` gets the same numbers whatever ran before it or beside
    it: the basis of "parallel equals serial".

    Defined in chapter 13 (Hyperparameter tuning).
    """
    seed = int(check_scalar("seed", seed, low=0, integer=True))
    n = int(check_scalar("n_trials", n_trials, low=1, integer=True))
    out = []
    for child in np.random.SeedSequence(seed).spawn(n):
        config_seq, objective_seq = child.spawn(2)
        out.append(
            (np.random.default_rng(config_seq), int(objective_seq.generate_state(1, np.uint32)[0]))
        )
    return out


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _ceil_share(fraction: float, n: int) -> int:
    """``ceil(fraction · n)``, the number of items a share ``fraction`` of ``n`` keeps, without
    the float artefacts of ``math.ceil(fraction * n)``.

    A decimal fraction is not exact in binary, so its product with ``n`` can land just above a
    whole number: ``0.07 * 100 == 7.000000000000001`` and ``0.28 * 25 == 7.000000000000001``,
    where ``math.ceil`` gives 8. The product is first moved down by ``1e-14`` of its size (at
    least ``1e-14``): some fifty times its float error (about ``2e-16`` of its size), far less
    than any real part of an item. So
    ``_ceil_share(0.07, 100) == 7`` and ``_ceil_share(0.3, 10) == 3``, while
    ``_ceil_share(0.25, 10) == 3``; only a share within that margin above ``m / n`` would keep
    ``m`` items instead of ``m + 1``.
    """
    product = float(fraction) * int(n)
    return math.ceil(product - 1e-14 * max(1.0, abs(product)))


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (numbers.Number, str, np.generic)) and not isinstance(v, complex)


class Results:
    """The table of a search: one row (a dict) per trial, **sorted best first**.

    A row holds ``trial`` (its index), ``seed`` (given to the objective), the configuration and
    what the objective returned (the number under ``metric``, or every key of a returned dict).
    Failed runs (a NaN metric) sort last; ties keep trial order. ``seconds`` holds wall times,
    one per call of the objective in the order the calls were issued (not the rows' order), kept
    apart from the rows so two runs of the same search compare equal. From :func:`random_search`
    and :func:`grid_search`, ``seconds[i]`` is trial ``i``'s; in a rung of a halving run, the
    trials ran in trial order in the first rung and best first (of the previous rung) after; a
    :class:`HalvingResults` holds the seconds of all its rungs, so not one per row.

    ``best`` is the first row; ``column(name)`` an array over rows; ``to_markdown()`` a table.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    def __init__(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        metric: str,
        mode: str = "min",
        space: Mapping[str, Distribution] | None = None,
        seconds: Sequence[float] = (),
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
            raise TypeError(f"rows must be a list of dicts (one per trial), got {rows!r}")
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise TypeError(
                    f"rows[{i}] must be a dict (one trial's values by name), got {row!r}"
                )
            if metric not in row:
                raise ValueError(f"every row needs the metric {metric!r}; got keys {list(row)}")
            _real_number(row[metric], f"every row's metric {metric!r} must be a real number")
        self.metric = metric
        self.mode = mode
        self.space = dict(space) if space is not None else {}
        self.seconds = [float(s) for s in seconds]
        sign = 1.0 if mode == "min" else -1.0

        def key(item: tuple[int, Mapping[str, Any]]) -> tuple[bool, float, int]:
            value = float(item[1][metric])
            bad = not math.isfinite(value)
            return (bad, 0.0 if bad else sign * value, int(item[1].get("trial", item[0])))

        self.rows: list[dict[str, Any]] = [dict(r) for _, r in sorted(enumerate(rows), key=key)]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Results):
            return NotImplemented
        return (self.metric, self.mode, self.rows) == (other.metric, other.mode, other.rows)

    __hash__ = None  # type: ignore[assignment]

    @property
    def best(self) -> dict[str, Any]:
        """The best row (lowest metric for ``mode="min"``). A failed run (a NaN or infinite
        metric) is never the best: when every trial failed, ``best`` raises ``ValueError``."""
        if not self.rows:
            raise ValueError("an empty Results has no best row")
        if not math.isfinite(float(self.rows[0][self.metric])):
            raise ValueError(
                f"no trial succeeded: every row's {self.metric!r} is NaN or infinite (failed "
                "runs), so there is no best row; look at the rows (to_markdown()) to see why"
            )
        return self.rows[0]

    @property
    def params(self) -> list[str]:
        """The hyperparameter names (the search space's keys)."""
        return list(self.space)

    def column(self, name: str) -> np.ndarray:
        """The values of ``name`` over the rows (best first), as an array."""
        self._check_column(name)
        return np.array([row[name] for row in self.rows])

    def _check_column(self, name: str) -> None:
        if self.rows and name not in self.rows[0]:
            raise KeyError(f"no column {name!r}; columns are {list(self.rows[0])}")

    def top(self, fraction: float) -> Results:
        """The best ``ceil(fraction · n)`` rows (at least one) as a new :class:`Results`;
        ``ceil`` as :func:`_ceil_share` takes it (``top(0.07)`` of 100 rows keeps 7)."""
        fraction = check_scalar("fraction", fraction, low=0.0, high=1.0, low_inclusive=False)
        k = max(1, _ceil_share(fraction, len(self.rows)))
        return Results(self.rows[:k], metric=self.metric, mode=self.mode, space=self.space)

    def to_markdown(
        self, columns: Sequence[str] | None = None, *, max_rows: int | None = None, fmt: str = ".3g"
    ) -> str:
        """A Markdown table (best first); non-scalar columns (curves) are left out by default."""
        if not self.rows:
            return "(no trials)"
        if columns is None:
            columns = [k for k, v in self.rows[0].items() if _is_scalar(v)]
        elif isinstance(columns, str) or not isinstance(columns, Sequence):
            raise TypeError(f"columns must be a list of column names, got {columns!r}")
        for name in columns:
            self._check_column(name)
        rows = self.rows if max_rows is None else self.rows[:max_rows]

        def cell(v: Any) -> str:
            if isinstance(v, (float, np.floating)):
                return f"{float(v):{fmt}}"
            return str(v)

        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
        if len(rows) < len(self.rows):
            lines.append(f"\n({len(self.rows) - len(rows)} more rows)")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown(max_rows=20)

    def __repr__(self) -> str:
        best: dict[str, Any] | None = {}
        if self.rows:  # None when every trial failed (best would raise)
            top = self.rows[0]
            ok = math.isfinite(float(top[self.metric]))
            best = {k: v for k, v in top.items() if _is_scalar(v)} if ok else None
        return f"Results({len(self.rows)} trials, {self.mode} {self.metric}, best={best})"


def _no_range_message(name: str, values: list[Any], keep_fraction: float, n: int) -> str:
    """Why :func:`narrow_space` cannot make a range of ``name`` from the kept ``values``."""
    kept = f"keep_fraction={keep_fraction:g} keeps {len(values)} of {n} trials"
    if len(values) == 1:
        kept += f" ({name}={values[0]!r})"
    else:
        kept += f", all with {name}={values[0]!r}"
    return (
        f"{kept}: narrowing needs at least 2 distinct values of {name!r} to span a range; "
        "raise keep_fraction or run more trials"
    )


def narrow_space(
    results: Results,
    keep_fraction: float = 0.25,
    *,
    space: Mapping[str, Distribution] | None = None,
) -> dict[str, Distribution]:
    """Coarse to fine: the smallest box of the same kind around the best trials.

    Keeps the best ``ceil(keep_fraction · n)`` trials; each :class:`LogUniform`/:class:`Uniform`
    becomes ``[min, max]`` of the kept values (a log-uniform stays log-uniform), each
    :class:`Choice` keeps the options that appear among them. A range needs at least two
    distinct kept values: when they coincide (one trial kept, or a grid's trials sharing a
    value) a ``ValueError`` says so, instead of handing back the old range unnarrowed.
    ``space`` (default: the search's own) may name only hyperparameters that are columns of
    ``results``.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    if not isinstance(results, Results):
        raise TypeError(f"results must be the Results of a search, got {type(results).__name__}")
    keep_fraction = check_scalar(
        "keep_fraction", keep_fraction, low=0.0, high=1.0, low_inclusive=False
    )
    space = _check_space(space if space is not None else results.space)
    if not results.rows:
        raise ValueError("results has no trials to narrow the space around")
    columns = list(results.rows[0])
    missing = [name for name in space if name not in columns]
    if missing:
        raise ValueError(
            f"space names {missing}, which results has no column for (columns: {columns}); "
            "pass the space of that search"
        )
    kept = results.top(keep_fraction)
    new: dict[str, Distribution] = {}
    for name, dist in space.items():
        values = [row[name] for row in kept]
        if isinstance(dist, Choice):
            new[name] = Choice([o for o in dist.options if o in values])
            continue
        lo, hi = float(min(values)), float(max(values))
        if not hi > lo:
            raise ValueError(_no_range_message(name, values, keep_fraction, len(results.rows)))
        if isinstance(dist, LogUniform):
            new[name] = LogUniform(lo, hi)
        else:
            new[name] = Uniform(lo, hi)
    return new


# --------------------------------------------------------------------------------------------
# Running trials
# --------------------------------------------------------------------------------------------


def _one_trial(
    objective: Callable[..., Any],
    config: dict[str, Any],
    seed: int,
    metric: str,
    budget: float | None = None,
) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    out = objective(dict(config), seed) if budget is None else objective(dict(config), seed, budget)
    seconds = time.perf_counter() - start
    if isinstance(out, Mapping):
        if metric not in out:
            raise ValueError(
                f"the objective returned a dict without the metric {metric!r}: keys {list(out)}"
            )
        metrics = dict(out)
    else:
        metrics = {metric: out}
    metrics[metric] = _real_number(
        metrics[metric],
        f"the objective must return a number or a dict with a number under {metric!r}",
    )
    return metrics, seconds


def _real_number(value: Any, must: str) -> float:
    """``value`` as a float if it is a real number (a Python or numpy int or float), else a
    TypeError starting with ``must``. Booleans, complex numbers (a cast would drop the imaginary
    part with only a warning), strings (``np.str_`` too) and 0-d arrays are refused."""
    real = isinstance(value, (numbers.Real, np.integer, np.floating))
    if not real or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{must}, got {value!r} ({type(value).__name__})")
    return float(value)


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return check_bool("progress", progress)
    if "PYTEST_CURRENT_TEST" in os.environ or os.environ.get("DLNOTES_STATIC_SITE"):
        return False
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or "ipykernel" in sys.modules


@contextlib.contextmanager
def _backend(backend: str | None, n_jobs: int) -> Iterator[None]:
    if backend is None:
        yield
        return
    try:
        from joblib import parallel_config
    except ImportError:  # joblib < 1.3
        from joblib import parallel_backend

        with parallel_backend(backend, n_jobs=n_jobs):
            yield
        return
    with parallel_config(backend=backend, n_jobs=n_jobs):
        yield


_OPTIONS_DOC = """
    Keyword options (:class:`SearchOptions`, the same for every search):

    * ``n_jobs`` (default 1): processes that run trials at once (``-1``: one per core);
    * ``backend`` (default None): where they run. ``None`` is joblib's default (``"loky"``, local
      processes); ``"threading"`` suits objectives that release the GIL; ``"dask"`` runs on a
      Dask cluster once a ``dask.distributed.Client`` exists, and ``"ray"`` on a Ray cluster
      after ``ray.util.joblib.register_ray()``. The call is wrapped in
      ``joblib.parallel_config(backend=backend, n_jobs=n_jobs)``, and every backend gives the
      same rows: each trial's configuration and seed come from :func:`trial_seeds`;
    * ``progress`` (default None: shown in a terminal or a notebook, not under pytest or in the
      website build): a tqdm progress bar;
    * ``metric`` (default ``"score"``): the objective's number, or the key of the dict it
      returns, that ranks the trials;
    * ``mode`` (default ``"min"``): ``"min"``, the lowest ``metric`` wins, or ``"max"``.
"""


class SearchOptions(TypedDict, total=False):
    """The keyword options of :func:`random_search`, :func:`grid_search`,
    :func:`successive_halving` and :func:`hyperband`, each optional; :func:`random_search`'s
    docstring gives their meaning and defaults.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    n_jobs: int
    backend: str | None
    progress: bool | None
    metric: str
    mode: str


@dataclass(frozen=True)
class _Options:
    """The :class:`SearchOptions` of one search, defaults filled in; checked by :func:`_run`,
    after the objective."""

    n_jobs: int = 1
    backend: str | None = None
    progress: bool | None = None
    metric: str = "score"
    mode: str = "min"

    @classmethod
    def of(cls, search: Callable[..., Any], options: Mapping[str, Any]) -> _Options:
        """The options given to ``search``; an unknown name is reported with the keyword
        arguments ``search`` does take (its own and the options) and the closest of them."""
        known = list(cls.__dataclass_fields__)
        for name in options:
            if name not in known:
                parameters = inspect.signature(search).parameters.values()
                own = [p.name for p in parameters if p.kind is not p.VAR_KEYWORD]
                close = difflib.get_close_matches(name, own + known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(
                    f"{search.__name__}() got an unexpected keyword argument {name!r}{hint}; it "
                    f"takes {', '.join(own)} and the options {', '.join(known)}"
                )
        return cls(**options)


def _run(
    objective: Callable[..., Any],
    configs: list[dict[str, Any]],
    seeds: list[int],
    space: dict[str, Distribution],
    desc: str,
    options: _Options,
    *,
    budget: float | None = None,
    trials: list[int] | None = None,
) -> Results:
    """Run ``objective`` on every configuration (with its seed) and rank the rows: the one loop
    behind every search, serial or over joblib, with an optional progress bar."""
    metric, mode, backend = options.metric, options.mode, options.backend
    call = "objective(config, seed)" if budget is None else "objective(config, seed, budget)"
    if not callable(objective):
        raise TypeError(f"objective must be callable as {call}, got {objective!r}")
    try:
        takes = inspect.signature(objective)
    except (TypeError, ValueError):  # a builtin without a signature: the call will tell
        takes = None
    if takes is not None:
        try:
            takes.bind({}, 0, *([] if budget is None else [1.0]))
        except TypeError as err:
            raise TypeError(
                f"{desc} calls {call}, but the objective {takes} can't: {err}"
            ) from None
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string, got {metric!r}")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    n_jobs = int(check_scalar("n_jobs", options.n_jobs, integer=True))
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1 (all cores), got {n_jobs}")
    if backend is not None and not isinstance(backend, str):
        raise TypeError(f"backend must be a joblib backend name or None, got {backend!r}")
    bar = None
    if _show_progress(options.progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=len(configs), desc=desc, unit="trial")
    outs: list[tuple[dict[str, Any], float]] = []
    try:
        if n_jobs == 1 and backend is None:
            for config, s in zip(configs, seeds):
                outs.append(_one_trial(objective, config, s, metric, budget))
                if bar is not None:
                    bar.update(1)
        else:
            from joblib import Parallel, delayed

            with _backend(backend, n_jobs):
                calls = (
                    delayed(_one_trial)(objective, c, s, metric, budget)
                    for c, s in zip(configs, seeds)
                )
                try:
                    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
                except TypeError:  # joblib < 1.3: no generator, no live progress
                    parallel = Parallel(n_jobs=n_jobs)
                for out in parallel(calls):  # results come back in trial order
                    outs.append(out)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    ids = trials if trials is not None else list(range(len(configs)))
    extra = {} if budget is None else {"budget": budget}
    for i, config, s, (metrics, _) in zip(ids, configs, seeds, outs):
        rows.append({"trial": i, "seed": s, **config, **extra, **metrics})
    return Results(rows, metric=metric, mode=mode, space=space, seconds=[t for _, t in outs])


_SEARCH_DOC = """
    ``objective(config, seed)`` trains/evaluates one configuration (``config`` a dict
    ``{name: value}``, ``seed`` an int for its own randomness) and returns a number (stored under
    ``metric``) or a dict of numbers and curves containing ``metric``. It must be a module-level
    function (or ``functools.partial`` of one) or a function defined in a notebook, so that
    joblib can send it to worker processes.

    Returns a :class:`Results` sorted best first.
"""


def random_search(
    objective: Callable[[dict[str, Any], int], Any],
    space: Mapping[str, Distribution],
    n_trials: int,
    seed: int = 0,
    **options: Unpack[SearchOptions],
) -> Results:
    """Random search: ``n_trials`` configurations drawn independently from ``space``.

    Trial ``i`` gets ``config_i = sample_config(space, rng_i)`` and ``seed_i`` from
    :func:`trial_seeds` ``(seed, n_trials)[i]``, so ``n_jobs`` never changes the result.
    """
    space = _check_space(space)
    pairs = trial_seeds(seed, n_trials)
    configs = [sample_config(space, rng) for rng, _ in pairs]
    return _run(
        objective,
        configs,
        [s for _, s in pairs],
        space,
        "random search",
        _Options.of(random_search, options),
    )


def grid_search(
    objective: Callable[[dict[str, Any], int], Any],
    space: Mapping[str, Distribution],
    n_per_axis: int,
    seed: int = 0,
    **options: Unpack[SearchOptions],
) -> Results:
    """Grid search: every point of :func:`grid_points` ``(space, n_per_axis)``.

    Point ``i`` of the grid is trial ``i`` and gets ``seed_i`` from :func:`trial_seeds`.
    """
    space = _check_space(space)
    configs = grid_points(space, n_per_axis)
    pairs = trial_seeds(seed, len(configs))
    return _run(
        objective,
        configs,
        [s for _, s in pairs],
        space,
        "grid search",
        _Options.of(grid_search, options),
    )


_DEFINED = "\n    Defined in chapter 13 (Hyperparameter tuning).\n    "
for _search in (random_search, grid_search):
    _search.__doc__ = (
        (_search.__doc__ or "").rstrip() + "\n" + _SEARCH_DOC + _OPTIONS_DOC + _DEFINED
    )


# --------------------------------------------------------------------------------------------
# Successive halving and Hyperband
# --------------------------------------------------------------------------------------------


def halving_schedule(
    n_trials: int, min_budget: float, max_budget: float, eta: int = 3
) -> list[tuple[int, float]]:
    """The rungs of successive halving: ``[(n_0, r_0), (n_1, r_1), ...]``.

    Rung ``k`` evaluates ``n_k = floor(n_trials / eta^k)`` configurations (at least 1) with
    budget ``r_k = min_budget · eta^k``, capped at ``max_budget``; the last rung is the first
    that reaches ``max_budget`` or has one configuration left. The total cost is
    ``sum_k n_k r_k``: about ``n_trials · min_budget`` per rung, against
    ``n_trials · max_budget`` for a random search that trains every configuration fully.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    n = int(check_scalar("n_trials", n_trials, low=1, integer=True))
    r0 = check_scalar("min_budget", min_budget, low=0.0, low_inclusive=False)
    r_max = check_scalar("max_budget", max_budget, low=r0)
    eta = int(check_scalar("eta", eta, low=2, integer=True))
    rungs: list[tuple[int, float]] = []
    k = 0
    while True:
        n_k = max(1, n // eta**k)
        r_k = min(r0 * eta**k, r_max)
        rungs.append((n_k, r_k))
        if r_k >= r_max or n_k == 1:
            return rungs
        k += 1


class HalvingResults(Results):
    """:class:`Results` of the **last rung** of a successive-halving run (best first), plus

    * ``rungs``: one :class:`Results` per rung, each with a ``budget`` column;
    * ``budget_spent``: ``sum_k n_k r_k``, the compute used, in the objective's budget units.

    Its ``seconds`` are every rung's, rung after rung (``[t for r in rungs for t in r.seconds]``):
    one per call of the objective, so ``len(seconds)`` is the number of runs of every rung (of
    every bracket for :func:`hyperband`), not ``len(rows)``.

    Defined in chapter 13 (Hyperparameter tuning).
    """

    rungs: list[Results]
    budget_spent: float


def successive_halving(
    objective: Callable[..., Any],
    space: Mapping[str, Distribution],
    n_trials: int,
    min_budget: float,
    max_budget: float,
    *,
    eta: int = 3,
    seed: int = 0,
    **options: Unpack[SearchOptions],
) -> HalvingResults:
    """Successive halving (Jamieson & Talwalkar 2016): race ``n_trials`` random configurations,
    keeping the best ``1/eta`` at each rung and giving the survivors ``eta`` times the budget.

    ``objective(config, seed, budget)`` trains one configuration with ``budget`` (epochs, steps,
    examples: the caller's unit) **from scratch** and returns the metric (or a dict with it).
    Trial ``i`` draws its configuration and seed from :func:`trial_seeds` ``(seed, n_trials)[i]``
    exactly as :func:`random_search` does, and keeps that seed at every rung, so the first rung
    is a random search at ``min_budget`` and a run is reproducible whatever ``n_jobs``/``backend``.
    The rungs follow :func:`halving_schedule`; ties keep trial order. Returns a
    :class:`HalvingResults`.

    The bet: a configuration that is bad after a little training stays bad. It fails when the
    ranking changes with the budget (a small learning rate starts slow and ends best), which is
    why :func:`hyperband` hedges over several starting budgets.

    The keyword options (:class:`SearchOptions`) mean what they mean for :func:`random_search`,
    with the same defaults (``n_jobs=1``, ``backend=None``, ``progress=None``,
    ``metric="score"``, ``mode="min"``); every rung runs with them.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    space = _check_space(space)
    checked = _Options.of(successive_halving, options)
    rungs_plan = halving_schedule(n_trials, min_budget, max_budget, eta)
    pairs = trial_seeds(seed, n_trials)
    alive = list(range(int(n_trials)))
    configs = [sample_config(space, rng) for rng, _ in pairs]
    rungs: list[Results] = []
    spent = 0.0
    for k, (n_k, r_k) in enumerate(rungs_plan):
        alive = alive[:n_k] if k == 0 else alive
        res = _run(
            objective,
            [configs[i] for i in alive],
            [pairs[i][1] for i in alive],
            space,
            f"halving rung {k} (budget {r_k:g})",
            checked,
            budget=r_k,
            trials=alive,
        )
        rungs.append(res)
        spent += len(alive) * r_k
        if k + 1 < len(rungs_plan):
            alive = [int(row["trial"]) for row in res.rows[: rungs_plan[k + 1][0]]]
    last = rungs[-1]
    out = HalvingResults(
        last.rows,
        metric=checked.metric,
        mode=checked.mode,
        space=space,
        seconds=[t for r in rungs for t in r.seconds],
    )
    out.rungs, out.budget_spent = rungs, spent
    return out


def hyperband_brackets(
    max_budget: float, eta: int = 3, min_budget: float = 1.0
) -> list[tuple[int, float]]:
    """Hyperband's brackets ``[(n_s, r_s) for s = s_max, ..., 0]``: bracket ``s`` starts
    successive halving with ``n_s`` configurations at budget ``r_s``.

    ``s_max = floor(log_eta(max_budget / min_budget))``, ``n_s = ceil((s_max + 1) / (s + 1) ·
    eta^s)`` and ``r_s = max_budget · eta^(-s)`` (Li et al. 2018). The ceiling is taken in exact
    integer arithmetic: in floats ``11 / 9 · 3^8`` is ``8019.000000000001``, and ``math.ceil``
    would start 8020 configurations instead of 8019. For ``max_budget = 27``, ``eta = 3``:
    ``[(27, 1.0), (12, 3.0), (6, 9.0), (4, 27.0)]``.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    r_max = check_scalar("max_budget", max_budget, low=0.0, low_inclusive=False)
    r_min = check_scalar("min_budget", min_budget, low=0.0, high=r_max, low_inclusive=False)
    eta = int(check_scalar("eta", eta, low=2, integer=True))
    s_max = math.floor(math.log(r_max / r_min) / math.log(eta) + 1e-9)
    return [(-(-(s_max + 1) * eta**s // (s + 1)), r_max / eta**s) for s in range(s_max, -1, -1)]


def hyperband(
    objective: Callable[..., Any],
    space: Mapping[str, Distribution],
    max_budget: float,
    *,
    eta: int = 3,
    min_budget: float = 1.0,
    seed: int = 0,
    **options: Unpack[SearchOptions],
) -> HalvingResults:
    """Hyperband (Li et al. 2018): successive halving in ``s_max + 1`` brackets that trade the
    number of configurations against the budget each starts with.

    With ``s_max = floor(log_eta(max_budget / min_budget))``, bracket ``s = s_max, ..., 0``
    starts ``n_s = ceil((s_max + 1) / (s + 1) · eta^s)`` configurations at budget
    ``max_budget · eta^(-s)`` (:func:`hyperband_brackets`): the first bracket is the most
    aggressive halving, the last a plain random search at ``max_budget``. Each bracket uses its
    own seeds (child ``s_max − s`` of ``SeedSequence(seed)``). Returns the brackets' final
    rungs merged into one :class:`HalvingResults` (a ``bracket`` column says which), whose
    ``rungs`` are every rung of every bracket and ``budget_spent`` their total. The keyword options
    (:class:`SearchOptions`, defaults as for :func:`random_search`: ``n_jobs=1``,
    ``backend=None``, ``progress=None``, ``metric="score"``, ``mode="min"``) go to every
    bracket's :func:`successive_halving`.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    checked = _Options.of(hyperband, options)
    brackets = hyperband_brackets(max_budget, eta, min_budget)
    eta = int(eta)
    r_max = float(max_budget)
    seed = int(check_scalar("seed", seed, low=0, integer=True))
    bracket_seeds = np.random.SeedSequence(seed).spawn(len(brackets))
    rows: list[dict[str, Any]] = []
    rungs: list[Results] = []
    spent = 0.0
    seconds: list[float] = []
    for k, (n_s, r_s) in enumerate(brackets):
        s = len(brackets) - 1 - k
        bracket = successive_halving(
            objective,
            space,
            n_s,
            r_s,
            r_max,
            eta=eta,
            seed=int(bracket_seeds[k].generate_state(1, np.uint32)[0]),
            **options,
        )
        rows += [{"bracket": s, **row} for row in bracket.rows]
        rungs += bracket.rungs
        spent += bracket.budget_spent
        seconds += bracket.seconds
    space = _check_space(space)
    out = HalvingResults(
        rows, metric=checked.metric, mode=checked.mode, space=space, seconds=seconds
    )
    out.rungs, out.budget_spent = rungs, spent
    return out


# --------------------------------------------------------------------------------------------
# A synthetic objective and a plot
# --------------------------------------------------------------------------------------------


def toy_objective(
    config: Mapping[str, Any], seed: int = 0, *, x_star: float = 0.62, width: float = 0.06
) -> Any:
    """A 2-D loss on the unit square where only ``x`` matters much.

    ``loss(x, y) = 1 − exp(−(x − x*)² / (2 w²)) + 0.02 (y − 0.5)²``: a narrow valley at
    ``x = x*`` (width ``w``), nearly flat along ``y``. ``config`` holds ``"x"`` and ``"y"``
    (numbers, or arrays of one shape: the loss is then an array of that shape); ``seed`` is
    unused (the loss is deterministic). Minimum ``0`` at ``(x*, 0.5)``.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    if not isinstance(config, Mapping):
        raise TypeError(
            f"config must be a dict with 'x' and 'y' (say {{'x': 0.6, 'y': 0.5}}), got "
            f"{type(config).__name__}"
        )
    missing = [key for key in ("x", "y") if key not in config]
    if missing:
        raise ValueError(
            f"config must hold 'x' and 'y', the toy objective's two hyperparameters; it lacks "
            f"{missing} (keys: {list(config)})"
        )
    for key in ("x", "y"):
        value = config[key]
        kind = np.asarray(value).dtype.kind if not isinstance(value, (str, bytes, bool)) else ""
        if kind not in ("i", "u", "f"):
            raise TypeError(
                f"config[{key!r}] must be a real number or an array of real numbers, got {value!r}"
            )
    x_star = check_scalar("x_star", x_star)
    width = check_scalar("width", width, low=0.0, low_inclusive=False)
    x, y = np.asarray(config["x"], dtype=float), np.asarray(config["y"], dtype=float)
    loss = 1.0 - np.exp(-((x - x_star) ** 2) / (2 * width**2)) + 0.02 * (y - 0.5) ** 2
    return float(loss) if loss.ndim == 0 else loss


def plot_results(
    results: Results,
    x: str,
    y: str | None = None,
    *,
    ax: Axes | None = None,
    log: bool | None = None,
    color: str | None = None,
    label: str = "trials",
    labels: Mapping[str, str] | None = None,
) -> Axes:
    """Scatter a search: ``metric`` against hyperparameter ``x``, or ``x`` against ``y`` coloured
    by the metric; the best trial is ringed in black.

    Log axes are used for :class:`LogUniform` hyperparameters (``log=`` overrides, for ``x``);
    ``color`` and ``label`` style the trials' points in the one-hyperparameter plot.
    ``labels`` names the axes (and the colour bar) in the book's notation instead of the
    column names: a mapping from column names to axis labels, say
    ``{"lr": "learning rate α", "dev_error": "dev error"}``; a column it leaves out keeps its
    name, and a key that is no column of ``results`` raises ``ValueError``.
    Returns the axes (a new figure when ``ax`` is None).

    Defined in chapter 13 (Hyperparameter tuning).
    """
    import matplotlib.pyplot as plt

    from dlnotes.plots import COLORS

    if not isinstance(results, Results):
        raise TypeError(f"results must be a Results, got {type(results).__name__}")
    if len(results) == 0:
        raise ValueError("results has no trials to plot")
    for name in (x, y):
        if name is not None and name not in results.rows[0]:
            raise KeyError(f"no column {name!r}; columns are {list(results.rows[0])}")
    if labels is None:
        labels = {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a mapping of column names to str, got {labels!r}")
    for key, text in labels.items():
        if key not in results.rows[0]:
            raise ValueError(f"labels names no column {key!r}; columns are {list(results.rows[0])}")
        if not isinstance(text, str):
            raise TypeError(f"labels[{key!r}] must be a str, got {text!r}")
        if not text.strip():
            raise ValueError(f"labels[{key!r}] must be a non-empty str, got {text!r}")
    name_of = {**{c: c for c in (x, y, results.metric) if c is not None}, **labels}
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    score = results.column(results.metric).astype(float)
    xs = results.column(x)
    log_x = isinstance(results.space.get(x), LogUniform) if log is None else log
    if y is None:
        ax.scatter(xs, score, s=22, color=color or COLORS["gd"], alpha=0.85, label=label)
        ax.scatter([xs[0]], [score[0]], s=90, facecolors="none", edgecolors="k", label="best")
        ax.set_ylabel(name_of[results.metric])
    else:
        ys = results.column(y)
        points = ax.scatter(xs, ys, c=score, s=26, cmap="viridis_r")
        ax.scatter([xs[0]], [ys[0]], s=110, facecolors="none", edgecolors="k", label="best")
        ax.figure.colorbar(points, ax=ax, label=name_of[results.metric])
        ax.set_ylabel(name_of[y])
        if isinstance(results.space.get(y), LogUniform):
            ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(name_of[x])
    ax.legend(frameon=False)
    return ax
