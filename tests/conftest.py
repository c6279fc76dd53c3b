"""Fixtures shared by the test files of this folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def ax():
    """A fresh matplotlib axes on the Agg canvas, closed after the test."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)
