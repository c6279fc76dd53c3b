"""The checker's feedback features against a hostile learner's answers.

1. a stub beside a helper of the notebook's own with a near name and other parameters
   (ch05's adam_first_step(g, eps, form) beside adam_step) is not told "You defined ...";
2. a function a ``%%time`` cell defined, kept by a later run of that cell that stopped at a
   SyntaxError or raised before its ``def``, is not checked as if it were that cell's;
3. inf or nan: no generic guess beside a registered mistake that names the cause, and an
   overflow among the causes (never "a division by zero" from the values' size alone);
4. what the learner's function printed is shown when the learner stops a check;
5. printed lines: every line of the first ones kept, "N more" counted from those shown,
   lines split at "\\n" only ("\\r" overwrites, as in a terminal), a text stream's attributes,
   stdout and stderr in their order;
6. a helper is blamed only when it is another exercise of the chapter, with its signature,
   and the checks' calls used it; a time-out inside it is not waited for twice;
8. several other words for the labels, each used where another label is expected: said;
12. a number written with a decimal comma ("1,8") is told 1.8.
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlnotes.exercises import check, core
from dlnotes.exercises.core import PRINTED_LINES, PRINTED_WIDTH, _Kept, _printed
from tests.test_feedback_core_hints import ADAM_RIGHT, feedback, notebook
from tests.test_feedback_labels_syntax_floats import diagnose_returning

ROOT = Path(__file__).resolve().parents[1]


# -- 1. a notebook's own helper is not the stub's renamed answer ------------------------------

ADAM_STUB = """
def adam_first_step(g, eps, form):  # learner/05_adaptive.ipynb's own helper
    return 0.0

def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
    # YOUR CODE HERE
    raise NotImplementedError()
"""


def test_a_helper_with_other_parameters_is_not_taken_for_the_renamed_answer():
    message = feedback("ch05_adam_step", notebook(ADAM_STUB, "adam_step"))
    assert "You defined" not in message, message
    assert "adam_step is not written yet" in message and "Done that?" in message, message


def test_a_near_name_with_the_stubs_parameter_count_is_still_suggested():
    source = ADAM_STUB + (
        "\ndef adam_stp(x, m, v, grad, t, lr, b1, b2, eps):\n    return x, m, v\n"
    )
    message = feedback("ch05_adam_step", notebook(source, "adam_step"))
    assert "You defined adam_stp: is that it?" in message, message


def _stubs_and_namespace(path: Path) -> tuple[dict, list[str]]:
    """The notebook's top-level functions defined (bodies not run) in one namespace, and the
    names of those that are stubs."""
    space: dict = {"__name__": "__main__", "np": np}
    stubs = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(
            ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))
        )
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                node.decorator_list = []
                node.returns = None
                for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
                    a.annotation = None
                node.args.defaults = [ast.Constant(None) for _ in node.args.defaults]
                node.args.kw_defaults = [
                    None if d is None else ast.Constant(None) for d in node.args.kw_defaults
                ]
                module = ast.fix_missing_locations(ast.Module([node], []))
                exec(compile(module, "<cell>", "exec"), space)
                if "NotImplementedError" in ast.unparse(node):
                    stubs.append(node.name)
    return space, stubs


def test_no_stub_of_a_learner_notebook_is_told_a_function_of_the_notebooks_own():
    """Every stub of every learner edition, checked untouched: no near-named function the
    notebook defines itself is suggested as the renamed answer."""
    told = []
    for path in sorted((ROOT / "learner").glob("*.ipynb")):
        space, stubs = _stubs_and_namespace(path)
        for name in stubs:
            found = core._renamed_definition(space[name], name)
            if found is not None:
                told.append(f"{path.name}: {name} -> {found}")
    assert not told, told


# -- 2. %%time cells ---------------------------------------------------------------------------

SHELL = r"""
import json
from IPython.core.interactiveshell import InteractiveShell
from dlnotes.exercises import core
from dlnotes.exercises.verdict import CheckFailed

RIGHT = (
    "def step_decay(step, lr0, step_size, gamma):\n"
    "    return lr0 * gamma ** (step // step_size)\n"
)
BROKEN = RIGHT.replace("step_size)\n", "step_size\n")
said = {}


def session(name, *cells):
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    core._FAILED_CELLS.clear()
    core._watch_cells()
    for source in cells:
        shell.run_cell(source, store_history=True, silent=False)
    try:
        core.check("ch06_step_decay", shell.user_ns["step_decay"])
        said[name] = "PASSED"
    except CheckFailed as err:
        said[name] = str(err)


session("syntax", "%%time\n" + RIGHT, "%%time\n" + BROKEN)
session("raised", "%%time\n" + RIGHT, "%%time\nx = undefined_name\n" + RIGHT)
session("after", "%%time\n" + RIGHT + "raise ValueError('after')\n")
session("plain then timed", RIGHT, "%%time\n" + BROKEN)
session(
    "unknown",
    "exec(compile(" + repr(RIGHT) + ", '<timed exec>', 'exec'))",
    "%%time\n" + BROKEN,
)
print("RESULT" + json.dumps(said))
"""


@pytest.fixture(scope="module")
def timed() -> dict[str, str]:
    """What check says in an IPython shell (a process of its own) after each sequence."""
    done = subprocess.run(
        [sys.executable, "-c", SHELL],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line is not None, done.stdout + done.stderr
    return json.loads(line.removeprefix("RESULT"))


def test_a_timed_cell_rerun_with_a_syntax_error_is_the_verdict(timed):
    said = timed["syntax"]
    assert "not checked: cell [2] has a SyntaxError at line 3" in said, said
    assert "kept the step_decay defined before it (cell [1])" in said, said


def test_a_timed_cell_rerun_that_raised_before_its_def_is_not_counted(timed):
    said = timed["raised"]
    assert "raised NameError" in said, said
    assert "not counted: cell [2] never reached `def step_decay`" in said, said
    assert "kept from cell [1] passed" in said, said


def test_a_timed_cell_that_raised_after_its_def_is_checked_as_usual(timed):
    assert timed["after"] == "PASSED", timed["after"]


def test_a_plain_definition_then_a_broken_timed_cell_is_still_the_verdict(timed):
    said = timed["plain then timed"]
    assert "not checked: cell [2] has a SyntaxError" in said, said
    assert "defined before it (cell [1])" in said, said


def test_a_timed_definition_of_no_known_cell_is_older_than_a_broken_cell(timed):
    said = timed["unknown"]
    assert "not checked: cell [2] has a SyntaxError" in said, said
    assert "kept the step_decay defined before it: checking" in said, said
    assert "(cell [1])" not in said, said


# -- 3. inf or nan ----------------------------------------------------------------------------


def test_no_guess_about_nan_beside_a_registered_mistake_that_names_the_overflow():
    def logsumexp_backward(x, g):
        e = np.exp(x)  # no max subtracted
        return g[:, None] * e / e.sum(axis=1, keepdims=True)

    message = feedback("ch15_logsumexp_backward", logsumexp_backward)
    assert "Likely mistake: overflow in exp" in message, message
    assert "a division by zero" not in message, message
    assert "your result holds inf or nan" not in message, message


def test_a_result_all_nan_is_not_concluded_a_division_by_zero():
    note = core._non_finite_note(np.array([0.5, -0.2, 0.1]), np.full(3, np.nan))
    assert note.startswith("your result is all inf or nan: "), note
    assert "an overflow (exp of a large number, or values that grew without bound)" in note
    assert "0/0" not in note, note


def test_one_overflowing_coordinate_among_ordinary_values_names_an_overflow():
    note = core._non_finite_note(np.array([0.5, -0.2, 0.1]), np.array([np.inf, -0.2, 0.1]))
    assert note == (
        "your result holds inf or nan among values of ordinary size: a division by zero, an "
        "overflow (exp of a large number, or values that grew without bound), or the log or "
        "square root of a number ≤ 0?"
    ), note
    huge = core._non_finite_note(np.ones(3), np.array([np.inf, 1e12, 1.0]))
    assert "the values blew up (its finite ones reach 1e+12)" in huge, huge


# -- 4. a check the learner stops ------------------------------------------------------------


def test_what_was_printed_is_shown_when_the_learner_stops_the_check(capsys):
    def ewa(series, beta, bias_correction):
        print("debug: starting ewa", len(series))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check("ch03_ewa", ewa)
    assert capsys.readouterr().out.splitlines() == ["debug: starting ewa 25"]


# -- 5. the printed lines --------------------------------------------------------------------


def kept(*writes: str) -> list[str]:
    stream = _Kept()
    for text in writes:
        stream.write(text)
    return stream.shown()


def test_long_lines_are_all_kept_and_cut():
    shown = kept(*(f"line {i} " + "x" * 290 + "\n" for i in range(12)))
    assert len(shown) == 12, shown
    assert all(s.startswith(f"line {i} ") for i, s in enumerate(shown)), shown
    assert all(len(s) == PRINTED_WIDTH and s.endswith("…") for s in shown), shown


def test_the_count_of_more_lines_is_of_those_not_shown():
    shown = kept(*(f"line {i} " + "x" * 290 + "\n" for i in range(30)))
    assert len(shown) == PRINTED_LINES + 1, shown
    assert shown[PRINTED_LINES - 1].startswith(f"line {PRINTED_LINES - 1} "), shown
    hidden = 30 - PRINTED_LINES
    assert shown[-1] == f"… {hidden} more lines printed by your function during the checks"


def test_a_carriage_return_overwrites_the_line_as_in_a_terminal():
    bars = [f"\r{p:3d}%|{'#' * (p // 20):5s}|" for p in (0, 50, 100)]
    assert kept(*bars, "\n") == ["100%|#####|"]
    assert kept("abcdef\rXY\n") == ["XYcdef"]
    assert kept("a\r\n") == ["a"]


def test_lines_end_at_newlines_only():
    assert kept("a\x0cb\n", "c\u2028d\n") == ["a\x0cb", "c\u2028d"]
    assert kept("one", " line", "\n", "open") == ["one line", "open"]


def test_the_kept_stream_is_a_text_stream():
    stream = _Kept()
    assert stream.encoding == "utf-8" and stream.errors == "strict"
    assert stream.isatty() is False and stream.writable()
    with pytest.raises(TypeError, match="must be str, not bytes"):
        stream.write(b"bytes")
    assert stream.shown() == []


def test_stdout_and_stderr_are_shown_in_their_order(monkeypatch):
    both = io.StringIO()
    monkeypatch.setattr(sys, "stdout", both)
    monkeypatch.setattr(sys, "stderr", both)
    with _printed():
        print("out 1")
        print("err 1", file=sys.stderr)
        print("out 2")
    assert both.getvalue() == "out 1\nerr 1\nout 2\n"


# -- 6. a helper that fails its own check ----------------------------------------------------


def test_a_helper_of_another_chapter_is_not_blamed():
    """A ch14 learner's own ewa(values, decay), and one with ch03's very signature: neither
    is the ch03 answer this chapter's exercise uses."""
    for params in ("values, decay", "series, beta, bias_correction"):
        source = f"""
def ewa({params}):
    return 0.0

def ema_update(avg_params, params, decay):
    return [ewa([a, p], decay) * 0 + decay * a + (1 - decay) * p * 1.001
            for a, p in zip(avg_params, params)]
"""
        message = feedback("ch14_ema_update", notebook(source, "ema_update"))
        assert "fails its own check" not in message, message


def test_a_helper_named_in_a_branch_never_taken_is_not_blamed():
    source = """
def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
    return x, m, v

def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    if weight_decay is None:
        return adam_step(x, m, v, g, t, lr, beta1, beta2, eps)
    return x * 2, m, v
"""
    message = feedback("ch05_adamw_step", notebook(source, "adamw_step"))
    assert "fails its own check" not in message, message


def test_a_helper_used_and_failing_is_named_with_its_checks_run_again():
    source = (
        ADAM_RIGHT.replace("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)")
        + """
def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return adam_step(x, m, v, g, t, lr, beta1, beta2, eps)
"""
    )
    message = feedback("ch05_adamw_step", notebook(source, "adamw_step"))
    assert (
        "note: your adamw_step uses your adam_step, which fails its own check "
        "(ch05_adam_step; its checks just ran your adam_step again): fix that one first."
    ) in message, message


def test_a_time_out_inside_the_helper_is_not_waited_for_again():
    source = """
def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
    entered.append(1)
    while True:
        pass

def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    return adam_step(x * (1 - lr * weight_decay), m, v, g, t, lr, beta1, beta2, eps)
"""
    entered: list[int] = []
    adamw_step = notebook(source, "adamw_step", entered=entered)
    message = feedback("ch05_adamw_step", adamw_step, time_limit=0.3)
    assert "did not return within 0.3 s" in message and "stopped in adam_step" in message
    assert "fails its own check" not in message, message
    assert len(entered) == 1, entered  # not run again by its own checks


# -- 8. other words for the labels, each where another label is expected ---------------------


def test_swapped_other_words_are_told_what_the_checks_expect_where_each_was_returned():
    # high train error taken for overfitting, a large dev gap for underfitting
    message = feedback("ch01_diagnose", diagnose_returning("underfitting", "overfitting"))
    assert "did you mean 'high bias' for 'underfitting'" in message, message
    assert (
        "But where you returned 'underfitting', the check expects 'high variance'; where you "
        "returned 'overfitting', the check expects 'high bias': look at the logic that picks "
        "each label too"
    ) in message, message


def test_other_words_used_for_their_own_labels_get_no_such_note():
    message = feedback("ch01_diagnose", diagnose_returning("overfitting", "underfitting"))
    assert "'high bias' for 'underfitting' (yours is another word for it)" in message, message
    assert "where you returned" not in message, message


# -- 12. a decimal comma -----------------------------------------------------------------------


def test_a_decimal_comma_is_told_the_number_with_a_point():
    message = feedback("ch02_lr_challenge", "1,8")
    assert "write lr_challenge = 1.8 (without quotes, and with a point" in message, message
    assert "write a number after" not in message, message
    assert "write lr_challenge = 0.05 (without" in feedback("ch02_lr_challenge", " 0,05 ")


@pytest.mark.parametrize("text", ["0,1, 0,9", "1,000.5", "1,500", "inf", "abc"])
def test_other_strings_are_not_read_as_a_decimal_comma(text):
    message = feedback("ch02_lr_challenge", text)
    assert "write a number after lr_challenge =, without quotes" in message, message


# -- a misspelt exercise name: the same chapter's exercises are suggested first -----------------


def test_a_misspelt_name_is_offered_its_own_chapters_exercises() -> None:
    from dlnotes.exercises import get
    from dlnotes.exercises.verdict import CheckUsageError

    with pytest.raises(CheckUsageError) as info:
        get("ch05_adagrad")
    said = str(info.value)
    assert "did you mean 'ch05_adagrad_step'" in said, said
    assert "ch01_" not in said, said  # chapter 01's standardize was offered too
    with pytest.raises(CheckUsageError, match="did you mean 'ch02_gradient_descent'"):
        get("gradient_descent")  # no chapter given: every exercise is a candidate
