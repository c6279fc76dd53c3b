"""Which cell made the definition ``check`` is given. A ``%%time`` cell that defines the
learner's function is read like any other cell: a SyntaxError in it, or an error before its
``def``, leaves the older definition in place, and ``check`` says so instead of passing that
older one (a learner's timing cell used to escape). IPython 7 (Colab's) keeps no map from
cells to execution numbers; the numbers are read from its cells' file names."""

from __future__ import annotations

import linecache
import types

import pytest

from dlnotes.exercises import core
from tests.test_feedback_labels_syntax_floats import CHECK, RIGHT, run_cells

BROKEN = RIGHT.replace("return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum", "return (x")
IMPORTS = "import numpy as np\nfrom dlnotes.exercises import check"


@pytest.mark.slow  # a kernel per test
def test_a_syntax_error_in_a_timed_cell_is_the_verdict() -> None:
    said = run_cells(IMPORTS, RIGHT, CHECK, "%%time\n" + BROKEN, CHECK)
    assert said[2].startswith("✓"), said[2]
    assert "SyntaxError" in said[3], said[3]
    assert "✓" not in said[4] and "CheckFailed" in said[4], said[4]
    # the cell's line 4: the %%time line, then the body's line 3
    assert (
        "ch05_adagrad_step: not checked: cell [4] has a SyntaxError at line 4. None of that "
        "cell ran, so it defined no new adagrad_step:"
    ) in said[4], said[4]
    assert "line 4: `return (x`" in said[4], said[4]
    assert "kept the adagrad_step defined before it (cell [2])" in said[4], said[4]


@pytest.mark.slow
def test_an_error_before_the_def_of_a_timed_cell_is_not_counted() -> None:
    said = run_cells(IMPORTS, RIGHT, "%%time\neps0 = np.sqrtt(1e-10)\n\n" + RIGHT, CHECK)
    assert "✓" not in said[3] and "CheckFailed" in said[3], said[3]
    assert "raised AttributeError" in said[3], said[3]
    assert "not counted: cell [3] never reached `def adagrad_step`" in said[3], said[3]


@pytest.mark.slow
def test_a_timed_cell_that_runs_its_def_is_checked_as_usual() -> None:
    said = run_cells(IMPORTS, RIGHT, "%%time\n" + RIGHT + "\nprint('defined')", CHECK)
    assert said[3].startswith("✓") and "note:" not in said[3], said[3]
    # an error after the def ran: the new definition is checked, without a note
    said = run_cells(IMPORTS, "%%time\n" + RIGHT + "\nraise ValueError('after')", CHECK)
    assert said[2].startswith("✓") and "note:" not in said[2], said[2]


def test_ipython_7_cells_are_numbered_by_their_file_names(monkeypatch) -> None:
    """IPython 7.34 (Colab) compiles cell N as ``<ipython-input-N-hash>`` and keeps its code,
    a cell with a SyntaxError too, in linecache; it has no ``_filename_map``."""
    import IPython

    shell = types.SimpleNamespace(compile=types.SimpleNamespace(cache=lambda *a: None))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    right, broken = "<ipython-input-2-4af1965bd55e>", "<ipython-input-4-7f6c9066e82b>"
    for name, code in ((right, RIGHT), (broken, BROKEN)):
        lines = (code + "\n").splitlines(keepends=True)
        monkeypatch.setitem(linecache.cache, name, (len(code), None, lines, name))
    monkeypatch.setitem(linecache.cache, "<ipython-input-x>", (1, None, ["x\n"], "x"))
    numbers = core._cell_numbers()
    assert numbers is not None and {right: 2, broken: 4} == {
        k: v for k, v in numbers.items() if k in (right, broken)
    }
    assert "<ipython-input-x>" not in numbers
    assert core._last_cell_defining("adagrad_step", numbers) == (4, broken)
    error = core._syntax_error(broken)
    assert error is not None and error.lineno == 3, error


def test_outside_ipython_no_cell_is_numbered(monkeypatch) -> None:
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert core._cell_numbers() is None
