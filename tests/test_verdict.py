"""How a verdict is shown (``dlnotes.exercises.verdict``): the HTML block a Jupyter front end
displays for a failed check, the one-line error under it, the text elsewhere, and the same in a
real kernel."""

from __future__ import annotations

import re
import sys
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from dlnotes.exercises import CheckFailed
from dlnotes.exercises.verdict import HANG, feedback_html, fold, report, summary

MESSAGE = (
    "ch04_momentum_step: 1 of 4 checks passed. Check 1 (shape (3,), α = 0.1) failed:\n"
    "  Likely mistake: dampening — (1 − ρ)·g makes v an average; use v_new = ρv + g.\n"
    "    at (0,): expected 1.70426, got 1.86728, where x <= 2 & y > 1\n"
    "  inputs: x = [ 1.7722,  0.0453] (float64, shape (2,)); eps = 1e-05\n"
    "\n"
    "  also failed: checks 2, 3"
)


def _rows(block: str) -> list[tuple[int, str]]:
    """``(padding-left in ch, inner HTML)`` of each line's ``<div>``."""
    return [
        (int(pad), body)
        for pad, body in re.findall(r'<div style="padding-left: (\d+)ch; [^"]*">(.*?)</div>', block)
    ]


def test_html_has_a_div_per_line_indented_as_the_text() -> None:
    block = feedback_html(MESSAGE)
    rows = _rows(block)
    assert len(rows) == len(MESSAGE.splitlines()) == 6
    assert [pad for pad, _ in rows] == [HANG, 2 + HANG, 4 + HANG, 2 + HANG, HANG, 2 + HANG]
    assert "<pre" not in block and "white-space" not in block  # JupyterLab breaks <pre> mid-word
    assert f"text-indent: -{HANG}ch" in block  # a wrapped line hangs like fold()'s rows
    assert rows[4][1] == "&nbsp;"  # an empty line keeps its height


def test_html_escapes_and_keeps_what_fold_keeps_together() -> None:
    rows = dict(enumerate(body for _, body in _rows(feedback_html(MESSAGE))))
    assert "x &lt;= 2 &amp; y &gt; 1" not in rows[2]  # spaces around <= are glued ...
    assert "x\u00a0&lt;=\u00a02 &amp; y\u00a0&gt;\u00a01" in rows[2]  # ... and escaped
    assert "eps\u00a0=\u00a01e-05" in rows[3] and "α\u00a0=\u00a00.1" in rows[0]
    assert re.search("\\[\u00a01.7722,(\u00a0 |\u00a0\u00a0)0.0453]", rows[3])  # two spaces stay
    assert rows[1].startswith("<b>Likely mistake:</b> dampening")
    assert "<script" not in feedback_html("<script>alert(1)</script>")
    hint = feedback_html("  Likely mistake: aliasing — append a copy (`xs.append(x.copy())`).")
    assert "(<code>xs.append(x.copy())</code>)" in hint and "`" not in hint


def test_text_elsewhere_is_folded_under_a_red_title() -> None:
    err = CheckFailed(MESSAGE)
    lines = err._render_traceback_()
    assert len(lines) == 2 and "CheckFailed" in lines[0] and lines[1] == fold(MESSAGE)


class _Kernel:
    kernel = object()


def test_a_kernel_gets_the_html_above_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[dict[str, str]] = []
    monkeypatch.setattr("IPython.get_ipython", lambda: _Kernel())
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    err = CheckFailed(MESSAGE)
    lines = err._render_traceback_()
    assert len(lines) == 2 and "CheckFailed" in lines[0] and "above" in lines[1]
    assert err._render_traceback_() == lines  # rendered again (IPython 9's history): not shown
    assert shown == [{"text/plain": fold(MESSAGE), "text/html": feedback_html(MESSAGE)}]


def test_a_terminal_and_colab_get_text(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    monkeypatch.setattr("IPython.get_ipython", lambda: object())  # terminal IPython: no kernel
    assert CheckFailed(MESSAGE)._render_traceback_()[1] == fold(MESSAGE)
    monkeypatch.setattr("IPython.get_ipython", lambda: _Kernel())
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert CheckFailed(MESSAGE)._render_traceback_()[1] == fold(MESSAGE)
    assert shown == []


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (
            "ch04_nesterov: 0 of 4 checks passed. Check 1 (lr = 0.1) failed:\n  more",
            "ch04_nesterov: 0 of 4 checks passed",
        ),
        (
            "ch02_lr_challenge: not answered yet: the answer is still None. In",
            "ch02_lr_challenge: not answered yet: the answer is still None",
        ),
        # an "e.g." is no end of a sentence (a learner read "lr must be a number, e.g")
        (
            "ch02_lr_challenge: lr must be a number, e.g. lr = 0.5; got '1.8'",
            "ch02_lr_challenge: lr must be a number, e.g. lr = 0.5; got '1.8'",
        ),
        # a note above the verdict is not the verdict (a learner read "CheckFailed: note")
        (
            "note: your last run of the cell stopped at a SyntaxError. Python kept ...\n"
            "ch02_gradient_descent: 2 of 5 checks passed. Check 3 failed:",
            "ch02_gradient_descent: 2 of 5 checks passed",
        ),
        (
            "ch16_train_best_model: the model's accuracy on the dev set is far below the target",
            "ch16_train_best_model: the model's accuracy on the dev set is far below the…",
        ),
        ("ch16_train_best_model: " + "x" * 80, "ch16_train_best_model…"),
        # a check that stopped: what happened, not the case's label (a learner read
        # "check 1 of 6 (12 training rows, 3 features…" and nothing else)
        (
            "ch01_standardize: check 1 of 6 (12 training rows, 3 features (one constant)): "
            "your function raised ValueError: operands could not be broadcast",
            "ch01_standardize: check 1 of 6: your function raised ValueError: operands…",
        ),
        (
            "ch12_freeze: check 8 of 8 (MLP 5-4-3-2, every Linear layer frozen): your function "
            "did not return within 5 s: is there a loop that never ends?",
            "ch12_freeze: check 8 of 8: your function did not return within 5 s: is there a…",
        ),
        ("", ""),
    ],
)
def test_the_error_line_sums_the_verdict_up(message: str, said: str) -> None:
    assert summary(message) == said


def test_report_prints_a_pass_and_its_note(capsys: pytest.CaptureFixture[str]) -> None:
    report(True, "✓ fine", note="REVIEW: looked at by the instructor")
    out, err = capsys.readouterr()
    assert out == "✓ fine\n" and err == "REVIEW: looked at by the instructor\n"
    with pytest.raises(CheckFailed) as info:
        report(False, MESSAGE)
    assert str(info.value) == MESSAGE


@pytest.mark.slow
def test_a_failed_check_in_a_real_kernel() -> None:
    """What a notebook stores: the HTML feedback, then an error of one line, no frames."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from dlnotes.exercises import check\n"
            "def momentum_step(x, v, g, lr, rho):\n"
            "    v_new = rho * v + (1 - rho) * g\n"
            "    return x - lr * v_new, v_new\n"
            'check("ch04_momentum_step", momentum_step)'
        )
    ]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    shown, error = nb.cells[0].outputs
    assert shown.output_type == "display_data" and error.output_type == "error"
    assert "Likely mistake:</b> dampening" in shown.data["text/html"]
    assert "dampening" in shown.data["text/plain"]
    assert error.ename == "CheckFailed" and len(error.traceback) == 2
    # what nbgrader's Validate dialog shows of it: which exercise failed, and how much, in
    # lines short enough not to wrap in JupyterLab (it wraps inside words)
    assert "ch04_momentum_step: 1 of 4 checks passed" in error.traceback[0]
    assert error.traceback[1].strip() == "(the feedback is above)"
    shown_width = [len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in error.traceback]
    assert max(shown_width) <= 88, error.traceback
    with pytest.raises(CheckFailed) as info:  # the same feedback as outside a notebook
        exec(nb.cells[0].source, {})
    assert feedback_html(str(info.value)) == shown.data["text/html"]


def test_the_error_line_under_the_feedback_stays_within_88_columns() -> None:
    """JupyterLab wraps a long error line anywhere, inside words too: the summary and the
    pointer to the feedback are two lines, each within 88 columns, without backticks."""
    error = CheckFailed(
        "ch04_momentum_step: not counted: cell [12] never reached `def momentum_step`. The "
        "momentum_step kept from cell [9] passed (all 4 checks passed), but the code in "
        "cell [12] has not been checked yet."
    )
    error.displayed = True
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error._render_traceback_()]
    assert len(lines) == 2 and max(len(line) for line in lines) <= 88, lines
    assert "`" not in lines[0] and "not counted: cell [12] never reached def" in lines[0], lines
