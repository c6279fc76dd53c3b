"""The explorer challenges: their settings, and the numerics that decide them.

A chapter's explorer shows a challenge, and its exercise grades the value a learner found with the
explorer against it, so both read the settings and the verdict's numbers from here:

* :data:`LR_CHALLENGE`, chapter 02: one learning rate that takes gradient descent on a κ = 10
  bowl from ``(2, 2)`` below ``f = 1e-6`` within 60 steps (exercise ``ch02_lr_challenge``);
  :func:`challenge_loss` is ``f`` after those steps, :func:`lr_challenge_band` the winning rates;
* :data:`MOMENTUM_CHALLENGE`, chapter 04: a pair ``(α, ρ)`` that takes heavy ball on a κ = 100
  bowl below ``1e-6`` within 100 steps and keeps it there for 100 steps more (exercise
  ``ch04_momentum_challenge``; heavy ball's ``f`` oscillates, so a first dip is not enough);
  :func:`challenge_outcome` says whether a run stays below, or when it dipped or climbed back.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dlnotes._validate import as_float_array, check_int, check_scalar
from dlnotes.landscapes.runners import Run, gradient_descent, steps_to_stay, steps_to_target
from dlnotes.landscapes.surfaces import Quadratic, ill_conditioned_quadratic

__all__ = [
    "LR_CHALLENGE",
    "MOMENTUM_CHALLENGE",
    "Challenge",
    "ChallengeOutcome",
    "challenge_loss",
    "challenge_outcome",
    "lr_challenge_band",
]


@dataclass(frozen=True)
class Challenge:
    """Reach ``f < target`` on ``ill_conditioned_quadratic(kappa)`` from ``x0`` within ``steps``
    steps, and stay below for ``tail`` steps more (0: reaching it is enough).

    ``kappa >= 1``; ``x0`` a point ``(x1, x2)`` (stored as a tuple of floats) where ``f`` is not
    already below ``target`` (else every learning rate wins); ``steps >= 1``; ``target > 0``
    (the bowl's minimum is 0); ``tail >= 0``. Checked at construction, naming the field.
    """

    kappa: float
    x0: tuple[float, float]
    steps: int
    target: float
    tail: int = 0

    def __post_init__(self) -> None:
        check_scalar("Challenge.kappa", self.kappa, low=1.0)
        x0 = as_float_array("Challenge.x0", self.x0)
        if x0.shape != (2,) or not np.all(np.isfinite(x0)):
            raise ValueError(
                f"Challenge.x0 must be a point (x1, x2) of two finite numbers (the bowl is 2-D), "
                f"got {self.x0!r}"
            )
        object.__setattr__(self, "x0", (float(x0[0]), float(x0[1])))
        check_int("Challenge.steps", self.steps, low=1)
        target = check_scalar("Challenge.target", self.target, low=0.0, low_inclusive=False)
        check_int("Challenge.tail", self.tail, low=0)
        f0 = float(self.bowl().f(np.asarray(self.x0)))
        if not f0 >= target:
            raise ValueError(
                f"Challenge.x0 = {self.x0} already has f = {f0:.3g} below the target "
                f"{self.target!r}: every learning rate would win; start farther from the "
                "minimum (0, 0)"
            )

    def bowl(self) -> Quadratic:
        """The challenge's bowl, ``ill_conditioned_quadratic(kappa)``."""
        return ill_conditioned_quadratic(self.kappa)


LR_CHALLENGE = Challenge(kappa=10.0, x0=(2.0, 2.0), steps=60, target=1e-6)
#: On the challenge's grid, 100 more steps reject every pair that 2000 more would.
MOMENTUM_CHALLENGE = Challenge(kappa=100.0, x0=(2.0, 2.0), steps=100, target=1e-6, tail=100)


def _checked(challenge: object) -> Challenge:
    if not isinstance(challenge, Challenge):
        raise TypeError(
            f"challenge must be a Challenge (e.g. LR_CHALLENGE), got {type(challenge).__name__}"
        )
    return challenge


def challenge_loss(challenge: Challenge, lr: float) -> float:
    """``f`` after ``challenge.steps`` steps of gradient descent with ``lr`` on the challenge's
    bowl from its ``x0`` (``inf`` if the run blew up).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    challenge = _checked(challenge)
    run = gradient_descent(challenge.bowl(), challenge.x0, lr, challenge.steps)
    return math.inf if run.diverged else float(run.fs[-1])


@functools.lru_cache(maxsize=4)
def lr_challenge_band(challenge: Challenge) -> tuple[float, float]:
    """The learning rates with which gradient descent wins ``challenge``: ``(lo, hi)``, with
    ``challenge_loss(challenge, lr) < challenge.target`` for every ``lr`` in between.

    ``f_T(lr) = Σ ½ λ_i c_i² (1 − lr λ_i)^{2T}`` is convex in ``lr``, so the winners form one
    interval: find the best ``lr`` by golden-section search, then each edge by bisection. For
    :data:`LR_CHALLENGE` (``f_60 < 1e-6`` on the κ = 10 bowl) it is about ``(0.967, 1.886)``.
    A RuntimeError says when no learning rate wins.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    challenge = _checked(challenge)
    L = challenge.bowl().L
    a, b = 0.0, 2.0 / L
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if challenge_loss(challenge, c) < challenge_loss(challenge, d):
            b = d
        else:
            a = c
    best = (a + b) / 2
    if not challenge_loss(challenge, best) < challenge.target:
        raise RuntimeError(f"no learning rate lets gradient descent win {challenge}")

    def edge(inside: float, outside: float) -> float:
        for _ in range(60):
            mid = (inside + outside) / 2
            if challenge_loss(challenge, mid) < challenge.target:
                inside = mid
            else:
                outside = mid
        return inside

    return edge(best, 0.0), edge(best, 2.0 / L)


class ChallengeOutcome(NamedTuple):
    """How a run fares on a challenge (:func:`challenge_outcome`); −1 in a field means "none".

    ``stay``: the step ``<= steps`` from which ``f`` stays below the target through the end of
    the run (the challenge is won); ``hit``: the first step ``<= steps`` with ``f`` below the
    target; ``back``: when ``f`` is below the target at step ``steps`` but not for good, the
    first later step where it is not (``len(fs)``, one past the last, for a run that blew up
    while below).
    """

    stay: int
    hit: int
    back: int


def challenge_outcome(challenge: Challenge, run: Run, steps: int | None = None) -> ChallengeOutcome:
    """Whether ``run`` wins ``challenge``: below ``challenge.target`` from a step ``<= steps``
    on and through the end of the run, which has ``steps + challenge.tail`` steps.

    ``steps`` defaults to ``challenge.steps`` (an explorer may draw another number). A run that
    diverged never wins (``stay = −1``). When it does not win, ``hit`` and ``back`` tell a first
    dip from a value below the target at step ``steps`` only by luck; see
    :class:`ChallengeOutcome`. ``f`` is compared with the target itself (the bowls' ``f* = 0``).

    Defined in chapter 04 (Momentum and Nesterov).
    """
    challenge = _checked(challenge)
    if not isinstance(run, Run):
        raise TypeError(f"run must be a Run (e.g. of heavy_ball), got {type(run).__name__}")
    steps = challenge.steps if steps is None else steps
    steps = int(check_scalar("steps", steps, low=0, integer=True))
    fs, target = run.fs, challenge.target
    stay = -1 if run.diverged else int(steps_to_stay(fs, 1.0, target))
    stay = stay if 0 <= stay <= steps else -1
    hit = int(steps_to_target(fs[: steps + 1], 1.0, target))
    back = -1
    if stay < 0 and len(fs) > steps and fs[steps] < target:  # below at `steps`, not for good
        above = np.flatnonzero(~(fs[steps:] < target))
        back = steps + int(above[0]) if above.size else len(fs)
    return ChallengeOutcome(stay, hit, back)
