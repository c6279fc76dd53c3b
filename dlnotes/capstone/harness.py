"""The learner's side of :func:`dlnotes.capstone.run_submission`, run as a separate process::

    python -m dlnotes.capstone.harness SUBMISSION.py OUT_DIR SECONDS EPOCHS

Imports ``SUBMISSION.py``, calls its ``train_best_model(data, budget)`` with the training and
dev data (:func:`dlnotes.capstone.capstone_data`) and a :class:`~dlnotes.capstone.Budget` that
checkpoints to ``OUT_DIR/checkpoint.npz``, and writes the returned model as plain data to
``OUT_DIR/model.npz``. It is never given the hidden test set.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from dlnotes.capstone.budget import Budget
from dlnotes.capstone.data import capstone_data
from dlnotes.capstone.plain import model_to_plain


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: python -m dlnotes.capstone.harness SUBMISSION OUT SECONDS EPOCHS")
        return 2
    submission, out = Path(argv[0]), Path(argv[1])
    seconds, epochs = float(argv[2]), int(argv[3])
    data = capstone_data()
    spec = importlib.util.spec_from_file_location("submission", submission)
    if spec is None or spec.loader is None:
        print(f"cannot import {submission}", file=sys.stderr)
        return 1
    module = importlib.util.module_from_spec(spec)
    budget = Budget(seconds, epochs, checkpoint_path=out / "checkpoint.npz")
    spec.loader.exec_module(module)  # the submission's top level counts against the budget
    train = getattr(module, "train_best_model", None)
    if not callable(train):
        print("the submission defines no function train_best_model", file=sys.stderr)
        return 1
    model = train(data, budget)
    plain = model_to_plain(model)
    tmp = out / "model.tmp.npz"
    np.savez(tmp, **plain)
    tmp.replace(out / "model.npz")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
