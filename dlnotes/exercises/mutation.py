"""A mutation test of the checkers: wrong variants of every reference solution, and how
:func:`~dlnotes.exercises.check` answers them.

:func:`variants` builds, for one function exercise, the wrong answers a learner plausibly
writes by a *generic* slip: the reference's result times 2 or 0.1, negated, transposed, in
float32, as a list, its tuple reordered or short of an element, the input returned unchanged,
None (no ``return`` reached), the result of the first or previous call returned again (stale
state), a sequence one step late, or the reference run with one argument at its default, at
the first check's value or, for an integer, one less. Only the variants that apply to the
exercise's result are built.

:func:`measure` runs the visible checks on each variant (and each registered mistake) and
counts how many are *rejected* and how many are *named* (the feedback says
``Likely mistake: ...``, a registered mistake or a generic diagnosis, not only "wrong values").
A variant that gives the reference's result on every visible *and* hidden case is not wrong
(an equivalent mutant) and is left out. ``python3 tasks.py bench feedback`` prints the shares.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from dlnotes.exercises.core import (
    Exercise,
    FunctionExercise,
    _check_function,
    _compare,
    _fresh,
    exercises,
)
from dlnotes.exercises.diagnose import _exchangeable

__all__ = ["Report", "Result", "measure", "named", "variants"]

NAMED = "Likely mistake: "


@dataclass(frozen=True)
class Variant:
    """A wrong answer built from the reference: ``fn`` is called like the learner's function."""

    exercise: str
    name: str
    make: Callable[[], Callable[..., Any]]  # a fresh function (stale-state variants keep state)
    family: str = ""  # the transformation without the argument's name ("an argument ...")

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.name)


@dataclass(frozen=True)
class Result:
    """How :func:`check` answered one wrong answer."""

    exercise: str
    name: str
    kind: str  # "generated" or "registered"
    rejected: bool
    named: bool
    message: str
    family: str = ""


@dataclass
class Report:
    """Every result, and the shares rejected and named per kind."""

    results: list[Result] = field(default_factory=list)
    equivalent: list[tuple[str, str]] = field(default_factory=list)  # not wrong on any case

    def share(self, kind: str, what: str) -> float:
        rows = [r for r in self.results if r.kind == kind]
        return sum(getattr(r, what) for r in rows) / len(rows) if rows else 1.0

    def count(self, kind: str) -> int:
        return sum(r.kind == kind for r in self.results)

    def rows(self) -> list[dict[str, Any]]:
        """One row per exercise: variants generated, rejected and named; registered mistakes."""
        out = []
        for name in dict.fromkeys(r.exercise for r in self.results):
            mine = [r for r in self.results if r.exercise == name]
            gen = [r for r in mine if r.kind == "generated"]
            reg = [r for r in mine if r.kind == "registered"]
            out.append(
                {
                    "exercise": name,
                    "generated": len(gen),
                    "rejected": sum(r.rejected for r in gen),
                    "named": sum(r.named for r in gen),
                    "registered mistakes": len(reg),
                    "mistakes named": sum(r.named for r in reg),
                }
            )
        return out

    def by_family(self) -> list[dict[str, Any]]:
        """One row per transformation (and one for the registered mistakes)."""
        out = []
        gen = [r for r in self.results if r.kind == "generated"]
        for family in dict.fromkeys(r.family for r in gen):
            mine = [r for r in gen if r.family == family]
            out.append(_row(family, mine))
        out.append(_row("registered mistakes", [r for r in self.results if r.kind != "generated"]))
        return out

    def markdown(self) -> str:
        """The summary and the table by transformation, for the instructors' page."""
        head = "| wrong answers | count | rejected | named |\n|---|---|---|---|\n"
        body = "".join(
            f"| {r['wrong answers']} | {r['count']} | {r['rejected']} | {r['named']} |\n"
            for r in self.by_family()
        )
        return f"{self.summary()}.\n\n{head}{body}"

    def summary(self) -> str:
        g, m = self.count("generated"), self.count("registered")
        return (
            f"{g} generated wrong variants: {self.share('generated', 'rejected'):.1%} rejected, "
            f"{self.share('generated', 'named'):.1%} named; {m} registered mistakes: "
            f"{self.share('registered', 'rejected'):.1%} rejected, "
            f"{self.share('registered', 'named'):.1%} named"
        )


def _row(label: str, rows: list[Result]) -> dict[str, Any]:
    n = len(rows)
    rejected, named_ = sum(r.rejected for r in rows), sum(r.named for r in rows)
    return {
        "wrong answers": label,
        "count": n,
        "rejected": f"{rejected} ({rejected / n:.0%})" if n else "0",
        "named": f"{named_} ({named_ / n:.0%})" if n else "0",
    }


def named(message: str) -> bool:
    """True when the feedback names a mistake (registered or generic), not only a diff."""
    return NAMED in message


# --------------------------------------------------------------------------------------------
# Transformations of a result
# --------------------------------------------------------------------------------------------


def _first_leaf(x: Any) -> tuple[int, ...] | None:
    """The path to the first number or numeric array inside ``x`` (tuples and lists)."""
    if isinstance(x, np.ndarray):
        return () if x.dtype.kind in "iuf" and x.size > 0 else None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return ()
    if isinstance(x, (tuple, list)):
        for i, v in enumerate(x):
            sub = _first_leaf(v)
            if sub is not None:
                return (i, *sub)
    return None


def _replace(x: Any, path: tuple[int, ...], fn: Callable[[Any], Any]) -> Any:
    if not path:
        return fn(x)
    items = list(x)
    items[path[0]] = _replace(items[path[0]], path[1:], fn)
    return type(x)(items) if isinstance(x, tuple) else items


def _get(x: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        x = x[i]
    return x


def _on_leaf(fn: Callable[[Any], Any]) -> Callable[[Any, tuple, dict], Any]:
    def transform(out: Any, args: tuple, kwargs: dict) -> Any:
        path = _first_leaf(out)
        if path is None:
            raise _NotApplicable
        return _replace(out, path, fn)

    return transform


class _NotApplicable(Exception):
    """This transformation does not apply to this exercise's result."""


def _scale(c: float) -> Callable[[Any], Any]:
    def fn(v: Any) -> Any:
        return v * c

    return fn


def _transpose(v: Any) -> Any:
    if not (isinstance(v, np.ndarray) and v.ndim == 2) or (
        v.shape[0] == v.shape[1] and np.allclose(v, v.T)
    ):
        raise _NotApplicable
    return v.T.copy()


def _float32(v: Any) -> Any:
    if not (isinstance(v, np.ndarray) and v.dtype == np.float64):
        raise _NotApplicable
    return v.astype(np.float32)


def _to_list(v: Any) -> Any:
    if not isinstance(v, np.ndarray) or v.ndim == 0:
        raise _NotApplicable
    return v.tolist()


def _late(v: Any) -> Any:
    if not (isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) >= 3):
        raise _NotApplicable
    return np.concatenate([v[:1], v[:-1]])


def _swap(out: Any, args: tuple, kwargs: dict) -> Any:
    if not (isinstance(out, (tuple, list)) and len(out) >= 2):
        raise _NotApplicable
    items = list(out)
    items[0], items[1] = items[1], items[0]
    return type(out)(items)


def _drop_last(out: Any, args: tuple, kwargs: dict) -> Any:
    if not (isinstance(out, (tuple, list)) and len(out) >= 2):
        raise _NotApplicable
    return type(out)(list(out)[:-1])


def _return_input(out: Any, args: tuple, kwargs: dict) -> Any:
    path = _first_leaf(out)
    if path is None:
        raise _NotApplicable
    leaf = _get(out, path)
    for a in [*args, *kwargs.values()]:
        if isinstance(leaf, np.ndarray) and isinstance(a, np.ndarray) and a.shape == leaf.shape:
            return _replace(out, path, _const(a.copy()))
    raise _NotApplicable


def _no_return(out: Any, args: tuple, kwargs: dict) -> Any:
    if out is None:
        raise _NotApplicable
    return None


#: name → transformation of (result, arguments, keyword arguments)
TRANSFORMS: dict[str, Callable[[Any, tuple, dict], Any]] = {
    "×2": _on_leaf(_scale(2.0)),
    "×0.1": _on_leaf(_scale(0.1)),
    "sign flipped": _on_leaf(_scale(-1.0)),
    "transposed": _on_leaf(_transpose),
    "float32": _on_leaf(_float32),
    "list for an array": _on_leaf(_to_list),
    "one step late": _on_leaf(_late),
    "tuple reordered": _swap,
    "tuple missing its last element": _drop_last,
    "input returned": _return_input,
    "None (no return reached)": _no_return,
}


# --------------------------------------------------------------------------------------------
# Variants of one exercise
# --------------------------------------------------------------------------------------------


def _wrap(ex: FunctionExercise, transform: Callable[[Any, tuple, dict], Any]) -> Callable[..., Any]:
    def wrong(*args: Any, **kwargs: Any) -> Any:
        given = _fresh((args, kwargs))
        out = ex.solution(*args, **kwargs)
        try:
            return transform(out, *given)
        except _NotApplicable:  # not on this case's result: right here
            return out

    return wrong


def _stale(ex: FunctionExercise, which: str) -> Callable[[], Callable[..., Any]]:
    def make() -> Callable[..., Any]:
        memory: list[Any] = []

        def wrong(*args: Any, **kwargs: Any) -> Any:
            out = ex.solution(*args, **kwargs)
            memory.append(out)
            return memory[0] if which == "first" else memory[max(0, len(memory) - 2)]

        return wrong

    return make


def _with_argument(
    ex: FunctionExercise, index: int, name: str, change: Callable[[Any], Any]
) -> Callable[..., Any]:
    def wrong(*args: Any, **kwargs: Any) -> Any:
        if index < len(args):
            args = (*args[:index], change(args[index]), *args[index + 1 :])
        else:
            kwargs = {**kwargs, name: change(kwargs.get(name))}
        return ex.solution(*args, **kwargs)

    return wrong


def variants(ex: Exercise) -> list[Variant]:
    """The generic wrong variants of ``ex``'s reference that apply to its result (none for a
    value exercise)."""
    if not isinstance(ex, FunctionExercise):
        return []
    cases = ex.cases("visible")
    out: list[Variant] = []
    for tname, transform in TRANSFORMS.items():
        try:
            for case in cases[:1]:
                args, kwargs = _fresh((case.args, dict(case.kwargs)))
                transform(ex.solution(*args, **kwargs), args, kwargs)
        except _NotApplicable:
            continue
        out.append(Variant(ex.name, tname, partial(_wrap, ex, transform)))
    if len(cases) >= 2:
        out.append(Variant(ex.name, "stale: the first result again", _stale(ex, "first")))
        out.append(Variant(ex.name, "stale: the previous result", _stale(ex, "previous")))
    params = list(inspect.signature(ex.solution).parameters.values())
    first = cases[0].args if cases else ()
    for i in range(min(len(first), len(params))):
        for j in range(i + 1, min(len(first), len(params))):
            if _exchangeable(first[i], first[j]):
                out.append(
                    Variant(
                        ex.name,
                        f"{params[i].name} and {params[j].name} swapped",
                        partial(_with_swapped, ex, i, j),
                        "two arguments swapped",
                    )
                )
                break
        else:
            continue
        break  # one swap per exercise: the first pair of exchangeable arguments
    for index, p in enumerate(params):
        values = [
            (c.args[index] if index < len(c.args) else c.kwargs.get(p.name, p.default))
            for c in cases
        ]
        if not all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in values
        ):
            continue
        if p.default is not inspect.Parameter.empty:
            out.append(
                Variant(
                    ex.name,
                    f"{p.name} ignored (its default)",
                    partial(_with_argument, ex, index, p.name, _const(p.default)),
                    "an argument ignored (its default used)",
                )
            )
        elif len({float(v) for v in values}) > 1:
            first = values[0]
            out.append(
                Variant(
                    ex.name,
                    f"{p.name} hard-coded (check 1's value)",
                    partial(_with_argument, ex, index, p.name, _const(first)),
                    "an argument hard-coded (check 1's value)",
                )
            )
        if all(isinstance(v, (int, np.integer)) for v in values) and p.name in _COUNTERS:
            out.append(
                Variant(
                    ex.name,
                    f"{p.name} off by one",
                    partial(_with_argument, ex, index, p.name, _minus_one),
                    "a step counter one less",
                )
            )
    return out


def _with_swapped(ex: FunctionExercise, i: int, j: int) -> Callable[..., Any]:
    def wrong(*args: Any, **kwargs: Any) -> Any:
        a = list(args)
        if max(i, j) < len(a) and _exchangeable(a[i], a[j]):
            a[i], a[j] = a[j], a[i]
        return ex.solution(*a, **kwargs)

    return wrong


def _minus_one(v: Any) -> Any:
    return v - 1


def _const(value: Any) -> Callable[[Any], Any]:
    def change(old: Any) -> Any:
        return value

    return change


#: integer arguments that count steps, where off by one is a classic slip
_COUNTERS = {"t", "steps", "step", "epoch", "epochs", "n", "warmup_steps", "total_steps", "start"}


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def _equivalent(ex: FunctionExercise, make: Callable[[], Callable[..., Any]]) -> bool:
    """True when the variant gives the reference's result on every visible and hidden case."""
    for suite in ("visible", "hidden"):
        fn = make()
        for case in ex.cases(suite):
            try:
                a, k = _fresh((case.args, dict(case.kwargs)))
                got = fn(*a, **k)
            except Exception:
                return False
            a, k = _fresh((case.args, dict(case.kwargs)))
            expected = ex.solution(*a, **k)
            if _compare(expected, got, ex.rtol, ex.atol) is not None:
                return False
    return True


def _verdict(ex: FunctionExercise, fn: Callable[..., Any]) -> tuple[bool, str]:
    return _check_function(ex, fn, "visible", ex.time_limit, integrity=False)


def measure(selection: Iterable[Exercise] | None = None) -> Report:
    """Check every generated variant and registered mistake of the function exercises."""
    with np.errstate(all="ignore"):  # wrong variants overflow and divide by zero freely
        return _measure(exercises() if selection is None else selection)


def _measure(selection: Iterable[Exercise]) -> Report:
    report = Report()
    for ex in selection:
        if not isinstance(ex, FunctionExercise):
            continue
        for v in variants(ex):
            if _equivalent(ex, v.make):
                report.equivalent.append((ex.name, v.name))
                continue
            passed, message = _verdict(ex, v.make())
            report.results.append(
                Result(ex.name, v.name, "generated", not passed, named(message), message, v.family)
            )
        for m in ex.mistakes:
            passed, message = _verdict(ex, m.wrong)
            report.results.append(
                Result(
                    ex.name, m.name, "registered", not passed, named(message), message, "registered"
                )
            )
    return report
