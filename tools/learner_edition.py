#!/usr/bin/env python3
"""Write the learner edition of every master notebook: ``python3 tasks.py learner [--check]``.

For each ``notebooks/NN_*.ipynb`` (the master, in nbgrader's format) this writes
``learner/NN_*.ipynb`` with nbgrader's own preprocessors:

* ``ClearSolutions``: code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``# YOUR CODE HERE`` + ``raise NotImplementedError()``;
* ``ClearHiddenTests``: ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` is removed;
* ``LockCells``: test cells become read-only in Jupyter (``editable: false``);
* ``ClearOutput``: no outputs, no execution counts.

Then it makes the notebook read like the book page in plain Jupyter front-ends
(:func:`plain_markdown`: MyST directives and roles become CommonMark, see
``tools/myst_to_markdown.py``) and hides what the site hides in ways front-ends honour
(:func:`hide_as_the_site_does`; :func:`drop_challenge_answers` removes the hidden cells that
check a challenge's answer; :func:`hide_reference_imports` binds a chapter's exercise module
only inside the hidden cells that use it), says what every emptied hidden-test cell is for
(:func:`label_hidden_tests`) and lets "Run All" reach the end with unsolved exercises
(:func:`keep_running_after_exercises`), and stores the ``language_info`` a Python kernel
reports, so that JupyterLab does not mark the notebook modified as it opens
(:func:`as_jupyterlab_writes_it`).

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
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from myst_to_markdown import myst_to_markdown, site_base_url
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
    label_hidden_tests(nb)
    plain_markdown(nb)
    drop_challenge_answers(nb)
    hide_reference_imports(nb)
    hide_as_the_site_does(nb)
    keep_running_after_exercises(nb)
    as_jupyterlab_writes_it(nb)
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


def plain_markdown(nb: nbformat.NotebookNode) -> None:
    """Rewrite every markdown cell's MyST-only markup as plain Jupyter markdown (in place)."""
    base = site_base_url()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = myst_to_markdown(cell.source, base)


#: A hidden cell that calls one of these gives an explorer challenge's answer away.
_CHALLENGE_CALL = re.compile(r"\b\w*challenge\w*\(")


def drop_challenge_answers(nb: nbformat.NotebookNode) -> None:
    """Remove the site-hidden (``remove-cell``) cells that call a challenge's internals, such as
    ``assert _verify_challenge((3.3, 0.67)).passed``: in a notebook they would be the answer."""
    nb.cells = [
        cell
        for cell in nb.cells
        if not (
            cell.cell_type == "code"
            and "remove-cell" in cell.metadata.get("tags", [])
            and not cell.metadata.get("nbgrader")
            and _CHALLENGE_CALL.search(cell.source)
        )
    ]


#: What a hidden-test cell shows in the learner edition (a master cell may say more).
HIDDEN_TESTS_COMMENT = "# Hidden tests: run with other inputs when your notebook is graded."


def label_hidden_tests(nb: nbformat.NotebookNode) -> None:
    """Give every test cell that ``ClearHiddenTests`` left empty the line
    :data:`HIDDEN_TESTS_COMMENT`, so that no chapter shows a blank, collapsed cell below a
    check (a master's hidden-test cell may start with its own comment, which is kept)."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and not cell.source.strip():
            cell.source = HIDDEN_TESTS_COMMENT


#: ``from dlnotes.exercises import ch09 as reference``: a chapter's exercise module (the
#: reference solutions), which the hidden claim cells call.
_REFERENCE_IMPORT = re.compile(r"^from dlnotes\.exercises import ch\d\d as (\w+)[ \t]*$", re.M)


def hide_reference_imports(nb: nbformat.NotebookNode) -> None:
    """Move each import of a chapter's exercise module out of the visible cells (in place).

    A visible import (the chapter's import cell) would leave the reference solutions bound in
    every answer cell. When only hidden (``remove-cell``) cells use the name, the import moves
    into each of them, with ``del`` at the end, so that no later cell can reach it.
    """

    def hidden(cell: nbformat.NotebookNode) -> bool:
        return "remove-cell" in cell.metadata.get("tags", [])

    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        if hidden(cell) or cell.metadata.get("nbgrader"):
            continue
        for m in list(_REFERENCE_IMPORT.finditer(cell.source)):
            line, name = m.group(0), m.group(1)
            used = re.compile(rf"\b{name}\s*\.")
            others = [c.source for c in code if c is not cell and not hidden(c)]
            if any(used.search(src) for src in [cell.source.replace(line, ""), *others]):
                continue  # a visible cell needs the name
            cell.source = re.sub(rf"^{re.escape(line)}\n?", "", cell.source, flags=re.M).rstrip()
            for user in code:
                if hidden(user) and used.search(user.source) and line not in user.source:
                    lines = user.source.splitlines()
                    top = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), 0)
                    lines[top:top] = [line, ""]  # below the cell's opening comment
                    user.source = "\n".join([*lines, f"del {name}"])


def hide_as_the_site_does(nb: nbformat.NotebookNode) -> None:
    """Set the cell metadata JupyterLab, Notebook 7 and VS Code honour for the site's tags.

    ``remove-input``/``hide-input`` (quiz and figure code): the source is collapsed
    (``jupyter.source_hidden``); ``remove-cell`` (bootstrap, claim checks): source and outputs
    collapsed (``jupyter.outputs_hidden`` and its nbformat twin ``collapsed``). Exercise
    cells stay open: the learner writes there.
    """
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if {"remove-cell", "remove-input", "hide-input"} & set(tags):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        if "remove-cell" in tags:
            cell.metadata["jupyter"]["outputs_hidden"] = True
            cell.metadata["collapsed"] = True
            if cell.source.startswith("# Claim"):
                cell.source = f"{CLAIMS_TITLE}\n{cell.source}"


#: The first line of a hidden claim cell in the learner edition. A collapsed cell shows its
#: first line, and a claim's own ("# Claims: at batch size 2 BatchNorm is more than 25 points
#: below ...") answered the "Predict, then run" question above it.
CLAIMS_TITLE = "# Checks of the text's claims (open after you have made your predictions)"


#: ``answer = None  # ...`` before the solution: a value exercise's placeholder.
_PLACEHOLDER = re.compile(r"^\w+ = None\b.*\n(?=(?:.*\n)*# YOUR CODE HERE)", re.M)


def keep_running_after_exercises(nb: nbformat.NotebookNode) -> None:
    """Let "Run All" go past unsolved exercises (the chapter never needs a learner's answer).

    * Test cells get the ``raises-exception`` tag: JupyterLab and Notebook 7 then do not abort
      the cells queued after a failing check (Colab ignores the tag; there ``check`` prints
      instead of raising). Graders still see the failure: the cell's error output.
    * A value exercise whose cell starts ``answer = None  # ...`` keeps that placeholder and
      loses the top-level ``raise NotImplementedError()``, so the check says "not answered yet"
      instead of a bare ``NotImplementedError`` followed by a ``NameError``.
    """
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.source.strip():
            code = [
                ln
                for ln in cell.source.splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")
            ]
            if code:  # not an emptied hidden-test cell (only its comment is left)
                tags = cell.metadata.setdefault("tags", [])
                if "raises-exception" not in tags:
                    tags.append("raises-exception")
        if meta.get("solution") and _PLACEHOLDER.search(cell.source):
            cell.source = re.sub(r"^raise NotImplementedError\(\)\n?", "", cell.source, flags=re.M)
            cell.source = cell.source.rstrip()


#: What ipykernel reports for the project's Python (``runtime.txt``: 3.11). JupyterLab sets the
#: notebook's ``kernelspec`` and ``language_info`` from the kernel and marks the notebook
#: modified when they were missing or differ; with these it opens clean in the project's
#: environment (another Python version still updates ``version``).
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}


#: ipykernel's own kernelspec; JupyterLab copies its display name into the notebook.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def as_jupyterlab_writes_it(nb: nbformat.NotebookNode) -> None:
    """Give the notebook the kernel metadata JupyterLab writes back as it opens it."""
    nb.metadata["kernelspec"] = nbformat.from_dict(KERNELSPEC)
    nb.metadata["language_info"] = nbformat.from_dict(LANGUAGE_INFO)


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
