"""The website's players reach what chapters 10, 12, 14 and 15 ask the reader to try.

Each player of an explorer's static face moves one control, the others held at their defaults or
at the settings its sweep names (``explorer.show(sweeps=[...])``). The settings each chapter's
prose names must be frames of those players: chapter 10's "flip through masks" (no player moved
the mask), chapter 12's "with 2 frozen layers the multiplier no longer matters" (the multiplier's
player ran at 0 frozen layers) and "which setting is best" (every combination), chapter 15's
"+5, +5" at ``k = 4``, ``w = 5`` (the step player ran at ``w = 0``, where step 4 sends ``+0, +0``).
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import pytest
from explorer_sweeps import has, sweeps_of, website_frames

from dlnotes.explorers import all_explorers


def _frames(notebook: str, name: str) -> list[dict[str, Any]]:
    """The website frames of explorer ``name`` (``"ch10.dropout_masks"``) in ``notebook``."""
    return website_frames(all_explorers()[name](), sweeps_of(notebook, name.split(".")[1]))


def test_ch10_players_flip_through_the_masks() -> None:
    frames = _frames("10_dropout.ipynb", "ch10.dropout_masks")
    explorer = all_explorers()["ch10.dropout_masks"]()
    # "raise p", "switch from pixels to blocks at the same p", "flip through masks"
    for p in explorer._control("p").values:
        assert has(frames, p=p)
    for group in explorer._control("group").values:
        assert has(frames, p=0.5, group=group)
    for sample in explorer._control("sample").values:
        assert has(frames, p=0.5, group="pixels", sample=sample)


def test_ch12_players_reach_every_setting_and_the_multiplier_at_2_frozen() -> None:
    frames = _frames("12_transfer_learning.ipynb", "ch12.transfer_sweep")
    explorer = all_explorers()["ch12.transfer_sweep"]()
    # "which setting is best with 1 example per class, and which with 100?": every one;
    # "check that with 2 frozen layers the multiplier no longer matters"
    for n_frozen in explorer._control("n_frozen").values:
        for lr_mult in explorer._control("lr_mult").values:
            assert has(frames, n_frozen=n_frozen, lr_mult=lr_mult), (n_frozen, lr_mult)


def test_ch14_players_reach_the_named_settings() -> None:
    frames = _frames("14_ensembles.ipynb", "ch14.ema_noisy_quadratic")
    # "at β = 0 ...; raise β"; "at a small α ... the EMA lags"; "at a large α ... helps most"
    for decay in (0.0, 0.95, 0.995):
        assert has(frames, decay=decay)
    for lr in (0.02, 1.2):
        assert has(frames, lr=lr)


def test_ch15_step_player_runs_at_w_5_where_the_square_sends_plus_5_twice() -> None:
    frames = _frames("15_frameworks.ipynb", "ch15.backward_stepper")
    explorer = all_explorers()["ch15.backward_stepper"]()
    # "move k from 0 to its last value"; "at w = 5 ... k = 4 ... +5 twice, k = 5 ... -10"
    for step in explorer._control("step").values:
        assert has(frames, step=step, w=5.0)
    for w in explorer._control("w").values:  # "and w, the point where the gradient is taken"
        assert has(frames, w=w)
    fig, state = explorer.setup()
    try:
        assert explorer.redraw(state, step=4, w=5.0) == "mul node 'w·w': w += +5, w += +5"
        assert state["labels"][("w", "w·w")].get_text() == "+5, +5"
        explorer.redraw(state, step=5, w=5.0)
        assert state["labels"][("w", "10·w")].get_text() == "-10"
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


@pytest.mark.parametrize("step", [2, 3, 4, 5])
def test_ch15_an_edge_carrying_a_gradient_points_back_at_the_input(step: int) -> None:
    from matplotlib.patches import ArrowStyle

    explorer = all_explorers()["ch15.backward_stepper"]()
    fig, state = explorer.setup()
    try:
        explorer.redraw(state, step=step, w=5.0)
        active = [k for k, label in state["labels"].items() if label.get_text()]
        assert active
        for key, arrow in state["edges"].items():
            style = arrow.arrow_patch.get_arrowstyle()
            # "<-": the head at the tail end, the input's; "->": at the node's end
            expected = ArrowStyle.CurveA if key in active else ArrowStyle.CurveB
            assert isinstance(style, expected), (step, key, style)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
