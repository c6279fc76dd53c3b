"""A cell edited to define another function is told by its cell id (session 53).

JupyterLab and Notebook 7 send the id of each cell they run. A learner who renames the
exercise's function in its cell (``def adagrad_step`` became ``def adagrad_update``, no slip
of a letter) and runs that cell again leaves the older ``adagrad_step`` in the namespace:
``check`` used to pass it, though the code on screen is never checked and a fresh run (the
graded one) has no ``adagrad_step``. With the cell's id the rerun is known for what it is,
whatever the new name; without ids (Colab, nbclient) only a slip of a letter is caught, and a
new cell that defines another function is a new attempt, not an edit.

The cells run in a real kernel, sent as JupyterLab sends them (``metadata.cellId``).
"""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel

from tests.test_feedback_labels_syntax_floats import CHECK, RIGHT

pytestmark = pytest.mark.slow  # a kernel

IMPORTS = "import numpy as np\nfrom dlnotes.exercises import check"
RENAMED = RIGHT.replace("def adagrad_step(", "def adagrad_update(")


def run_cells(*cells: tuple[str, str]) -> list[str]:
    """Run ``(cell id, code)`` pairs in a fresh kernel as JupyterLab does (the id in the
    request's metadata); the text each shows, whitespace collapsed."""
    km, kc = start_new_kernel(kernel_name="python3")
    shown: list[str] = []
    try:
        for cell_id, code in cells:
            content = {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": False,
            }
            msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
            kc.shell_channel.send(msg)
            texts: list[str] = []
            while True:
                reply = kc.get_iopub_msg(timeout=60)
                if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                    continue
                kind, body = reply["msg_type"], reply["content"]
                if kind == "status" and body["execution_state"] == "idle":
                    break
                if kind == "stream":
                    texts.append(body["text"])
                elif kind in ("display_data", "execute_result"):
                    texts.append(body["data"].get("text/plain", ""))
                elif kind == "error":
                    texts.append(f"{body['ename']}: {body['evalue']}")
            shown.append(" ".join(" ".join(texts).split()))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return shown


def test_a_cell_renamed_to_any_name_is_not_counted() -> None:
    said = run_cells(
        ("imports", IMPORTS),  # [1]
        ("answer", RIGHT),  # [2]
        ("check", CHECK),  # [3]
        ("answer", RENAMED),  # [4]: the same cell, its function renamed
        ("check", CHECK),  # [5]
        ("answer", RIGHT),  # [6]: renamed back
        ("check", CHECK),  # [7]
    )
    assert said[2].startswith("✓"), said[2]
    assert "✓" not in said[4] and "CheckFailed" in said[4], said[4]
    assert (
        "ch05_adagrad_step: not counted: cell [4] now defines `adagrad_update`, not "
        "`adagrad_step`. The adagrad_step kept from cell [2] passed"
    ) in said[4], said[4]
    assert "note: your cell [4] now defines adagrad_update, not adagrad_step" in said[4]
    assert "Rename it back to adagrad_step" in said[4], said[4]
    assert said[6].startswith("✓") and "note:" not in said[6], said[6]


def test_a_cell_emptied_of_its_function_is_not_counted() -> None:
    said = run_cells(
        ("imports", IMPORTS),
        ("answer", RIGHT),
        ("answer", "print('moved elsewhere')"),  # [3]: the same cell, its def gone
        ("check", CHECK),  # [4]
    )
    assert "✓" not in said[3] and "CheckFailed" in said[3], said[3]
    assert "not counted: cell [3] no longer defines `adagrad_step`" in said[3], said[3]
    assert "note: your cell [3] no longer defines adagrad_step" in said[3], said[3]
    assert (
        "this checks the older adagrad_step (cell [2]), which no cell you have run since makes. "
        "If you moved it to another cell, run that cell; otherwise define adagrad_step in cell "
        "[3] again and run it."
    ) in said[3], said[3]


def test_a_renamed_cell_that_stopped_at_a_syntax_error_is_told_so() -> None:
    broken = RENAMED.replace("return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum", "return (x")
    said = run_cells(("imports", IMPORTS), ("answer", RIGHT), ("answer", broken), ("c", CHECK))
    assert "SyntaxError" in said[2], said[2]
    assert "not checked: cell [3] has a SyntaxError at line 3" in said[3], said[3]
    assert "✓" not in said[3], said[3]


def test_a_new_cell_or_a_helper_keeps_the_pass() -> None:
    helper = "def clip_grad(g, limit):\n    return np.clip(g, -limit, limit)"
    typo = RIGHT.replace("def adagrad_step(", "def adagrad_Step(")
    said = run_cells(
        ("imports", IMPORTS),
        ("answer", RIGHT),
        ("helper", helper),  # a helper in a new cell
        ("check", CHECK),  # [4]
        ("attempt", typo),  # a new cell, a name one letter off: a new attempt, not an edit
        ("check", CHECK),  # [6]
        ("answer", RIGHT),  # the answer's cell run again unchanged
        ("check", CHECK),  # [8]
    )
    for k in (3, 5, 7):
        assert said[k].startswith("✓") and "note:" not in said[k], (k, said[k])


def _inside_band() -> float:
    from dlnotes.exercises.ch02 import LR_CHALLENGE
    from dlnotes.landscapes import lr_challenge_band

    lo, hi = lr_challenge_band(LR_CHALLENGE)
    return (lo + hi) / 2


def test_a_challenge_cell_that_no_longer_assigns_its_answer_is_not_counted() -> None:
    check = 'check("ch02_lr_challenge", lr_challenge)'
    said = run_cells(
        ("imports", IMPORTS),
        ("answer", f"lr_challenge = {_inside_band()}"),
        ("check", check),  # [3]
        ("answer", "my_lr = 0.5"),  # [4]: the same cell, the answer renamed
        ("check", check),  # [5]
        ("other", "lr = 0.3"),  # a new cell that assigns another name: not an edit
    )
    assert said[2].startswith("✓"), said[2]
    assert "✓" not in said[4] and "CheckFailed" in said[4], said[4]
    assert (
        "ch02_lr_challenge: not counted: cell [4] no longer assigns `lr_challenge`. The value "
        "of lr_challenge kept from cell [2] passed"
    ) in said[4], said[4]
    assert "note: your cell [4] no longer assigns lr_challenge" in said[4], said[4]
    assert "checks the value it kept (from cell [2]), which no cell you have run" in said[4]
    assert "otherwise assign lr_challenge in cell [4] again and run it." in said[4], said[4]


# -- a hostile review of the above (session 53): what a fresh run would make decides ---------

STUB = (
    "def adagrad_step(x, grad_sum, g, lr, eps):\n"
    "    # YOUR CODE HERE\n"
    "    raise NotImplementedError()"
)
VCHECK = 'check("ch02_lr_challenge", lr_challenge)'


def _passes(text: str) -> bool:
    return text.startswith("✓") and "note:" not in text


def _not_counted(text: str) -> bool:
    return "✓" not in text and "CheckFailed" in text and "not counted" in text


def test_a_duplicated_cell_turned_into_an_experiment_keeps_the_pass() -> None:
    experiment = RIGHT.replace("def adagrad_step(", "def adagrad_step_v2(")
    said = run_cells(
        ("imports", IMPORTS),
        ("answer", RIGHT),
        ("check", CHECK),
        ("copy", RIGHT),  # the answer's cell duplicated and run unchanged
        ("copy", experiment),  # the copy turned into an experiment
        ("check", CHECK),  # [6]: the answer's cell still defines it
    )
    assert _passes(said[5]), said[5]


def test_an_answer_below_its_stub_then_renamed_is_not_counted() -> None:
    said = run_cells(
        ("imports", IMPORTS),
        ("stub", STUB),  # the learner edition's stub, left as it is
        ("new", RIGHT),  # the answer written in a new cell under it
        ("check", CHECK),
        ("new", RENAMED),  # [5]: that cell renamed: a fresh run has only the stub
        ("check", CHECK),
    )
    assert _passes(said[3]), said[3]
    assert _not_counted(said[5]) and "cell [5] now defines `adagrad_update`" in said[5]


def test_a_check_in_the_cell_of_its_answer_follows_that_cell() -> None:
    typo = RIGHT.replace("def adagrad_step(", "def adagrad_Step(")
    said = run_cells(
        ("imports", IMPORTS),
        ("cell", RIGHT + "\n" + CHECK),
        ("cell", typo + "\n" + CHECK),  # [3]: renamed by a slip in the same cell
        ("cell", "print('moved out')\n" + CHECK),  # [4]: the def gone from it
    )
    assert _passes(said[1]), said[1]
    assert _not_counted(said[2]) and "cell [3] now defines `adagrad_Step`" in said[2], said[2]
    assert _not_counted(said[3]) and "cell [4] no longer defines `adagrad_step`" in said[3]


def test_a_helper_left_in_the_answer_cell_is_not_told_to_be_renamed() -> None:
    helper = "def clip_grad(g, limit):\n    return np.clip(g, -limit, limit)"
    said = run_cells(("imports", IMPORTS), ("answer", RIGHT), ("answer", helper), ("c", CHECK))
    assert _not_counted(said[3]) and "no longer defines adagrad_step" in said[3], said[3]
    assert "Rename" not in said[3] and "clip_grad" not in said[3], said[3]
    assert "but no cell you have run since makes adagrad_step." in said[3], said[3]


def test_challenge_answers_moved_or_renamed_or_bound_by_a_loop() -> None:
    x = _inside_band()
    below = run_cells(
        ("imports", IMPORTS),
        ("stub", "lr_challenge = None  # replace None with your learning rate"),
        ("new", f"lr_challenge = {x}"),
        ("check", VCHECK),  # [4]
        ("new", f"my_lr = {x}"),  # renamed: a fresh run has the stub's None
        ("check", VCHECK),  # [6]
    )
    assert _passes(below[3]) and _not_counted(below[5]), below[5]
    moved = run_cells(
        ("imports", IMPORTS),
        ("answer", f"lr_challenge = {x}"),
        ("check", f"lr_challenge = {x}\n" + VCHECK),  # [3]: moved into the check cell
        ("answer", "print('moved to the check cell')"),
        ("check", VCHECK),  # [5]: and out of it again: no cell assigns it now
    )
    assert _passes(moved[2]) and _not_counted(moved[4]), moved[4]
    loop = run_cells(
        ("imports", IMPORTS),
        ("answer", f"lr_challenge = {x}"),
        ("answer", f"for lr_challenge in [0.5, {x}]:\n    pass"),  # still binds it
        ("check", VCHECK),
    )
    assert _passes(loop[3]), loop[3]


# -- a second hostile review (session 53): the cell that makes it, not the first statement ----


def test_a_value_reworked_in_another_cell_follows_the_cell_that_made_it() -> None:
    x = _inside_band()
    cells = [
        ("imports", IMPORTS),
        ("answer", f"lr_challenge = {x}"),
        ("round", "lr_challenge = round(lr_challenge, 3)"),  # reworks it: needs the answer
        ("check", VCHECK),  # [4]
    ]
    said = run_cells(*cells, ("answer", f"my_lr = {x}"), ("check", VCHECK))
    assert _passes(said[3]), said[3]  # [6]: a fresh run's rounding cell has nothing to round
    assert _not_counted(said[5]) and "cell [5] no longer assigns `lr_challenge`" in said[5]
    said = run_cells(*cells, ("round", "print(lr_challenge)"), ("check", VCHECK))
    assert _not_counted(said[5]), said[5]  # [6]: the rework withdrawn, the answer unrounded
    assert (
        "Cell [2] also assigns lr_challenge, and a fresh run of the notebook would use that one: "
        "run cell [2], then this check."
    ) in said[5], said[5]
    said = run_cells(*cells, ("answer", f"lr_challenge = {x}"), ("check", VCHECK))
    assert _passes(said[5]), said[5]  # [6]: the answer run again after its rework


def test_every_binding_in_the_cell_counts_not_only_the_first() -> None:
    x = _inside_band()
    stub = "lr_challenge = None  # replace None by your learning rate"
    said = run_cells(
        ("imports", IMPORTS),
        ("stub", stub),
        ("copy", f"{stub}\nlr_challenge = {x}"),  # the stub's cell duplicated, answered below
        ("check", VCHECK),  # [4]
        ("copy", f"my_lr = {x}"),  # [5]: a fresh run has the stub's None
        ("check", VCHECK),  # [6]
    )
    assert _passes(said[3]) and _not_counted(said[5]), said[5]
    wrong = RIGHT.replace("lr * g /", "lr * g * 2 /")
    older = run_cells(
        ("imports", IMPORTS),
        ("first try", wrong),
        ("answer", wrong + "\n\n\n" + RIGHT),  # an older attempt kept above the answer
        ("check", CHECK),  # [4]
        ("answer", "print('moved')"),  # [5]: a fresh run has only the first try
        ("check", CHECK),  # [6]
    )
    assert _passes(older[3]) and _not_counted(older[5]), older[5]
    assert "Cell [2] also defines adagrad_step" in older[5], older[5]
