"""The settings of the explorer challenges: a chapter's explorer shows them, and its exercise
grades the value a learner found with the explorer against them, so both read them from here.

* :data:`LR_CHALLENGE`, chapter 02: one learning rate that takes gradient descent on a κ = 10
  bowl from ``(2, 2)`` below ``f = 1e-6`` within 60 steps (exercise ``ch02_lr_challenge``);
* :data:`MOMENTUM_CHALLENGE`, chapter 04: a pair ``(α, ρ)`` that takes heavy ball on a κ = 100
  bowl below ``1e-6`` within 100 steps and keeps it there for 100 steps more (exercise
  ``ch04_momentum_challenge``; heavy ball's ``f`` oscillates, so a first dip is not enough).

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

from dataclasses import dataclass

from dlnotes.landscapes.surfaces import Quadratic, ill_conditioned_quadratic


@dataclass(frozen=True)
class Challenge:
    """Reach ``f < target`` on ``ill_conditioned_quadratic(kappa)`` from ``x0`` within ``steps``
    steps, and stay below for ``tail`` steps more (0: reaching it is enough)."""

    kappa: float
    x0: tuple[float, float]
    steps: int
    target: float
    tail: int = 0

    def bowl(self) -> Quadratic:
        """The challenge's bowl, ``ill_conditioned_quadratic(kappa)``."""
        return ill_conditioned_quadratic(self.kappa)


LR_CHALLENGE = Challenge(kappa=10.0, x0=(2.0, 2.0), steps=60, target=1e-6)
#: On the challenge's grid, 100 more steps reject every pair that 2000 more would.
MOMENTUM_CHALLENGE = Challenge(kappa=100.0, x0=(2.0, 2.0), steps=100, target=1e-6, tail=100)
