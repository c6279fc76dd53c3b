"""Every setting chapters 01–03 ask the reader to try in an explorer is a frame of a website
player.

The website shows one precomputed player per sweep of the notebook's ``explorer.show(sweeps=...)``
call; each holds the controls it does not move at the settings the sweep names (or at their
defaults). The chapters' "things to try" once asked for settings no player held: chapter 01's
standardized inputs, chapter 02's start on an axis and ``α = 1/L`` there, chapter 03's batch
sizes at ``α = 0.4``, ``α`` at ``B = 1`` and ``β = 0.99`` without correction. These tests read
the sweeps from the notebooks' cells (``ast``) and look each named setting up among the
frames (:meth:`dlnotes.widgets.Explorer.frames`). Chapter 03's average explorer also had its
window line on the bottom panel's right edge at ``β = 0.995``, and a share of old weights
(0.27) its note did not explain.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from explorer_sweeps import missing, shown_sweeps, website_frames

from dlnotes.explorers import ch01, ch02, ch03


# ---------------------------------------------------------------------------- chapter 01
def test_ch01_the_players_hold_every_setting_the_text_names() -> None:
    sweeps = shown_sweeps("01_learning_problem.ipynb")["normalization_gd"]
    explorer = ch01.normalization_gd()
    frames = website_frames(explorer, sweeps)
    # "is a mean of m = 3 worse than a unit change of s = 4?" (each alone, raw inputs)
    # "then switch the inputs to 'standardized'"
    wanted = [
        {"inputs": "raw", "scale": 1.0, "offset": 3},
        {"inputs": "raw", "scale": 4.0, "offset": 0},
        {"inputs": "standardized"},
    ]
    assert missing(frames, wanted) == []
    # "which settings leave the standardized run unchanged?": standardized runs at several
    # units s, at a mean m other than 0
    standardized = {(f["scale"], f["offset"]) for f in frames if f["inputs"] == "standardized"}
    assert len({s for s, _ in standardized}) >= 5 and any(m != 0 for _, m in standardized)


# ---------------------------------------------------------------------------- chapter 02
def test_ch02_the_players_hold_every_setting_the_text_names() -> None:
    sweeps = shown_sweeps("02_conditioning.ipynb")["gd_quadratic"]
    explorer = ch02.gd_quadratic()
    frames = website_frames(explorer, sweeps)
    at_start = {"kappa": 10, "phi": 45}
    wanted = [
        # the zig-zag starts at α = 1/L = 1; the fastest α for κ = 10 (1.7, the text says),
        # next to α* ≈ 1.82; exercise 4's α = 0.5 and 2 at κ = 10, φ = 45°
        *({**at_start, "lr": lr} for lr in (0.8, 1.0, 1.2, 1.7, 1.8, 0.5, 2.0)),
        # "start exactly on an axis (φ = 0° or 90°) with an α that zig-zags, such as 1.8"
        *({"kappa": 10, "lr": 1.8, "phi": phi} for phi in (0, 45, 90)),
        # "along the steep axis (φ = 0°), α = 1/L converges in one step whatever κ is"
        *({"phi": 0, "lr": 1.0, "kappa": kappa} for kappa in explorer.controls[1].values),
    ]
    assert missing(frames, wanted) == []


def test_ch02_the_quoted_step_counts_are_the_explorers() -> None:
    """α = 1.7 is the fastest of the website's values (33 steps), 1.74–1.78 of the live
    slider's (32), and α = 1/L takes one step from the steep axis: the explorer's status."""
    explorer = ch02.gd_quadratic()
    fig, state = explorer.setup()
    try:
        lr = explorer.controls[0]

        def steps(**settings: Any) -> int:
            status = explorer.redraw(state, **{**explorer.defaults, **settings})
            return int(status.split(" after ")[1].split()[0]) if status.startswith("f <") else 999

        on_site = {a: steps(lr=a) for a in lr.values}
        assert min(on_site.values()) == 33 and [a for a, s in on_site.items() if s == 33] == [1.7]
        live = {round(a, 4): steps(lr=a) for a in lr.grid() if 1.6 <= a <= 1.9}
        assert min(live.values()) == 32
        assert [a for a, s in live.items() if s == 32] == [1.74, 1.76, 1.78]
        for kappa in explorer.controls[1].values:
            assert steps(lr=1.0, phi=0, kappa=kappa) == 1, kappa
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------- chapter 03
def test_ch03_the_players_hold_every_setting_the_text_names() -> None:
    shown = shown_sweeps("03_minibatches.ipynb")
    line_fit = website_frames(ch03.minibatch_line_fit(), shown["minibatch_line_fit"])
    # "with α = 0.4, compare B = 1, 8 and 64"; "with B = 1, raise α from 0.1 to 0.6"
    wanted = [
        *({"lr": 0.4, "batch_size": b} for b in (1, 8, 64)),
        *({"batch_size": 1, "lr": lr} for lr in (0.1, 0.2, 0.4, 0.6)),
    ]
    assert missing(line_fit, wanted) == []
    average = ch03.ewa_noisy_series()
    frames = website_frames(average, shown["ewa_noisy_series"])
    # which β tracks the trend best (every β, corrected); β = 0.99 without correction (and
    # with, to compare); β = 0
    betas = average.controls[0].values
    wanted = [
        *({"beta": beta, "bias_correction": "on"} for beta in betas),
        {"beta": 0.99, "bias_correction": "off"},
        {"beta": 0.0},
    ]
    assert missing(frames, wanted) == []


@pytest.mark.parametrize("bias_correction", ["on", "off"])
def test_ch03_the_window_line_is_inside_the_weights_panel(bias_correction: str) -> None:
    """At every β the dashed window ``1/(1 − β)`` is drawn inside the bottom panel (at 0.995 it
    was on the right edge), the curve covers the whole series, and the note says why the
    share of older weights is short of ``1/e`` when the window is a large part of the series."""
    explorer = ch03.ewa_noisy_series()
    fig, state = explorer.setup()
    try:
        xmax = state["ax2"].get_xlim()[1]
        for beta in explorer.controls[0].values:
            explorer.redraw(state, beta=beta, bias_correction=bias_correction)
            window = state["window"].get_xdata()[0]
            assert window < 0.6 * xmax, (beta, window, xmax)
            ages = np.asarray(state["weights"].get_xdata())
            assert ages[0] == 0 and ages[-1] == 399 and xmax >= 399
            note = state["note"].get_text()
            if beta == 0.995:
                assert "older than that: 0.27" in note or bias_correction == "off"
                assert "(1/e ≈ 0.37 only for t ≫ 200)" in note, note
            else:
                assert note.endswith("(1/e ≈ 0.37)"), note
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------- page sizes
@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "module"),
    [
        ("01_learning_problem.ipynb", ch01),
        ("02_conditioning.ipynb", ch02),
        ("03_minibatches.ipynb", ch03),
    ],
)
def test_every_player_stays_small(notebook: str, module: Any) -> None:
    for factory, sweeps in shown_sweeps(notebook).items():
        explorer = getattr(module, factory)()
        for sweep in sweeps:
            assert len(explorer.static_html(sweep)) < 1_000_000, (factory, sweep)
