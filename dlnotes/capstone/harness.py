"""The learner's side of :func:`dlnotes.capstone.run_submission`, run as a separate process::

    python -m dlnotes.capstone.harness SUBMISSION.py OUT_DIR SECONDS EPOCHS EXAMPLES

Imports ``SUBMISSION.py``, calls its ``train_best_model(data, budget)`` with the training and
dev data (:func:`dlnotes.capstone.capstone_data`) and a :class:`~dlnotes.capstone.Budget` that
checkpoints to ``OUT_DIR/checkpoint.npz`` (its record to ``OUT_DIR/checkpoint.txt``), and
writes the returned model as plain data to ``OUT_DIR/model.npz``, with ``OUT_DIR/epochs.txt``:
the epochs the budget counted, 1 if it saw the returned model at the end of one of them (else
0), the seconds of the budget that passed outside the epochs it counted (from just before
the submission's imports to the function's return), the most training examples one counted
epoch went through (``EXAMPLES`` is the budget's limit on them, ``None`` for none), the most
optimizer steps of a counted epoch beyond fit's own, the counted epochs that began after the
budget's seconds ran out and how many seconds after the latest of them began, and which fit the
budget cut short (:attr:`~dlnotes.capstone.Budget.cut_record`, ``-`` for none) and the loss of
the first counted training steps (:attr:`~dlnotes.capstone.Budget.first_loss`, ``nan`` for
none). It is never given the hidden test set.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

from dlnotes.capstone.budget import STARTED, Budget, replace_file
from dlnotes.capstone.data import capstone_data
from dlnotes.capstone.plain import model_to_plain

SOLUTION_ID = "ch16_train_best_model_solution"

#: The longest code cell the grader parses in its own process, and the most code it parses in
#: one notebook, the numbers of part 1's grader (``MAX_CELL_CHARS`` and ``MAX_PARSE_CHARS`` in
#: ``tools/grading/engine.py``, which this package cannot import): ``ast.parse`` takes about
#: 500 bytes of memory a character of some code (a cell of 8 MB held a grader at 4 GB, 38 s),
#: and a notebook may hold 64 MiB. An import cell is a few lines; an answer cell longer than
#: this is not parsed here (the sandboxed run reads it, and its size is flagged for review).
MAX_CELL_CHARS = 200_000
MAX_PARSE_CHARS = 3 * MAX_CELL_CHARS


def submission_from_notebook(notebook: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the learner's part 2 as a Python file for :func:`dlnotes.capstone.run_submission`.

    The file holds the notebook's import-only code cells (cells made of ``import`` and
    ``from ... import`` statements) and the cell with nbgrader grade_id
    ``ch16_train_best_model_solution`` (found by its metadata, or else by a ``def
    train_best_model``). Nothing else of the notebook runs. Raises ``ValueError`` when the
    notebook has no such cell or that cell does not parse.

    The cells are parsed here, in the caller's process (the grader's), within part 1's caps: a
    cell longer than :data:`MAX_CELL_CHARS` is not parsed (it is no import cell; an answer cell
    that long goes to the file unchecked, and fails in the run if it does not parse), only a
    cell that mentions ``import`` is parsed to see whether it is an import cell, and no cell is
    parsed that would take the notebook's parsed code past :data:`MAX_PARSE_CHARS` (an honest
    notebook's import cells come first and take a few hundred characters).

    Defined in chapter 16 (Capstone project).
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    code = [c for c in cells if c.get("cell_type") == "code"]

    def text(cell: dict) -> str:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        # a lone surrogate (a notebook's JSON may hold one, \ud800) as that escape: the same
        # string inside a string literal, plain text in a comment; no encoder refuses it
        return src.encode("utf-8", "backslashreplace").decode("utf-8")

    parsed = 0  # characters parsed so far, at most MAX_PARSE_CHARS

    def imports_only(source: str) -> bool:
        nonlocal parsed
        if not _may_import(source) or parsed + len(source) > MAX_PARSE_CHARS:
            return False
        parsed += len(source)
        return import_cell(source)

    solution = [
        c for c in code if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SOLUTION_ID
    ] or [c for c in code if "def train_best_model" in text(c)]
    if not solution:
        raise ValueError(f"{notebook} has no cell {SOLUTION_ID!r} defining train_best_model")
    answer = text(solution[0])
    if len(answer) <= MAX_CELL_CHARS:
        try:
            ast.parse(answer)
        except SyntaxError as err:
            raise ValueError(f"the train_best_model cell does not parse: {err}") from None
    parts = [source for source in map(text, code) if imports_only(source)]
    source = "\n\n".join([*parts, answer]) + "\n"
    path = Path(out)
    path.write_text(source, encoding="utf-8")
    return path


def _may_import(source: str) -> bool:
    """Whether ``source`` may be an import cell before it is parsed: it mentions ``import``,
    never ``pip`` (even in a comment) and is at most :data:`MAX_CELL_CHARS` long."""
    return "import" in source and "pip" not in source and len(source) <= MAX_CELL_CHARS


def import_cell(source: str) -> bool:
    """Whether the code cell ``source`` is one the graded run keeps as an import cell: made of
    ``import`` and ``from ... import`` statements only (comments and blank lines aside), with
    no ``pip`` anywhere and at most :data:`MAX_CELL_CHARS` long. The rule of
    :func:`submission_from_notebook`, and of the notebook's own check of part 2
    (:func:`dlnotes.capstone.model_check`), which reads the cells the kernel ran by it.

    Defined in chapter 16 (Capstone project).
    """
    if not _may_import(source):
        return False
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError):  # e.g. a null byte, deep nesting
        return False
    return bool(body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body)


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print("usage: python -m dlnotes.capstone.harness SUBMISSION OUT SECONDS EPOCHS EXAMPLES")
        return 2
    submission, out = Path(argv[0]), Path(argv[1])
    seconds, epochs = float(argv[2]), int(argv[3])
    examples = None if argv[4] == "None" else int(argv[4])
    data = capstone_data()
    spec = importlib.util.spec_from_file_location("submission", submission)
    if spec is None or spec.loader is None:
        print(f"cannot import {submission}", file=sys.stderr)
        return 1
    module = importlib.util.module_from_spec(spec)
    budget = Budget(seconds, epochs, examples=examples, checkpoint_path=out / "checkpoint.npz")
    print(STARTED, flush=True)  # the caller's clock for seconds + grace starts now
    spec.loader.exec_module(module)  # the submission's top level counts against the budget
    train = getattr(module, "train_best_model", None)
    if not callable(train):
        print("the submission defines no function train_best_model", file=sys.stderr)
        return 1
    model = train(data, budget)
    unwatched = budget.unwatched_seconds  # the budget's seconds outside its counted epochs
    plain = model_to_plain(model)
    counted = (
        f"{budget.epochs_used}\n{int(budget.saw(plain))}\n{unwatched:.3f}\n{budget.most_examples}\n"
        f"{budget.extra_steps}\n{budget.late_epochs}\n{budget.late_seconds:.3f}\n"
        f"{budget.cut_record}\n{budget.first_loss:.3f}\n"
    )
    # each written to a new file that then replaces the old name: a link or a FIFO the
    # learner's code left at epochs.txt or model.npz is replaced, never written through
    replace_file(out / "epochs.txt", counted.encode("utf-8"))
    replace_file(out / "model.npz", lambda fh: np.savez(fh, **plain))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
