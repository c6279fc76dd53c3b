#!/usr/bin/env python3
"""Grade a folder of submitted notebooks: ``python3 tasks.py grade SUBMISSIONS --key KEY``.

    python3 tasks.py key [--seed N] [--out grading/key.pkl] [--force] [notebooks...]  (once)
    python3 tasks.py grade SUBMISSIONS --key grading/key.pkl [--source notebooks]
                           [--notebooks NAME ...] [--out grading/gradebook.csv]
                           [--update | --force] [--jobs N] [--timeout 60]
    python3 tasks.py feedback grading/gradebook.csv --out grading/feedback   (after review)

Layouts accepted in SUBMISSIONS (mixed freely):

* ``<student>/<notebook>.ipynb`` (any depth below the student's folder);
* ``<student>.zip`` holding one student's notebooks (a whole-class download from an LMS holds a
  folder per student: unzip it into SUBMISSIONS; a zip or folder holding the notebook in three
  or more top-level folders is refused as one, in two it is one student's two candidates);
* ``<student>_<notebook>.ipynb`` directly in SUBMISSIONS (nbgrader's zip_collect style);
* ``<student>.ipynb`` directly in SUBMISSIONS, when the key has a single notebook (as the
  capstone's ``tools/grade_capstone.py`` accepts too).

A submitted notebook is matched to a master in ``--source`` by name; "Copy of X.ipynb" and
"X (1).ipynb" count as X (also after a ``<student>_`` prefix), and a student's only notebook
counts as the assignment's only one. ``__MACOSX``, files that are neither folders, zips nor
notebooks, and a notebook named like a master beside students' entries are skipped with a
warning (such a notebook alone means SUBMISSIONS is one student's folder: grading stops);
macOS's ``._*`` files are skipped silently, and a student's notebook of no master is a note.
Only folders and regular files are read: a symbolic link is never followed, nor a named pipe
opened (each is a problem of its student, or a warning directly in SUBMISSIONS).
The assignment is the key's notebooks named by ``--notebooks``, or else those submitted (with a
warning for one that fewer than half of the students submitted). An existing gradebook is not
overwritten without ``--force``; ``--update`` grades the students in SUBMISSIONS again and
replaces only their rows (see :func:`updated_gradebook`).

Scoring does not run in the learner's kernel: for each student and each exercise a fresh
bubblewrap sandbox runs the master's imports and the student's answer cells (nbgrader's
``solution`` cells; test cells are never taken from a submission), calls the student's
function on the instructor key's cases and sends the results back as plain data, which this
process compares with the key (see ``tools/grading/``). The gradebook CSV gets one row per
student as soon as that student is graded: the score, each exercise's score, a status, a reason
for every lost point, and a ``flagged`` column (copying or dodging the grader) for review.
"""

from __future__ import annotations

import argparse
import csv
import errno
import json
import math
import os
import re
import stat
import struct
import sys
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "grading"))


@dataclass
class Submission:
    """One student's files: ``notebooks`` maps a master's file name to the submitted bytes."""

    student: str  # the name as found (folder, zip or file prefix)
    student_id: str = ""  # the id given to nbgrader (safe characters only)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # master -> the file graded for it


class UsageError(SystemExit):
    """A mistake in the instructor's command or files (a missing key, a folder of one student):
    :func:`main` prints it as one line and exits with status 2; uncaught, it is a ``SystemExit``
    with its message (as ``tools/grade_capstone.py`` sees it)."""


def warn(message: str, warnings: list[str] | None = None) -> None:
    """A warning for the instructor: kept in ``warnings`` when given, else printed now."""
    if warnings is None:
        print(f"[grade] WARNING: {terminal_text(message)}", file=sys.stderr, flush=True)
    else:
        warnings.append(message)


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


def _loose_match(name: str, masters: list[str]) -> tuple[str, str] | None:
    """``(student, master)`` of a loose ``<student>_<notebook>.ipynb``, download renames
    forgiven as for any name (``ada_02_x (1).ipynb``, ``bea_Copy of 02_x.ipynb``), else None."""
    canon = _canonical(name)
    for master in masters:
        found = re.fullmatch(rf"(.+?)_(?:copy of\s+)*{re.escape(master)}", canon, flags=re.I)
        if found:
            return found[1], master
    return None


def _answers(name: str, student: str, masters: list[str]) -> str:
    """The master a submitted file's name answers (its canonical name, or the notebook after a
    ``<student>_`` prefix of its own student), else its canonical name."""
    canon = _canonical(name)
    loose = None if canon in masters else _loose_match(Path(name).name, masters)
    return loose[1] if loose and loose[0] == student else canon


def _match(files: dict[str, bytes], masters: list[str], sub: Submission) -> None:
    """Put each submitted file under the master notebook it answers (or say why not).

    When several files answer one master ("X.ipynb" and "Copy of X.ipynb", or two folders),
    the one named exactly like the master is graded (else the first by path), and a note names
    every candidate, so that the instructor can grade another one instead."""
    unmatched = {}
    candidates: dict[str, list[str]] = {}
    for name in sorted(files):
        canon = _answers(name, sub.student, masters)
        if canon in masters:
            candidates.setdefault(canon, []).append(name)
        else:
            unmatched[name] = files[name]
    for canon, names in candidates.items():
        exact = [n for n in names if Path(n).name == canon]
        chosen = (exact or names)[0]
        sub.notebooks[canon] = files[chosen]
        sub.sources[canon] = chosen
        if len(names) > 1:
            sub.problems.append(
                f"note: {len(names)} notebooks answer {canon} ({', '.join(names)}), graded "
                f"{chosen}"
                + (
                    " (the exact name)"
                    if len(exact) == 1
                    else " (the first by path of those with the exact name)"
                    if exact
                    else " (the first by name)"
                )
            )
        elif Path(chosen).name not in (canon, f"{sub.student}_{canon}"):  # its own name: no note
            sub.problems.append(f"note: {Path(chosen).name} graded as {canon}")
    missing = [m for m in masters if m not in sub.notebooks]
    if len(unmatched) == 1 and len(missing) == 1 and len(masters) == 1:
        name, data = unmatched.popitem()
        sub.notebooks[missing[0]] = data
        sub.sources[missing[0]] = name
        sub.problems.append(f"note: {Path(name).name} graded as {missing[0]}")
    names = list(unmatched)
    for name in names[:MAX_NAMED]:
        sub.problems.append(f"note: ignored {Path(name).name}: not a notebook of this assignment")
    if len(names) > MAX_NAMED:
        sub.problems.append(
            f"note: ignored {len(names) - MAX_NAMED} more notebooks that are not of this assignment"
        )


#: the most files of one student named one by one in notes (the rest are counted in one)
MAX_NAMED = 10


#: the largest notebook read (a notebook with its outputs and images is a few MB); a larger
#: file, or one that unpacks larger from a zip (a zip bomb), is not read into memory at all
MAX_NOTEBOOK_BYTES = 64 << 20


#: all the notebooks read of one student, together (a 6 KB zip of thirty 63 MiB notebooks held
#: 2 GB before anyone was graded); the rest of them are not read
MAX_SUBMISSION_BYTES = 2 * MAX_NOTEBOOK_BYTES
#: the most files a zip may list (its directory is read whole before any file is)
MAX_ZIP_ENTRIES = 10_000


def _read_capped(opened: Any, name: str, problems: list[str], budget: list[int]) -> bytes | None:
    """At most :data:`MAX_NOTEBOOK_BYTES` of an open file, and no more than the student's
    ``budget[0]`` bytes left (:data:`MAX_SUBMISSION_BYTES`), else None and a problem."""
    cap = min(MAX_NOTEBOOK_BYTES, budget[0])
    data = opened.read(cap + 1)
    if len(data) > cap:
        problems.append(
            f"{name}: larger than {MAX_NOTEBOOK_BYTES >> 20} MiB; not graded"
            if cap == MAX_NOTEBOOK_BYTES
            else f"{name}: not read, past {MAX_SUBMISSION_BYTES >> 20} MiB of notebooks in all"
        )
        return None
    budget[0] -= len(data)
    return bytes(data)


def _open_regular(path: Path) -> Any:
    """``path`` opened for reading when it is a regular file, never through a symbolic link (a
    student's ``02_x.ipynb -> ../alice/02_x.ipynb`` or ``-> /etc/shadow``, read by a grader
    running as root) and never blocking (a FIFO named ``.ipynb`` held the grader forever);
    else ``OSError`` saying what it is."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise OSError(f"{kind}, not a file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    """What a file that is not a regular one is (``""`` for a regular file)."""
    for test, kind in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return kind
    return "" if stat.S_ISREG(mode) else "not a regular file"


_LINK = "a symbolic link, not a file (links are not followed)"


def _read_file(path: Path, name: str, problems: list[str], budget: list[int]) -> bytes | None:
    """The bytes of one submitted file (see :func:`_open_regular` and :func:`_read_capped`), or
    None and the student's problem saying why not: what the file is, never what it holds (nor,
    for a link, where it points)."""
    try:
        with _open_regular(path) as fh:
            return _read_capped(fh, name, problems, budget)
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
            why = _LINK
        else:
            why = err.strerror or (str(err.args[0]) if err.args else type(err).__name__)
        problems.append(f"note: skipped {name}: {why}; send the notebook file itself")
        return None


def _notebook_paths(entry: Path, problems: list[str]) -> list[Path]:
    """The ``*.ipynb`` files below a student's folder, in order, found without following a
    symbolic link: a link named ``*.ipynb`` is a problem and a link to a folder a note, each
    naming the link, never its target. A folder named ``*.ipynb`` is a folder."""

    def unreadable(err: OSError) -> None:
        where = Path(err.filename).relative_to(entry) if err.filename else entry.name
        problems.append(f"note: could not read the folder {where}: {err.strerror}")

    found = []
    for top, dirs, files in os.walk(entry, onerror=unreadable, followlinks=False):
        here = Path(top)
        for name in sorted(dirs):
            if name == ".ipynb_checkpoints" or (here / name).is_symlink():
                dirs.remove(name)
                if name != ".ipynb_checkpoints":
                    rel = (here / name).relative_to(entry)
                    problems.append(
                        f"note: skipped {rel}: a symbolic link to a folder (links are not followed)"
                    )
        dirs.sort()
        for name in files:
            if name.lower().endswith(".ipynb") and not _apple_double(name):
                found.append(here / name)
    return sorted(found)


def _read_folder(entry: Path, problems: list[str], budget: list[int]) -> dict[str, bytes]:
    files = {}
    for p in _notebook_paths(entry, problems):
        name = str(p.relative_to(entry))
        data = _read_file(p, name, problems, budget)
        if data is not None:
            files[name] = data
    return files


#: the largest zip directory read (an honest entry takes about 100 bytes of it, so
#: :data:`MAX_ZIP_ENTRIES` of them fit 40 times over); a larger one is not read, since
#: ``zipfile`` reads it whole into objects of a few hundred bytes per entry
MAX_ZIP_DIRECTORY = 400 * MAX_ZIP_ENTRIES


def _zip_too_large(fh: Any) -> str | None:
    """Why an open zip is not read, from its end record (its count of files and the size of its
    directory), before ``zipfile`` reads the directory; None when the record is fine or missing
    (``zipfile`` will say why). The count can lie (a 60 MB zip of 600 000 files said 1: the
    grader held 364 MB and wrote 600 000 notes), so the directory's size is bounded too, which
    is all that ``zipfile`` reads of it, and the files it then lists are counted again. The
    record is read by ``zipfile``'s own reader, zip64 record included, so that the check and
    the reading cannot disagree (a zip64 record, or a record found 4 bytes late by a search
    for its signature, let the same zip through)."""
    try:
        end = zipfile._EndRecData(fh)  # what ZipFile itself will use
    except (OSError, struct.error, zipfile.BadZipFile):
        return None
    if not end:
        return None
    total, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if total > MAX_ZIP_ENTRIES:
        return f"lists more than {MAX_ZIP_ENTRIES} files"
    if directory > MAX_ZIP_DIRECTORY:
        return f"has a directory of {directory} bytes, more than the {MAX_ZIP_DIRECTORY} read"
    return None


def _zip_link(info: zipfile.ZipInfo) -> bool:
    """Whether a zip member is a symbolic link (Unix's ``zip -y``), whose content is its target."""
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _read_zip(entry: Path, problems: list[str], budget: list[int]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with _open_regular(entry) as raw:
            refused = _zip_too_large(raw)
            if refused:
                problems.append(f"{entry.name} {refused}; not read")
                return files
            raw.seek(0)
            with zipfile.ZipFile(raw) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_ZIP_ENTRIES:
                    problems.append(
                        f"{entry.name} lists more than {MAX_ZIP_ENTRIES} files; not read"
                    )
                    return files
                for info in infos:
                    if (
                        not info.filename.lower().endswith(".ipynb")
                        or "__MACOSX" in info.filename
                        or ".ipynb_checkpoints" in info.filename
                        or _apple_double(info.filename)
                        or info.is_dir()
                    ):
                        continue
                    if _zip_link(info):
                        problems.append(
                            f"note: skipped {info.filename}: {_LINK}; send the notebook file itself"
                        )
                        continue
                    with zf.open(info) as fh:  # read as it unpacks, never more than the cap
                        data = _read_capped(fh, info.filename, problems, budget)
                    if data is not None:
                        files[info.filename] = data
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        problems.append(f"could not open {entry.name}: {_cut(why, 200)}")
    return files


def _apple_double(name: str) -> bool:
    """Whether ``name`` is macOS's AppleDouble file (``._02_x.ipynb``: a file's resource fork
    that a Mac's zip or copy to another disk leaves beside it), no notebook."""
    return Path(name).name.startswith("._")


def _merge(into: dict[str, bytes], files: dict[str, bytes], entry: Path, problems: list[str]):
    """Add one folder's or zip's notebooks to a student's; a notebook of the same path that
    both ``bob/`` and ``bob.zip`` hold is graded from the first by name (the folder), and said."""
    for name, data in files.items():
        if name in into and into[name] != data:
            problems.append(f"{entry.name} also holds {name}, a different one: not graded")
        else:
            into.setdefault(name, data)


def _skipped(entry: Path) -> str | None:
    """Why an entry of SUBMISSIONS is no student's (None when it may be one)."""
    if entry.name == "__MACOSX":
        return "macOS's archive metadata, not a student"
    if not entry.is_dir() and entry.suffix.lower() not in (".zip", ".ipynb"):
        return "not a folder, .zip or .ipynb, so no student's submission"
    return None


def _whole_class(files: dict[str, bytes], masters: list[str]) -> list[str]:
    """The folders of a folder's or zip's ``files`` (below the ones they all share) that hold a
    notebook of the assignment, when there are three or more (an LMS's whole-class download),
    else none: two (``draft/`` and ``final/``) are one student's candidates (see :func:`_match`)."""
    paths = [
        Path(name).parts
        for name in files
        if _canonical(name) in masters or _loose_match(Path(name).name, masters)
    ]
    shared = 0  # the folders every one of them is in
    while paths and all(len(p) > shared + 1 and p[shared] == paths[0][shared] for p in paths):
        shared += 1
    tops = {parts[shared] for parts in paths if len(parts) > shared + 1}
    return sorted(tops) if len(tops) > 2 else []


def _one_students(
    files: dict[str, bytes], entry: Path, masters: list[str], problems: list[str], warnings
) -> dict[str, bytes]:
    """``files`` of a folder or zip, or none when they look like a whole class's."""
    tops = _whole_class(files, masters)
    if not tops:
        return files
    shown = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")
    why = f"{entry.name} looks like a whole class ({len(tops)} folders hold the notebook: {shown})"
    problems.append(f"{why}: unzip it into SUBMISSIONS; not graded")
    warn(f"{why}: NOT GRADED; unzip it into SUBMISSIONS, one folder per student", warnings)
    return {}


def _stray(entry: Path, masters: list[str]) -> bool:
    """Whether ``entry`` of SUBMISSIONS is a notebook named like a master (``Copy of`` too):
    no student's name is in it."""
    return (
        entry.is_file() and entry.suffix.lower() == ".ipynb" and _canonical(entry.name) in masters
    )


def _strays(entries: list[Path], masters: list[str], warnings: list[str] | None) -> list[Path]:
    """``entries`` of SUBMISSIONS without the notebooks named like a master, each skipped with a
    warning. Such a notebook and nothing else that may be a student means SUBMISSIONS is one
    student's folder: that stops grading."""
    strays = [e for e in entries if _stray(e, masters)]
    rest = [e for e in entries if e not in strays]
    if strays and not [e for e in rest if not e.name.startswith(".") and not _skipped(e)]:
        raise UsageError(
            f"SUBMISSIONS looks like one student's folder (it holds {strays[0].name} itself): "
            "pass the folder that holds the students' folders"
        )
    for entry in strays:
        warn(
            f"skipped {entry.name}: a notebook directly in SUBMISSIONS without a student's name "
            "(not graded; name it <student>_<notebook>.ipynb, or put it in the student's folder)",
            warnings,
        )
    return rest


def _entry_kind(entry: Path) -> str:
    """What an entry of SUBMISSIONS that is neither a folder nor a regular file is (a symbolic
    link, which is never followed, a named pipe), else ``""``."""
    try:
        mode = entry.lstat().st_mode
    except OSError as err:
        return f"unreadable ({err.strerror})"
    return "" if stat.S_ISDIR(mode) else _kind(mode)


def _loose_notebook(entry: Path, masters: list[str]) -> tuple[str, bool]:
    """``(student, named)`` of a notebook directly in SUBMISSIONS: ``named`` when it is
    ``<student>_<notebook>.ipynb`` (or the assignment's only notebook, named for the student)."""
    loose = _loose_match(entry.name, masters)
    return (loose[0], True) if loose else (entry.stem, len(masters) == 1)


def collect(
    folder: Path, masters: list[str], warnings: list[str] | None = None
) -> list[Submission]:
    """Every submission in ``folder`` (see the module docstring for the layouts); a skipped
    entry or a whole class in one zip is a warning, kept in ``warnings`` or else printed."""
    found: dict[str, dict[str, bytes]] = {}
    problems: dict[str, list[str]] = {}
    budgets: dict[str, list[int]] = {}

    def budget(student: str) -> list[int]:
        return budgets.setdefault(student, [MAX_SUBMISSION_BYTES])

    entries = []
    for entry in sorted(folder.iterdir()):
        kind = "" if entry.name.startswith(".") else _entry_kind(entry)
        if kind:  # a link, a pipe, a socket: nothing of it is read (nor is a link followed)
            warn(f"skipped {entry.name}: {kind}, not a folder or a file; not read", warnings)
        else:
            entries.append(entry)
    for entry in _strays(entries, masters, warnings):
        if entry.name.startswith("."):
            continue
        skipped = _skipped(entry)
        if skipped:
            warn(f"skipped {entry.name}: {skipped}", warnings)
        elif entry.is_dir() or entry.suffix.lower() == ".zip":
            student = entry.name if entry.is_dir() else entry.stem
            read = _read_folder if entry.is_dir() else _read_zip
            mine = problems.setdefault(student, [])
            files = read(entry, mine, budget(student))
            files = _one_students(files, entry, masters, mine, warnings)
            _merge(found.setdefault(student, {}), files, entry, mine)
        else:
            student, named = _loose_notebook(entry, masters)
            mine = problems.setdefault(student, [])
            data = _read_file(entry, entry.name, mine, budget(student))
            files = found.setdefault(student, {})
            if data is not None and named:
                _merge(files, {entry.name: data}, entry, mine)
            elif data is not None:
                mine.append(
                    f"{entry.name}: a loose notebook not named <student>_<notebook>.ipynb; "
                    "not graded"
                )
    subs = []
    used: set[str] = set()
    for student in sorted(found):
        sub = Submission(student=student, problems=list(problems.get(student, [])))
        sub.student_id = _student_id(student, used)
        _match(found[student], masters, sub)
        if not found[student] and all(p.startswith("note:") for p in sub.problems):
            sub.problems.append("no notebook submitted")  # e.g. only a link, skipped (a note)
        subs.append(sub)
    return subs


def _id_char(c: str) -> bool:
    """A character a student id may hold: a letter or digit of any script, a combining mark
    (Devanagari's and Thai's vowel signs), ``_``, ``.`` or ``-``."""
    return c.isalnum() or c in "_.-" or unicodedata.category(c) in ("Mn", "Mc")


def safe_id(sid: str) -> bool:
    """Whether ``sid`` is a student id :func:`_student_id` could have made (a file name that is
    neither hidden nor a command-line option)."""
    return bool(sid) and all(map(_id_char, sid)) and not sid.startswith((".", "-"))


#: Letters of other scripts drawn like Latin ones, mapped to that letter with its case (from
#: Unicode's confusables list, UTS #39): Cyrillic, Greek and Armenian.
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("АВЕЅІЈКМНОРСТХУҮӀ", "ABESIJKMHOPCTXYYI", strict=True)),
        **dict(zip("аеѕіјорсухүһԁԛԝӏ", "aesijopcyxyhdqwl", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ", "ABEZHIKMNOPTYXC", strict=True)),
        **dict(zip("οιρνκϲ", "oipvkc", strict=True)),
        **dict(zip("օսհո", "ouhn", strict=True)),
    }
)
#: Latin letters and digits that look alike in many fonts: ``l``, ``I``, ``1`` and ``|``;
#: ``O``, ``o`` and ``0``.
_SAME_SHAPE = str.maketrans({"I": "l", "1": "l", "|": "l", "o": "O", "0": "O"})


def _looks(sid: str) -> str:
    """What ``sid`` looks like, case kept: its letters of other scripts read as the Latin ones
    they are drawn like, then ``l I 1`` as one shape and ``O o 0`` as another (``Anna`` with a
    Cyrillic ``А`` looks like ``Anna``; ``Ian`` does not look like ``Lan``)."""
    return sid.translate(_LOOKALIKES).translate(_SAME_SHAPE)


def _student_id(name: str, used: set[str]) -> str:
    """A file-safe id for the feedback file: letters, digits, ``_ . -``, never starting with
    ``.`` or ``-`` (a hidden file, a command-line option, a spreadsheet formula).

    Latin letters lose their accents (``Zoë`` → ``Zoe``: an ASCII id survives a spreadsheet that
    reads the file in another encoding); other scripts keep their letters and marks (``日本 太郎``
    → ``日本_太郎``), taken in Unicode's composed form (a Mac writes ``ë`` as ``e`` + a combining
    mark). An id that differs from one in ``used`` only by case gets a suffix too (on a
    case-insensitive disk, macOS's or Windows's, ``Ann`` and ``ann`` would share a feedback
    file), and so does one that only looks like it (``Аnna`` with a Cyrillic ``А`` beside
    ``Anna``, ``0lga`` beside ``Olga``: :func:`_looks`)."""
    composed = unicodedata.normalize("NFC", name)
    unaccented = "".join(
        c for c in unicodedata.normalize("NFKD", composed) if unicodedata.category(c) != "Mn"
    )
    text = unaccented if unaccented.isascii() else composed
    chars = [c if _id_char(c) else "_" for c in text]
    base = re.sub(r"_{2,}", "_", "".join(chars)).strip("._-") or "student"
    folded, shapes = {u.casefold() for u in used}, {_looks(u) for u in used}
    sid, k = base, 2
    while sid.casefold() in folded or _looks(sid) in shapes:
        sid, k = f"{base}_{k}", k + 1
    used.add(sid)
    return sid


# --------------------------------------------------------------------------------------------
# Preparing notebooks
# --------------------------------------------------------------------------------------------


def _read_notebook(data: bytes) -> tuple[Any, list[str]]:
    """``(notebook, notes)``: the submitted notebook, or raise ``ValueError`` saying why it
    cannot be graded.

    Notebooks are UTF-8 (with or without a byte-order mark); one that an editor saved in
    Windows-1252 or Latin-1 is read in that encoding, with a note, rather than scored 0."""
    import nbformat

    notes: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        for encoding in ("cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            notes.append(f"note: the notebook is not UTF-8 ({err.reason}); read as {encoding}")
            break
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises several kinds for broken JSON
        raise ValueError(f"not a valid notebook ({_not_a_notebook(err)})") from None
    return nb, notes


def _not_a_notebook(err: Exception) -> str:
    """What kind of problem made a file no notebook, never the file's own text: nbformat's
    messages quote it ("Notebook does not appear to be JSON: 'root:*:..." put the start of a
    file that a student's link pointed to into the gradebook and the feedback)."""
    from nbformat.reader import NotJSONError

    if isinstance(err, NotJSONError):
        return "not JSON"
    if isinstance(err, RecursionError):
        return "JSON nested too deeply"
    if isinstance(err, MemoryError):
        return "too large to read"
    return f"JSON, but not in the notebook format: {type(err).__name__}"


def _repair(nb, release) -> list[str]:
    """Give back nbgrader metadata that an editor dropped.

    A cell without metadata gets that of the release cell with the same id; failing that, a
    test cell gets it from the release cell with exactly the same source (locked test cells are
    unchanged), and a solution cell from the one with the same first line (its ``def`` line), in
    notebook order. Without this, nbgrader cannot tell which cells hold the answers.
    """
    import nbformat

    broken = []
    for k, cell in enumerate(nb.cells):  # metadata an editor (or a student) mangled: dropped
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
            broken.append(k + 1)
        elif "nbgrader" in cell.metadata and not isinstance(cell.metadata["nbgrader"], dict):
            del cell.metadata["nbgrader"]
            broken.append(k + 1)
        if not isinstance(cell.get("source"), str):
            cell["source"] = ""
            broken.append(k + 1)
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
    notes = [f"note: ignored malformed metadata of cell {k}" for k in sorted(set(broken))]
    return notes + ([f"note: restored nbgrader metadata of {', '.join(fixed)}"] if fixed else [])


# --------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------

_KEY: dict | None = None  # the key, loaded once per worker process


def _set_key(key: dict) -> None:
    global _KEY
    _KEY = key


def exercise_columns(key: dict, masters: list[str]) -> dict[str, float]:
    """``{exercise: points}`` of the assignment, in notebook order."""
    cols: dict[str, float] = {}
    for m in masters:
        for spec in key["notebooks"][m]["exercises"]:
            cols[spec["name"]] = sum(spec["points"].values())
    return cols


def grade_submission(
    sub: Submission, masters: list[str], source: Path, limits, cap: float, key: dict | None = None
) -> dict:
    """One student's gradebook row (never raises: a failure is that student's row)."""

    import engine
    import nbformat
    import sandbox

    limits = sandbox.Limits(**limits) if isinstance(limits, dict) else limits
    key = key if key is not None else _KEY
    assert key is not None
    columns = exercise_columns(key, masters)
    row: dict = {"student": sub.student, "student_id": sub.student_id}
    scores = dict.fromkeys(columns, 0.0)
    reasons = [p for p in sub.problems if not p.startswith("note:")]
    notes = [p[6:] for p in sub.problems if p.startswith("note:")]
    flagged: list[str] = []
    graded = False
    deadline = time.monotonic() + cap
    for m in masters:
        data = sub.notebooks.get(m)
        if data is None:
            if sub.notebooks:
                reasons.append(f"{m}: not submitted; 0 points")
            continue
        try:
            nb, read_notes = _read_notebook(data)
            read_notes += _repair(nb, nbformat.read(source / m, as_version=4))
            notes += [n[6:] for n in read_notes]
            grades = engine.grade_notebook(nb, key["notebooks"][m], limits, deadline)
        except ValueError as err:
            reasons.append(f"{m}: {err}; scored 0")
            continue
        except Exception as err:
            reasons.append(f"{m}: grading failed ({type(err).__name__}: {err}); scored 0")
            continue
        graded = True
        for g in grades:
            scores[g.name] = g.score
            reasons += g.reasons
            notes += g.notes
            flagged += [f"{g.name}: {f}" for f in g.flags]
    max_score = sum(columns.values())
    if not graded:
        status = "not graded"
        reasons = reasons or ["no gradable notebook"]
    elif any(not r.startswith("ch") for r in reasons):
        status = "partly graded"
    else:
        status = "graded"
    row.update({"score": sum(scores.values()), "max_score": max_score, "status": status})
    row.update({f"{k} ({v:g})": scores[k] for k, v in columns.items()})
    row["reason"] = _joined(reasons, " | ")
    row["flagged"] = _joined(flagged, " | ")
    notes = list(dict.fromkeys(notes))  # an earlier cell's error is seen by each later exercise
    row["notes"] = _joined(notes, "; ")
    return row


def _joined(items: list[str], separator: str) -> str:
    """One gradebook cell of ``items``, each cut to :data:`MAX_ITEM` and the cell to
    :data:`MAX_CELL`, split again by ``separator`` when read (see :func:`_one` and
    :func:`_items`)."""
    return _cut(separator.join(_one(_cut(i, MAX_ITEM), separator) for i in items), MAX_CELL)


def _one(item: str, separator: str) -> str:
    """``item`` without the gradebook cell's ``separator``, so that it stays one item when the
    cell is split again: an exception message holding " | " made the rest of a failed hidden
    check's reason a reason of its own, which the feedback file showed in full.

    In a cell joined by " | " (``reason``, ``flagged``) each ``|`` of an item is written ``¦``,
    which reads the same in a spreadsheet, and an item's own ``¦`` as ``\\¦`` (a backslash just
    before either is doubled): :func:`_items` gives the item back as it was, so the feedback file
    shows a learner's ``ValueError("a | b")`` as written. In a cell joined by "; " (``notes``)
    ``"; "`` is written ``", "``, which is not undone."""
    if "|" in separator:
        return _BAR_OR_BROKEN.sub(lambda m: m[1] * 2 + ("\\¦" if m[2] == "¦" else "¦"), item)
    return item.replace(separator, separator.replace(";", ","))


#: a ``|`` or ``¦`` of an item with the backslashes just before it (see :func:`_one`), and its
#: written form in a " | " cell (see :func:`_items`)
_BAR_OR_BROKEN, _WRITTEN_BAR = re.compile(r"(\\*)([|¦])"), re.compile(r"(\\*)¦")


def _items(cell: str | None) -> list[str]:
    """The items of a gradebook cell joined by " | " (``reason``, ``flagged``), each as it was
    before :func:`_one` wrote it (a ``¦`` of an older gradebook, which wrote " | " as " ¦ ", is
    read as ``|``); surrounding blanks are dropped, and empty items."""
    return [
        _WRITTEN_BAR.sub(lambda m: m[1][: len(m[1]) // 2] + "|¦"[len(m[1]) % 2], i).strip()
        for i in (cell or "").split(" | ")
        if i.strip()
    ]


#: the longest reason, flag or note (each can quote what a submission returned or named), and
#: the longest gradebook cell (a spreadsheet's cell holds 32 767 characters)
MAX_ITEM, MAX_CELL = 1000, 30_000


def _cut(text: str, limit: int) -> str:
    suffix = " …(cut)"
    return text if len(text) <= limit else text[: limit - len(suffix)] + suffix


def _grade_one(args: tuple, key: dict | None = None) -> dict:
    sub, masters, source, limits, cap = args
    try:
        return grade_submission(sub, masters, source, limits, cap, key)
    except BaseException as err:
        return _failed_row(sub, f"grading failed ({type(err).__name__}: {err})")


def _grade_to_pipe(task: tuple, writer: Any) -> None:
    """A grading process's whole life: grade one student, send the row, exit (removing its
    withheld files: a forked process ends without running ``atexit``)."""
    import engine

    try:
        writer.send(_grade_one(task))
        writer.close()
    finally:
        engine.close_withheld()


def _grade_in_processes(tasks: list[tuple], jobs: int, record: Any) -> None:
    """Grade ``tasks`` in up to ``jobs`` processes at once, a process of its own per student.

    A grading process that dies (the kernel's OOM killer chose it, a crash in C code) takes
    only its own student with it: that student is graded once more in a new process, and if
    that one dies too the row says so. (With a shared process pool, one death failed every
    student still pending.) The processes are forked from this one, which runs
    no other thread, so each starts with the key and the modules already loaded."""
    import multiprocessing as mp
    import signal
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork")
    queue = [(task, 1) for task in tasks]  # (task, attempt)
    running: dict[Any, tuple] = {}  # the pipe's reading end -> (process, task, attempt)
    while queue or running:
        while queue and len(running) < jobs:
            task, attempt = queue.pop(0)
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_grade_to_pipe, args=(task, writer), daemon=True)
            proc.start()
            writer.close()  # the child holds the only writing end: its death ends the pipe
            running[reader] = (proc, task, attempt)
        for reader in wait(list(running)):
            proc, task, attempt = running.pop(reader)
            try:
                row = reader.recv()
            except Exception:  # the pipe ended (or a row was cut short): the process died
                row = None
            reader.close()
            proc.join()
            if row is not None:
                record(row)
            elif attempt == 1:
                queue.insert(0, (task, 2))  # once more, before anyone else
            else:
                code = proc.exitcode or 0
                how = f"exit status {code}"
                if code < 0:
                    how = f"killed by signal {-code}"
                    if -code in signal.valid_signals():
                        how = f"killed by {signal.Signals(-code).name}"
                record(
                    _failed_row(
                        task[0],
                        f"grading process died twice ({how}; SIGKILL is usually the kernel "
                        "running out of memory): grade this student again alone",
                    )
                )


def _failed_row(sub: Submission, reason: str) -> dict:
    return {
        "student": sub.student,
        "student_id": sub.student_id,
        "status": "not graded",
        "score": 0.0,
        "reason": reason,
    }


def load_key(path: Path) -> dict:
    """The key at ``path``, or a :class:`UsageError` saying why that file is none."""
    import keys

    if not path.is_file():
        raise UsageError(f"no key file at {path} (python3 tasks.py key makes one)")
    try:
        return keys.read(path)
    except Exception as err:  # unpickling another file raises many kinds
        raise UsageError(
            f"{path} is not a grading key made by tasks.py key ({type(err).__name__}: {err})"
        ) from None


def _chosen_masters(notebooks: list[str], masters_all: list[str], key_path: Path) -> list[str]:
    """The masters named by ``--notebooks`` (a name, a stem or a path), each in the key."""
    chosen = []
    for name in notebooks:
        master = _canonical(name)
        if master not in masters_all:
            raise UsageError(
                f"--notebooks {name}: not a notebook of the key {key_path} with a master in "
                f"--source (those are: {', '.join(masters_all)})"
            )
        chosen.append(master)
    return [m for m in masters_all if m in chosen]


def _inferred_masters(subs: list[Submission], masters_all: list[str], warnings: list) -> list:
    """The key's notebooks that were submitted, with a warning for each that fewer than half
    of the students submitted (one stray notebook of another chapter made it part of everyone's
    assignment, and everyone lost its points)."""
    masters = [m for m in masters_all if any(m in s.notebooks for s in subs)] or masters_all
    for m in masters if len(masters) > 1 else []:
        who = [s.student for s in subs if m in s.notebooks]
        if 2 * len(who) < len(subs):
            named = ", ".join(who[:10]) + (", ..." if len(who) > 10 else "")
            warn(
                f"{m} was submitted by only {len(who)} of {len(subs)} students ({named}), yet "
                "every student is graded on it: to grade one assignment, pass --notebooks "
                + " ".join(x for x in masters if x != m),
                warnings,
            )
    return masters


def _assignment(key: dict, masters: list[str]) -> str:
    """``02_conditioning.ipynb (4 exercises, 8 points)``, for each master."""
    parts = []
    for m in masters:
        specs = key["notebooks"][m]["exercises"]
        points = sum(sum(spec["points"].values()) for spec in specs)
        parts.append(f"{m} ({len(specs)} exercise{'s' * (len(specs) != 1)}, {points:g} points)")
    return ", ".join(parts)


def _check_answers_submitted(subs: list[Submission], key: dict, masters: list[str]) -> None:
    """Stop when no submitted notebook holds an answer cell of the assignment (by its grade id
    or its ``def``): the key or SUBMISSIONS is the wrong one, and every row would be a 0."""
    specs = [spec for m in masters for spec in key["notebooks"][m]["exercises"]]
    marks = [spec["solution_id"].encode() for spec in specs]
    marks += [f"def {spec['var']}(".encode() for spec in specs]
    submitted = [(s, m) for s in subs for m in s.notebooks]
    if not marks or not submitted:
        return
    if any(mark in s.notebooks[m] for s, m in submitted for mark in marks):
        return
    found: dict[str, int] = {}
    for s, m in submitted:
        name = Path(s.sources.get(m, m)).name
        found[name] = found.get(name, 0) + 1
    raise UsageError(
        f"no submitted notebook holds an answer cell of the key's {', '.join(masters)} "
        f"({', '.join(spec['solution_id'] for spec in specs[:4])}"
        + (", ..." if len(specs) > 4 else "")
        + "); found "
        + ", ".join(f"{name} ({k} student{'s' * (k != 1)})" for name, k in sorted(found.items()))
        + ": is it the right key (or --notebooks) for these submissions?"
    )


def _assignment_and_submissions(
    submissions: Path, key: dict, masters_all: list[str], notebooks: list[str] | None, key_path
) -> tuple[list[str], list[Submission]]:
    """The masters to grade and the submissions, checked (see :func:`grade`); warnings printed."""
    collected: list[str] = []
    inferred: list[str] = []
    masters = _chosen_masters(notebooks, masters_all, key_path) if notebooks else masters_all
    subs = collect(submissions, masters, collected)
    if not notebooks:
        masters = _inferred_masters(subs, masters_all, inferred)
        if len(masters) < len(masters_all):
            collected = []
            subs = collect(submissions, masters, collected)
    for message in collected + inferred:
        warn(message)
    if not subs:
        raise UsageError(
            f"no submissions found in {submissions} (expected <student>/ folders, <student>.zip "
            "or <student>_<notebook>.ipynb files)"
        )
    _check_answers_submitted(subs, key, masters)
    return masters, subs


def grade(
    submissions: Path,
    *,
    key_path: Path,
    source: Path,
    out: Path | None,
    timeout: float = 60.0,
    jobs: int = 1,
    student_cap: float = 600.0,
    cell_timeout: float = 10.0,
    dask_client: Any = None,
    notebooks: list[str] | None = None,
    update: bool = False,
) -> list[dict]:
    """Grade every submission in ``submissions`` with the key; write the CSV, return its rows.

    The assignment is the key's ``notebooks`` (file names), or else the key's notebooks that
    were submitted. Rows are appended to ``out`` (and flushed) as soon as each student is
    graded; at the end the file is rewritten sorted by student, so serial, ``jobs > 1`` and
    Dask (``dask_client``, a ``distributed.Client``: each task grades one student on a worker,
    which needs bubblewrap, this repository and the key's environment) give the same gradebook.
    With ``update``, ``out`` is an earlier gradebook of the same assignment: the graded students'
    rows replace theirs (see :func:`updated_gradebook`), and the rows are appended to
    ``out.partial`` meanwhile, and the rows returned are the graded students' rows as the
    gradebook now holds them (with the instructor's columns).
    """
    import dataclasses

    import sandbox

    key = load_key(key_path)
    _set_key(key)
    masters_all = sorted(p.name for p in source.glob("*.ipynb") if p.name in key["notebooks"])
    if not masters_all:
        raise UsageError(f"no master notebook in {source} is in the key {key_path}")
    masters, subs = _assignment_and_submissions(submissions, key, masters_all, notebooks, key_path)
    sandbox.check()  # fail now, clearly, if the sandbox cannot work here
    limits = sandbox.Limits(wall=timeout, cpu=int(timeout) + 5, cell=cell_timeout)
    columns = exercise_columns(key, masters)
    fields = ["student", "student_id", "score", "max_score", "status"]
    fields += [f"{k} ({v:g})" for k, v in columns.items()] + ["reason", "flagged", "notes"]
    out = out or ROOT / "grading" / "gradebook.csv"
    earlier = _earlier_gradebook(out, fields, key) if update else None
    print(f"[grade] grading against: {_assignment(key, masters)}", flush=True)
    progress = out.with_name(out.name + ".partial") if update else out
    progress.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with private_open(progress) as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        fh.flush()

        def record(row: dict) -> None:
            row = {k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}
            row.setdefault("max_score", sum(columns.values()))
            rows.append(row)
            writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())
            if earlier is not None:  # the row as the gradebook will hold it (your columns too)
                (row,) = _regraded(updated_gradebook(earlier, [row], fields, [])[0], earlier[1])
            score, most = float(row["score"]), float(row["max_score"])
            print(f"[grade] {row['student']}: {score:g}/{most:g}", flush=True)

        # plain values only: a Dask worker unpickles tasks before it can import tools/grading
        plain_limits = dataclasses.asdict(limits)
        tasks = [(s, masters, source, plain_limits, student_cap) for s in subs]
        if dask_client is not None:
            from distributed import as_completed as dask_completed

            shared = dask_client.scatter(key, broadcast=True)
            tools = str(ROOT / "tools" / "grading")
            futures = [
                dask_client.submit(_grade_with_key, t, shared, tools, pure=False) for t in tasks
            ]
            for future in dask_completed(futures):
                record(future.result())
        elif jobs > 1:
            _grade_in_processes(tasks, jobs, record)
        else:
            for t in tasks:
                record(_grade_one(t))
    rows.sort(key=lambda r: r["student"])
    if earlier is None:
        _write_csv(out, rows, fields)
        return rows
    merged, columns = updated_gradebook(earlier, rows, fields)
    _write_csv(out, merged, columns)
    progress.unlink()
    return _regraded(merged, earlier[1])


def _regraded(merged: list[dict], old_rows: list[dict]) -> list[dict]:
    """The rows of an updated gradebook that are not its earlier rows: the students graded."""
    old = {id(row) for row in old_rows}
    return [row for row in merged if id(row) not in old]


def _earlier_gradebook(out: Path, fields: list[str], key: dict) -> tuple[list[str], list[dict]]:
    """``(columns, rows)`` of the gradebook ``--update`` updates, refused unless it has every
    exercise column of this assignment and none of the key's other exercises."""
    if not out.is_file():
        raise UsageError(f"--update: there is no gradebook at {out} to update")
    columns, rows = read_gradebook(out)
    try:  # an added column that is not a number would stop the update after the grading
        [number(row, c) for row in rows for c, _, _ in exercise_cells(row) if c not in fields]
    except ValueError as err:
        raise UsageError(f"--update: {out}: {err}") from None
    ours = {c for c, _, _ in exercise_cells(dict.fromkeys(fields))}
    exercises = {spec["name"] for book in key["notebooks"].values() for spec in book["exercises"]}
    theirs = {c for c, name, _ in exercise_cells(dict.fromkeys(columns)) if name in exercises}
    if ours != theirs:
        listed = [c for c, _, _ in exercise_cells(dict.fromkeys(columns))]  # all of the file's
        raise UsageError(
            f"--update: {out} is not a gradebook of this assignment (its exercise columns: "
            f"{', '.join(listed) or 'none'}; this assignment's: {', '.join(sorted(ours))}): "
            f"{_its_notebooks(key, theirs)}"
            "pass another --out; or --force, which replaces the gradebook and every hand "
            "correction in it"
        )
    return columns, rows


def _its_notebooks(key: dict, theirs: set[str]) -> str:
    """``pass --notebooks A B to grade its assignment, or`` when the gradebook's exercise
    columns ``theirs`` are all those of some of the key's notebooks, else nothing."""
    books = [m for m in sorted(key["notebooks"]) if theirs & _columns_of(key, [m])]
    if not books or _columns_of(key, books) != theirs:
        return ""
    return f"pass --notebooks {' '.join(books)} to grade its assignment, or "


def _columns_of(key: dict, masters: list[str]) -> set[str]:
    return {f"{k} ({v:g})" for k, v in exercise_columns(key, masters).items()}


def updated_gradebook(
    earlier: tuple[list[str], list[dict]],
    rows: list[dict],
    fields: list[str],
    warnings: list[str] | None = None,
) -> tuple[list[dict], list[str]]:
    """``(rows, columns)``: the earlier gradebook with ``rows`` in place of its rows of the same
    students (new students at the end), every other row as it was. Columns the instructor
    added keep their place and, in the new rows too, their values; an added exercise column
    (``<name> (<points>)``, such as a hand-graded part) stays in ``score`` and ``max_score``,
    and so do its reasons and flags (``<name>: ...``, as part 2 of the capstone writes them).

    A student is the row of the same name or else, when no row has that name, the row whose
    ``student_id`` is the name (a folder named after the id, ``dan_smith`` for ``dan smith``),
    and keeps that row's name and ``student_id``. A student in no row is added with an id
    unique among the gradebook's (even ignoring case) and a warning, which names a row whose
    name or id differs only by case, spaces or underscores ("did you mean")."""
    columns, old_rows = earlier
    own = [c for c in columns if c not in fields]
    own_points = exercise_cells(dict.fromkeys(own))
    places = _rows_of(rows, old_rows, warnings)
    ids = {r.get("student_id") or "" for r in old_rows} - {""}
    merged = list(old_rows)
    for new, k in zip(rows, places, strict=True):
        if k is None:
            merged.append(_new_row(new, old_rows, ids, own, own_points, warnings))
        else:
            old = old_rows[k]
            merged[k] = _kept_columns(new, old, own, own_points)
            merged[k]["student"] = old["student"]
            merged[k]["student_id"] = old.get("student_id") or _student_id(new["student"], ids)
            _warn_changed(old, merged[k], [c for c in fields if c in columns], warnings)
    return merged, columns + [c for c in fields if c not in columns]


def _warn_changed(old: dict, new: dict, graded: list[str], warnings: list[str] | None) -> None:
    """A warning naming the exercise columns whose points this regrade changed: a score the
    instructor corrected by hand in the row is replaced without a word otherwise (a TA's
    "I gave you 1 point back" comment stayed beside the grader's 0)."""
    changed = []
    for column, _, _ in exercise_cells(dict.fromkeys(graded)):
        before, after = old.get(column), new.get(column)
        try:
            same = float(before or 0) == float(after or 0)
        except (TypeError, ValueError):
            same = before == after
        if not same:
            changed.append(f"{column} {before} -> {after}")
    if changed:
        warn(
            f"{old['student']}: regraded points differ from the gradebook's ({'; '.join(changed)})"
            ": if one was a hand correction, put it back (and in score)",
            warnings,
        )


def _rows_of(rows: list[dict], old_rows: list[dict], warnings: list[str] | None) -> list:
    """The index in ``old_rows`` of each of ``rows``' students (see :func:`updated_gradebook`),
    None for a student who has no row there."""
    by_name = {r["student"]: k for k, r in reversed(list(enumerate(old_rows)))}
    by_id = {r.get("student_id") or "": k for k, r in reversed(list(enumerate(old_rows)))}
    places: list[int | None] = [by_name.get(r["student"]) for r in rows]
    taken = set(places)
    for i, row in enumerate(rows):
        k = by_id.get(row["student"])
        if places[i] is None and row["student"] not in by_name and k is not None and k not in taken:
            places[i] = k
            taken.add(k)
            warn(
                f"{row['student']} is the student_id of the row {old_rows[k]['student']!r}: "
                "graded as that row",
                warnings,
            )
    return places


def _new_row(
    new: dict, old_rows: list[dict], ids: set[str], own: list[str], own_points: list, warnings
) -> dict:
    """A student in no row of the gradebook: a row with an id of its own, and a warning."""
    row = _kept_columns(new, {}, own, own_points)
    row["student_id"] = _student_id(new.get("student_id") or new["student"], ids)

    def plain(text: str) -> str:
        return re.sub(r"[\s_]+", "", unicodedata.normalize("NFC", text).casefold())

    alike = [
        old["student"]
        for old in old_rows
        if plain(new["student"]) in (plain(old["student"]), plain(old.get("student_id") or ""))
    ]
    warn(
        f"{new['student']} is not in the gradebook: added as a new row"
        + (f" (did you mean {' or '.join(map(repr, alike))}?)" if alike else ""),
        warnings,
    )
    return row


def _kept_columns(new: dict, old: dict, own: list[str], own_points: list) -> dict:
    """``new`` with ``old``'s values of the instructor's columns ``own``, its exercise columns
    ``own_points`` counted in ``score`` and ``max_score`` and their reasons and flags kept."""
    row = {**new, **{c: old.get(c, "") for c in own}}
    row["score"] = float(new["score"]) + sum(number(old, c) for c, _, _ in own_points)
    row["max_score"] = float(new["max_score"]) + sum(most for _, _, most in own_points)
    theirs = tuple(f"{name}:" for _, name, _ in own_points)
    for column in ("reason", "flagged") if theirs else ():
        kept = [i for i in (old.get(column) or "").split(" | ") if i.startswith(theirs)]
        if kept:
            row[column] = " | ".join([*filter(None, [new.get(column) or ""]), *kept])
    return row


#: control characters (terminal escape sequences, carriage returns, bidirectional overrides)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """A gradebook text (a student's name, a reason, a note: all can come from a submission),
    safe on the instructor's terminal and in a spreadsheet.

    Control characters are written as escapes (``\\x1b``), so no escape sequence can redraw
    the terminal's summary, a text that a spreadsheet would run as a formula (it starts with
    ``=``, ``+``, ``-``, ``@``) gets a leading ``'``, and a lone surrogate, which no file or
    terminal can encode (``ValueError(chr(0xd800))`` in an answer; a file name that is not
    UTF-8), is written as an escape too (``\\ud800``): it stopped the gradebook before any
    classmate was graded."""
    text = terminal_text(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def terminal_text(text: str) -> str:
    """``text`` with its control characters and lone surrogates written as escapes (see
    :func:`safe_text`, which also guards a spreadsheet): for a warning or an error printed."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _grade_with_key(task: tuple, key: dict, tools: str) -> dict:
    """One student on a Dask worker (the key arrives as a scattered object)."""
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return _grade_one(task, key)


def private_open(path: Path) -> Any:
    """``path`` opened for writing text (CSV newlines), readable by its owner only (mode 600):
    a gradebook or a feedback file holds students' grades. A character that UTF-8 cannot
    encode (a lone surrogate that reached it without :func:`safe_text`) is written as an
    escape rather than stopping the file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that existed keeps its mode through O_CREAT
    return open(fd, "w", newline="", encoding="utf-8", errors="backslashreplace")


def _write_csv(out: Path, rows: list[dict], fields: list[str]) -> None:
    tmp = out.with_suffix(out.suffix + ".tmp")
    with private_open(tmp) as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)


def counts(rows: list[dict]) -> str:
    """``3 rows: 1 graded, 1 partly graded, 1 not graded`` (a row that could not be graded is
    no graded submission)."""
    known = ("graded", "partly graded", "not graded")
    statuses = [str(r.get("status") or "") for r in rows]
    said = [f"{statuses.count(s)} {s}" for s in known]
    other = sum(s not in known for s in statuses)
    said += [f"{other} other"] if other else []
    return f"{len(rows)} row{'s' * (len(rows) != 1)}: {', '.join(said)}"


def summary(rows: list[dict]) -> str:
    """The gradebook as a text table: student, score, status, reason; under a student who sent
    several notebooks for one, the note that says which was graded (the exact name wins, even
    an untouched hand-out beside a worked "Copy of")."""
    width = max([len("student"), *(len(r["student"]) for r in rows)])
    scores = [f"{round(float(r['score']), 2):g}/{float(r['max_score']):g}" for r in rows]
    wide = max([len("score"), *map(len, scores)])
    lines = [f"{'student':<{width}}  {'score':>{wide}}  {'status':<13}  reason"]
    for r, score in zip(rows, scores, strict=True):
        reason = r["reason"] if len(r["reason"]) <= 90 else r["reason"][:87] + "..."
        lines.append(f"{r['student']:<{width}}  {score:>{wide}}  {r['status']:<13}  {reason}")
        chosen = [n for n in (r.get("notes") or "").split("; ") if " notebooks answer " in n]
        lines += [f"{'':<{width}}  {'':>{wide}}  {note}" for note in chosen]
    return "\n".join(line.rstrip() for line in lines)


#: A lost hidden suite: its cases and expected outputs come from the private key.
_HIDDEN = re.compile(r"^(?P<head>\S+ hidden \([^)]*\)): hidden check (?P<k>\d+) of (?P<n>\d+) ")


def _named_mistake(reason: str, exercise: str, cause: str) -> str:
    """The engine's ``[Likely mistake: NAME]`` that ends a failed hidden check's ``reason``, when
    NAME is one of ``exercise``'s registered mistakes (``dlnotes.exercises``) and the check
    returned a result (the engine names a mistake only then), else ``""``. The reason's middle
    can be the learner's own text: an exception message ``"[Likely mistake: " + str(g)`` put
    hidden inputs into the feedback while any bracket after the marker was shown."""
    if cause.startswith((": raised", ": did not return", ": is not written")):
        return ""
    try:
        from dlnotes.exercises import get

        names = sorted((str(m.name) for m in get(exercise).mistakes), key=len, reverse=True)
    except Exception:  # not an exercise of this release: nothing is named
        return ""
    for name in names:
        if reason.endswith(f" [Likely mistake: {name}]"):
            return f"[Likely mistake: {name}]"
    return ""


#: a bare URL, ``www.``, an e-mail address or an ``@mention``: renderers turn them into links
#: whatever is escaped around them, so a text holding one is shown as a code span
_LINKIFIED = re.compile(r"://|www\.|@\w")
#: what starts a block at the start of a list item: a heading, a quote, a list, a rule
_MARKDOWN_START = re.compile(r"\s*(?:#|>|[-+*=]|\d+[.)])(?:\s|$)")


def _markdown_text(text: str, item: bool = True) -> str:
    """``text`` (which can hold a learner's error message, file name or grade id) shown as
    itself in a Markdown file, read as plain text: each character that would start Markdown or
    HTML is escaped with a backslash (a backtick, ``<`` before a tag or comment, an entity, the
    brackets of a link, emphasis, ``~~``, math between ``$``, a backslash before punctuation),
    so ``<img onerror=...>``, ``<!--``, ``[click](...)`` and ``**`` show as written while an
    ordinary message (``H[-1]``, ``x < 3``, ``x*y``, ``ch02_clip_by_norm``) is left as it is. A
    text holding a bare URL or an address is a code span instead (see :data:`_LINKIFIED`),
    whose fence is longer than any run of backticks in it. A line break is shown as an escape.
    ``item``: the text starts a list item (where a leading ``#`` or ``1.`` counts too)."""
    text = _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)
    if _LINKIFIED.search(text):
        fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
        return f"{fence} {text} {fence}"
    out = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)  # a learner's backslash stays
    out = out.replace("`", "\\`")
    out = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", out)
    out = re.sub(r"&(?=#?\w+;)", r"\\&", out)
    if re.search(r"\]\s*[(\[:]", text):
        out = out.replace("[", "\\[").replace("]", "\\]")
    if re.search(r"\*\S[^\n]*\*|\*\*", text):
        out = out.replace("*", "\\*")
    out = re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\\_", out)
    if "~~" in text:
        out = out.replace("~", "\\~")
    if re.search(r"\$[^$\n]*\$", text):
        out = out.replace("$", "\\$")
    start = _MARKDOWN_START.match(out) if item else None
    if start:  # "# Score", "1. x", "- x": the punctuation that would start a block, escaped
        at = len(start[0]) - len(start[0].lstrip())
        mark = re.search(r"[#>+*=\-.)]", out[at:])
        if mark:
            k = at + mark.start()
            out = out[:k] + "\\" + out[k:]
    return out


#: what a failed hidden check may say about its cause: nothing of its inputs or expected output.
#: The code that failed is the student's, and it has seen the hidden inputs, so everything it
#: chooses could carry them out: an exception's message, its class name (a class made at run
#: time can be named after an input), the line it raised on. Only these common exception types
#: are named, and no line; the rest is "raised an exception".
_SHOWN_ERRORS = frozenset(
    "ArithmeticError AssertionError AttributeError AxisError FloatingPointError IndexError "
    "KeyError LinAlgError MemoryError NameError NotImplementedError OverflowError "
    "RecursionError RuntimeError TypeError UnboundLocalError ValueError ZeroDivisionError".split()
)
_HIDDEN_CAUSES = (
    (re.compile(r"did not return within [0-9.]+ s(?:: is there a loop that never ends\?)?"), "{0}"),
    (re.compile(r"raised ([\w.]+)"), "raised {1}"),
    (re.compile(r"is not written yet"), "{0}"),
    (re.compile(r"your function calls dlnotes' own solution"), "{0}"),
    # the name used is the learner's choice (getattr(torch, anything)): not shown
    (
        re.compile(r"your function uses [\w.]+: this exercise asks for numpy"),
        "your function uses a framework: this exercise asks for numpy",
    ),
    (re.compile(r"your function switched off the call profiler"), "{0}"),
    (re.compile(r"your function modified its inputs in place"), "{0}"),
    (
        re.compile(r"your function returned \(a view of\) its input array instead of a new array"),
        "{0}",
    ),
    (re.compile(r"the arrays you returned are copies, not the input's own arrays"), "{0}"),
)


def _hidden_cause(rest: str) -> str:
    """The part of a failed hidden check's reason that a learner may read (see above). ``rest``
    is ``(case label): problem``; only the start of the problem is matched (its middle can be
    text the learner's code wrote, such as an exception message shaped like a time-out)."""
    depth, end = 0, 0
    for i, char in enumerate(rest):  # the label's closing parenthesis (labels nest them)
        depth += (char == "(") - (char == ")")
        if depth == 0:
            end = i
            break
    problem = rest[end + 1 :].removeprefix(": ") if rest.startswith("(") else rest
    for pattern, shown in _HIDDEN_CAUSES:
        found = pattern.match(problem)
        if found:
            if pattern.groups:
                error = found[1].rpartition(".")[2]
                return f": raised {error}" if error in _SHOWN_ERRORS else ": raised an exception"
            return f": {shown.format(found[0])}"
    return ""


def exercise_cells(row: dict) -> list[tuple[str, str, float]]:
    """``(column, exercise, most)`` for each exercise column of a gradebook row, in order: the
    columns are named ``<exercise> (<points>)``."""
    cells = []
    for column in row:
        named = re.fullmatch(r"(\S+) \(([0-9]+(?:\.[0-9]+)?)\)", column)
        if named:
            cells.append((column, named[1], float(named[2])))
    return cells


def number(row: dict, column: str) -> float:
    """A gradebook cell as a number (empty is 0); a clear error for a hand-edited cell that is
    not one, naming the row and the column."""
    value = row.get(column)
    try:
        out = float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        out = math.nan
    if not math.isfinite(out):
        raise ValueError(
            f"row {row.get('student')!r}: the column {column!r} holds {value!r}, not a number"
        )
    return out


def check_points(row: dict) -> None:
    """Refuse (``ValueError``, naming the row and the column) a hand edit the feedback would
    show wrong: an exercise's points outside 0 to its most, a ``score`` that is not the sum of
    the row's exercise columns (the ones you add, such as the capstone's part 3, count), or a
    ``max_score`` that is not the sum of their points."""
    cells = exercise_cells(row)
    student = row.get("student")
    for column, _, most in cells:
        if not 0 <= number(row, column) <= most:
            raise ValueError(
                f"row {student!r}: the column {column!r} holds {row[column]!r}, not 0 to {most:g}"
            )
    total = sum(number(row, column) for column, _, _ in cells)
    if cells and abs(number(row, "score") - total) > 1e-6:
        raise ValueError(
            f"row {student!r}: score is {number(row, 'score'):g} but the exercise columns add up "
            f"to {total:g} ({' + '.join(f'{number(row, c):g}' for c, _, _ in cells)}): correct "
            "score, or the column, and run feedback again"
        )
    most = sum(points for _, _, points in cells)
    if cells and abs(number(row, "max_score") - most) > 1e-6:
        raise ValueError(
            f"row {student!r}: max_score is {number(row, 'max_score'):g} but the exercise "
            f"columns' points add up to {most:g} ({' + '.join(f'{p:g}' for _, _, p in cells)}): "
            "correct max_score (a column you added counts in it too) and run feedback again"
        )


def points_text(x: float) -> str:
    """Points as a gradebook writes them: ``18``, ``7.5``, ``0.333333333333`` (12 digits, so
    that adding and re-adding points does not round them)."""
    return f"{x:.12g}"


def _full_marks(row: dict) -> set[str]:
    """The exercises whose column holds all of their points (restored after a review, too)."""
    return {name for column, name, most in exercise_cells(row) if number(row, column) >= most}


_NO_ANSWER_CELL = re.compile(
    r"(?P<id>ch\d+_(?P<name>\w+)_solution): answer cell missing; (?P<points>0/\S+)"
)
#: a whole class in one zip or folder (see :func:`_one_students`): the folders it names are
#: other students' names, for the instructor only
_WHOLE_CLASS = re.compile(r"(?P<entry>.+?) looks like a whole class \((?P<n>\d+) folders .*")
_NAME_ERROR_HINT = " (only answer cells run when graded: define helpers inside the answer cell)"


def _for_students(reason: str) -> str:
    """A gradebook reason in a student's words: a missing answer cell says what may have
    happened, a ``NameError`` that only the answer cells run when graded, and a submission
    refused as a whole class's says how many folders held the notebook (not their names)."""
    whole = _WHOLE_CLASS.fullmatch(reason)
    if whole:
        return (
            f"{whole['entry']} holds the assignment's notebook in {whole['n']} folders, so which "
            "one to grade could not be told: not graded (ask your instructor)"
        )
    missing = _NO_ANSWER_CELL.fullmatch(reason)
    if missing:
        return (
            f"your notebook has no answer cell for {missing['name']} ({missing['id']}): was it "
            f"deleted, or is this another chapter's notebook? {missing['points']} points"
        )
    return reason + _NAME_ERROR_HINT if "NameError" in reason else reason


#: the gradebook column an instructor may add for a comment to the student (see
#: :func:`feedback_text`); ``--update`` keeps it like any column it does not write
COMMENT = "comment"


def feedback_text(row: dict) -> str:
    """One student's feedback (Markdown) from a gradebook row: the score, the points of each
    exercise, why each point was lost and the notes. Nothing of the key: a failed hidden check
    says which one failed, what kind of failure it was (a time-out, a common exception's type,
    inputs changed in place) and the likely mistake, not its inputs, expected output or anything
    the learner's code chose (an exception's message, class name or line); the ``flagged`` column
    is for the instructor and is left out. A reason of an exercise whose column holds all of its
    points (restored after your review) is left out too. A ``comment`` column, which the
    instructor may add, ends the file under "From your instructor"."""
    score = f"{number(row, 'score'):g} / {number(row, 'max_score'):g}"
    name = str(row.get("student") or "")
    if name[:2] in ("'=", "'+", "'-", "'@"):  # safe_text's guard, for a spreadsheet only
        name = name[1:]
    cells = exercise_cells(row)
    chapters = sorted({e[2:4] for _, e, _ in cells if re.fullmatch(r"ch\d\d_.+", e)})
    title = f"# Feedback for {_markdown_text(name, item=False)}" + (
        f": chapter{'s' * (len(chapters) > 1)} {', '.join(chapters)}" if chapters else ""
    )
    lines = [title, "", f"**Score: {score}** ({row['status']})", ""]
    if cells:
        lines += ["| exercise | points |", "|---|---|"]
        for column, name, most in cells:
            lines.append(f"| {name} | {number(row, column):g} / {most:g} |")
        lines.append("")
    full = _full_marks(row)
    every = _items(row.get("reason"))
    reasons = [r for r in every if r.split()[0].rstrip(":") not in full]
    if reasons:
        lines += ["## Where points were lost", ""]
        for reason in reasons:
            hidden = _HIDDEN.match(reason)
            if hidden:
                cause = _hidden_cause(reason[hidden.end() :])
                mistake = _named_mistake(reason, hidden["head"].split()[0], cause)
                reason = (
                    f"{hidden['head']}: hidden check {hidden['k']} of {hidden['n']} failed"
                    f"{cause} (hidden inputs are not shown)" + (f" {mistake}" if mistake else "")
                )
            elif "pending review" in reason:
                reason = reason.split(": ")[0] + ": scored 0 pending the instructor's review"
            lines.append(f"- {_markdown_text(_for_students(reason))}")
        lines.append("")
    notes = [n.strip() for n in (row.get("notes") or "").split("; ") if n.strip()]
    # said once, as a reason (a note writes a reason's "; " as ", ": see _one)
    notes = [n for n in notes if not any(n in r or n in _one(r, "; ") for r in every)]
    if notes:
        lines += ["## Notes", "", *(f"- {_markdown_text(n)}" for n in notes), ""]
    comment = (row.get(COMMENT) or "").strip()
    if comment:
        lines += ["## From your instructor", "", *_comment_lines(comment), ""]
    return "\n".join(lines)


def _comment_lines(comment: str) -> list[str]:
    """The instructor's comment as they wrote it: plain text (``w*(1 - lr*wd)`` keeps its
    asterisks, see :func:`_markdown_text`), each line break kept (a hard break: two spaces at
    the line's end) and a blank line starting a new paragraph."""
    rows = [line.strip() for line in comment.splitlines()]
    out = []
    for k, line in enumerate(rows):
        if not line:
            out.append("")
            continue
        more = k + 1 < len(rows) and rows[k + 1] != ""
        out.append(_markdown_text(line) + ("  " if more else ""))
    return out


def read_gradebook(gradebook: Path) -> tuple[list[str], list[dict]]:
    """``(columns, rows)`` of a gradebook CSV, as a spreadsheet may have saved it: a byte-order mark
    (Excel's "CSV UTF-8") is dropped, empty rows are skipped; a file without the columns
    ``student`` and ``reason`` is refused."""
    try:
        with open(gradebook, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows = [
                r
                for r in reader
                if any((v or "").strip() for v in r.values() if isinstance(v, str))
            ]
    except UnicodeDecodeError:
        raise UsageError(
            f"{gradebook} is not a gradebook CSV (not text in UTF-8: the key, or a spreadsheet "
            "file? save the gradebook as 'CSV UTF-8')"
        ) from None
    if "student" not in fields or "reason" not in fields:
        semicolons = any("student" in f.split(";") for f in fields)
        raise UsageError(
            f"{gradebook} separates its columns with ';' (a spreadsheet's regional setting): "
            "save it as CSV with ',' between columns ('CSV UTF-8 (comma delimited)')"
            if semicolons
            else f"{gradebook} is not a gradebook of tasks.py grade (no student and reason columns)"
        )
    return fields, rows


def write_feedback(gradebook: Path, folder: Path) -> list[Path]:
    """``folder/<student_id>.md`` for every row of a gradebook CSV (after your review)."""
    _, rows = read_gradebook(gradebook)
    texts = {}
    for row in rows:  # every row is checked before any file is written
        sid = row.get("student_id") or ""
        if not safe_id(sid):
            raise UsageError(
                f"{gradebook}: row {row.get('student')!r} has no safe student_id ({sid!r}: "
                "letters, digits, _ . -; a spreadsheet that read the file in another encoding "
                "mangles accented ids: open it as UTF-8, or save it as 'CSV UTF-8')"
            )
        try:
            check_points(row)
            texts[sid] = feedback_text(row)
        except ValueError as err:
            raise UsageError(f"{gradebook}: {err}") from None
    _check_unique_ids(gradebook, rows)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} is a file: give a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sid, text in texts.items():
        path = folder / f"{sid}.md"
        with private_open(path) as fh:
            fh.write(text)
        written.append(path)
    return written


def _check_unique_ids(gradebook: Path, rows: list[dict]) -> None:
    """Refuse a gradebook where two rows share a ``student_id``, even one that differs only by
    case (a disk that ignores case, macOS's or Windows's, holds one file for both): one
    student's feedback file would be written over with another's."""
    rows_of: dict[str, list[str]] = {}
    for row in rows:
        sid = unicodedata.normalize("NFC", row.get("student_id") or "").casefold()
        rows_of.setdefault(sid, []).append(f"{row.get('student')!r} ({row.get('student_id')})")
    shared = [names for names in rows_of.values() if len(names) > 1]
    if shared:
        raise UsageError(
            f"{gradebook}: rows share a student_id (their feedback files would overwrite each "
            f"other): {'; '.join(' and '.join(names) for names in shared)}; give each row an id "
            "of its own (letters, digits, _ . -) and run feedback again"
        )


def make_feedback(argv: list[str]) -> int:
    """``grade.py --make-feedback GRADEBOOK --out FOLDER``: one feedback file per student."""
    parser = argparse.ArgumentParser(prog="grade.py --make-feedback")
    parser.add_argument("gradebook", type=Path, help="the gradebook CSV (after your review)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the feedback files")
    args = parser.parse_args(argv)
    if not args.gradebook.is_file():
        parser.error(f"{args.gradebook} is not a file")
    written = write_feedback(args.gradebook, args.out)
    print(f"[feedback] {len(written)} files written to {args.out}")
    return 0


def make_key(argv: list[str]) -> int:
    """``tasks.py key``: write the instructor key for the chosen master notebooks."""
    import keys

    parser = argparse.ArgumentParser(prog="tasks.py key", description=keys.__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="masters (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="instructor seed (default random)")
    parser.add_argument("--out", type=Path, default=ROOT / "grading" / "key.pkl")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing key (its gradebooks' seed)"
    )
    args = parser.parse_args(argv)
    if writable_out(args.out, "key", args.force):
        raise UsageError(
            f"a key exists at {args.out}: a new key draws new hidden cases from a new seed, so "
            "the gradebooks made with it could no longer be reproduced; pass --force to replace "
            "it, or another --out"
        )
    masters = []
    for nb in args.notebooks:  # from the caller's folder, or else the course's (notebooks/...)
        found = nb if nb.is_file() else ROOT / nb if not nb.is_absolute() else nb
        if not found.is_file() or found.suffix != ".ipynb":
            parser.error(
                f"no master notebook at {nb} (e.g. {ROOT / 'notebooks'}/16_capstone.ipynb)"
            )
        masters.append(found)
    masters = masters or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    key = keys.build(masters, seed=args.seed)
    keys.write(key, args.out)
    n = sum(len(b["exercises"]) for b in key["notebooks"].values())
    what = f"{n} exercise{'s' * (n != 1)} of {len(masters)} notebook{'s' * (len(masters) != 1)}"
    print(f"[key] {what} written to {args.out} (mode 600).")
    print("[key] Keep this file private: it holds the hidden cases, their answers and the seed.")
    return 0


def writable_out(out: Path, what: str, replace: bool) -> bool:
    """Whether ``out`` exists and ``replace`` was not asked for; a folder is refused."""
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: give the {what}'s file name in it")
    return out.exists() and not replace


def main(argv: list[str] | None = None) -> int:
    """The command line; an instructor's mistake (:class:`UsageError`) is one line, status 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["--make-key"]:
            return make_key(argv[1:])
        if argv[:1] == ["--make-feedback"]:
            return make_feedback(argv[1:])
        return grade_command(argv)
    except UsageError as err:
        print(f"error: {terminal_text(str(err))}", file=sys.stderr)
        return 2
    except RuntimeError as err:  # the sandbox cannot work here: say why, in one line
        if type(err).__name__ != "SandboxUnavailable":
            raise
        print(f"error: {terminal_text(str(err))}", file=sys.stderr)
        return 2


def grade_command(argv: list[str]) -> int:
    """``tasks.py grade``: grade SUBMISSIONS into a gradebook and print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submissions (see the layouts)")
    parser.add_argument("--key", type=Path, required=True, help="instructor key (tasks.py key)")
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
        help=f"gradebook CSV (default: {ROOT / 'grading' / 'gradebook.csv'})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="wall-clock seconds per exercise sandbox (default 60)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=10.0,
        help="seconds per answer cell before it is stopped (default 10)",
    )
    parser.add_argument(
        "--student-cap", type=float, default=600.0, help="total seconds per student (default 600)"
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        default=None,
        help="the key's notebooks to grade (default: those submitted)",
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--update",
        action="store_true",
        help="replace only the rows of the students in SUBMISSIONS in the existing --out",
    )
    again.add_argument("--force", action="store_true", help="overwrite an existing --out")
    parser.add_argument("--jobs", type=int, default=1, help="students graded in parallel")
    parser.add_argument(
        "--dask",
        metavar="SCHEDULER",
        default=None,
        help="grade on a Dask distributed cluster (scheduler address, e.g. tcp://host:8786)",
    )
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout must be > 0 and --jobs >= 1")
    where = args.out or ROOT / "grading" / "gradebook.csv"
    if writable_out(where, "gradebook", args.update or args.force):
        raise UsageError(
            f"a gradebook exists at {where}: pass --update to grade again only the students in "
            "SUBMISSIONS and keep every other row and your own columns, or --force to "
            "overwrite it (and its hand corrections)"
        )
    client = None
    if args.dask:
        from distributed import Client

        client = Client(args.dask)
    rows = grade(
        args.submissions,
        key_path=args.key,
        source=args.source,
        out=args.out,
        timeout=args.timeout,
        jobs=args.jobs,
        student_cap=args.student_cap,
        cell_timeout=args.cell_timeout,
        dask_client=client,
        notebooks=args.notebooks,
        update=args.update,
    )
    print(summary(rows))
    how = "updated" if args.update else "written"
    print(f"[grade] {counts(rows)}; gradebook {how}: {where}")
    late = [r for r in rows if str(r["student"]) in set(timed_out(rows))]
    if late:
        shown = "; ".join(f"{r['student']} ({', '.join(_timed_out_where(r))})" for r in late[:10])
        advice = (
            "with --jobs 1 a time-out is most likely the submission's own (a loop that never "
            "ends), unless another program kept the machine busy"
            if args.jobs == 1
            else "a time-out is the submission's own (a loop that never ends) or comes from a "
            "busy machine (a classmate's submission keeping the CPUs busy under --jobs): if in "
            "doubt, grade that student again alone with --update --jobs 1"
        )
        print(f"[grade] time-outs: {shown}{'; ...' if len(late) > 10 else ''}. {advice}")
    return 0


#: what a reason says when a time limit stopped the student's code (a call, a cell, a sandbox)
_TIMED_OUT = re.compile(r"did not return within|timed out|time cap per student")


def _timed_out_where(row: dict) -> list[str]:
    """The exercises (or ``notes``) of a row whose reasons say a time limit stopped them."""
    where = [
        r.split()[0]
        for r in (row.get("reason") or "").split(" | ")
        if r.strip() and _TIMED_OUT.search(r)
    ]
    if _TIMED_OUT.search(row.get("notes") or ""):
        where.append("notes")
    return list(dict.fromkeys(where))


def timed_out(rows: list[dict]) -> list[str]:
    """The students whose row says a time limit stopped their code: worth grading again alone
    when the machine was busy, since every limit is wall-clock."""
    return [
        str(r["student"])
        for r in rows
        if _TIMED_OUT.search(f"{r.get('reason') or ''} {r.get('notes') or ''}")
    ]


if __name__ == "__main__":
    sys.exit(main())
