"""Instructor keys: the graded cases and their expected outputs, made from the masters.

``python3 tasks.py key [--seed N] [--out PATH] [notebooks...]`` writes one private file holding,
for every exercise of the chosen master notebooks: which cells answer it and what each test cell
is worth (read from the master's nbgrader metadata and its ``check(...)`` calls), the visible
and the hidden cases drawn from the INSTRUCTOR SEED (random unless given, stored only here; the
visible ones of the kinds the notebook's visible checks show, with other values),
the expected output of each case as plain data, the inputs as plain data (to detect changes in
place), and for challenges the accepted value. The installed package only has the case
*generators* and a public practice seed: without the key nobody knows the graded inputs, and the
expected outputs never enter a sandbox.

The expected outputs are computed by the package's reference solution (``Exercise.solution``),
the one the catalogue tests prove correct, not by re-running the master's answer cells.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import os
import secrets
import zlib
from pathlib import Path
from typing import Any

import cloudpickle
import nbformat
import numpy as np
import plain

FORMAT = 1


def exercise_cells(
    master: nbformat.NotebookNode, external: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The exercises of a master notebook, in order: name, answer cell, variable, points.

    A graded code cell with no ``check(name, answer)`` call is not this engine's to grade (the
    capstone's hidden-set cell, scored by ``tools/grade_capstone.py``): it is appended to
    ``external`` as ``{"grade_id", "points"}`` when a list is given, and otherwise an error.
    """
    out: dict[str, dict[str, Any]] = {}
    solutions = {}
    for cell in master.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            solutions[meta["grade_id"]] = cell.source
            continue
        if not meta.get("grade"):
            continue
        call = _check_call(cell.source)
        if call is None:
            if external is None:
                raise ValueError(
                    f"test cell {meta.get('grade_id')} has no check(name, answer) call"
                )
            external.append({"grade_id": meta.get("grade_id"), "points": meta.get("points", 0)})
            continue
        name, var, suite = call
        ex = out.setdefault(
            name, {"name": name, "var": var, "points": {}, "test_ids": {}, "solution_id": None}
        )
        ex["points"][suite] = ex["points"].get(suite, 0.0) + float(meta.get("points", 0))
        ex["test_ids"][suite] = meta["grade_id"]
    for ex in out.values():
        sid = f"{ex['name']}_solution"
        if sid not in solutions:
            raise ValueError(f"no answer cell {sid} for exercise {ex['name']}")
        ex["solution_id"] = sid
        lines = solutions[sid].splitlines()
        ex["master_source"] = "\n".join(ln for ln in lines if not ln.strip().startswith("###"))
    return list(out.values())


def _check_call(source: str) -> tuple[str, str, str] | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "check"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[1], ast.Name)
        ):
            suite = "visible"
            for kw in node.keywords:
                if kw.arg == "suite" and isinstance(kw.value, ast.Constant):
                    suite = str(kw.value.value)
            return str(node.args[0].value), node.args[1].id, suite
    return None


def preamble(master: nbformat.NotebookNode) -> list[str]:
    """The master's import statements (cells without nbgrader metadata), one source each."""
    out = []
    for cell in master.cells:
        if cell.cell_type != "code" or "nbgrader" in cell.metadata:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.append(ast.unparse(node))
    return list(dict.fromkeys(out))


def case_seed(seed: int, exercise: str) -> int:
    """The hidden-suite seed of one exercise, derived from the instructor seed."""
    state = np.random.SeedSequence([seed, zlib.crc32(exercise.encode())]).generate_state(2)
    return int(state[0]) << 32 | int(state[1])


def _message(value: Any, *, inputs: bool = False) -> dict[str, Any]:
    tree, arrays = plain.encode_object(value) if inputs else plain.encode(value)
    return plain.to_message(tree, arrays)


def build(masters: list[Path], seed: int | None = None) -> dict[str, Any]:
    """The key for ``masters`` (see the module docstring)."""
    from dlnotes.exercises import ValueExercise, get
    from dlnotes.exercises.core import _fresh

    seed = secrets.randbits(62) if seed is None else int(seed)
    notebooks = {}
    for path in masters:
        master = nbformat.read(path, as_version=4)
        exercises = []
        external: list[dict[str, Any]] = []
        for spec in exercise_cells(master, external):
            ex = get(spec["name"])
            entry = dict(spec, kind=ex.kind)
            if isinstance(ex, ValueExercise):
                entry["accepted"] = ex.solution
            else:
                entry.update(rtol=ex.rtol, atol=ex.atol, time_limit=ex.time_limit)
                entry["output"] = ex.output
                suites = {}
                for suite in spec["points"]:
                    # both suites drawn from the private seed: the visible cases are of the
                    # kinds the notebook shows, with values no learner has seen
                    own = case_seed(seed, ex.name if suite == "hidden" else f"{ex.name}/visible")
                    cases = ex.cases(suite, seed=own)
                    rows = []
                    for case in cases:
                        expected = ex.solution(*_fresh(case.args), **_fresh(dict(case.kwargs)))
                        rows.append(
                            {
                                "case": case,
                                "expected": _message(expected),
                                "before": _message(
                                    (tuple(case.args), dict(case.kwargs)), inputs=True
                                ),
                            }
                        )
                    suites[suite] = rows
                entry["suites"] = suites
            exercises.append(entry)
        answers = {
            str(cell.metadata["nbgrader"].get("grade_id"))
            for cell in master.cells
            if cell.cell_type == "code" and (cell.metadata.get("nbgrader") or {}).get("solution")
        }
        notebooks[path.name] = {
            "exercises": exercises,
            "preamble": preamble(master),
            "external": external,  # graded elsewhere (capstone part 2) or by hand
            # their answer cells, which a submission keeps with no note
            "external_answers": sorted(answers - {e["solution_id"] for e in exercises}),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    return {
        "format": FORMAT,
        "seed": seed,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "notebooks": notebooks,
    }


def write(key: dict[str, Any], path: Path) -> None:
    """Write ``key`` readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode applies to a new file only: an old key keeps its own
    with os.fdopen(fd, "wb") as fh:
        fh.write(cloudpickle.dumps(key))


def read(path: Path) -> dict[str, Any]:
    """The key at ``path`` (the instructor's own file: it is unpickled)."""
    import pickle

    key = pickle.loads(Path(path).read_bytes())
    if not isinstance(key, dict) or key.get("format") != FORMAT:
        raise ValueError(f"{path} is not a dlnotes grading key (format {FORMAT})")
    return key
