"""A definition the learner renamed by a slip is checked, not the older function it left behind.

A cell that defined the exercise's function, edited by a slip to define another name
(``def cosine_Lr`` for ``def cosine_lr``) and run again, left the older function in the
namespace, and ``check`` passed it: the code on screen was never checked, and a fresh run of
the notebook has no such function. Such a definition is checked, with a note, but not counted.

A right formula whose parameters stand in another order than the checks pass them also got a
registered mistake that only matched because of that order (``dev_set_size(se, p)`` was told
its formula is upside down): the function is run again with its arguments given in its own
order, and the feedback is on that run."""

from __future__ import annotations

import linecache
import math
import types

import pytest

from dlnotes.exercises import core
from tests.test_feedback_labels_syntax_floats import CHECK, RIGHT, run_cells

IMPORTS = "import numpy as np\nfrom dlnotes.exercises import check"
WRONG_BODY = RIGHT.replace("lr * g /", "lr * g * 2 /")
RENAMED = WRONG_BODY.replace("def adagrad_step(", "def adagrad_Step(")


@pytest.mark.slow  # a kernel
def test_a_cell_renamed_by_a_slip_is_not_counted() -> None:
    said = run_cells(IMPORTS, RIGHT, CHECK, RENAMED, CHECK, RIGHT, CHECK)
    assert said[2].startswith("✓"), said[2]
    assert "✓" not in said[4] and "CheckFailed" in said[4], said[4]
    assert (
        "ch05_adagrad_step: not counted: cell [4] now defines `adagrad_Step`, not `adagrad_step`."
    ) in said[4], said[4]
    assert "note: your cell [4] now defines adagrad_Step, not adagrad_step" in said[4]
    assert "Rename it back to adagrad_step" in said[4], said[4]
    # renamed back and run: checked as usual
    assert said[6].startswith("✓") and "note:" not in said[6], said[6]


@pytest.mark.slow
def test_a_helper_or_an_unchanged_cell_run_again_keeps_the_pass() -> None:
    helper = "def clip_grad(g, limit):\n    return np.clip(g, -limit, limit)"
    other = WRONG_BODY.replace("def adagrad_step(", "def adagrad_step2(")
    said = run_cells(IMPORTS, RIGHT, CHECK, helper, CHECK, RIGHT, CHECK, other, CHECK)
    for k in (2, 4, 6, 8):
        assert said[k].startswith("✓") and "note:" not in said[k], (k, said[k])


def _ipython_7(monkeypatch, cells: dict[int, str]) -> dict[int, str]:
    """IPython 7 (Colab): cell N is compiled as ``<ipython-input-N-hash>``, kept in
    linecache; no ``_filename_map``. The file name of each cell."""
    import IPython

    shell = types.SimpleNamespace(compile=types.SimpleNamespace(cache=lambda *a: None))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    for old in [k for k in list(linecache.cache) if k.startswith("<ipython-input-")]:
        monkeypatch.delitem(linecache.cache, old)  # only these cells were run
    names = {}
    for number, code in cells.items():
        name = f"<ipython-input-{number}-{number:012x}>"
        lines = (code + "\n").splitlines(keepends=True)
        monkeypatch.setitem(linecache.cache, name, (len(code), None, lines, name))
        names[number] = name
    return names


def _defined_in(filename: str, code: str, name: str) -> types.FunctionType:
    space: dict = {"np": __import__("numpy")}
    exec(compile(code, filename, "exec"), space)
    return space[name]


def test_ipython_7_a_renamed_cell_is_found(monkeypatch) -> None:
    names = _ipython_7(monkeypatch, {2: RIGHT, 4: RENAMED})
    stale = core._stale_definition(_defined_in(names[2], RIGHT, "adagrad_step"))
    assert stale is not None and (stale.failed, stale.defined) == (4, 2), stale
    assert stale.renamed == "adagrad_Step" and stale.error is None
    said = stale.not_counted("ch05_adagrad_step", "✓ ch05_adagrad_step: all 9 checks passed")
    assert said.startswith("ch05_adagrad_step: not counted: cell [4] now defines"), said


def test_ipython_7_other_names_in_later_cells_are_no_rename(monkeypatch) -> None:
    longer = WRONG_BODY.replace("def adagrad_step(", "def adagrad_step_fast(")
    helper = "def clip_grad(g, limit):\n    return np.clip(g, -limit, limit)"
    names = _ipython_7(monkeypatch, {2: RIGHT, 3: helper, 4: longer, 5: RIGHT + "\n" + helper})
    fn = _defined_in(names[2], RIGHT, "adagrad_step")
    assert core._stale_definition(fn) is None
    # another attempt under another name, its code the same: the older cell may still be
    # on screen, so the older function is checked as usual
    for other in ("adagrad_step2", "adagrad_update"):
        moved = WRONG_BODY.replace("def adagrad_step(", f"def {other}(")
        names = _ipython_7(monkeypatch, {2: RIGHT, 6: moved})
        assert core._stale_definition(_defined_in(names[2], RIGHT, "adagrad_step")) is None
    # the cell run again unchanged (a new number in IPython 7): the newest one is checked
    names = _ipython_7(monkeypatch, {2: RIGHT, 7: RIGHT})
    assert core._stale_definition(_defined_in(names[7], RIGHT, "adagrad_step")) is None


def test_typos_of_a_name() -> None:
    for other in ("cosine_Lr", "COSINE_LR", "cosien_lr", "cosin_lr", "cosinee_lr", "cosine_xr"):
        assert core._typo_of(other, "cosine_lr"), other
    for other in ("cosine_lr2", "cosine_l", "cosine_lr_old", "step_decay", "cosine_lr"):
        assert not core._typo_of(other, "cosine_lr"), other


def _dev_set_feedback(fn) -> tuple[bool, str]:
    ex = core.get("ch01_dev_set_size")
    return core._check_function(ex, fn, "visible", 5.0)


def test_a_right_formula_with_its_parameters_swapped_gets_only_the_order_note() -> None:
    def dev_set_size(se, p):
        return math.ceil(p * (1 - p) / se**2)

    passed, said = _dev_set_feedback(dev_set_size)
    assert not passed, said
    assert "Note: your function takes (se, p), but the checks pass" in said, said
    assert (
        "Your function is right with its parameters in the order (p, se): called that way, "
        "it passes all 8 checks."
    ) in said, said
    assert "upside down" not in said and "Likely mistake" not in said, said


def test_a_wrong_formula_with_its_parameters_swapped_is_told_on_the_reordered_run() -> None:
    def dev_set_size(se, p):
        return math.ceil(p / se**2)  # swapped: below 1, like the formula upside down

    passed, said = _dev_set_feedback(dev_set_size)
    assert not passed, said
    assert "Note: your function takes (se, p), but the checks pass" in said, said
    assert (
        "Called with the arguments in your signature's order, it still fails: 0 of 8 checks passed."
    ) in said, said
    assert "expected 4075, got 40743" in said, said  # the reordered run's result
    assert "upside down" not in said and "Likely mistake" not in said, said
