"""Every live explorer starts on the values its chapter names and can be set to each of them.

``DOCUMENTED`` is the audit of the chapters (issue 25): for each explorer, each control's
recommended default and every value that the chapter's prose ("Things to try"), its figures or
its exercises ask the reader to set. The tests build each live face (ipywidgets, no browser) and
check that the sliders sit on the defaults exactly, that every named value is reachable exactly
and shown exactly in the readout, and that "reset to recommended" redraws once.
"""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import pytest

from dlnotes.explorers import all_explorers
from dlnotes.explorers.ch15 import backward_events, seed_graph

STEPS_15 = len(backward_events(seed_graph(0.0)[0]))  # chapter 15's sweep, end to end

# explorer -> control -> (default, values named by the chapter). Sources in comments.
DOCUMENTED: dict[str, dict[str, tuple[object, tuple[object, ...]]]] = {
    # 01: "is a mean of m = 3 worse than a unit change of s = 4?"; switch to "standardized"
    "ch01.normalization_gd": {
        "scale": (1.0, (1.0, 4.0)),
        "offset": (0, (0, 3)),
        "inputs": ("raw", ("raw", "standardized")),
    },
    # 02: zig-zag starts at α = 1/L = 1; κ = 10; φ = 0°, 45°, 90°; exercise 4: κ = 10, φ = 45°,
    # α = 0.5 and α = 2 fail, the reference answer is α = 1.8 (the explorer opens at the
    # exercise's cautious 0.5, not on an answer)
    "ch02.gd_quadratic": {
        "lr": (0.5, (1.0, 0.5, 2.0, 1.8)),
        "kappa": (10, (10,)),
        "phi": (45, (0, 45, 90)),
    },
    # 03: β = 0.99 without correction, β = 0
    "ch03.ewa_noisy_series": {
        "beta": (0.9, (0.99, 0.0)),
        "bias_correction": ("on", ("on", "off")),
    },
    # 03: α = 0.4 with B = 1, 8, 64; with B = 1 raise α from 0.1 to 0.6
    "ch03.minibatch_line_fit": {
        "batch_size": (8, (1, 8, 64)),
        "lr": (0.1, (0.4, 0.1, 0.6)),
    },
    # 04: defaults α = 1, ρ = 0.9 (exercise 3), κ = 100; push α past 2/L = 2; the exercise's
    # reference answer (α, ρ) = (3.3, 0.67)
    "ch04.heavy_ball_quadratic": {
        "lr": (1.0, (1.0, 2.0, 3.3)),
        "rho": (0.9, (0.9, 0.67)),
        "kappa": (100, (100,)),
    },
    # 05: θ = 0, 45°, 90°; the opening bowl has κ = 100
    "ch05.optimizer_race": {
        "theta": (0, (0, 45, 90)),
        "kappa": (100, (100,)),
    },
    # 06: which schedule ends lowest at α = 0.4; a warm-up of 400 steps
    "ch06.schedule_explorer": {
        "kind": ("cosine", ("constant", "step", "exponential", "1/t", "cosine", "cyclic")),
        "lr": (0.4, (0.4,)),
        "warmup": (0, (0, 400)),
    },
    # 07: g = 1 (linear, LeCun), g = √2 ≈ 1.414 (ReLU), g = 3 (tanh), g = 1.1 and 1.2 (exercise 3);
    # depth 50; nonlinearities relu, tanh, linear
    "ch07.signal_propagation": {
        "gain": (1.414, (1.0, 1.1, 1.2, 1.414, 3.0)),
        "depth": (10, (50,)),
        "nonlinearity": ("relu", ("relu", "tanh", "linear")),
    },
    # 08: float32; f = tanh at x = 3; the default step h = 1e-5
    "ch08.difference_error_explorer": {
        "h": (1e-5, (1e-5, 1e-8)),
        "fn": ("sin(x)", ("tanh(x)",)),
        "x": (1.0, (3.0,)),
        "dtype": ("float64", ("float32",)),
        "method": ("two-sided", ("one-sided",)),
    },
    # 09: n = 16 with λ = 1e-8; n = 200
    "ch09.ridge_regression": {
        "lam": (1e-3, (1e-8,)),
        "n": (16, (16, 200)),
    },
    # 10: raise p; pixels vs blocks; flip through masks
    "ch10.dropout_masks": {
        "p": (0.5, (0.5,)),
        "group": ("pixels", ("pixels",)),
        "sample": (0, (0, 5)),
    },
    # 11: c = 1, c = 0.25 and c = 4
    "ch11.bn_training": {
        "lr": (0.03, ()),
        "scale": (1.0, (1.0, 0.25, 4.0)),
    },
    # 12: 2 frozen layers
    "ch12.transfer_sweep": {
        "lr_mult": (0.1, ()),
        "n_frozen": (0, (2,)),
    },
    # 13: n = 25 and n = 16
    "ch13.grid_vs_random": {
        "n_trials": (16, (25, 16)),
        "seed": (4, ()),
    },
    # 14: β = 0
    "ch14.ema_noisy_quadratic": {
        "lr": (0.3, ()),
        "decay": (0.95, (0.0,)),
    },
    # 15: k from 0 (the forward pass only) to the end, where it starts; w = 5, the minimum
    "ch15.backward_stepper": {
        "step": (STEPS_15, (0, STEPS_15)),
        "w": (0.0, (5.0,)),
    },
}

EXPLORERS = all_explorers()


def test_the_audit_covers_every_explorer_and_control() -> None:
    assert sorted(DOCUMENTED) == sorted(EXPLORERS)
    for name, factory in EXPLORERS.items():
        assert sorted(DOCUMENTED[name]) == sorted(c.name for c in factory().controls), name


@pytest.fixture(scope="module")
def live_faces():
    import IPython.display

    original = IPython.display.display
    IPython.display.display = lambda *a, **k: None  # no front-end: drop the PNGs
    faces = {}
    try:
        for name in sorted(EXPLORERS):
            ex = EXPLORERS[name]()
            ex.live()
            faces[name] = ex
        yield faces
    finally:
        IPython.display.display = original
        for ex in faces.values():
            plt.close(ex.live_face.fig)


def _readout(widget) -> str:
    """The text the front-end shows next to a slider: the label at the widget's index (the
    ``label`` trait itself is not updated by ipywidgets 8 when the index starts at 0)."""
    return str(widget._options_labels[widget.index])


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_live_controls_start_on_the_documented_defaults(name: str, live_faces) -> None:
    ex = live_faces[name]
    for control, (default, _named) in DOCUMENTED[name].items():
        widget = ex.live_face.sliders[control]
        assert widget.value == default and type(widget.value) is not bool, (control, widget.value)
        if not isinstance(default, str):
            assert float(_readout(widget)) == default, (control, _readout(widget))


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_every_named_value_is_reachable_exactly(name: str, live_faces) -> None:
    ex = live_faces[name]
    for control, (default, named) in DOCUMENTED[name].items():
        widget = ex.live_face.sliders[control]
        for value in named:
            widget.value = value
            assert widget.value == value, (control, value, widget.value)
            if not isinstance(value, str):
                text = _readout(widget)
                assert float(text) == value, (control, value, text)
                if 1e-4 <= abs(value) < 1e6 and control != "h":  # as the text writes it: 100, 0.9
                    assert "e" not in text and not text.endswith("."), (control, text)
        widget.value = default


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_reset_sets_every_default_with_one_redraw(name: str, live_faces) -> None:
    ex = live_faces[name]
    face = ex.live_face
    for c in ex.controls:  # move every control away from its default
        grid = c.grid()
        face.sliders[c.name].value = grid[-1] if grid[-1] != c.default else grid[0]
    before = face.redraws
    face.button.click()
    assert face.redraws == before + 1
    for c in ex.controls:
        assert face.sliders[c.name].value == c.default


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_slider_neighbours_are_close_and_the_website_frames_are_on_the_grid(name: str) -> None:
    """Between the documented stops a slider still moves in small steps, and the static face's
    frames (``values``) are settings the live slider offers too."""
    for c in EXPLORERS[name]().controls:
        grid = c.grid()
        assert set(c.values) <= set(grid)
        assert len(set(map(c.readout, grid))) == len(grid)  # distinct readouts
        if c.choices or c.only_values:
            continue
        pairs = list(itertools.pairwise(grid))
        if c.log:  # at most 1.26× apart (10 stops a decade), or neighbouring whole numbers
            assert all(b / a <= 1.26 or b - a <= 1 for a, b in pairs), c.name
        else:  # at least 40 stops over the range, or neighbouring whole numbers
            span = max(grid) - min(grid)
            assert all(b - a <= span / 40 + 1e-12 or b - a <= 1 for a, b in pairs), c.name
        assert all(math.isfinite(float(v)) for v in grid)
