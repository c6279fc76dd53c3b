"""Chapter 02: the explorer and its challenge exercise agree on their settings."""

from __future__ import annotations

import inspect
import math

import numpy as np

from dlnotes import landscapes as ls
from dlnotes.exercises import get
from dlnotes.explorers import ch02 as explorers


def test_the_explorer_shows_the_challenge_of_the_exercise():
    """The explorer and the exercise live on different floors; their settings must agree."""
    assert inspect.signature(explorers.gd_quadratic).parameters["steps"].default == (
        ls.LR_CHALLENGE.steps
    )
    controls = {c.name: c for c in explorers.gd_quadratic().controls}
    assert controls["kappa"].default == ls.LR_CHALLENGE.kappa
    phi = math.radians(controls["phi"].default)  # the default start is the challenge's x0
    x0 = explorers.RADIUS * np.array([math.cos(phi), math.sin(phi)])
    np.testing.assert_allclose(x0, ls.LR_CHALLENGE.x0, rtol=1e-12)
    # ... and it opens on the exercise's cautious α, which fails: not on an answer
    assert not get("ch02_lr_challenge").verify(controls["lr"].default).passed


def test_the_explorer_and_the_exercise_agree_on_every_learning_rate():
    """Each α of the slider, at the challenge's κ and start: the explorer's status says the
    target was reached exactly when the exercise accepts that α."""
    explorer = explorers.gd_quadratic()
    controls = {c.name: c for c in explorer.controls}
    verify = get("ch02_lr_challenge").verify
    verdicts = []
    for lr in controls["lr"].values:
        status = explorer.compute(lr=lr, kappa=ls.LR_CHALLENGE.kappa, phi=controls["phi"].default)
        reached = status["status"].startswith(f"f < {ls.LR_CHALLENGE.target:g}")
        verdicts.append(verify(lr).passed)
        assert reached == verdicts[-1], (lr, status["status"])
    assert any(verdicts) and not all(verdicts)  # the slider holds both answers
