#!/usr/bin/env python3
"""Write the learner edition of every master notebook: ``python3 tasks.py learner [--check]``.

For each ``notebooks/NN_*.ipynb`` (the master, in nbgrader's format) this writes
``learner/NN_*.ipynb`` with nbgrader's own preprocessors:

* ``ClearSolutions``: code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``# YOUR CODE HERE`` + ``raise NotImplementedError()``;
* ``ClearHiddenTests``: ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` is removed;
* ``LockCells``: test cells become read-only in Jupyter (``editable: false``);
* ``ClearOutput``: no outputs, no execution counts.

The nbgrader metadata stays, so a learner's notebook can be graded by ``tasks.py grade``. The
output is deterministic (cell ids kept, keys sorted), so the committed files only change when a
master does. ``--check`` writes nothing and exits 1 listing every out-of-date, missing or stale
learner notebook (the test suite runs it).

``--graded`` writes the edition for a graded term instead (default ``grading/learner-graded/``,
not committed): the learner edition without the master cells tagged ``answer`` (hidden claims
that assert a challenge's accepted values or call a graded function's reference), and without
``from dlnotes.exercises import chNN as X`` when no remaining cell uses ``X``.

nbgrader is a development/instructor dependency (``pip install dlnotes[instructor]``), not a
learner's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
    LockCells,
)

ROOT = Path(__file__).resolve().parent.parent
MASTERS = ROOT / "notebooks"
LEARNER = ROOT / "learner"
PATTERN = "[0-9][0-9]_*.ipynb"


def learner_notebook(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner edition of a master notebook (a new notebook; ``master`` is not changed)."""
    nb = nbformat.from_dict(master)
    resources: dict = {}
    for preprocessor in (
        CheckCellMetadata(),
        ClearSolutions(),
        ClearHiddenTests(),
        LockCells(),
        ClearOutput(),
    ):
        nb, resources = preprocessor.preprocess(nb, resources)
    for cell in nb.cells:  # a cell left with only trailing blank lines reads badly
        cell.source = cell.source.rstrip()
    nbformat.validate(nb)
    return nb


def graded_notebook(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner edition for a graded term: no cell that reveals an answer (see above)."""
    import ast
    import re

    nb = learner_notebook(master)
    nb.cells = [c for c in nb.cells if "answer" not in c.metadata.get("tags", [])]
    pattern = re.compile(r"^from dlnotes\.exercises import (ch\d\d) as (\w+)\s*$")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for line in cell.source.splitlines():
            m = pattern.match(line)
            others = "\n".join(
                c.source for c in nb.cells if c is not cell and c.cell_type == "code"
            )
            if m and not re.search(rf"\b{m.group(2)}\.", others + cell.source.replace(line, "")):
                continue
            kept.append(line)
        cell.source = "\n".join(kept)
        try:
            ast.parse(cell.source)
        except SyntaxError:  # a removed line broke the cell: keep the learner edition's
            pass
    nbformat.validate(nb)
    return nb


def learner_text(master_path: Path) -> str:
    """The learner edition of the notebook at ``master_path``, as the exact text to commit."""
    master = nbformat.read(master_path, as_version=4)
    return nbformat.writes(learner_notebook(master), version=4) + "\n"


def plan(masters: Path, dest: Path) -> tuple[dict[Path, str], list[Path]]:
    """``({learner path: wanted text}, [stale learner notebooks with no master])``."""
    wanted = {dest / m.name: learner_text(m) for m in sorted(masters.glob(PATTERN))}
    stale = [p for p in sorted(dest.glob(PATTERN)) if p not in wanted]
    return wanted, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any learner notebook is out of date",
    )
    parser.add_argument("--source", type=Path, default=MASTERS, help="folder of master notebooks")
    parser.add_argument("--dest", type=Path, default=None, help="folder of learner editions")
    parser.add_argument(
        "--graded",
        action="store_true",
        help="write the graded-term edition (default into grading/learner-graded/)",
    )
    args = parser.parse_args(argv)
    if args.graded:
        dest = args.dest or ROOT / "grading" / "learner-graded"
        dest.mkdir(parents=True, exist_ok=True)
        for m in sorted(args.source.glob(PATTERN)):
            nb = graded_notebook(nbformat.read(m, as_version=4))
            (dest / m.name).write_text(nbformat.writes(nb, version=4) + "\n", encoding="utf-8")
        print(f"graded edition of {len(list(args.source.glob(PATTERN)))} notebooks in {dest}")
        return 0
    args.dest = args.dest or LEARNER
    wanted, stale = plan(args.source, args.dest)
    outdated = [
        p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for p in outdated:
            print(f"out of date: {p}{'' if p.exists() else ' (missing)'}")
        for p in stale:
            print(f"stale (its master is gone): {p}")
        if outdated or stale:
            print("run `python3 tasks.py learner` and commit learner/", file=sys.stderr)
            return 1
        print(f"learner editions up to date ({len(wanted)} notebooks)")
        return 0
    args.dest.mkdir(parents=True, exist_ok=True)
    for p in outdated:
        p.write_text(wanted[p], encoding="utf-8")
        print(f"wrote {p}")
    for p in stale:
        p.unlink()
        print(f"removed {p} (its master is gone)")
    print(f"{len(wanted)} learner notebooks, {len(outdated)} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
