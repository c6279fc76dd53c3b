"""The machinery behind :func:`check`: exercise records, registry, running learner code, feedback.

A *function exercise* asks the learner to write a function. :func:`check` calls it on every
:class:`Case` of a suite and, for each call,

1. runs it under a time limit (``signal.setitimer`` where available, a watchdog thread elsewhere)
   and under ``sys.setprofile``, which notices if it calls the library's own solution;
2. reports an exception with the line of the learner's code that raised it;
3. compares the result with the reference solution's on the same inputs: type, shape, dtype,
   then every value with ``np.isclose(got, expected, rtol, atol)``;
4. checks that the inputs were not modified in place and that the result is not an input array.

When some check fails, each known :class:`Mistake` (a small wrong implementation) is run on the
same inputs; if the learner's behaviour (result and changes to the inputs) matches a mistake's on
every case, the message names that mistake and gives its hint. An answer that raises is named by
the mistake that raises the same exception with the same message on that case (numpy's broadcast
errors name the shapes, so a mistake can be declared for an axis without ``keepdims``).

A *value exercise* (an explorer challenge) asks for a number or a setting; its ``verify``
function runs the experiment with that value and says whether the target was reached and why not,
naming the known mistake whose test (declared with it, see :class:`ValueMistakes`) the value meets.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import ast
import copy
import ctypes
import dataclasses
import difflib
import dis
import functools
import html
import importlib
import inspect
import io
import linecache
import math
import os
import pkgutil
import re
import signal
import sys
import sysconfig
import threading
import time
import traceback
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from types import CodeType, FrameType, FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np

from dlnotes.exercises.verdict import CheckFailed, CheckUsageError, fold, report

if TYPE_CHECKING:
    from dlnotes.exercises.diagnose import Diagnosis

__all__ = [
    "Case",
    "Catalogue",
    "CheckFailed",
    "Exercise",
    "FunctionExercise",
    "Mistake",
    "Mistakes",
    "ValueExercise",
    "ValueMistakes",
    "ValueVerdict",
    "catalogue",
    "check",
    "exercises",
    "get",
    "hint",
    "register",
    "seeded",
]

SUITES = ("visible", "hidden")
#: The start of the last-resort verdict when the checker itself fails on an answer (the
#: property-based test asserts that it never appears).
CHECKER_FAILED = "the checker could not examine"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: its arguments and a short description.

    ``args``/``kwargs`` go to the learner's function, the reference and every mistake. Arrays
    in them are copied afresh for each call, so no call can spoil another's inputs.
    ``label`` says in words what the case is, e.g. ``"rotated κ=10 quadratic, d=2"``.
    """

    label: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer, its name and the hint that fixes it.

    For a function exercise ``wrong`` is a wrong implementation with the learner's signature
    (declared with :class:`Mistakes`); for a value exercise it is a wrong value that shows the
    mistake (declared with :class:`ValueMistakes`). The tests check that :func:`check` rejects
    ``wrong`` and names the mistake.
    """

    name: str
    hint: str
    wrong: Any


class _Declared:
    """Mistakes declared one at a time, each name once, kept in declaration order."""

    def __init__(self) -> None:
        self._declared: list[Mistake] = []

    def _declare(self, mistake: Mistake) -> None:
        if any(m.name == mistake.name for m in self._declared):
            raise ValueError(f"a mistake named {mistake.name!r} is already declared")
        self._declared.append(mistake)

    @property
    def all(self) -> tuple[Mistake, ...]:
        """Every declared mistake, in declaration order."""
        return tuple(self._declared)


class Mistakes(_Declared):
    """The common mistakes of one function exercise, each declared on its own code.

    A chapter module writes every wrong implementation once, with its name and hint on top::

        momentum_step_mistakes = Mistakes()

        @momentum_step_mistakes.add("lr inside the velocity", "the velocity holds no lr: ...")
        def _lr_in_velocity(x, v, g, lr, rho):
            ...

    and hands ``momentum_step_mistakes.all`` to its :class:`FunctionExercise`. The decorator
    returns the function unchanged, so a mistake stays a plain function that tests can call.
    """

    def add(self, name: str, hint: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: declare the decorated function as the mistake ``name`` with ``hint``."""

        def declare(wrong: Callable[..., Any]) -> Callable[..., Any]:
            self._declare(Mistake(name, hint, wrong))
            return wrong

        return declare


class ValueMistakes(_Declared):
    """The common mistakes of one value exercise, each declared on the test that recognizes it.

    A chapter module writes, for every mistake, a predicate on the learner's value with the
    mistake's name, its hint and a wrong value that shows it on top::

        lr_challenge_mistakes = ValueMistakes()

        @lr_challenge_mistakes.add("too small", "the flat direction shrinks ...", example=0.5)
        def _too_small(lr: float) -> bool:
            ...  # True when a failing lr shows this mistake

    hands ``lr_challenge_mistakes.all`` to its :class:`ValueExercise`, and its ``verify`` names
    the mistake of a value that missed the target with ``lr_challenge_mistakes.shown_by(lr)``.
    ``shown_by`` tries the predicates in declaration order and names the first that holds, so
    a predicate may take for granted that the value failed and that the mistakes declared
    before it did not match. The decorator returns the predicate unchanged; each ``example``
    becomes the mistake's ``wrong`` value, which the tests check is rejected and named.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shows: list[Callable[..., Any]] = []

    def add(
        self, name: str, hint: str, *, example: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: declare the decorated predicate as recognizing the mistake ``name``, with
        ``hint`` and the wrong value ``example``."""

        def declare(shows: Callable[..., Any]) -> Callable[..., Any]:
            self._declare(Mistake(name, hint, example))
            self._shows.append(shows)
            return shows

        return declare

    def shown_by(self, *args: Any, **kwargs: Any) -> str | None:
        """The name of the first declared mistake whose predicate holds for ``args``/``kwargs``
        (what ``verify`` passes: the learner's value, checked and converted), else None."""
        for mistake, shows in zip(self._declared, self._shows):
            if shows(*args, **kwargs):
                return mistake.name
        return None


@dataclass(frozen=True)
class ValueVerdict:
    """What a value exercise's ``verify`` function concludes about the learner's value.

    ``summary`` is one line (``"lr = 0.3: after 60 steps f = 3.1e-02"``); ``mistake`` is the
    name of one of the exercise's mistakes when the failure is a known one (what
    :meth:`ValueMistakes.shown_by` returns); ``details`` are extra lines (numbers that explain
    the diagnosis). ``points`` is a sentence said after the summary about the points the answer
    earns, for a summary that could read as partial credit ("5 of 7 runs diagnosed right" of an
    all-or-nothing answer); ``""``: none.
    """

    passed: bool
    summary: str
    mistake: str | None = None
    details: tuple[str, ...] = ()
    points: str = ""


@dataclass(frozen=True, kw_only=True)
class Exercise(ABC):
    """What every exercise of the book has. Chapters declare one of its two kinds: a
    :class:`FunctionExercise` (the answer is a function) or a :class:`ValueExercise` (the answer
    is a value, e.g. an explorer challenge's setting).

    ``solution`` is the reference answer, ``mistakes`` the common wrong answers that
    :func:`check` names. ``kind`` (``"function"`` or ``"value"``) is set by the subclass, for
    code that reads the registry; ``Exercise`` itself cannot be built.
    """

    name: str
    chapter: str
    title: str
    signature: str
    hint: str
    solution: Any
    mistakes: tuple[Mistake, ...] = ()

    @property
    @abstractmethod
    def kind(self) -> Literal["function", "value"]:
        """``"function"`` or ``"value"``: what the learner's answer is."""

    def mistake(self, name: str) -> Mistake:
        """The mistake called ``name``."""
        for m in self.mistakes:
            if m.name == name:
                return m
        raise KeyError(f"{self.name} has no mistake named {name!r}")


@dataclass(frozen=True, kw_only=True)
class FunctionExercise(Exercise):
    """An exercise whose answer is a function: ``solution`` is the reference implementation,
    ``suites`` map ``"visible"``/``"hidden"`` to a function building that suite's cases (see
    :func:`seeded`), ``mistakes`` (see :class:`Mistakes`) are wrong implementations that
    :func:`check` names. ``references`` names the library functions (``"module:qualname"``)
    that count as "the reference" for the integrity check, besides ``solution`` itself.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    kind: ClassVar[Literal["function"]] = "function"
    suites: Mapping[str, Callable[..., Sequence[Case]]]
    references: tuple[str, ...] = ()
    #: what a call of one of ``references`` is told, when the library function holds only a
    #: part of the answer (``"this exercise asks you to write the softmax yourself"``); empty:
    #: it is called the library's code for this exercise's answer
    references_say: str = ""
    #: what the answer must use, beyond giving the right values (chapter 15's port must train
    #: with ``torch.optim.SGD``, not compute the same numbers by hand): ``"module:qualname"`` of
    #: a function returning a context manager, entered around each call of the answer, that
    #: yields ``met(args, kwargs, output) -> bool``; ``required_says`` is what a right answer
    #: that does not meet it is told
    required: str = ""
    required_says: str = ""
    #: whether the answer may call a deep-learning framework (torch, torchvision, functorch):
    #: only chapter 15's port, which is written in one. Everywhere else the exercise asks for
    #: numpy, and a framework would hold the answer (autograd writes a backward rule, ``torch.
    #: softmax`` is a softmax): ``check`` refuses a function that calls one, and the grader's
    #: sandbox withholds them (``tools/grading/withheld.py``)
    frameworks_allowed: bool = False
    rtol: float = 1e-7
    atol: float = 1e-10
    #: seconds each call of the learner's function may take (``check(time_limit=...)`` overrides)
    time_limit: float = 5.0
    #: what the result's arrays must be: ``"new"`` arrays (never (a view of) an input, the
    #: default), or the ``"input"``'s own arrays (e.g. the model parameters to train, which a
    #: copy would leave untouched)
    output: Literal["new", "input"] = "new"
    #: the exercise's own wording for generic diagnoses (:mod:`dlnotes.exercises.diagnose`),
    #: keyed by diagnosis key: ``{"factor 1 - beta1": "did you drop the bias correction?"}``
    diagnoses: Mapping[str, str] = field(default_factory=dict)
    #: the strings the answer may return, for a function whose result is one of a few labels
    #: (``("high bias", "high variance", ...)``): a string that is none of them is told so,
    #: with the labels as they must be written. Empty: for a ``-> str`` signature, the
    #: strings the reference returns on the suite's checks
    labels: tuple[str, ...] = ()
    #: other words learners use for a label (``{"overfitting": "high variance"}``), matched
    #: regardless of capitals, spaces, hyphens and underscores: such an answer is told the
    #: label it names, to be returned as written (never accepted)
    label_synonyms: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.output not in ("new", "input"):
            raise ValueError(f"{self.name}: output must be 'new' or 'input', got {self.output!r}")
        if not self.time_limit > 0:
            raise ValueError(
                f"{self.name}: time_limit must be > 0 seconds, got {self.time_limit!r}"
            )
        if bool(self.required) != bool(self.required_says):
            raise ValueError(f"{self.name}: required and required_says go together")
        if not all(type(label) is str for label in self.labels):
            raise ValueError(f"{self.name}: labels must be strings, got {self.labels!r}")
        stray = [v for v in self.label_synonyms.values() if v not in self.labels]
        if stray:
            raise ValueError(f"{self.name}: label_synonyms name labels not in labels: {stray!r}")

    def cases(self, suite: str = "visible", seed: int | None = None) -> list[Case]:
        """The cases of ``suite`` (``"visible"`` or ``"hidden"``), built afresh.

        Each suite is built by a case *generator* from a seed: without ``seed`` the package's
        public one (the visible cases ``check`` runs in a notebook, and for the hidden suite
        the practice cases of ``check(..., suite="hidden")``). The graded cases of both come
        from the instructor's private seed and exist only in the instructor key (``tasks.py
        key``). A suite whose generator takes no seed is fixed and ignores ``seed``.
        """
        if suite not in self.suites:
            raise ValueError(
                f"suite must be one of {sorted(self.suites)} for {self.name}, got {suite!r}"
            )
        build = self.suites[suite]
        if seed is None or "seed" not in inspect.signature(build).parameters:
            return list(build())
        return list(build(seed=int(seed)))

    def refusal(self, called: str) -> str:
        """What a learner's function that called ``called`` is told: a dotted name from
        :meth:`reference_callables` (or ``module:qualname``, as the grader writes it), the
        solution or library code holding the answer (e.g. the autograd node whose backward
        rule the exercise asks for, refused even when only its forward value is used)."""
        sol = self.solution
        if called.replace(":", ".") == f"{sol.__module__}.{sol.__qualname__}":
            return f"your function calls dlnotes' own solution ({called})"
        if called.split(".")[0] in FRAMEWORKS:
            return (
                f"your function calls {called.split('.')[0]} ({called}): this exercise asks "
                "for numpy, and the grader withholds the frameworks (only chapter 15's port "
                "to PyTorch may use one)"
            )
        if called.replace(":", ".").endswith("Tensor.backward"):
            return (
                f"your function backpropagates with dlnotes.autograd ({called}: autograd then "
                "writes this exercise's rule for you, so use it only to test your answer, in a "
                "cell of your own)"
            )
        if self.references_say:
            return f"your function calls {called} ({self.references_say})"
        return (
            f"your function calls dlnotes' own solution ({called}, the library's code for "
            "this exercise's answer: any call of it counts, even one for a value alone)"
        )

    def reference_callables(self) -> list[tuple[str, Any]]:
        """``(dotted name, object)`` of every callable that counts as the reference solution:
        ``solution`` itself, then each of ``references``."""
        sol = self.solution
        out: list[tuple[str, Any]] = [(f"{sol.__module__}.{sol.__qualname__}", sol)]
        out += [(spec.replace(":", "."), _resolve(spec)) for spec in self.references]
        return out

    def required_watch(self) -> Callable[[], Any] | None:
        """The watcher named by :attr:`required` (None when nothing is required)."""
        return cast(Callable[[], Any], _resolve(self.required)) if self.required else None


def _resolve(spec: str) -> Any:
    """The object named ``"module:qualname"`` (imported on demand)."""
    module_name, _, qualname = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True, kw_only=True)
class ValueExercise(Exercise):
    """An exercise whose answer is a value (an explorer challenge): ``solution`` is one accepted
    value, ``verify(value)`` runs the experiment and returns a :class:`ValueVerdict`, and each
    mistake's ``wrong`` is a value that shows it (see :class:`ValueMistakes`).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    kind: ClassVar[Literal["value"]] = "value"
    verify: Callable[[Any], ValueVerdict]


def seeded(
    build: Callable[..., Sequence[Case]], *, visible: int, hidden: int
) -> dict[str, Callable[..., Sequence[Case]]]:
    """The two suites of a function exercise from one case builder ``build(seed, hidden)``.

    The visible suite is ``build(seed, hidden=False)`` with ``seed`` defaulting to ``visible``:
    in a notebook always the same cases; the hidden suite is ``build(seed, hidden=True)`` with
    ``seed`` defaulting to ``hidden``, the package's public practice seed. The instructor's key
    passes seeds drawn from its private seed to both, so the graded cases are of the same kinds
    with other values (a table of the public visible cases' answers earns nothing).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if not callable(build):
        raise TypeError(f"build must be a case builder build(seed, hidden), got {build!r}")
    for name, seed in (("visible", visible), ("hidden", hidden)):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"{name} must be an int seed, got {seed!r}")
    return {
        "visible": lambda seed=visible: build(seed, hidden=False),
        "hidden": lambda seed=hidden: build(seed, hidden=True),
    }


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}
_NAME = re.compile(r"^ch(\d\d)_[a-z0-9_]+$")


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the catalogue (chapter modules call this at import) and return it."""
    m = _NAME.match(exercise.name)
    if not m or m.group(1) != exercise.chapter:
        raise ValueError(
            f"exercise name must look like 'ch{exercise.chapter}_what_it_is', "
            f"got {exercise.name!r} for chapter {exercise.chapter!r}"
        )
    if exercise.name in _REGISTRY and _REGISTRY[exercise.name] is not exercise:
        raise ValueError(f"an exercise named {exercise.name!r} is already registered")
    if isinstance(exercise, FunctionExercise):
        _check_declaration(exercise)
    elif isinstance(exercise, ValueExercise):
        if not callable(exercise.verify):
            raise ValueError(f"{exercise.name}: a value exercise needs a verify function")
    else:
        raise TypeError(f"{exercise.name}: declare a FunctionExercise or a ValueExercise")
    names = [m.name for m in exercise.mistakes]
    if len(set(names)) != len(names):
        raise ValueError(f"{exercise.name}: mistake names must be unique, got {names}")
    _REGISTRY[exercise.name] = exercise
    return exercise


def _check_declaration(exercise: FunctionExercise) -> None:
    """Raise for a function exercise that cannot be checked: no callable solution, other
    suites than visible and hidden, or own wording for a diagnosis that can never match."""
    if not callable(exercise.solution):
        raise TypeError(f"{exercise.name}: solution must be a function")
    if set(exercise.suites) != set(SUITES):
        raise ValueError(f"{exercise.name}: suites must be {SUITES}, got {sorted(exercise.suites)}")
    if exercise.diagnoses:
        from dlnotes.exercises.diagnose import check_wording

        try:
            check_wording(exercise.diagnoses, exercise.solution)
        except ValueError as err:
            raise ValueError(f"{exercise.name}: {err}") from None


def _load_chapters() -> None:
    """Import every ``dlnotes.exercises.chNN`` module; each registers its exercises."""
    package = importlib.import_module("dlnotes.exercises")
    for info in pkgutil.iter_modules(package.__path__):
        if re.fullmatch(r"ch\d\d", info.name):
            importlib.import_module(f"dlnotes.exercises.{info.name}")


def exercises() -> list[Exercise]:
    """Every registered exercise, in chapter and then registration order."""
    _load_chapters()
    return sorted(_REGISTRY.values(), key=lambda e: e.chapter)


def get(name: str) -> Exercise:
    """The exercise called ``name`` (e.g. ``"ch02_gradient_descent"``)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be an exercise name (a string), got {type(name).__name__}")
    _load_chapters()
    if name not in _REGISTRY:
        # the same chapter's exercises first: "ch05_adagrad" means a chapter 05 exercise, not
        # chapter 01's standardize, which difflib would also find close
        chapter = [n for n in _REGISTRY if n[:5] == name[:5] and re.match(r"ch\d\d_", name)]
        close = difflib.get_close_matches(name, chapter, n=3) or difflib.get_close_matches(
            name, list(_REGISTRY), n=3
        )
        also = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        # shown as its message alone in IPython, as a failed check is: the name is the
        # learner's slip, and dlnotes' own lines would only bury the suggestion
        raise CheckUsageError(f"there is no exercise named {name!r}{also}")
    return _REGISTRY[name]


class _Text(str):
    """A string that Jupyter displays as plain text (no quotes), folded to the page's width."""

    def __repr__(self) -> str:
        return fold(str(self))


def hint(name: str) -> str:
    """The hint of exercise ``name``, as a string that Jupyter shows as plain text."""
    ex = get(name)
    return _Text(_plain(f"{ex.name} ({ex.signature}): {ex.hint}"))


class Catalogue(list):
    """Rows ``{"name", "chapter", "title", "signature", "hint"}`` that print as a table."""

    columns = ("name", "chapter", "title", "signature", "hint")

    def __repr__(self) -> str:
        lines = []
        for row in self:
            lines.append(f"{row['name']}  (chapter {row['chapter']}) {row['title']}")
            lines.append(f"    {row['signature']}")
            lines.append(f"    hint: {row['hint']}")
        return fold("\n".join(lines)) if lines else "(no exercises)"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in self.columns) + "</tr>"
            for row in self
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def catalogue(chapter: int | str | None = None) -> Catalogue:
    """A table of every exercise (or one chapter's): name, chapter, title, signature, hint.

    ``chapter``: a chapter number, as an int (``2``) or a string (``"02"``, ``"ch02"``).
    """
    want = None if chapter is None else _chapter_key(chapter)
    return Catalogue(
        {c: getattr(ex, c) for c in Catalogue.columns}
        for ex in exercises()
        if want is None or ex.chapter == want
    )


def _chapter_key(chapter: Any) -> str:
    """``chapter`` (``2``, ``"2"``, ``"02"`` or ``"ch02"``) as the two digits exercises carry;
    a chapter with no exercises is refused with the list of those that have some."""
    text = chapter.removeprefix("ch") if isinstance(chapter, str) else None
    if isinstance(chapter, (int, np.integer)) and not isinstance(chapter, bool):
        number = int(chapter)
    elif text is not None and text.isdigit():
        number = int(text)
    else:
        raise TypeError(
            f"chapter must be a chapter number such as 2 or '02', got {chapter!r} "
            f"({type(chapter).__name__})"
        )
    chapters = sorted({ex.chapter for ex in exercises()})
    key = f"{number:02d}"
    if key not in chapters:
        raise ValueError(
            f"chapter {chapter!r} has no exercises; chapters with exercises: {chapters}"
        )
    return key


# --------------------------------------------------------------------------------------------
# Running learner code: time limit, integrity, exceptions
# --------------------------------------------------------------------------------------------


class _TimeUp(BaseException):
    """Raised into learner code when time is up (a BaseException: `except Exception` misses it)."""


@dataclass
class _Run:
    """What happened when a function was called on one case."""

    output: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    where: traceback.FrameSummary | None = None  # the learner's line that raised or was running
    called_reference: str | None = None  # the reference it called, directly or not
    profiler_off: bool = False  # it returned with the call profiler switched off or swapped
    missed_required: bool = False  # it returned without meeting the exercise's requirement
    importing: bool = False  # the time limit stopped it inside an import statement
    args: tuple[Any, ...] = ()  # the argument objects after the call
    kwargs: dict[str, Any] = field(default_factory=dict)


def _code_objects(obj: Any) -> list[CodeType]:
    """The code objects whose execution means ``obj`` (a function, method or class) ran."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if inspect.isclass(obj):
        codes = []
        for member in vars(obj).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            codes.extend(_code_objects(member) if inspect.isfunction(member) else [])
        return codes
    func = getattr(obj, "__func__", obj)
    code = getattr(func, "__code__", None)
    return [code] if isinstance(code, CodeType) else []


def _signal_timer_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`_TimeUp` in this (main) thread after ``seconds``, then every 0.2 s.

    Code that swallows even that (``except BaseException: pass`` in a loop) is stopped too:
    from the second alarm on, a trace function raises at the next line of learner code, which
    is inside its ``except`` clause, where the same ``try`` cannot catch it.
    """
    fired = 0
    traced: list[tuple[FrameType, Any]] = []  # (frame, its previous f_trace)

    def raise_at_next_line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and frame.f_code.co_filename != __file__:
            raise _TimeUp
        return raise_at_next_line

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        fired += 1
        if fired > 1:
            sys.settrace(raise_at_next_line)
            # only the learner's frames: those called from ours (stop at the first of ours)
            while frame is not None and frame.f_code.co_filename != __file__:
                traced.append((frame, frame.f_trace))
                frame.f_trace = raise_at_next_line
                frame = frame.f_back
        raise _TimeUp

    previous, previous_trace = signal.signal(signal.SIGALRM, on_alarm), sys.gettrace()
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.settrace(previous_trace)
        for frame, f_trace in traced:
            frame.f_trace = f_trace


def _library_dirs() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the dlnotes package
    return tuple(os.path.abspath(p) + os.sep for p in (*paths, here))


def _is_library_file(filename: str, libs: tuple[str, ...]) -> bool:
    """Library code: under site-packages, the stdlib or dlnotes, or a compiled (Cython) module,
    whose frames carry a relative ``.pyx`` path, or a frozen stdlib module."""
    if filename.endswith((".pyx", ".pxd", ".pxi")) or filename.startswith("<frozen"):
        return True
    return os.path.abspath(filename).startswith(libs)


def _learner_frame(tb: Any) -> traceback.FrameSummary | None:
    """The innermost traceback frame in the learner's own code (not dlnotes, numpy or stdlib)."""
    frames = traceback.extract_tb(tb)
    libs = _library_dirs()
    mine = [f for f in frames if not _is_library_file(f.filename, libs)]
    return mine[-1] if mine else (frames[-1] if frames else None)


#: The deep-learning frameworks an exercise's answer may not call unless it says so
#: (:attr:`FunctionExercise.frameworks_allowed`): each computes what the exercises ask for.
FRAMEWORKS = ("torch", "torchvision", "functorch", "jax", "jaxlib", "tensorflow", "keras")


@functools.cache
def _framework_packages() -> tuple[tuple[str, str], ...]:
    """``(name, package folder)`` of every installed :data:`FRAMEWORKS`, found without
    importing it (the folder as found on the path, not resolved). Looked up once a process:
    the grader asks for each exercise it grades."""
    import importlib.util

    found: list[tuple[str, str]] = []
    for name in FRAMEWORKS:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        found += (
            [(name, folder) for folder in (spec.submodule_search_locations or [])] if spec else []
        )
    return tuple(found)


@functools.cache
def _framework_folders() -> tuple[str, ...]:
    """The folders of the installed :data:`FRAMEWORKS`, as found and resolved, each ending in
    a separator: code running from there is the framework's."""
    found = []
    for _, folder in _framework_packages():
        found += [os.path.join(folder, ""), os.path.join(os.path.realpath(folder), "")]
    return tuple(dict.fromkeys(found))


#: whether a compiled function of each module named so far is a framework's (the verdict of
#: :func:`_framework_builtin` on a function whose ``__module__`` is that name)
_FRAMEWORK_MODULE: dict[str, bool] = {}


def _framework_c_call(fn: Any, owners: dict[type, bool]) -> bool:
    """Whether ``fn``, a compiled function about to be called, is a framework's
    (:func:`_framework_builtin`), kept for the profiler's next calls of the same module's
    functions (in :data:`_FRAMEWORK_MODULE`) or of the same type's bound methods (in
    ``owners``, one call's)."""
    verdict = _framework_builtin(fn) is not None
    try:
        module = fn.__module__
        if type(module) is str:
            _FRAMEWORK_MODULE[module] = verdict
        elif module is None:
            owners[type(fn.__self__)] = verdict
    except Exception:  # an object that fights back: judged afresh each time
        pass
    return verdict


def _framework_builtin(fn: Any) -> str | None:
    """``"torch.softmax"`` or ``"torch.Tensor.pow"`` when ``fn``, a compiled function about
    to be called, is a framework's (:data:`FRAMEWORKS`), else None."""
    try:
        module = getattr(fn, "__module__", None)
        owner = getattr(fn, "__self__", None)
        where = module if isinstance(module, str) else type(owner).__module__
        top = where.split(".")[0]
        if top not in FRAMEWORKS:
            return None
        name = getattr(fn, "__name__", "?")
        return (
            f"{top}.{name}" if isinstance(module, str) else f"{top}.{type(owner).__name__}.{name}"
        )
    except Exception:  # an object that fights back: not a framework's
        return None


def _call(
    fn: Callable[..., Any],
    case: Case,
    seconds: float,
    forbidden: Mapping[CodeType, str],
    watch: Callable[[], Any] | None = None,
    *,
    frameworks: bool = False,
) -> _Run:
    """Call ``fn`` on fresh copies of the case's arguments, time-limited and watched: whether it
    calls one of the ``forbidden`` code objects (with ``frameworks``, or any function of a
    deep-learning framework, :data:`FRAMEWORKS`), and (with ``watch``, an exercise's
    :attr:`FunctionExercise.required`) whether it meets the exercise's requirement. The
    requirement is set up and judged outside the time limit: its own imports (torch) must never
    be stopped halfway, which would leave the module broken for the rest of the session."""
    if watch is None:
        return _timed_call(fn, case, seconds, forbidden, frameworks=frameworks)
    with watch() as met:
        run = _timed_call(fn, case, seconds, forbidden, frameworks=frameworks)
        if run.error is None and not run.timed_out:
            try:
                run.missed_required = not met(run.args, run.kwargs, run.output)
            except Exception:  # an output the requirement cannot read: not met
                run.missed_required = True
    return run


def _profiler(
    run: _Run, forbidden: Mapping[CodeType, str], helpers: Any, frameworks: bool
) -> Callable[[FrameType, str, Any], None]:
    """The ``sys.setprofile`` function of one call: it records in ``run`` the first call of a
    ``forbidden`` code object (with ``frameworks``, or of a framework's function, compiled or
    not), and in ``helpers`` the learner's helpers it calls."""
    folders = _framework_folders() if frameworks else ()
    # the modules being imported below the call, innermost last: importing a framework (an
    # `import torch` in the function) runs its code but is not a use of it
    importing: list[FrameType] = []

    # whether the bound methods of each type seen in this call are a framework's, and the
    # module-wide verdicts (see _framework_c_call): the profiler runs on every call, and a loop
    # over entries makes a compiled call or more per entry (abs, max, x.sum)
    owners: dict[type, bool] = {}
    verdicts = _FRAMEWORK_MODULE

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":  # a framework's compiled functions (torch.softmax, Tensor.pow)
            if frameworks and not importing:
                try:
                    module = arg.__module__
                    framework = (
                        verdicts[module] if module is not None else owners[type(arg.__self__)]
                    )
                except Exception:  # not seen yet, or an object that fights back
                    framework = _framework_c_call(arg, owners)
                if framework and run.called_reference is None:
                    run.called_reference = _framework_builtin(arg)
            return
        if event == "return":
            if importing and frame is importing[-1]:
                importing.pop()
            return
        if event != "call":
            return
        if frameworks and frame.f_code.co_name == "<module>" and _run_by_import(frame):
            importing.append(frame)
        if run.called_reference is None:
            if frame.f_code in forbidden:
                run.called_reference = forbidden[frame.f_code]
            elif folders and not importing and frame.f_code.co_filename.startswith(folders):
                module = frame.f_globals.get("__name__")
                name = f"{module}.{frame.f_code.co_qualname}"
                run.called_reference = name if isinstance(module, str) else "torch"
        if helpers is not None and frame.f_code in helpers.codes:
            helpers.called.add(helpers.codes[frame.f_code])

    return profiler


@functools.cache
def _importlib_files() -> frozenset[str]:
    """The file names of the code of importlib's loaders: frozen (``<frozen
    importlib._bootstrap_external>``) or, in a Python run with ``-X frozen_modules=off``, the
    files of the standard library."""
    here = os.path.dirname(importlib.__file__)
    names = ("importlib._bootstrap", "importlib._bootstrap_external", "zipimport")
    files = [f"<frozen {name}>" for name in names]
    files += [os.path.join(here, "_bootstrap.py"), os.path.join(here, "_bootstrap_external.py")]
    files.append(os.path.join(os.path.dirname(here), "zipimport.py"))
    return frozenset(files)


def _run_by_import(frame: FrameType) -> bool:
    """Whether ``frame``, a module's top level (``<module>``), is run by an import: by the
    ``exec_module`` of one of importlib's loaders, the file's or a frozen module's (through
    ``_call_with_frames_removed``), not by an ``exec`` (or ``eval``) of the learner's, which
    runs whatever code it is given as a module's top level."""
    caller = frame.f_back
    if caller is not None and caller.f_code.co_name == "_call_with_frames_removed":
        caller = caller.f_back
    return (
        caller is not None
        and caller.f_code.co_name == "exec_module"
        and caller.f_code.co_filename in _importlib_files()
    )


def _timed_call(
    fn: Callable[..., Any],
    case: Case,
    seconds: float,
    forbidden: Mapping[CodeType, str],
    *,
    frameworks: bool = False,
) -> _Run:
    """:func:`_call` without a requirement."""
    args, kwargs = _fresh(case.args), _fresh(dict(case.kwargs))
    run = _Run(args=args, kwargs=kwargs)

    helpers = _HELPERS  # the learner's helpers whose use this check watches, if any
    profiler = _profiler(run, forbidden, helpers, frameworks)

    def target() -> None:
        watched = forbidden or helpers is not None or frameworks
        sys.setprofile(profiler if watched else None)
        try:
            with np.errstate(all="ignore"):
                run.output = fn(*args, **kwargs)
        except _TimeUp as err:
            run.timed_out = True
            run.where = _learner_frame(err.__traceback__)
            if helpers is not None:
                helpers.stopped_in(err.__traceback__)
            # a module's top level running below the learner's call: an import (Python drops
            # importlib's own frames from tracebacks)
            run.importing = any(
                f.name == "<module>" for f in traceback.extract_tb(err.__traceback__)[1:]
            )
        except (Exception, SystemExit) as err:
            run.error = err
            run.where = _learner_frame(err.__traceback__)
        finally:
            # Returned with the profiler gone: the function switched it off, and what it called
            # went unseen. (Not after a time-out or an error: the time limit's exception can land
            # inside the profiler, and CPython then removes the profiler itself.)
            returned = run.error is None and not run.timed_out
            run.profiler_off = bool(forbidden) and returned and sys.getprofile() is not profiler
            sys.setprofile(None)

    if _signal_timer_available():
        previous_profile = sys.getprofile()
        try:
            with _alarm(seconds):
                target()
        except _TimeUp:  # fired after fn returned, before the timer was disarmed
            run.timed_out = True
        finally:
            sys.setprofile(previous_profile)
        return run
    # Fallback (Windows, or check() called from a thread): a watchdog thread, then an
    # asynchronous exception raised into the learner's thread if it does not return in time.
    worker = threading.Thread(target=target, daemon=True, name="dlnotes-check")
    worker.start()
    worker.join(seconds)
    for _ in range(10):  # repeated, in case the learner's code catches the first ones
        if not worker.is_alive() or worker.ident is None:
            break
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(worker.ident), ctypes.py_object(_TimeUp)
        )
        worker.join(0.2)
        run.timed_out = True
    return run


def _fresh(x: Any) -> Any:
    """A copy of every array and random generator inside ``x`` (tuples, lists and dicts are
    rebuilt, the rest shared), so the learner's call, the reference and each mistake all see the
    same inputs, including the same random draws from a ``np.random.Generator``."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, np.random.Generator):
        return copy.deepcopy(x)
    if isinstance(x, tuple):
        return tuple(_fresh(v) for v in x)
    if isinstance(x, list):
        return [_fresh(v) for v in x]
    if isinstance(x, dict):
        return {k: _fresh(v) for k, v in x.items()}
    if _is_plain_value(x):
        return x
    try:  # an object such as a model: the learner may change it, the reference needs it intact
        return copy.deepcopy(x)
    except Exception:  # not copyable: share it
        return x


def _is_plain_value(x: Any) -> bool:
    """Immutable values and code (functions, classes, modules): shared, never copied."""
    return (
        x is None
        or isinstance(x, (str, bytes, int, float, complex, np.generic, range, slice))
        or inspect.isroutine(x)
        or inspect.isclass(x)
        or inspect.ismodule(x)
    )


def _arrays(x: Any) -> Iterator[np.ndarray]:
    """Every array inside ``x``: in tuples, lists, dicts, and an object's ``params`` (a model's
    or a layer's parameter arrays, so changes to a model count as changes to an input). A
    model is read layer by layer (its ``layers``' params, not the list it copied at
    construction), so emptying or replacing a layer's parameter list counts as a change too."""
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (tuple, list)):
        for v in x:
            yield from _arrays(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _arrays(v)
    elif not _is_plain_value(x) and isinstance(_layers(x), (list, tuple)):
        for layer in list(x.layers):
            yield from _arrays(layer)
    elif not _is_plain_value(x) and isinstance(_params(x), (list, tuple)):
        yield from _arrays(list(x.params))


def _layers(x: Any) -> Any:
    """``x.layers``, or ``None`` when reading it fails (a learner's object may raise)."""
    try:
        return getattr(x, "layers", None)
    except Exception:
        return None


def _params(x: Any) -> Any:
    """``x.params``, or ``None`` when reading it fails (a learner's object may raise)."""
    try:
        return getattr(x, "params", None)
    except Exception:
        return None


def _structure(x: Any) -> list[str]:
    """The ``repr`` of every object inside ``x`` that defines its own (a model lists its layers),
    so that replacing a model's layers counts as a change even when no array changed."""
    if isinstance(x, (tuple, list)):
        return [r for v in x for r in _structure(v)]
    if isinstance(x, dict):
        return [r for v in x.values() for r in _structure(v)]
    if isinstance(x, (np.ndarray, np.random.Generator)) or _is_plain_value(x):
        return []  # arrays are compared by value; a generator is there to be drawn from
    if type(x).__repr__ is object.__repr__:
        return []
    return [repr(x)]


def _generator_states(x: Any) -> list[Any]:
    """The state of every ``np.random.Generator`` inside ``x`` (tuples, lists, dicts), in order:
    where a call left each generator's stream."""
    if isinstance(x, np.random.Generator):
        return [x.bit_generator.state]
    if isinstance(x, (tuple, list)):
        return [s for v in x for s in _generator_states(v)]
    if isinstance(x, dict):
        return [s for v in x.values() for s in _generator_states(v)]
    return []


def _same_state(a: Any, b: Any) -> bool:
    """Equality of two generator states (dicts of ints, strings and, for MT19937, arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def _same(a: Any, b: Any) -> bool:
    """Exact equality of every array inside ``a`` and ``b`` (NaNs equal), and of the objects'
    structure (see :func:`_structure`); an array of ``a`` that could be written and is read-only
    in ``b`` differs too (a "frozen" parameter the caller can no longer train)."""
    xs, ys = list(_arrays(a)), list(_arrays(b))
    return (
        _structure(a) == _structure(b)
        and len(xs) == len(ys)
        and all(
            x.shape == y.shape
            and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
            and (y.flags.writeable or not x.flags.writeable)
            for x, y in zip(xs, ys)
        )
    )


def _only_made_read_only(before: Any, after: Any) -> bool:
    """``after`` equals ``before`` (:func:`_same`) but for arrays that ``before`` could write and
    ``after`` cannot: the input's only change is a read-only flag."""
    xs, ys = list(_arrays(before)), list(_arrays(after))
    return (
        _structure(before) == _structure(after)
        and len(xs) == len(ys)
        and any(x.flags.writeable and not y.flags.writeable for x, y in zip(xs, ys))
        and all(
            x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
            for x, y in zip(xs, ys)
        )
    )


# --------------------------------------------------------------------------------------------
# Comparing results
# --------------------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    """A number to 6 significant digits (a negative zero as ``0``: it equals 0), else ``str``."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v) + 0.0:.6g}"
    return str(v)


#: Input arrays with at most this many entries are shown whole in the feedback (1-D, then
#: 2-D and more), so that a failing check can be reproduced from its ``inputs:`` line; larger
#: ones are summarized with ``...``.
WHOLE_1D, WHOLE_ND = 20, 40
#: Lists and tuples of plain values (numbers, strings) with at most this many items are shown
#: whole; longer ones, and those of more than 6 arrays or objects, by their length.
WHOLE_ITEMS = 20


def _float_text(v: Any) -> str:
    """An array entry as Python would read it back: up to 4 decimals (``0.6307``, ``9``,
    ``-0.005``), in scientific notation only when tiny or huge (``1e-08``, ``3e+09``), so that
    one small entry does not turn a whole input into ``1.000e+00``s."""
    size = abs(float(v))
    if size != 0 and math.isfinite(size) and not 1e-4 <= size < 1e8:
        return np.format_float_scientific(v, precision=3, trim="-")
    return np.format_float_positional(v, precision=4, trim="-")


def _array_text(v: np.ndarray) -> str:
    """``v`` printed on one line: whole when it is small (see :data:`WHOLE_1D`), else its first
    and last entries around ``...``; a negative zero as ``0``."""
    whole = v.size <= (WHOLE_1D if v.ndim <= 1 else WHOLE_ND)
    shown = v + 0.0 if v.dtype.kind in "fc" else v  # -0.0 + 0.0 is 0.0
    options: dict[str, Any] = (
        {"threshold": sys.maxsize, "linewidth": sys.maxsize}
        if whole
        else {"threshold": 6, "edgeitems": 2, "linewidth": 70}
    )
    if shown.dtype.kind == "f":
        options["formatter"] = {"float_kind": _float_text}
    with np.printoptions(precision=4, **options):
        return np.array2string(shown, separator=", ").replace("\n", "")


def _describe(v: Any) -> str:
    """A short description of an input or output value for the feedback."""
    if isinstance(v, np.ndarray):
        return f"{_array_text(v)} ({v.dtype}, shape {v.shape})"
    if isinstance(v, str):  # quoted: mode = 'train' is a string, mode = train reads as a name
        return repr(v)
    if isinstance(v, np.random.Generator):
        return "a seeded np.random.Generator"
    if inspect.isroutine(v) or inspect.isclass(v):
        name = getattr(v, "__qualname__", type(v).__name__)
        return f"<function {name}>"
    if not _is_plain_value(v) and not isinstance(v, (list, tuple, dict)):
        text = repr(v)
        return text if len(text) <= 120 else f"<{type(v).__name__} object>"
    if isinstance(v, (list, tuple)):
        plain = all(isinstance(x, (str, int, float, np.generic)) or x is None for x in v)
        if len(v) > (WHOLE_ITEMS if plain else 6):
            return f"{type(v).__name__} of length {len(v)}"
        inner = ", ".join(_describe(x) for x in v)
        if len(inner) > 160:  # a list of arrays: their shapes say enough on one line
            inner = ", ".join(
                f"array of shape {x.shape} ({x.dtype})"
                if isinstance(x, np.ndarray)
                else _describe(x)
                for x in v
            )
        return f"({inner}{',' if len(v) == 1 else ''})" if isinstance(v, tuple) else f"[{inner}]"
    if isinstance(v, dict):
        if len(v) > 6:
            return f"dict with keys {list(v)[:6]}..."
        return "{" + ", ".join(f"{k!r}: {_describe(x)}" for k, x in v.items()) + "}"
    return _fmt(v)


def _fmt_pair(e: Any, g: Any) -> tuple[str, str]:
    """``e`` and ``g`` formatted with as many digits as it takes to tell them apart (6 to 17):
    two numbers that differ only in the 7th digit are not shown as the same number."""
    if _real_scalar(e) is None or _real_scalar(g) is None:
        return _fmt(e), _fmt(g)
    for digits in (6, 9, 12, 17):  # (+ 0.0: a negative zero as 0)
        shown = f"{float(e) + 0.0:.{digits}g}", f"{float(g) + 0.0:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return _fmt(e), _fmt(g)


def _real_scalar(v: Any) -> float | None:
    """``v`` as a float if it is a real number (or a 0-d real array), else ``None``."""
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if type(v) is np.ndarray and v.ndim == 0 and v.dtype.kind in "iuf":
        return float(v)
    return None


def _low_precision(v: Any) -> np.dtype | None:
    """The dtype of a real number coarser than float64 (an ``np.float32`` or ``np.float16``,
    or a 0-d array of one), else ``None``: a Python float, ``np.float64`` and their 0-d
    arrays are all the same float64 number."""
    if isinstance(v, np.floating) or (type(v) is np.ndarray and v.ndim == 0):
        dtype = v.dtype
        if dtype.kind == "f" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
            return dtype
    return None


def _one_number_fix(expected: Any, got: Any) -> str:
    """What to return instead of ``got``, an array, list or tuple holding the one number
    expected (shape ``(1,)``, ``[x]``): the number itself, and how to take it out (``float(r)``
    of an array of shape ``(1,)`` is deprecated since numpy 1.25 and a TypeError in recent
    numpy). ``""`` for anything else: its type alone is the message."""
    want, conv = ("an integer", "int") if _is_integer(expected) else ("a float", "float")
    try:
        if type(got) is np.ndarray and got.size == 1 and got.dtype.kind in "iuf":
            if conv == "int" and got.dtype.kind == "f":  # r.item() of it is a float
                how = "int(r[0])" if got.ndim == 1 else "int(r.item())"
            else:
                how = f"{conv}(r[0]) or r.item()" if got.ndim == 1 else "r.item()"
            return f" holding one: return {want}, e.g. {how}, where r is that array"
        if isinstance(got, (list, tuple)) and len(got) == 1:
            if _real_scalar(got[0]) is not None:
                what = type(got).__name__
                return (
                    f", a {what} holding one: return {want}, e.g. {conv}(r[0]), where r is "
                    f"that {what}"
                )
        torch = sys.modules.get("torch")
        tensor = getattr(torch, "Tensor", None) if torch is not None else None
        if tensor is not None and isinstance(got, tensor) and got.numel() == 1:
            how = "int(t.item())" if conv == "int" else "t.item()"
            return f" holding one: return {want}, e.g. {how}, where t is that tensor"
    except Exception:  # a learner's object that fights back: its type alone is the message
        return ""
    return ""


def _is_integer(v: Any) -> bool:
    """``v`` is an integer number: an int, a numpy integer or a 0-d integer array (not a bool)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    return type(v) is np.ndarray and v.ndim == 0 and v.dtype.kind in "iu"


def _safe_repr(v: Any) -> str | None:
    """``repr(v)``, or ``None`` when the object's ``__repr__`` raises or returns no string."""
    try:
        text = repr(v)
    except Exception:
        return None
    return text if isinstance(text, str) else None


def _type_name(v: Any) -> str:
    if isinstance(v, np.ndarray):
        dtype = f" and dtype {v.dtype}" if v.ndim == 0 else ""
        return f"an array of shape {v.shape}{dtype}"
    if v is None:
        return "None"
    text = _safe_repr(v)  # None when the learner's __repr__ raises
    shown = f" {text}" if text is not None and len(text) <= 40 else ""
    return f"{type(v).__name__}{shown}"


def _compare(
    expected: Any,
    got: Any,
    rtol: float,
    atol: float,
    equal_nan: bool = False,
    inputs: Mapping[str, np.ndarray] | None = None,
) -> tuple[str, list[str]] | None:
    """``None`` when ``got`` matches ``expected``, else ``(kind, lines)`` saying how it differs.

    ``kind`` is one of ``"type"``, ``"shape"``, ``"dtype"``, ``"values"``, ``"precision"`` (a
    float32 number right to float32's precision only where a float64 one is expected; mistakes
    are matched across it, see :func:`_same_behaviour`). ``got`` may be
    anything a learner returns: an object that raises while being read is a ``"type"`` problem.
    ``inputs`` (the case's input arrays by name) lets a wrong entry be shown with the inputs'
    entries at its index (see :func:`_value_lines`).
    """
    try:
        return _compare_values(expected, got, rtol, atol, equal_nan, inputs or {})
    except Exception:
        return "type", [f"expected {_expected_kind(expected)}, got {_type_name(got)}"]


def _expected_kind(expected: Any) -> str:
    if isinstance(expected, np.ndarray):
        return f"a numpy array of shape {expected.shape}"
    if isinstance(expected, (tuple, list)):
        n = len(expected)
        return f"a {type(expected).__name__} of {n} result{'s' * (n != 1)}"
    if _real_scalar(expected) is not None:
        return "a single number"
    if isinstance(expected, str):
        return f"a string such as {expected!r}"
    return f"a {type(expected).__name__}"


def _compare_values(
    expected: Any,
    got: Any,
    rtol: float,
    atol: float,
    equal_nan: bool,
    inputs: Mapping[str, np.ndarray] | None = None,
) -> tuple[str, list[str]] | None:
    # over 80 lines: one short branch per kind of answer (sequence, array, tensor, number, anything
    # else), read top to bottom.
    if isinstance(expected, (tuple, list)):
        what = "tuple" if isinstance(expected, tuple) else "list"
        n = len(expected)
        if not isinstance(got, type(expected)):
            head = f"expected a {what} of {n} result{'s' * (n != 1)}, got {_type_name(got)}"
            numbers = all(_real_scalar(e) is not None for e in expected)
            if isinstance(got, np.ndarray) and got.ndim == 1 and len(got) == n and numbers:
                head += f": return a {what}, not an array ({what}(...) or .tolist() of it)"
            elif isinstance(got, np.ndarray) and n > 1:
                every = "both" if n == 2 else f"all {n}"
                head += f": return {every} results together, as a {what}, not one array"
            elif _real_scalar(got) is not None and n == 1:
                one = "[x]" if what == "list" else "(x,)"
                head += (
                    f", a bare number: return a {what} even when it holds a single value "
                    f"({one}, not x)"
                )
            elif _real_scalar(got) is not None and n > 1:
                every = "both" if n == 2 else f"all {n}"
                head += f", a single number: return {every} values, in a {what}"
            return "type", [head]
        if len(got) != len(expected):
            return "type", [
                f"expected a {what} of {len(expected)} results, got a {what} of {len(got)}"
            ]
        for i, (e, g) in enumerate(zip(expected, got)):
            problem = _compare_values(e, g, rtol, atol, equal_nan, inputs)
            if problem:
                kind, lines = problem
                first = lines[0]
                if first.startswith("in result "):  # nested: result i, element path[0], ...
                    path, _, message = first[len("in result ") :].partition(": ")
                    head, bracket, rest = path.partition("[")
                    first = f"in result {i}[{head}]{bracket}{rest}: {message}"
                else:
                    first = f"in result {i}: {first}"
                return kind, [first, *lines[1:]]
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            fix = " (np.array(...) turns a list of rows into one)" if isinstance(got, list) else ""
            if type(got).__module__.split(".")[0] == "torch":
                fix = " (a torch tensor: return t.detach().numpy(), a numpy array)"
            return "type", [
                f"expected a numpy array of shape {expected.shape}, got {_type_name(got)}{fix}"
            ]
        if type(got) is not np.ndarray:  # np.matrix, a masked array, a learner's subclass
            return "type", [
                f"expected a plain numpy array of shape {expected.shape}, got a "
                f"{type(got).__name__} (a subclass of np.ndarray, which compares and broadcasts "
                "its own way): return np.asarray(...) of it, or build a plain np.ndarray"
            ]
        if got.shape != expected.shape:
            return "shape", [f"wrong shape: expected {expected.shape}, got {got.shape}"]
        if got.dtype.kind in "iu" and expected.dtype.kind in "iu":
            # integers (labels, ids, counts): any integer dtype, exactly equal; np.argmax gives
            # int32 on some platforms
            same = np.array_equal(got, expected)
            return (
                None if same else ("values", _value_lines(expected, got, got == expected, inputs))
            )
        if got.dtype != expected.dtype:
            return "dtype", [f"wrong dtype: expected {expected.dtype}, got {got.dtype}"]
        if got.dtype.kind not in "biufc":
            return "type", [f"expected numbers, got an array of dtype {got.dtype}"]
        rtol, atol = _dtype_tolerance(expected, rtol, atol)
        close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
        if close.all():
            return None
        return "values", _value_lines(expected, got, close, inputs)
    e = _real_scalar(expected)
    if e is not None:
        g = _real_scalar(got)
        if g is None:
            return "type", [
                f"expected a single number, got {_type_name(got)}{_one_number_fix(expected, got)}"
            ]
        if _is_integer(expected) and not _is_integer(got):  # a count, an epoch, a size
            return "type", [
                f"expected an integer, got {_type_name(got)}: np.ceil, np.floor and / give "
                "floats; int(...), math.ceil and // of ints give integers"
            ]
        if np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=equal_nan):
            return None
        coarse = _low_precision(got)
        if coarse is not None and _low_precision(expected) is None:
            eps = _LOW_PRECISION_ULPS * float(np.finfo(coarse).eps)
            if np.isclose(g, e, rtol=max(rtol, eps), atol=max(atol, eps * abs(e))):
                shown_e, shown_g = _fmt_pair(e, g)
                return "precision", [
                    f"right to {coarse} precision only: expected {shown_e}, got {shown_g} as "
                    f"{_type_name(got)}, which keeps about {np.finfo(coarse).precision} "
                    "significant digits. Compute in float64, numpy's default (no "
                    f"np.{coarse}(...) or dtype=np.{coarse}), and return a Python float or "
                    "np.float64"
                ]
        ratio = ""
        if e != 0 and np.isfinite(g):
            shown_ratio = f"{g / e + 0.0:.4g}"
            # a ratio that rounds to 1 (4076 / 4075) says "the same" beside two different
            # numbers: the difference says how far instead
            if float(shown_ratio) != 1.0:
                ratio = f" (got / expected = {shown_ratio})"
            else:
                ratio = f" (got − expected = {g - e + 0.0:+.4g})"
        shown_e, shown_g = _fmt_pair(e, g)
        return "values", [f"wrong value: expected {shown_e}, got {shown_g}{ratio}"]
    # anything else (a string, None, a bool): the same type and equal, judged by the expected
    # value's own type so that a learner's object with a lying __eq__ cannot pass
    if isinstance(expected, (bool, np.bool_)) and isinstance(got, (bool, np.bool_)):
        if bool(expected) == bool(got):
            return None
        return "values", [f"expected {bool(expected)}, got {bool(got)}"]
    if type(expected) is str and type(got) is np.str_:  # numpy's string: the same text
        got = str(got)
    if type(got) is not type(expected):
        return "type", [f"expected {_expected_kind(expected)}, got {_type_name(got)}"]
    if expected.__eq__(got) is True:
        return None
    return "values", [f"expected {_safe_repr(expected)}, got {_safe_repr(got)}"]


#: How many units of a low-precision dtype's machine epsilon two right answers may differ by.
_LOW_PRECISION_ULPS = 8


def _dtype_tolerance(expected: np.ndarray, rtol: float, atol: float) -> tuple[float, float]:
    """``(rtol, atol)`` widened to the precision of ``expected``'s dtype when it is coarser
    than float64 (float32, float16).

    Two right answers computed in another order (or in float64, then rounded) differ by a few
    units of the dtype's epsilon *of the operands*, which after a cancellation is large next to
    the result: ``w − lr·g`` near the threshold of a soft threshold, in float32, differs by
    ~3e-8 from the same step done in float64. An exercise's tolerances are set for float64, so
    on a float32 result they are widened to ``8 eps`` relative and ``8 eps · max |expected|``
    absolute (about 1e-6 of the array's scale): far below any mistake's effect.
    """
    if expected.dtype.kind not in "fc":
        return rtol, atol
    eps = float(np.finfo(expected.dtype).eps)
    if eps <= float(np.finfo(np.float64).eps):
        return rtol, atol
    with np.errstate(all="ignore"):
        magnitude = np.abs(expected[np.isfinite(expected)])
    scale = float(magnitude.max()) if magnitude.size else 0.0
    return max(rtol, _LOW_PRECISION_ULPS * eps), max(atol, _LOW_PRECISION_ULPS * eps * scale)


def _value_lines(
    expected: np.ndarray,
    got: np.ndarray,
    close: np.ndarray,
    inputs: Mapping[str, np.ndarray] | None = None,
) -> list[str]:
    """The lines for an array with wrong entries: how many differ, the largest difference (of
    real numbers: between class labels or counts it measures nothing), and the first three
    entries that differ, each with the ``inputs``' entries at its index."""
    bad = np.argwhere(~close)
    largest = ""
    if expected.dtype.kind in "fc":
        with np.errstate(all="ignore"):
            diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        largest = _largest_difference(diff, close)
    lines = [
        f"wrong values: {len(bad)} of {expected.size} entries differ, the first at index "
        f"{tuple(int(i) for i in bad[0])}{largest}"
    ]
    for idx in bad[:3]:
        at = tuple(int(i) for i in idx)
        shown_e, shown_g = _fmt_pair(expected[at], got[at])
        there = _entries_at(inputs or {}, expected.shape, at)
        lines.append(f"  at {at}: expected {shown_e}, got {shown_g}{there}")
    note = _non_finite_note(expected, got)
    return lines + ([f"  {note}"] if note else [])


#: How much larger than the expected values a result's finite values must grow for its inf
#: or nan to be called a blow-up (an overflow after values grew), not a division by zero.
_BLOWN_UP = 1e6


def _non_finite_note(expected: np.ndarray, got: np.ndarray) -> str:
    """A line for a result holding inf or nan where the expected values are finite: "the
    values blew up" only when its finite values grew far beyond the expected ones (an overflow
    comes after large values), else the causes of an inf or nan among ordinary values (or in
    place of every value): a division by zero (``v / (1 − β**0)``), an overflow, or the log or
    square root of a number ≤ 0. ``""`` when every inf or nan is expected. (Said only when no
    registered mistake is named: see :data:`_NON_FINITE`.)"""
    if got.dtype.kind not in "fc" or expected.dtype.kind not in "fc":
        return ""
    with np.errstate(all="ignore"):
        finite = np.isfinite(got)
        if not (~finite & np.isfinite(expected)).any():
            return ""
        scale = float(np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0))
        largest = float(np.max(np.abs(got[finite]), initial=0.0))
    if largest > _BLOWN_UP * max(scale, 1.0):
        return f"{_NON_FINITE[0]}: the values blew up (its finite ones reach {largest:.3g})"
    causes = (
        "a division by zero, an overflow (exp of a large number, or values that grew without "
        "bound), or the log or square root of a number ≤ 0?"
    )
    if not finite.any():
        return f"{_NON_FINITE[1]}: {causes}"
    return f"{_NON_FINITE[0]} among values of ordinary size: {causes}"


#: How the lines of :func:`_non_finite_note` start: a registered mistake, when one is named,
#: says the cause itself, and these guesses beside it would contradict it.
_NON_FINITE = ("your result holds inf or nan", "your result is all inf or nan")


def _largest_difference(diff: np.ndarray, close: np.ndarray) -> str:
    """``"; largest |difference| 0.4 at (3,)"`` among the entries that differ (``~close``).

    An inf or nan difference has no size: the largest is taken among the finite ones, and
    when some differing entries are inf or nan the text says so and how many:
    ``"; 2 of them are inf or nan, the largest finite |difference| is 0.46 at (1, 4)"``.
    """
    differ = ~close
    finite = np.where(np.isfinite(diff) & differ, diff, -1.0)
    blown = int(np.count_nonzero(differ & ~np.isfinite(diff)))
    if not (finite >= 0).any():
        if not blown:
            return ""
        return f"; {'it is' if blown == 1 else f'all {blown} are'} inf or nan"
    worst = np.unravel_index(int(np.argmax(finite)), diff.shape)
    where = f"{diff[worst]:.3g} at {tuple(int(i) for i in worst)}"
    if not blown:
        return f"; largest |difference| {where}"
    are = "is" if blown == 1 else "are"
    return f"; {blown} of them {are} inf or nan, the largest finite |difference| is {where}"


def _entries_at(
    inputs: Mapping[str, np.ndarray], shape: tuple[int, ...], at: tuple[int, ...]
) -> str:
    """``", where w = 0.2947, g = -0.6111"``: the entries at index ``at`` of every input array
    of the result's ``shape`` (elementwise inputs), so that a wrong entry can be worked out by
    hand; ``""`` when no input has that shape."""
    if not at:
        return ""
    shown = [
        f"{name} = {_fmt(a[at])}"
        for name, a in inputs.items()
        if isinstance(a, np.ndarray) and a.shape == shape and a.dtype.kind in "biuf"
    ]
    return f", where {', '.join(shown)}" if shown else ""


# --------------------------------------------------------------------------------------------
# check()
# --------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """One case: the learner's run, the expected result and what went wrong (empty if nothing)."""

    case: Case
    run: _Run
    expected: Any
    problems: list[str]
    modified: list[str]
    aliased: bool
    wrong: bool = False  # the result itself differs from the expected one


def _param_names(fn: Callable[..., Any], n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i + 1}" for i in range(n)]


def _order_note(fn: Any, names: list[str], *, permutation: bool = False) -> list[str]:
    """A line for a function whose arguments stand in another order than the checks pass them.

    ``names`` are the reference's argument names in call order. Names are compared ignoring
    case (``x`` is ``X``); a note is given only when some name both share sits at another place,
    e.g. an answer written as ``dropout_forward(x, p, u, train)`` for ``(X, p, mode, u)``.
    With ``permutation`` (for a wrong result, where no error points at an argument), only
    when the function's names are exactly the expected ones in another order, e.g.
    ``step_decay(lr0, step, step_size, gamma)`` for ``(step, lr0, step_size, gamma)``.
    """
    theirs = [n for n in _param_names(fn, len(names)) if not n.startswith("argument ")]
    ours = [n.lower() for n in names]
    moved = [n for i, n in enumerate(theirs) if n.lower() in ours and ours.index(n.lower()) != i]
    if not moved or (permutation and not _permuted(theirs, names)):
        return []
    return [
        f"  Note: your function takes ({', '.join(theirs)}), but the checks pass the arguments "
        f"in the order ({', '.join(names)}): {moved[0]!r} is not where your function expects it."
    ]


def _reordered(fn: Any, names: list[str]) -> Callable[..., Any] | None:
    """``fn`` called with the arguments the checks pass (in ``names``' order) put in the order
    of its own parameters, matched by name ignoring case, as a function whose signature names
    them in ``names``' order; ``None`` unless its first parameters are ``names`` in another
    order (see :func:`_order_note`)."""
    theirs = [n for n in _param_names(fn, len(names)) if not n.startswith("argument ")]
    if not _permuted(theirs, names):
        return None
    ours = [n.lower() for n in names]
    where = [ours.index(t.lower()) for t in theirs]
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params[: len(names)]):
        return None
    order = [params[where.index(j)] for j in range(len(names))]
    try:
        signature = signature.replace(parameters=[*order, *params[len(names) :]])
    except ValueError:  # defaults would stand before a parameter without one
        return None

    def reordered(*args: Any, **kwargs: Any) -> Any:
        if len(args) != len(names):  # the rest by keyword: each by its name
            named = {theirs[where.index(j)]: a for j, a in enumerate(args)}
            return fn(**named, **kwargs)
        return fn(*[args[j] for j in where], **kwargs)

    reordered.__signature__ = signature  # type: ignore[attr-defined]
    reordered.__name__ = getattr(fn, "__name__", "reordered")
    return reordered


def _permuted(theirs: list[str], names: list[str]) -> bool:
    """``theirs`` are the names ``names``, ignoring case, in another order."""
    mine, ours = [n.lower() for n in theirs], [n.lower() for n in names]
    return len(set(ours)) == len(ours) and sorted(mine) == sorted(ours) and mine != ours


def _behaviour(run: _Run, case: Case, names: list[str]) -> tuple[list[str], bool]:
    """Names of the arguments ``run`` modified, and whether its output is an input array."""
    modified = [
        name for name, before, after in zip(names, case.args, run.args) if not _same(before, after)
    ]
    modified += [k for k in case.kwargs if not _same(case.kwargs[k], run.kwargs.get(k))]
    inputs = list(_arrays((run.args, run.kwargs)))
    aliased = any(np.shares_memory(out, arr) for out in _arrays(run.output) for arr in inputs)
    return modified, aliased


def _same_behaviour(
    ex: FunctionExercise, a: _Run, b: _Run, case: Case, names: list[str], aliasing: bool = True
) -> bool:
    """``a`` and ``b`` return the same result and leave the inputs alike; with ``aliasing``,
    they also agree on whether the result shares memory with an input."""
    if a.error is not None or b.error is not None or a.timed_out or b.timed_out:
        return False
    differs = _compare(a.output, b.output, ex.rtol, ex.atol, equal_nan=True)
    if differs is not None and differs[0] != "precision":  # float32 of the same number: same
        return False
    mod_a, alias_a = _behaviour(a, case, names)
    mod_b, alias_b = _behaviour(b, case, names)
    after_a, after_b = list(_arrays((a.args, a.kwargs))), list(_arrays((b.args, b.kwargs)))
    return (
        mod_a == mod_b
        and (alias_a == alias_b or not aliasing)
        and _same_state(
            _generator_states((a.args, a.kwargs)), _generator_states((b.args, b.kwargs))
        )
        and len(after_a) == len(after_b)
        and all(
            _compare(x, y, ex.rtol, ex.atol, equal_nan=True) is None
            for x, y in zip(after_a, after_b)
        )
    )


def _where(frame: traceback.FrameSummary | None, verb: str = "in") -> list[str]:
    if frame is None:
        return []
    base = os.path.basename(frame.filename)
    in_cell = "ipykernel" in frame.filename or base.startswith("<ipython-input")
    place = "of your cell" if in_cell else f"of {base}"
    lines = [f"  {verb} {frame.name}, line {frame.lineno} {place}:"]
    if frame.line:
        lines.append(f"      {frame.line.strip()}")
    return lines


def _inputs(case: Case, names: list[str], signature: str = "") -> str:
    """The inputs line; a tuple argument whose items the ``signature`` names (``where cache =
    (mask, p)``) is shown item by item, each whole: ``cache = (mask, p), with mask = [[True,
    ...]] (bool, shape (4, 5)), p = 0.25``."""
    named = _argument_parts(signature, names) if signature else {}

    def said(name: str, v: Any) -> str:
        items = named.get(name)
        if items and type(v) in (tuple, list) and len(v) == len(items):
            shown = ", ".join(f"{i} = {_input_text(x)}" for i, x in zip(items, v))
            return f"{name} = ({', '.join(items)}), with {shown}"
        return f"{name} = {_input_text(v)}"

    parts = [said(n, v) for n, v in zip(names, case.args)]
    parts += [said(k, v) for k, v in case.kwargs.items()]
    return "  inputs: " + "; ".join(parts)


#: A matrix input whose text is longer than this, in characters (three rows of the feedback
#: at 900 px: a 2 x 2 or 5 x 5 matrix, a 5 x 3 batch), is shown by its first
#: :data:`FIRST_ROWS` rows, its dtype and its shape: ch01's 12 x 3 training set took ten rows
#: and buried the lines that say what is wrong.
WHOLE_MATRIX_TEXT = 200
FIRST_ROWS = 2


def _input_text(v: Any) -> str:
    """An input as the ``inputs:`` line shows it (:func:`_describe`), a long matrix by its
    first rows: ``[[123.4063, 291.4168, 32.3149], [154.9448, 284.5039, 35.4044], ...]
    (float64, shape (12, 3), its first 2 rows shown)``."""
    whole = _describe(v)
    if not isinstance(v, np.ndarray) or v.ndim != 2 or len(whole) <= WHOLE_MATRIX_TEXT:
        return whole
    if v.shape[0] <= FIRST_ROWS + 1:  # a row or two less is no shorter line
        return whole
    first = _array_text(v[:FIRST_ROWS])
    return f"{first[:-1]}, ...] ({v.dtype}, shape {v.shape}, its first {FIRST_ROWS} rows shown)"


def _argument_parts(signature: str, names: Sequence[str]) -> dict[str, list[str]]:
    """The names a signature gives the items of a tuple argument: ``"f(dout, cache) -> ...,
    where cache = (mask, p)"`` gives ``{"cache": ["mask", "p"]}``. Only for arguments among
    ``names``, and items that are no other argument's name."""
    found: dict[str, list[str]] = {}
    pattern = r"\b([A-Za-z_]\w*) = \(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*\)"
    for m in re.finditer(pattern, signature):
        items = [i.strip() for i in m[2].split(",")]
        if m[1] in names and not set(items) & set(names) and len(set(items)) == len(items):
            found[m[1]] = items
    return found


def _hint_lines(mistake: Mistake) -> list[str]:
    return [f"  Likely mistake: {mistake.name} — {mistake.hint}"]


def _signature_mismatch(
    fn: Any, cases: Sequence[Case]
) -> tuple[inspect.Signature, TypeError] | None:
    """``fn``'s signature and the error of binding the first case it cannot take, else ``None``.

    Every case is bound, since a later one may pass a keyword the first one leaves out. A
    callable without a signature (a builtin, an odd object) is left for the call to judge.
    """
    try:
        theirs = inspect.signature(fn)
    except Exception:
        return None
    for case in cases:
        try:
            theirs.bind(*case.args, **case.kwargs)
        except TypeError as bind_error:
            return theirs, bind_error
    return None


def _framework_refusal(ex: FunctionExercise, called: str) -> str:
    """What a function that called a framework (``called``: ``"torch.softmax"``) is told."""
    framework = called.split(".")[0]
    return (
        f"{ex.name}: your function calls {framework} ({called}), directly or through another "
        f"function. This exercise asks you to write it with numpy: the grader withholds "
        f"{framework} (only chapter 15's port to PyTorch may use a framework), so the exercise "
        "scores zero while your function calls it."
    )


def _run_stopped(
    ex: FunctionExercise,
    fn: Any,
    run: _Run,
    case: Case,
    check: str,
    seconds: float,
    names: list[str],
) -> str | None:
    """The feedback when the learner's ``run`` of ``case`` (``check``, e.g. "check 2 of 5
    (...)") ends all checking (a switched-off profiler, a call of the reference, a time-out, an
    exception), else None."""
    head = f"{ex.name}: {check}"
    fname = ex.signature.split("(")[0].strip()
    if run.profiler_off and run.called_reference is None:
        return (
            f"{ex.name}: your function switched off the call profiler (sys.setprofile) "
            "that check() uses to see whether it calls dlnotes' own solution. Leave it "
            "on: this exercise scores zero while your function switches it off."
        )
    if run.called_reference and run.called_reference.split(".")[0] in FRAMEWORKS:
        return _framework_refusal(ex, run.called_reference)
    if run.called_reference:
        return (
            f"{ex.name}: {ex.refusal(run.called_reference)}, directly or through "
            "another function. Write it yourself: this exercise scores zero while your "
            "function calls the reference."
        )
    if run.timed_out:
        lines = [
            f"{head}: your function did not return within {seconds:g} s: "
            "is there a loop that never ends?"
        ]
        if run.importing:
            lines = [
                f"{head}: your function did not return within {seconds:g} s: it was "
                "stopped while importing a module, which leaves that module half-imported "
                "(later imports of it fail). Restart the kernel, import the module in a cell "
                "of its own, then run this check again."
            ]
        lines += _where(run.where, "stopped in")
        return "\n".join([*lines, _inputs(case, names, ex.signature)])
    if run.error is not None:
        err = run.error
        raiser = run.where.name if run.where is not None else None
        if isinstance(err, NotImplementedError) and raiser not in (
            None, getattr(fn, "__name__", fname), "<module>", "<lambda>"
        ):  # fmt: skip
            return (
                f"{ex.name}: your {fname} calls {raiser}, which is not written yet: it still "
                f"raises NotImplementedError. Write {raiser} first (and run its cell), then "
                "run this check again."
            )
        renamed = _renamed_definition(fn, fname) if isinstance(err, NotImplementedError) else None
        if renamed is not None:
            return (
                f"{ex.name}: {fname} is not written yet: it still raises NotImplementedError. "
                f"You defined {renamed}: is that it? The check looks for {fname}: name your "
                f"function {fname}, run its cell, then run this check again."
            )
        if isinstance(err, NotImplementedError):
            return (
                f"{ex.name}: {fname} is not written yet: it still raises "
                "NotImplementedError. Replace `raise NotImplementedError()` with "
                "your code, run that cell, then run this one again. (Done that? Then "
                "your new definition did not run: a SyntaxError in that cell, or an "
                "error before your def, leaves the old one in place.)"
            )
        mistake = _raising_mistake(ex, case, err, seconds)
        lines = [
            f"{head}: your function raised {type(err).__name__}: {_message(err)}",
            # arguments in another order are the likely cause: said first, as for a wrong
            # result (a learner read the LinAlgError's traceback and inputs before it)
            *_order_note(fn, names),
            *(_hint_lines(mistake) if mistake is not None else _ragged_note(ex, err)),
            *_where(run.where),
            _inputs(case, names, ex.signature),
        ]
        return "\n".join(lines)
    return None


def _ragged_note(ex: FunctionExercise, err: BaseException) -> list[str]:
    """A line under numpy's "inhomogeneous shape" error: arrays of different shapes given to
    np.array(...) (a weight and its bias), which cannot form one array; for a result that is
    a list or a tuple of arrays, what to return instead. ``[]`` for any other error."""
    if not isinstance(err, ValueError) or "inhomogeneous shape" not in _message(err):
        return []
    line = (
        "  numpy raises this when np.array(...) (or np.stack, np.mean of a list) is given "
        "arrays of different shapes, which cannot form one array"
    )
    returns = ex.signature.partition("->")[2].strip()
    if returns.startswith(("list", "tuple")):
        kind = returns.split()[0]
        line += f". The signature asks for a {returns}: return the {kind} itself, not np.array"
        line += " of it"
    elif returns.startswith("("):
        line += f". The signature asks for {returns}: return them as a tuple, not one np.array"
    return [line]


def _renamed_definition(fn: Any, fname: str) -> str | None:
    """The name of a function of the learner's notebook that is probably the answer written
    under another name, when ``fn`` (the exercise's stub, still raising NotImplementedError)
    is checked: a name one edit from ``fname`` (``adagrad_stp``) or with its words
    (``step_adagrad``, ``my_adagrad_step``) that takes as many parameters as the stub, else
    one with the stub's parameters defined in a later cell. ``None`` when there is none (or
    outside a notebook's namespace)."""
    space = getattr(fn, "__globals__", None)
    if not isinstance(fn, FunctionType) or not isinstance(space, dict):
        return None
    from dlnotes.exercises.diagnose import _one_edit

    answers = {e.solution.__name__ for e in _REGISTRY.values() if isinstance(e, FunctionExercise)}
    words = set(fname.split("_"))
    params = _own_params(fn)
    numbers = _cell_numbers() or {}
    after = numbers.get(fn.__code__.co_filename)
    near, later = [], []
    for name, value in list(space.items()):
        if (
            not isinstance(value, FunctionType)
            or value is fn
            or name in (fname, fn.__name__)
            or name.startswith("_")
            or name in answers  # another exercise's answer, or the stub itself
            or value.__module__ != fn.__module__
            or "NotImplementedError" in value.__code__.co_names  # another stub
        ):
            continue
        theirs = set(name.split("_"))
        near_name = _one_edit(name, fname) or (len(words) > 1 and words <= theirs)
        # a near name with other parameters is a helper of the notebook's own (ch05's
        # adam_first_step(g, eps, form) beside the adam_step stub), not the answer renamed
        if near_name and len(_own_params(value)) == len(params):
            near.append(name)
        elif after is not None and _own_params(value) == params:
            defined = numbers.get(value.__code__.co_filename)
            if defined is not None and defined > after:
                later.append((defined, name))
    if near:
        return near[0]
    return max(later)[1] if later else None


def _raising_mistake(
    ex: FunctionExercise, case: Case, err: BaseException, seconds: float
) -> Mistake | None:
    """The registered mistake that raises what the learner's function raised on ``case``: the
    same exception type with the same message (numpy's "operands could not be broadcast
    together with shapes (12,3) (12,)" names the shapes, so the same words mean the same
    wrong operation), else ``None``."""
    try:
        said = str(err)
        for mistake in ex.mistakes:
            run = _call(mistake.wrong, case, seconds, {})
            if type(run.error) is type(err) and str(run.error) == said:
                return mistake
    except Exception:  # an exception that cannot be printed names no mistake
        return None
    return None


def _check_function(
    ex: FunctionExercise, fn: Any, suite: str, seconds: float, integrity: bool = True
) -> tuple[bool, str]:
    """Run ``fn`` on every case of ``suite``: ``(passed, feedback)``. ``integrity=False`` lets
    ``fn`` call the reference (the mutation test's wrong variants are built from it)."""
    fname = ex.signature.split("(")[0].strip()
    if not callable(fn):
        return False, (
            f"{ex.name}: expected your function {ex.signature}, got {_type_name(fn)}. "
            f"Pass the function itself, without calling it: check({ex.name!r}, {fname})"
        )
    cases = ex.cases(suite)
    call_form = ex.signature.split("->")[0].strip()
    mismatch = _signature_mismatch(fn, cases)
    if mismatch is not None:
        theirs, bind_error = mismatch
        name = getattr(fn, "__name__", "f")
        return False, (
            f"{ex.name}: your function has the signature "
            f"{name if isinstance(name, str) else 'f'}{theirs}, but the checks call it as "
            f"{call_form} ({bind_error})"
        )
    forbidden = (
        {code: dotted for dotted, obj in ex.reference_callables() for code in _code_objects(obj)}
        if integrity
        else {}
    )
    watch = ex.required_watch() if integrity else None
    refuse_frameworks = integrity and not ex.frameworks_allowed
    names = _param_names(ex.solution, max(len(c.args) for c in cases))
    outcomes: list[_Outcome] = []
    n = len(cases)
    for i, case in enumerate(cases, start=1):
        run = _call(fn, case, seconds, forbidden, watch, frameworks=refuse_frameworks)
        check = f"check {i} of {n} ({case.label})"
        stopped = _run_stopped(ex, fn, run, case, check, seconds, names)
        if stopped is not None:
            return False, stopped + _wrong_before_error(outcomes, run)
        ref_args, ref_kwargs = _fresh(case.args), _fresh(dict(case.kwargs))
        expected = ex.solution(*ref_args, **ref_kwargs)
        try:
            outcomes.append(_examine(ex, case, run, expected, names, (ref_args, ref_kwargs)))
        except Exception:  # the learner's result or inputs fight back when read
            what = _type_name(run.output)
            outcomes.append(
                _Outcome(
                    case,
                    run,
                    expected,
                    [
                        f"your result ({what}) could not be read as {_expected_kind(expected)}: "
                        "return plain numbers, strings, tuples, lists or numpy arrays"
                    ],
                    [],
                    False,
                    True,
                )
            )

    return _verdict(ex, fn, outcomes, suite, seconds, forbidden, names)


def _wrong_before_error(outcomes: list[_Outcome], run: _Run) -> str:
    """A line under an error that stopped the checks, naming the earlier checks whose results
    were already wrong without raising (``""`` if none): a slip that only raises on a later
    input (a square input hides a broadcast) would otherwise go unreported."""
    if run.error is None or isinstance(run.error, NotImplementedError):
        return ""
    wrong = [i for i, o in enumerate(outcomes, start=1) if o.problems]
    if not wrong:
        return ""
    first = outcomes[wrong[0] - 1]
    said = first.problems[0].splitlines()[0]
    if len(wrong) == 1:
        before = f"check {wrong[0]} ({first.case.label}) already returned a wrong result"
        detail = said
    else:
        before = f"checks {', '.join(map(str, wrong))} already returned wrong results"
        detail = f"check {wrong[0]} ({first.case.label}): {said}"
    return (
        f"\n  before it, {before} without raising: {detail}. Fixing the error may leave that slip."
    )


def _registered_mistake(
    ex: FunctionExercise,
    outcomes: list[_Outcome],
    seconds: float,
    names: list[str],
    fn: Any = None,
) -> tuple[Mistake | None, list[int], bool]:
    """The registered mistake the results show: ``(mistake, upcast, float32_too)``, matched
    exactly, else but for a float64 result where float32 is expected (``upcast``: those
    checks), else on every check without a float32 input (``float32_too``); ``None`` when
    none matches (or matching fails on a learner's strange result)."""
    try:
        mistake = _match_mistake(ex, outcomes, seconds, names, fn)
        if mistake is not None:
            return mistake, [], False
        mistake, upcast = _match_mistake_but_upcast(ex, outcomes, seconds, names, fn)
        if mistake is not None:
            return mistake, upcast, False
        mistake = _match_mistake_but_float32(ex, outcomes, seconds, names, fn)
        return mistake, [], mistake is not None
    except Exception:
        return None, [], False


def _verdict(
    ex: FunctionExercise,
    fn: Any,
    outcomes: list[_Outcome],
    suite: str,
    seconds: float,
    forbidden: dict[CodeType, str],
    names: list[str],
) -> tuple[bool, str]:
    """``(passed, feedback)`` once every case ran: the first failed check, the mistake it most
    likely is (a registered one, else a diagnosis), its problems and inputs."""
    n = len(outcomes)
    failed = [k for k, o in enumerate(outcomes) if o.problems]
    what = "hidden checks" if suite == "hidden" else "checks"
    if not failed:
        missed = [k + 1 for k, o in enumerate(outcomes) if o.run.missed_required]
        if missed:  # right values, but not computed with what the exercise asks for
            return False, (
                f"{ex.name}: not counted: {ex.required_says}. Your results are right; all {n} "
                f"{what} count as failed until this holds."
            )
        return True, f"✓ {ex.name}: all {n} {what} passed"
    first = outcomes[failed[0]]
    lines = [
        f"{ex.name}: {n - len(failed)} of {n} {what} passed. "
        f"Check {failed[0] + 1} ({first.case.label}) failed:",
    ]
    mistake, upcast, float32_too = _registered_mistake(ex, outcomes, seconds, names, fn)
    diagnosis = None if mistake is not None else _unknown_label(ex, outcomes)
    if mistake is None and diagnosis is None:
        diagnosis = _diagnose(ex, outcomes, seconds, fn)
    if diagnosis is not None and diagnosis.name == "stale" and "stale previous" in diagnosis.keys:
        # consecutive checks whose answers are one step apart make an off-by-one look like a
        # leftover result: a function that gives the same result when called again keeps none
        if _repeatable(fn, first, seconds, forbidden):
            diagnosis = _diagnose(ex, outcomes, seconds, fn, skip=("stale",))
    if mistake is None and diagnosis is None:
        diagnosis = _unrepeatable(fn, first, seconds, forbidden)
    # arguments in another order give wrong values, and no error to read: said first, and no
    # generic guess with it (a learner read "off by a factor" over the real cause)
    order = _order_note(fn, names, permutation=True) if first.wrong else []
    if order and diagnosis is not None and diagnosis.name not in ("swapped", "label"):
        diagnosis = None
    lines += order
    reordered = _reordered(fn, names) if order and mistake is not None else None
    if reordered is not None:
        # a mistake matched on the swapped results may only be the swap (a right formula told
        # it is upside down): the feedback is on the function given its arguments by name
        # (a diagnosis is already dropped above, or is the swap itself)
        count = f"{n} {what}"
        lines += _reordered_lines(
            ex, reordered, (suite, count), seconds, bool(forbidden), first, names
        )
        return False, "\n".join(lines)
    # an input changed in place is said first, without a generic guess: the guess compares
    # the result with inputs that are no longer the ones given (a learner who popped layers
    # off the model read "extra items" over the real cause)
    problems = list(first.problems)
    changed = [p for p in problems if p.startswith("your function modified its input ")]
    if changed:
        problems = changed + [p for p in problems if p not in changed]
        if diagnosis is not None and diagnosis.name not in ("input", "label"):
            diagnosis = None
    # the likely mistake first, right under the header: below the inputs it was read last
    if diagnosis is not None:
        lines.append(f"  Likely mistake: {diagnosis.text(ex.diagnoses)}")
    if mistake is not None:
        lines += _hint_lines(mistake)
    lines += _dtype_notes(outcomes, upcast, float32_too, names)
    if mistake is not None:  # its hint says the cause: no generic guess about inf or nan
        problems = [p for p in problems if not p.lstrip().startswith(_NON_FINITE)]
    lines += [*(f"  {p}" for p in problems), _inputs(first.case, names, ex.signature)]
    if len(failed) > 1:
        others = ", ".join(str(k + 1) for k in failed[1:])
        lines.append(f"  also failed: check{'s' if len(failed) > 2 else ''} {others}")
    return False, "\n".join(lines)


def _dtype_notes(
    outcomes: list[_Outcome], upcast: list[int], float32_too: bool, names: list[str]
) -> list[str]:
    """:func:`_verdict`'s notes under a registered mistake matched but for the dtypes: a float64
    result where float32 is kept (``upcast``: those checks), or a mistake matched on every check
    without a float32 input (``float32_too``)."""
    notes = [_upcast_note(outcomes, upcast, names)] if upcast else []
    if float32_too:
        n32 = sum(_float32_input(o.case) for o in outcomes)
        notes.append(
            "  (that mistake matches every check without a float32 input; on the float32 "
            f"check{'s' if n32 > 1 else ''} your result differs from it too: look at the dtype "
            "your copies and your result take when an input is float32)"
        )
    return notes


def _reordered_lines(
    ex: FunctionExercise,
    reordered: Any,
    suite: tuple[str, str],
    seconds: float,
    integrity: bool,
    first: _Outcome,
    names: list[str],
) -> list[str]:
    """:func:`_verdict`'s lines after the parameter-order note when a mistake matched: the
    learner's function checked again with its arguments given by name (``reordered``): right
    that way, the order is the only fix; else the feedback on that run. ``suite`` is the
    suite's name and its count of checks ("8 checks")."""
    name, count = suite
    right, said = _check_function(ex, reordered, name, seconds, integrity=integrity)
    if right:
        return [
            f"  Your function is right with its parameters in the order ({', '.join(names)}):"
            f" called that way, it passes all {count}. Put them in that order in its def line.",
            *(f"  {p}" for p in first.problems),
            _inputs(first.case, names),
        ]
    said = said.removeprefix(f"{ex.name}: ")
    return [
        "  Called with the arguments in your signature's order, it still fails: "
        + said.replace("\n", "\n  ")
    ]


def _plain_data(value: Any, depth: int = 0) -> bool:
    """``value`` is made of numbers, strings, None, plain numpy arrays, tuples and lists."""
    if depth > 20:
        return False
    if type(value) is np.ndarray:
        return value.dtype.kind in "biufc"  # an object array holds anything
    if value is None or type(value) in (int, float, bool, str):
        return True
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return True
    if type(value) in (tuple, list):
        return all(_plain_data(v, depth + 1) for v in value)
    return False


def _repeatable(
    fn: Callable[..., Any], first: _Outcome, seconds: float, forbidden: Mapping[CodeType, str]
) -> bool | None:
    """Whether ``fn``, called again on the first failed check, returns the same result (None:
    cannot tell, for a result that is not plain data or a call that fails)."""
    if not _plain_data(first.run.output):  # a tensor or a dict: _compare cannot tell "the same"
        return None
    again = _call(fn, first.case, seconds, forbidden)
    if again.error is not None or again.timed_out or again.called_reference or again.profiler_off:
        return None
    try:
        return _compare(first.run.output, again.output, 1e-12, 0.0, equal_nan=True) is None
    except Exception:
        return None


def _unrepeatable(
    fn: Callable[..., Any], first: _Outcome, seconds: float, forbidden: Mapping[CodeType, str]
) -> Diagnosis | None:
    """A diagnosis when ``fn``, called again on the first failed check, returns another result:
    it draws random numbers of its own or keeps state between calls."""
    from dlnotes.exercises.diagnose import Diagnosis

    if _repeatable(fn, first, seconds, forbidden) is not False:
        return None
    return Diagnosis(
        "repeat",
        ("repeat",),
        "not repeatable",
        "called again with the same inputs, your function returned another result",
        "it draws random numbers of its own (np.random, a new Generator) or keeps something "
        "between calls: compute the result from the arguments only",
    )


def _message(err: BaseException) -> str:
    """``str(err)``, even when the learner's exception cannot say it."""
    try:
        text = str(err)
    except Exception:
        return "(its message could not be shown)"
    return text if isinstance(text, str) else "(its message could not be shown)"


def _named_result(signature: str, line: str) -> str:
    """``"in result 1[1]: ..."`` as ``"in grads[1] (result 1): ..."`` when the signature
    names the results (``-> (penalty, grads)``), or as ``"in mean (result 1[1]): ..."`` when
    it names the parts of a nested one (``-> (out, (x_hat, mean, var))``)."""
    from dlnotes.exercises.diagnose import result_names, result_parts

    found = re.match(r"in result (\d+)((?:\[\d+\])*): ", line)
    parts = result_parts(signature)
    if found is None or int(found[1]) >= len(parts):
        return line
    i, index, rest = int(found[1]), found[2], line[found.end() :]
    if parts[i].isidentifier():
        return f"in {parts[i]}{index} (result {i}): {rest}"
    inner, first = result_names(f"f() -> {parts[i]}"), re.match(r"\[(\d+)\]", index)
    if first is None or int(first[1]) >= len(inner):
        return line
    return f"in {inner[int(first[1])]}{index[first.end() :]} (result {i}{index}): {rest}"


def _other_results(ex: FunctionExercise, expected: Any, got: Any, first: str) -> list[str]:
    """When one result of a tuple is wrong (``first``: ``"in result i..."``), a line saying which
    of the others are right and which are wrong too. It places a mistake, compound ones too: a
    wrong ``x_new`` beside a right ``v_new`` is in the update of ``x``, beside a wrong one
    perhaps only in ``v``."""
    found = re.match(r"in result (\d+)", first)
    if found is None or not isinstance(expected, tuple) or type(got) is not tuple:
        return []
    if len(expected) < 2 or len(got) != len(expected):
        return []
    from dlnotes.exercises.diagnose import result_parts

    parts = result_parts(ex.signature)
    right: list[str] = []
    wrong: list[str] = []
    dtypes: list[str] = []
    values: list[str] = []  # a wrong number beside it, said in full: "expected 5, got 4"
    for j, (e, g) in enumerate(zip(expected, got)):
        if j != int(found[1]):
            # a nested result "(x_hat, mean, var)" is named by its parts: "x_hat, mean, var"
            label = f"{parts[j].strip('()')} (result {j})" if j < len(parts) else f"result {j}"
            problem = _compare(e, g, ex.rtol, ex.atol)
            (wrong if problem else right).append(label)
            if problem and problem[0] == "dtype":  # said: a float32 cache is no detail
                dtypes.append(re.sub(r"^(in result [\d\[\]]+: )+", "", problem[1][0]))
            elif problem and _real_scalar(e) is not None and _real_scalar(g) is not None:
                shown = [
                    str(int(v)) if isinstance(v, (int, np.integer)) else f"{float(v):.6g}"
                    for v in (e, g)
                ]
                values.append(f"{label.split(' (')[0]}: expected {shown[0]}, got {shown[1]}")
    said = []
    for labels, how in ((wrong, "wrong too"), (right, "right")):
        if labels:
            one = len(labels) == 1 and "," not in labels[0]
            said.append(f"{' and '.join(labels)} {'is' if one else 'are'} {how}")
    if len(wrong) == 1 and len(values) == 1:  # its name is said already
        values = [values[0].split(": ", 1)[1]]
    if dtypes or values:
        said[0] += f" ({'; '.join(dict.fromkeys([*dtypes, *values]))})"
    return ["the other results: " + "; ".join(said)]


def _examine(
    ex: FunctionExercise,
    case: Case,
    run: _Run,
    expected: Any,
    names: list[str],
    reference: tuple[tuple[Any, ...], dict[str, Any]] | None = None,
) -> _Outcome:
    """Compare one run with the expected result; note inputs modified in place and aliasing,
    and (given the ``reference``'s inputs after its call) a random generator the learner's
    function drew another number of values from."""
    problems: list[str] = []
    inputs = _input_arrays(case, names, ex.signature)
    problem = _compare(expected, run.output, ex.rtol, ex.atol, inputs=inputs)
    if problem:
        problems += [_named_result(ex.signature, problem[1][0]), *problem[1][1:]]
        problems += _other_results(ex, expected, run.output, problem[1][0])
    elif reference is not None:
        problems += _draw_problems(case, run, reference, names)
    modified, aliased = _behaviour(run, case, names)
    inputs_by_name = {**dict(zip(names, case.args)), **dict(case.kwargs)}
    given_by_name = {**dict(zip(names, run.args)), **run.kwargs}
    for name in modified:
        value = inputs_by_name.get(name)
        if _only_made_read_only(value, given_by_name.get(name)):
            problems.append(
                f"your function made arrays of its input {name} read-only (flags.writeable = "
                "False): the caller can no longer update them (an optimizer's step raises). "
                "Leave the input as it was: what the exercise asks for is in what you return"
            )
            continue
        advice = (
            "work on a copy"
            if isinstance(value, (np.ndarray, list, tuple, dict))
            else "only read from it, and leave its layers and values as they were"
        )
        problems.append(
            f"your function modified its input {name} in place (the caller's "
            f"{name} changed): {advice}"
        )
    if aliased and ex.output == "new" and (problem is None or problem[0] != "type"):
        # (with the wrong structure, which returned array stands for which is unknown)
        given = {**dict(zip(names, run.args)), **run.kwargs}
        same = [n for n, v in given.items() if v is run.output and not isinstance(v, np.ndarray)]
        problems.append(
            f"your function returned its input {same[0]} itself (the caller's "
            f"{type(run.output).__name__}) instead of a new one: changing one would change "
            "the other"
            if same
            else "your function returned (a view of) its input array instead of a "
            "new array: changing one would change the other"
        )
    if ex.output == "input" and not problems:
        own = list(_arrays((run.args, run.kwargs)))
        copies = [o for o in _arrays(run.output) if not any(o is a for a in own)]
        if copies:
            problems.append(
                f"{len(copies)} of the arrays you returned are copies, not the input's own "
                "arrays: an optimizer updating copies never changes the model "
                "(return p, not p.copy())"
            )
    return _Outcome(case, run, expected, problems, modified, aliased, problem is not None)


def _input_arrays(case: Case, names: list[str], signature: str = "") -> dict[str, np.ndarray]:
    """The case's array arguments by name, as given (before any call): what a wrong entry of
    an elementwise result is shown beside; with the arrays in a tuple argument whose items
    the ``signature`` names (``where cache = (mask, p)``: the mask, as ``mask``)."""
    given = {**dict(zip(names, case.args)), **dict(case.kwargs)}
    arrays = {name: v for name, v in given.items() if isinstance(v, np.ndarray)}
    for name, items in (_argument_parts(signature, names) if signature else {}).items():
        value = given.get(name)
        if isinstance(value, (tuple, list)) and len(value) == len(items):
            for item, v in zip(items, value):
                if isinstance(v, np.ndarray) and item not in arrays:
                    arrays[item] = v
    return arrays


def _draw_problems(
    case: Case, run: _Run, reference: tuple[tuple[Any, ...], dict[str, Any]], names: list[str]
) -> list[str]:
    """A line for each random generator argument that ``run`` left at another point of its
    stream than the reference did (more or fewer values drawn from it, or none): the result
    may be right, but the caller's next draws from that generator are not what its seed gives."""
    ref_args, ref_kwargs = reference
    before = {**dict(zip(names, case.args)), **dict(case.kwargs)}
    pairs = [(n, r, g) for n, r, g in zip(names, ref_args, run.args)]
    pairs += [(k, ref_kwargs.get(k), run.kwargs.get(k)) for k in case.kwargs]
    lines = []
    for name, ref_value, got_value in pairs:
        ref_states, got_states = _generator_states(ref_value), _generator_states(got_value)
        if not ref_states or _same_state(ref_states, got_states):
            continue
        untouched = _same_state(_generator_states(before.get(name)), got_states)
        lines.append(
            f"your result is right, but your function drew nothing from {name}: draw from "
            f"the generator you are given (not np.random, not a new default_rng, not a copy of "
            f"{name}), or a run cannot be reproduced from its seed"
            if untouched
            else f"your result is right, but your function drew a different number of random "
            f"values from {name} than expected: {name} is left at another point of its "
            f"stream, so the caller's next draw from it is not the one its seed gives. "
            f"Draw exactly the values you need, and nothing else, from {name}"
        )
    return lines


def _numbers_in(fn: Any) -> list[tuple[str, float]]:
    """The numbers ``fn`` itself may use where an argument belongs: the values of the
    notebook variables its code reads (``keep`` of ``u >= keep``) and the numbers written in
    it, as ``(how to name it, value)``. Only plain ``int``/``float`` values count (their
    ``type`` cannot be faked); 0, 1 and ``True``/``False`` are left to the other rules."""
    if not isinstance(fn, FunctionType):  # a def or a lambda: its attributes are its own
        return []
    code, space = fn.__code__, fn.__globals__
    found: list[tuple[str, float]] = []
    codes, k = [code], 0
    while k < len(codes) and len(codes) < 20:
        codes += [c for c in codes[k].co_consts if isinstance(c, CodeType)]
        k += 1
    for c in codes:
        for name in c.co_names:
            v = dict.get(space, name)
            if (
                isinstance(v, (int, float))
                and type(v) in (int, float, np.float64)
                and v not in (0, 1)
            ):
                found.append((f"the variable {name} of an earlier cell", float(v)))
    for c in codes:
        for v in c.co_consts:
            if type(v) in (int, float) and v not in (0, 1):
                found.append((f"the number {v!r} written in your function", float(v)))
    unique: list[tuple[str, float]] = []
    for label, v in found:
        if not any(v == u for _, u in unique):
            unique.append((label, v))
    return unique[:4]


def _own_params(fn: Any) -> list[str]:
    """The names of the positional parameters of the learner's function (``[]`` for one
    that is not a plain function)."""
    code = getattr(fn, "__code__", None) if isinstance(fn, FunctionType) else None
    return list(code.co_varnames[: code.co_argcount]) if isinstance(code, CodeType) else []


def _params_used(fn: Any) -> list[str]:
    """The parameters of the learner's function that it reads and never assigns (in its own
    body or a function nested in it): an argument it uses as given, which cannot be hard-coded
    (``[]`` for one that is not a plain function)."""
    code = getattr(fn, "__code__", None) if isinstance(fn, FunctionType) else None
    if not isinstance(code, CodeType):
        return []
    params = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    loaded: set[str] = set()
    stored: set[str] = set()
    todo = [code]
    while todo:
        c = todo.pop()
        for ins in dis.get_instructions(c):
            names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
                loaded.update(n for n in names if isinstance(n, str))
            elif ins.opname.startswith(("STORE_FAST", "STORE_DEREF", "DELETE_")):
                stored.update(n for n in names if isinstance(n, str))
        todo += [k for k in c.co_consts if isinstance(k, CodeType)]
    return sorted((params & loaded) - stored)


def _notebook_reads(fn: Any) -> list[str]:
    """The global names the learner's function (and the code nested in it) reads that are
    variables of its notebook (its module's globals), e.g. ``beta`` set by an earlier cell."""
    code, space = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if not isinstance(code, CodeType) or not isinstance(space, dict):
        return []
    read: list[str] = []
    todo = [code]
    while todo and len(read) < 1000:
        c = todo.pop()
        read += [n for n in c.co_names if n not in read and dict.__contains__(space, n)]
        todo += [k for k in c.co_consts if isinstance(k, CodeType)]
    return read


def _diagnose(
    ex: FunctionExercise,
    outcomes: list[_Outcome],
    seconds: float,
    fn: Any = None,
    skip: Sequence[str] = (),
) -> Diagnosis | None:
    """The generic diagnosis of the learner's wrong results (see :mod:`.diagnose`)."""
    from dlnotes.exercises import diagnose

    def close(expected: Any, got: Any, loose: bool) -> bool:
        rtol, atol = (max(ex.rtol, 1e-6), max(ex.atol, 1e-30)) if loose else (ex.rtol, ex.atol)
        return _compare(expected, got, rtol, atol, equal_nan=True) is None

    def reference(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
        run = _call(ex.solution, Case("", args, kwargs), min(seconds, 0.5), {})
        return run.error is None and not run.timed_out, run.output

    observations = [
        diagnose.Observation(o.case, o.expected, o.run.output, o.wrong) for o in outcomes
    ]
    factors = [k for k in ex.diagnoses if k.startswith(("factor ", "step factor "))]
    try:  # quietly: a diagnosis is a guess, and the learner's odd result must not warn
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return diagnose.find(
                ex.solution,
                ex.signature,
                observations,
                close,
                reference,
                factors,
                constants=_numbers_in(fn),
                skip=skip,
                own_params=_own_params(fn),
                reads=_notebook_reads(fn),
                uses=_params_used(fn),
            )
    except Exception:
        return None


def _unknown_label(ex: FunctionExercise, outcomes: list[_Outcome]) -> Diagnosis | None:
    """The diagnosis of strings returned that are none of the exercise's labels (declared in
    ``labels``, else, for a ``-> str`` signature, those the reference returns on the checks),
    see :func:`.diagnose.unknown_label`."""
    from dlnotes.exercises import diagnose

    labels = list(ex.labels)
    if not labels and ex.signature.partition("->")[2].strip() == "str":
        for o in outcomes:
            if type(o.expected) is str and o.expected not in labels:
                labels.append(o.expected)
    observations = [
        diagnose.Observation(o.case, o.expected, o.run.output, o.wrong) for o in outcomes
    ]
    try:
        return diagnose.unknown_label(ex.signature, observations, labels, ex.label_synonyms)
    except Exception:  # a learner's string subclass that fights back: nothing to say
        return None


def _match_mistake(
    ex: FunctionExercise,
    outcomes: list[_Outcome],
    seconds: float,
    names: list[str],
    fn: Any = None,
) -> Mistake | None:
    """The first known mistake that behaves exactly like the learner's function on every case;
    failing that, the first that does but for returning views of the inputs where the learner
    returns copies, or the other way round (``X[start:stop]`` or ``X[order[start:stop]]`` with
    ``order = np.arange(N)`` are both "no shuffling").

    Given the learner's ``fn``, a mistake that writes into its input arrays (and puts them
    back, so that they end unchanged) yields to a later one that matches too when ``fn``
    writes into none: chapter 08's gradient taken on the caller's float32 ``x`` itself and the
    one taken on a float32 copy of it return the same numbers, and each is told its own fix
    (see :func:`_writes_inputs`)."""
    runs: dict[tuple[int, int], _Run] = {}  # each mistake runs on a case once

    def run(k: int, i: int) -> _Run:
        if (k, i) not in runs:
            runs[k, i] = _call(ex.mistakes[k].wrong, outcomes[i].case, seconds, {})
        return runs[k, i]

    probe = next((o.case for o in outcomes if o.problems), outcomes[0].case if outcomes else None)
    learner_writes: list[bool] = []  # probed once, when a mistake that writes matches
    first: Mistake | None = None
    for aliasing in (True, False):
        for k, mistake in enumerate(ex.mistakes):
            if all(
                _same_behaviour(ex, run(k, i), o.run, o.case, names, aliasing)
                for i, o in enumerate(outcomes)
            ):
                if fn is None or probe is None or not _writes_inputs(mistake.wrong, probe, seconds):
                    return mistake
                if not learner_writes:
                    learner_writes.append(_writes_inputs(fn, probe, seconds))
                if learner_writes[0]:
                    return mistake
                first = first or mistake  # named if no other one matches
    return first


def _writes_inputs(fn: Any, case: Case, seconds: float) -> bool:
    """Whether ``fn`` writes into the arrays it is given, even when it puts them back: called
    on read-only copies of them (in tuples, lists and dicts too), it raises numpy's "...
    is read-only" ``ValueError``."""

    def frozen(*args: Any, **kwargs: Any) -> Any:
        todo: list[Any] = [args, kwargs]
        while todo and len(todo) < 10_000:
            x = todo.pop()
            if type(x) is np.ndarray:
                x.flags.writeable = False
            elif isinstance(x, (tuple, list)):
                todo += list(x)
            elif isinstance(x, dict):
                todo += list(x.values())
        return fn(*args, **kwargs)

    try:
        run = _call(frozen, case, seconds, {})
    except Exception:
        return False
    return isinstance(run.error, ValueError) and "read-only" in _message(run.error)


def _float32_input(case: Case) -> bool:
    """One of the case's arguments is a float32 array (a case about precision)."""
    values = [*case.args, *case.kwargs.values()]
    return any(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in values)


def _match_mistake_but_float32(
    ex: FunctionExercise,
    outcomes: list[_Outcome],
    seconds: float,
    names: list[str],
    fn: Any = None,
) -> Mistake | None:
    """The known mistake that behaves like the learner's function on every case *without* a
    float32 input, when none matches on all of them: a learner who made that mistake and also
    kept float32 where the answer works in float64 (``x.copy()`` of a float32 ``x``) makes two
    mistakes at once, and the first one is still worth naming."""
    plain = [o for o in outcomes if not _float32_input(o.case)]
    if len(plain) == len(outcomes) or not any(o.problems for o in plain):
        return None
    if any(_holds_float32(o.expected) for o in outcomes if _float32_input(o.case)):
        # the answer keeps float32 (dropout's backward): a mistake that does not is not one
        # the learner made "on top", and the note on dtypes would be false (a float64 result
        # there is matched by _match_mistake_but_upcast)
        return None
    return _match_mistake(ex, plain, seconds, names, fn)


def _match_mistake_but_upcast(
    ex: FunctionExercise,
    outcomes: list[_Outcome],
    seconds: float,
    names: list[str],
    fn: Any = None,
) -> tuple[Mistake | None, list[int]]:
    """The known mistake that behaves like the learner's function once the learner's float64
    results are read as float32 where the answer keeps float32, and the (0-based) checks where
    that took a float64 result; ``(None, [])`` when none does.

    ``dout * (1 - mask) / (1 - p)`` is the dropped units' mask *and* a float64 result for a
    float32 ``dout`` (``1 - mask`` is an int64 array): the mistake, written as
    ``dout * ~mask / (1 - p)``, keeps float32, so it matches on no float32 check, and the
    learner would hear of neither. Its values are compared to float32 precision (a float64
    result rounded to float32, then compared within float32's tolerance, see
    :func:`_dtype_tolerance`); a right answer in float64 matches no mistake and keeps its
    dtype diagnosis."""
    narrowed, upcast = [], []
    for k, o in enumerate(outcomes):
        output, changed = _narrowed(o.expected, o.run.output)
        if changed:
            o = dataclasses.replace(o, run=dataclasses.replace(o.run, output=output))
            upcast.append(k)
        narrowed.append(o)
    if not upcast:
        return None, []
    mistake = _match_mistake(ex, narrowed, seconds, names, fn)
    return (mistake, upcast) if mistake is not None else (None, [])


def _narrowed(expected: Any, got: Any, depth: int = 0) -> tuple[Any, bool]:
    """``got`` with each float64 array or number where ``expected`` has a float32 one (of the
    same shape) rounded to float32, and whether there was any."""
    if isinstance(expected, np.ndarray) and expected.dtype == np.float32:
        if type(got) is np.ndarray and got.dtype == np.float64 and got.shape == expected.shape:
            return got.astype(np.float32), True
        return got, False
    if isinstance(expected, np.float32) and type(got) in (float, np.float64):
        return np.float32(got), True
    if type(expected) in (tuple, list) and type(got) is type(expected) and depth < 5:
        if len(got) == len(expected):
            parts = [_narrowed(e, g, depth + 1) for e, g in zip(expected, got)]
            if any(changed for _, changed in parts):
                items = [v for v, _ in parts]
                return (tuple(items) if type(got) is tuple else items), True
    return got, False


def _upcast_note(outcomes: list[_Outcome], upcast: list[int], names: list[str]) -> str:
    """What a learner whose result is float64 where float32 is expected (on the checks
    ``upcast``, 0-based) is told beside the mistake named: how numpy came to widen float32.

    Each rule holds in numpy 2 (NEP 50 promotion), see the tests: a float32 array with a
    Python number or a bool array stays float32; with an ``np.float64`` number, or a float64
    or int64 array, it becomes float64; ``1 - m`` of a bool array ``m`` is int64."""
    which = ", ".join(str(k + 1) for k in upcast)
    case = outcomes[upcast[0]].case
    given = {**dict(zip(names, case.args)), **dict(case.kwargs)}
    first = next(
        (n for n, v in given.items() if isinstance(v, np.ndarray) and v.dtype == np.float32),
        None,
    )
    where = f", where {first} is float32," if first else ""
    keep = f"{first}'s dtype (.astype({first}.dtype)" if first else "float32 (.astype(np.float32)"
    return (
        f"  and in check{'s' if len(upcast) > 1 else ''} {which}{where} your result is also "
        f"float64 where float32 is expected: keep {keep} on a factor that widens it). A "
        "float32 array stays float32 with a Python number or a bool array, but becomes "
        "float64 with an np.float64 number or a float64 or int64 array: x.astype(float) is "
        "float64, and 1 - m of a bool array m is int64."
    )


def _holds_float32(value: Any, depth: int = 0) -> bool:
    """``value`` is, or holds (in a tuple or list), a float32 number or array."""
    if isinstance(value, (np.ndarray, np.floating)):
        return bool(value.dtype == np.float32)
    if type(value) in (tuple, list) and depth < 5:
        return any(_holds_float32(v, depth + 1) for v in value)
    return False


def _answer_variable(ex: ValueExercise) -> str:
    """The notebook variable a value exercise's answer goes in, from its signature
    (``"lr_challenge = ...  (a number)"`` gives ``lr_challenge``), else ``"your answer"``."""
    found = re.match(r"\s*([A-Za-z_]\w*)\s*=", ex.signature)
    return found[1] if found else "your answer"


def _as_number(text: Any) -> float | None:
    """``text`` as a number when it is a string that reads as one (``"1.8"``, ``" 2e-3"``),
    else ``None``."""
    if type(text) is not str or "_" in text:  # "1_0" is no number a learner means
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _decimal_comma(text: str) -> str | None:
    """``text`` with its comma as a decimal point when it reads as one number written with a
    decimal comma (``"1,8"`` gives ``"1.8"``; ``"0,1, 0,9"``, ``"1,000.5"`` and ``"1,500"``,
    which may be a thousands separator, give ``None``)."""
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?", stripped):
        return None
    if re.fullmatch(r"[+-]?[1-9]\d{0,2},\d{3}", stripped):  # 1,500: fifteen hundred?
        return None
    dotted = stripped.replace(",", ".")
    return dotted if _as_number(dotted) is not None else None


def _quoted_numbers(ex: ValueExercise, value: Any) -> str | None:
    """The verdict on a value exercise whose answer is a number, or numbers, answered with
    a string (``lr_challenge = "1.8"``): write the number without quotes, in the variable
    the notebook asks for. ``None`` for any other answer (``verify`` judges it)."""
    sol, name = ex.solution, _answer_variable(ex)
    if _real_scalar(sol) is not None and type(value) is str:
        if _as_number(value) is None:
            dotted = _decimal_comma(value)
            if dotted is not None:  # "1,8": a comma as the decimal mark
                return (
                    f"{ex.name}: your answer must be a number, not the string {value!r}: "
                    f"write {name} = {dotted} (without quotes, and with a point as the "
                    "decimal mark: in Python a comma separates two values)"
                )
            return (
                f"{ex.name}: your answer must be a number, not the string {value!r}: write "
                f"a number after {name} =, without quotes"
            )
        return (
            f"{ex.name}: your answer must be a number, not a string: write "
            f"{name} = {value.strip()} (without quotes)"
        )
    numbers = isinstance(sol, tuple) and all(_real_scalar(v) is not None for v in sol)
    if (
        numbers
        and type(value) in (tuple, list)  # a learner's subclass is left to verify
        and len(value) == len(sol)
        and any(type(v) is str for v in value)
        and all(_real_scalar(v) is not None or _as_number(v) is not None for v in value)
    ):
        fixed = ", ".join(v.strip() if type(v) is str else repr(v) for v in value)
        return (
            f"{ex.name}: your answer must hold numbers, not strings: write "
            f"{name} = ({fixed}) (without quotes)"
        )
    return None


def _check_value(ex: ValueExercise, value: Any) -> tuple[bool, str]:
    if value is None:  # the learner edition's placeholder, not replaced yet
        return False, (
            f"{ex.name}: not answered yet: the answer is still None. In the cell above, replace "
            f"None by your answer, {ex.signature}, run that cell, then run this one again."
        )
    if callable(value):
        return False, f"{ex.name}: expected a value ({ex.signature}), got a function"
    quoted = _quoted_numbers(ex, value)
    if quoted is not None:
        return False, quoted
    try:
        with np.errstate(all="ignore"):
            verdict = ex.verify(value)
    except Exception as err:  # a value verify cannot use: say so, as a verdict
        return False, (
            f"{ex.name}: expected {ex.signature.split('=', 1)[-1].strip()}, got "
            f"{_type_name(value)}, which cannot be used ({type(err).__name__}: {_message(err)})"
        )
    if verdict.passed:
        return True, f"✓ {ex.name}: {verdict.summary}"
    summary = f"{verdict.summary}. {verdict.points}" if verdict.points else verdict.summary
    lines = [f"{ex.name}: {summary}", *(f"  {d}" for d in verdict.details)]
    if verdict.mistake is not None:
        lines += _hint_lines(ex.mistake(verdict.mistake))
    return False, "\n".join(lines)


@dataclass(frozen=True)
class _Stale:
    """Why ``check`` was given a definition that the last run of its cell did not make: that
    cell stopped at a SyntaxError (``error``; then none of it ran) or raised ``raised`` before
    its ``def``. ``failed`` and ``defined`` are the execution numbers of that cell and of the
    cell that made the definition Python kept (``None``: an older cell, not known which, for
    a function a ``%%time`` cell defined that no cell's code still matches)."""

    name: str
    failed: int
    defined: int | None
    filename: str
    error: SyntaxError | None = None
    raised: str = ""
    renamed: str = ""  # the name the cell that defined ``name`` now defines instead
    dropped: bool = False  # that cell (known by its cell id) now defines no ``name``, nor one other
    elsewhere: int | None = None  # the last run of another cell that makes ``name`` on its own
    assigned: bool = False  # ``name`` is a variable (a value exercise's answer), not a def

    def note(self) -> str:
        """The note said above the verdict on the kept definition (a cell that raised, or one
        whose ``def`` now names another function)."""
        name = self.name
        if self.elsewhere is not None:
            kept = "the value it kept" if self.assigned else f"the older {name}"
            return (
                f"note: your cell [{self.failed}] {self._now()}: this checks {kept}"
                f"{self._cell('from ')}. Cell [{self.elsewhere}] also "
                f"{'assigns' if self.assigned else 'defines'} {name}, and a fresh run of the "
                f"notebook would use that one: run cell [{self.elsewhere}], then this check."
            )
        if self.dropped:
            verb, kept = (
                ("assign", f"the value it kept{self._cell('from ')}")
                if self.assigned
                else ("define", f"the older {name}{self._cell()}")
            )
            return (
                f"note: your cell [{self.failed}] {self._now()}: this checks {kept}, which no "
                "cell you have run since makes. If you moved it to another cell, run that "
                f"cell; otherwise {verb} {name} in cell [{self.failed}] again and run it."
            )
        if self.assigned:
            return (
                f"note: your last run of the cell that assigns {name} (cell [{self.failed}]) "
                f"raised {self.raised} before {name} was assigned, so {name} still holds its "
                f"older value{self._cell('from ')}, and that is what this checks. Fix that "
                "error, run that cell again until it runs without error, then run this check."
            )
        if self.renamed:
            return (
                f"note: your cell [{self.failed}] {self._now()}: this checks the older "
                f"{name}{self._cell()}, which that cell no longer defines. Rename it back to "
                f"{name} and run that cell again."
            )
        return (
            f"note: your last run of the cell that defines {name} (cell [{self.failed}]) raised "
            f"{self.raised} before it reached `def {name}`, so Python kept the {name} defined "
            f"before it{self._cell()}, and that is what this checks. Fix that error and run that "
            "cell again."
        )

    def syntax_report(self, exercise: str) -> str:
        """The verdict when the cell stopped at a SyntaxError: that error (cell, line, code),
        and that nothing was checked (the kept definition is not the code the learner sees)."""
        name, error = self.name, self.error
        if error is None:  # a cell that raised: see note()
            raise ValueError("syntax_report() needs the SyntaxError")
        kind = type(error).__name__  # SyntaxError, IndentationError, TabError
        at = f" at line {error.lineno}" if error.lineno else ""
        made = "assigned no new value to" if self.assigned else "defined no new"
        lines = [
            f"{exercise}: not checked: cell [{self.failed}] has {_article(kind)} {kind}{at}. "
            f"None of that cell ran, so it {made} {name}:"
        ]
        code = (error.text or "").strip() or linecache.getline(
            self.filename, error.lineno or 0
        ).strip()
        if code:
            shown = f"`{code}`" if "`" not in code else code
            lines.append(f"  line {error.lineno}: {shown}" if at else f"  {shown}")
        lines.append(f"  {type(error).__name__}: {error.msg}")
        kept = (
            f"{name} still holds its older value{self._cell('from ')}"
            if self.assigned
            else f"Python kept the {name} defined before it{self._cell()}"
        )
        lines.append(
            f"note: your last run of the cell that {'assigns' if self.assigned else 'defines'} "
            f"{name} (cell [{self.failed}]) stopped there, so {kept}: checking that one again "
            "would tell you nothing new about the cell you see. Fix the syntax error, run that "
            "cell, then run this check again."
        )
        return "\n".join(lines)

    def not_counted(self, exercise: str, passed: str) -> str:
        """The verdict when the kept definition passes (``passed``: its ``✓`` line): not
        counted, the cell the learner sees did not make it."""
        said = passed.removeprefix("✓").strip().removeprefix(f"{exercise}:").strip()
        kept = "an earlier run" if self.defined is None else f"cell [{self.defined}]"
        if self.renamed or self.dropped:
            what = f"{'value of ' if self.assigned else ''}{self.name} kept from {kept}"
            unchecked = (
                f"it is not the {self.name} a fresh run would make (cell [{self.elsewhere}]'s)"
                if self.elsewhere is not None
                else f"no cell you have run since makes {self.name}"
                if self.dropped
                else f"the code of cell [{self.failed}] has not been checked yet"
            )
            return (
                f"{exercise}: not counted: cell [{self.failed}] {self._now('`')}. The "
                f"{what} passed ({said}), but {unchecked}."
            )
        if self.assigned:
            return (
                f"{exercise}: not counted: cell [{self.failed}] never assigned `{self.name}`. "
                f"The value of {self.name} kept from {kept} passed ({said}), but the code in "
                f"cell [{self.failed}] has not been checked yet, and a fresh run of the "
                "notebook (the graded one) runs that cell as it is now."
            )
        return (
            f"{exercise}: not counted: cell [{self.failed}] never reached `def {self.name}`. "
            f"The {self.name} kept from {kept} passed ({said}), but the code in "
            f"cell [{self.failed}] has not been checked yet."
        )

    def _now(self, quote: str = "") -> str:
        """What the cell that made the kept definition defines now: ``now defines other, not
        name`` (renamed), or ``no longer defines name``; names in ``quote`` marks."""
        name = f"{quote}{self.name}{quote}"
        if self.renamed:
            return f"now defines {quote}{self.renamed}{quote}, not {name}"
        return f"no longer {'assigns' if self.assigned else 'defines'} {name}"

    def _cell(self, word: str = "") -> str:
        """`` (cell [N])``, the cell of the kept definition (``word`` before its number:
        `` (from cell [N])``), or ``""`` when not known."""
        return "" if self.defined is None else f" ({word}cell [{self.defined}])"


def _article(word: str) -> str:
    """``"an"`` before a vowel, else ``"a"`` (an IndentationError, a SyntaxError)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _stale_definition(fn: Any) -> _Stale | None:
    """Why ``fn`` is not what the last cell that defines its name made: that cell stopped at a
    SyntaxError, or raised before it reached its ``def``, after ``fn`` was defined, so Python
    kept the previous definition.

    Read from IPython's record of which cell (execution number) each compiled file came from,
    not from the last exception (``sys.last_exc``), which the first failed check replaces: the
    finding stays for every check until the function is defined again. ``None`` outside
    IPython (the grader runs no IPython), or when nothing says the definition is stale.
    """
    try:  # a decorated function: the cell of its own def, not of the decorator's wrapper
        fn = inspect.unwrap(fn)
    except Exception:
        return None
    name = getattr(fn, "__name__", None)
    code = getattr(fn, "__code__", None)
    numbers = _cell_numbers()
    if not isinstance(name, str) or not isinstance(code, CodeType) or numbers is None:
        return None
    defined = numbers.get(code.co_filename)
    last = _last_cell_defining(name, numbers)
    if last is None:
        return None
    if defined is None and code.co_filename == "<timed exec>":  # made by a %%time cell
        defined = _timed_cell_defining(name, code, numbers)  # None: older, not known which
    elif defined is None:
        return None
    if defined is not None and last[0] <= defined:
        return _renamed_since(fn, name, defined, numbers)
    failed, filename = last
    error = _syntax_error(filename)
    if error is not None:
        return _Stale(name, failed, defined, filename, error=error)
    raised = _FAILED_CELLS.get(failed)
    if raised is None:
        return None
    text, line = raised
    def_line = _top_level_def_line(name, filename)
    if line is not None and def_line is not None and line >= def_line:
        return None  # it raised after its def ran: not what kept the older definition
    return _Stale(name, failed, defined, filename, raised=text)


def _renamed_since(fn: Any, name: str, defined: int, numbers: Mapping[str, int]) -> _Stale | None:
    """A :class:`_Stale` when a cell run after cell [``defined``] (which made ``fn``, the last
    cell that defines ``name``) looks like that cell edited to define another name instead:
    the learner renamed ``def cosine_lr`` to ``def cosine_Lr`` by a slip, and the older
    ``cosine_lr`` is still in the namespace. The latest such cell counts: one whose top-level
    function names are those of cell [``defined``] but for ``name``, which became a name a
    typo away from it (:func:`_typo_of`). A helper defined in a new cell, another attempt
    kept under another name (``cosine_lr2``, ``cosine_lr_fast``), or an unchanged cell run
    again is none of these: the cells' code alone cannot tell an edited cell from a new one.
    Where the front end names each cell it runs (:data:`_CELL_IDS`), it can, and the cells'
    last runs decide: ``fn`` is stale when no cell's last run still binds ``name`` by the same
    statements, whatever the edited cell defines now (:func:`_edited_cell`)."""
    old_file = next((f for f, k in list(numbers.items()) if k == defined), None)
    if old_file is None:
        return None
    old_defs = _top_level_defs(_cell_code(old_file)[0])
    if name not in old_defs:
        return None
    if defined in _cell_runs(numbers):  # the front end names its cells: follow them
        return _edited_cell(name, defined, old_defs, numbers)
    found: list[tuple[int, str, str]] = []
    for filename, number in list(numbers.items()):
        if not isinstance(number, int) or number <= defined:
            continue
        defs = _top_level_defs(_cell_code(filename)[0])
        added = [d for d in defs if d not in old_defs]
        if name in defs or len(added) != 1 or not _typo_of(added[0], name):
            continue
        if all(d in defs for d in old_defs if d != name):
            found.append((number, filename, added[0]))
    if not found:
        return None
    failed, filename, other = max(found)
    return _Stale(name, failed, defined, filename, renamed=other)


def _edited_cell(
    name: str, defined: int, old_defs: Mapping[str, Any], numbers: Mapping[str, int]
) -> _Stale | None:
    """A :class:`_Stale` when no cell, as last run (by id), defines ``name`` as run
    [``defined``] did, and the cell of that run ran again: renamed when that last run defines
    one new function with the same parameters or a name a slip away, dropped otherwise; told
    as a SyntaxError when it stopped at one. ``None`` when some cell's last run still holds
    that very ``def`` (a fresh run makes the function checked), or ``name`` is bound there
    some other way, or nothing is known (:func:`_cell_runs`)."""
    found = _edited_run(name, defined, numbers)
    if found is None:
        return None
    failed, filename, elsewhere = found
    error = _syntax_error(filename)
    if error is not None:  # none of that run ran: the SyntaxError is what to fix
        return _Stale(name, failed, defined, filename, error=error)
    defs = _top_level_defs(_cell_code(filename)[0])
    added = [d for d in defs if d not in old_defs]
    alike = len(added) == 1 and (defs[added[0]] == old_defs[name] or _typo_of(added[0], name))
    renamed = added[0] if alike else ""
    return _Stale(
        name, failed, defined, filename, renamed=renamed, dropped=not renamed, elsewhere=elsewhere
    )


def _edited_run(
    name: str, kept: int, numbers: Mapping[str, int]
) -> tuple[int, str, int | None] | None:
    """``(execution number, file name, elsewhere)``: the last run of the cell whose run
    [``kept``] made ``name``, when no cell's last run holds the same statements binding it
    (:func:`_bindings`) and that last run does not bind ``name`` some other way; ``elsewhere``
    is the last run of another cell that still makes ``name`` on its own (a fresh run would
    use that one), else ``None``. ``None`` when cell ids are not known or nothing changed."""
    runs = _cell_runs(numbers)
    if kept not in runs:
        return None
    statements = _bindings(name, runs[kept][1])
    last: dict[str, tuple[int, str]] = {}
    for number, (cell_id, filename) in sorted(runs.items()):
        last[cell_id] = (number, filename)
    if not statements or any(_bindings(name, f) == statements for _, f in last.values()):
        return None
    failed, filename = last[runs[kept][0]]
    if failed == kept or _binds(name, filename):
        return None
    others = [
        n
        for cell_id, (n, f) in last.items()
        if cell_id != runs[kept][0] and _bindings(name, f) and not _reads_itself(name, f)
    ]
    return failed, filename, max(others, default=None)


def _cell_runs(numbers: Mapping[str, int]) -> dict[int, tuple[str, str]]:
    """Execution number -> ``(cell id, file name of its code)`` of every run whose cell id the
    front end sent (:data:`_CELL_IDS`), the cell running now included; ``{}`` when not known.
    A run's code is read from IPython's input history, and named by the file it was compiled
    as (a run whose code a later run repeated gets a name of its own in :mod:`linecache`)."""
    try:
        from IPython import get_ipython

        history = get_ipython().history_manager.input_hist_parsed
        ids = dict(_CELL_IDS)
        if _RUNNING_CELL[0] is not None:
            ids.setdefault(len(history) - 1, _RUNNING_CELL[0])
        files = {"".join(linecache.getlines(f)): f for f in list(numbers)}
        runs = {}
        for number, cell_id in ids.items():
            if 0 < number < len(history) and isinstance(history[number], str):
                runs[number] = (cell_id, _file_of(history[number], files))
        return runs
    except Exception:  # not IPython, or one that keeps no such history
        return {}


def _file_of(code: str, files: Mapping[str, str]) -> str:
    """The file name IPython compiled ``code`` as, else a name for it in :mod:`linecache`."""
    if code in files:
        return files[code]
    filename = f"<dlnotes-run-{hash(code) & 0xFFFFFFFF:08x}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return filename


def _binding_nodes(name: str, filename: str) -> list[ast.stmt]:
    """The cell's top-level statements that bind ``name`` by ``def`` or by an assignment
    (``name = ...``, ``name: T = ...``, ``name += ...``, ``a, name = ...``), in order."""
    tree = _parsed(_cell_code(filename)[0], filename)
    found: list[ast.stmt] = []
    for node in _top_level_nodes(tree) if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == name:
                found.append(node)
            continue
        if _assigns(node, name):
            found.append(cast(ast.stmt, node))
    return found


def _assigns(node: ast.AST, name: str) -> bool:
    """Whether the statement ``node`` assigns the variable ``name`` (``name = ...``, ``name:
    T = ...``, ``name += ...``, ``a, name = ...``)."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        targets = [node.target]
    return any(isinstance(t, ast.Name) and t.id == name for n in targets for t in ast.walk(n))


def _bindings(name: str, filename: str) -> tuple[str, ...]:
    """The syntax trees (as text: comments and spacing aside) of :func:`_binding_nodes`: two
    cells with the same make ``name`` alike."""
    return tuple(ast.dump(node) for node in _binding_nodes(name, filename))


def _reads_itself(name: str, filename: str) -> bool:
    """Whether one of the cell's assignments to ``name`` reads ``name`` (``name += 1``,
    ``name = round(name, 3)``): it reworks a value made elsewhere."""
    for node in _binding_nodes(name, filename):
        if isinstance(node, ast.AugAssign):
            return True
        value = (
            getattr(node, "value", None) if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        )
        if value is not None and any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
            for n in ast.walk(value)
        ):
            return True
    return False


def _binds(name: str, filename: str) -> bool:
    """Whether the cell's code binds ``name`` at its top level (an assignment, a ``for`` or
    ``with`` target, ``:=``, an import, a ``def`` or ``class``); not inside a function."""
    tree = _parsed(_cell_code(filename)[0], filename)
    todo: list[ast.AST] = list(tree.body) if tree is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == name:
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def _top_level_defs(source: str) -> dict[str, list[str]]:
    """The functions ``source`` defines at its top level (inside a top-level ``if``, ``try``
    or ``with`` too), each with its parameter names; ``{}`` for code that does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except Exception:
        return {}
    found: dict[str, list[str]] = {}
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            found[node.name] = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
            continue
        if isinstance(node, ast.ClassDef):
            continue
        for body in ("body", "orelse", "finalbody", "handlers"):
            todo += [n for n in getattr(node, body, []) if isinstance(n, ast.AST)]
    return found


def _typo_of(other: str, name: str) -> bool:
    """``other`` is ``name`` with a slip: another case, or one letter changed, dropped or
    added, or two neighbours swapped, inside the name (not at its end: ``cosine_lr2`` or
    ``cosine_l`` name other functions); names under 4 letters are never typos."""
    if other == name or min(len(other), len(name)) < 4:
        return False
    if other.lower() == name.lower():
        return True
    a, b = other, name
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return 0 < i < len(short) and short[i:] == long[i + 1 :]


def _timed_cell_defining(name: str, code: CodeType, numbers: Mapping[str, int]) -> int | None:
    """The execution number of the ``%%time`` cell whose run made the function of ``code``
    (its body, compiled apart as ``"<timed exec>"``, names no cell): the last such cell whose
    body compiles to that same code and that did not raise before its ``def``; ``None`` when
    no cell's code matches (its cell was run again with other code since)."""
    found = []
    for filename, number in list(numbers.items()):
        body, offset = _cell_code(filename)
        if not isinstance(number, int) or offset == 0 or f"def {name}" not in body:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compiled = compile(body, "<timed exec>", "exec", dont_inherit=True)
        except Exception:  # a SyntaxError: that run defined nothing
            continue
        if code not in _nested_codes(compiled):
            continue
        raised = _FAILED_CELLS.get(number)
        def_line = _top_level_def_line(name, filename)
        if raised is not None and raised[1] is not None and def_line is not None:
            if raised[1] < def_line:  # that run stopped before its def
                continue
        found.append(number)
    return max(found) if found else None


def _nested_codes(code: CodeType) -> list[CodeType]:
    """The code objects compiled inside ``code`` (its functions, and theirs), not itself."""
    found: list[CodeType] = []
    todo = [code]
    while todo and len(found) < 10_000:
        inner = [k for k in todo.pop().co_consts if isinstance(k, CodeType)]
        found += inner
        todo += inner
    return found


def _stale_answer(frame: FrameType | None) -> _Stale | None:
    """:func:`_stale_value` of the variable the notebook cell of ``frame`` passed to ``check``
    as its answer (``check("ch16_diagnose_runs", diagnosis)``): ``None`` when the call is not
    a cell's own line with a plain name as its answer, or nothing says the value is stale. A
    note's search, never a reason for no verdict: ``None`` when it fails."""
    try:
        found = _answer_name(frame)
        return None if found is None else _stale_value(*found)
    except Exception:
        return None


def _answer_name(frame: FrameType | None) -> tuple[str, str] | None:
    """``(name, file)``: the plain variable a notebook cell's own code (``frame``, the caller
    of ``check``) passes as the answer at the line it runs, and the file name of that cell; else
    ``None`` (another caller, an expression, or two calls on that line that pass two names)."""
    numbers = _cell_numbers()
    if frame is None or numbers is None or frame.f_code.co_name != "<module>":
        return None
    filename, line = frame.f_code.co_filename, frame.f_lineno
    if filename not in numbers:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse("".join(linecache.getlines(filename)))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.lineno <= line <= (node.end_lineno or 0):
            continue
        func = node.func
        if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) != "check":
            continue
        given = node.args[1] if len(node.args) > 1 else None
        given = next((k.value for k in node.keywords if k.arg == "answer"), given)
        names.add(given.id if isinstance(given, ast.Name) else "")
    return (names.pop(), filename) if len(names) == 1 and "" not in names else None


def _stale_value(name: str, caller: str) -> _Stale | None:
    """Why the value of the notebook variable ``name`` is not what the last cell that assigns
    it (at its top level, by its code: ``name = ...``) made: that cell stopped at a
    SyntaxError, or raised before ``name`` was assigned, so the variable kept an older value.
    ``caller`` is the file of the cell that calls ``check``: one that assigns ``name`` itself
    did so before the call. The kept value's cell is the last earlier run that assigned it
    (``None`` when none is known). Read from IPython's record of the cells, as
    :func:`_stale_definition` is, and where the front end sends cell ids, also stale when the
    cell that assigned it was edited not to and no cell's last run assigns it alike
    (:func:`_edited_run`); ``None`` outside IPython or when nothing says it is stale."""
    numbers = _cell_numbers()
    if numbers is None or _assignment_lines(name, caller) is not None:
        return None
    found = sorted(
        ((number, filename) for filename, number in list(numbers.items())
         if isinstance(number, int) and _assignment_lines(name, filename) is not None),
        reverse=True,
    )  # fmt: skip
    for number, file in found:  # latest first; a value reworked in place: where it was made
        edited = _edited_run(name, number, numbers)
        if edited is not None:  # the cell that assigned it was edited (by its id) not to
            failed, filename, elsewhere = edited
            kept = next((n for n, f in found if not _unassigned(name, n, f)), None)
            return _Stale(
                name, failed, kept, filename, _syntax_error(filename), assigned=True,
                dropped=True, elsewhere=elsewhere,
            )  # fmt: skip
        if not _reads_itself(name, file):
            break
    if not found or not _unassigned(name, *found[0]):
        return None
    failed, filename = found[0]
    kept = next((n for n, f in found[1:] if n < failed and not _unassigned(name, n, f)), None)
    error = _syntax_error(filename)
    if error is not None:
        return _Stale(name, failed, kept, filename, error=error, assigned=True)
    return _Stale(name, failed, kept, filename, raised=_FAILED_CELLS[failed][0], assigned=True)


def _unassigned(name: str, number: int, filename: str) -> bool:
    """Run ``number`` of the cell kept as ``filename``, which assigns ``name`` at its top level,
    did not: the cell has a SyntaxError, or it raised on a line no later than the end of its
    first assignment to ``name`` (or on a line not known)."""
    if _syntax_error(filename) is not None:
        return True
    raised = _FAILED_CELLS.get(number)
    lines = _assignment_lines(name, filename)
    if raised is None or lines is None:
        return False
    return raised[1] is None or raised[1] <= lines[1]


def _assignment_lines(name: str, filename: str) -> tuple[int, int] | None:
    """The first and last line of the first top-level statement of the cell kept as
    ``filename`` that assigns the variable ``name`` (``name = ...``, ``name: T = ...``,
    ``name += ...``, ``a, name = ...``; inside a top-level ``if``, ``for``, ``try`` or ``with``
    too), else ``None``. A cell that does not compile is searched line by line for a line that
    starts with ``name =``."""
    source, offset = _cell_code(filename)
    if name not in source:
        return None
    tree = _parsed(source, filename)
    if tree is None:  # a SyntaxError: no tree to read
        match = re.search(rf"^{re.escape(name)}\s*(?::[^=\n]*)?[-+*/%|&^@]?=(?!=)", source, re.M)
        line = offset + source.count("\n", 0, match.start()) + 1 if match else 0
        return (line, line) if match else None
    for node in _top_level_nodes(tree):
        if _assigns(node, name):
            stmt = cast(ast.stmt, node)
            return offset + stmt.lineno, offset + (stmt.end_lineno or stmt.lineno)
    return None


def _parsed(source: str, filename: str) -> ast.Module | None:
    """The cell's syntax tree, or ``None`` when it does not compile."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename)
    except Exception:  # a SyntaxError (or a null byte): no tree to read
        return None


def _top_level_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """The statements a cell runs at its top level, in order: its own, and those inside a
    top-level ``if``, ``for``, ``while``, ``try`` or ``with``; a ``def`` or ``class`` is given
    but not entered (what it holds runs only when called)."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop(0)
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for body in ("body", "orelse", "finalbody", "handlers"):
            todo += [n for n in getattr(node, body, []) if isinstance(n, ast.AST)]


def _global_for_parameter(ex: Exercise, fn: Any) -> str | None:
    """A note when the learner's function reads a global of the notebook named like one of
    the exercise's parameters that is not one of its own (``def standardize(Xtrain, Xother)``
    whose body reads ``X_train``): a misspelt parameter, and the checks' inputs are ignored."""
    code, names = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if not (isinstance(ex, FunctionExercise) and isinstance(code, CodeType)):
        return None
    if not isinstance(names, dict):  # a builtin or a callable object: nothing to read
        return None
    own = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    read: set[str] = set()
    todo = [code]
    while todo:  # the function's code and the code nested in it (comprehensions, lambdas)
        c = todo.pop()
        read.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, CodeType)]
    try:
        expected = list(inspect.signature(ex.solution).parameters)
    except (TypeError, ValueError):
        return None
    misread = [n for n in expected if n not in own and n in read and n in names]
    if not misread:
        return None
    these = ", ".join(misread)
    kind = "a variable" if len(misread) == 1 else "variables"
    return (
        f"note: your function reads {these}, {kind} of your notebook, not one of its own "
        f"parameters ({', '.join(own)}): is a parameter misspelt? The checks pass their "
        f"inputs as the arguments {ex.signature.split('->')[0].strip()}."
    )


@dataclass
class _Helpers:
    """The learner's functions that are answers to other exercises of the chapter, which the
    function checked may use (:func:`_helpers`): their code objects by name, which of them the
    checks' calls entered, and in which a time limit stopped a call."""

    codes: dict[CodeType, str]
    exercises: dict[str, FunctionExercise]
    called: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)

    def stopped_in(self, tb: Any) -> None:
        """Note the helpers a traceback (of a time-out) passes through."""
        while tb is not None:
            name = self.codes.get(tb.tb_frame.f_code)
            if name is not None:
                self.stopped.add(name)
            tb = tb.tb_next


#: The helpers the running check watches for (set by :func:`_run_checks` around its checks).
_HELPERS: _Helpers | None = None


def _helpers(ex: Exercise, fn: Any) -> _Helpers | None:
    """The functions of the learner's notebook that ``fn`` names and that answer another
    exercise of the same chapter, with that answer's signature (``adamw_step`` naming the
    learner's ``adam_step(x, m, v, g, t, lr, beta1, beta2, eps)``, as chapter 05 suggests):
    a function of the same name with other parameters, or another chapter's, is the learner's
    own. ``None`` when there is none."""
    space = getattr(fn, "__globals__", None)
    if not isinstance(ex, FunctionExercise) or not isinstance(space, dict):
        return None
    chapter = ex.name.split("_")[0]
    others = {
        e.solution.__name__: e
        for e in _REGISTRY.values()
        if isinstance(e, FunctionExercise) and e.name != ex.name and e.name.split("_")[0] == chapter
    }
    codes: dict[CodeType, str] = {}
    found: dict[str, FunctionExercise] = {}
    for name in _notebook_reads(fn):
        helper, other = dict.get(space, name), others.get(name)
        if other is None or not isinstance(helper, FunctionType) or helper is fn:
            continue
        if str(helper.__module__ or "").split(".")[0] == "dlnotes":  # the library's
            continue
        try:
            same = _parameter_names(helper) == _parameter_names(other.solution)
        except (TypeError, ValueError):
            same = False
        if same:
            codes[helper.__code__] = name
            found[name] = other
    return _Helpers(codes, found) if found else None


def _parameter_names(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def _failing_helper(ex: Exercise, fn: Any, seconds: float, helpers: _Helpers) -> str | None:
    """A note when the learner's function used (the checks' calls entered it) one of its
    ``helpers``, another exercise's answer, and that function fails its own exercise's
    visible checks: the failure may be that function's, not this one's. A helper in which a
    time limit stopped a call is not checked again (the time-out names it, and its checks
    would wait as long again)."""
    space = getattr(fn, "__globals__", None)
    if not isinstance(space, dict):
        return None
    mine = getattr(fn, "__name__", "your function")
    for name, other in helpers.exercises.items():
        helper = dict.get(space, name)
        if name not in helpers.called or name in helpers.stopped or helper is None:
            continue
        try:
            passed, said = _check_function(other, helper, "visible", min(seconds, 5.0))
        except Exception:  # the checker failing on it says nothing about this exercise
            continue
        if not passed and "is not written yet" not in said:  # (that is said already)
            return (
                f"note: your {mine} uses your {name}, which fails its own check "
                f"({other.name}; its checks just ran your {name} again): fix that one first."
            )
    return None


def _another_exercises_function(ex: Exercise, fn: Any) -> str | None:
    """A note when the learner passed the function another exercise asks for
    (``check("ch09_sgd_weight_decay_step", l1_prox_step)``, a cell copied from the exercise
    above): its checks then fail with wrong values and nothing says why."""
    name = getattr(fn, "__name__", None)
    if not (isinstance(ex, FunctionExercise) and isinstance(name, str)):
        return None
    own = ex.solution.__name__
    if name == own:
        return None
    for other in _REGISTRY.values():
        if other.name != ex.name and isinstance(other, FunctionExercise):
            if other.solution.__name__ == name:
                return (
                    f"note: you passed {name}, the function of exercise {other.name}; "
                    f"{ex.name} checks {own}."
                )
    return None


#: Execution number -> ``"TypeName (message)"`` of every cell that raised since this module was
#: imported in IPython (filled by :func:`_record_failed_cell`): the kernel keeps no such record.
_FAILED_CELLS: dict[int, tuple[str, int | None]] = {}

#: Execution number -> the id of the notebook cell that ran (filled by
#: :func:`_record_failed_cell` where the front end sends one: JupyterLab and Notebook 7 do,
#: Colab does not). It tells a cell edited and run again from a new cell.
_CELL_IDS: dict[int, str] = {}
#: The id of the cell running now (not yet in :data:`_CELL_IDS`), or ``None``.
_RUNNING_CELL: list[str | None] = [None]


def _record_failed_cell(result: Any) -> None:
    """IPython ``post_run_cell`` callback: remember each run's cell id (:data:`_CELL_IDS`), and
    a cell that raised, by execution number, with the line of the cell's own statement that
    raised (``None`` if unknown): a cell that raised before its ``def`` left the previous
    definition in place."""
    error = getattr(result, "error_in_exec", None)
    number = getattr(result, "execution_count", None)
    info = getattr(result, "info", None)
    cell_id = getattr(info, "cell_id", None)
    if getattr(info, "store_history", True) is not False:  # not a run nested in a cell
        if isinstance(number, int) and isinstance(cell_id, str) and cell_id:
            _CELL_IDS[number] = cell_id
        _RUNNING_CELL[0] = None
    if error is not None and isinstance(number, int):
        text = " ".join(_message(error).split())
        short = text if len(text) <= 80 else text[:77] + "..."
        line = None
        try:  # the first frame of the traceback is the cell's own code
            tb = error.__traceback__
            while tb is not None and not _is_cell_file(tb.tb_frame.f_code.co_filename):
                tb = tb.tb_next
            line = tb.tb_lineno if tb is not None else None
            offset = _cell_code(tb.tb_frame.f_code.co_filename)[1] if tb is not None else 0
            while offset and tb is not None and tb.tb_frame.f_code.co_filename != "<timed exec>":
                tb = tb.tb_next  # a %%time cell: the line of its body that raised
            if offset and tb is not None:
                line = tb.tb_lineno + offset
        except Exception:
            line = None
        _FAILED_CELLS[number] = (f"{type(error).__name__}" + (f" ({short})" if short else ""), line)


def _is_cell_file(filename: str) -> bool:
    """``filename`` is a notebook cell's code as IPython compiled it."""
    numbers = _cell_numbers()
    return numbers is not None and filename in numbers


def _watch_cells() -> None:
    """Register :func:`_note_running_cell` and :func:`_record_failed_cell` with the running
    IPython, once; nothing outside IPython."""
    try:
        from IPython import get_ipython

        events = get_ipython().events
        callbacks = events.callbacks
    except Exception:  # not IPython, or one without events
        return
    for event, callback in (
        ("pre_run_cell", _note_running_cell),
        ("post_run_cell", _record_failed_cell),
    ):
        registered = callbacks.get(event, [])
        if not any(getattr(cb, "__qualname__", "") == callback.__name__ for cb in registered):
            events.register(event, callback)


def _note_running_cell(info: Any) -> None:
    """IPython ``pre_run_cell`` callback: the id of the cell about to run (``None`` when the
    front end sends none), for a ``check`` in that same cell (:func:`_cell_runs`)."""
    if getattr(info, "store_history", True) is False:  # a run nested in a cell (%%capture)
        return
    cell_id = getattr(info, "cell_id", None)
    _RUNNING_CELL[0] = cell_id if isinstance(cell_id, str) and cell_id else None


def _cell_numbers() -> Mapping[str, int] | None:
    """IPython's map from the file name each cell was compiled as to its execution number
    (the last run of that code), or ``None`` outside IPython. IPython 7 (Colab's) keeps no
    such map, but names each cell's file ``<ipython-input-N-hash>`` in :mod:`linecache`, a
    cell that does not compile too: the map is read from those names."""
    try:
        from IPython import get_ipython

        compiler = get_ipython().compile
    except Exception:  # not IPython
        return None
    numbers = getattr(compiler, "_filename_map", None)
    if isinstance(numbers, dict):
        return numbers
    if not hasattr(compiler, "cache"):  # not IPython's caching compiler
        return None
    named = (re.fullmatch(r"<ipython-input-(\d+)-[0-9a-f]+>", k) for k in list(linecache.cache))
    return {m.group(0): int(m.group(1)) for m in named if m is not None}


def _last_cell_defining(name: str, numbers: Mapping[str, int]) -> tuple[int, str] | None:
    """``(execution number, file name)`` of the last cell run whose code defines ``name`` at
    its top level (not a function nested in another, a method, or text in a string), from the
    cells' code IPython keeps (in :mod:`linecache`), else ``None``."""
    found = [
        (number, filename)
        for filename, number in list(numbers.items())
        if isinstance(number, int) and _top_level_def_line(name, filename) is not None
    ]
    return max(found) if found else None


def _top_level_def_line(name: str, filename: str) -> int | None:
    """The line of the cell's top-level ``def name(`` (inside a top-level ``if``, ``try`` or
    ``with`` too), else ``None``. A cell that does not compile is searched line by line for a
    ``def name(`` that starts its line."""
    source, offset = _cell_code(filename)
    if "def" not in source:
        return None
    tree = _parsed(source, filename)
    if tree is None:  # a SyntaxError: no tree to read
        match = re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", source, re.M)
        return offset + source.count("\n", 0, match.start()) + 1 if match else None
    for node in _top_level_nodes(tree):  # not a function nested in another, nor a method
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return offset + node.lineno
    return None


#: Cell magics whose body is Python run in the notebook's namespace, so a ``def`` in it defines
#: the notebook's function (``%%timeit`` runs its body inside a function of its own: no).
_PYTHON_CELL_MAGICS = ("time",)


def _cell_code(filename: str) -> tuple[str, int]:
    """The code the learner wrote in the cell kept as ``filename``, and how many lines above it
    the cell has: a ``%%time`` cell is kept as ``get_ipython().run_cell_magic('time', '',
    body)``, whose body (from the cell's line 2) is the code; any other cell is its own code."""
    source = "".join(linecache.getlines(filename))
    if "run_cell_magic" not in source:
        return source, 0
    try:
        tree = ast.parse(source)
    except Exception:
        return source, 0
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return source, 0
    call = tree.body[0].value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "run_cell_magic"
        and len(call.args) == 3
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
    ):
        return source, 0
    magic, body = call.args[0].value, call.args[2].value  # type: ignore[attr-defined]
    return (body, 1) if magic in _PYTHON_CELL_MAGICS else (source, 0)


def _syntax_error(filename: str) -> SyntaxError | None:
    """The SyntaxError that compiling the cell kept as ``filename`` raises, else ``None`` (a
    top-level ``await``, which IPython runs, is not one)."""
    source, offset = _cell_code(filename)
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        with warnings.catch_warnings():  # e.g. an invalid escape sequence: not our business
            warnings.simplefilter("ignore")
            compile(source, filename, "exec", flags, dont_inherit=True)
    except SyntaxError as error:
        if error.lineno is not None:  # the line of the cell the learner sees
            error.lineno += offset
        return error
    except Exception:  # e.g. a null byte: not a note about syntax
        return None
    return None


#: the longest time limit ``check`` accepts for one call of the learner's function: an hour
MAX_TIME_LIMIT = 3600.0


def _seconds(time_limit: Any) -> float:
    """``check``'s ``time_limit`` as seconds: a real number in ``(0, MAX_TIME_LIMIT]``."""
    if isinstance(time_limit, (bool, np.bool_)) or not isinstance(
        time_limit, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"time_limit must be a number of seconds (or None for the exercise's own), got "
            f"{time_limit!r}"
        )
    seconds = float(time_limit)
    if not 0 < seconds <= MAX_TIME_LIMIT:  # also False for NaN
        raise CheckUsageError(
            f"time_limit must be > 0 and at most {MAX_TIME_LIMIT:g} seconds (an hour), got "
            f"{time_limit!r}"
        )
    return seconds


#: Markdown emphasis in feedback texts (``*larger*``, ``**not**``), but not ``beta**t``.
_EMPHASIS = re.compile(r"(?<![\w*])(\*{1,2})(?=\S)([^*\n]+?)(?<=\S)\1(?![\w*])")


def _plain(text: str) -> str:
    """``text`` with Markdown emphasis markers removed: feedback is printed, not rendered."""
    return _EMPHASIS.sub(r"\2", text)


def check(
    exercise: str | Exercise,
    answer: Any,
    *,
    suite: str = "visible",
    time_limit: float | None = None,
) -> None:
    """Check the learner's ``answer`` to ``exercise``; print ``✓ ...`` or raise ``CheckFailed``.

    ``answer`` is the learner's function (function exercises) or value (explorer challenges).
    ``suite="hidden"`` runs the hidden checks on the public practice seed (other inputs and
    sizes than the visible ones). Graded work is scored by ``tasks.py grade`` in a sandbox on
    the instructor key's hidden cases, never by this in-kernel call.
    Each call of the learner's function is stopped after ``time_limit`` seconds (default: the
    exercise's, 5 s). The :class:`CheckFailed` (an ``AssertionError``) says which check failed,
    expected vs got, and the likely mistake with a hint when the wrong result matches a known
    one; it shows without dlnotes' traceback frames, in a Jupyter notebook as HTML that wraps
    between words (:mod:`dlnotes.exercises.verdict`). In Colab the failure is printed (to
    stderr) instead of raised, so that "Run all" reaches the end of the chapter.
    When the last run of the cell that defines the learner's function stopped at a
    SyntaxError, Python still holds an older definition: nothing is checked, the verdict is
    that error (cell, line, code). One kept by a cell that raised before its ``def`` is
    checked, with a note, but never counted as passing (:func:`_stale_definition`). Both read
    IPython's record of the cells it compiled (its map of cells to execution numbers; in
    IPython 7, Colab's, the cells' file names), a ``%%time`` cell's body included. Where the
    front end sends each cell's id (JupyterLab, Notebook 7), a definition or a challenge's
    value that no cell, as last run, still makes the same way (its cell was edited to rename
    it, emptied, or another cell's version is what a fresh run would use) is not counted
    either (:func:`_edited_run`); elsewhere a cell whose ``def`` was renamed by a slip is.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    __tracebackhide__ = True
    try:
        ex = exercise if isinstance(exercise, Exercise) else get(exercise)
        if suite not in SUITES:
            raise CheckUsageError(f"suite must be 'visible' or 'hidden', got {suite!r}")
        seconds = None if time_limit is None else _seconds(time_limit)
    except CheckUsageError as err:  # raised from here: a plain traceback ends at check()
        raise err.with_traceback(None) from None
    stale = _stale_definition(answer)
    if stale is None and isinstance(ex, ValueExercise):  # the cell that assigns it failed?
        stale = _stale_answer(sys._getframe(1))
    if stale is not None and stale.error is not None:
        # the cell the learner sees does not compile: the definition Python kept is older
        # code, and a verdict on it (a pass above all) would be about a cell no longer shown
        report(False, stale.syntax_report(ex.name))
        return
    start = time.perf_counter()
    # what the learner's function prints (a debug print in a loop, repeated for every check)
    # is kept, and only its first lines shown above the verdict, which it would bury
    with _printed():  # shown when the block ends, a stopped check (KeyboardInterrupt) too
        passed, message, helper = _run_checks(ex, answer, suite, seconds)
    if stale is not None and passed:  # right, but not the code of the cell shown: no pass
        report(False, _plain(f"{stale.note()}\n{stale.not_counted(ex.name, message)}"))
        return
    elapsed = time.perf_counter() - start
    if passed and elapsed > 1.0:
        message += f" ({elapsed:.1f} s)"
    message = _plain(message if stale is None else f"{stale.note()}\n{message}")
    misspelt = None if passed else _global_for_parameter(ex, answer)
    message = message if misspelt is None else f"{misspelt}\n{message}"
    other = None if passed else _another_exercises_function(ex, answer)
    message = message if other is None else f"{other}\n{message}"
    message = message if helper is None else f"{helper}\n{message}"
    report(passed, message)


def _run_checks(
    ex: Exercise, answer: Any, suite: str, seconds: float | None
) -> tuple[bool, str, str | None]:
    """``(passed, message, helper note)`` of :func:`check`'s checks of ``answer``; a checker
    that fails is a verdict too, never a traceback from dlnotes."""
    try:
        if isinstance(ex, FunctionExercise):
            limit = ex.time_limit if seconds is None else seconds
            global _HELPERS
            try:
                helpers = _helpers(ex, answer)
            except Exception:  # a note's search, never a reason for no verdict
                helpers = None
            _HELPERS = helpers  # which of them the calls enter, seen by _timed_call
            try:
                passed, message = _check_function(ex, answer, suite, limit)
            finally:
                _HELPERS = None
            try:
                helper = None
                if not passed and helpers is not None:
                    helper = _failing_helper(ex, answer, limit, helpers)
            except Exception:  # a note, never a reason for no verdict
                helper = None
            return passed, message, helper
        if isinstance(ex, ValueExercise):
            return (*_check_value(ex, answer), None)
        raise TypeError(f"{ex.name} is neither a function nor a value exercise")
    except Exception as err:  # last resort: a verdict, never a traceback from dlnotes
        return (
            False,
            f"{ex.name}: {CHECKER_FAILED} your answer ({_type_name(answer)}), "
            f"{type(err).__name__}. Expected {ex.signature}.",
            None,
        )


#: How many lines of what the learner's function printed during a check are shown (all of
#: them when there are at most two more: a note would take a line itself).
PRINTED_LINES = 10
#: The longest printed line shown, in characters.
PRINTED_WIDTH = 200


class _Record:
    """The start of what is printed on stdout and stderr, in the order its lines end: the
    first :data:`PRINTED_LINES` + 2 lines, each kept to :data:`PRINTED_WIDTH` + 1 characters
    (enough to tell one to cut), and a count of every line, so that a function printing in an
    endless loop until its time limit fills no memory."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []  # (stream, text)
        self.count = 0

    def add(self, stream: str, text: str) -> None:
        self.count += 1
        if len(self.lines) < PRINTED_LINES + 2:
            self.lines.append((stream, text))

    def shown(self) -> list[tuple[str, str]]:
        """``(stream, line)`` to show: all lines when there are at most ``PRINTED_LINES + 2``,
        else the first ``PRINTED_LINES`` and how many more were printed (on stdout); each line
        cut to :data:`PRINTED_WIDTH` characters."""
        lines = [
            (stream, text if len(text) <= PRINTED_WIDTH else text[: PRINTED_WIDTH - 1] + "…")
            for stream, text in self.lines
        ]
        if self.count <= PRINTED_LINES + 2:
            return lines
        more = self.count - PRINTED_LINES
        return [
            *lines[:PRINTED_LINES],
            ("out", f"… {more} more lines printed by your function during the checks"),
        ]


class _Kept(io.TextIOBase):
    """A text stream (stdout or stderr, as ``stream`` says) that keeps the start of what is
    written to it in a :class:`_Record`, shared with the other stream so that their lines keep
    their order. Lines end at ``"\\n"`` only; a ``"\\r"`` returns to the start of the line,
    whose next characters overwrite it, as in a terminal (a progress bar shows its last
    state)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, record: _Record | None = None, stream: str = "out") -> None:
        super().__init__()
        self.record = _Record() if record is None else record
        self.stream = stream
        self.line = ""  # the line being written, kept to PRINTED_WIDTH + 1 characters
        self.column = 0  # where its next character goes
        self.open = False  # a line has been started and not ended

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: Any) -> int:
        if not isinstance(text, str):  # as a real text stream: print(b"...") is fine, this not
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        for k, part in enumerate(text.split("\n")):
            if k:
                self.finish()
            for j, piece in enumerate(part.split("\r")):
                if j:
                    self.column = 0
                self._put(piece)
            self.open = self.open or bool(part)
        return len(text)

    def _put(self, piece: str) -> None:
        room = PRINTED_WIDTH + 1 - self.column
        full = len(self.record.lines) >= PRINTED_LINES + 2  # its text will not be shown
        if room > 0 and piece and not full:
            cut = piece[:room]
            self.line = self.line[: self.column] + cut + self.line[self.column + len(cut) :]
        self.column += len(piece)

    def finish(self) -> None:
        """End the line being written (a line ended by a newline, or the last one, open)."""
        self.record.add(self.stream, self.line)
        self.line, self.column, self.open = "", 0, False

    def shown(self) -> list[str]:
        """The lines to show (see :meth:`_Record.shown`), the open line ended first."""
        if self.open:
            self.finish()
        return [text for _, text in self.record.shown()]


class _Printing:
    """What was printed on stdout and stderr while ``check`` ran the learner's code."""

    def __init__(self) -> None:
        self.record = _Record()
        self.out = _Kept(self.record, "out")
        self.err = _Kept(self.record, "err")

    def show(self) -> None:
        """Print the start of what was printed, each line on its own stream, in order (see
        :meth:`_Record.shown`)."""
        for kept in (self.out, self.err):
            if kept.open:
                kept.finish()
        shown = self.record.shown()
        k = 0
        while k < len(shown):  # the lines of one stream in a row, printed at once
            stream = shown[k][0]
            j = next((i for i in range(k, len(shown)) if shown[i][0] != stream), len(shown))
            run = [text for _, text in shown[k:j]]
            print("\n".join(run), file=sys.stdout if stream == "out" else sys.stderr, flush=True)
            k = j


@contextmanager
def _printed() -> Iterator[_Printing]:
    """Keep what is printed on ``sys.stdout`` and ``sys.stderr`` inside the block (by the
    learner's function, in this thread or the time limit's watchdog thread) instead of showing
    it, and show its start (:meth:`_Printing.show`) when the block ends, however it ends: a
    learner who stops a check (KeyboardInterrupt) still sees what the function printed."""
    printing = _Printing()
    try:
        with redirect_stdout(printing.out), redirect_stderr(printing.err):
            yield printing
    finally:
        try:
            printing.show()
        except Exception:  # a stream that cannot be printed to: never hide the verdict
            pass


_watch_cells()
