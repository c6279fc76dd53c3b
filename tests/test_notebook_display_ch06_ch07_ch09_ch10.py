"""Chapters 06, 07, 09 and 10 as a learner sees them in JupyterLab: explorer layout, readouts,
display math and the learner editions' hidden-test cells.

* The explorers' panel titles change with every frame and are drawn over a cached background:
  the layout must leave room for them (chapter 10 cut both titles in half), and chapter 10's
  legend must never cover the "this mask" marker.
* A slider's readout stays short for values with no short decimal (5/3 read
  ``1.6666666666666666``), and the reset button is never squeezed by the status line.
* Display math fits a notebook cell and quotes inside ``\\text{}`` are not straight quotes
  (MathJax turns an opening ``"`` into a closing quote).
* The learner editions: every hidden-test cell says what it is, and no visible cell binds a
  chapter's exercise module (the reference solutions) for the answer cells below it.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import nbformat
import pytest

from dlnotes.explorers import ch07, ch10
from dlnotes.widgets import Control, render_png
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
learner_edition = load_script(Path("tools/learner_edition.py"))
COMMENT = learner_edition.HIDDEN_TESTS_COMMENT


# ----------------------------------------------------------------------------- explorer titles
def _assert_titles_fit(fig, axes) -> None:
    """Every axes title lies inside the figure, above its axes, and no two titles overlap."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    boxes = []
    for ax in axes:
        box = ax.title.get_window_extent(renderer)
        assert ax.title.get_text(), ax
        assert 0 <= box.x0 and box.x1 <= width, (ax.title.get_text(), box, width)
        assert 0 <= box.y0 and box.y1 <= height, (ax.title.get_text(), box, height)
        assert box.y0 >= ax.get_window_extent(renderer).y1 - 1, ax.title.get_text()
        boxes.append(box)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)


def test_ch10_titles_fit_and_the_legend_never_hides_the_marker() -> None:
    ex = ch10.dropout_masks()
    fig, st = ex.setup()
    try:
        renderer = fig.canvas.get_renderer()
        p_values = ex.controls[0].values
        settings = itertools.product(p_values, list(ch10.GROUPS), [0, 1, 5])
        for p, group, sample in settings:
            ex.redraw(st, p=p, group=group, sample=sample)
            render_png(fig)  # draws the titles and the marker as the live face does
            _assert_titles_fit(fig, [st["ax"], st["ax2"]])
            legend = st["ax2"].get_legend().get_window_extent(renderer)
            marker = st["shown"].get_window_extent(renderer)
            assert not legend.overlaps(marker), (p, group, sample)
            # the legend is outside the axes, where the marker never goes
            assert legend.y1 < st["ax2"].get_window_extent(renderer).y0
        width = fig.canvas.get_width_height()[0]
        assert 0 <= legend.x0 and legend.x1 <= width and 0 <= legend.y0, legend
    finally:
        plt.close(fig)


def test_ch10_the_reported_frames() -> None:
    """The reviewer's frames: the default (titles cut) and 7×7 blocks, p = 0.8, mask 1 (the
    marker at the far left, where the legend was)."""
    ex = ch10.dropout_masks()
    fig, st = ex.setup()
    try:
        for values in ({**ex.defaults}, {"p": 0.8, "group": "7×7 blocks", "sample": 1}):
            frame = ex.compute(**values)
            ex.redraw(st, **values)
            render_png(fig)
            _assert_titles_fit(fig, [st["ax"], st["ax2"]])
            assert st["ax"].title.get_text() == frame["title"]
            assert st["ax2"].title.get_text() == frame["title2"]
    finally:
        plt.close(fig)


def test_ch07_titles_fit() -> None:
    ex = ch07.signal_propagation()
    fig, st = ex.setup()
    try:
        for gain, depth, nl in itertools.product(
            [0.25, 1.0, 5 / 3, 3.0], [2, 50], ["relu", "tanh", "linear"]
        ):
            ex.redraw(st, gain=gain, depth=depth, nonlinearity=nl)
            render_png(fig)
            _assert_titles_fit(fig, [st["ax"], st["ax2"]])
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- live controls
def test_ch07_gain_readout_is_short_and_exact_where_it_can_be() -> None:
    gain = ch07.signal_propagation().controls[0]
    assert gain.readout(5 / 3) == "1.667"
    assert gain.readout(1.414) == "1.414" and gain.readout(1.0) == "1"
    assert gain.readout(0.25) == "0.25" and gain.readout(3.0) == "3"
    readouts = [gain.readout(v) for v in gain.grid()]
    assert len(set(readouts)) == len(readouts)
    assert max(map(len, readouts)) <= 5, max(readouts, key=len)


def test_fmt_rounds_only_values_with_no_short_decimal() -> None:
    c = Control("g", "g", [0.5, 5 / 3, 2.0], default=0.5, fmt=".3f")
    assert [c.readout(v) for v in (0.5, 5 / 3, 2.0, 1.25)] == ["0.5", "1.667", "2", "1.25"]
    sci = Control("lam", "λ", [1e-8, 10**-7.5, 1.0], default=1e-8, log=True, fmt=".1e")
    assert sci.readout(10**-7.5) == "3.2e-08" and sci.readout(1e-8) == "1e-08"
    assert sci.readout(9.999999999999999e-06) == "1e-05"
    exact = Control("a", "a", [0.5, 5 / 3], default=0.5)  # no fmt: the exact value
    assert exact.readout(5 / 3) == "1.6666666666666667"


def test_reset_button_is_never_squeezed_by_the_status_line() -> None:
    ex = ch07.signal_propagation()
    ex.live()
    face = ex.live_face
    try:
        assert face.button.description == "reset to recommended"
        assert face.button.layout.flex == "0 0 auto"
        assert face.sliders["gain"].options[list(ex.controls[0].grid()).index(5 / 3)] == (
            "1.667",
            5 / 3,
        )
    finally:
        plt.close(face.fig)


# ----------------------------------------------------------------------------- chapter text
DISPLAY_MATH = re.compile(r"\$\$(.*?)\$\$", re.S)
TEXT = re.compile(r"\\text\{([^{}]*)\}")


def _markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_straight_quotes_inside_math_text(master: Path) -> None:
    for source in _markdown(master):
        for math in DISPLAY_MATH.findall(source) + re.findall(r"(?<!\$)\$([^$\n]+)\$", source):
            for text in TEXT.findall(math):
                assert '"' not in text, (master.name, text)


def test_ch06_epoch_formulas_fit_a_cell() -> None:
    """The display of the epoch forms holds the formulas only (the manual rule is prose): it
    measured 974 px in a 907 px JupyterLab cell with a sentence in ``\\text{}``; the three
    formulas alone are under 450 px."""
    nb = nbformat.read(ROOT / "notebooks" / "06_schedules.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "57e96163")
    (display,) = DISPLAY_MATH.findall(cell.source)
    assert "manual decay" not in display and "\\text{or" not in display
    assert len([ln for ln in display.strip().splitlines() if ln.strip()]) == 3
    assert '"manual decay"' in cell.source  # now in the sentence below the formulas


# ----------------------------------------------------------------------------- learner editions
def _learner(master: Path) -> nbformat.NotebookNode:
    return learner_edition.learner_notebook(nbformat.read(master, as_version=4))


LEARNER = {m.name: _learner(m) for m in MASTERS}


def _hidden(cell) -> bool:
    return "remove-cell" in cell.metadata.get("tags", [])


def _exercise_modules_bound(source: str) -> set[str]:
    """Names ``source`` binds to a chapter module of ``dlnotes.exercises`` (``reference``)."""
    names = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dlnotes.exercises":
            names |= {a.asname or a.name for a in node.names if re.fullmatch(r"ch\d\d", a.name)}
        elif isinstance(node, ast.ImportFrom) and re.match(
            r"dlnotes\.exercises\.ch\d\d", node.module or ""
        ):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {
                a.asname or a.name
                for a in node.names
                if re.match(r"dlnotes\.exercises\.ch\d\d", a.name)
            }
    return names


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_every_hidden_test_cell_says_what_it_is(master: Path) -> None:
    hidden = [
        c
        for c in LEARNER[master.name].cells
        if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_hidden")
    ]
    assert hidden, master.name
    for cell in hidden:
        assert cell.source.startswith("# Hidden tests: "), (master.name, cell.source)
    if master.name != "16_capstone.ipynb":  # the capstone says what its hidden set is
        assert {c.source for c in hidden} == {COMMENT}


@pytest.mark.parametrize("name", ["06_schedules", "07_initialization", "09_regularization",
                                  "10_dropout"])  # fmt: skip
def test_masters_hidden_test_cells_carry_the_comment(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    cells = [c for c in nb.cells if "BEGIN HIDDEN TESTS" in c.source]
    assert cells and all(c.source.startswith(COMMENT + "\n") for c in cells)


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_visible_cell_of_a_learner_edition_binds_an_exercise_module(master: Path) -> None:
    nb = LEARNER[master.name]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        bound = _exercise_modules_bound(cell.source)
        if not _hidden(cell):
            assert not bound, (master.name, i, bound)
        for name in bound:  # a hidden cell that binds one unbinds it again
            assert cell.source.rstrip().endswith(f"del {name}"), (master.name, i)


def test_ch09_master_imports_its_reference_only_in_the_claim_that_uses_it() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "09_regularization.ipynb", as_version=4)
    binders = [c for c in nb.cells if "reference" in _exercise_modules_bound(c.source)]
    users = [c for c in nb.cells if c.cell_type == "code" and "reference." in c.source]
    assert binders == users and len(users) == 1
    (claim,) = users
    assert {"remove-cell", "answer"} <= set(claim.metadata["tags"])
    assert claim.source.rstrip().endswith("del reference")


def test_the_move_keeps_claim_cells_runnable() -> None:
    """Chapter 01's master still imports its reference in the import cell: the learner
    edition moves it into each hidden claim that uses it."""
    nb = LEARNER["01_learning_problem.ipynb"]
    users = [c for c in nb.cells if c.cell_type == "code" and "reference." in c.source]
    assert users
    for cell in users:
        assert _hidden(cell)
        assert "from dlnotes.exercises import ch01 as reference\n" in cell.source
        ast.parse(cell.source)
        lines = cell.source.splitlines()
        first_use = next(i for i, ln in enumerate(lines) if "reference." in ln)
        assert lines.index("from dlnotes.exercises import ch01 as reference") < first_use
