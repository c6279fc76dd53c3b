"""``plot_results(..., labels=...)`` names a search's axes in the book's notation.

Chapter 13's prose and ``book/notation.md`` write α for the learning rate, λ for the L2
strength and "dev error" for the metric, while the results table's columns are ``lr``, ``l2``
and ``dev_error``: ``labels`` maps column names to axis labels, leaves the columns it does
not name as they are, and refuses what is not a mapping of columns to non-empty text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlnotes.tuning import Choice, LogUniform, Results, plot_results, random_search

NAMES = {"lr": "learning rate α", "l2": "L2 strength λ", "dev_error": "dev error"}


def _objective(config: dict[str, Any], seed: int) -> dict[str, float]:
    return {"dev_error": float((np.log10(config["lr"]) + 1.5) ** 2 / 10 + config["l2"])}


@pytest.fixture(scope="module")
def results() -> Results:
    space = {
        "lr": LogUniform(1e-4, 1.0),
        "l2": LogUniform(1e-5, 1e-1),
        "hidden": Choice([16, 64]),
    }
    return random_search(_objective, space, 8, seed=0, metric="dev_error", progress=False)


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def test_labels_name_the_axes_of_one_hyperparameter(results: Results) -> None:
    ax = plot_results(results, "lr", labels=NAMES)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning rate α", "dev error")
    assert ax.get_xscale() == "log"  # the scale still follows the column's space


def test_labels_name_both_axes_and_the_colour_bar_of_two(results: Results) -> None:
    ax = plot_results(results, "lr", "l2", labels=NAMES)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning rate α", "L2 strength λ")
    (bar,) = [a for a in ax.figure.axes if a is not ax]
    assert bar.get_ylabel() == "dev error"


def test_without_labels_or_for_a_column_left_out_the_axes_keep_the_column_names(
    results: Results,
) -> None:
    ax = plot_results(results, "lr", "l2")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "l2")
    ax = plot_results(results, "hidden", labels={"lr": "learning rate α"})
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("hidden", "dev_error")


def test_labels_are_validated(results: Results) -> None:
    with pytest.raises(ValueError, match="'alpha'"):  # a typo names no column
        plot_results(results, "lr", labels={"alpha": "learning rate α"})
    with pytest.raises(TypeError, match="labels must be a mapping"):
        plot_results(results, "lr", labels=["learning rate α"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"labels\['lr'\]"):
        plot_results(results, "lr", labels={"lr": 0.1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"labels\['lr'\]"):
        plot_results(results, "lr", labels={"lr": " "})
