"""Every website player changes its picture when its slider moves.

A player that holds other controls at settings of its own can sweep a control that changes
nothing there (chapter 12's rate multiplier with the body frozen, chapter 01's scale with
standardized inputs): that is the lesson, but a picture that never changes tells the reader
nothing, and the site's test of every player (``tests/site/test_site.py``) failed on both. The
figure must name the swept value. Checked here on every player of every chapter, from the
notebooks' own ``show(sweeps=...)`` calls, without building the site.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import pytest
from explorer_sweeps import NOTEBOOKS, shown_sweeps

from dlnotes.explorers import all_explorers
from dlnotes.widgets import render_png

pytestmark = pytest.mark.slow  # two frames of every player of every chapter

PLAYERS = [
    (nb.name, f"ch{nb.name[:2]}.{factory}", sweep)
    for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for factory, sweeps in shown_sweeps(nb.name).items()
    for sweep in sweeps
]


def test_every_chapter_with_an_explorer_is_read() -> None:
    chapters = {name.split(".")[0] for _, name, _ in PLAYERS}
    assert chapters == {name.split(".")[0] for name in all_explorers()}


@pytest.mark.parametrize(("notebook", "name", "sweep"), PLAYERS, ids=str)
def test_the_first_and_last_frames_of_a_player_differ(notebook, name, sweep) -> None:
    explorer = all_explorers()[name]()
    frames = explorer.frames(sweep)
    assert len(frames) >= 2, (notebook, sweep)
    fig, state = explorer.setup()
    try:
        pictures = []
        for values in (frames[0], frames[-1]):
            explorer.redraw(state, **values)
            pictures.append(render_png(fig))
    finally:
        plt.close(fig)
    assert pictures[0] != pictures[1], (
        f"{notebook}: the player {sweep!r} shows the same picture at both ends of its slider"
    )
