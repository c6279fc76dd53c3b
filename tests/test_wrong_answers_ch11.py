"""Chapter 11: batch-norm slips that got only a generic shape or
value message are named, and the explorer's legend never hides a curve.

Every answer is written out as a learner would write it (not the registered mistake itself) and
must be rejected and named on both suites; where the slip changes a shape, the shape line stays
and the name comes with it.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest

from tests.mistake_names import SUITES, named
from tests.verdicts import feedback

FORWARD, BACKWARD = "ch11_batchnorm_forward", "ch11_batchnorm_backward"


def _name_line(message: str) -> str:
    lines = [ln.strip() for ln in message.splitlines() if "Likely mistake:" in ln]
    assert len(lines) == 1, message
    return lines[0]


# --- (a) the forward's cache in another order ------------------------------------------------


def _forward_caching(*order: str):
    def batchnorm_forward(X, gamma, beta, eps):
        mean = X.mean(axis=0)
        var = ((X - mean) ** 2).mean(axis=0)
        x_hat = (X - mean) / np.sqrt(var + eps)
        parts = {"x_hat": x_hat, "mean": mean, "var": var}
        return gamma * x_hat + beta, tuple(parts[k] for k in order)

    return batchnorm_forward


ORDERS = [
    ("mean", "var", "x_hat"),
    ("x_hat", "var", "mean"),
    ("mean", "x_hat", "var"),
    ("var", "mean", "x_hat"),
    ("var", "x_hat", "mean"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_a_cache_in_another_order_is_named_by_its_order(order, suite):
    answer = _forward_caching(*order)
    assert named(FORWARD, answer, suite) == [f"cache in the order ({', '.join(order)})"]
    line = _name_line(feedback(FORWARD, answer, suite))
    assert "is read by position" in line


def test_a_cache_in_computation_order_says_what_each_name_would_get():
    message = feedback(FORWARD, _forward_caching("mean", "var", "x_hat"))
    line = " ".join(_name_line(message).split())
    assert "would put mean in x_hat, var in mean and x_hat in var" in line
    # the shape line is still there, under the name
    assert "in x_hat (result 1[0]): wrong shape: expected (16, 4), got (4,)" in message


def test_a_cache_with_mean_and_var_swapped_names_only_those_two():
    line = _name_line(feedback(FORWARD, _forward_caching("x_hat", "var", "mean")))
    assert "would put var in mean and mean in var." in line


@pytest.mark.parametrize("suite", SUITES)
def test_statistics_kept_as_one_by_d_in_the_cache_are_named(suite):
    def batchnorm_forward(X, gamma, beta, eps):
        mu = np.mean(X, axis=0, keepdims=True)
        var = np.var(X, axis=0, keepdims=True)
        x_hat = (X - mu) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mu, var)

    assert named(FORWARD, batchnorm_forward, suite) == ["mean and var of shape (1, D) in the cache"]
    message = feedback(FORWARD, batchnorm_forward, suite)
    assert "wrong shape" in message and "keepdims=True keeps the averaged batch axis" in message


# --- (b) dgamma and dbeta not summed over the batch, or over the wrong axis ------------------


def _backward(dgamma_of, dbeta_of):
    """The reference backward pass, with dgamma and dbeta made from their per-example
    contributions ``dout * x_hat`` and ``dout`` by the two functions given."""

    def batchnorm_backward(dout, X, gamma, eps):
        N = X.shape[0]
        mu = X.mean(axis=0)
        std = np.sqrt(X.var(axis=0) + eps)
        x_hat = (X - mu) / std
        dx_hat = dout * gamma
        dX = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
        return dX, dgamma_of(dout * x_hat), dbeta_of(dout)

    return batchnorm_backward


def _over_batch(a):
    return a.sum(axis=0)


def _unsummed(a):
    return a


def _over_features(a):
    return np.sum(a, axis=1)


def _over_everything(a):
    return a.sum()


def _keepdims(a):
    return a.sum(axis=0, keepdims=True)


PARAMETER_SLIPS = [
    (_unsummed, _over_batch, "dgamma not summed over the batch", "got (6, 3)"),
    (_over_batch, _unsummed, "dbeta not summed over the batch", "got (6, 3)"),
    (_unsummed, _unsummed, "dgamma and dbeta not summed over the batch", "got (6, 3)"),
    (_over_features, _over_batch, "dgamma summed over the wrong axis", "got (6,)"),
    (_over_batch, _over_features, "dbeta summed over the wrong axis", "got (6,)"),
    (_over_features, _over_features, "dgamma/dbeta summed over the wrong axis", "got (6,)"),
    (_over_everything, _over_everything, "dgamma and dbeta summed over every entry", "float64"),
    (_keepdims, _keepdims, "dgamma and dbeta of shape (1, D)", "got (1, 3)"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("dgamma_of", "dbeta_of", "name", "shape"), PARAMETER_SLIPS, ids=[p[2] for p in PARAMETER_SLIPS]
)
def test_a_parameter_gradient_of_the_wrong_shape_is_named(dgamma_of, dbeta_of, name, shape, suite):
    answer = _backward(dgamma_of, dbeta_of)
    assert named(BACKWARD, answer, suite) == [name]
    if suite == "visible":  # the shape line stays, and a sentence names the slip above it
        message = feedback(BACKWARD, answer)
        assert re.search(r"in d(gamma|beta) \(result [12]\): (wrong shape|expected)", message)
        assert shape in message
        assert "axis=0" in _name_line(message) and "(D,)" in _name_line(message)


def test_the_wrong_axis_hint_says_what_shape_axis_one_gives():
    line = _name_line(feedback(BACKWARD, _backward(_over_features, _over_features)))
    assert "one number per example: shape (N,)" in line
    assert "shared by every example" in line


# --- (c) the wrong axis in the backward pass ---------------------------------------------------


def _backward_with(stats_axis: int = 0, sums_axis: int = 0, keepdims: bool = False):
    def batchnorm_backward(dout, X, gamma, eps):
        N = X.shape[0]
        mu = X.mean(axis=stats_axis, keepdims=keepdims)
        std = np.sqrt(((X - mu) ** 2).mean(axis=stats_axis, keepdims=keepdims) + eps)
        x_hat = (X - mu) / std
        dgamma = np.sum(dout * x_hat, axis=0)
        dbeta = np.sum(dout, axis=0)
        dx_hat = dout * gamma
        s1 = dx_hat.sum(axis=sums_axis, keepdims=keepdims)
        s2 = (dx_hat * x_hat).sum(axis=sums_axis, keepdims=keepdims)
        dX = (N * dx_hat - s1 - x_hat * s2) / (N * std)
        return dX, dgamma, dbeta

    return batchnorm_backward


BACKWARD_AXES = [
    ({"sums_axis": 1, "keepdims": True}, "the sums in dX over the wrong axis"),
    ({"sums_axis": 1}, "a sum or mean over axis=1, which cannot broadcast"),
    ({"stats_axis": 1}, "a sum or mean over axis=1, which cannot broadcast"),
    ({"stats_axis": 1, "keepdims": True}, "statistics recomputed over the wrong axis"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("wrong", "name"), BACKWARD_AXES, ids=[str(sorted(w.items())) for w, _ in BACKWARD_AXES]
)
def test_the_backward_over_the_wrong_axis_is_named(wrong, name, suite):
    assert named(BACKWARD, _backward_with(**wrong), suite) == [name]


def test_a_backward_that_cannot_broadcast_is_shown_the_line_and_told_the_axis():
    message = feedback(BACKWARD, _backward_with(stats_axis=1))
    assert "could not be broadcast together with shapes (6,3) (6,)" in message
    line = _name_line(message)
    assert "one number per example, shape (N,)" in line and "axis=0" in line


# --- (c) the wrong axis in the forward pass: named already, and still --------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_the_forward_over_the_features_is_named_in_each_form(suite):
    def raises(X, gamma, beta, eps):
        mean = X.mean(axis=1)
        var = X.var(axis=1)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mean, var)

    def indexed(X, gamma, beta, eps):
        mean, var = X.mean(axis=1), X.var(axis=1)
        x_hat = (X - mean[:, None]) / np.sqrt(var[:, None] + eps)
        return gamma * x_hat + beta, (x_hat, mean, var)

    def reshaped(X, gamma, beta, eps):
        mean, var = X.mean(axis=1).reshape(-1, 1), X.var(axis=1).reshape(-1, 1)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mean, var)

    assert named(FORWARD, raises, suite) == ["statistics over axis=1, which cannot broadcast"]
    assert named(FORWARD, indexed, suite) == ["normalising over the wrong axis"]
    assert named(FORWARD, reshaped, suite) == ["normalising over the wrong axis, with keepdims"]


# --- 2. the explorer's legend ----------------------------------------------------------------


def _grid():
    """A small stand-in for the chapter's runs: every curve shape the explorer draws (flat at
    chance, diverged at the cap, falling to 0), for each setting."""
    from dlnotes.explorers import ch11

    steps = 90
    curves = {
        "chance": np.full(steps, np.log(10)),
        "cap": np.full(steps, 10.0),
        "falling": np.linspace(ch11.LOSS_CAP, 0.0, steps),
    }
    grid = {}
    for k, (lr, scale) in enumerate([(lr, c) for lr in ch11.LRS for c in ch11.SCALES]):
        for j, norm in enumerate(ch11.NORMS):
            loss = list(curves.values())[(k + j) % 3]
            grid[norm, lr, scale] = {
                "step_loss": loss,
                "dev_acc": 0.5,
                "diverged": bool(loss[0] > ch11.LOSS_CAP),
            }
    return grid


def test_the_bn_training_legend_sits_outside_the_axes_for_every_setting():
    from dlnotes.explorers import ch11
    from dlnotes.widgets import render_png

    ex = ch11.bn_training(_grid())
    fig, state = ex.setup()
    try:
        ax = state["ax"]
        for lr in ch11.LRS:
            for scale in ch11.SCALES:
                ex.redraw(state, lr=lr, scale=scale)
                render_png(fig)
                renderer = fig.canvas.get_renderer()
                legend = ax.get_legend().get_window_extent(renderer)
                axes = ax.get_window_extent(renderer)
                # no curve can run under it: it does not meet the axes' area at all
                assert not legend.overlaps(axes), (lr, scale, legend, axes)
                # and it is not cut off by the figure's edge
                figure = fig.bbox
                assert figure.x0 <= legend.x0 and legend.x1 <= figure.x1, (legend, figure)
                assert figure.y0 <= legend.y0 and legend.y1 <= figure.y1, (legend, figure)
    finally:
        plt.close(fig)
