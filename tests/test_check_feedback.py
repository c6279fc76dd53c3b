"""How a failing check() meets the learner: a CheckFailed (an AssertionError) whose feedback shows
without dlnotes' traceback frames in a kernel, no Markdown asterisks, guidance for an unanswered
challenge, and in Colab a printed verdict so that "Run all" goes on."""

from __future__ import annotations

import re
import sys

import nbformat
import pytest

from dlnotes.exercises import CheckFailed, check, exercises, get, hint
from dlnotes.exercises.ch05 import _adam_no_bias_correction
from dlnotes.exercises.core import _plain

EMPHASIS = re.compile(r"(?<![\w*])(\*{1,2})(?=\S)([^*\n]+?)(?<=\S)\1(?![\w*])")


def test_plain_removes_emphasis_but_not_powers_or_products():
    assert _plain("3.2 times *larger* and **not** this") == "3.2 times larger and not this"
    assert _plain("1 − β1**t, beta**t, a * b * c, x*y*z") == "1 − β1**t, beta**t, a * b * c, x*y*z"


def test_feedback_prints_no_markdown_asterisks():
    with pytest.raises(CheckFailed) as info:
        check("ch05_adam_step", _adam_no_bias_correction)
    message = str(info.value)
    assert "3.2 times larger than Adam's" in message and "no bias correction" in message
    assert not EMPHASIS.search(message), message
    for ex in exercises():
        assert not EMPHASIS.search(hint(ex.name)), ex.name


def test_failure_is_an_assertion_error_without_context():
    with pytest.raises(AssertionError) as info:
        check("ch05_adam_step", _adam_no_bias_correction)
    assert isinstance(info.value, CheckFailed)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("name", ["ch02_lr_challenge", "ch04_momentum_challenge"])
def test_unanswered_challenge_gets_guidance(name):
    with pytest.raises(CheckFailed, match="not answered yet") as info:
        check(name, None)
    assert "replace None by your answer" in str(info.value)
    assert get(name).signature in str(info.value)


def test_in_colab_a_failure_is_printed_not_raised(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    check("ch04_momentum_challenge", None)  # does not raise
    err = capsys.readouterr().err
    assert err.startswith("✗ ch04_momentum_challenge: not answered yet")
    check("ch04_momentum_challenge", (3.3, 0.67))
    assert capsys.readouterr().out.startswith("✓ ch04_momentum_challenge")


@pytest.mark.slow
def test_in_a_kernel_the_feedback_shows_without_dlnotes_frames():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from dlnotes.exercises import check\n"
                "from dlnotes.exercises.ch05 import _adam_no_bias_correction as mine"
            ),
            nbformat.v4.new_code_cell('check("ch05_adam_step", mine)'),
            nbformat.v4.new_code_cell("assert 1 == 2, 'an ordinary failure keeps its traceback'"),
        ]
    )
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert error.ename == "CheckFailed"
    assert "no bias correction" in text and "3.2 times larger" in text
    assert "core.py" not in text and "dlnotes/exercises" not in text and "File " not in text
    (other,) = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert other.ename == "AssertionError" and len(other.traceback) > 1


def test_a_raising_answer_with_its_arguments_in_another_order_is_told_the_order():
    # chapter 10's stub before 0.2.0 was dropout_forward(x, p, u, train); the checks pass
    # (X, p, mode, u), so `if not train` meets an array and raises
    def dropout_forward(x, p, u, train):
        if not train:
            return x.copy()
        return x * (u >= p) / (1 - p)

    with pytest.raises(CheckFailed) as info:
        check("ch10_dropout_forward", dropout_forward)
    message = str(info.value)
    assert "your function raised ValueError" in message
    assert "takes (x, p, u, train), but the checks pass the arguments in the order" in message
    assert "(X, p, mode, u): 'u' is not where your function expects it" in message


def test_a_raising_answer_whose_arguments_are_only_renamed_gets_no_order_note():
    def dropout_forward(inputs, drop, phase, draws):
        raise ZeroDivisionError("a bug of its own")

    with pytest.raises(CheckFailed) as info:
        check("ch10_dropout_forward", dropout_forward)
    message = str(info.value)
    assert "your function raised ZeroDivisionError: a bug of its own" in message
    assert "Note: your function takes" not in message
