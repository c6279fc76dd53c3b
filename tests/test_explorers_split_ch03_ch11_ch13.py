"""The explorers of chapters 03, 11 and 13 keep their numbers apart from their drawing: a
compute step that returns the frame (no matplotlib needed), a set-up at module level, and a
draw step that only moves artists to the frame."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlnotes.explorers import ch03, ch11, ch13

_EXPLORERS = Path(ch03.__file__).resolve().parent

#: The factory of each of the three explorers, by module.
FACTORIES = {"ch03": "minibatch_line_fit", "ch11": "bn_training", "ch13": "grid_vs_random"}


def _fake_grid() -> dict:
    """A small grid of ``bn_training`` runs: at ``lr = 0.1`` the plain network diverges after
    five steps, every other run falls for 30 steps."""
    grid = {}
    for norm in ch11.NORMS:
        for lr in (0.01, 0.1):
            for scale in (0.5, 1.0):
                diverged = norm == "plain" and lr == 0.1
                loss = np.linspace(2.3, 0.5, 5 if diverged else 30)
                if diverged:
                    loss[-1] = np.inf
                grid[norm, lr, scale] = {
                    "step_loss": loss,
                    "dev_acc": 0.1 if diverged else 0.7,
                    "diverged": diverged,
                }
    return grid


def _explorer(module: str):
    if module == "ch11":
        return ch11.bn_training(_fake_grid())
    return getattr({"ch03": ch03, "ch13": ch13}[module], FACTORIES[module])()


@pytest.mark.parametrize("module", sorted(FACTORIES))
def test_the_explorer_is_given_compute_and_draw_not_update(module: str) -> None:
    ex = _explorer(module)
    assert ex.update is None
    assert ex.compute is not None and ex.draw is not None


@pytest.mark.parametrize("module", sorted(FACTORIES))
def test_the_factory_defines_no_step_inside_it_and_passes_no_update(module: str) -> None:
    """The set-up, compute and draw steps are module-level functions: the factory reads as
    controls and one ``Explorer(...)`` call without ``update=``."""
    tree = ast.parse((_EXPLORERS / f"{module}.py").read_text(encoding="utf-8"))
    factory = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == FACTORIES[module]
    )
    nested = [
        node.name
        for node in ast.walk(factory)
        if isinstance(node, ast.FunctionDef) and node is not factory
    ]
    assert not nested, f"{module}.{factory.name} defines {nested} inside it"
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Explorer"
    ]
    assert calls
    for call in calls:
        assert "update" not in {k.arg for k in call.keywords}
        assert len(call.args) <= 3  # title, controls, setup: never update by position


def test_the_compute_steps_run_without_matplotlib() -> None:
    """In a process where matplotlib cannot be imported, each factory builds its explorer and
    its compute step returns the frame, status line included."""
    code = textwrap.dedent(
        """
        import json, sys
        sys.modules["matplotlib"] = None  # any import of matplotlib now fails
        import numpy as np
        from dlnotes.explorers import ch03, ch11, ch13

        grid = {}
        for norm in ch11.NORMS:
            for lr in (0.01, 0.1):
                for scale in (0.5, 1.0):
                    grid[norm, lr, scale] = {
                        "step_loss": np.linspace(2.3, 0.5, 30), "dev_acc": 0.7,
                        "diverged": False,
                    }
        frames = {
            "ch03": ch03.minibatch_line_fit().compute(batch_size=64, lr=0.6),
            "ch11": ch11.bn_training(grid).compute(lr=0.1, scale=1.0),
            "ch13": ch13.grid_vs_random().compute(n_trials=16, seed=4),
        }
        print(json.dumps({k: [f["status"], sorted(f)] for k, f in frames.items()}))
        """
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frames = json.loads(done.stdout.strip().splitlines()[-1])
    assert frames["ch03"] == [
        "last quarter of the steps: mean f − f* = 2.0e-01",
        ["excess", "path", "seen", "status", "title"],
    ]
    assert frames["ch11"] == [
        "plain: dev acc 70% | with BatchNorm: dev acc 70%",
        ["curves", "status", "title"],
    ]
    assert frames["ch13"] == [
        "grid: 4 distinct x, best loss 0.262; random: 16 distinct x, best loss 0.049",
        ["grid", "random", "status"],
    ]


def test_the_line_fit_frame_is_the_run_and_draw_moves_the_artists_to_it() -> None:
    ex = ch03.minibatch_line_fit()
    frame = ex.compute(batch_size=8, lr=0.4)
    path, seen, excess = ch03.minibatch_path(8, 0.4)
    np.testing.assert_array_equal(frame["path"], path)
    np.testing.assert_array_equal(frame["seen"], seen)
    np.testing.assert_array_equal(frame["excess"], np.maximum(excess, 1e-300))
    assert frame["title"] == "B = 8, α = 0.40: 32 steps"
    assert frame["status"].startswith("last quarter of the steps: mean f − f* = ")
    # a slider between grid points is rounded to a whole batch; a run past 2/L stops early
    diverged = ex.compute(batch_size=63.6, lr=20.0)
    steps = len(diverged["path"]) - 1
    assert diverged["title"] == "B = 64, α = 20.00: 2 steps" and steps == 2
    assert diverged["status"] == f"diverged after {steps} steps"
    fig, state = ex.setup()
    try:
        ex.draw(state, frame)
        np.testing.assert_array_equal(state["path"].get_xdata(), path[:, 0])
        np.testing.assert_array_equal(state["curve"].get_xdata(), seen)
        assert state["ax"].get_title() == frame["title"]
        assert state["ax2"].get_title() == frame["status"]
    finally:
        plt.close(fig)


def test_the_batchnorm_frame_snaps_pads_and_reports() -> None:
    ex = ch11.bn_training(_fake_grid())
    frame = ex.compute(lr=0.12, scale=0.9)  # nearest computed setting: α = 0.1, c = 1
    assert frame["status"] == "plain: diverged | with BatchNorm: dev acc 70%"
    assert frame["title"] == "α = 0.1, c = 1\n" + frame["status"]
    plain, bn = frame["curves"]["plain"], frame["curves"]["batchnorm"]
    assert len(plain) == len(bn) == 30  # the diverged run is held at the cap to the end
    np.testing.assert_array_equal(plain[5:], ch11.LOSS_CAP)
    np.testing.assert_allclose(bn, ch11.smoothed_loss(np.linspace(2.3, 0.5, 30)))
    fig, state = ex.setup()
    try:
        ex.draw(state, frame)
        np.testing.assert_array_equal(state["lines"]["plain"].get_ydata(), plain)
        assert state["ax"].get_title() == frame["title"]
    finally:
        plt.close(fig)


def test_the_search_frame_holds_both_searches_and_draw_moves_the_artists_to_it() -> None:
    ex = ch13.grid_vs_random()
    frame = ex.compute(n_trials=25, seed=0)
    grid, rand = ch13._searches(25, 0)
    for name, res in [("grid", grid), ("random", rand)]:
        x, y = frame[name]["points"]
        np.testing.assert_array_equal(x, res.column("x"))
        np.testing.assert_array_equal(y, res.column("y"))
        assert frame[name]["best"] == ([res.best["x"]], [res.best["y"]])
        assert frame[name]["title"].startswith(f"{name}: ")
    assert frame["grid"]["title"] == "grid: 5 distinct x, best loss 0.865"
    assert frame["status"] == frame["grid"]["title"] + "; " + frame["random"]["title"]
    rug_x, rug_y = frame["random"]["rug"]
    assert np.count_nonzero(np.isnan(rug_x)) == 25 and np.nanmax(rug_y) == pytest.approx(0.18)
    fig, state = ex.setup()
    try:
        ex.draw(state, frame)
        for name in ("grid", "random"):
            np.testing.assert_array_equal(state[name]["pts"].get_xdata(), frame[name]["points"][0])
            assert state[name]["ax"].get_title() == frame[name]["title"]
    finally:
        plt.close(fig)
