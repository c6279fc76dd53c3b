#!/usr/bin/env python3
"""Grade a folder of submitted notebooks with nbgrader: ``python3 tasks.py grade SUBMISSIONS``.

    python3 tasks.py grade SUBMISSIONS [--assignment NAME] [--source notebooks]
                           [--out grading/gradebook.csv] [--timeout 30] [--feedback]

Layouts accepted in SUBMISSIONS (mixed freely):

* ``<student>/<notebook>.ipynb`` (any depth below the student's folder);
* ``<student>.zip`` holding the student's notebooks (e.g. an LMS download);
* ``<student>_<notebook>.ipynb`` directly in SUBMISSIONS (nbgrader's zip_collect style).

A submitted notebook is matched to a master in ``--source`` by name; "Copy of X.ipynb" and
"X (1).ipynb" count as X, and a student's only notebook counts as the assignment's only one.

Steps: build a throwaway nbgrader course under ``grading/<assignment>/`` (git-ignored), run
``generate_assignment`` on the master notebooks (the hidden tests are stored in its gradebook
and restored into every submission), copy the submissions in, ``autograde`` each student with
a per-cell ``--timeout`` (an interrupted cell scores zero, the rest of the notebook still runs),
``export`` nbgrader's CSV (``grading/<assignment>/grades.csv``) and write ``--out``: one row per
student with the score, each exercise's score, a status and the reason for every zero that is
not an ordinary wrong answer. No submission is lost: a student whose files cannot be read or
graded appears with score 0 and the reason.

Run it inside a throwaway container without network (see book/instructors.md): nbgrader runs
the students' code with your permissions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".dlnotes-grading"  # only folders holding this file are ever wiped


@dataclass
class Submission:
    """One student's files: ``notebooks`` maps a master's file name to the submitted bytes."""

    student: str  # the name as found (folder, zip or file prefix)
    student_id: str = ""  # the id given to nbgrader (safe characters only)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Collecting submissions
# --------------------------------------------------------------------------------------------


def _canonical(name: str) -> str:
    """``"Copy of 02_x (1).ipynb"`` -> ``"02_x.ipynb"``: how learners' downloads get renamed."""
    stem = Path(name).name
    stem = re.sub(r"\.ipynb$", "", stem, flags=re.I)
    stem = re.sub(r"^(copy of\s+)+", "", stem, flags=re.I)
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    return stem.strip() + ".ipynb"


def _match(files: dict[str, bytes], masters: list[str], sub: Submission) -> None:
    """Put each submitted file under the master notebook it answers (or say why not)."""
    unmatched = {}
    for name, data in sorted(files.items()):
        canon = _canonical(name)
        if canon in masters and canon not in sub.notebooks:
            sub.notebooks[canon] = data
            if canon != Path(name).name:
                sub.problems.append(f"note: {Path(name).name} graded as {canon}")
        else:
            unmatched[name] = data
    missing = [m for m in masters if m not in sub.notebooks]
    if len(unmatched) == 1 and len(missing) == 1 and len(masters) == 1:
        name, data = unmatched.popitem()
        sub.notebooks[missing[0]] = data
        sub.problems.append(f"note: {Path(name).name} graded as {missing[0]}")
    for name in unmatched:
        sub.problems.append(f"ignored {Path(name).name}: not a notebook of this assignment")


def collect(folder: Path, masters: list[str]) -> list[Submission]:
    """Every submission in ``folder`` (see the module docstring for the layouts)."""
    found: dict[str, dict[str, bytes]] = {}
    problems: dict[str, list[str]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            files = {
                str(p.relative_to(entry)): p.read_bytes()
                for p in sorted(entry.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts
            }
            found.setdefault(entry.name, {}).update(files)
        elif entry.suffix.lower() == ".zip":
            student = entry.stem
            files = {}
            try:
                with zipfile.ZipFile(entry) as zf:
                    for info in zf.infolist():
                        if (
                            info.filename.lower().endswith(".ipynb")
                            and "__MACOSX" not in info.filename
                            and ".ipynb_checkpoints" not in info.filename
                        ):
                            files[info.filename] = zf.read(info)
            except (zipfile.BadZipFile, OSError) as err:
                problems.setdefault(student, []).append(f"could not open {entry.name}: {err}")
            found.setdefault(student, {}).update(files)
        elif entry.suffix.lower() == ".ipynb":
            for master in masters:
                suffix = "_" + master
                if entry.name.endswith(suffix) and len(entry.name) > len(suffix):
                    student = entry.name[: -len(suffix)]
                    found.setdefault(student, {})[master] = entry.read_bytes()
                    break
            else:
                problems.setdefault(entry.stem, []).append(
                    f"{entry.name}: a loose notebook not named <student>_<notebook>.ipynb; "
                    "not graded"
                )
                found.setdefault(entry.stem, {})
        else:
            problems.setdefault(entry.name, []).append("not a folder, .zip or .ipynb: not graded")
            found.setdefault(entry.name, {})
    subs = []
    used: set[str] = set()
    for student in sorted(found):
        sub = Submission(student=student, problems=list(problems.get(student, [])))
        sub.student_id = _student_id(student, used)
        _match(found[student], masters, sub)
        if not found[student] and not sub.problems:
            sub.problems.append("no notebook submitted")
        subs.append(sub)
    return subs


def _student_id(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "student"
    sid, k = base, 2
    while sid in used:
        sid, k = f"{base}_{k}", k + 1
    used.add(sid)
    return sid


# --------------------------------------------------------------------------------------------
# Preparing notebooks
# --------------------------------------------------------------------------------------------


def _read_notebook(data: bytes):
    """The submitted notebook, or raise ``ValueError`` saying why it cannot be graded."""
    import nbformat

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError as err:
        raise ValueError(f"not a text file ({err})") from None
    except Exception as err:  # nbformat raises several kinds for broken JSON
        raise ValueError(f"not a valid notebook ({type(err).__name__}: {err})") from None
    return nb


def _repair(nb, release) -> list[str]:
    """Give back nbgrader metadata that an editor dropped.

    A cell without metadata gets that of the release cell with the same id; failing that, a
    test cell gets it from the release cell with exactly the same source (locked test cells are
    unchanged), and a solution cell from the one with the same first line (its ``def`` line), in
    notebook order. Without this, nbgrader cannot tell which cells hold the answers.
    """
    graded = [c for c in release.cells if "nbgrader" in c.metadata]
    present = {c.metadata["nbgrader"].get("grade_id") for c in nb.cells if "nbgrader" in c.metadata}
    bare = [c for c in nb.cells if "nbgrader" not in c.metadata]
    fixed: list[str] = []

    def give(cell, source) -> None:
        cell.metadata["nbgrader"] = json.loads(json.dumps(source.metadata["nbgrader"]))
        present.add(source.metadata["nbgrader"]["grade_id"])
        fixed.append(source.metadata["nbgrader"]["grade_id"])
        bare.remove(cell)

    def first_line(text: str) -> str:
        return text.strip().splitlines()[0].strip() if text.strip() else ""

    by_id = {c.get("id"): c for c in graded}
    for cell in list(bare):
        source = by_id.get(cell.get("id"))
        if source is not None and source.metadata["nbgrader"]["grade_id"] not in present:
            give(cell, source)
    for source in graded:
        if source.metadata["nbgrader"]["grade_id"] in present:
            continue
        meta = source.metadata["nbgrader"]
        for cell in bare:
            same = (
                cell.source.strip() == source.source.strip()
                if meta.get("grade") and not meta.get("solution")
                else first_line(source.source).startswith("def ")
                and first_line(cell.source) == first_line(source.source)
            )
            if same and cell.cell_type == source.cell_type:
                give(cell, source)
                break
    return [f"note: restored nbgrader metadata of {', '.join(fixed)}"] if fixed else []


# --------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------


def _config(course: Path, timeout: int):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.course_id = "dlnotes"
    c.Exchange.root = str(course / "exchange")
    c.Execute.timeout = timeout
    c.Execute.startup_timeout = 120
    c.OverwriteCells.add_missing_cells = True
    c.NbGraderAPI.log_level = "WARN"
    return c


def _config_file(course: Path, timeout: int) -> str:
    return "\n".join(
        [
            "# Written by tools/grade.py: lets you run nbgrader by hand in this folder.",
            "c = get_config()  # noqa: F821",
            'c.CourseDirectory.course_id = "dlnotes"',
            f'c.Exchange.root = "{course / "exchange"}"',
            f"c.Execute.timeout = {timeout}",
            "c.Execute.startup_timeout = 120",
            "c.OverwriteCells.add_missing_cells = True",
            "",
        ]
    )


def _cause(result: dict) -> str:
    """The most specific error line in an nbgrader result (its log holds the real traceback)."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [ln.strip() for ln in text.splitlines()]
    for ln in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b.*:", ln) and "NbGraderException" not in ln:
            return ln[:200]
    return next((ln for ln in reversed(lines) if ln), "no message")[:200]


def _exercise(grade_id: str) -> str:
    return re.sub(r"_(test|tests|hidden|visible)$", "", grade_id)


def _cell_messages(autograded: Path, timeout: int) -> dict[str, str]:
    """``{grade_id: what went wrong}`` for every nbgrader cell (answer or test) that failed."""
    import nbformat

    out = {}
    nb = nbformat.read(autograded, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not (meta.get("grade") or meta.get("solution")):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        if any(o.get("ename") == "CellTimeoutError" for o in errors):
            out[meta["grade_id"]] = f"cell stopped after the {timeout} s time limit"
            continue
        lines = (errors[0].get("evalue") or "").strip().splitlines()
        text = f"{errors[0].get('ename')}: {lines[0] if lines else ''}".strip()
        if len(text) > 200:
            text = text[:197] + "..."
        named = [ln.strip().split(" — ")[0] for ln in lines if "Likely mistake:" in ln]
        out[meta["grade_id"]] = text + (f" [{named[0]}]" if named else "")
    return out


def grade(
    submissions: Path,
    *,
    source: Path,
    assignment: str | None,
    out: Path | None,
    timeout: int,
    course: Path | None = None,
    feedback: bool = False,
) -> list[dict]:
    """Grade every submission in ``submissions``; write the gradebook CSV and return its rows.

    ``out`` defaults to ``grading/<assignment>-gradebook.csv``.
    """
    import nbformat
    from nbgrader.apps import NbGraderAPI

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's SQLAlchemy noise
    # nbgrader runs `alembic` from PATH: make sure this interpreter's scripts come first.
    scripts = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != scripts:
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    masters_all = sorted(p.name for p in source.glob("*.ipynb"))
    if not masters_all:
        raise SystemExit(f"no master notebooks in {source}")
    subs = collect(submissions, masters_all)
    submitted_names = {name for s in subs for name in s.notebooks}
    masters = [m for m in masters_all if m in submitted_names] or masters_all
    if len(masters) < len(masters_all):  # match again, now against the assignment's notebooks only
        subs = collect(submissions, masters)
    name = assignment or (Path(masters[0]).stem if len(masters) == 1 else "dlnotes")
    course = course or ROOT / "grading" / name
    if course.exists():
        if not (course / MARKER).exists():
            raise SystemExit(f"{course} exists and was not made by tools/grade.py; not touching it")
        shutil.rmtree(course)
    (course / "source" / name).mkdir(parents=True)
    (course / MARKER).write_text("throwaway nbgrader course written by tools/grade.py\n")
    (course / "nbgrader_config.py").write_text(_config_file(course, timeout))
    for m in masters:
        shutil.copy(source / m, course / "source" / name / m)

    api = NbGraderAPI(config=_config(course, timeout))
    result = api.generate_assignment(name)
    if not result["success"]:
        raise SystemExit(
            "nbgrader generate_assignment failed:\n"
            f"{result.get('log', '')}\n{result.get('error', '')}"
        )
    releases = {m: nbformat.read(course / "release" / name / m, as_version=4) for m in masters}

    notes: dict[str, list[str]] = {}
    for sub in subs:
        notes[sub.student_id] = list(sub.problems)
        dest = course / "submitted" / sub.student_id / name
        for master, data in sub.notebooks.items():
            try:
                nb = _read_notebook(data)
            except ValueError as err:
                notes[sub.student_id].append(f"{master}: {err}; scored 0")
                continue
            notes[sub.student_id] += _repair(nb, releases[master])
            dest.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest / master)
        if not dest.exists():
            continue
        print(f"[grade] autograding {sub.student_id} ...", flush=True)
        result = api.autograde(name, sub.student_id)
        if not result["success"]:  # e.g. nbgrader could not put back a deleted test cell
            api.config.OverwriteCells.add_missing_cells = False
            result = api.autograde(name, sub.student_id)
            api.config.OverwriteCells.add_missing_cells = True
            if result["success"]:
                notes[sub.student_id].append("note: graded without re-adding missing test cells")
        if not result["success"]:
            notes[sub.student_id].append(f"autograde failed ({_cause(result)}); scored 0")
        elif feedback:
            api.generate_feedback(name, sub.student_id)

    rows = _gradebook_rows(api, course, name, masters, subs, notes, timeout)
    _write_csv(out or ROOT / "grading" / f"{name}-gradebook.csv", rows)
    _export_nbgrader_csv(api, course / "grades.csv")
    return rows


def _gradebook_rows(
    api,
    course: Path,
    name: str,
    masters: list[str],
    subs: list[Submission],
    notes: dict[str, list[str]],
    timeout: int,
) -> list[dict]:
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        max_by_exercise: dict[str, float] = {}
        for m in masters:
            for cell in gb.find_notebook(Path(m).stem, name).grade_cells:
                key = _exercise(cell.name)
                max_by_exercise[key] = max_by_exercise.get(key, 0.0) + float(cell.max_score)
        max_score = sum(max_by_exercise.values())
        rows = []
        for sub in subs:
            row: dict = {"student": sub.student, "student_id": sub.student_id}
            scores = dict.fromkeys(max_by_exercise, 0.0)
            messages: list[str] = []
            graded = False
            try:
                submission = gb.find_submission(name, sub.student_id)
            except MissingEntry:
                submission = None
            if submission is not None:
                for nb in submission.notebooks:
                    path = course / "autograded" / sub.student_id / name / f"{nb.name}.ipynb"
                    errors = _cell_messages(path, timeout) if path.exists() else {}
                    graded = graded or path.exists()
                    messages += [f"{grade_id}: {text}" for grade_id, text in errors.items()]
                    for g in nb.grades:
                        key = _exercise(g.name)
                        scores[key] = scores.get(key, 0.0) + float(g.score or 0.0)
            total = sum(scores.values())
            reasons = [n for n in notes.get(sub.student_id, []) if not n.startswith("note:")]
            if not graded:
                status = "not graded"
                reasons = reasons or ["no gradable notebook"]
            elif reasons:
                status = "partly graded"
            else:
                status = "graded"
            row.update({"score": total, "max_score": max_score, "status": status})
            row.update({f"{k} ({max_by_exercise[k]:g})": scores[k] for k in max_by_exercise})
            row["reason"] = "; ".join(
                reasons + [n[6:] for n in notes.get(sub.student_id, []) if n.startswith("note:")]
            )
            row["failed checks"] = " | ".join(messages)
            rows.append(row)
    return rows


def _write_csv(out: Path, rows: list[dict]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = list(rows[0]) if rows else ["student", "score", "max_score", "status", "reason"]
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _export_nbgrader_csv(api, dest: Path) -> None:
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(to=str(dest))
    with api.gradebook as gb:
        plugin.export(gb)


def summary(rows: list[dict]) -> str:
    """The gradebook as a text table: student, score, status, reason."""
    width = max([len("student"), *(len(r["student"]) for r in rows)])
    lines = [f"{'student':<{width}}  {'score':>9}  {'status':<13}  reason"]
    for r in rows:
        score = f"{r['score']:g}/{r['max_score']:g}"
        reason = r["reason"] if len(r["reason"]) <= 90 else r["reason"][:87] + "..."
        lines.append(f"{r['student']:<{width}}  {score:>9}  {r['status']:<13}  {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submissions (see the layouts)")
    parser.add_argument("--assignment", help="nbgrader assignment name (default: the notebook's)")
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT / "notebooks",
        help="folder of master notebooks (default: notebooks/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="gradebook CSV to write (default: grading/<assignment>-gradebook.csv)",
    )
    parser.add_argument("--timeout", type=int, default=30, help="seconds per cell (default 30)")
    parser.add_argument(
        "--course",
        type=Path,
        default=None,
        help="throwaway nbgrader course folder (default: grading/<assignment>)",
    )
    parser.add_argument("--feedback", action="store_true", help="also write HTML feedback")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout}")
    rows = grade(
        args.submissions,
        source=args.source,
        assignment=args.assignment,
        out=args.out,
        timeout=args.timeout,
        course=args.course,
        feedback=args.feedback,
    )
    print(summary(rows))
    where = args.out or "grading/<assignment>-gradebook.csv"
    print(f"[grade] {len(rows)} submissions graded; gradebook written to {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
