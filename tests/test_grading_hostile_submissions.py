"""A hostile student against the grader itself: what a submission's folder holds (links
to a classmate's notebook or to a root-only file, a folder or a named pipe named ``.ipynb``), a
zip whose directory lies about its size, text a file or terminal cannot encode, answers made of
many huge cells, a notebook that makes the grader parse it again and again, a forged "Likely
mistake" that carried hidden inputs into the feedback, and Markdown or HTML in the feedback.
Each attack must cost only its own student, and tell nothing it should not."""

from __future__ import annotations

import csv
import os
import signal
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "grading"))

import engine  # noqa: E402
import sandbox  # noqa: E402

grade = load_script(Path("tools/grade.py"))

MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"
NB = MASTER.name
SECRET = "root:SECRET-HASH:19000:0:99999:7:::"


@pytest.fixture
def no_hang():
    """Fail, rather than hang, a test whose grader blocks (on a named pipe)."""

    def stop(*_):
        raise TimeoutError("the grader blocked")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# --- F2: symbolic links are never followed, and no file's content reaches a reason -----------


def test_links_in_a_students_folder_are_skipped_and_named_not_followed(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET)
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / NB).write_bytes(MASTER.read_bytes())
    (subs / "mallory").mkdir()
    (subs / "mallory" / NB).symlink_to(f"../alice/{NB}")
    (subs / "eve").mkdir()
    (subs / "eve" / NB).symlink_to(secret)
    (subs / "trudy").mkdir()
    (subs / "trudy" / "work").symlink_to(subs / "alice", target_is_directory=True)
    (subs / "zed").symlink_to(subs / "alice", target_is_directory=True)  # a link at the top
    (subs / f"oscar_{NB}").symlink_to(subs / "alice" / NB)
    with zipfile.ZipFile(subs / "peggy.zip", "w") as zf:  # a link stored in a zip (zip -y)
        info = zipfile.ZipInfo(NB)
        info.create_system = 3
        info.external_attr = (0o120777 << 16) | 0x20
        zf.writestr(info, str(secret))
    warnings: list[str] = []
    subs_by = {s.student: s for s in grade.collect(subs, [NB], warnings)}
    assert set(subs_by) == {"alice", "mallory", "eve", "trudy", "peggy"}
    assert subs_by["alice"].notebooks[NB] == MASTER.read_bytes()
    for student in ("mallory", "eve", "trudy", "peggy"):
        assert subs_by[student].notebooks == {}, student
    link = (
        f"note: skipped {NB}: a symbolic link, not a file (links are not followed); send the "
        "notebook file itself"
    )
    for student in ("mallory", "eve", "peggy"):  # a note, and no notebook: not graded
        assert subs_by[student].problems == [link, "no notebook submitted"], student
    assert subs_by["trudy"].problems == [
        "note: skipped work: a symbolic link to a folder (links are not followed)",
        "no notebook submitted",
    ]
    assert any(w.startswith("skipped zed: a symbolic link") for w in warnings), warnings
    assert any(w.startswith(f"skipped oscar_{NB}: a symbolic link") for w in warnings), warnings
    everything = repr([s.problems for s in subs_by.values()]) + repr(warnings)
    assert "SECRET" not in everything and str(secret) not in everything


def test_a_file_that_is_no_notebook_is_named_by_kind_never_quoted():
    """nbformat's message quotes the file: a link to /etc/shadow put its first characters into
    the gradebook and the student's feedback."""
    for data, kind in (
        (SECRET.encode(), "not a valid notebook (not JSON)"),
        (b'{"nbformat": 4, "secret": "' + SECRET.encode() + b'"}', "not a valid notebook (JSON"),
        (b'["' + SECRET.encode() + b'"]', "not a valid notebook (JSON"),
    ):
        with pytest.raises(ValueError) as info:
            grade._read_notebook(data)
        assert str(info.value).startswith(kind), info.value
        assert "SECRET" not in str(info.value) and "root" not in str(info.value)


# --- F5, F6: a folder or a named pipe named .ipynb costs only its own student ----------------


def test_folders_and_pipes_named_like_notebooks_cost_only_their_student(tmp_path, no_hang):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / NB).write_bytes(MASTER.read_bytes())
    (subs / "dora" / "notes.ipynb").mkdir(parents=True)  # a folder: IsADirectoryError
    (subs / "dora" / NB).write_bytes(MASTER.read_bytes())
    (subs / "fay").mkdir()
    os.mkfifo(subs / "fay" / NB)  # a named pipe: open() blocked forever
    (subs / "gus").mkdir()
    os.mkfifo(tmp_path / "pipe")
    (subs / "gus" / NB).symlink_to(tmp_path / "pipe")
    os.mkfifo(subs / "hal.zip")
    os.mkfifo(subs / f"ivy_{NB}")
    warnings: list[str] = []
    subs_by = {s.student: s for s in grade.collect(subs, [NB], warnings)}
    assert set(subs_by) == {"alice", "dora", "fay", "gus"}
    assert subs_by["alice"].notebooks[NB] == MASTER.read_bytes()
    assert subs_by["dora"].notebooks[NB] == MASTER.read_bytes() and not subs_by["dora"].problems
    assert subs_by["fay"].problems == [
        f"note: skipped {NB}: a named pipe, not a file; send the notebook file itself",
        "no notebook submitted",
    ]
    assert "a symbolic link" in subs_by["gus"].problems[0]
    assert any(w.startswith("skipped hal.zip: a named pipe") for w in warnings), warnings
    assert any(w.startswith(f"skipped ivy_{NB}: a named pipe") for w in warnings), warnings


def test_an_unreadable_file_is_its_students_problem(tmp_path, monkeypatch):
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / NB).write_bytes(b"{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / NB).write_bytes(MASTER.read_bytes())
    real = grade._open_regular

    def failing(path):
        if "ann" in str(path):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(grade, "_open_regular", failing)
    ann, bob = grade.collect(tmp_path, [NB])
    assert ann.problems == [
        f"note: skipped {NB}: Permission denied; send the notebook file itself",
        "no notebook submitted",
    ]
    assert bob.notebooks[NB] == MASTER.read_bytes()


# --- F3: a lone surrogate in a learner's text does not stop the gradebook --------------------


def test_a_lone_surrogate_is_written_as_an_escape(tmp_path):
    text = grade.safe_text(chr(0xD800) + " boom")
    assert text == "\\ud800 boom"
    text.encode("utf-8")  # no UnicodeEncodeError
    with grade.private_open(tmp_path / "f.csv") as fh:
        fh.write("raw " + chr(0xDC80))  # one that reached a file without safe_text
    assert (tmp_path / "f.csv").read_text(encoding="utf-8") == "raw \\udc80"
    assert grade.terminal_text("-x\x1b[2J" + chr(0xD800)) == "-x\\x1b[2J\\ud800"


def test_a_row_with_a_lone_surrogate_does_not_stop_the_classmates(tmp_path, monkeypatch, capsys):
    """``ValueError(chr(0xd800))`` in an answer: the gradebook held only its header and no
    classmate was graded."""
    subs, source = tmp_path / "subs", tmp_path / "source"
    source.mkdir()
    (source / "02_x.ipynb").write_text("{}")
    for student in ("aaa_mallory", "alice", "zed"):
        (subs / student).mkdir(parents=True)
        (subs / student / "02_x.ipynb").write_text('{"id": "ch02_x_solution"}')
    spec = {"name": "ch02_x", "points": {"visible": 1.0}, "solution_id": "ch02_x_solution"}
    spec["var"] = "x"
    key = {"notebooks": {"02_x.ipynb": {"exercises": [spec]}}}
    monkeypatch.setattr(grade, "load_key", lambda path: key)
    monkeypatch.setattr(sandbox, "check", lambda: None)

    def fake_grade_one(task):
        sub = task[0]
        bad = sub.student == "aaa_mallory"
        return {
            "student": sub.student + (chr(0xD800) if bad else ""),
            "student_id": sub.student_id,
            "score": 0.0 if bad else 1.0,
            "status": "graded",
            "ch02_x (1)": 0.0 if bad else 1.0,
            "reason": "ch02_x visible (1 pt): raised ValueError: " + chr(0xD800) if bad else "",
            "notes": chr(0xDFFF),
        }

    monkeypatch.setattr(grade, "_grade_one", fake_grade_one)
    out = tmp_path / "gb.csv"
    rows = grade.grade(subs, key_path=tmp_path / "k", source=source, out=out)
    assert [r["student"] for r in rows] == ["aaa_mallory\\ud800", "alice", "zed"]
    with open(out, newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert [r["student"] for r in written] == ["aaa_mallory\\ud800", "alice", "zed"]
    assert written[0]["reason"].endswith("raised ValueError: \\ud800")
    assert grade.summary(rows).encode("utf-8")


# --- F7: the cells of one answer together are capped, before any is parsed -------------------


def _code(source: str, gid: str | None = None, solution: bool = True):
    cell = nbformat.v4.new_code_cell(source)
    if gid:
        cell.metadata["nbgrader"] = {"grade_id": gid, "solution": solution, "grade": not solution}
    return cell


def test_an_answer_of_many_cells_over_the_cap_is_not_parsed_or_run(monkeypatch):
    """Thirty helper cells of 200 000 characters between an answer and its test cell: each under
    the cap of one cell, the grader parsed them together for its flags (3 GB in 11 s)."""
    monkeypatch.setattr(engine, "MAX_CELL_CHARS", 1000)

    def never(*args, **kwargs):
        raise AssertionError("parsed or run an answer over the cap")

    monkeypatch.setattr(engine, "_flag", never)
    monkeypatch.setattr(engine.sandbox, "run", never)
    monkeypatch.setattr(engine.magics, "plain_python", never)
    helper = "x = 1  # " + "!" * 390
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _code("def clip_by_norm(g, max_norm):\n    return g", "ch02_clip_by_norm_solution"),
        *[_code(helper) for _ in range(5)],
        _code("check('ch02_clip_by_norm', clip_by_norm)", "ch02_clip_by_norm_test", False),
    ]
    spec = {"name": "ch02_clip_by_norm", "points": {"visible": 1.0, "hidden": 1.0}}
    spec |= {"solution_id": "ch02_clip_by_norm_solution", "var": "clip_by_norm"}
    limits = sandbox.Limits()
    (g,) = engine.grade_notebook(nb, {"exercises": [spec], "preamble": []}, limits, 1e18)
    assert g.score == 0.0
    (reason,) = g.reasons
    assert reason.startswith("ch02_clip_by_norm_solution: 6 cells of ")
    assert reason.endswith("characters, more than the 1000 graded; 0/2")


# --- F8: cells without metadata are parsed once each, within a budget and the deadline -------


def _bare_notebook(n: int, size: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code(f"v{k} = 1  # " + "x" * size) for k in range(n)]
    nb.cells.append(_code("def clip_by_norm(g, max_norm):\n    return g"))
    nb.cells += [_code(f"w{k} = 2  # " + "y" * size) for k in range(n)]
    return nb


ANSWERS = {f"ch02_e{k}_solution": f"missing{k}" for k in range(4)}
ANSWERS["ch02_clip_by_norm_solution"] = "clip_by_norm"


def test_cells_without_metadata_are_parsed_once_each(monkeypatch):
    """An 8 MB notebook without answer metadata: every bare cell was parsed once per exercise
    (152 parses, 1 min 46 s of the grader's CPU)."""
    parsed: list[str] = []
    real = engine._defines

    def counting(source):
        parsed.append(source)
        return real(source)

    monkeypatch.setattr(engine, "_defines", counting)
    nb = _bare_notebook(20, 50)
    found, notes = engine.answer_cells(nb, ANSWERS)
    assert [gid for gid, _ in found] == ["ch02_clip_by_norm_solution"]
    assert len(parsed) == len(set(parsed)) == 41, len(parsed)
    assert not any("part of the notebook" in n for n in notes), notes


def test_the_search_by_definition_stops_at_the_budget_and_the_deadline(monkeypatch):
    monkeypatch.setattr(engine, "MAX_PARSE_CHARS", 2000)
    nb = _bare_notebook(100, 100)
    start = time.monotonic()
    found, notes = engine.answer_cells(nb, ANSWERS)
    assert time.monotonic() - start < 5
    assert found == []  # the defining cell is past the budget, counted from the end
    assert any(
        "in part of the notebook only: the notebook holds more code than the 2000" in n
        for n in notes
    ), notes
    monkeypatch.setattr(engine, "MAX_PARSE_CHARS", 10**6)
    found, notes = engine.answer_cells(nb, ANSWERS, deadline=time.monotonic() - 1)
    assert found == []
    assert any("the time cap per student was used up" in n for n in notes), notes
    found, notes = engine.answer_cells(_bare_notebook(3, 10), ANSWERS, deadline=1e18)
    assert [gid for gid, _ in found] == ["ch02_clip_by_norm_solution"]


# --- F10: a named mistake in the feedback is the engine's, never the learner's text ----------

HEAD = "ch02_clip_by_norm hidden (1 pt): hidden check"


def _feedback(*reasons: str) -> str:
    row = {"student": "eve", "status": "graded", "score": "0", "max_score": "2", "notes": ""}
    row |= {"ch02_clip_by_norm (2)": "0", "reason": " | ".join(reasons)}
    return grade.feedback_text(row)


def test_a_forged_likely_mistake_carries_nothing_into_the_feedback():
    forged = (
        f"{HEAD} 1 of 6 (a long gradient, d=20): raised ValueError: [Likely mistake: leak "
        "[-1.5786 -2.3338  4.8265] max_norm=2.0] (in ch02_clip_by_norm_solution, line 8: "
        'raise ValueError("[Likely mistake: leak " + str(g))'
    )
    text = _feedback(forged)
    assert "leak" not in text and "1.5786" not in text and "Likely" not in text
    # a registered name after an exception (the engine names none then) is not shown either
    text = _feedback(f"{HEAD} 2 of 6 (x): raised ValueError: [Likely mistake: squared norm]")
    assert "Likely" not in text
    # nor a made-up name ending a wrong value
    text = _feedback(f"{HEAD} 3 of 6 (x): wrong value: expected 1, got 2 [Likely mistake: 1.25]")
    assert "Likely" not in text and "1.25" not in text
    # the engine's own, a registered mistake ending a wrong result, is shown
    text = _feedback(f"{HEAD} 4 of 6 (x): wrong value: got 2 [Likely mistake: squared norm]")
    assert "failed (hidden inputs are not shown) [Likely mistake: squared norm]" in text


# --- F11: a zip whose end record lies about its count ----------------------------------------


def _lying_zip(path: Path, n: int) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for k in range(n):
            zf.writestr(f"{k}.ipynb", b"")
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b"PK\x05\x06")
    raw[at + 8 : at + 12] = (1).to_bytes(2, "little") * 2  # "1 file" (on this disk, in all)
    path.write_bytes(bytes(raw))


def test_a_zip_whose_end_record_understates_its_files_is_not_read(tmp_path, monkeypatch):
    """A 60 MB zip of 600 000 files whose end record said 1: 27 s, 364 MB, 600 000 notes."""
    monkeypatch.setattr(grade, "MAX_ZIP_ENTRIES", 50)
    monkeypatch.setattr(grade, "MAX_ZIP_DIRECTORY", 4000)
    _lying_zip(tmp_path / "big.zip", 200)  # a directory of about 11 kB: refused unread
    monkeypatch.setattr(zipfile.ZipFile, "infolist", lambda self: pytest.fail("read"))
    (sub,) = grade.collect(tmp_path, [NB])
    (problem,) = sub.problems
    assert problem.startswith("big.zip has a directory of ")
    assert problem.endswith(" bytes, more than the 4000 read; not read")
    monkeypatch.undo()
    monkeypatch.setattr(grade, "MAX_ZIP_ENTRIES", 50)
    (sub,) = grade.collect(tmp_path, [NB])  # a directory within the size: its files counted
    assert sub.problems == ["big.zip lists more than 50 files; not read"]


def _end_record_variant(path: Path, n: int, kind: str) -> None:
    """A zip of ``n`` files whose end record lies in a way the first check did not read:
    ``zip64``, a zip64 record (which ``zipfile`` follows) with the true counts behind a normal
    record saying 1 file and 100 bytes; ``disk``, a normal record whose disk-number fields hold
    the record's own signature, so that a search for it lands 4 bytes late."""
    import struct

    with zipfile.ZipFile(path, "w") as zf:
        for k in range(n):
            zf.writestr(f"{k}.ipynb", b"")
    raw = path.read_bytes()
    at = raw.rfind(b"PK\x05\x06")
    _, _, _, _, total, size, offset, _ = struct.unpack("<4s4H2LH", raw[at : at + 22])
    if kind == "zip64":
        record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, size, offset)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 100, offset, 0)
        path.write_bytes(raw[:at] + record + locator + end)
    else:
        end = b"PK\x05\x06" + b"PK\x05\x06" + struct.pack("<2H2LH", 1, total, size, offset, 0)
        path.write_bytes(raw[:at] + end)


@pytest.mark.parametrize("kind", ["zip64", "disk"])
def test_the_end_record_is_read_as_zipfile_reads_it(tmp_path, monkeypatch, kind):
    """A review's second try: both zips of 600 000 files got past the first check (388 MB)."""
    _end_record_variant(tmp_path / "big.zip", 200, kind)
    with zipfile.ZipFile(tmp_path / "big.zip") as zf:  # zipfile reads them: the attack is real
        assert len(zf.infolist()) == 200
    monkeypatch.setattr(grade, "MAX_ZIP_ENTRIES", 50)
    monkeypatch.setattr(zipfile.ZipFile, "infolist", lambda self: pytest.fail("read"))
    (sub,) = grade.collect(tmp_path, [NB])
    assert sub.problems == ["big.zip lists more than 50 files; not read"]


def test_notes_of_ignored_notebooks_are_capped(tmp_path):
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / NB).write_bytes(MASTER.read_bytes())
    for k in range(30):
        (tmp_path / "ann" / f"other{k:02d}.ipynb").write_text("{}")
    (sub,) = grade.collect(tmp_path, [NB])
    assert len(sub.problems) == grade.MAX_NAMED + 1
    assert sub.problems[-1] == "note: ignored 20 more notebooks that are not of this assignment"


# --- F12: a time-out names the limit that stopped the call -----------------------------------


def test_a_time_out_names_the_limit_applied(monkeypatch):
    """Chapter 15's exercises allow 60 s in the learner's kernel, but a graded call is stopped
    after 5 s: the reason said 60 s."""
    import keys

    spec = next(
        s
        for s in keys.build([MASTER], seed=1)["notebooks"][NB]["exercises"]
        if s["name"] == "ch02_clip_by_norm"
    )
    spec = {**spec, "time_limit": 60.0}
    cases = sum(len(rows) for rows in spec["suites"].values())
    records = [{"event": "case", "i": i, "status": "timeout"} for i in range(cases)]
    monkeypatch.setattr(engine.sandbox, "run", lambda *a: sandbox.Result(records=records))
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("def clip_by_norm(g, max_norm):\n    return g", spec["solution_id"])]
    book = {"exercises": [spec], "preamble": []}
    (g,) = engine.grade_notebook(nb, book, sandbox.Limits(call=5.0), 1e18)
    assert g.reasons and all("did not return within 5 s" in r for r in g.reasons), g.reasons


# --- F13: learner text in the feedback files is shown, never rendered -------------------------


def test_markdown_and_html_from_a_submission_are_shown_as_text_in_the_feedback():
    from markdown_it import MarkdownIt

    hostile = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(document.cookie)</script>",
        "[click](http://evil.example)",
        "<!-- the rest is hidden",
        "**BOLD** ``` `` ` and a fence",
        "# Score: 8/8",
    ]
    row = {"student": "<b>eve</b>", "status": "graded", "score": "0", "max_score": "2"}
    row |= {"ch02_clip_by_norm (2)": "0"}
    row["reason"] = " | ".join(
        f"ch02_clip_by_norm_solution: ValueError: {h}; 0/2" for h in hostile[:3]
    )
    row["notes"] = "; ".join([*hostile[3:], "plain words stay as they are"])
    text = grade.feedback_text(row)
    html = MarkdownIt("gfm-like").render(text)
    for tag in ("<img", "<script", "<a ", "<!--", "<strong>BOLD", "<b>", "<h1>Score"):
        assert tag not in html, (tag, html)
    for h in hostile:  # shown as written
        escaped = h.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in html, (h, html)
    assert "- plain words stay as they are" in text
    assert "**Score: 0 / 2**" in text and "<strong>Score: 0 / 2</strong>" in html


def test_an_ordinary_error_message_stays_plain_text_in_the_feedback():
    """Only Markdown's own constructs make a code span: an index, a comparison or a product in
    an honest student's error message is read as it is, not set as code."""
    for plain in (
        "ch02_x_solution: NameError: name 'eigvalsh' is not defined (line 2: eigvalsh(H)[-1])",
        "ValueError: need lr < 2/L and x*y > 0, got C:\\tmp",
    ):
        assert grade._markdown_text(plain) == plain
    marked_ones = ("x = a*b*c", "_helper is undefined", "cost $5 or $6", "see [it](x)", "m@e.x")
    escaped = ("x = a\\*b\\*c", "\\_helper is undefined", "cost \\$5 or \\$6", "see \\[it\\](x)")
    for marked, shown in zip(marked_ones, (*escaped, "` m@e.x `"), strict=True):
        assert grade._markdown_text(marked) == shown


# --- F9: a time-out may come from a busy machine: the summary says which rows to regrade -----


def test_the_summary_names_the_rows_with_a_time_out():
    rows = [
        {"student": "ann", "reason": f"{HEAD} 1 of 6 (x): did not return within 5 s"},
        {"student": "bob", "reason": "", "notes": "skipped cell x (timed out in it)"},
        {"student": "cy", "reason": "ch02_x: wrong value"},
    ]
    assert grade.timed_out(rows) == ["ann", "bob"]
    # the last line names the exercise of each (a TA could not tell which had timed out)
    assert [grade._timed_out_where(r) for r in rows[:2]] == [[HEAD.split()[0]], ["notes"]]


def test_a_class_with_links_pipes_and_folders_is_collected_quickly(tmp_path, no_hang):
    """Many students' odd entries together: collection stays fast and reads each file once."""
    subs = tmp_path / "subs"
    for k in range(30):
        folder = subs / f"s{k:02d}"
        folder.mkdir(parents=True)
        (folder / NB).write_bytes(MASTER.read_bytes())
        (folder / "x.ipynb").mkdir()
        os.mkfifo(folder / "y.ipynb")
    start = time.monotonic()
    found = grade.collect(subs, [NB])
    assert time.monotonic() - start < 5
    assert len(found) == 30 and all(NB in s.notebooks for s in found)


def test_a_sandbox_that_cannot_run_is_one_line_not_a_traceback(monkeypatch, capsys, tmp_path):
    """A TA whose .venv was a link outside the repository got a traceback."""
    import sandbox as sandbox_module

    def check() -> None:
        raise sandbox_module.SandboxUnavailable("the sandbox cannot run python here")

    monkeypatch.setattr(sandbox_module, "check", check)
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / NB).write_bytes(MASTER.read_bytes())
    key = tmp_path / "key.pkl"
    assert grade.main(["--make-key", str(MASTER), "--out", str(key)]) == 0
    argv = [str(tmp_path / "subs"), "--key", str(key), "--out", str(tmp_path / "gb.csv")]
    argv += ["--source", str(MASTER.parent)]
    assert grade.main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: the sandbox cannot run python here"
    )
