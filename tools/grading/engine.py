"""Grade one submitted notebook against the instructor key, exercise by exercise.

For each exercise a fresh sandbox (:mod:`sandbox`) runs the master's imports and the
submission's answer cells up to and including the exercise's own, then the learner's function
on the key's cases (:mod:`harness`). The results come back as plain data and are compared here
(:mod:`compare`). A suite's points are earned when every one of its cases passes. If the
sandbox dies or times out inside an EARLIER answer cell (another exercise's), that cell is
skipped and the exercise is run again, so a runaway cell costs only its own exercise.
"""

from __future__ import annotations

import atexit
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import cloudpickle
import compare
import flags
import framework_stub
import magics
import nbformat
import numpy as np
import plain
import sandbox
import withheld


@dataclass
class ExerciseGrade:
    name: str
    max_score: float
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)  # one per lost point (or group of points)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def answer_cells(
    nb: nbformat.NotebookNode,
    answers: dict[str, str],
    elsewhere: frozenset[str] = frozenset(),
    deadline: float | None = None,
) -> tuple[list, list[str]]:
    """``([(grade_id, source)], notes)``: the cells of each master grade_id in ``answers``
    (``{grade_id: the variable it defines}``), in the submission's order; one grade_id may
    have several cells, which run in that order.

    They are the code the exercise's test cell has seen when the notebook runs top to bottom:
    every code cell from the first answer cell with that nbgrader grade_id (``solution: true``)
    above the test cell, down to the test cell (or to the next cell of another grade_id).
    That takes in the parts of an answer cell that JupyterLab's *Split Cell* copied the id to,
    a new cell where a learner wrote the answer below the handed-out one, and a helper cell
    between the two. Copies below the test cell, test cells and foreign answer cells are
    dropped. When an editor lost every answer cell's metadata, the answer is the last cell
    without nbgrader metadata that defines the exercise's variable at its top level
    (``def clip_by_norm`` or ``lr = ...``); one such cell may answer several exercises.
    Answer cells of other grade_ids are ignored, with a note unless they are ``elsewhere``'s
    (the master's answer cells that another tool grades, such as the capstone's part 2).
    IPython syntax (``%%time``, ``%timeit``, ``!pip``) is made plain Python, with a note
    (:func:`magics.plain_python`). The grader reads (transforms, parses) at most
    :data:`MAX_PARSE_CHARS` of one notebook's code, each cell once, and nothing past the
    ``deadline`` (``time.monotonic()``): past either, a cell is taken as it is, and no more
    cells are searched for what they define (with a note).
    """
    notes = []
    _python = _Python(deadline)
    copies: dict[str, list[int]] = {}
    for k, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader") or {}
        if cell.cell_type != "code" or not isinstance(meta, dict) or not meta.get("solution"):
            continue
        gid = str(meta.get("grade_id", ""))
        if gid not in answers:
            if gid not in elsewhere:
                notes.append(f"ignored an answer cell with unknown id {gid[:MAX_ID]!r}")
            continue
        copies.setdefault(gid, []).append(k)
    found: list[tuple[int, str, str]] = []
    for gid, cells in copies.items():
        test = _test_cell(nb, gid)
        first = next((k for k in cells if k < test), cells[0])
        taken = []
        for k in range(first, len(nb.cells)):
            cell = nb.cells[k]
            meta = cell.metadata.get("nbgrader")
            if meta is not None and not (isinstance(meta, dict) and meta.get("grade_id") == gid):
                break  # the test cell, or another exercise's cell
            if cell.cell_type == "code":
                taken.append(k)
        # an answer too long to grade (see grade_notebook) is not even transformed
        whole = sum(len(_text(nb.cells[k].source)) for k in taken) <= MAX_CELL_CHARS
        for k in taken:
            code, dropped = (
                _python(_text(nb.cells[k].source)) if whole else (nb.cells[k].source, [])
            )
            found.append((k, gid, _text(code)))
            notes += [f"{gid}: {note}" for note in dropped if f"{gid}: {note}" not in notes]
        ignored = [k for k in cells if k not in taken]
        if len(taken) > 1 or ignored:
            note = f"graded {len(taken)} cells as the answer {gid} (the code its test cell sees)"
            if ignored:
                note += f"; ignored {len(ignored)} copies of it below its test cell"
            notes.append(note)
    bare = [
        k
        for k, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata
    ]
    cut_short = False
    for gid, var in answers.items():
        if gid in copies:
            continue
        for k in reversed(bare):  # the last cell that defines it: each cell is parsed once
            names = _python.defines(_text(nb.cells[k].source))
            if names is None:  # past the notebook's reading budget or the deadline
                cut_short = True
                break
            if var in names:
                code, _ = _python(_text(nb.cells[k].source))
                found.append((k, gid, code))
                notes.append(f"took the cell that defines {var} as the answer {gid}")
                break
    if cut_short:
        notes.append(
            "looked for answer cells without metadata in part of the notebook only: "
            + _python.stopped
        )
    found.sort(key=lambda item: item[0])
    return [(gid, source) for _, gid, source in found], notes


def _test_cell(nb: nbformat.NotebookNode, gid: str) -> int:
    """The position of the first test cell of the answer ``gid`` (``<exercise>_test``), or the
    notebook's length when it has none."""
    test_id = gid.removesuffix("_solution") + "_test"
    for k, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader") or {}
        if isinstance(meta, dict) and meta.get("grade_id") == test_id:
            return k
    return len(nb.cells)


#: the longest grade id quoted in a note (the id comes from the submission's metadata)
MAX_ID = 80
#: the longest answer cell graded (an answer is a few thousand characters; the static flags
#: parse every cell in the grader's own process, where a megabyte of code takes gigabytes)
MAX_CELL_CHARS = 200_000


class _Python:
    """:func:`magics.plain_python` of the cells of one notebook, and what each defines
    (:meth:`defines`), each cell read once (a cell is asked for again for each exercise it may
    define), within :data:`MAX_MAGIC_WORK` of IPython's transformer and :data:`MAX_PARSE_CHARS`
    of code read for the whole notebook, and before the student's ``deadline``: each cell is
    cheap enough, but thousands of them (or forty of 200 000 characters, read once for each
    exercise) held the grader for hours (for minutes). A cell too long to grade is not read at
    all (see :data:`MAX_CELL_CHARS`)."""

    def __init__(self, deadline: float | None = None) -> None:
        self.done: dict[str, tuple[str, list[str]]] = {}
        self.names: dict[str, set[str] | None] = {}
        self.work = 0
        self.chars = 0
        self.deadline = deadline
        self.stopped = ""  # why reading stopped, once it did

    def _spend(self, chars: int) -> bool:
        """Whether ``chars`` more characters of code may be read (and count them)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = self.stopped or "the time cap per student was used up"
        elif self.chars + chars > MAX_PARSE_CHARS:
            self.stopped = self.stopped or (
                f"the notebook holds more code than the {MAX_PARSE_CHARS} characters read"
            )
        else:
            self.chars += chars
            return True
        return False

    def __call__(self, source: str) -> tuple[str, list[str]]:
        if source not in self.done:
            if len(source) > MAX_CELL_CHARS or ("%" not in source and "!" not in source):
                self.done[source] = (source, [])  # nothing to transform (or not graded)
            elif self.work > MAX_MAGIC_WORK or not self._spend(len(source)):
                self.done[source] = (
                    source,
                    [
                        "its IPython syntax (%, !) was not run as Jupyter would: the notebook "
                        "holds too many magic or shell lines"
                        if self.work > MAX_MAGIC_WORK
                        else "its IPython syntax (%, !) was not run as Jupyter would: "
                        + self.stopped
                    ],
                )
            else:
                self.work += magics.magic_work(source)
                self.done[source] = magics.plain_python(source)
        return self.done[source]

    def defines(self, source: str) -> set[str] | None:
        """:func:`_defines` of the cell ``source`` (made plain Python), or None once the
        notebook's budget or the deadline is used up."""
        if source not in self.names:
            if len(source) > MAX_CELL_CHARS:
                self.names[source] = set()
            elif not self._spend(len(source)):
                return None
            else:
                self.names[source] = _defines(self(source)[0])
        return self.names[source]


#: the IPython transformer's work (see :data:`magics.MAX_MAGIC_WORK`) allowed in one notebook:
#: three times one cell's, a few seconds (an honest notebook uses a thousandth of it)
MAX_MAGIC_WORK = 3 * magics.MAX_MAGIC_WORK
#: the characters of code the grader reads (transforms or parses) in one notebook while it looks
#: for its answer cells: three cells of the longest graded, a few seconds (a chapter's whole
#: learner edition holds under 45 000 characters of code)
MAX_PARSE_CHARS = 3 * MAX_CELL_CHARS


def _text(source: Any) -> str:
    return source if isinstance(source, str) else "".join(source)


def _defines(source: str) -> set[str]:
    """Names a cell's code binds at its top level (also in an ``if``, ``try``, ``with`` or
    loop there, and in tuple targets such as ``lr, steps = 1.8, 60``)."""
    import ast

    if len(source) > MAX_CELL_CHARS:
        return set()
    try:
        tree = ast.parse(source)
    except Exception:  # SyntaxError, or RecursionError/MemoryError on a pathological cell
        return set()
    names: set[str] = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [node.target]
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        for part in ("body", "orelse", "finalbody", "handlers"):
            todo.extend(getattr(node, part, []) or [])
    return names


def grade_notebook(
    nb: nbformat.NotebookNode, book: dict[str, Any], limits: sandbox.Limits, deadline: float
) -> list[ExerciseGrade]:
    """Grades of every exercise in ``book`` (one notebook's part of the key)."""
    from dlnotes.exercises import get

    specs = book["exercises"]
    elsewhere = frozenset(book.get("external_answers", ()))  # keys made before it: none
    answers = {s["solution_id"]: s["var"] for s in specs}
    cells, notes = answer_cells(nb, answers, elsewhere, deadline)
    grades = []
    for spec in specs:
        ex = get(spec["name"])
        g = ExerciseGrade(spec["name"], sum(spec["points"].values()))
        if notes and not grades:
            g.notes += notes
        grades.append(g)
        order = [gid for gid, _ in cells]
        if spec["solution_id"] not in order:
            g.reasons.append(f"{spec['solution_id']}: answer cell missing; 0/{g.max_score:g}")
            continue
        if time.monotonic() > deadline:
            g.reasons.append(f"not run: the time cap per student was used up; 0/{g.max_score:g}")
            continue
        upto = cells[: len(order) - order[::-1].index(spec["solution_id"])]
        # an answer too long to grade (parsing it for the flags alone would take the grader's
        # memory and time: thirty cells of 200 000 characters took 3 GB) is not run: this
        # exercise's own scores 0, another exercise's is skipped
        sizes: dict[str, list[int]] = {}
        for gid, src in upto:
            sizes.setdefault(gid, []).append(len(src))
        huge = {gid: n for gid, n in sizes.items() if sum(n) > MAX_CELL_CHARS}
        own = huge.get(spec["solution_id"])
        if own:
            what = f"a cell of {own[0]}" if len(own) == 1 else f"{len(own)} cells of {sum(own)}"
            g.reasons.append(
                f"{spec['solution_id']}: {what} characters, more than the {MAX_CELL_CHARS} "
                f"graded; 0/{g.max_score:g}"
            )
            continue
        if huge:
            upto = [(gid, src) for gid, src in upto if gid not in huge]
            g.notes += [
                f"skipped cell {gid}: {sum(n)} characters, more than graded"
                for gid, n in huge.items()
            ]
        preamble = book["preamble"]
        _flag(g, ex, spec, upto, flags.catalogue_names(preamble), flags.foreign_names(preamble))
        skipped: list[str] = []
        time_limit = (  # a value answer is only read, never called
            min(limits.call, spec["time_limit"]) if spec["kind"] == "function" else limits.call
        )
        for _attempt in range(4):
            run = [(gid, src) for gid, src in upto if gid not in skipped]
            job = {
                "exercise": spec["name"],
                "kind": spec["kind"],
                "var": spec["var"],
                "preamble": book["preamble"],
                "cells": run,
                "references": _references(ex),
                "required": getattr(ex, "required", ""),
                "cases": [r["case"] for suite in spec.get("suites", {}).values() for r in suite],
                "cell_limit": limits.cell,
                "time_limit": time_limit,
                "process_limit": limits.processes,
            }
            with withheld.by_value():
                payload = cloudpickle.dumps(job)
            # a value answer is read as data and verified here, so its job withholds no
            # library code: a learner who searches for the value with the chapter's runners
            # (gradient_descent, in chapter 02) in the answer cell keeps the points
            library = _chapter_references(ex) if spec["kind"] == "function" else []
            shown = _withheld().binds(library)
            if spec["kind"] == "function" and not ex.frameworks_allowed:
                shown += _withheld().frameworks()  # the answer is asked for in numpy
            result = sandbox.run(payload, limits, shown)
            # a record about a cell this job did not run is the learner's own writing: dropped
            ran = {gid for gid, _ in run}
            result.records = [
                r for r in result.records if r.get("event") != "cell" or r.get("grade_id") in ran
            ]
            culprit = _stopped_in(result)
            if culprit is not None and culprit != spec["solution_id"] and result.status != "ok":
                skipped.append(culprit)
                g.notes.append(f"skipped cell {culprit} ({result.status} in it)")
                continue
            break
        _score(g, {**spec, "time_limit": time_limit}, ex, result)
    return grades


_WITHHELD: dict[int, withheld.Withheld] = {}  # by process id: a forked child makes its own


def _withheld() -> withheld.Withheld:
    """This process's withheld files (written once, removed by :func:`close_withheld` or when
    the process exits normally)."""
    pid = os.getpid()
    if pid not in _WITHHELD:
        _WITHHELD[pid] = withheld.Withheld()
        atexit.register(close_withheld)
    return _WITHHELD[pid]


def close_withheld() -> None:
    """Remove this process's withheld files: a grading process forked for one student calls
    it before it ends, since a forked process exits without running ``atexit``."""
    mine = _WITHHELD.pop(os.getpid(), None)
    if mine is not None:
        mine.close()


def _chapter_references(ex: Any) -> list[str]:
    """The references of every function exercise of ``ex``'s chapter: withheld together, since
    one exercise's reference can compute a sibling's answer (Adam with beta1 = 0 is RMSprop)."""
    from dlnotes.exercises import exercises

    return sorted(
        {r for other in exercises() if other.chapter == ex.chapter for r in _references(other)}
    )


def _references(ex: Any) -> list[str]:
    """``module:qualname`` of every library reference and of the reference solution (none for
    a value exercise, whose answer calls nothing)."""
    if ex.kind != "function":
        return []
    return [*ex.references, f"{ex.solution.__module__}:{ex.solution.__qualname__}"]


def _stopped_in(result: sandbox.Result) -> str | None:
    """The answer cell that was running when the sandbox stopped, if any."""
    started = [r["grade_id"] for r in result.records if r.get("event") == "cell"]
    if not started:
        return None
    last = [r for r in result.records if r.get("event") == "cell"][-1]
    return str(last["grade_id"]) if last.get("status") == "start" else None


def _flag(
    g: ExerciseGrade,
    ex: Any,
    spec: dict[str, Any],
    upto: list,
    catalogue: set[str],
    preamble_foreign: set[str],
) -> None:
    own = "\n\n".join(src for gid, src in upto if gid == spec["solution_id"])
    names: set[str] = set()
    if ex.kind == "function":
        names = {flags.reference_name(spec_name) for spec_name in ex.references}
        names.add(ex.solution.__name__)
    try:
        why = flags.circumvention(
            own, names, {spec["var"]}, catalogue - {spec["var"]}, preamble_foreign
        )
    except (RecursionError, MemoryError):  # a pathologically nested cell: read it yourself
        why = ["the answer is nested too deeply to analyse"]
    if why:
        g.flags.append("circumvention: " + ", ".join(why))
    if ex.kind == "function":
        try:
            mine = flags.normalised(own, spec["var"])
        except (RecursionError, MemoryError):
            mine = None
        refs = flags.reference_dumps(
            [obj for _, obj in ex.reference_callables()], [spec["master_source"]], spec["var"]
        )
        if mine is not None and mine in refs:
            g.flags.append("copy: the same code as the reference solution")


def _score(g: ExerciseGrade, spec: dict[str, Any], ex: Any, result: sandbox.Result) -> None:
    records = result.records
    cell_errors = [
        f"{r['grade_id']}: {r['error']}"
        for r in records
        if r.get("event") == "cell" and r.get("status") == "error"
    ]
    stop = "" if result.status == "ok" else f"the sandbox {result.status}"
    if result.status != "ok" and _stopped_in(result) == spec["solution_id"]:
        stop = f"the sandbox {result.status} while running {spec['solution_id']}"
    own_errors = [
        e.replace("NotImplementedError: ", "is not written yet: NotImplementedError")
        for e in cell_errors
        if e.startswith(spec["solution_id"] + ":")
    ]
    g.notes += [e for e in cell_errors if not e.startswith(spec["solution_id"] + ":")]
    circumvent = [f for f in g.flags if f.startswith("circumvention")]
    missing = any(r.get("event") == "missing" for r in records)
    if missing or (not any(r.get("event") in ("case", "value") for r in records)):
        why = (
            own_errors[0]
            if own_errors
            else (
                f"{spec['var']} is not defined by the answer cells"
                if missing
                else stop or "no result"
            )
        )
        g.reasons.append(f"{spec['name']}: {why}; 0/{g.max_score:g}")
        return
    if spec["kind"] == "value":
        rec = next(r for r in records if r.get("event") == "value")
        try:
            value = plain.from_message(rec["result"])
        except (ValueError, KeyError, TypeError) as err:
            g.reasons.append(
                f"{spec['name']}: the value could not be read ({err}); 0/{g.max_score:g}"
            )
            return
        if isinstance(value, plain.Opaque) or callable(value):
            g.reasons.append(f"{spec['name']}: expected a value, got {value!r}; 0/{g.max_score:g}")
            return
        try:
            verdict = ex.verify(value)
        except Exception as err:  # a value of a shape verify never expected: that value's 0
            g.reasons.append(
                f"{spec['name']}: the value {value!r:.80} could not be checked "
                f"({type(err).__name__}); 0/{g.max_score:g}"
            )
            return
        if circumvent:
            g.reasons.append(f"{spec['name']}: scored 0 pending review ({circumvent[0]})")
        elif verdict.passed:
            g.score = g.max_score
        else:
            named = f" [Likely mistake: {verdict.mistake}]" if verdict.mistake else ""
            g.reasons.append(f"{spec['name']}: {verdict.summary}{named}; 0/{g.max_score:g}")
        return
    cases = {r["i"]: r for r in records if r.get("event") == "case" and isinstance(r.get("i"), int)}
    offset = 0
    for suite, rows in spec["suites"].items():
        points = spec["points"][suite]
        problem = None
        for k, row in enumerate(rows):
            rec = cases.get(offset + k)
            problem = _case_problem(spec, row, rec, stop)
            if problem:
                problem = f"{suite} check {k + 1} of {len(rows)} ({row['case'].label}): {problem}"
                suite_runs = [(r, cases.get(offset + j)) for j, r in enumerate(rows)]
                named = _mistake(ex, [(row, rec), *suite_runs])
                if named:
                    problem += f" [Likely mistake: {named}]"
                break
        offset += len(rows)
        if problem is None and circumvent:
            problem = f"scored 0 pending review ({circumvent[0]})"
        if problem is None:
            g.score += points
        else:
            g.reasons.append(f"{spec['name']} {suite} ({points:g} pt): {problem}")


def _mistake(ex: Any, runs: list[tuple[dict[str, Any], Any]]) -> str | None:
    """The first known mistake (library code, run here) whose result and effect on the inputs
    are the learner's on every one of ``runs`` (``(row, record)``, the failing case first, then
    the whole suite), as :func:`dlnotes.exercises.check` requires: one case alone often fits
    several mistakes (all zeros is what a too-large threshold gives too)."""
    from dlnotes.exercises.core import _fresh

    seen = []
    for row, rec in runs:
        if not rec or rec.get("status") != "ok":
            return None
        try:
            seen.append((row["case"], *map(plain.from_message, (rec["result"], rec["after"]))))
        except (ValueError, KeyError, TypeError):
            return None

    def behaves_like(m: Any, case: Any, got: Any, after: Any) -> bool:
        args, kwargs = _fresh(case.args), _fresh(dict(case.kwargs))
        try:
            out = m.wrong(*args, **kwargs)
            mine = plain.from_message(plain.to_message(*plain.encode(out)))
            changed = plain.from_message(
                plain.to_message(*plain.encode_object((tuple(args), kwargs)))
            )
        except Exception:
            return False
        return not compare.result_problems(mine, got, ex.rtol, ex.atol) and compare.same(
            changed, after
        )

    with np.errstate(all="ignore"), warnings.catch_warnings():  # the library's mistakes warn
        warnings.simplefilter("ignore")
        for m in ex.mistakes:
            if all(behaves_like(m, *one) for one in seen):
                return str(m.name)
    return None


def _case_problem(spec: dict[str, Any], row: dict[str, Any], rec: Any, stop: str) -> str | None:
    if rec is None:
        return f"no result: {stop or 'the sandbox stopped'} before this check"
    if rec.get("called_reference"):
        from dlnotes.exercises import get

        return str(get(spec["name"]).refusal(rec["called_reference"]))
    if rec.get("profiler_off"):
        return (
            "your function switched off the call profiler (sys.setprofile), which the grader "
            "uses to see whether it calls dlnotes' own solution"
        )
    status = rec.get("status")
    if status == "timeout":  # the limit applied (see grade_notebook), not the exercise's own
        return f"did not return within {spec['time_limit']:g} s: is there a loop that never ends?"
    if status != "ok":
        error = str(rec.get("error", "an error"))
        if withheld.MESSAGE in error:  # it reached a withheld answer by another way
            return "your function calls dlnotes' own solution, which is withheld while grading"
        if framework_stub.MESSAGE in error:  # torch.softmax, autograd, torch.optim, ...
            named = re.search(r"([\w.]+): " + re.escape(framework_stub.MESSAGE), error)
            used = named.group(1) if named else "a framework"
            return (
                f"your function uses {used}: this exercise asks for numpy, and the frameworks "
                "are withheld while grading (only chapter 15's port to PyTorch may use one)"
            )
        if error.startswith("NotImplementedError"):
            return "is not written yet: it still raises NotImplementedError"
        return f"raised {error}"
    try:
        got = plain.from_message(rec["result"])
        expected = plain.from_message(row["expected"])
        before = plain.from_message(row["before"])
        after = plain.from_message(rec["after"])
    except (ValueError, KeyError, TypeError) as err:
        return f"the result could not be read ({err})"
    problems = compare.result_problems(expected, got, spec["rtol"], spec["atol"])
    if problems:
        return "; ".join(p.strip() for p in problems[:2])
    if not compare.same(before, after):
        return "your function modified its inputs in place"
    if spec["output"] == "new" and rec.get("aliased"):
        return "your function returned (a view of) its input array instead of a new array"
    if spec["output"] == "input" and rec.get("copies"):
        return "the arrays you returned are copies, not the input's own arrays"
    if rec.get("missed_required"):  # right, but not computed with what the exercise asks for
        from dlnotes.exercises import get

        return f"not counted: {get(spec['name']).required_says} (the result is right)"
    return None
