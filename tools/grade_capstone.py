#!/usr/bin/env python3
"""Grade part 2 of the capstone (chapter 16) on the instructor's hidden test set.

    python3 tasks.py capstone-grade SUBMISSIONS --hidden HIDDEN.npz [--out CSV]
                                    [--gradebook GRADEBOOK.csv]
    python3 tasks.py capstone-grade --merge-only CSV --gradebook GRADEBOOK.csv

SUBMISSIONS is read as ``tasks.py grade`` reads it (:func:`grade.collect`, with the one master
``16_capstone.ipynb``), so parts 1 and 2 grade the same notebook under the same student name:
``<student>.ipynb``, ``<student>_16_capstone.ipynb``, a folder ``<student>/`` or a
``<student>.zip`` with the student's ``16_capstone.ipynb`` ("Copy of" and " (1)" forgiven) or
its only notebook. For each student, the learner's imports and ``train_best_model`` cell become
a Python file (:func:`dlnotes.capstone.harness.submission_from_notebook`) that
:func:`dlnotes.capstone.run_submission` runs in the grading engine's bubblewrap sandbox: no
network, every non-system top-level folder (the course, the submissions, the hidden test file)
replaced by an empty one, only the Python environment, the ``dlnotes`` package (without the
model zoo's weights, which the rules forbid starting from: :func:`zoo_withheld`), the submission
file and its own work folder visible (at their paths on the grading machine, which the run can
read in ``/proc/self/mountinfo``: names, not contents); killed with its whole process tree at
the budget plus its grace. The returned (or last checkpointed) model comes back as plain data and
:func:`dlnotes.capstone.evaluate_submission` scores it here, in the grader's process, on the
hidden images the learner's code never saw. One CSV row per student is written as soon as it is
graded: student, points (of 11: 1 for a model above the baseline on dev, the cell
``ch16_train_best_model_test``, and 10 on the hidden test set), the run's message, the dev
point's message and the scoring message. With ``--gradebook``, the points are also merged into
the gradebook of ``tasks.py grade`` (same SUBMISSIONS folder, so the same student names) as the
column ``ch16_train_best_model (11)``, with the score, the reasons and the REVIEW flags, so that
``tasks.py feedback`` writes one file per student for parts 1 and 2 (:func:`merge`).

A run that failed quotes its last stderr line as the student's (``its last stderr line: «...»``,
at most 200 characters, the word REVIEW in lower case), and the merge writes the run's REVIEW
notes to ``flagged`` in full: nothing a student prints pushes them out or passes for them.
Besides the budget's REVIEW notes, the run is flagged (its points stand) when the model looks
like a memorised hidden set, whose images are public Fashion-MNIST test images
(:func:`dlnotes.capstone.review_notes`, :func:`dlnotes.capstone.source_note`): a hidden-test
accuracy of 92 % or more, a layer wider than the 6000 training and dev images, more than 5
million parameters, part-2 code (answer cell and import cells) over 100 kB, or a hidden-test
accuracy more than 5 points above the model's dev accuracy; and when the code loads a network
of the model zoo, which the rules forbid (:func:`dlnotes.capstone.zoo_note`, which reads the
code; the run itself cannot load one, whatever the code: its sandbox has no zoo weights).
Part 2's points are rounded to 2 decimals (the score message says the same number). A student
whose grading fails in the grader (whatever the notebook holds) gets 0 points and a flagged
row, and the class goes on.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from grade import (  # noqa: E402
    MAX_ITEM,
    _cut,
    _one,
    _read_notebook,
    _student_id,
    _write_csv,
    collect,
    exercise_cells,
    number,
    points_text,
    private_open,
    read_gradebook,
    safe_text,
)
from grading import sandbox  # noqa: E402

#: The capstone's master notebook, the one notebook each student's submission is matched to.
MASTER = "16_capstone.ipynb"

FIELDS = ["student", "student_id", "points", "max_points", "run", "dev", "score"]


def sandboxed(cmd: list[str], work: Path, submission: Path) -> list[str]:
    """``cmd`` inside bubblewrap: the system read-only, every other top-level folder emptied,
    the Python environment and dlnotes shown read-only (the model zoo without its weights,
    :func:`zoo_withheld`), ``work`` writable, no network, and the
    grading engine's process limit (:attr:`sandbox.Limits.processes`, RLIMIT_NPROC in the
    sandbox's own user namespace; a root grader runs the code as nobody, see
    :data:`sandbox.SANDBOX_USER`), so a fork bomb stops there."""
    wrapped = [sandbox.bwrap(), "--ro-bind", "/", "/"]
    for root in sandbox.hidden_roots():  # capped: a tmpfs is memory that no limit counts
        wrapped += ["--size", str(64 << 20), "--tmpfs", root]
    made: set[str] = set()
    for path in sandbox._visible_paths():
        wrapped += sandbox.bind(path, made)
    wrapped += sandbox.bind(str(submission), made)
    wrapped += sandbox.bind(str(work), made, writable=True)
    for folder in sandbox.hidden_data():  # the original test images (the hidden set's source),
        wrapped += ["--size", str(1 << 20), "--tmpfs", folder]  # over any bind above
    wrapped += zoo_withheld()
    for folder in (work, *(p for p in work.iterdir() if p.is_dir() and not p.is_symlink())):
        # the sandbox's user writes its model and checkpoints there; no other user of the
        # machine reaches it: run_submission makes it inside a private folder (mode 700)
        folder.chmod(0o777)
    wrapped += ["--ro-bind", str(sandbox.HERE), sandbox.INSIDE_HARNESS]
    wrapped += ["--dev", "/dev", "--proc", "/proc", "--chdir", str(work)]
    wrapped += [*sandbox._namespaces(), "--die-with-parent", "--new-session"]
    limit = sandbox.limit_processes(sandbox.Limits.processes, **RESOURCES)
    return [*wrapped, *sandbox._drop_root(), *limit, *filtered(cmd)]


#: The variable the capstone's sandbox sets, and :mod:`dlnotes.zoo` reads, so that a load of a
#: withheld zoo file says why it is missing (see :func:`zoo_withheld`).
ZOO_WITHHELD = "DLNOTES_ZOO_WITHHELD"


def zoo_folders() -> list[str]:
    """The model zoo's folder of every copy of ``dlnotes`` this grader's Python can find: the
    one it imports (as imported and as the real path), and ``dlnotes/zoo`` under each folder
    it can install or import packages from, as real paths (:func:`_package_folders`).
    A copy its Python cannot find (one of another interpreter, at a path of its own) is not
    withheld: the sandbox shows every system folder."""
    import dlnotes

    pkg = os.path.dirname(os.path.abspath(dlnotes.__file__))
    found = {os.path.join(pkg, "zoo"), os.path.join(os.path.realpath(pkg), "zoo")}
    found |= {os.path.realpath(os.path.join(p, "dlnotes", "zoo")) for p in _package_folders()}
    return sorted(f for f in found if os.path.isdir(f) and not os.path.islink(f))


def _package_folders() -> set[str]:
    """Folders a ``dlnotes`` may be installed in, for this Python: ``site-packages`` and
    ``dist-packages`` (Debian and Ubuntu: ``lib/python3.X/dist-packages``,
    ``local/lib/python3.X/dist-packages``, ``lib/python3/dist-packages``) under its prefixes
    and ``/usr`` and ``/usr/local``, its ``site.getsitepackages()`` and user site, its
    ``sys.path``, and the folder of every ``dlnotes`` distribution ``importlib.metadata``
    finds."""
    import glob
    import importlib.metadata
    import site

    folders: set[str] = set()
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/usr/local"}:
        for lib in ("lib", "lib64", "local/lib"):
            for kind in ("site-packages", "dist-packages"):
                folders.update(glob.glob(os.path.join(prefix, lib, "python*", kind)))
    with suppress(Exception):  # not in every Python (an old virtualenv's site)
        folders.update(site.getsitepackages())
    with suppress(Exception):
        folders.add(site.getusersitepackages())
    folders.update(p for p in sys.path if p)
    with suppress(Exception):  # a broken distribution's metadata is no copy found
        for dist in importlib.metadata.distributions(name="dlnotes"):
            folders.add(str(dist.locate_file("")))
    return folders


def zoo_withheld() -> list[str]:
    """bwrap options that withhold the model zoo's files from the run: each zoo folder
    (:func:`zoo_folders`) becomes an empty tmpfs with only its Python files bound back
    read-only (so ``import dlnotes.zoo`` works) and is then made read-only; its weights and
    sweeps (every ``.npz``, every file but the ``.py``) are not there, whatever name or path a
    submission reaches them by. The rules forbid starting part 2 from a pretrained network of
    the zoo (trained on the same images, outside any budget): in the graded run it cannot be
    done. :data:`ZOO_WITHHELD` tells :mod:`dlnotes.zoo` to say why a load fails."""
    opts: list[str] = []
    for folder in zoo_folders():
        opts += ["--size", str(1 << 20), "--tmpfs", folder]
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                opts += ["--ro-bind", entry.path, entry.path]
        opts += ["--remount-ro", folder]
    return [*opts, "--setenv", ZOO_WITHHELD, "1"] if opts else opts


def filtered(cmd: list[str]) -> list[str]:
    """``python -m dlnotes.capstone.harness ...`` as ``python -c`` that first installs the
    exercise sandbox's seccomp filter (``tools/grading/syscalls.py``: no shared memory or memfd
    files, memory that no limit counts), then runs the harness module with the same arguments."""
    k = cmd.index("-m")
    if cmd[k + 1] != "dlnotes.capstone.harness":
        raise ValueError(f"not the capstone harness: {cmd!r}")
    code = (
        "import runpy, sys; "
        f"sys.path.insert(0, {sandbox.INSIDE_HARNESS!r}); import syscalls; syscalls.install(); "
        "del sys.path[0]; runpy.run_module('dlnotes.capstone.harness', run_name='__main__', "
        "alter_sys=True)"
    )
    return [*cmd[:k], "-c", code, *cmd[k + 2 :]]


#: prlimit's limits for the capstone's run besides processes: address space (training a
#: network on 6000 images needs well under 1 GiB; torch, if a submission imports it, reserves
#: a few), CPU seconds (the run is killed at 45 + 5 s after the budget starts; a learner's
#: threads share this), bytes per file and open files. The work folder's total is watched by
#: run_submission (max_bytes).
RESOURCES = {"as": 8 << 30, "cpu": 240, "fsize": 256 << 20, "nofile": 256}


def grade_folder(folder: Path, hidden: Path) -> Iterator[dict[str, object]]:
    """One row per student of ``folder`` (found by :func:`grade.collect`, as ``tasks.py grade``
    finds them), each yielded as soon as it is graded; a student without a capstone notebook
    gets 0 points and why (the collector's problems). Whatever one student's notebook holds,
    the others are graded: a failure while grading a student gives that student 0 points and
    a row saying that grading failed, flagged for review (:func:`_failed`)."""
    for sub in collect(folder, [MASTER]):
        row = {"student": sub.student, "student_id": sub.student_id, "points": 0.0,
               "max_points": _most(), "dev": "", "score": ""}  # fmt: skip
        try:
            graded = _grade_submission(sub.notebooks.get(MASTER), sub.problems, sub.student, hidden)
        except Exception as err:  # one student must never stop the class's grading
            graded = _failed(err)
        yield {**row, **graded, "student": sub.student, "student_id": sub.student_id}


def _grade_submission(
    data: bytes | None, problems: list[str], student: str, hidden: Path
) -> dict[str, object]:
    """The part-2 fields of one student's row from the notebook's bytes ``data`` (None: none
    was collected, for the ``problems`` the collector gave)."""
    import nbformat

    if data is None:
        why = "; ".join(problems) or "no notebook submitted"
        return {"run": f"no 16_capstone notebook graded ({why})"}
    try:  # read as part 1 reads it: a byte-order mark or Windows-1252 is no reason for 0
        nb, _ = _read_notebook(data)
    except ValueError as err:
        return {"run": f"cannot read the notebook: {err}"}
    with tempfile.TemporaryDirectory(prefix="dlnotes-capstone-nb-") as tmp:
        notebook = Path(tmp) / MASTER
        # a lone surrogate (JSON's \ud800, in any cell) cannot be encoded: written as that
        # same JSON escape, so the notebook reads back as it was
        notebook.write_text(nbformat.writes(nb), encoding="utf-8", errors="backslashreplace")
        return grade_one(student, notebook, hidden)


def _failed(err: BaseException) -> dict[str, object]:
    """The part-2 fields of a student whose grading failed in the grader (a bug, or a notebook
    no check foresaw): 0 points, and the instructor's flag."""
    return {
        "points": 0.0,
        "run": f"grading failed ({type(err).__name__}: {str(err)[:200]!r}): REVIEW: grade "
        "this student's part 2 by hand or again",
        "dev": "",
        "score": "",
    }


def _most() -> float:
    from dlnotes import capstone

    return float(capstone.POINTS + 1)  # the dev point and the hidden set's


def grade_one(student: str, notebook: Path, hidden: Path) -> dict[str, object]:
    """Part 2 of one student: run the notebook's ``train_best_model`` in the sandbox, score the
    model it returns (dev point and hidden set)."""
    from dlnotes import capstone
    from dlnotes.capstone.harness import submission_from_notebook

    row: dict[str, object] = {"student": student, "max_points": _most(), "dev": ""}
    try:
        with tempfile.TemporaryDirectory(prefix="dlnotes-capstone-sub-") as tmp:
            try:
                sub = submission_from_notebook(notebook, Path(tmp) / "submission.py")
            except Exception as err:  # a notebook of any shape must not end the class's grading
                why = (
                    err
                    if isinstance(err, (ValueError, OSError))
                    else f"{type(err).__name__}: {err}"
                )
                return {
                    **row,
                    "points": 0.0,
                    "run": f"cannot read the notebook: {why}",
                    "score": "",
                }
            notes = [
                capstone.source_note(sub.stat().st_size),
                capstone.zoo_note(sub.read_text(encoding="utf-8", errors="replace")),
            ]
            plain, run_message = capstone.run_submission(
                sub, wrap=lambda cmd, work: sandboxed(cmd, work, sub)
            )
        dev_points, dev_message, dev_accuracy = dev_point(plain)
        points, message, model_notes = capstone.hidden_evaluation(plain, hidden, dev_accuracy)
    except Exception as err:  # one submission must not end the class's grading
        return {**row, **_failed(err)}
    notes = [*model_notes, *(n for n in notes if n)]
    return {
        **row,
        "points": round(points + dev_points, 2),  # as the score message says them
        "run": run_message + "".join(f"; REVIEW: {note}" for note in notes),
        "dev": dev_message,
        "score": message,
    }


#: The part-2 exercise's name in a merged gradebook (see :func:`merge`).
EXERCISE = "ch16_train_best_model"


def merge(gradebook: Path, rows: list[dict[str, object]]) -> list[str]:
    """Put part 2's ``rows`` into the exercise ``gradebook`` of ``tasks.py grade``, in place;
    return what the instructor should know (students on one side only).

    Each student's row gets the column ``ch16_train_best_model (11)`` and its points added to
    ``score`` and ``max_score``; a part-2 reason when points were lost (the dev point's and the
    scoring's messages, and how the run ended) and the run's REVIEW note in ``flagged`` (for the
    instructor). Students are matched by name as the gradebook writes it
    (:func:`grade.safe_text`), or else by ``student_id``. A student of ``rows`` missing from the
    gradebook gets a row of its own. A gradebook student missing from ``rows`` gets 0 points and
    a reason on the first merge, and keeps its part 2 on a later one (so that one student can be
    graded again alone). Merging again replaces the column, reasons and flags of the students
    in ``rows``. The gradebook must be the capstone's (a ``ch16_`` exercise column); a cell that
    is not a number stops the merge with the row and column named, before anything is written.
    A gradebook saved by a spreadsheet (byte-order mark, empty rows) is read as written.
    """
    most = _most()
    column = f"{EXERCISE} ({most:g})"
    fields, book = read_gradebook(gradebook)
    part1 = [c for c, name, _ in exercise_cells(dict.fromkeys(fields)) if c != column]
    if not any(c.startswith("ch16_") for c in part1):
        raise SystemExit(
            f"{gradebook} has no ch16_ exercise column: not a gradebook of the capstone "
            "(grade part 1 with the key of notebooks/16_capstone.ipynb first)"
        )
    merged_before = column in fields
    if not merged_before:
        fields.insert(fields.index("reason"), column)
    by_name = _index(rows, lambda r: _text(str(r["student"])))
    by_id = _index(rows, lambda r: str(r.get("student_id") or ""))
    used: set[int] = set()
    matched: list[tuple[dict, dict[str, object] | None]] = []
    for entry in book:
        part = by_name.get(entry["student"]) or by_id.get(entry.get("student_id") or "")
        if part is not None and id(part) in used:
            part = None  # one part-2 row is one student's
        if part is not None:
            used.add(id(part))
        matched.append((entry, part))
    # A student number a spreadsheet rewrote (0042 saved as 42), for the rows still unmatched:
    # only a number that one gradebook row and one unused part-2 row have
    left = [r for r in rows if id(r) not in used]
    by_number = _index(left, lambda r: _as_number(str(r.get("student_id") or "")))
    numbers = Counter(_entry_number(entry) for entry, part in matched if part is None)
    for k, (entry, part) in enumerate(matched):
        student_number = _entry_number(entry)
        if part is None and numbers[student_number] == 1 and student_number in by_number:
            matched[k] = (entry, by_number[student_number])
            used.add(id(by_number[student_number]))
    ids = {r.get("student_id", "") for r in book}
    added = []
    for part in rows:
        if id(part) not in used:
            name = _text(str(part["student"]))
            entry = _part2_only(name, _student_id(name, ids), part1)
            book.append(entry)
            matched.append((entry, part))
            added.append(name)
    kept, missing = [], []
    for entry, part in matched:
        try:
            old, score, max_score = (number(entry, c) for c in (column, "score", "max_score"))
        except ValueError as err:
            raise SystemExit(f"{gradebook}: {err}; nothing merged") from None
        if part is None and merged_before and entry.get(column) not in ("", None):
            kept.append(entry["student"])  # graded in an earlier merge: keep it
            continue
        if part is None:
            missing.append(entry["student"])
        counted = merged_before and entry["student"] not in added  # max_score has part 2
        # 2 decimals, as grade_one writes them (a part-2 CSV of an older grader has more), so a
        # total a TA types with 2 decimals adds up
        points = round(float(part["points"]), 2) if part else 0.0  # type: ignore[arg-type]
        if part is None:
            why = "no part-2 result merged (no capstone notebook graded for this student)"
        else:
            run = _run_and_notes(str(part["run"]))[0]
            why = f"{part['dev'] or 'no dev point'}; {part['score'] or 'not scored'}; run: {run}"
        reasons = [r for r in (entry.get("reason") or "").split(" | ") if r.strip()]
        reasons = [r for r in reasons if not r.startswith(f"{EXERCISE}:")]
        if points < most:
            reasons.append(_one(_cut(_text(f"{EXERCISE}: {why}"), MAX_ITEM), " | "))
        flags = [f for f in (entry.get("flagged") or "").split(" | ") if f.strip()]
        flags = [f for f in flags if not f.startswith(f"{EXERCISE}:")]
        if part is not None and _run_and_notes(str(part["run"]))[1]:
            flags.append(_one(_review_flag(str(part["run"])), " | "))
        entry[column] = points_text(points)
        entry["score"] = points_text(score - old + points)
        entry["max_score"] = points_text(max_score + (0 if counted else most))
        entry["reason"], entry["flagged"] = " | ".join(reasons), " | ".join(flags)
    _write_csv(gradebook, book, fields)
    report = []
    if missing:
        report.append(f"{len(missing)} without a part-2 result, 0 points: {', '.join(missing)}")
    if kept:
        report.append(f"{len(kept)} without a new part-2 result kept their earlier one")
    if added:
        report.append(f"{len(added)} not in the gradebook, added as rows: {', '.join(added)}")
    return report


def _run_and_notes(run: str) -> tuple[str, str]:
    """A part-2 ``run`` message split into how the run went and its REVIEW notes for the
    instructor (``""``: none). The notes are the grader's: they follow the run's message, from
    its first ``; REVIEW`` on (or, in a row of a failed grading, its only ``REVIEW``), and
    no text of the learner's can carry the word (the run quotes its stderr with ``REVIEW`` in
    lower case, see ``dlnotes.capstone.budget._quoted``)."""
    head, mark, notes = run.partition("; REVIEW")
    if mark:
        return head, "REVIEW" + notes
    return (run, run) if "REVIEW" in run else (run, "")


#: Room kept in a flag for the run's message however long its REVIEW notes are.
MIN_RUN_ROOM = 200


def _review_flag(run: str) -> str:
    """The ``flagged`` item of a part-2 ``run`` with REVIEW notes: the run's message, cut to
    leave room for the notes, then the notes, whole up to three items' length (cut only past
    that). The message can quote the learner's own text (its stderr, at most 200 characters);
    the notes are the grader's, so no text of the learner's pushes them out (a 1200-character
    stderr line once filled the item's 1000 characters and hid a REVIEW note). Several notes
    together may make the item longer than a reason's 1000 characters: it is the
    instructor's."""
    head, notes = _run_and_notes(run)
    prefix, notes = f"{EXERCISE}: ", _text(notes)
    if notes == _text(run):  # the notes are the whole message (a failed grading)
        return _cut(prefix + notes, 3 * MAX_ITEM)
    room = max(MIN_RUN_ROOM, MAX_ITEM - len(prefix) - len(notes) - 2)
    return f"{prefix}{_cut(_text(head), room)}; {_cut(notes, 3 * MAX_ITEM)}"


def _part2_only(name: str, student_id: str, part1: list[str]) -> dict[str, str]:
    """The row of a student with a part-2 result but no row in the part-1 gradebook: part 1
    counts 0 out of its full points (so that the row's ``max_score`` is everyone's, not part 2's
    alone, which a spreadsheet would read as 100 %), ``partly graded`` with a reason for the
    student (one per part-1 exercise: restoring its points by hand hides it from the feedback)
    and flagged for the instructor."""
    cells = exercise_cells(dict.fromkeys(part1))
    most = sum(points for _, _, points in cells)
    return {
        "student": name,
        "student_id": student_id,
        **dict.fromkeys(part1, "0"),
        "score": "0",
        "max_score": points_text(most),
        "status": "partly graded",
        "reason": " | ".join(
            f"{exercise}: no graded notebook for part 1 was found: 0 / {points:g} points "
            "(ask your instructor)"
            for _, exercise, points in cells
        ),
        "flagged": (
            "REVIEW: no part-1 row for this name; grade the student's notebook with "
            "tasks.py grade and merge again, or check how the name is written"
        ),
    }


def _index(rows: list[dict[str, object]], key: Callable[[dict], str]) -> dict[str, dict]:
    """``rows`` by ``key``, leaving out an empty key and a key that several rows share (two names
    that differ only by the spreadsheet guard, ``=x`` and ``'=x``, are both written ``'=x``:
    neither is matched by name, each is matched by its ``student_id``)."""
    counts = Counter(key(r) for r in rows)
    return {key(r): r for r in rows if key(r) and counts[key(r)] == 1}


def _as_number(text: str) -> str:
    """A student number as a spreadsheet rewrites it, ``0042`` and ``42.0`` → ``42`` (else ``""``:
    only ASCII digits count, not ``²`` or another script's digits)."""
    digits = text.strip().removesuffix(".0")
    return str(int(digits)) if digits.isascii() and digits.isdecimal() else ""


def _entry_number(entry: dict) -> str:
    """A gradebook row's student number: its ``student_id``'s, else its name's (``""``: none)."""
    return _as_number(entry.get("student_id") or "") or _as_number(str(entry["student"]))


def dev_point(plain: dict[str, object] | None) -> tuple[float, str, float | None]:
    """The point of the cell ``ch16_train_best_model_test``: a model came back, it rebuilds from
    plain data, and its dev accuracy beats the baseline; computed here, in the grader's process.
    Also the dev accuracy (None: no model, or one that cannot be used), which the hidden set's
    review compares with (:data:`dlnotes.capstone.scoring.MAX_HIDDEN_OVER_DEV`)."""
    from dlnotes import capstone
    from dlnotes.train import evaluate

    if plain is None:
        return 0.0, "no model: 0 / 1", None
    try:
        model = capstone.model_from_plain(plain)
        data = capstone.capstone_data()
        acc = float(evaluate(model, data["X_dev"], data["y_dev"])[1])
    except (TypeError, ValueError) as err:  # a message may quote the learner's file: cut
        return 0.0, f"the model cannot be used ({_cut(str(err), 300)}): 0 / 1", None
    won = acc > capstone.BASELINE
    return (
        float(won),
        (
            f"dev accuracy {acc:.1%} {'above' if won else 'not above'} the baseline "
            f"{capstone.BASELINE:.1%} (its hidden-test accuracy): {int(won)} / 1"
        ),
        acc,
    )


def read_part2(path: Path) -> list[dict[str, object]]:
    """The rows of a part-2 CSV written earlier (``--out``), to merge again without running the
    submissions again (``--merge-only``, e.g. after part 1 was graded again)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not {"student", "points", "run"} <= set(reader.fieldnames or []):
            raise SystemExit(f"{path} is not a part-2 CSV of tasks.py capstone-grade")
        rows: list[dict[str, object]] = [dict(r) for r in reader if (r.get("student") or "")]
    for row in rows:
        try:
            row["points"] = number(row, "points")
        except ValueError as err:
            raise SystemExit(f"{path}: {err}") from None
    return rows


def _text(text: str) -> str:
    """A text of a part-2 row as the CSV, the gradebook and the terminal get it: a lone
    surrogate (from a notebook's JSON or a file name's bytes) as its escape (``\\udcff``, no
    encoder refuses it), then :func:`grade.safe_text` (control characters escaped, no formula)."""
    return safe_text(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, nargs="?", help="the submissions folder")
    parser.add_argument("--hidden", type=Path, help="the hidden test set (.npz)")
    parser.add_argument("--out", type=Path, default=ROOT / "grading" / "capstone-part2.csv")
    parser.add_argument(
        "--gradebook", type=Path, help="a gradebook of tasks.py grade to merge part 2 into"
    )
    parser.add_argument(
        "--merge-only",
        type=Path,
        metavar="PART2_CSV",
        help="merge this part-2 CSV (an earlier --out) into --gradebook; nothing is run",
    )
    args = parser.parse_args(argv)
    if args.gradebook is not None and not args.gradebook.is_file():
        parser.error(f"no gradebook at {args.gradebook} (grade part 1 with tasks.py grade first)")
    if args.merge_only is not None:
        if args.gradebook is None or not args.merge_only.is_file():
            parser.error("--merge-only needs an existing part-2 CSV and --gradebook")
        for line in merge(args.gradebook, read_part2(args.merge_only)):
            print(f"[capstone] merge: {line}")
        print(f"[capstone] {args.merge_only} merged into {args.gradebook} as {EXERCISE}")
        return 0
    if args.submissions is None:
        parser.error(
            "give the submissions folder (or --merge-only PART2_CSV --gradebook GRADEBOOK)"
        )
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if args.hidden is None:
        parser.error("--hidden is required: the hidden test set written by tasks.py capstone-test")
    if not args.hidden.is_file():
        parser.error(f"no hidden test set at {args.hidden} (write it with tasks.py capstone-test)")
    sandbox.bwrap()  # fail early, with the reason, when no sandbox can be made here
    args.out.parent.mkdir(parents=True, exist_ok=True)
    graded = []
    with private_open(args.out) as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        for row in grade_folder(args.submissions, args.hidden):
            row = {k: _text(v) if isinstance(v, str) else v for k, v in row.items()}
            graded.append(row)
            writer.writerow(row)
            fh.flush()
            points = f"{row['points']:g}/{row['max_points']:g}"
            print(f"[capstone] {row['student']}: {points}  {row['run']}")
    print(f"[capstone] part-2 results written to {args.out}")
    if args.gradebook is not None:
        for line in merge(args.gradebook, graded):
            print(f"[capstone] merge: {line}")
        print(f"[capstone] part 2 merged into {args.gradebook} as {EXERCISE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
