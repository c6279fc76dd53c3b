"""Exercises of chapter 16 (Capstone project).

* ``ch16_diagnose_runs``: a value exercise. The learner looks at the seven recorded runs of
  :mod:`dlnotes.capstone.runs` (letters ``A``..``G``) and names, for each, the cause and the fix
  from the fixed option lists :data:`CAUSES` and :data:`FIXES`::

      diagnosis = {"A": ("high_variance", "more_data_or_regularize"), "B": (...), ...}
      check("ch16_diagnose_runs", diagnosis)

  Feedback names every wrong choice and explains the evidence: what the chosen cause would look
  like in the curves, and what the run's curves show instead, citing only facts of :data:`FACTS`
  that do not also hold for the run the chosen cause belongs to (the run the learner took this
  one for). Which runs each fact holds for is declared with it and asserted on the shipped runs
  by the tests and by chapter 16's hidden cell.

The answer key lives here, like every exercise's reference solution; this module does not import
:mod:`dlnotes.capstone` (nothing does), and a test checks that both agree.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlnotes.exercises.core import ValueExercise, ValueMistakes, ValueVerdict, register

#: The points of ``ch16_diagnose_runs`` (its graded cell's in notebook 16; a test checks they
#: agree): all of them for a diagnosis with every run right, none otherwise.
POINTS = 7

#: The causes the learner chooses from.
CAUSES = (
    "lr_too_high",
    "lr_too_low",
    "high_bias",
    "high_variance",
    "saturating_init",
    "batchnorm_mismatch",
    "no_shuffle",
)
#: The fixes the learner chooses from.
FIXES = (
    "lower_lr",
    "raise_lr",
    "bigger_model",
    "more_data_or_regularize",
    "scaled_init",
    "fix_bn_running_stats",
    "shuffle_batches",
)
#: The fix that answers each cause.
FIX_OF = dict(zip(CAUSES, FIXES))

#: What each cause looks like in a run's curves (said when a learner picks it wrongly).
SIGNATURE = {
    "lr_too_high": (
        "too high a learning rate makes the training loss jump up or stall at ln 10 ≈ 2.30 "
        "(a uniform guess) within the first epochs; the ReLU units its big steps kill stop "
        "learning, and the update ratios ‖ΔW‖/‖W‖ collapse towards 0"
    ),
    "lr_too_low": (
        "too low a learning rate gives a smooth, almost straight and very slow fall of both "
        "losses, train and dev together, with update ratios far below 1e-3"
    ),
    "high_bias": (
        "high bias (a model too small) shows as a high training error that flattens out, "
        "with dev error about equal to it and healthy update ratios"
    ),
    "high_variance": (
        "high variance (overfitting) shows a training accuracy that keeps climbing towards "
        "100% while dev accuracy stalls and the dev loss turns up: a gap that opens over "
        "the epochs"
    ),
    "saturating_init": (
        "a saturating initialization leaves tanh/sigmoid units pinned at ±1 (activation std "
        "near 1, pre-activation std in the tens) from the first epoch, with a very large "
        "first loss and tiny gradients and update ratios in the early layers"
    ),
    "batchnorm_mismatch": (
        "a batch-norm train/test mismatch shows as a training loss that falls smoothly while "
        "the dev loss (eval mode, running statistics) is worse from the very first epoch and "
        "jumps up and down from epoch to epoch"
    ),
    "no_shuffle": (
        "a missing shuffle of class-sorted data makes the accuracy on the training batches "
        "fall below chance (each batch is one class, the network has just been pushed "
        "towards the previous one) while dev accuracy sits near chance"
    ),
}


@dataclass(frozen=True)
class Fact:
    """One thing a recorded run shows: ``text`` (a clause the feedback quotes), ``holds(run)``
    (read from a run of :func:`dlnotes.capstone.load_runs`, by its attributes: this module does
    not import the capstone) and ``runs``, the letters of the runs it holds for (``"healthy"``
    included when it holds for the healthy recipe), asserted on the shipped runs by the tests."""

    text: str
    holds: Callable[[Any], bool]
    runs: frozenset[str]


def _ratios(run: Any, epoch: int | None = None) -> np.ndarray:
    """The update ratios of the weight layers, in every epoch or in ``epoch`` (0-based)."""
    r = run.diagnostics["update_ratio"]
    r = r if epoch is None else r[epoch]
    return r[~np.isnan(r)]


def _layer(run: Any, name: str) -> list[int]:
    return [i for i, layer in enumerate(run.layers) if layer == name]


def _f(text: str, holds: Callable[[Any], bool], runs: str) -> Fact:
    return Fact(text, holds, frozenset(runs.split()))


_LN10 = float(np.log(10))

#: What each recorded run shows (by letter): the facts that hold for that run alone first (the
#: feedback always quotes them: :data:`EVIDENCE`), then facts that other runs share, quoted only
#: against a run they do not hold for. Each fact's ``runs`` is asserted on the shipped runs.
FACTS: dict[str, tuple[Fact, ...]] = {
    "A": (
        _f(
            "the training accuracy reaches over 95% while the dev accuracy stays below 75%",
            lambda r: r.train_acc[-1] > 0.95 and r.dev_acc.max() < 0.75,
            "A",
        ),
        _f(
            "it trained on only 200 images (the table of layers lists each run's training images)",
            lambda r: r.n_train == 200,
            "A",
        ),
        _f(
            "its train and dev losses stay within 0.2 of each other for the first 7 epochs: the "
            "gap opens over the epochs, not in epoch 1",
            lambda r: bool(np.all(np.abs(r.train_loss[:7] - r.dev_loss[:7]) < 0.2)),
            "A B",
        ),
        _f(
            "it has no BatchNorm layer at all (see its layers), so there are no running "
            "statistics to disagree with",
            lambda r: not any(layer.startswith("BatchNorm") for layer in r.layers),
            "A B D E F G healthy",
        ),
    ),
    "B": (
        _f(
            "both losses fall in every epoch, but by less than 0.05 in all 10 (from about 2.34)",
            lambda r: bool(
                np.all(np.diff(r.train_loss) < 0)
                and np.all(np.diff(r.dev_loss) < 0)
                and r.train_loss[0] - r.train_loss[-1] < 0.05
                and abs(r.train_loss[0] - 2.34) < 0.01
            ),
            "B",
        ),
        _f(
            "train and dev losses stay within 0.01 of each other",
            lambda r: bool(np.all(np.abs(r.train_loss - r.dev_loss) < 0.01)),
            "B",
        ),
        _f(
            "its update ratios are below 1e-4 in every epoch",
            lambda r: bool(np.all(_ratios(r) < 1e-4)),
            "B",
        ),
    ),
    "C": (
        _f(
            "the training accuracy tops 90% while the dev accuracy stays below 70%",
            lambda r: r.train_acc[-1] > 0.9 and r.dev_acc.max() < 0.7,
            "C",
        ),
        _f(
            "it has a BatchNorm layer (see its layers)",
            lambda r: any(layer.startswith("BatchNorm") for layer in r.layers),
            "C",
        ),
        _f(
            "its dev accuracy is already more than 10 points below its training accuracy in "
            "epoch 1",
            lambda r: r.train_acc[0] - r.dev_acc[0] > 0.10,
            "C E",
        ),
        _f(
            "its dev loss goes up in at least 3 epochs while the training loss keeps falling",
            lambda r: bool(
                np.count_nonzero(np.diff(r.dev_loss) > 0) >= 3
                and np.all(np.diff(r.train_loss) < 0.01)
            ),
            "C healthy",
        ),
    ),
    "D": (
        _f(
            "the training loss rises after epoch 1",
            lambda r: r.train_loss[1] > r.train_loss[0],
            "D",
        ),
        _f(
            "the training loss ends within 0.1 of ln 10 ≈ 2.30, the loss of a uniform guess",
            lambda r: abs(r.train_loss[-1] - _LN10) < 0.1,
            "B D",
        ),
        _f(
            "the accuracy on its own training batches never falls below 9%, about chance",
            lambda r: r.train_acc.min() > 0.09,
            "C D F G healthy",
        ),
        _f(
            "its update ratios fall from above 1e-2 in epoch 1 to below 1e-4 in its last epoch",
            lambda r: bool(np.all(_ratios(r, 0) > 1e-2) and np.all(_ratios(r, -1) < 1e-4)),
            "D E",
        ),
        _f(
            "its ReLU layer ends dead (every unit 0 on the whole batch)",
            lambda r: bool(
                _layer(r, "ReLU") and r.diagnostics["dead_frac"][-1, _layer(r, "ReLU")[0]] == 1
            ),
            "D E",
        ),
        _f(
            "its dev accuracy ends near chance (under 15%)",
            lambda r: r.dev_acc[-1] < 0.15,
            "B D E",
        ),
    ),
    "E": (
        _f(
            "the accuracy on its own training batches is 0% in most epochs, below the 10% of a "
            "random guess",
            lambda r: np.count_nonzero(r.train_acc == 0) > r.epochs / 2,
            "E",
        ),
        _f(
            "the training loss stays above 2.55 in every epoch, above ln 10 ≈ 2.30 (a uniform "
            "guess)",
            lambda r: bool(np.all(r.train_loss > 2.55)),
            "E",
        ),
        _f(
            "its dev accuracy stays near chance (under 15%) in every epoch",
            lambda r: bool(np.all(r.dev_acc < 0.15)),
            "B E",
        ),
    ),
    "F": (
        _f(
            "its tanh layers' activation std is above 0.95 in every epoch, outputs pinned at ±1 "
            '(the table shows the first tanh layer\'s; runs["F"].diagnostics["act_std"] has '
            "every layer's, one row per epoch)",
            lambda r: bool(
                _layer(r, "Tanh") and np.all(r.diagnostics["act_std"][:, _layer(r, "Tanh")] > 0.95)
            ),
            "F",
        ),
        _f(
            "its first-epoch loss is above 5, more than twice the ln 10 ≈ 2.30 of a uniform guess",
            lambda r: r.train_loss[0] > 5,
            "F",
        ),
        _f(
            "its first layer's pre-activations have std above 10 in epoch 1 "
            '(runs["F"].diagnostics["act_std"][0, 0])',
            lambda r: r.diagnostics["act_std"][0, 0] > 10,
            "D F",
        ),
    ),
    "G": (
        _f(
            "the training accuracy climbs above 70% but stays below 75% (the healthy run reaches "
            "over 85% in the same 10 epochs)",
            lambda r: 0.70 < r.train_acc.max() < 0.75,
            "G",
        ),
        _f(
            "its hidden layer has only 3 units (see its layers)",
            lambda r: "Linear 784 -> 3" in r.layers,
            "G",
        ),
        _f(
            "its dev accuracy ends within 5 points of its training accuracy",
            lambda r: abs(r.train_acc[-1] - r.dev_acc[-1]) < 0.05,
            "B D F G",
        ),
        _f(
            "its update ratios stay above 1e-3 in every epoch",
            lambda r: bool(np.all(_ratios(r) > 1e-3)),
            "A C G healthy",
        ),
    ),
}

#: What each recorded run shows that no other run does (by letter): every feedback line on the
#: run quotes it.
EVIDENCE = {
    label: f"in run {label}, " + "; ".join(f.text for f in facts if f.runs == {label})
    for label, facts in FACTS.items()
}


#: The answer key: the cause of each run.
KEY = {
    "A": "high_variance",
    "B": "lr_too_low",
    "C": "batchnorm_mismatch",
    "D": "lr_too_high",
    "E": "no_shuffle",
    "F": "saturating_init",
    "G": "high_bias",
}


def _solution() -> dict[str, tuple[str, str]]:
    return {label: (cause, FIX_OF[cause]) for label, cause in KEY.items()}


def _is_pair(entry: Any) -> bool:
    """Whether a run's entry is a pair (a tuple or list of two)."""
    return isinstance(entry, (tuple, list)) and len(entry) == 2


def _fix_first(entry: Any) -> bool:
    """Whether a run's entry is a pair written ``(fix, cause)``: both from the lists, the wrong
    way round."""
    if not _is_pair(entry):
        return False
    first, second = entry
    return first in FIXES and second in CAUSES


def _parse(value: Any) -> tuple[dict[str, tuple[str, str]] | None, str, str | None]:
    """``(answer, "", None)`` for a well-formed diagnosis, else ``(None, the problem, the run
    whose entry is wrong, or None when the dict itself is)``."""
    if not isinstance(value, Mapping):
        return (
            None,
            f"expected a dict {{run letter: (cause, fix)}}, got {type(value).__name__}",
            None,
        )
    missing = sorted(set(KEY) - set(value))
    extra = sorted(str(k) for k in set(value) - set(KEY))
    if missing or extra:
        return (
            None,
            f"the dict must have the keys {sorted(KEY)}: missing {missing}, extra {extra}",
            None,
        )
    out = {}
    for label in sorted(KEY):
        pair = value[label]
        if not _is_pair(pair):
            return None, f"run {label}: expected a pair (cause, fix), got {pair!r}", label
        cause, fix = pair
        if _fix_first(pair):
            return (
                None,
                f"run {label}: expected the pair (cause, fix), the cause first, but you gave "
                f"{tuple(pair)!r}, a fix then a cause: write ({fix!r}, {cause!r})",
                label,
            )
        if cause not in CAUSES:
            return None, f"run {label}: cause must be one of {CAUSES}, got {cause!r}", label
        if fix not in FIXES:
            return None, f"run {label}: fix must be one of {FIXES}, got {fix!r}", label
        out[label] = (str(cause), str(fix))
    return out, "", None


def _cause_given(value: Any, label: str) -> str | None:
    """The cause a well-formed diagnosis gives run ``label`` (None for a malformed one)."""
    answer, _, _ = _parse(value)
    return None if answer is None else answer[label][0]


def _swap(label: str, cause: str) -> dict[str, tuple[str, str]]:
    answer = _solution()
    answer[label] = (cause, FIX_OF[cause])
    return answer


# The mistakes of a diagnosis that fails, tried in this order: a malformed one that writes its
# pairs backwards, then the confusions common enough to have a name (two runs' causes swapped).
diagnose_runs_mistakes = ValueMistakes()


@diagnose_runs_mistakes.add(
    "fix and cause swapped",
    "each run's pair is (cause, fix), in that order: the cause from the first "
    "list (lr_too_high, ...), then the fix from the second (lower_lr, ...). "
    'Write {"A": (cause, fix), ...}, not (fix, cause).',
    example={label: (FIX_OF[cause], cause) for label, cause in KEY.items()},
)
def _pairs_backwards(value: Any) -> bool:
    """The entry that makes the diagnosis malformed is a pair written ``(fix, cause)``."""
    _, _, label = _parse(value)
    return label is not None and _fix_first(value[label])


@diagnose_runs_mistakes.add(
    "learning rate backwards",
    "a too-low learning rate never makes the loss rise or the ReLUs die; a loss stuck "
    "at ln 10 after a jump in epoch 1 is a step far too large.",
    example=_swap("D", "lr_too_low"),
)
def _learning_rate_backwards(value: Any) -> bool:
    """Run D (too high a learning rate) diagnosed as too low a one."""
    return _cause_given(value, "D") == "lr_too_low"


@diagnose_runs_mistakes.add(
    "overfitting vs batch norm",
    "overfitting needs time: the gap opens over the epochs. A dev error worse from "
    "epoch 1, jumping around while the training loss falls smoothly, is the eval "
    "mode's running statistics disagreeing with the batch statistics.",
    example=_swap("C", "high_variance"),
)
def _batchnorm_as_overfitting(value: Any) -> bool:
    """Run C (batch norm's train/test mismatch) diagnosed as overfitting."""
    return _cause_given(value, "C") == "high_variance"


@diagnose_runs_mistakes.add(
    "slow learning vs small model",
    "a too-low learning rate leaves the loss near its starting value with tiny "
    "update ratios; a loss that fell fast and flattened at a high value with healthy "
    "update ratios is a model too small to fit the data.",
    example=_swap("G", "lr_too_low"),
)
def _small_model_as_slow_learning(value: Any) -> bool:
    """Run G (a model too small) diagnosed as too low a learning rate."""
    return _cause_given(value, "G") == "lr_too_low"


def evidence_against(label: str, cause: str) -> str:
    """What run ``label`` shows against ``cause``: :data:`EVIDENCE`, then the facts of
    :data:`FACTS` that do not hold for the run whose cause ``cause`` is (the run the learner
    took this one for), so that nothing quoted holds for both.

    Defined in chapter 16 (Capstone project).
    """
    other = next((k for k, c in KEY.items() if c == cause), None)
    shared = [
        f.text for f in FACTS[label] if f.runs != {label} and (other is None or other not in f.runs)
    ]
    return EVIDENCE[label] + "".join(f"; {text}" for text in shared)


def verify_diagnosis(value: Any) -> ValueVerdict:
    """Grade a diagnosis ``{letter: (cause, fix)}`` and explain every wrong choice.

    Defined in chapter 16 (Capstone project).
    """
    answer, problem, _ = _parse(value)
    if answer is None:
        return ValueVerdict(False, problem, diagnose_runs_mistakes.shown_by(value))
    details: list[str] = []
    right = 0
    for label in sorted(KEY):
        cause, fix = answer[label]
        true = KEY[label]
        if cause != true:
            sign = SIGNATURE[cause]  # capitalize() would lowercase ‖ΔW‖
            details.append(
                f"run {label}: not {cause}. {sign[:1].upper()}{sign[1:]}; but "
                f"{evidence_against(label, cause)}."
            )
        elif fix != FIX_OF[true]:
            details.append(
                f"run {label}: {cause} is right, but {fix} is the fix for "
                f"{CAUSES[FIXES.index(fix)]}; the fix for {cause} is {FIX_OF[true]}."
            )
        else:
            right += 1
    if right == len(KEY):
        return ValueVerdict(True, f"all {len(KEY)} runs diagnosed, causes and fixes right")
    summary = f"{right} of {len(KEY)} runs diagnosed right (cause and fix)"
    runs_of: dict[str, list[str]] = {}
    for label in sorted(KEY):
        runs_of.setdefault(answer[label][0], []).append(label)
    twice = [
        f"{cause} (runs {', '.join(labels)})"
        for cause, labels in runs_of.items()
        if len(labels) > 1
    ]
    if twice:
        summary += f"; each cause appears exactly once, but you gave {'; '.join(twice)}"
    # all or nothing: the count above earns no points (the graded cell passes or fails)
    points = (
        f"That earns 0 of {POINTS} points: the points come only when all {len(KEY)} runs are right"
    )
    mistake = diagnose_runs_mistakes.shown_by(value)
    return ValueVerdict(False, summary, mistake, tuple(details), points=points)


register(
    ValueExercise(
        name="ch16_diagnose_runs",
        chapter="16",
        title="Diagnose these runs: cause and fix of each of seven training runs",
        signature='diagnosis = {"A": (cause, fix), ..., "G": (cause, fix)}',
        hint=(
            "For each run compare train with dev (bias or variance?), look at the shape of the "
            "loss (too fast, too slow, erratic?), at the first epoch, and at the diagnostics "
            "(activation std, update ratio ‖ΔW‖/‖W‖ between 1e-3 and 1e-1 when healthy). Each run "
            f"has exactly one thing wrong. Causes: {', '.join(CAUSES)}; fixes: {', '.join(FIXES)}."
        ),
        solution=_solution(),
        verify=verify_diagnosis,
        mistakes=diagnose_runs_mistakes.all,
    )
)
