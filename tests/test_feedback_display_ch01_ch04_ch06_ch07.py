"""How the checks' feedback reads in JupyterLab at 900 px (chapters 01, 04, 06 and 07).

A pass was printed as text folded at 88 columns, which a narrower notebook wrapped again; it
is now displayed as HTML in a Jupyter kernel, as a failure's feedback is. ch01's 12 x 3
training set filled ten rows of every ``inputs:`` line; a long matrix is now shown by its
first rows. A standardize computed in float32 got no diagnosis (its values, right to float32's
precision, were not right to float64's), and an argument order note under an error came last.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import nbformat
import numpy as np
import pytest

from dlnotes.exercises import check
from dlnotes.exercises.verdict import BORDERS, feedback_html, fold, report

PASS = (
    "✓ ch04_momentum_challenge: (α, ρ) = (3.3, 0.67) reaches f < 1e-06 within 100 steps and "
    "stays below: from step 52 on (checked up to step 200)"
)


class _Kernel:
    kernel = object()


def verdict(name: str, answer: Any) -> str:
    """The text of check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return str(info.value)


# --- a pass in a notebook ---------------------------------------------------------------------


def test_a_pass_in_a_kernel_is_html_with_the_folded_text_beside_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[dict[str, str]] = []
    monkeypatch.setattr("IPython.get_ipython", lambda: _Kernel())
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    report(True, PASS, note="REVIEW: looked at by the instructor")
    assert capsys.readouterr() == ("", "")  # nothing printed twice
    assert [b["text/plain"] for b in shown] == [fold(PASS), "REVIEW: looked at by the instructor"]
    passed, note = (b["text/html"] for b in shown)
    assert passed == feedback_html(PASS, "pass")
    assert BORDERS["pass"] in passed and BORDERS["error"] not in passed
    assert BORDERS["note"] in note and BORDERS["error"] not in note
    # one row, wrapped by the browser between words: "f < 1e-06" is never cut
    assert passed.count("<div") == 2 and "f\u00a0&lt;\u00a01e-06" in passed


def test_check_displays_its_pass_in_a_kernel(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    shown: list[dict[str, str]] = []
    monkeypatch.setattr("IPython.get_ipython", lambda: _Kernel())
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    check("ch04_momentum_challenge", (3.3, 0.67))
    assert capsys.readouterr().out == ""
    (bundle,) = shown
    assert bundle["text/plain"].startswith("✓ ch04_momentum_challenge: (α, ρ) = (3.3, 0.67)")
    assert "dlnotes-feedback" in bundle["text/html"] and BORDERS["pass"] in bundle["text/html"]


def test_a_pass_is_printed_in_a_terminal_and_in_colab(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    monkeypatch.setattr("IPython.get_ipython", lambda: object())  # terminal IPython
    report(True, PASS, note="a note")
    assert capsys.readouterr() == (fold(PASS) + "\n", "a note\n")
    monkeypatch.setattr("IPython.get_ipython", lambda: _Kernel())
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    report(True, PASS)
    assert capsys.readouterr().out == fold(PASS) + "\n" and shown == []


@pytest.mark.slow  # a kernel
def test_a_pass_in_a_real_kernel_is_html_and_text() -> None:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'from dlnotes.exercises import check\ncheck("ch04_momentum_challenge", (3.3, 0.67))'
        )
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (shown,) = nb.cells[0].outputs
    assert shown.output_type == "display_data"
    assert shown.data["text/plain"].startswith("✓ ch04_momentum_challenge:")
    assert BORDERS["pass"] in shown.data["text/html"]


# --- the inputs line --------------------------------------------------------------------------


def _slow_standardize(X_train, X_other):  # ddof=1: wrong values, every check
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    sd = np.where(sd < 1e-8, 1.0, sd)
    return (X_train - mu) / sd, (X_other - mu) / sd


def test_a_long_matrix_input_is_shown_by_its_first_rows() -> None:
    (line,) = [ln for ln in verdict("ch01_standardize", _slow_standardize).splitlines()
               if ln.startswith("  inputs: ")]  # fmt: skip
    train, other = line.split("; ")
    # the 12 x 3 training set: its first 2 rows, its dtype and shape
    assert re.fullmatch(
        r"  inputs: X_train = \[\[[^\[\]]+\], \[[^\[\]]+\], \.\.\.\] "
        r"\(float64, shape \(12, 3\), its first 2 rows shown\)",
        train,
    ), train
    # the 5 other rows, short enough, whole
    assert other.count("[") == 6 and other.endswith("(float64, shape (5, 3))"), other
    assert len(fold(line).splitlines()) <= 5, fold(line)


def test_short_inputs_stay_whole() -> None:
    def newton_step(g, H, x):  # a sign slip
        return x + np.linalg.solve(H, g)

    line = verdict("ch06_newton_step", newton_step).split("inputs: ")[1].splitlines()[0]
    assert "shown" not in line and "..." not in line, line
    assert re.search(r"H = \[\[[^\]]+\], \[[^\]]+\]\] \(float64, shape \(2, 2\)\)", line), line


# --- float32 ----------------------------------------------------------------------------------


def _standardize_32(X_train, X_other):  # as the learner wrote it
    X_train = X_train.astype(np.float32)
    X_other = X_other.astype(np.float32)
    mu = X_train.mean(axis=0)
    s = X_train.std(axis=0)
    s = np.where(s < 1e-8, 1, s)
    return (X_train - mu) / s, (X_other - mu) / s


def _standardize_32_at_the_end(X_train, X_other):
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    sd = np.where(sd < 1e-8, 1.0, sd)
    return ((X_train - mu) / sd).astype(np.float32), ((X_other - mu) / sd).astype(np.float32)


def test_a_standardize_computed_in_float32_is_told_so() -> None:
    said = " ".join(verdict("ch01_standardize", _standardize_32).split())
    assert (
        "Likely mistake: right formula, computed in float32 — your X_train_std (result 0) "
        "is float32 where float64 is expected"
    ) in said, said
    assert "compute in float64 throughout" in said, said
    assert "at the end cannot restore the digits" in said, said  # no .astype at the end


def test_right_values_only_converted_are_right_values_in_the_wrong_dtype() -> None:
    said = " ".join(verdict("ch01_standardize", _standardize_32_at_the_end).split())
    assert (
        "Likely mistake: right values, wrong dtype — your X_train_std (result 0) has the right "
        "values in dtype float32; expected float64"
    ) in said, said


def test_a_float32_momentum_step_keeps_its_diagnosis() -> None:
    def momentum_step(x, v, g, lr, rho):
        v_new = (rho * v + g).astype(np.float32)
        return (x - lr * v_new).astype(np.float32), v_new

    said = " ".join(verdict("ch04_momentum_step", momentum_step).split())
    assert "Likely mistake: right values, wrong dtype" in said, said


# --- argument order under an error ------------------------------------------------------------


def test_the_order_note_comes_first_when_the_function_raised() -> None:
    def newton_step(x, g, H):
        return x - np.linalg.solve(H, g)

    lines = verdict("ch06_newton_step", newton_step).splitlines()
    assert "your function raised LinAlgError" in lines[0], lines
    assert lines[1].startswith("  Note: your function takes (x, g, H), but the checks pass"), lines
