"""Another word for a label ("overfitting" for "high variance") is told the label it names, as
the label must be written, and is never accepted; a word that names no label, or names one
where another is expected, is told so too (a learner wrote chapter 01's verdicts in their own
words and got only the list)."""

from __future__ import annotations

import pytest

from dlnotes.exercises import get
from dlnotes.exercises.ch01 import VERDICT_SYNONYMS, VERDICTS
from dlnotes.exercises.core import FunctionExercise
from dlnotes.exercises.diagnose import ANOTHER_WORD, near_label
from tests.test_feedback_labels_syntax_floats import diagnose_returning, feedback


@pytest.mark.parametrize(
    ("word", "label"),
    [
        ("overfitting", "high variance"),
        ("Over-fitting", "high variance"),
        ("OVERFIT", "high variance"),
        ("under_fitting", "high bias"),
        ("good fit", "low bias and low variance"),
        ("Both", "high bias and high variance"),
    ],
)
def test_another_word_names_its_label(word: str, label: str) -> None:
    assert near_label(word, VERDICTS, VERDICT_SYNONYMS) == (label, ANOTHER_WORD)
    assert near_label(word, VERDICTS) is None  # without the exercise's words: no guess


def test_every_synonym_names_a_verdict_and_none_is_a_verdict() -> None:
    assert set(VERDICT_SYNONYMS.values()) <= set(VERDICTS)
    assert not set(VERDICT_SYNONYMS) & set(VERDICTS)
    assert get("ch01_diagnose").label_synonyms == VERDICT_SYNONYMS


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_overfitting_for_high_variance_is_told_the_label(suite: str) -> None:
    message = feedback("ch01_diagnose", diagnose_returning("overfitting"), suite)
    assert (
        "Likely mistake: another word for an answer — your function returned 'overfitting'"
    ) in message, message
    assert (
        "did you mean 'high variance'? Yours is another word for it: return it exactly as "
        "written" in message
    ), message
    assert all(repr(v) in message for v in VERDICTS), message
    assert "✓" not in message  # never accepted
    assert "look at the logic" not in message  # it is returned where high variance is expected


def test_a_synonym_returned_where_another_label_is_expected_says_so() -> None:
    """Both high bias and high variance called "overfitting": the word names high variance,
    and where it was returned for high bias the check expects that label."""
    message = feedback("ch01_diagnose", diagnose_returning("overfitting", "overfitting"))
    assert "did you mean 'high variance'? Yours is another word for it" in message, message
    assert (
        "where you returned it, the checks expect 'high variance' or 'high bias': look at the "
        "logic that picks the label too"
    ) in message, message


def test_a_synonym_that_names_no_label_is_refused_when_declared() -> None:
    ex = get("ch01_diagnose")
    assert isinstance(ex, FunctionExercise)
    with pytest.raises(ValueError, match="label_synonyms name labels not in labels"):
        FunctionExercise(**{**ex.__dict__, "label_synonyms": {"overfitting": "overfit"}})
