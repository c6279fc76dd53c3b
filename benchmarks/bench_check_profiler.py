"""What ``check``'s refusal of deep-learning frameworks costs on loop-heavy answers.

``check`` runs the learner's function under a profiler (``sys.setprofile``) that, for every
exercise but chapter 15's port, looks at each compiled function the answer calls (each
``c_call``) and each Python frame it enters to refuse torch, jax or tensorflow
(``dlnotes.exercises.core._profiler``). An answer written as a Python loop makes a compiled call
or more per entry, so that is where the refusal costs most. Each answer is checked (visible
suite, output discarded) with the refusal on, as a notebook's ``check`` runs it, and off (the
same exercise with ``frameworks_allowed=True``: every other check, the integrity check's
profiler included, still runs), in the same run; ``x on/off`` is their ratio. ``bare ms`` is the
answer called once on each visible case without ``check``, for scale. The visible cases are
small, so ``check``'s other work dilutes the profiler's: the last rows time one call of a loop
answer on a 100×100 input as ``check`` makes it (``core._timed_call``), without the profiler,
with the refusal off and on.

    python -m benchmarks check_profiler
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import textwrap
import time
from typing import Any

import numpy as np

#: ``(label, exercise, source of a correct answer)``: learner-style answers, compiled here so
#: that their code is not the reference's (which the integrity check refuses)
ANSWERS = (
    (
        "ch09 L1 prox step, Python loop over entries",
        "ch09_l1_prox_step",
        """
        def l1_prox_step(w, g, lr, lam):
            out = np.empty_like(w)
            for i in np.ndindex(w.shape):
                z = w[i] - lr * g[i]
                out[i] = np.sign(z) * max(abs(z) - lr * lam, 0.0)
            return out
        """,
    ),
    (
        "ch09 L1 prox step, vectorised",
        "ch09_l1_prox_step",
        """
        def l1_prox_step(w, g, lr, lam):
            z = w - lr * g
            return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)
        """,
    ),
    (
        "ch03 EWA, Python loop over steps",
        "ch03_ewa",
        """
        def ewa(series, beta, bias_correction):
            out = np.empty(len(series), dtype=np.float64)
            v = 0.0
            for t in range(1, len(series) + 1):
                v = beta * v + (1 - beta) * series[t - 1]
                out[t - 1] = v / (1 - beta**t) if bias_correction else v
            return out
        """,
    ),
    (
        "ch08 numerical gradient (two-sided, loop over entries)",
        "ch08_numerical_gradient",
        """
        def numerical_gradient(f, x, h):
            x = np.array(x, dtype=np.float64)
            grad = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                f_plus = f(x)
                x[i] = old - h
                f_minus = f(x)
                x[i] = old
                grad[i] = (f_plus - f_minus) / (2 * h)
            return grad
        """,
    ),
)


def _answer(source: str) -> Any:
    namespace: dict[str, Any] = {"np": np}
    exec(compile(textwrap.dedent(source), "<answer>", "exec"), namespace)
    (fn,) = [v for k, v in namespace.items() if k != "np" and callable(v)]
    return fn


def _check_seconds(ex: Any, fn: Any, repeat: int) -> float:
    """Best time of one quiet ``check(ex, fn)``; refuses an answer that does not pass."""
    from dlnotes.exercises import check

    best = float("inf")
    for k in range(repeat + 1):  # the first run warms caches up and is not timed
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            check(ex, fn)
        elapsed = time.perf_counter() - t0
        if k == 0 and "✓" not in out.getvalue():
            raise RuntimeError(f"{ex.name}: the benchmark's answer fails: {out.getvalue()[:500]}")
        best = min(best, elapsed) if k else best
    return best


def _bare_seconds(ex: Any, fn: Any, repeat: int) -> float:
    """Best time of calling ``fn`` once on each visible case, without ``check``."""
    from dlnotes.exercises.core import _fresh

    cases = list(ex.suites["visible"]())
    best = float("inf")
    for _ in range(repeat):
        args = [(_fresh(c.args), _fresh(dict(c.kwargs))) for c in cases]
        t0 = time.perf_counter()
        for a, kw in args:
            fn(*a, **kw)
        best = min(best, time.perf_counter() - t0)
    return best


#: ``(label, exercise, index of the answer in ANSWERS)`` of one call on a larger input,
#: where the profiler's cost per compiled call shows undiluted by check's other work
LARGE = (
    ("ch09 L1 prox step, Python loop", "ch09_l1_prox_step", 0),
    ("ch08 numerical gradient, f = Σx²", "ch08_numerical_gradient", 3),
)


def _large_args(name: str, side: int) -> tuple:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(side, side))
    if name == "ch08_numerical_gradient":
        return (lambda x: float((x * x).sum()), w, 1e-5)
    return (w, rng.normal(size=(side, side)), 0.1, 0.5)


def _watched_seconds(ex: Any, fn: Any, args: tuple, repeat: int) -> dict[str, float]:
    """Best times of one call of ``fn`` as check makes it (``core._timed_call``): without the
    profiler, under it with the refusal off, and on; interleaved."""
    from dlnotes.exercises import core

    case = core.Case(label="large", args=args)
    forbidden = {
        code: dotted for dotted, obj in ex.reference_callables() for code in core._code_objects(obj)
    }
    ways = {"none": ({}, False), "off": (forbidden, False), "on": (forbidden, True)}
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(repeat):
        for way, (forb, frameworks) in ways.items():
            t0 = time.perf_counter()
            run = core._timed_call(fn, case, 600.0, forb, frameworks=frameworks)
            best[way] = min(best[way], time.perf_counter() - t0)
            if run.error is not None or run.called_reference is not None:
                raise RuntimeError(f"{ex.name}: {run.error or run.called_reference}")
    return best


def run(quick: bool = False) -> dict[str, Any]:
    from dlnotes.exercises import get

    repeat = 3 if quick else 15
    rows = []
    for label, name, source in ANSWERS:
        ex = get(name)
        fn = _answer(source)
        off = dataclasses.replace(ex, frameworks_allowed=True)
        on_s = off_s = float("inf")
        for _ in range(3):  # interleaved, so that a busy moment weighs on both alike
            on_s = min(on_s, _check_seconds(ex, fn, max(1, repeat // 3)))
            off_s = min(off_s, _check_seconds(off, fn, max(1, repeat // 3)))
        rows.append(
            {
                "answer": label,
                "measured": "check, visible suite",
                "bare ms": round(1000 * _bare_seconds(ex, fn, repeat), 2),
                "ms, refusal on": round(1000 * on_s, 2),
                "ms, refusal off": round(1000 * off_s, 2),
                "x on/off": round(on_s / off_s, 3),
            }
        )
    for label, name, k in LARGE:
        ex = get(name)
        fn = _answer(ANSWERS[k][2])
        side = 30 if quick else 100
        best = _watched_seconds(ex, fn, _large_args(name, side), repeat)
        rows.append(
            {
                "answer": f"{label}, {side}×{side}",
                "measured": "one watched call",
                "bare ms": round(1000 * best["none"], 2),
                "ms, refusal on": round(1000 * best["on"], 2),
                "ms, refusal off": round(1000 * best["off"], 2),
                "x on/off": round(best["on"] / best["off"], 3),
            }
        )
    return {
        "title": "check: cost of refusing deep-learning frameworks (c_call profiling)",
        "rows": rows,
        "notes": "check rows: best of interleaved runs of check(exercise, answer) on the visible "
        "suite, with the framework refusal on (as in a notebook) and off (frameworks_allowed="
        "True, every other check kept); bare ms is the answer alone on the visible cases. "
        "One-watched-call rows: the answer called once as check calls it (core._timed_call) on "
        "a larger input, with no profiler (bare ms), under the integrity profiler with the "
        "refusal off, and on. x on/off is the ratio of on to off.",
    }
