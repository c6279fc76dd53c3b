"""A website player can sweep one control with others set.

Each player of an explorer's static face moved one control with the others at their defaults,
so many of the chapters' "things to try" could not be set on the website (chapter 07's gain at
depth 50, chapter 03's batch sizes at α = 0.4). A sweep is now a control's name or
``(name, {other: value})``; the player's note names the settings it holds, and a setting the
live control does not offer is refused in every face.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import pytest
from test_widgets import line_explorer

from dlnotes.widgets import Explorer


def test_a_sweep_with_settings_holds_the_others_there() -> None:
    explorer = line_explorer()
    assert explorer.frames(("a", {"shift": 0.5})) == [
        {"a": a, "shift": 0.5} for a in (0.5, 1.0, 2.0, 3.0)
    ]
    assert explorer.frames("a") == [{"a": a, "shift": 0.0} for a in (0.5, 1.0, 2.0, 3.0)]
    assert explorer.frames() == explorer.frames("a")


def test_the_player_draws_and_names_the_settings_it_holds() -> None:
    explorer = line_explorer()
    held = explorer.static_html(("a", {"shift": 0.5}))
    plain = explorer.static_html("a")
    assert "other controls fixed: shift = 0.5" in held and "shift = 0)" in plain
    frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\s]+)", held)
    assert len(frames) == 4 and set(frames).isdisjoint(
        re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\s]+)", plain)
    )
    both = explorer.static([("a", {"shift": 0.5}), "shift"]).data
    assert both.count("dlnotes-static-note") == 2


@pytest.mark.parametrize(
    ("sweep", "error", "match"),
    [
        (("a", {"shift": 0.75}), ValueError, r"shift = 0\.75 is not a setting of that control"),
        (("a", {"a": 2.0}), ValueError, "cannot also fix it"),
        (("a", {"tilt": 1.0}), ValueError, "unknown control 'tilt'"),
        (["a", {"shift": 0.5}], TypeError, "a sweep is a control's name or"),
        (("a",), TypeError, "a sweep is a control's name or"),
    ],
)
def test_a_wrong_sweep_is_refused_in_every_face(sweep, error, match) -> None:
    explorer: Explorer = line_explorer()
    with pytest.raises(error, match=match):
        explorer.frames(sweep)
    with pytest.raises(error, match=match):
        explorer.show([sweep])  # the still face too, not only the website's build


def test_sweeps_must_be_a_list() -> None:
    with pytest.raises(TypeError, match=r"sweeps is a list of sweeps, e\.g\. \['a'\]"):
        line_explorer().show("a")
    with pytest.raises(TypeError, match="sweeps is a list of sweeps"):
        line_explorer().static(("a", {"shift": 0.5}))
