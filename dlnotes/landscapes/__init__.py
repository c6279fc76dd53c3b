"""The terrain optimizers walk on, the runs they make on it, and the closed forms that predict them.

* :mod:`~dlnotes.landscapes.surfaces`: objective functions with value, gradient and Hessian
  (quadratic bowls, Rosenbrock's valley, a saddle, noisy gradients);
* :mod:`~dlnotes.landscapes.runners`: gradient descent (with a schedule too), heavy ball, any
  :mod:`dlnotes.optim` optimizer and the learning-rate sweep of the adaptive methods on those
  surfaces, each returning a :class:`Run` of its iterates (chapter 05's grids and start for the
  sweep); mini-batch SGD on least squares (chapter 06's problem, :func:`noisy_regression`); what
  the chapters measure on a run (steps to a target, to stay below it, to shrink the distance to
  the minimizer, to get below a level);
* :mod:`~dlnotes.landscapes.rates`: closed-form rates and noise floors on quadratic bowls;
* :mod:`~dlnotes.landscapes.challenges`: the explorer challenges (chapters 02 and 04), their
  settings and the numbers of their verdicts, shared by the explorers and the exercises.

Everything is importable from here (``from dlnotes import landscapes as ls; ls.Quadratic``).

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from dlnotes.landscapes.challenges import (
    LR_CHALLENGE,
    MOMENTUM_CHALLENGE,
    Challenge,
    ChallengeOutcome,
    challenge_loss,
    challenge_outcome,
    lr_challenge_band,
)
from dlnotes.landscapes.rates import (
    gd_steps_to_target,
    heavy_ball_rate,
    heavy_ball_roots,
    noise_floor,
    optimal_heavy_ball,
)
from dlnotes.landscapes.runners import (
    SWEEP_LRS,
    SWEEP_METHODS,
    SWEEP_X0,
    BestRun,
    Run,
    best_lr_run,
    first_below,
    gradient_descent,
    heavy_ball,
    loss_text,
    lr_sweep,
    minibatch_stream,
    noisy_regression,
    optimizer_run,
    sgd_runs,
    steps_to_shrink,
    steps_to_stay,
    steps_to_target,
)
from dlnotes.landscapes.surfaces import (
    Landscape,
    NoisyGradient,
    Quadratic,
    Rosenbrock,
    Saddle,
    ill_conditioned_quadratic,
    random_rotated_quadratic,
    random_symmetric_matrix,
    rotation,
)

__all__ = [
    "LR_CHALLENGE",
    "MOMENTUM_CHALLENGE",
    "SWEEP_LRS",
    "SWEEP_METHODS",
    "SWEEP_X0",
    "BestRun",
    "Challenge",
    "ChallengeOutcome",
    "Landscape",
    "NoisyGradient",
    "Quadratic",
    "Rosenbrock",
    "Run",
    "Saddle",
    "best_lr_run",
    "challenge_loss",
    "challenge_outcome",
    "first_below",
    "gd_steps_to_target",
    "gradient_descent",
    "heavy_ball",
    "heavy_ball_rate",
    "heavy_ball_roots",
    "ill_conditioned_quadratic",
    "loss_text",
    "lr_challenge_band",
    "lr_sweep",
    "minibatch_stream",
    "noise_floor",
    "noisy_regression",
    "optimal_heavy_ball",
    "optimizer_run",
    "random_rotated_quadratic",
    "random_symmetric_matrix",
    "rotation",
    "sgd_runs",
    "steps_to_shrink",
    "steps_to_stay",
    "steps_to_target",
]
