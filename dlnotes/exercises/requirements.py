"""What an exercise's answer must use besides giving the right values
(:attr:`dlnotes.exercises.FunctionExercise.required`).

A requirement is a function returning a context manager that :func:`dlnotes.exercises.check`
and the grader's harness enter around each call of the learner's answer, outside its time
limit; it yields ``met(args, kwargs, output) -> bool``. It lives here, not beside its exercise:
the chapter modules (the reference solutions) are withheld while grading, and the requirement
must run there.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["sgd_trained"]


@contextmanager
def sgd_trained() -> Iterator[Callable[[tuple[Any, ...], dict[str, Any], Any], bool]]:
    """The requirement of ``ch15_torch_port``, entered around each call of the learner's
    ``torch_train(params, batches, lr, momentum)``: yields ``met(args, kwargs, output)``, true
    when a ``torch.optim.SGD`` optimizer took at least one step per batch during the call and
    every returned array is one of its parameters after the call (or its transpose: an
    ``nn.Linear`` weight). Steps are counted by torch's own optimizer step hook, which also
    sees a step run under ``torch.compile`` or in another thread. A numpy port, a momentum
    update written by hand, or one token step of a dummy optimizer does not meet it.

    Defined in chapter 15 (From numpy to a framework).
    """
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook

    steps: dict[int, list[Any]] = {}  # id -> [optimizer, steps taken during the call]

    def count(optimizer: Any, args: Any, kwargs: Any) -> None:
        if isinstance(optimizer, torch.optim.SGD):
            steps.setdefault(id(optimizer), [optimizer, 0])[1] += 1

    def same(a: np.ndarray, t: np.ndarray) -> bool:
        return (a.shape == t.shape and np.array_equal(a, t)) or (
            a.ndim == 2 and a.shape == t.T.shape and np.array_equal(a, t.T)
        )

    def met(args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> bool:
        batches = kwargs["batches"] if "batches" in kwargs else args[1]
        returned = [np.asarray(a) for a in output]
        for optimizer, taken in steps.values():
            if taken < len(batches):
                continue
            trained = [
                p.detach().cpu().numpy() for g in optimizer.param_groups for p in g["params"]
            ]
            if all(any(same(a, t) for t in trained) for a in returned):
                return True
        return False

    handle = register_optimizer_step_post_hook(count)
    try:
        yield met
    finally:
        handle.remove()
