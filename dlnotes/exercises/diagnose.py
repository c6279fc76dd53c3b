"""Generic diagnoses: how a wrong result relates to the expected one, for any function exercise.

When a learner's result is wrong and matches none of the exercise's registered mistakes,
:func:`find` looks for a simple transformation that turns the expected result into the
learner's, on every failing check:

=================  ======================================================================
name               the learner's result is ...
=================  ======================================================================
``none``           ``None`` (no ``return`` was reached, or the result was printed)
``generator``      a generator (or another one-pass iterator) where a list, a tuple or an
                   array is expected
``objects``        objects that are not numbers (layers, a model) where arrays are expected
``order``          the expected tuple with its elements in another order
``missing``        the expected tuple with one element left out (or only one element)
``container``      the right values in a list (or one array) where a tuple is expected, or
                   in a tuple where a list is
``nested``         the expected list's items grouped in sublists (one list per layer)
``extra``          the expected tuple's items, in order, among more items
``list``           the right values in a list where a numpy array is expected
``dtype``          the right values in another dtype
``precision``      float64 values right to float32's precision only (4 to 7 digits)
``input``          one of the inputs, unchanged
``stale``          the expected result of an earlier check (state kept between calls)
``transposed``     the expected matrix transposed
``sign``           the expected result with its sign flipped
``zeros``          all zeros where the expected result is not
``factor``         the expected result times a constant factor (named when it is the batch
                   size N, 1/N, N/(N − 1) or (N − 1)/N)
``step factor``    the change from an input (an update step) times a factor, or reversed
``shifted``        the expected sequence shifted by one step (or one entry short or long)
``constant``       the same for every check, while the expected results differ
``swapped``        the expected result with two arguments exchanged (fan_in and fan_out)
``hyperparameter`` the expected result computed with another value of one argument
``draws``          other random numbers with the expected spread (a generator was given)
``repeat``         another result when called again on the same inputs (found by
                   ``check()``, which calls the function again, when nothing above fits)
``label``          a string that is not one of the few the function returns (``"high
                   varience"`` for ``"high variance"``): found by :func:`unknown_label`,
                   which ``check()`` asks before the others (after the registered mistakes)
=================  ======================================================================

Each :class:`Diagnosis` carries lookup keys, most specific first (``"factor 1 - beta1"``,
``"factor"``; ``"hyperparameter rho=0"``, ``"hyperparameter rho"``, ``"hyperparameter"``),
so an exercise can give its own wording through ``Exercise.diagnoses``; a key
``"factor <expression>"`` matches when the factor equals that expression of the case's
arguments (by the reference's parameter names) in every failing check, e.g.
``{"factor 1 - beta1": "did you drop the bias correction?"}``.

Nothing here trusts the learner's objects: arrays are built only from numbers, lists and
tuples, every detector runs under ``try`` and a detector that fails says nothing.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np

from dlnotes._validate import is_real

__all__ = [
    "KINDS",
    "Diagnosis",
    "Observation",
    "check_wording",
    "find",
    "labels_text",
    "near_label",
    "result_names",
    "unknown_label",
]

#: The diagnoses' names: every key of ``Exercise.diagnoses`` starts with one of them.
KINDS = (
    "none",
    "generator",
    "objects",
    "order",
    "missing",
    "container",
    "nested",
    "extra",
    "list",
    "dtype",
    "precision",
    "input",
    "stale",
    "transposed",
    "sign",
    "zeros",
    "factor",
    "step factor",
    "step sign",
    "shifted",
    "constant",
    "swapped",
    "hyperparameter",
    "draws",
    "repeat",
    "label",
)


@dataclass(frozen=True)
class Observation:
    """One check: its case, the expected result, the learner's result and whether it was wrong."""

    case: Any  # core.Case
    expected: Any
    got: Any
    wrong: bool


@dataclass(frozen=True)
class Diagnosis:
    """A generic diagnosis: ``fact`` says what was observed, ``advice`` what to look at."""

    name: str
    keys: tuple[str, ...]
    title: str
    fact: str
    advice: str

    def text(self, wording: Mapping[str, str] | None = None) -> str:
        """The feedback line: the fact, then the exercise's wording for it or the advice."""
        advice = self.advice
        for key in self.keys:
            if wording and key in wording:
                advice = wording[key]
                break
        return f"{self.title} — {self.fact}: {advice}"


#: ``close(expected, got, loose)`` is True when ``got`` matches ``expected``; ``loose`` relaxes
#: the tolerance to float32 precision (for results in a lower-precision dtype).
Close = Callable[[Any, Any, bool], bool]
#: ``reference(args, kwargs)`` runs the reference solution, time-limited: ``(ok, result)``.
Reference = Callable[[tuple[Any, ...], dict[str, Any]], tuple[bool, Any]]

_BUDGET_SECONDS = 2.0


def find(
    solution: Callable[..., Any],
    signature: str,
    observations: Sequence[Observation],
    close: Close,
    reference: Reference,
    factors: Sequence[str] = (),
    *,
    constants: Sequence[tuple[str, float]] = (),
    skip: Sequence[str] = (),
    own_params: Sequence[str] = (),
    reads: Sequence[str] = (),
    uses: Sequence[str] = (),
) -> Diagnosis | None:
    """The first generic diagnosis that explains every wrong result, or ``None``.

    ``factors`` are the exercise's ``"factor <expression>"`` and ``"step factor
    <expression>"`` keys: each expression is tried as the factor between the learner's and the
    expected result (or step). ``constants`` are numbers the learner's function reads or
    writes itself, as ``(how to name it, value)``: each is tried in place of an argument.
    ``skip`` names diagnoses not to try (one the caller has refuted, e.g. ``"stale"`` for a
    function that returns the same result when called again). ``own_params`` are the learner's
    function's parameter names, in order, and ``reads`` the notebook variables it reads: a
    diagnosis that an argument is not used names the learner's own parameter at that place
    (``b`` where the checks pass ``beta``), not the reference's name the learner never wrote.
    ``uses`` are the learner's parameters its function reads and never assigns: such an
    argument is not said to be hard-coded (one check's value in every check), since a result
    that matches it then is a coincidence of another mistake.
    """
    if not any(o.wrong for o in observations):
        return None
    ctx = _Context(solution, signature, list(observations), close, reference, tuple(factors))
    ctx.constants = tuple(constants)
    ctx.own_params = tuple(own_params)
    ctx.reads = frozenset(reads)
    ctx.uses = frozenset(uses)
    detectors: tuple[Callable[[_Context], Diagnosis | None], ...] = (
        _none,
        _generator,
        _objects,
        _tuple_shape,
        _container,
        _nested,
        _extra_items,
        _as_list,
        _dtype,
        _input,
        _stale,
        _transposed,
        _sign,
        _factor,
        _step,
        _shifted,
        _same_every_time,
        _swapped,
        _hyperparameter,
        _draws,
        _precision,  # last: a small difference that nothing above explains
    )
    if len(ctx.bad) < 2 and all(_single_value(o.expected) for o in ctx.bad):
        # One wrong string or number: that it equals the input, an earlier check's answer or
        # the answer with two arguments swapped is too often chance to be evidence (a step
        # decay one block late returns lr0 in one check of seven; a verdict is one of four
        # strings). Only an argument hard-coded to check 1's value stays: a real number hit
        # exactly by the reference with that one change is no coincidence.
        if any(isinstance(o.expected, str) for o in ctx.bad):
            return None
        detectors = (_none, _generator, _objects, _hyperparameter)
    elif len(ctx.bad) < 2 and all(_single_value(e) for _, e, _ in ctx.leaves(ctx.focus()[0])):
        # One wrong number inside a tuple of results equals an input by chance just as often
        # (an early stop at epoch 1 with patience 1).
        detectors = tuple(d for d in detectors if d is not _input)
    return _first_found(ctx, detectors, skip)


def _first_found(
    ctx: _Context, detectors: Sequence[Callable[[_Context], Diagnosis | None]], skip: Sequence[str]
) -> Diagnosis | None:
    """:func:`find`'s search: the first of ``detectors`` (less those ``skip`` names) that
    explains the wrong results, a factor that changes with the inputs only when nothing after
    it does."""
    vague: Diagnosis | None = None  # a factor that changes with the inputs, named last
    for detector in detectors:
        if detector.__name__.lstrip("_") in skip or (vague and detector is not _hyperparameter):
            continue
        try:
            found = detector(ctx)
        except Exception:  # a learner's object that fights back: this detector says nothing
            found = None
        if found is not None and found.keys[0].endswith(" varying"):
            # "times a factor that changes with the inputs" says little: a number written in
            # the function where an argument belongs (m = 0.1 for momentum) makes such a
            # factor too, and says what to change
            vague = vague or found
            continue
        if found is not None:
            return found
    return vague


def unknown_label(
    signature: str,
    observations: Sequence[Observation],
    labels: Sequence[str],
    synonyms: Mapping[str, str] | None = None,
) -> Diagnosis | None:
    """The strings the learner's function returned that are none of ``labels``, the few the
    function returns (``"high varience"``, ``"High Bias "``, ``"bias"`` for diagnose's four
    verdicts), each with the label it probably means (:func:`near_label`; ``synonyms``: other
    words for a label, ``"overfitting"``), or ``None``.

    ``check()`` asks it when no registered mistake matches, before the other diagnoses and
    whatever else is wrong: a misspelt label fails every check that expects it, and no other
    diagnosis can say so. The message lists the labels as
    they must be written; a misspelt one is never accepted.
    """
    labels = [label for label in labels if isinstance(label, str)]
    if len(labels) < 2:
        return None
    unknown: list[str] = []
    for o in observations:
        got = str(o.got) if type(o.got) is np.str_ else o.got
        if (
            o.wrong
            and isinstance(o.expected, str)
            and type(got) is str
            and got not in labels
            and got not in unknown
        ):
            unknown.append(got)
    if not unknown:
        return None
    name = signature.split("(")[0].strip() or "your function"
    shown = [repr(u) if len(u) <= 40 else repr(u[:37]) + "..." for u in unknown[:3]]
    said = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    said += f" (and {len(unknown) - 3} more)" if len(unknown) > 3 else ""
    which = "is not one of" if len(unknown) == 1 else "are not among"
    fact = (
        f"your function returned {said}, which {which} the {len(labels)} strings {name} "
        f"returns ({labels_text(labels)})"
    )
    meant: list[tuple[str, tuple[str, str]]] = []
    for u in unknown[:3]:
        found = near_label(u, labels, synonyms)
        if found is not None:
            meant.append((u, found))
    title, advice = (
        "not one of the answers",
        "return one of them exactly as written (the same letters, capitals and spaces)",
    )
    if meant and len(unknown) == 1:
        label, how = meant[0][1]
        title = "another word for an answer" if how == ANOTHER_WORD else "a misspelt answer"
        advice = f"did you mean {label!r}? Yours {how}: return it exactly as written"
        wanted = _expected_where(observations, unknown[0])
        if any(w != label for w in wanted):  # spelt like one label where another is expected
            where = "the check expects" if len(wanted) == 1 else "the checks expect"
            advice += (
                f". But where you returned it, {where} {labels_text(wanted)}: look at the logic "
                "that picks the label too"
            )
    elif meant:
        guesses = "; ".join(f"{label!r} for {u!r} (yours {how})" for u, (label, how) in meant)
        title = "misspelt answers or other words for them"
        advice = f"did you mean {guesses}? Return each exactly as written"
        # a word taken for one label where the checks expect another ("overfitting" returned
        # for high bias): the guess alone would make it worse, so say what each check expects
        crossed = []
        for u, (label, _) in meant:
            wanted = _expected_where(observations, u)
            if any(w != label for w in wanted):
                crossed.append(f"where you returned {u!r}, {_expects(wanted)}")
        if crossed:
            advice += f". But {'; '.join(crossed)}: look at the logic that picks each label too"
    return Diagnosis("label", ("label",), title, fact, advice)


def _expected_where(observations: Sequence[Observation], word: str) -> list[str]:
    """The labels the checks expect where the learner's function returned ``word``."""
    wanted: list[str] = []
    for o in observations:
        got = str(o.got) if type(o.got) is np.str_ else o.got
        if got == word and isinstance(o.expected, str) and o.expected not in wanted:
            wanted.append(o.expected)
    return wanted


def _expects(wanted: Sequence[str]) -> str:
    """``"the check expects 'a'"``, or ``"the checks expect 'a' or 'b'"``."""
    return f"the check{' expects' if len(wanted) == 1 else 's expect'} {labels_text(wanted)}"


def labels_text(labels: Sequence[str]) -> str:
    """The labels as they must be written, quoted: ``'a', 'b' or 'c'``."""
    quoted = [repr(label) for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


#: How :func:`near_label` says that an answer is another word for a label.
ANOTHER_WORD = "is another word for it"


def near_label(
    got: str, labels: Sequence[str], synonyms: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """``(label, how it differs)`` for the one label of ``labels`` that ``got`` is a near miss
    of: the same but for capitals, spaces, underscores or hyphens, the same words in another
    order or count (``"high bias and variance"``), another word for it that ``synonyms`` maps
    to it (``"Over-fitting"`` for ``"high variance"``; capitals, spaces, hyphens and
    underscores aside), or one letter off (one letter wrong, missing or extra, or two
    neighbours swapped, in a label of 4 letters or more); ``None`` when no label or more than
    one is that near."""

    def spaced(s: str) -> str:
        return " ".join(s.split())

    def tidy(s: str) -> str:
        return spaced(s).casefold()

    def compact(s: str) -> str:
        return re.sub(r"[\s_-]+", "", s).casefold()

    def words(s: str) -> frozenset[str]:
        return frozenset(re.split(r"[\s_-]+", s.strip().casefold()))

    tests: tuple[tuple[Callable[[str], bool], str], ...] = (
        (lambda label: got.strip() == label, "differs only in the spaces around it"),
        (lambda label: spaced(got) == spaced(label), "differs only in its spaces"),
        (lambda label: got.casefold() == label.casefold(), "differs only in capitals"),
        (lambda label: tidy(got) == tidy(label), "differs only in capitals and spaces"),
        (
            lambda label: compact(got) == compact(label),
            "differs only in its spaces, underscores or capitals",
        ),
        (
            lambda label: len(words(got)) > 1 and words(got) == words(label),
            "has the same words, but not as the label puts them",
        ),
    )
    for test, how in tests:  # the nearest kind of miss first
        hits = [label for label in labels if test(label)]
        if len(hits) == 1:
            return hits[0], how
        if hits:
            return None
    named = {compact(word): label for word, label in (synonyms or {}).items()}
    if named.get(compact(got)) in labels:
        return named[compact(got)], ANOTHER_WORD
    edits = [(label, _one_edit(tidy(got), tidy(label))) for label in labels if len(label) >= 4]
    near = [(label, edit) for label, edit in edits if edit]
    if len(near) != 1:
        return None
    label, edit = near[0]
    more = "" if _one_edit(got, label) else ", and in capitals or spaces"
    return label, f"{edit}{more}"


def _one_edit(a: str, b: str) -> str:
    """How ``a`` is one edit from ``b``: ``"has one letter wrong"``, ``"misses a letter"``,
    ``"has a letter too many"``, ``"has two letters swapped"``; ``""`` otherwise (equal
    strings too)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return ""
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if len(diff) == 1:
            return "has one letter wrong"
        i = diff[0]
        if len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]:
            return "has two letters swapped"
        return ""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long_)) if x != y), len(short))
    if short[i:] != long_[i + 1 :]:
        return ""
    return "misses a letter" if a is short else "has a letter too many"


def check_wording(wording: Mapping[str, str], solution: Callable[..., Any]) -> None:
    """Raise ``ValueError`` for a key of ``Exercise.diagnoses`` that can never match: an unknown
    diagnosis, a factor expression that does not parse or names something other than the
    solution's parameters and ``sqrt``, ``exp``, ``log``, ... , or a hyperparameter that is not
    a parameter."""
    import ast

    params = set(inspect.signature(solution).parameters)
    for key, text in wording.items():
        if not isinstance(key, str) or not isinstance(text, str) or not text.strip():
            raise ValueError(f"diagnoses must map names to texts, got {key!r}: {text!r}")
        kind = max((k for k in KINDS if key == k or key.startswith(k + " ")), key=len, default="")
        if not kind:
            raise ValueError(f"unknown diagnosis {key!r}: a key starts with one of {KINDS}")
        rest = key[len(kind) :].strip()
        if kind in ("factor", "step factor") and rest and rest != "varying":
            try:
                names = {
                    n.id for n in ast.walk(ast.parse(rest, mode="eval")) if isinstance(n, ast.Name)
                }
            except SyntaxError as err:
                raise ValueError(f"diagnosis {key!r}: {rest!r} is not an expression") from err
            unknown = names - params - set(_MATH)
            if unknown:
                raise ValueError(
                    f"diagnosis {key!r} names {sorted(unknown)}, not parameters of "
                    f"{solution.__name__} ({sorted(params)})"
                )
        if kind == "hyperparameter" and rest and rest.split("=")[0] not in params:
            raise ValueError(f"diagnosis {key!r}: {rest.split('=')[0]!r} is not a parameter")


def result_names(signature: str) -> list[str]:
    """The names of a tuple result from ``"f(a) -> (x_new, v_new)"``: ``["x_new", "v_new"]``."""
    parts = result_parts(signature)
    return parts if all(p.isidentifier() for p in parts) else []


def result_parts(signature: str) -> list[str]:
    """The parts of a tuple result as written, nested tuples whole: ``"f(X) -> (out, (x_hat,
    mean))"`` gives ``["out", "(x_hat, mean)"]``; ``[]`` when the result is not a tuple."""
    _, arrow, result = signature.partition("->")
    result = result.strip()
    if not arrow or not result.startswith("("):
        return []
    depth, parts, current = 0, [], ""
    for ch in result[1:]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts


# --------------------------------------------------------------------------------------------
# Context and helpers
# --------------------------------------------------------------------------------------------


class _Context:
    def __init__(
        self,
        solution: Callable[..., Any],
        signature: str,
        observations: list[Observation],
        close: Close,
        reference: Reference,
        factors: tuple[str, ...],
    ) -> None:
        self.solution = solution
        self.observations = observations
        self.bad = [o for o in observations if o.wrong]
        self.close = close
        self.reference = reference
        self.factors = factors
        self.result_names = result_names(signature)
        self.result_parts = result_parts(signature)  # nested tuples whole: "(x_hat, mean)"
        self.returns = signature.partition("->")[2].strip()  # the result part, as written
        try:
            self.params = list(inspect.signature(solution).parameters.values())
        except (TypeError, ValueError):
            self.params = []
        self.deadline = time.perf_counter() + _BUDGET_SECONDS
        self.constants: tuple[tuple[str, float], ...] = ()  # numbers of the learner's code
        self.own_params: tuple[str, ...] = ()  # the learner's parameter names, in order
        self.reads: frozenset[str] = frozenset()  # the notebook variables the learner reads
        self.uses: frozenset[str] = frozenset()  # the learner's parameters it reads, unassigned

    def collection(self) -> bool:
        """The result is a collection of a varying number of items (batches, pairs): the
        signature says ``tuple of``/``list of``, or the expected length differs between
        checks."""
        if self.returns.startswith(("tuple of", "list of")):
            return True
        lengths = {
            len(o.expected) for o in self.observations if isinstance(o.expected, (tuple, list))
        }
        return len(lengths) > 1

    def ok(self, expected: Any, got: Any, loose: bool = False) -> bool:
        try:
            return bool(self.close(expected, got, loose))
        except Exception:
            return False

    def arguments(self, case: Any) -> dict[str, Any]:
        """The case's arguments by the reference's parameter names."""
        out = {p.name: v for p, v in zip(self.params, case.args)}
        out.update(case.kwargs)
        return out

    def focus(self) -> tuple[tuple[int, ...], str]:
        """The path to the first result element that is wrong, and how to name it."""
        first = self.bad[0]
        path: tuple[int, ...] = ()
        e, g = first.expected, first.got
        while (
            isinstance(e, (tuple, list))
            and type(g) is type(e)
            and len(g) == len(e)
            and not self.ok(e, g)
        ):
            wrong = [i for i, (a, b) in enumerate(zip(e, g)) if not self.ok(a, b)]
            if not wrong:
                break
            path += (wrong[0],)
            e, g = e[wrong[0]], g[wrong[0]]
        return path, self.describe(path)

    def describe(self, path: tuple[int, ...]) -> str:
        if not path:
            return "your result"
        # the signature's names, as the lines under the diagnosis give them ("in mean (result
        # 1[1])"): one name per result, never "element [0] of your result" beside "out"
        part = self.result_parts[path[0]] if path[0] < len(self.result_parts) else ""
        if len(path) == 1 and part.isidentifier():
            return f"your {part} (result {path[0]})"
        inner = result_names(f"f() -> {part}") if part.startswith("(") else []
        if len(path) == 2 and path[1] < len(inner):
            return f"your {inner[path[1]]} (result {path[0]}[{path[1]}])"
        return "element " + "".join(f"[{i}]" for i in path) + " of your result"

    def leaves(self, path: tuple[int, ...]) -> list[tuple[Observation, Any, Any]]:
        """``(observation, expected leaf, learner's leaf)`` for the failing checks where the
        leaf at ``path`` exists and is wrong."""
        out = []
        for o in self.bad:
            e, g = o.expected, o.got
            try:
                for i in path:
                    if not (isinstance(g, (tuple, list)) and len(g) == len(e)):
                        raise LookupError
                    e, g = e[i], g[i]
            except LookupError:
                continue
            if not self.ok(e, g):
                out.append((o, e, g))
        return out


def _numbers(v: Any) -> np.ndarray | None:
    """``v`` as a float64 array if it is made of plain numbers (never calls a learner's
    ``__array__``), else ``None``."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, np.ndarray):
        return v.astype(np.float64) if v.dtype.kind in "iuf" else None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return np.array(float(v))
    if isinstance(v, (list, tuple)) and _plain_numbers(v, depth=0):
        arr = np.array(v, dtype=np.float64)
        return arr
    return None


def _plain_numbers(v: Any, depth: int) -> bool:
    if depth > 4:
        return False
    if isinstance(v, (list, tuple)):
        return all(_plain_numbers(x, depth + 1) for x in v)
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "iuf"
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _fmt(x: float) -> str:
    """``x`` to 4 significant digits; a negative zero as ``0`` (it equals 0)."""
    return f"{x + 0.0:.4g}"


# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------


def _none(ctx: _Context) -> Diagnosis | None:
    """``None`` where a result is expected: the function ends without reaching a ``return``
    (the result printed instead of returned, a ``return`` inside a branch not taken)."""
    if not all(o.got is None and o.expected is not None for o in ctx.bad):
        return None
    return Diagnosis(
        "none",
        ("none",),
        "returned None: no return statement was reached",
        "a Python function that ends without reaching a return gives back None",
        "end yours with return and the result (print only shows a value), and check that "
        "each branch of an if ends in a return",
    )


def _generator(ctx: _Context) -> Diagnosis | None:
    """A generator (a ``(... for ...)`` expression, a function with ``yield``, ``map``, ``zip``)
    where a list, a tuple or an array is expected. Its items are never read: reading runs the
    learner's code, and a generator can be read only once."""
    wants = set()
    for o in ctx.bad:
        if not (isinstance(o.got, Iterator) and isinstance(o.expected, (list, tuple, np.ndarray))):
            return None
        wants.add(type(o.expected))
    kind = type(ctx.bad[0].got).__name__
    want = wants.pop() if len(wants) == 1 else list
    if want is np.ndarray:
        article, noun, fix = "an", "array", "build it from a list, np.array([... for ...])"
    elif want is list:
        article, noun = "a", "list"
        fix = "build it with square brackets, [... for ...], or call list(...) on the generator"
    else:
        article, noun, fix = "a", want.__name__, "call tuple(...) on the generator"
    return Diagnosis(
        "generator",
        ("generator",),
        f"returned a {'generator' if kind == 'generator' else kind + ' iterator'}: return "
        f"{article} {noun}",
        f"your result is a {kind} object, which holds no values: it computes its items one at a "
        "time while it is read, and only once (a (... for ...) expression in round brackets, a "
        "function with yield, map or zip)",
        f"return {article} {noun}: {fix}",
    )


#: Results that are values, not objects holding them.
_VALUES = (
    *(np.ndarray, np.generic, int, float, complex, str, bytes, type(None)),
    *(list, tuple, dict, set, frozenset, range),
)


def _object_types(items: Any) -> list[type] | None:
    """The types of the items of ``items`` (a list or tuple) that are objects, not values (a
    layer, a model), or ``None`` when ``items`` is no list or tuple; a type with ``__array__``
    (a tensor) counts as a value."""
    if not isinstance(items, (list, tuple)):
        return None
    return [
        type(x)
        for x in items
        if not isinstance(x, (*_VALUES, Number)) and not hasattr(type(x), "__array__")
    ]


def _objects(ctx: _Context) -> Diagnosis | None:
    """Objects that are not numbers (layers, a model) where numbers or arrays are expected:
    ``model.layers[k:]`` for the layers' parameters."""
    found: list[list[type]] = []
    for o in ctx.bad:
        e, g = o.expected, o.got
        if isinstance(e, (list, tuple)):
            if not all(isinstance(x, (np.ndarray, np.generic, int, float)) for x in e):
                return None
        elif not isinstance(e, np.ndarray):
            return None
        types = _object_types(g)
        if types is None and not isinstance(g, (*_VALUES, Number, Iterator)):
            types = [] if hasattr(type(g), "__array__") else [type(g)]
        if not types:
            return None
        found.append(types)
    names = list(dict.fromkeys(t.__name__ for t in found[0]))  # those of the first failed check
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    got, expected = ctx.bad[0].got, ctx.bad[0].expected
    in_list = isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple))
    layers = in_list and all(  # a list of layers for a list of their parameters
        t.__module__.startswith(("dlnotes.layers", "dlnotes.model")) for ts in found for t in ts
    )
    where = (
        f"your {type(got).__name__} holds {shown} object{'s' if len(found[0]) > 1 else ''}"
        if isinstance(got, (list, tuple))
        else f"your result is a {shown} object"
    )
    want = "numpy arrays are" if isinstance(expected, (list, tuple)) else "a numpy array is"
    if layers:
        return Diagnosis(
            "objects",
            ("objects layers", "objects"),
            "returned the layers, not their parameter arrays (layer.params)",
            f"{where} where {want} expected",
            "a layer holds its arrays in layer.params (a Linear layer: [W, b]); return those "
            "arrays, [p for layer in ... for p in layer.params], not the layers",
        )
    return Diagnosis(
        "objects",
        ("objects",),
        "returned objects, not arrays",
        f"{where} where {want} expected",
        "return the numpy arrays the task asks for, not the objects that hold or compute them",
    )


def _tuple_shape(ctx: _Context) -> Diagnosis | None:
    """Elements of a tuple (or list) result in the wrong order, one missing, or only one."""
    firsts = [(o.expected, o.got) for o in ctx.bad]
    e0 = firsts[0][0]
    if not isinstance(e0, (tuple, list)) or len(e0) < 2:
        return None
    collection = ctx.returns.startswith(("tuple of", "list of"))  # batches, not fixed results
    if collection or len(e0) > 6 or any(len(e) != len(e0) for e, _ in firsts):
        return _collection(ctx, firsts)
    names = ctx.result_parts if len(ctx.result_parts) == len(e0) else []

    def name(i: int) -> str:
        return names[i] if names else f"result {i}"

    def return_all() -> str:
        listed = ", ".join(name(i) for i in range(len(e0)))
        return f"return {'both' if len(e0) == 2 else f'all {len(e0)}'}: ({listed})"

    what = "tuple" if isinstance(e0, tuple) else "list"
    # wrong order
    if all(isinstance(g, (tuple, list)) and len(g) == len(e) for e, g in firsts):
        for perm in itertools.permutations(range(len(e0))):
            if perm == tuple(range(len(e0))):
                continue
            if all(all(ctx.ok(e[i], g[perm[i]]) for i in range(len(e))) for e, g in firsts):
                order = ", ".join(name(perm.index(j)) for j in range(len(e0)))
                want = ", ".join(name(i) for i in range(len(e0)))
                return Diagnosis(
                    "order",
                    ("order",),
                    "results in the wrong order",
                    f"you returned ({order}); the expected order is ({want})",
                    "return them in the order the task asks for",
                )
    # one element missing
    if all(isinstance(g, (tuple, list)) and len(g) == len(e) - 1 for e, g in firsts):
        for j in range(len(e0)):
            if all(all(ctx.ok(x, y) for x, y in zip([*e[:j], *e[j + 1 :]], g)) for e, g in firsts):
                return Diagnosis(
                    "missing",
                    (f"missing {name(j)}", "missing"),
                    f"{name(j)} is missing",
                    f"your {what} has {len(e0) - 1} element{'s' if len(e0) > 2 else ''}, the "
                    f"right ones except {name(j)}",
                    return_all(),
                )
    # only one element
    for j in range(len(e0)):
        if all(not isinstance(g, (tuple, list)) and ctx.ok(e[j], g) for e, g in firsts):
            return Diagnosis(
                "missing",
                (f"only {name(j)}", "missing"),
                f"only {name(j)} returned",
                f"you returned {name(j)} alone, which is right, instead of a {what} of {len(e0)}",
                return_all(),
            )
    return None


def _collection(ctx: _Context, pairs: list[tuple[Any, Any]]) -> Diagnosis | None:
    """A longer list or tuple of results (batches, layers): reordered, or one element short."""
    if not all(
        isinstance(e, (tuple, list)) and isinstance(g, (tuple, list)) and len(e) <= 500
        for e, g in pairs
    ):
        return None
    what = type(pairs[0][0]).__name__
    in_order = all(all(ctx.ok(x, y) for x, y in zip(e, g)) for e, g in pairs)
    if all(len(g) == len(e) for e, g in pairs) and not in_order:  # in order: not this
        for e, g in pairs:
            free = list(range(len(g)))
            for x in e:
                hit = next((j for j in free if ctx.ok(x, g[j])), None)
                if hit is None:
                    break
                free.remove(hit)
            if free:
                break
        else:
            return Diagnosis(
                "order",
                ("order",),
                "the right elements in another order",
                f"your {what} holds the expected elements, in another order",
                "keep the order of the input (or the order the task asks for)",
            )
    if all(len(g) == len(e) - 1 for e, g in pairs):
        dropped = []
        for e, g in pairs:
            j = next((i for i in range(len(g)) if not ctx.ok(e[i], g[i])), len(g))
            if not all(ctx.ok(x, y) for x, y in zip([*e[:j], *e[j + 1 :]], g)):
                return None
            dropped.append(j)
        where = (
            "the last"
            if all(j == len(e) - 1 for j, (e, _) in zip(dropped, pairs))
            else ("the first" if all(j == 0 for j in dropped) else f"element {dropped[0]}")
        )
        return Diagnosis(
            "missing",
            ("missing",),
            "one element missing",
            f"your {what} is the expected one without {where} element",
            "check the loop's range: does it stop one element early (range(n - 1), a wrong "
            "end index, a last partial batch dropped)?",
        )
    return None


def _container(ctx: _Context) -> Diagnosis | None:
    """The right elements in a list instead of a tuple, or the reverse, or in one 1-D array."""
    pairs = [(o.expected, o.got) for o in ctx.bad]
    e0 = pairs[0][0]
    if not isinstance(e0, (tuple, list)):
        return None
    want = type(e0)
    other = list if want is tuple else tuple

    def right_items_in(container: Callable[[Any], bool]) -> bool:
        return all(
            container(g) and len(g) == len(e) and all(ctx.ok(x, y) for x, y in zip(e, g))
            for e, g in pairs
        )

    if right_items_in(lambda g: isinstance(g, other) and not isinstance(g, want)):
        if ctx.collection() or len(e0) > 3:  # a number of items that varies: no fixed a, b
            words = ctx.returns.split()  # "tuple of (X_batch, y_batch) pairs": pairs
            items = words[-1] if ctx.collection() and words[-1].isidentifier() else "items"
            how = (
                f": {want.__name__}(...) of the {other.__name__} you built, e.g. return "
                f"{want.__name__}({items})"
            )
        else:
            how = ": return a, b (or (a, b)), not [a, b]" if want is tuple else ": [a, b, ...]"
        return Diagnosis(
            "container",
            ("container",),
            f"a {other.__name__} instead of a {want.__name__}",
            f"the values are right, in a {other.__name__}",
            f"return a {want.__name__}{how}",
        )
    if want is tuple and right_items_in(lambda g: type(g) is np.ndarray and g.ndim == 1):
        return Diagnosis(
            "container",
            ("container",),
            "an array instead of a tuple",
            "the values are right, in one numpy array",
            "return a tuple of the separate results: return a, b, not np.array([a, b])",
        )
    return None


def _nested(ctx: _Context) -> Diagnosis | None:
    """The expected list's items, in order, grouped in shorter lists (or tuples): one list per
    layer, ``[layer.params for layer in ...]``, where one flat list is expected."""
    for o in ctx.bad:
        e, g = o.expected, o.got
        if not (isinstance(e, (list, tuple)) and isinstance(g, (list, tuple))):
            return None
        if not (1 <= len(g) < len(e)) or not all(isinstance(x, (list, tuple)) for x in g):
            return None
        flat = [x for group in g for x in group]
        if len(flat) != len(e) or not all(ctx.ok(x, y) for x, y in zip(e, flat)):
            return None
    e, g = ctx.bad[0].expected, ctx.bad[0].got
    return Diagnosis(
        "nested",
        ("nested",),
        f"a {type(g).__name__} of {type(g[0]).__name__}s: flatten it",
        f"your {len(g)} {type(g[0]).__name__}s hold the expected {len(e)} items in the "
        f"right order, where one flat {type(e).__name__} of them is expected",
        "build one list with a double comprehension, [x for group in groups for x in group], "
        "not one list per group",
    )


def _extra_items(ctx: _Context) -> Diagnosis | None:
    """A tuple (or list) with the expected items, in order, and more besides (a cache that also
    holds the inputs, as other courses' caches do; the parameters of one layer too many)."""
    path, who = ctx.focus()
    found = 0
    for o in ctx.bad:
        e, g = o.expected, o.got
        for i in path:
            e, g = e[i], g[i]
        if not (
            isinstance(e, (tuple, list)) and isinstance(g, (tuple, list)) and len(g) > len(e) > 0
        ):
            return None
        at, start = [], 0  # where e's items sit in g (the earliest places)
        for x in e:
            hit = next((j for j in range(start, len(g)) if ctx.ok(x, g[j])), None)
            if hit is None:  # e is no subsequence of g
                return None
            at.append(hit)
            start = hit + 1
        if not found:
            before, after = at[0], len(g) - 1 - at[-1]
            found, extra = len(e), len(g) - len(e)
            places = [
                (n, where)
                for n, where in (
                    (before, "before them"),
                    (extra - before - after, "between them"),
                    (after, "after them"),
                )
                if n
            ]
    if not found:
        return None
    if len(places) == 1:
        tail = f"and {extra} more {places[0][1]}"
    else:
        shown = [f"{n} {where}" for n, where in places]
        tail = f"and {extra} more: " + ", ".join(shown[:-1]) + f" and {shown[-1]}"
    return Diagnosis(
        "extra",
        ("extra",),
        "extra items",
        f"{who} holds the {found} expected items, in order, {tail}",
        f"return exactly {_a(ctx.returns)}, no other items"
        if ctx.returns
        else "return exactly the items the task names, no others",
    )


def _a(returns: str) -> str:
    """The result part of a signature as a phrase: ``"list of floats"`` is "a list of floats",
    ``"int array of shape (N,)"`` "an int array of shape (N,)"; ``"(x, v)"`` stays as written."""
    first = returns.split(" ", 1)[0]
    if (
        returns.startswith(("(", "["))
        or first in ("a", "an", "the", "one", "two")
        or (first[:1].isdigit())
    ):
        return returns
    return ("an " if first[:1].lower() in "aeiou" else "a ") + returns


def _as_list(ctx: _Context) -> Diagnosis | None:
    """The right values as a list (or tuple) where a numpy array is expected."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    for _, e, g in leaves:
        if not (isinstance(e, np.ndarray) and isinstance(g, (list, tuple))):
            return None
        arr = _numbers(g)
        if arr is None or arr.shape != e.shape or not ctx.ok(e, arr.astype(e.dtype), True):
            return None
    kind = type(leaves[0][2]).__name__
    return Diagnosis(
        "list",
        ("list",),
        f"a {kind} instead of an array",
        f"{who} has the right values, in a Python {kind}",
        "return a numpy array: np.array(...) of it, or build it with numpy operations",
    )


def _dtype(ctx: _Context) -> Diagnosis | None:
    """The right values in another dtype, or, in a coarser float dtype (float32 for float64),
    the values the same formula gives when computed in that dtype: float32 keeps about 7
    digits, and a formula that subtracts close numbers (a mean from rows near 300, a feature
    that barely varies) loses more of them, so such a result is no longer right to float64's
    tolerance although nothing but its dtype is wrong (see :func:`_computed_in`)."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    rounded = False  # right only to the precision of the learner's coarser dtype
    for o, e, g in leaves:
        if not (
            isinstance(e, np.ndarray)
            and isinstance(g, np.ndarray)
            and g.shape == e.shape
            and g.dtype != e.dtype
            and g.dtype.kind in "biuf"
        ):
            return None
        if ctx.ok(e, g.astype(e.dtype), True):
            continue
        if not _computed_in(ctx, o, path, e, g):
            return None
        rounded = True
    e, g = leaves[0][1], leaves[0][2]
    if rounded:
        return _computed_in_diagnosis(who, e.dtype, g.dtype)
    input_dtypes = {
        a.dtype
        for o in ctx.bad
        for a in _input_arrays((*o.case.args, *dict(o.case.kwargs).values()))
        if a.dtype.kind == "f"
    }
    wanted = _expected_dtypes(ctx, path)
    follow = _followed(ctx, path)
    return Diagnosis(
        "dtype",
        (f"dtype {g.dtype}", "dtype"),
        "right values, wrong dtype",
        f"{who} has the right values in dtype {g.dtype}; expected {e.dtype}",
        _dtype_advice(
            e.dtype,
            g.dtype,
            input_dtypes,
            follow=follow,
            others=sorted(str(d) for d in wanted if d != e.dtype),
            picked=follow is not None and _picked_from(ctx, path, follow),
            fixed=wanted == {e.dtype} and _set_by_no_input(ctx, e.dtype),
        ),
    )


def _picked_from(ctx: _Context, path: tuple[int, ...], name: str) -> bool:
    """In every check, each value of the expected result at ``path`` is one of the input
    array ``name``'s: the result picks entries of it (rows of ``X`` in a mini-batch) and computes
    nothing, so its dtype changes only where the learner converts the input itself."""
    for o in ctx.observations:
        e, x = _expected_leaf(o, path), ctx.arguments(o.case).get(name)
        if not (isinstance(e, np.ndarray) and isinstance(x, np.ndarray)):
            return False
        try:
            if not np.isin(e, x).all():
                return False
        except Exception:
            return False
    return True


def _set_by_no_input(ctx: _Context, dtype: np.dtype) -> bool:
    """Some check expects a result in ``dtype`` while none of its input arrays has that dtype
    (integer readings whose average is float64): the dtype is the result's own, not the
    inputs'."""
    for o in ctx.observations:
        arrays = list(_input_arrays((*o.case.args, *dict(o.case.kwargs).values())))
        if arrays and all(a.dtype != dtype for a in arrays):
            return True
    return False


def _expected_leaf(o: Observation, path: tuple[int, ...]) -> Any:
    """The expected result of check ``o`` at ``path``, or None where it has no such part."""
    e = o.expected
    for i in path:
        if not (isinstance(e, (tuple, list)) and i < len(e)):
            return None
        e = e[i]
    return e


def _expected_dtypes(ctx: _Context, path: tuple[int, ...]) -> set[np.dtype]:
    """The dtypes the result at ``path`` is expected in, over every check of the suite (the
    passed ones too): more than one when the checks pass float32 inputs and float64 ones and
    the result follows them, so that no fixed dtype is right."""
    leaves = (_expected_leaf(o, path) for o in ctx.observations)
    return {e.dtype for e in leaves if isinstance(e, np.ndarray)}


def _followed(ctx: _Context, path: tuple[int, ...]) -> str | None:
    """The name of the input array whose dtype the result at ``path`` has in every check of
    the suite (``X`` for dropout's output, ``dout`` for its gradient), or None: the one to
    follow with ``.astype(X.dtype)`` or ``np.zeros_like(X)`` rather than a fixed dtype."""
    names: list[str] | None = None
    for o in ctx.observations:
        e = _expected_leaf(o, path)
        if not (isinstance(e, np.ndarray) and e.dtype.kind == "f"):
            continue
        same = [
            name
            for name, value in ctx.arguments(o.case).items()
            if isinstance(value, np.ndarray) and value.dtype == e.dtype
        ]
        names = same if names is None else [n for n in names if n in same]
        if not names:
            return None
    return names[0] if names else None


def _computed_in(
    ctx: _Context, o: Observation, path: tuple[int, ...], e: np.ndarray, g: np.ndarray
) -> bool:
    """The learner's ``g`` (at ``path`` of check ``o``'s result), in a float dtype coarser than
    the expected ``e``'s, is what the reference gives in that dtype: right to that dtype's
    precision (4 to 7 digits for float32, as :func:`_precision` reads it), or close to the
    reference run on the inputs converted to it (where float32 loses more digits)."""
    if not (g.dtype.kind == "f" and e.dtype.kind == "f" and g.dtype.itemsize < e.dtype.itemsize):
        return False
    if _near(e, g):
        return True
    if time.perf_counter() > ctx.deadline:
        return False
    args = tuple(_narrowed_input(a, e.dtype, g.dtype) for a in o.case.args)
    kwargs = {k: _narrowed_input(v, e.dtype, g.dtype) for k, v in dict(o.case.kwargs).items()}
    ok, result = ctx.reference(args, kwargs)
    try:
        for i in path:
            result = result[i]
    except Exception:
        return False
    return ok and isinstance(result, np.ndarray) and result.shape == g.shape and _near(result, g)


def _near(e: np.ndarray, g: np.ndarray) -> bool:
    """``g`` agrees with ``e`` to float32's precision (4 to 7 significant digits)."""
    e, g = np.asarray(e, dtype=np.float64), np.asarray(g, dtype=np.float64)
    if not (np.isfinite(e).all() and np.isfinite(g).all()):
        return False
    scale = float(np.abs(e).max()) if e.size else 0.0
    return bool(np.allclose(g, e, rtol=2e-4, atol=2e-5 * scale))


def _narrowed_input(value: Any, wide: np.dtype, narrow: np.dtype) -> Any:
    """An input array of dtype ``wide`` converted to ``narrow``; anything else as it is."""
    if isinstance(value, np.ndarray) and value.dtype == wide:
        return value.astype(narrow)
    return value


def _computed_in_diagnosis(who: str, wanted: np.dtype, got: np.dtype) -> Diagnosis:
    """The diagnosis of a result computed in the coarser dtype ``got`` (see :func:`_dtype`)."""
    digits = round(-math.log10(float(np.finfo(got).eps)))
    return Diagnosis(
        "dtype",
        (f"dtype {got}", "dtype"),
        f"right formula, computed in {got}",
        f"{who} is {got} where {wanted} is expected, with the values your formula gives in "
        f"{got}, which keeps about {digits} significant digits (fewer after a subtraction of "
        "close numbers)",
        f"compute in {wanted} throughout, leaving the inputs in their dtype (no "
        f".astype(np.{got}) or np.{got}(...)); converting the result back at the end cannot "
        "restore the digits already lost",
    )


def _input_arrays(value: Any, depth: int = 0) -> Iterator[np.ndarray]:
    """Every numpy array among a case's inputs ``value``: an array itself, or one inside
    tuples, lists and dicts (a list of parameter arrays sets the dtype as much as one array)."""
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 5 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _input_arrays(item, depth + 1)
    elif depth < 5 and isinstance(value, dict):
        for item in value.values():
            yield from _input_arrays(item, depth + 1)


def _dtype_advice(
    expected: np.dtype,
    got: np.dtype,
    input_dtypes: set[np.dtype],
    *,
    follow: str | None = None,
    others: Sequence[str] = (),
    picked: bool = False,
    fixed: bool = False,
) -> str:
    """What to do about a result in dtype ``got`` where ``expected`` is expected, given the
    float dtypes of the input arrays (``input_dtypes``, those inside lists and dicts too).

    ``follow`` names the input array whose dtype the result has in every check (``X``):
    the learner is told to keep that array's dtype, ``.astype(X.dtype)``, never a fixed dtype,
    which a suite of float32 and float64 inputs (``others``: the result's other expected dtypes
    in the suite's checks) would fail on the other checks, sending the learner back and forth
    between float32 and float64.

    Numpy's default dtype is float64: ``np.zeros(shape)`` and ``np.array([0.5])`` are float64
    whatever the inputs, so a float64 result where float32 inputs ask for float32 is told to
    keep the inputs' dtype (``np.zeros_like``). Numpy's default is named as the dtype to use
    only when float64 is expected and no input array has a float dtype.

    ``picked``: the result only picks entries of ``follow`` (rows of ``X`` in a mini-batch), so
    its dtype changed where ``follow`` itself was converted; the advice on float64 operands
    (masks, ``np.zeros(shape)``) is for results computed from it. ``fixed``: the result has
    ``expected`` in every check, also where no input array has it (the float64 average of
    integer readings): the dtype is the result's own, and is named as such.
    """
    if follow is not None:
        return _follow_advice(expected, got, follow, others, picked)
    if fixed and not others:
        made = (
            " (np.zeros(n) and np.empty(n) are float64 already)" if expected == np.float64 else ""
        )
        return (
            f"the result is {expected} in every check, whatever the inputs' dtype (integer "
            f"inputs too): create it with dtype=np.{expected}{made}, or .astype(np.{expected}) "
            "at the end"
        )
    how = (
        " (np.zeros_like(a), not np.zeros(a.shape), which gives numpy's default float64)"
        if got == np.float64
        else ""
    )
    if others:
        return (
            f"keep the inputs' dtype {expected}{how}, or end with .astype(a.dtype) of the input "
            f"array a the result follows, rather than a fixed dtype: other checks expect "
            f"{' and '.join(others)}"
        )
    if expected in input_dtypes:
        return f"keep the inputs' dtype {expected}{how}, or .astype(np.{expected}) at the end"
    if expected == np.float64 and not input_dtypes:
        return (
            "no input array sets the dtype here: return numpy's default np.float64 (pass no "
            "dtype, or convert back with .astype(np.float64) at the end)"
        )
    return (
        f"make it {expected}: create it with dtype=np.{expected}, or .astype(np.{expected}) "
        "at the end"
    )


def _follow_advice(
    expected: np.dtype, got: np.dtype, follow: str, others: Sequence[str], picked: bool
) -> str:
    """:func:`_dtype_advice` for a result whose dtype is that of the input ``follow`` in every
    check: keep that array's dtype, never a fixed one (see :func:`_dtype_advice`)."""
    here = f"{expected} in this check ({' and '.join(others)} in others)" if others else expected
    if picked:
        return (
            f"keep the dtype of {follow}, {here}: your result picks entries of {follow}, "
            f"so index {follow} as it is, without converting it (np.asarray({follow}, "
            f"dtype=...), .astype(float)), or end with .astype({follow}.dtype) rather than "
            "a fixed dtype"
        )
    if got == np.float64 and expected.kind == "f" and expected.itemsize < 8:
        return (
            f"keep the dtype of {follow}, {here}: a float64 operand widens the "
            "result (a bool mask turned into floats with .astype(float), np.zeros(shape), "
            "a float64 input or np.float64 number), so multiply by a bool mask as it is, "
            f"use np.zeros_like({follow}), or end with .astype({follow}.dtype) rather than "
            "a fixed dtype"
        )
    return (
        f"keep the dtype of {follow}, {here}: leave {follow} in its dtype, or end with "
        f".astype({follow}.dtype) rather than a fixed dtype"
    )


def _precision(ctx: _Context) -> Diagnosis | None:
    """Float64 results right to float32's precision only (4 to 7 digits): a part computed in
    float32 and cast back, or a less exact formula."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    for _, e, g in leaves:
        floats = [x for x in (e, g) if isinstance(x, (np.ndarray, np.floating, float))]
        if len(floats) != 2 or any(np.asarray(x).dtype != np.float64 for x in floats):
            return None
        if np.shape(e) != np.shape(g):
            return None
        e, g = np.asarray(e), np.asarray(g)
        if not (np.isfinite(e).all() and np.isfinite(g).all()):
            return None
        # float32 keeps 24 bits (about 1.2e-7 relative); an exp multiplies that by the size of
        # its argument: exp(x − lse) for logits near 1000 is right to about 1e-4 only
        scale = float(np.abs(e).max()) if e.size else 0.0
        if not np.allclose(g, e, rtol=2e-4, atol=2e-5 * scale):
            return None
    narrow = _narrow_parts(ctx, ctx.bad[0].expected, ctx.bad[0].got, ())
    if narrow:  # other results came back float32: the float32 computation is no guess
        names = [name for name, _, _ in narrow]
        names_said = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        wanted, got = narrow[0][1], narrow[0][2]
        digits = round(-math.log10(float(np.finfo(got).eps)))
        return Diagnosis(
            "precision",
            ("precision float32",),  # not the exercise's "precision" wording: no guess here
            "computed in float32",
            f"{who} agrees with the expected one to 4 to 7 significant digits only, and your "
            f"{names_said} {'is' if len(names) == 1 else 'are'} {got} where {wanted} is "
            "expected",
            f"a part is computed in {got} (an input converted with .astype(np.{got}), "
            f"np.{got}(...), torch's default dtype, .float()), which keeps about {digits} "
            f"significant digits: compute in {wanted} throughout",
        )
    return Diagnosis(
        "precision",
        ("precision",),
        "right to 4 to 7 digits only",
        f"{who} agrees with the expected one to 4 to 7 significant digits only, as a float32 "
        "computation or a small extra term would",
        "is a part computed in float32 (np.float32, torch's default dtype, .float()) and "
        "converted back, is a small term added where none belongs (an ε of your own in a "
        "denominator), or is the formula a less exact one?",
    )


def _narrow_parts(
    ctx: _Context, expected: Any, got: Any, path: tuple[int, ...]
) -> list[tuple[str, np.dtype, np.dtype]]:
    """The float arrays of the learner's tuple result that come back in a coarser dtype than
    expected (float32 for float64), as ``(name, expected dtype, learner's dtype)``, named as the
    signature names them (``x_hat``, ``mean``)."""
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)):
        if len(expected) != len(got) or len(path) > 3:
            return []
        return [
            found
            for i, (e, g) in enumerate(zip(expected, got))
            for found in _narrow_parts(ctx, e, g, (*path, i))
        ]
    if not (path and isinstance(expected, np.ndarray) and type(got) is np.ndarray):
        return []
    if expected.dtype.kind != "f" or got.dtype.kind != "f":
        return []
    if np.finfo(got.dtype).eps <= np.finfo(expected.dtype).eps:
        return []
    said = ctx.describe(path).removeprefix("your ")
    return [(said.split(" (")[0], expected.dtype, got.dtype)]


def _input(ctx: _Context) -> Diagnosis | None:
    """One of the inputs returned unchanged."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    shapes = [(_numbers(e), _numbers(g)) for _, e, g in leaves]
    if any(e is not None and g is not None and 0 < e.ndim and 0 < g.ndim and e.shape != g.shape
           for e, g in shapes):  # fmt: skip
        # an array of the wrong shape that happens to equal an input (a sum over the classes
        # of softmax · g is g): the shape is the mistake to report, not "returned the input"
        # (a number returned for a list still is: the input itself, handed back)
        return None
    found: str | None = None
    for candidate in ctx.arguments(leaves[0][0].case):
        hit = True
        for o, _, g in leaves:
            value = ctx.arguments(o.case).get(candidate)
            if value is None or callable(value) or isinstance(value, (bool, str)):
                hit = False
                break
            if not (_numbers(value) is not None and ctx.ok(value, g)):
                hit = False
                break
        if hit:
            found = candidate
            break
    if found is None:
        return None
    return Diagnosis(
        "input",
        (f"input {found}", "input"),
        f"returned the input {found}",
        f"{who} equals the input {found}, unchanged",
        f"the result is computed from {found}, not {found} itself: is each step of the formula "
        "applied, and is its value returned?",
    )


def _stale(ctx: _Context) -> Diagnosis | None:
    """The expected result of an earlier check: state kept from one call to the next."""
    obs = ctx.observations
    later = [(k, o) for k, o in enumerate(obs) if o.wrong and k > 0]
    # two wrong checks at least: one result equal to another check's answer can be chance
    # (a function returning one of three strings often gives an earlier check's answer)
    if len(later) < 2 or len(later) < len(ctx.bad) - 1:
        return None
    wrong_at = [k + 1 for k, _ in later]
    where = (
        f"from check {wrong_at[0]} on"
        if wrong_at == list(range(wrong_at[0], len(obs) + 1))
        else "at checks " + ", ".join(map(str, wrong_at))
    )
    for which, pick in (("previous", lambda k: k - 1), ("first", lambda k: 0)):
        if all(ctx.ok(obs[pick(k)].expected, o.got) for k, o in later):
            return Diagnosis(
                "stale",
                (f"stale {which}", "stale"),
                "a result from an earlier call",
                f"{where}, your result is the expected result of the {which} check",
                "does your function keep state between calls (a global, a cache, a mutable "
                "default argument)? Compute everything from this call's arguments",
            )
    return None


def _draws(ctx: _Context) -> Diagnosis | None:
    """Random numbers of the right shape and spread that are not the expected draws: the
    generator passed in was not used, or used for another number of draws first."""
    if not any(isinstance(v, np.random.Generator) for v in ctx.arguments(ctx.bad[0].case).values()):
        return None
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    spreads = []
    for _, e, g in leaves:
        if not (isinstance(e, np.ndarray) and type(g) is np.ndarray and g.shape == e.shape):
            return None
        if e.dtype.kind != "f" or g.dtype.kind != "f" or np.mean(np.isclose(g, e)) > 0.5:
            return None
        if e.size < 100:  # too few numbers to judge a spread: the shape and dtype must do
            continue
        e_std, g_std = float(e.std()), float(g.std())
        # two samples of n: their means differ by about std·sqrt(2/n), their stds by less
        if not (e_std > 0 and 0.85 < g_std / e_std < 1.0 / 0.85):
            return None
        if abs(float(g.mean()) - float(e.mean())) > 5 * e_std * math.sqrt(2 / e.size):
            return None
        spreads.append((e_std, g_std))
    if not spreads:
        return None
    e_std, g_std = spreads[0]
    return Diagnosis(
        "draws",
        ("draws",),
        "other random draws",
        f"{who} has the expected shape and spread (std {_fmt(g_std)} against {_fmt(e_std)}) "
        "but holds other random numbers",
        "draw from the generator you are given (not np.random, not a new default_rng), "
        "in one call of the expected shape (an extra draw before it, or the transposed shape "
        "drawn and transposed back, gives other numbers)",
    )


def _transposed(ctx: _Context) -> Diagnosis | None:
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    for _, e, g in leaves:
        if not (isinstance(e, np.ndarray) and e.ndim == 2 and isinstance(g, np.ndarray)):
            return None
        if g.ndim != 2 or g.shape != e.shape[::-1] or not ctx.ok(e, g.T.copy()):
            return None
    e = leaves[0][1]
    shape = _shape_text(ctx.returns) if not path else None
    said = f" (the expected shape is {shape}, here {e.shape})" if shape else ""
    return Diagnosis(
        "transposed",
        ("transposed",),
        "transposed",
        f"{who} is the expected {e.shape[0]}×{e.shape[1]} matrix transposed{said}",
        "check which axis is which, or drop the extra .T",
    )


def _shape_text(returns: str) -> str | None:
    """The 2-D shape a signature's result part writes (``"array of shape (steps + 1, d)"``
    gives ``"(steps + 1, d)"``), else ``None``."""
    found = re.search(r"shape (\((?:[^()]|\([^()]*\))*\))", returns)
    if found is None or len(result_parts(f"f() -> {found[1]}")) != 2:
        return None
    return found[1]


def _ratios(
    ctx: _Context, base: str | None = None
) -> tuple[str, list[tuple[Observation, float, int]]] | None:
    """Per failing check, the factor c with ``got = c · expected`` (and how many nonzero
    entries support it), when one exists for every failing check. With ``base`` (an argument's
    name), the factor between the *changes* from that argument: ``got − base = c (expected −
    base)``, as for an update step ``x_new = x − step``."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    out = []
    for o, e, g in leaves:
        ea, ga = _numbers(e), _numbers(g)
        if ea is None or ga is None or ea.shape != ga.shape or not np.all(np.isfinite(ga)):
            return None
        if base is not None:
            b = ctx.arguments(o.case).get(base)
            ba = _numbers(b) if isinstance(b, np.ndarray) else None
            if ba is None or ba.shape != ea.shape:
                return None
            ea, ga = ea - ba, ga - ba
        nonzero = np.abs(ea) > 1e-12 * max(1.0, float(np.max(np.abs(ea), initial=0.0)))
        if not nonzero.any():
            return None
        c = float(np.median(ga[nonzero] / ea[nonzero]))
        scale = float(np.max(np.abs(ea))) * max(1.0, abs(c))
        if not np.allclose(ga, ea * c, rtol=1e-6, atol=1e-12 * scale):
            return None
        out.append((o, c, int(nonzero.sum())))
    return who, out


def _sign(ctx: _Context) -> Diagnosis | None:
    found = _ratios(ctx)
    if found is None:
        return None
    who, ratios = found
    if all(abs(c + 1.0) < 1e-6 for _, c, _ in ratios):
        return Diagnosis(
            "sign",
            ("sign",),
            "sign flipped",
            f"{who} is the expected result with the opposite sign",
            "check the sign of each term (a gradient step is x − lr·g, downhill)",
        )
    return None


def _factor(ctx: _Context) -> Diagnosis | None:
    found = _ratios(ctx)
    if found is None:
        return None
    who, ratios = found
    return _explain(ctx, who, ratios, "factor")


def _step(ctx: _Context) -> Diagnosis | None:
    """The change from an input (an update step) off by a factor or going the wrong way."""
    path, _ = ctx.focus()
    leaf = ctx.result_names[path[0]] if len(path) == 1 and path[0] < len(ctx.result_names) else ""
    for base, value in ctx.arguments(ctx.bad[0].case).items():
        if not isinstance(value, np.ndarray):
            continue
        found = _ratios(ctx, base)
        if found is None:
            continue
        _, ratios = found
        who = (
            f"your change to {base} (new {base} − old {base})"
            if leaf == base
            else f"your step ({leaf or 'result'} − {base})"
        )
        if all(abs(c + 1.0) < 1e-6 for _, c, _ in ratios):
            return Diagnosis(
                "step sign",
                ("step sign", "sign"),
                "the step goes the wrong way",
                f"{who} has the opposite sign of the expected step",
                "a descent step subtracts: x − lr·(direction), not x + lr·(direction)",
            )
        return _explain(ctx, who, ratios, "step factor")
    return None


def _explain(
    ctx: _Context, who: str, ratios: list[tuple[Observation, float, int]], key: str
) -> Diagnosis | None:
    """Name the factor between ``who`` and the expected value (``key``: "factor" or
    "step factor", the start of the diagnosis keys)."""
    # over 80 lines: one short branch per way a factor is explained (a constant, an argument, a
    # power of one), tried in order.
    cs = [c for _, c, _ in ratios]
    if all(abs(c - 1.0) < 1e-6 for c in cs):
        return None  # "1 × the expected one": a rounding-level difference, not a factor
    if key != "factor" and any(abs(c) < 1e-12 for c in cs):
        return None  # no step at all: the input returned, diagnosed before
    if all(abs(c) < 1e-12 for c in cs):
        leaves = ctx.leaves(ctx.focus()[0])
        if leaves and all(np.ndim(e) == 0 for _, e, _ in leaves):  # "all zeros" of a number
            return Diagnosis(
                "zeros",
                ("zeros",),
                "zero",
                f"{who} is 0 where the expected value is not",
                "is the number computed and returned (a total left at its starting 0, or "
                "total + x where total += x was meant)?",
            )
        return Diagnosis(
            "zeros",
            ("zeros",),
            "all zeros",
            f"{who} is all zeros where the expected result is not",
            "is the result filled in (np.zeros_like(...) left as it was?) and returned?",
        )
    # the exercise's own factors, then the case's own numbers, then a constant
    for full in ctx.factors:
        if not full.startswith(key + " "):
            continue
        expr = full[len(key) + 1 :]
        if all(_same_number(c, _evaluate(expr, ctx.arguments(o.case))) for o, c, _ in ratios):
            return Diagnosis(
                key,
                (full, key),
                "off by a factor",
                f"{who} is ({expr}) × the expected one in every failing check",
                "look for a term multiplied or divided once too often",
            )
    for name in ctx.arguments(ratios[0][0].case):
        for form, fn in (
            ("{}", lambda a: a),
            ("1/{}", lambda a: 1 / a),
            ("(1 − {})", lambda a: 1 - a),
            ("1/(1 − {})", lambda a: 1 / (1 - a)),
        ):
            try:
                values = [fn(_scalar(ctx.arguments(o.case)[name])) for o, _, _ in ratios]
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                continue
            # a factor equal to an argument is telling only when it changes between checks or
            # is not a round number (1, 2, 10, ...) that a constant factor would explain anyway
            varies = any(not _same_number(v, values[0]) for v in values)
            if all(_same_number(c, v) for c, v in zip(cs, values)) and (
                varies or not _round(cs[0])
            ):
                text = form.format(name)
                return Diagnosis(
                    key,
                    (f"{key} {text}", key),
                    "off by a factor",
                    f"{who} is {text} × the expected one ({name} = "
                    f"{_fmt(_scalar(ctx.arguments(ratios[0][0].case)[name]))} in check "
                    f"{ctx.observations.index(ratios[0][0]) + 1})",
                    f"is {name} applied once too often (or divided by instead of multiplied "
                    "by), or missing where it belongs?",
                )
    batch = _batch_factor(ctx, ratios, key, who)
    if batch is not None:
        return batch
    # (a constant shown as 1 is a small difference of another kind, not a factor to look for)
    if (
        all(_same_number(c, cs[0]) for c in cs)
        and sum(n for _, _, n in ratios) >= 2
        and _fmt(cs[0]) != "1"
    ):
        c = cs[0]
        return Diagnosis(
            key,
            (f"{key} {_fmt(c)}", key),
            "off by a constant factor",
            f"{who} is {_fmt(c)} × the expected one "
            + ("in every entry" if any(n > 1 for _, _, n in ratios) else "in every failing check"),
            "look for a constant (2, ½, 10, a square root) too many or missing",
        )
    if all(n >= 2 for _, _, n in ratios) and any(_fmt(c) != "1" for c in cs):
        shown = ", ".join(
            f"{_fmt(c)} in check {ctx.observations.index(o) + 1}" for o, c, _ in ratios[:3]
        )
        return Diagnosis(
            key,
            (f"{key} varying", key),
            "off by a factor",
            f"in each failing check {who} is the expected one times a factor ({shown})",
            "the factor changes with the inputs: look for a term that depends on the "
            "arguments (a count, a correction, a scale or a rate) applied wrongly",
        )
    return None


def _batch_size(arguments: Mapping[str, Any]) -> int | None:
    """The batch size N of a check: the length of the first axis that every array argument of
    two or more dimensions shares (``X`` and ``dout`` of shape ``(N, D)``), else ``None``."""
    sizes = {v.shape[0] for v in arguments.values() if isinstance(v, np.ndarray) and v.ndim >= 2}
    return sizes.pop() if len(sizes) == 1 else None


#: Factors that depend on the batch size N only, and what each usually means.
_BATCH_FACTORS: tuple[tuple[str, Callable[[int], float], str], ...] = (
    ("N", lambda n: n, "a sum where a mean belongs, or a missing 1/N"),
    ("1/N", lambda n: 1 / n, "a mean where a sum belongs, or a 1/N too many"),
    ("N/(N − 1)", lambda n: n / (n - 1), "the unbiased variance where the biased one belongs"),
    ("(N − 1)/N", lambda n: (n - 1) / n, "the biased variance where the unbiased one belongs"),
)


def _batch_factor(
    ctx: _Context, ratios: list[tuple[Observation, float, int]], key: str, who: str
) -> Diagnosis | None:
    """The factor named when it is N, 1/N, N/(N − 1) or (N − 1)/N of the batch size N (the first
    axis of the array arguments) in every failing check, and N is not the same round number in
    all of them (a constant factor of 10 says nothing about N)."""
    sizes = [_batch_size(ctx.arguments(o.case)) for o, _, _ in ratios]
    if any(n is None or n < 2 for n in sizes):
        return None
    cs = [c for _, c, _ in ratios]
    for text, fn, meaning in _BATCH_FACTORS:
        values = [fn(n) for n in sizes if n is not None]
        varies = any(not _same_number(v, values[0]) for v in values)
        if all(_same_number(c, v) for c, v in zip(cs, values)) and (varies or not _round(cs[0])):
            o = ratios[0][0]
            return Diagnosis(
                key,
                (f"{key} batch size", key),
                "off by a factor",
                f"{who} is {text} × the expected one, where N is the batch size (the inputs' "
                f"first axis, N = {sizes[0]} in check {ctx.observations.index(o) + 1})",
                f"{meaning}?",
            )
    return None


def _single_value(v: Any) -> bool:
    """A string or a single number (not an array, not a tuple of results)."""
    return isinstance(v, (str, int, float, np.integer, np.floating)) or (
        isinstance(v, np.ndarray) and v.ndim == 0
    )


def _scalar(v: Any) -> float:
    if not is_real(v):
        raise TypeError("not a number")
    return float(v)


def _same_number(a: float, b: float) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and math.isclose(a, b, rel_tol=1e-6, abs_tol=0))


def _round(c: float) -> bool:
    return any(_same_number(abs(c), r) for r in (1.0, 2.0, 0.5, 10.0, 0.1, 100.0, 0.01))


_MATH = {
    name: getattr(math, name) for name in ("sqrt", "exp", "log", "log10", "cos", "sin", "pi", "e")
}


def _evaluate(expr: str, arguments: Mapping[str, Any]) -> float:
    """The exercise's factor expression (trusted text from a chapter module) on one case."""
    scope = {**_MATH, **{k: v for k, v in arguments.items() if isinstance(v, (int, float))}}
    try:
        return float(eval(expr, {"__builtins__": {}}, scope))
    except Exception:
        return math.nan


def _shifted(ctx: _Context) -> Diagnosis | None:
    """A sequence one step late or early, or one entry short or long."""
    path, who = ctx.focus()
    leaves = ctx.leaves(path)
    if not leaves:
        return None
    for label, advice, test in (
        (
            "one step late",
            "entry k is entry k − 1 of the expected one",
            lambda e, g: len(g) == len(e) and ctx.ok(e[:-1], g[1:]),
        ),
        (
            "one step early",
            "entry k is entry k + 1 of the expected one",
            lambda e, g: len(g) == len(e) and ctx.ok(e[1:], g[:-1]),
        ),
        (
            "first entry missing",
            "it is the expected one without its first entry (the starting point?)",
            lambda e, g: len(g) == len(e) - 1 and ctx.ok(e[1:], g),
        ),
        (
            "one step short",
            "it is the expected one without its last entry",
            lambda e, g: len(g) == len(e) - 1 and ctx.ok(e[:-1], g),
        ),
        (
            "one entry too many at the start",
            "it is the expected one with an extra first entry",
            lambda e, g: len(g) == len(e) + 1 and ctx.ok(e, g[1:]),
        ),
        (
            "one step too many",
            "it is the expected one with an extra last entry",
            lambda e, g: len(g) == len(e) + 1 and ctx.ok(e, g[:-1]),
        ),
    ):
        if all(
            isinstance(e, np.ndarray)
            and e.ndim >= 1
            and len(e) >= 3  # two entries swapped are "late" and "early" alike
            and isinstance(g, np.ndarray)
            and g.ndim == e.ndim
            and test(e, g)
            for _, e, g in leaves
        ):
            # items of a collection one element short or long: slices, not iterates
            sliced = _slice_off_by_one(ctx) if path and ctx.collection() else None
            if sliced is not None:
                return sliced
            return Diagnosis(
                "shifted",
                (f"shifted {label}", "shifted"),
                f"off by one step ({label})",
                f"{who}: {advice}",
                "check where the loop starts and ends, and whether you store the value before "
                "or after the update",
            )
    return None


#: How an item of a collection (a batch) differs from the expected one by one entry: its
#: name, the test on (expected, got), and the end of the slice to look at.
_SLICE_SHIFTS: tuple[tuple[str, Callable[[Any, Any], bool], str], ...] = (
    ("one element short", lambda e, g: len(g) == len(e) - 1 and _same(e[:-1], g), "end"),
    ("one element too many", lambda e, g: len(g) == len(e) + 1 and _same(e, g[:-1]), "end"),
    ("one element short", lambda e, g: len(g) == len(e) - 1 and _same(e[1:], g), "start"),
    ("one element too many", lambda e, g: len(g) == len(e) + 1 and _same(e, g[1:]), "start"),
)


def _same(e: Any, g: Any) -> bool:
    """Two arrays of the same entries (slices of one input: exactly equal)."""
    return isinstance(e, np.ndarray) and isinstance(g, np.ndarray) and np.array_equal(e, g)


def _slice_off_by_one(ctx: _Context) -> Diagnosis | None:
    """Items of a collection result (batches) one element short or long, the same way in
    every wrong item of every failing check: a slice's end (or start) off by one."""
    for how, test, end in _SLICE_SHIFTS:
        wrong = 0
        for o in ctx.bad:
            e, g = o.expected, o.got
            if not (isinstance(g, (tuple, list)) and len(g) == len(e)):
                break
            bad = [(x, y) for x, y in zip(e, g) if not ctx.ok(x, y)]
            parts = [
                (a, b)
                for x, y in bad
                for a, b in (zip(x, y) if isinstance(x, (tuple, list)) else [(x, y)])
                if not ctx.ok(a, b)
            ]
            if not parts or not all(test(a, b) for a, b in parts):
                break
            wrong += len(bad)
        else:
            noun = "batch" if "batch" in ctx.returns else "item"
            each = f"each wrong {noun}" if wrong > 1 else f"a {noun}"
            size = next((p.name for p in ctx.params if "size" in p.name), "n")
            short = how.endswith("short")
            last = "last" if end == "end" else "first"
            fact = f"{each} of your result is the expected one " + (
                f"without its {last} entry" if short else f"with one entry more at its {end}"
            )
            if end == "end":
                advice = (
                    f"check the slice's end: a[start:start + {size}] holds {size} elements, "
                    f"the end itself excluded ({'no − 1' if short else 'no + 1'})"
                )
            else:
                advice = f"check the slice's start: a[start:start + {size}] begins at start"
            return Diagnosis(
                "shifted",
                (f"shifted slice {how} at the {end}", "shifted slice", "shifted"),
                f"each {noun} {how}" if wrong > 1 else f"a {noun} {how}",
                fact,
                advice,
            )
    return None


def _same_every_time(ctx: _Context) -> Diagnosis | None:
    """One result for every check (at least three), while the expected results differ."""
    obs = ctx.observations
    if len(obs) < 3 or any(_family(o.got) != _family(o.expected) for o in obs):
        return None  # a result of the wrong kind: the type problem says more
    if not all(ctx.ok(obs[0].got, o.got) for o in obs[1:]):
        return None
    if all(ctx.ok(obs[0].expected, o.expected) for o in obs[1:]):
        return None
    return Diagnosis(
        "constant",
        ("constant",),
        "the same result every time",
        f"your function returned the same result for all {len(obs)} checks, whose inputs and "
        "expected results differ",
        "does the result depend on the arguments? Look for a hard-coded value or a return "
        "that comes too early",
    )


def _swapped(ctx: _Context) -> Diagnosis | None:
    """The reference's result with two arguments of the same kind exchanged."""
    first = ctx.bad[0].case
    args = list(first.args)
    for i, j in itertools.combinations(range(min(len(args), len(ctx.params))), 2):
        if not _exchangeable(args[i], args[j]):
            continue
        matched = True
        for o in ctx.bad:
            a = list(o.case.args)
            if not _exchangeable(a[i], a[j]):
                matched = False
                break
            a[i], a[j] = a[j], a[i]
            ok, result = ctx.reference(tuple(a), dict(o.case.kwargs))
            if not (ok and ctx.ok(result, o.got)):
                matched = False
                break
            if time.perf_counter() > ctx.deadline:
                return None
        if matched:
            p, q = ctx.params[i].name, ctx.params[j].name
            return Diagnosis(
                "swapped",
                (f"swapped {p} {q}", "swapped"),
                f"{p} and {q} swapped",
                f"your result is the expected one with {p} and {q} exchanged",
                f"check where each of {p} and {q} goes in the formula (and the order of the "
                "parameters)",
            )
    return None


def _exchangeable(a: Any, b: Any) -> bool:
    """Two different arguments of one kind: numbers, or arrays of one shape."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype.kind in "iuf" and not np.array_equal(a, b)
    ints, floats = (int, np.integer), (float, np.floating)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    same = (isinstance(a, ints) and isinstance(b, ints)) or (
        isinstance(a, floats) and isinstance(b, floats)
    )
    return bool(same and a != b)


def _family(v: Any) -> str:
    """What kind of value ``v`` is: a string, a number, an array, a sequence or other."""
    if isinstance(v, str):
        return "string"
    if isinstance(v, np.ndarray):
        return "array" if v.ndim else "number"
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return "number"
    if isinstance(v, (tuple, list)):
        return "sequence"
    return type(v).__name__


def _hyperparameter(ctx: _Context) -> Diagnosis | None:
    """The reference's result with one scalar argument at another value: its default, 0 or 1,
    one more or one less (integers), the other truth value (booleans), or one check's value in
    every check (hard-coded, or a global)."""
    # over 80 lines: one short branch per kind of substituted argument (default, 0 or 1, one more or
    # less, the other truth value, a hard-coded check value), tried in order.
    # a verdict (a string, a truth value) equals the reference's at some extreme argument too
    # easily: for those, only a default or one more/one less counts
    discrete = any(isinstance(o.expected, (str, bool, np.bool_)) for o in ctx.bad)
    path, who = ctx.focus()  # a wrong element alone may match (x_new, with v_new right)
    leaf_match: Diagnosis | None = None
    for index, p in enumerate(ctx.params):
        values = [ctx.arguments(o.case).get(p.name, p.default) for o in ctx.bad]
        if not values or not all(
            isinstance(v, (bool, int, float, np.integer, np.floating)) for v in values
        ):
            continue
        rules: list[tuple[str, Callable[[Any], Any]]] = []
        if p.default is not inspect.Parameter.empty:
            rules.append(("its default", _constant(p.default)))
        if all(isinstance(v, (bool, np.bool_)) for v in values):
            rules.append(("the other truth value", lambda v: not v))
        elif all(isinstance(v, (int, np.integer)) for v in values):
            rules += [("one less", lambda v: v - 1), ("one more", lambda v: v + 1)]
            rules += [] if discrete else [("0", _constant(0)), ("1", _constant(1))]
        elif not discrete:
            rules += [("0", _constant(0.0)), ("1", _constant(1.0))]
        # right after the default (if any), before 0 and 1: a number the learner's function
        # reads (a variable of an earlier cell) or writes (it says more than "0"); an integer
        # or a verdict hit by one change in one check only may be chance
        real = all(isinstance(v, (float, np.floating)) for v in values)
        whole_numbers = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values
        )
        if not discrete and (real or (whole_numbers and len(ctx.bad) >= 2)):
            rules[int(p.default is not inspect.Parameter.empty) : 0] = [
                (label, _constant(c if real else int(c)))
                for label, c in ctx.constants
                if real or float(c).is_integer()
            ]
        # hard-coded: one check's value in every check (a literal, or a variable of an earlier
        # cell of the notebook); other checks' values only when two checks or more failed. Not
        # for a verdict: one of four strings is another check's argument's verdict by chance;
        # nor for an argument the learner's function reads and never assigns (``uses``).
        seen: list[Any] = []
        used = index < len(ctx.own_params) and ctx.own_params[index] in ctx.uses
        for k, o in enumerate([] if discrete or used else ctx.observations):
            v = ctx.arguments(o.case).get(p.name, p.default)
            if k and len(ctx.bad) < 2:
                break
            if isinstance(v, (int, float, np.integer, np.floating)) and not any(
                v == s and type(v) is type(s) for s in seen
            ):
                seen.append(v)
                rules.append((f"the value of check {k + 1}", _constant(v)))
            if len(seen) == 4:
                break
        for rule, change in rules:
            if time.perf_counter() > ctx.deadline:
                return leaf_match
            shown = []
            whole, part = True, bool(path)
            for o in ctx.bad:
                args, kwargs = list(o.case.args), dict(o.case.kwargs)
                old = ctx.arguments(o.case).get(p.name, p.default)
                new = change(old)
                if new == old and type(new) is type(old):
                    whole = part = False
                    break
                if index < len(args):
                    args[index] = new
                else:
                    kwargs[p.name] = new
                ok, result = ctx.reference(tuple(args), kwargs)
                if ok and _non_finite_match(result, o.got, o.expected):
                    # nan matches nan: a reference that breaks down at this value (0/0 at
                    # beta = 1) says nothing about a learner's result broken for another reason
                    whole = part = False
                    break
                whole = whole and ok and ctx.ok(result, o.got)
                part = part and ok and _part_matches(ctx, path, result, o.got)
                if not (whole or part):
                    break
                shown.append((old, new))
            if not shown or not (whole or part):
                continue
            old, new = shown[0]
            found = Diagnosis(
                "hyperparameter",
                (
                    f"hyperparameter {p.name}={rule}",
                    f"hyperparameter {p.name}",
                    "hyperparameter",
                ),
                f"as if {p.name} were {_value(new)}",
                f"{'your result' if whole else who} is the expected one computed with "
                f"{p.name} = {_value(new)}{'' if rule in ('0', '1') else f' ({rule})'} instead "
                f"of the given {p.name} = {_value(old)}",
                _advice(p.name, rule, _own(ctx, index), p.name in ctx.reads),
            )
            if whole:
                return found
            leaf_match = leaf_match or found
    return leaf_match


def _non_finite_match(result: Any, got: Any, expected: Any) -> bool:
    """The reference's ``result`` at a changed argument holds an inf or nan where the learner's
    ``got`` does too, and none of its finite entries differs from the ``expected`` result: nan
    matches nan, so such a match is no evidence (the reference breaks down at that value, 0/0
    at beta = 1, while the learner's result is broken for another reason). A result that also
    moves finite entries (gradient descent diverging at lr = 1 after some finite steps) is."""
    shared = moved = False
    todo: list[tuple[Any, Any, Any]] = [(result, got, expected)]
    while todo and len(todo) < 10_000:
        r, g, e = todo.pop()
        if isinstance(r, (tuple, list)):
            for i, item in enumerate(r):
                same_g = isinstance(g, (tuple, list)) and len(g) == len(r)
                same_e = isinstance(e, (tuple, list)) and len(e) == len(r)
                todo.append((item, g[i] if same_g else None, e[i] if same_e else None))
            continue
        try:
            rv = np.asarray(r, dtype=np.float64)
        except Exception:  # not numbers (strings, objects): nothing non-finite
            continue
        finite = np.isfinite(rv)
        try:
            gv = np.asarray(g, dtype=np.float64)
            broken_too = ~np.isfinite(gv) if gv.shape == rv.shape else np.True_
        except Exception:
            broken_too = np.True_
        shared = shared or bool((~finite & broken_too).any())
        try:
            ev = np.asarray(e, dtype=np.float64)
            if ev.shape != rv.shape:
                raise ValueError
            moved = moved or bool((finite & ~np.isclose(rv, ev, equal_nan=True)).any())
        except Exception:
            moved = moved or bool(finite.any())
    return shared and not moved


def _part_matches(ctx: _Context, path: tuple[int, ...], result: Any, got: Any) -> bool:
    """The element at ``path`` of ``got`` matches that of the reference's ``result``."""
    try:
        for i in path:
            if not isinstance(got, (tuple, list)) or len(got) != len(result):
                return False
            result, got = result[i], got[i]
    except Exception:
        return False
    return ctx.ok(result, got)


def _constant(value: Any) -> Callable[[Any], Any]:
    def change(old: Any) -> Any:
        return value

    return change


def _value(v: Any) -> str:
    return _fmt(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def _own(ctx: _Context, index: int) -> str:
    """The learner's own parameter at ``index`` when it is named otherwise than the
    reference's (``b`` for ``beta``), else ``""``."""
    if index >= len(ctx.own_params) or index >= len(ctx.params):
        return ""
    mine = ctx.own_params[index]
    return "" if mine == ctx.params[index].name else mine


def _advice(name: str, rule: str, mine: str = "", reads_name: bool = False) -> str:
    """What to look at when the result is as if the argument ``name`` had another value
    (``rule`` says which). ``mine``: the learner's own parameter at that place when it has
    another name (``b`` where the checks pass ``beta``); ``reads_name``: the learner's function
    reads a notebook variable called ``name`` (a misspelt parameter, then, not a mistake in
    the formula)."""
    variable = rule.split()[2] if rule.startswith("the variable ") else ""
    if mine and (reads_name or variable == name):
        return (
            f"your parameter at that place is {mine}, but your function reads {name}, a "
            f"variable of your notebook: use {mine} (or rename it {name})"
        )
    # the argument, as the learner's code names it
    arg = f"your parameter {mine} (the argument {name})" if mine else f"the argument {name}"
    use = mine or name
    if rule == "its default":
        return f"is {arg} passed on and used, rather than its default?"
    if rule in ("one less", "one more"):
        return (
            f"off by one in {use}: does it count from 0 or from 1 (and, for a counter, is it "
            "updated before or after it is used)?"
        )
    if rule.startswith("the number "):  # the explanation before it has named the number
        return f"write {arg} in its place"
    if variable:
        return f"your function reads {variable} where {arg} belongs: use {use}"
    if rule.startswith("the value of check"):
        return (
            f"is {use} hard-coded, or read from a variable outside the function (one an "
            f"earlier cell set)? Use {arg}"
        )
    return f"is {arg} used at all, and in the right place?"
