"""A hostile class: every attack of issue 15 against `tasks.py grade`, plus honest students the
old nbgrader pipeline treated unfairly.

The submissions are built from the master of chapter 02 (8 points: gradient descent 2 + 1,
max_stable_lr 1 + 1, clip_by_norm 1 + 1, the learning-rate challenge 1) by
``tests/fixtures/grading/build.py``. Every attacker answers ``max_stable_lr`` honestly (2 points)
and attacks elsewhere, so each must score exactly 2: what the honest work earns. Two honest
classmates are graded once alone and once inside the hostile class: their rows must be equal
(and the alone run is serial, the class run uses ``--jobs 2``). The run must complete with a
full gradebook, copies and attempts to dodge the grader are flagged, and no process started
by a submission survives.
"""

from __future__ import annotations

import csv
import inspect
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "grading"))

import build  # noqa: E402

MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"
NOTEBOOK = MASTER.name
MARKER = "37.25"  # the sleep time of the attacker's background process: found in /proc if alive

# Honest answers, written differently from the reference (so no "copy" flag).
GD = """def gradient_descent(grad, x0, lr, steps):
    path = np.empty((steps + 1, len(x0)))
    path[0] = x0
    for t in range(steps):
        path[t + 1] = path[t] - lr * grad(path[t].copy())
    return path"""
MAX_LR = """def max_stable_lr(H):
    top = max(np.linalg.eigvalsh(H))
    return float(2 / top)"""
CLIP = """def clip_by_norm(g, max_norm):
    length = np.sqrt((g.astype(np.float64) ** 2).sum())
    factor = 1.0 if length <= max_norm else max_norm / float(length)
    return g * factor"""
LR = "lr_challenge = 1.7"
HONEST = {
    "ch02_gradient_descent": GD,
    "ch02_max_stable_lr": MAX_LR,
    "ch02_clip_by_norm": CLIP,
    "ch02_lr_challenge": LR,
}
UNANSWERED = {"ch02_gradient_descent": None, "ch02_clip_by_norm": None, "ch02_lr_challenge": None}


def attack(**cells: str) -> dict:
    """Honest max_stable_lr, the rest unanswered, then the attack's cells."""
    return {**HONEST, **UNANSWERED, "ch02_max_stable_lr": MAX_LR, **cells}


GD_UNSOLVED = "def gradient_descent(grad, x0, lr, steps):\n    raise NotImplementedError()"


def _attacks(paths: dict[str, str]) -> dict[str, dict]:
    return {
        "redefine_check": attack(
            ch02_gradient_descent="def check(*args, **kwargs):\n    print('✓ all passed')\n\n"
            + GD_UNSOLVED
        ),
        "builtins_check": attack(
            ch02_gradient_descent="import builtins\nbuiltins.check = lambda *a, **k: None\n\n"
            + GD_UNSOLVED
        ),
        "patch_core": attack(
            ch02_gradient_descent=(
                "import dlnotes.exercises.core as core\n"
                "core._check_function = lambda *a, **k: (True, '✓')\n\n" + GD_UNSOLVED
            )
        ),
        "overwrite_solution": attack(
            ch02_gradient_descent=(
                "from dlnotes.exercises import get\n"
                "object.__setattr__(get('ch02_clip_by_norm'), 'solution', lambda g, m: g)\n\n"
                + GD_UNSOLVED
            ),
            ch02_clip_by_norm="def clip_by_norm(g, max_norm):\n    return g",
        ),
        "patch_isclose": attack(
            ch02_gradient_descent=(
                "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)\n"
                "np.allclose = lambda *a, **k: True\n"
                "np.array_equal = lambda *a, **k: True\n\n" + GD_UNSOLVED
            ),
            ch02_clip_by_norm="def clip_by_norm(g, max_norm):\n    return g * 1.0",
        ),
        "only_when_graded": attack(
            ch02_gradient_descent=(
                "import os\n"
                "if os.environ.get('NBGRADER_EXECUTION') or not os.path.exists('/work'):\n"
                "    def check(*args, **kwargs):\n        pass\n\n" + GD_UNSOLVED
            )
        ),
        "get_solution": attack(
            ch02_gradient_descent=(
                "from dlnotes.exercises import get\n"
                "gradient_descent = get('ch02_gradient_descent').solution"
            ),
            ch02_clip_by_norm=(
                "from dlnotes.exercises import get as _get\n"
                "def clip_by_norm(g, max_norm):\n"
                "    return _get('ch02_clip_by_norm').solution(g, max_norm)"
            ),
        ),
        "solution_copy": attack(
            ch02_gradient_descent=(
                "from dlnotes.exercises import get\n"
                "gradient_descent = get('ch02_gradient_descent').solution_copy()"
            ),
        ),
        "getsource_exec": attack(
            ch02_clip_by_norm=(
                "import inspect\n"
                "import dlnotes.exercises.ch02 as m\n"
                "ns = dict(vars(m))\n"
                "exec(inspect.getsource(m.clip_by_norm), ns)\n"
                "clip_by_norm = ns['clip_by_norm']"
            ),
        ),
        "profiler_off": attack(
            ch02_clip_by_norm=(
                "import sys\n"
                "from dlnotes.exercises.ch02 import clip_by_norm as ref\n"
                "def clip_by_norm(g, max_norm):\n"
                "    sys.setprofile(None)\n"
                "    return ref(g, max_norm)"
            ),
        ),
        "thread": attack(
            ch02_clip_by_norm=(
                "import threading\n"
                "from dlnotes.exercises.ch02 import clip_by_norm as ref\n"
                "def clip_by_norm(g, max_norm):\n"
                "    out = []\n"
                "    t = threading.Thread(target=lambda: out.append(ref(g, max_norm)))\n"
                "    t.start()\n"
                "    t.join()\n"
                "    return out[0]"
            ),
        ),
        "hidden_lookup": attack(
            ch02_clip_by_norm=(
                "from dlnotes.exercises import get\n"
                "_ex = get('ch02_clip_by_norm')\n"
                "_table = [(c.args, _ex.solution(*c.args)) for s in ('visible', 'hidden')\n"
                "          for c in _ex.suites[s]()]\n"
                "def clip_by_norm(g, max_norm):\n"
                "    for (a, b), out in _table:\n"
                "        if a.shape == g.shape and np.array_equal(a, g):\n"
                "            return out.copy()\n"
                "    return g.copy()"
            ),
        ),
        "lying_subclass": attack(
            ch02_gradient_descent=(
                "class Liar(np.ndarray):\n"
                "    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):\n"
                "        return np.ones(np.broadcast(*inputs).shape, dtype=bool)\n"
                "    def __eq__(self, other):\n        return True\n\n"
                "def gradient_descent(grad, x0, lr, steps):\n"
                "    return np.zeros((steps + 1, len(x0))).view(Liar)"
            ),
            ch02_clip_by_norm=(
                "def clip_by_norm(g, max_norm):\n    return np.zeros_like(g).view(Liar)"
            ),
        ),
        "always_equal": attack(
            ch02_clip_by_norm=(
                "class Same:\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __float__(self):\n        return 1.0\n\n"
                "def clip_by_norm(g, max_norm):\n    return Same()"
            ),
            ch02_lr_challenge="lr_challenge = Same()",
        ),
        "background_editor": attack(
            ch02_gradient_descent=(
                "import subprocess\n"
                f"subprocess.Popen(['setsid', 'sh', '-c', 'sleep {MARKER}; "
                f"echo hacked > {paths['gradebook']}'], start_new_session=True)\n"
                "try:\n"
                f"    open({paths['gradebook']!r}, 'a').write('hacked')\n"
                "except OSError:\n    pass\n\n" + GD_UNSOLVED
            ),
        ),
        "deletes_folders": attack(
            ch02_gradient_descent=(
                "import os\nimport shutil\n"
                f"for p in ({paths['submissions']!r}, {paths['source']!r}, {paths['key']!r}):\n"
                "    shutil.rmtree(p, ignore_errors=True)\n"
                "    try:\n        os.remove(p)\n    except OSError:\n        pass\n"
                f"os.system('rm -rf {paths['submissions']}')\n\n" + GD_UNSOLVED
            ),
        ),
        # an error message that would redraw the instructor's terminal (escape sequences) and a
        # forged record about a cell that does not exist, whose grade id is a spreadsheet formula
        "escape_sequences": attack(
            ch02_gradient_descent=(
                "import os, sys\n"
                'os.write(3, b\'{"event":"cell","grade_id":"=HYPERLINK(1)",\'\n'
                '         b\'"status":"error","error":"x"}\\n\')\n'
                "raise ValueError('\\x1b[2K\\x1b[Gzed  8/8  graded')\n\n" + GD_UNSOLVED
            )
        ),
        # a fork bomb: the sandbox's process limit stops it (each sandbox its own, so classmates
        # graded beside it with --jobs 2 are unaffected), and the copies it forked say nothing
        "fork_bomb": attack(
            ch02_gradient_descent="import os\n\nwhile True:\n    os.fork()\n\n" + GD_UNSOLVED
        ),
        # Attacks that evade the static flags (no flagged import, name or attribute) and
        # hide a call of the answer from the profiler, which runs in the learner's process.
        # They get nothing because the sandbox's copy of the answers is withheld (withheld.py).
        "blinds_profiler": attack(
            ch02_clip_by_norm=(
                "import sys\n"
                "def clip_by_norm(g, max_norm):\n"
                "    mod = sys.modules['importlib'].import_module('dlnotes.exer' + 'cises.ch02')\n"
                "    out = getattr(mod, 'clip_by_norm')(g, max_norm)\n"
                "    sys._getframe(1).f_locals['seen'].clear()\n"
                "    return out"
            ),
        ),
        "answer_in_a_child_process": attack(
            ch02_clip_by_norm=(
                "import pickle\nimport sys\n"
                "PROG = ('import pickle, sys; from dlnotes.exercises import ch02; '\n"
                "        'a = pickle.load(sys.stdin.buffer); '\n"
                "        'sys.stdout.buffer.write(pickle.dumps(ch02.clip_by_norm(*a)))')\n"
                "def clip_by_norm(g, max_norm):\n"
                "    run = sys.modules['importlib'].import_module('subpro' + 'cess').run\n"
                "    r = run([sys.executable, '-c', PROG], input=pickle.dumps((g, max_norm)),\n"
                "            capture_output=True)\n"
                "    return pickle.loads(r.stdout)"
            ),
        ),
        "copies_the_code_object": attack(
            ch02_clip_by_norm=(
                "import sys\nimport types\n"
                "_mod = sys.modules['importlib'].import_module('dlnotes.exer' + 'cises.ch02')\n"
                "_ref = getattr(_mod, 'clip_by_norm')\n"
                "_code = getattr(_ref, '__co' + 'de__').replace(co_firstlineno=9999)\n"
                "clip_by_norm = types.FunctionType(_code, vars(_mod))"
            ),
        ),
        "patches_the_result_encoder": attack(
            ch02_clip_by_norm=(
                "import sys\n"
                "_plain = sys.modules['plain']\n"
                "_dumps = _plain.dumps_line\n"
                "def _quiet(record):\n"
                "    if record.get('event') == 'case':\n"
                "        record['called_reference'] = None\n"
                "    return _dumps(record)\n"
                "_plain.dumps_line = _quiet\n"
                "_mod = sys.modules['importlib'].import_module('dlnotes.exer' + 'cises.ch02')\n"
                "clip_by_norm = getattr(_mod, 'clip_by_norm')"
            ),
        ),
        "answers_every_case_at_cell_time": attack(
            ch02_clip_by_norm=(
                "import sys\n"
                "_job = sys._getframe(0).f_back.f_locals['job']\n"
                "_mod = sys.modules['importlib'].import_module('dlnotes.exer' + 'cises.ch02')\n"
                "_ref = getattr(_mod, 'clip_by_norm')\n"
                "_table = [(c.args, _ref(*c.args)) for c in _job['cases']]\n"
                "def clip_by_norm(g, max_norm):\n"
                "    for (a, m), out in _table:\n"
                "        if m == max_norm and np.array_equal(a, g):\n"
                "            return out.copy()\n"
                "    return g.copy()"
            ),
        ),
        "reads_the_compiled_module": attack(
            ch02_clip_by_norm=(
                "import marshal\nimport sys\nimport types\n"
                "_mod = sys.modules['importlib'].import_module('dlnotes.exer' + 'cises.ch02')\n"
                "_pyc = sys.modules['importlib'].util.cache_from_source(_mod.__file__)\n"
                "_code = marshal.loads(open(_pyc, 'rb').read()[16:])\n"
                "_fn = [c for c in _code.co_consts\n"
                "       if getattr(c, 'co_name', '') == 'clip_by_norm']\n"
                "clip_by_norm = types.FunctionType(_fn[0], vars(_mod))"
            ),
        ),
        "library_answer_in_a_thread": attack(
            ch02_gradient_descent=(
                "import sys\n"
                "def gradient_descent(grad, x0, lr, steps):\n"
                "    class Land:\n"
                "        def f(self, x):\n"
                "            return np.zeros(np.shape(x)[:-1])\n"
                "        def grad(self, x):\n"
                "            return grad(x)\n"
                "    ref = getattr(sys.modules['dlnotes.landscapes'], 'gradient_' + 'descent')\n"
                "    out = []\n"
                "    t = sys.modules['threading'].Thread(\n"
                "        target=lambda: out.append(ref(Land(), x0, lr, steps).xs))\n"
                "    t.start()\n"
                "    t.join()\n"
                "    return out[0]"
            ),
        ),
        # a correct answer padded to megabytes: parsing it for the flags took the grader
        # gigabytes; it is refused before it is parsed
        "huge_answer_cell": attack(ch02_clip_by_norm=CLIP + "\n_pad = [" + "a," * 150_000 + "]"),
        "steals_classmate": attack(
            ch02_clip_by_norm=(
                "import glob\nimport json\nimport os\n"
                "seen = [open(p, 'rb').read() for p in glob.glob('/proc/[0-9]*/cmdline')]\n"
                f"for path in glob.glob({paths['submissions']!r} + '/*/*.ipynb'):\n"
                "    for cell in json.load(open(path))['cells']:\n"
                "        if 'def clip_by_norm' in ''.join(cell['source']):\n"
                "            exec(''.join(cell['source']))"
            ),
        ),
    }


HONEST_CASES = {
    # a correct answer that warns and writes to stderr keeps its points
    "warns": (
        {
            **HONEST,
            "ch02_clip_by_norm": "import sys\nimport warnings\n\n"
            + CLIP.replace(
                "    return g * factor",
                "    warnings.warn('clipping!')\n"
                "    print('clipped', file=sys.stderr)\n    return g * factor",
            ),
        },
        8,
    ),
    # a C-level loop (no signal can stop it) after two passed exercises: only its cell's
    # exercise is lost
    "c_loop": ({**HONEST, "ch02_clip_by_norm": CLIP + "\n\nsum(range(10**13))"}, 6),
    # the kernel dies in the clip cell after its function is defined: gd, max and the
    # challenge keep their points
    "dies_in_cell": ({**HONEST, "ch02_clip_by_norm": CLIP + "\n\nimport os\nos._exit(3)"}, 6),
    # the kernel is killed in a cell after every answer: nothing is lost
    "dies_after": ({**HONEST, "+cell": "import os\nos.kill(os.getpid(), 9)"}, 8),
    # IPython syntax that Jupyter runs: a %%time cell, a %timeit line after a definition, a
    # shell command above one (each made the whole cell a SyntaxError when graded)
    "ipython_magics": (
        {
            **HONEST,
            "ch02_clip_by_norm": "%%time\n" + CLIP,
            "ch02_gradient_descent": GD + "\n\n%timeit gradient_descent(abs, [1.0], 0.1, 3)",
            "ch02_max_stable_lr": "!pip install -q numpy\n" + MAX_LR,
        },
        8,
    ),
    # the challenge's value searched for with the chapter's runner, which the function
    # exercises' jobs withhold: a value job withholds no library code, so it keeps its point
    "searched_challenge": (
        {
            **HONEST,
            "ch02_lr_challenge": "bowl = ls.ill_conditioned_quadratic(10.0)\n"
            "runs = {a: ls.gradient_descent(bowl, [2.0, 2.0], a, 60) for a in (1.6, 1.7)}\n"
            "lr_challenge = min(runs, key=lambda a: runs[a].fs[-1])",
        },
        8,
    ),
    "duplicated_cells": ("duplicated", 8),
    "old_schema": ("old_schema", 8),
}
CLASSMATES = {"classmate_full": (HONEST, 8), "classmate_partial": (attack(), 2)}


def _notebook(edits) -> nbformat.NotebookNode:
    if edits == "duplicated":  # a copy-pasted test cell and a second (wrong) answer cell
        nb = build.submission(MASTER, HONEST)
        test = next(
            c
            for c in nb.cells
            if "grade_id" in c.metadata.get("nbgrader", {})
            and c.metadata["nbgrader"]["grade_id"] == "ch02_clip_by_norm_test"
        )
        answer = next(
            c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "ch02_clip_by_norm_solution"
        )
        wrong = nbformat.from_dict(dict(answer))
        wrong.source = "def clip_by_norm(g, max_norm):\n    return g"
        wrong.id = "pasted-answer"
        pasted = nbformat.from_dict(dict(test))
        pasted.source = "print('my own test')"
        pasted.id = "pasted-test"
        nb.cells += [pasted, wrong]
        return nb
    if edits == "old_schema":  # nbgrader metadata of an old version (no task, schema 1)
        nb = build.submission(MASTER, HONEST)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta:
                meta["schema_version"] = 1
                meta.pop("task", None)
                meta.pop("locked", None)
        return nb
    return build.submission(MASTER, edits)


def _write(folder: Path, students: dict) -> None:
    for student, (edits, _score) in students.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(_notebook(edits), folder / student / NOTEBOOK)


def _grade(tmp: Path, subs: Path, out: Path, *extra: str) -> dict[str, dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)
    cmd = [
        sys.executable, str(ROOT / "tools" / "grade.py"), str(subs),
        "--key", str(tmp / "key.pkl"), "--source", str(tmp / "source"), "--out", str(out),
        "--timeout", "15", "--cell-timeout", "3", *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200, cwd=tmp)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "source").mkdir()
    (tmp / "source" / NOTEBOOK).write_bytes(MASTER.read_bytes())
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "tools" / "grade.py"), "--make-key",
           str(tmp / "source" / NOTEBOOK), "--out", str(tmp / "key.pkl")]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    out_dir = tmp / "gradebooks"
    out_dir.mkdir()
    paths = {
        "submissions": str(tmp / "class"),
        "source": str(tmp / "source"),
        "key": str(tmp / "key.pkl"),
        "gradebook": str(out_dir / "class.csv"),
    }
    attacks = {name: (edits, 2) for name, edits in _attacks(paths).items()}
    everyone = {**attacks, **HONEST_CASES, **CLASSMATES}
    _write(tmp / "class", everyone)
    _write(tmp / "alone", CLASSMATES)
    alone = _grade(tmp, tmp / "alone", out_dir / "alone.csv")
    start = time.monotonic()
    rows = _grade(tmp, tmp / "class", out_dir / "class.csv", "--jobs", "2")
    seconds = time.monotonic() - start
    return tmp, everyone, rows, alone, seconds


@pytest.mark.slow
def test_the_run_completes_with_a_full_gradebook(hostile):
    tmp, everyone, rows, _, _ = hostile
    assert set(rows) == set(everyone)
    assert (tmp / "class").is_dir() and (tmp / "key.pkl").exists()
    text = (tmp / "gradebooks" / "class.csv").read_text()
    assert "hacked" not in text
    assert "\x1b" not in text and "HYPERLINK" not in text
    assert "\\x1b[2K" in rows["escape_sequences"]["reason"]  # shown, escaped


@pytest.mark.slow
@pytest.mark.parametrize(
    "student",
    [
        *_attacks({k: "/x" for k in ("submissions", "source", "key", "gradebook")}),
        *HONEST_CASES,
        *CLASSMATES,
    ],
)
def test_each_scores_what_its_honest_work_earns(hostile, student):
    _, everyone, rows, _, _ = hostile
    row = rows[student]
    assert float(row["score"]) == everyone[student][1], row
    assert float(row["max_score"]) == 8.0
    assert row["status"] == "graded", row
    for column, value in row.items():  # a reason for every lost point
        if column.startswith("ch02_") and float(value) < float(column.split("(")[1][:-1]):
            assert column.split(" (")[0] in row["reason"], (column, row)


CIRCUMVENTING = {
    "builtins_check": "ch02_gradient_descent",
    "patch_core": "ch02_gradient_descent",
    "overwrite_solution": "ch02_gradient_descent",
    "get_solution": "ch02_clip_by_norm",
    "getsource_exec": "ch02_clip_by_norm",
    "profiler_off": "ch02_clip_by_norm",
    "thread": "ch02_clip_by_norm",
    "hidden_lookup": "ch02_clip_by_norm",
    "background_editor": "ch02_gradient_descent",
}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(CIRCUMVENTING))
def test_attempts_to_use_the_reference_or_dodge_the_grader_are_flagged(hostile, student):
    _, _, rows, _, _ = hostile
    assert f"{CIRCUMVENTING[student]}: circumvention" in rows[student]["flagged"], rows[student]


#: attacks that evade the static flags: each reaches the sandbox's withheld copy of the answer
WITHHELD = {
    "blinds_profiler": "ch02_clip_by_norm",
    "answer_in_a_child_process": "ch02_clip_by_norm",
    "copies_the_code_object": "ch02_clip_by_norm",
    "patches_the_result_encoder": "ch02_clip_by_norm",
    "answers_every_case_at_cell_time": "ch02_clip_by_norm",
    "reads_the_compiled_module": "ch02_clip_by_norm",
    "library_answer_in_a_thread": "ch02_gradient_descent",
}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(WITHHELD))
def test_hiding_a_call_of_the_answer_from_the_profiler_gets_nothing(hostile, student):
    """Unflagged, these scored full marks while the sandbox showed the package's answers."""
    _, _, rows, _, _ = hostile
    row, exercise = rows[student], WITHHELD[student]
    column = next(k for k in row if k.startswith(exercise + " ("))
    assert float(row[column]) == 0.0, row
    if student not in (  # these three only see an error where the answer should be
        "reads_the_compiled_module",
        "answer_in_a_child_process",
        "library_answer_in_a_thread",
    ):
        assert "dlnotes' own solution" in row["reason"] or "withheld" in row["reason"], row


@pytest.mark.slow
def test_honest_work_is_not_flagged_and_copies_are(hostile):
    _, _, rows, _, _ = hostile
    for student in [*HONEST_CASES, *CLASSMATES]:
        assert rows[student]["flagged"] == "", rows[student]


@pytest.mark.slow
def test_classmates_are_unaffected_and_parallel_equals_serial(hostile):
    _, _, rows, alone, _ = hostile
    for student in CLASSMATES:
        assert rows[student] == alone[student]


@pytest.mark.slow
def test_no_process_of_a_submission_survives(hostile):
    alive = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"sleep {MARKER}" in text:
            alive.append(text)
    assert alive == []


@pytest.mark.slow
def test_ipython_syntax_is_run_as_jupyter_would_and_noted(hostile):
    _, _, rows, _, _ = hostile
    notes = rows["ipython_magics"]["notes"]
    assert "%%time: the cell's code ran once" in notes
    assert "%timeit: line magics are not run when graded" in notes
    assert "!pip: shell commands are not run when graded" in notes


@pytest.mark.slow
def test_a_huge_answer_cell_is_refused_unparsed(hostile):
    _, _, rows, _, _ = hostile
    assert "characters, more than the 200000 graded" in rows["huge_answer_cell"]["reason"]


@pytest.mark.slow
def test_lost_points_of_honest_students_say_why(hostile):
    _, _, rows, _, _ = hostile
    assert "while running ch02_clip_by_norm_solution" in rows["c_loop"]["reason"]
    assert "skipped cell ch02_clip_by_norm_solution" in rows["c_loop"]["notes"]
    assert "while running ch02_clip_by_norm_solution" in rows["dies_in_cell"]["reason"]
    assert "ignored 1 copies of it below its test cell" in rows["duplicated_cells"]["notes"]


def test_copying_the_reference_is_flagged():
    """The normalised AST ignores names, docstrings and annotations (fast, no sandbox)."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags

    from dlnotes.exercises.ch02 import clip_by_norm

    source = inspect.getsource(clip_by_norm).replace("norm", "n0rm").replace("scale", "s")
    mine = flags.normalised(source, "clip_by_n0rm")  # every name changed, same code
    assert mine is not None
    assert mine in flags.reference_dumps([clip_by_norm], [], "clip_by_norm")
    honest = flags.normalised(CLIP, "clip_by_norm")
    assert honest not in flags.reference_dumps([clip_by_norm], [], "clip_by_norm")


@pytest.mark.slow
def test_dask_grades_the_same_gradebook_as_serial(hostile):
    """`--dask` on a LocalCluster (two worker processes) gives the serial run's rows."""
    from distributed import LocalCluster

    tmp, _, _, alone, _ = hostile
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        rows = _grade(
            tmp, tmp / "alone", tmp / "gradebooks" / "dask.csv", "--dask", cluster.scheduler_address
        )
    assert rows == alone


def test_a_library_attribute_named_like_a_reference_is_not_the_reference():
    """torch.nn.Sequential is not dlnotes' Sequential (chapter 15's PyTorch port uses it); the
    same attribute reached from a dlnotes import still is."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags

    refs = {"Sequential"}
    assert flags.circumvention("import torch\nm = torch.nn.Sequential()", refs, set()) == []
    assert flags.circumvention("from torch import nn\nm = nn.Sequential()", refs, set()) == []
    # torch imported by the notebook's own setup cell, not by the answer cell
    assert flags.circumvention("m = torch.nn.Sequential()", refs, set()) == []
    assert flags.circumvention(
        "from dlnotes import model\nm = model.Sequential()", refs, set()
    ) == ["calls the reference .Sequential"]
    assert flags.circumvention(
        "import dlnotes.model as torch\nm = torch.Sequential()", refs, set()
    ) == ["calls the reference .Sequential"]


def test_a_method_reference_is_flagged_by_its_class_not_by_the_methods_name():
    """ch13_log_uniform's library reference is LogUniform.sample: an honest answer with an
    unrelated ``.sample`` (its own helper, pandas, random) is not flagged; reaching LogUniform
    is."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags

    assert flags.reference_name("dlnotes.tuning:LogUniform.sample") == "LogUniform"
    assert flags.reference_name("dlnotes.landscapes:gradient_descent") == "gradient_descent"
    refs, own = {"LogUniform", "log_uniform"}, {"log_uniform"}
    head = "def log_uniform(low, high, n, rng):\n    "
    honest = [
        head + "u = rng.uniform(np.log(low), np.log(high), n)\n    return np.exp(u)",
        "class Exps:\n    def __init__(self, rng):\n        self.rng = rng\n\n"
        "    def sample(self, a, b, n):\n        return np.exp(self.rng.uniform(a, b, n))\n\n\n"
        + head
        + "return Exps(rng).sample(np.log(low), np.log(high), n)",
        "import random\n\n" + head + "k = random.sample(range(5), 2)\n    return k",
    ]
    for source in honest:
        assert flags.circumvention(source, refs, own) == [], source
    reaching = {
        "from dlnotes import tuning\n\n"
        + head
        + "return tuning.LogUniform(low, high).sample(rng, n)": "calls the reference .LogUniform",
        "from dlnotes.tuning import LogUniform\n\n"
        + head
        + "return LogUniform(low, high)": "imports the reference dlnotes.tuning.LogUniform",
    }
    for source, why in reaching.items():
        (reason,) = flags.circumvention(source, refs, own)
        assert reason == why, (source, reason)


def test_another_librarys_function_or_tensor_method_named_like_a_reference_is_not_flagged():
    """Honest answers of ch15_logsumexp_backward that use torch or scipy (check() passes them)
    are not flagged for naming logsumexp; dlnotes' own logsumexp still is, however it is
    reached. A ch14_ensemble_predict that imports SciPy's softmax is not flagged by this static
    reading either: its check refuses the call while the answer runs (the prompt asks for the
    softmax written in numpy)."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags

    refs, own = {"logsumexp", "logsumexp_backward"}, {"logsumexp_backward"}
    head = "def logsumexp_backward(x, g):\n    "
    honest = [
        head + "t = torch.tensor(x, requires_grad=True)\n    "
        "t.logsumexp(dim=1).backward(torch.tensor(g))\n    return t.grad.numpy()",
        head + "t = torch.tensor(x, requires_grad=True)\n    "
        "torch.logsumexp(t, dim=1).backward(torch.tensor(g))\n    return t.grad.numpy()",
        "from scipy.special import logsumexp\n\n" + head + "return g[:, None] * np.exp("
        "x - logsumexp(x, axis=1, keepdims=True))",
    ]
    for source in honest:
        assert flags.circumvention(source, refs, own) == [], source
    softmax = "from scipy.special import softmax\n\ndef f(logits):\n    return softmax(logits)"
    assert flags.circumvention(softmax, {"softmax", "ensemble_predict"}, set()) == []
    reaching = {
        head + "t = ag.Tensor(x)\n    return ag.logsumexp(t, axis=1)": ".logsumexp",
        head + "t = ag.Tensor(x)\n    return t.logsumexp(1)": ".logsumexp",
        "from dlnotes.autograd import logsumexp\n\n" + head + "return logsumexp(x)": "imports",
    }
    for source, why in reaching.items():
        (reason,) = flags.circumvention(source, refs, own)
        assert why in reason, (source, reason)


def test_a_library_bound_by_the_notebooks_imports_is_not_the_reference():
    """Chapter 15's import cell binds ``F`` to torch.nn.functional: an honest answer that calls
    ``F.softmax`` (check() passes it) is not "calls the reference .softmax", while the same call
    on a name bound to dlnotes still is."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags
    import keys

    master = nbformat.read(ROOT / "notebooks" / "15_frameworks.ipynb", as_version=4)
    bound = flags.foreign_names(keys.preamble(master))
    assert {"F", "torch", "np"} <= bound and "ag" not in bound
    refs, own = {"softmax", "log_softmax", "logsumexp_backward"}, {"logsumexp_backward"}
    honest = (
        "def logsumexp_backward(x, g):\n"
        "    t = torch.from_numpy(np.asarray(x, dtype=np.float64))\n"
        "    return g[:, None] * F.softmax(t, dim=1).numpy()"
    )
    assert flags.circumvention(honest, refs, own, preamble_foreign=bound) == []
    ours = "from dlnotes import losses as F\n\n" + honest
    assert flags.circumvention(ours, refs, own, preamble_foreign=bound) == [
        "calls the reference .softmax"
    ]


def test_importing_check_again_in_an_answer_cell_is_not_using_the_catalogue():
    """After a kernel restart a learner imports ``check`` again in the answer cell; that is
    not the catalogue, while importing ``get`` or the module itself still is."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags

    body = "\n\ndef f(g, H, x):\n    return x - np.linalg.solve(H, g)\n\ncheck('x', f)\n"
    for line in ("from dlnotes.exercises import check", "from dlnotes.exercises import check as c"):
        assert flags.circumvention(line + body, {"newton_step"}, {"f"}) == [], line
    for line in ("from dlnotes.exercises import check, get", "import dlnotes.exercises"):
        reasons = flags.circumvention(line + body, {"newton_step"}, {"f"})
        assert reasons == ["uses the exercise catalogue (dlnotes.exercises)"], (line, reasons)


@pytest.mark.slow
def test_a_fork_bomb_is_stopped_by_the_process_limit_not_the_clock(hostile):
    """The bomb's cell ends with the kernel refusing a fork (the sandbox's RLIMIT_NPROC), so
    its other exercises run at once and keep their points (the score test), and nothing is
    reported as a time-out."""
    _, _, rows, _, _ = hostile
    row = rows["fork_bomb"]
    said = row["reason"] + " " + row["notes"]
    assert "BlockingIOError" in said, row
    assert "timed out" not in said and "longer than" not in said, row


def test_a_module_of_the_catalogue_bound_by_the_notebook_is_the_catalogue():
    """Chapters 01 and 09 bind ``reference`` to their exercise module for the claims; an answer
    cell that reaches a helper through it (``reference._es_rule``, a copy of the solution that the
    mistakes use) is circumvention, while calling ``check`` in an answer cell is not."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import flags
    import keys

    master = nbformat.read(ROOT / "notebooks" / "09_regularization.ipynb", as_version=4)
    catalogue = flags.catalogue_names(keys.preamble(master))
    assert "reference" in catalogue and "check" not in catalogue
    answer = "def early_stopping_epoch(dev_losses, patience):\n"
    cheat = answer + "    return reference._es_rule(dev_losses, patience)\n"
    assert flags.circumvention(cheat, {"early_stopping_epoch"}, set(), catalogue) == [
        "uses the exercise catalogue (dlnotes.exercises) through reference"
    ]
    honest = answer + "    return len(dev_losses), 0\n\ncheck('ch09_early_stopping_epoch', f)\n"
    assert flags.circumvention(honest, {"early_stopping_epoch"}, set(), catalogue) == []


def test_the_library_form_of_an_exercise_is_its_reference():
    """ch11_update_running_stats: dlnotes.layers' in-place update is the same rule."""
    import numpy as np

    from dlnotes.exercises import CheckFailed, check
    from dlnotes.layers import update_running_stats_in_place

    def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
        rm, rv = np.array(running_mean), np.array(running_var)
        update_running_stats_in_place(rm, rv, batch_mean, batch_var, n, momentum)
        return rm, rv

    with pytest.raises(CheckFailed, match="calls dlnotes' own solution"):
        check("ch11_update_running_stats", update_running_stats)


def test_the_autograd_rule_of_an_exercise_is_its_reference():
    """ch15_logsumexp_backward asks for the rule dlnotes.autograd's logsumexp node records:
    backpropagating through that node is calling dlnotes' own solution."""
    import numpy as np

    from dlnotes.autograd import Tensor, logsumexp
    from dlnotes.exercises import CheckFailed, check

    def logsumexp_backward(x, g):
        x_ = Tensor(np.array(x, dtype=float), requires_grad=True)
        (logsumexp(x_, axis=1) * Tensor(g)).sum().backward()
        return x_.grad

    assert np.allclose(logsumexp_backward(np.eye(2), np.ones(2)), np.exp(np.eye(2)) / (1 + np.e))
    with pytest.raises(CheckFailed, match="calls dlnotes' own solution"):
        check("ch15_logsumexp_backward", logsumexp_backward)


@pytest.mark.parametrize("route", ["primitives", "softmax", "cross_entropy"])
def test_other_library_forms_of_the_logsumexp_rule_are_refused(route):
    """Autograd composed from primitives (not the logsumexp node), dlnotes' softmax (the rule's
    answer) and the cross-entropy gradient ((softmax - onehot) / N) all compute ch15's answer."""
    import numpy as np

    from dlnotes import autograd as ag
    from dlnotes import losses
    from dlnotes.exercises import CheckFailed, check, get

    def logsumexp_backward(x, g):
        if route == "softmax":
            return g[:, None] * losses.softmax(x)
        if route == "cross_entropy":
            y = np.zeros(len(x), dtype=int)
            _, grad = losses.softmax_cross_entropy(x, y)
            onehot = np.eye(x.shape[1])[y]
            return g[:, None] * (grad * len(x) + onehot)
        t = ag.Tensor(np.asarray(x, dtype=float), requires_grad=True)
        m = x.max(axis=1, keepdims=True)
        ((t - m).exp().sum(axis=1).log() * ag.Tensor(g)).sum().backward()
        return t.grad

    ex = get("ch15_logsumexp_backward")
    for case in ex.cases("visible"):  # it computes the answer ...
        _assert_same(logsumexp_backward(*case.args), ex.solution(*case.args), case.label)
    with pytest.raises(CheckFailed) as failed:  # ... and is refused
        check("ch15_logsumexp_backward", logsumexp_backward)
    message = " ".join(str(failed.value).split())
    if route == "primitives":
        assert "backpropagates with dlnotes.autograd" in message, message
        assert "use it only to test your answer" in message, message
    else:
        assert "calls dlnotes' own solution (dlnotes.losses." in message, message


def _assert_same(got, want, label):
    import numpy as np

    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), label
        for g, w in zip(got, want, strict=True):
            _assert_same(g, w, label)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9, err_msg=label)


def test_library_code_that_computes_an_answer_is_its_reference():
    """Library functions that compute an exercise's answer without being its named form:
    gradient descent as heavy ball with rho = 0, batch norm from chapter 15's autograd, the
    kept trials of a coarse search as ``Results.top``, ensemble probabilities from log_softmax,
    and other chapters' references (an EMA of weights, SGD, a multistep schedule)."""
    import numpy as np

    from dlnotes import autograd as ag
    from dlnotes import averages, losses, schedules, tuning
    from dlnotes import landscapes as ls
    from dlnotes.exercises import CheckFailed, check, get
    from dlnotes.optim import SGD

    class _Surface(ls.Landscape):
        def __init__(self, grad, dim):
            self._g, self.dim = grad, dim

        def _f(self, x):
            return np.zeros(x.shape[:-1])

        def _grad(self, x):
            return self._g(x)

    def gradient_descent(grad, x0, lr, steps):
        return ls.heavy_ball(_Surface(grad, len(x0)), x0, lr, 0.0, steps, blowup=1e300).xs

    def batchnorm_forward(X, gamma, beta, eps):
        out = ag.batch_norm(ag.Tensor(X), ag.Tensor(gamma), ag.Tensor(beta), eps=eps)
        mean = X.mean(axis=0)
        var = X.var(axis=0)
        return out.value, ((X - mean) / np.sqrt(var + eps), mean, var)

    def coarse_to_fine_bounds(values, scores, keep_fraction):
        rows = [{"v": v, "score": s} for v, s in zip(values, scores, strict=True)]
        best = tuning.Results(rows, metric="score").top(keep_fraction)
        kept = np.array([r["v"] for r in best.rows])
        return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)

    def ensemble_predict(logit_list):
        return np.mean([np.exp(losses.log_softmax(z)) for z in logit_list], axis=0).argmax(1)

    def ewa(series, beta, bias_correction):  # chapter 14's EMA, one entry at a time
        average = averages.EMA([np.zeros(())], decay=beta, bias_correction=bias_correction)
        out = []
        for x in series:
            average.update([np.array(x, dtype=float)])
            out.append(float(average.averaged[0]))
        return np.array(out)

    def step_decay(step, lr0, step_size, gamma):
        milestones = [step_size * k for k in range(1, step // step_size + 2)]
        return float(schedules.multistep(lr0, milestones, gamma)(step))

    def momentum_step(x, v, g, lr, rho):  # chapter 09's SGD, its buffer set to v first
        x_new = x.copy()
        opt = SGD([x_new], lr=0.0, momentum=rho)
        opt.step([v.copy()])
        opt.lr = lr
        opt.step([g.copy()])
        return x_new, (opt.state[0]["velocity"].copy() if rho > 0 else g.copy())

    answers = {
        "ch02_gradient_descent": (gradient_descent, "heavy_ball"),
        "ch11_batchnorm_forward": (batchnorm_forward, "batch_norm"),
        "ch13_coarse_to_fine_bounds": (coarse_to_fine_bounds, "Results.top"),
        "ch14_ensemble_predict": (ensemble_predict, "log_softmax"),
        "ch03_ewa": (ewa, "averages.EMA"),
        "ch06_step_decay": (step_decay, "schedules.multistep"),
        "ch04_momentum_step": (momentum_step, "optim.SGD"),
    }
    for name, (answer, reference) in answers.items():
        ex = get(name)
        for case in ex.cases("visible"):  # each really computes the answer ...
            _assert_same(answer(*case.args), ex.solution(*case.args), case.label)
        with pytest.raises(CheckFailed) as failed:  # ... and is refused
            check(name, answer)
        message = " ".join(str(failed.value).split())
        # an exercise whose library reference holds only a part of the answer says what
        # the learner is to write instead (ch14: the softmax)
        said = get(name).references_say or "dlnotes' own solution"
        assert said in message and "calls " in message and reference in message, message


def test_a_forward_only_use_of_the_answer_node_is_refused_and_told_why():
    """Using ch15's logsumexp node only for its value is refused too (the profiler sees the
    call, not what is done with it); the refusal says the node is the library's code for the
    answer and that any call of it counts, rather than that it backpropagated through it."""
    import numpy as np

    from dlnotes.autograd import Tensor, logsumexp
    from dlnotes.exercises import CheckFailed, check

    def logsumexp_backward(x, g):
        lse = logsumexp(Tensor(np.asarray(x, dtype=float)), axis=1).data
        return g[:, None] * np.exp(x - lse[:, None])

    with pytest.raises(CheckFailed) as failed:
        check("ch15_logsumexp_backward", logsumexp_backward)
    message = " ".join(str(failed.value).split())
    assert "(dlnotes.autograd.reductions.logsumexp, the library's code for this" in message
    assert "any call of it counts, even one for a value alone" in message


def test_calling_the_exercise_solution_is_named_plainly():
    from dlnotes.exercises import get

    assert get("ch05_adam_step").refusal("dlnotes.exercises.ch05.adam_step") == (
        "your function calls dlnotes' own solution (dlnotes.exercises.ch05.adam_step)"
    )


def test_switching_the_profiler_off_is_seen():
    """A function that turns off the profiler watching its calls, then calls the library's
    form of the answer, is refused by check() (and the grader's harness records the same)."""
    from dlnotes.exercises import CheckFailed, check

    def step_decay(step, lr0, step_size, gamma):
        sys.setprofile(None)
        import dlnotes.schedules as schedules

        return float(schedules.step_decay(lr0, step_size, gamma)(step))

    with pytest.raises(CheckFailed, match="switched off the call profiler"):
        check("ch06_step_decay", step_decay)


def _harness_records(answer_source, var, references, cases, time_limit=2.0, required=""):
    """The harness's records for one answer cell, run in this process (no sandbox)."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import harness

    records = []
    job = {
        "preamble": [],
        "cells": [("answer", answer_source)],
        "var": var,
        "kind": "function",
        "references": references,
        "required": required,
        "cases": cases,
        "cell_limit": 10.0,
        "time_limit": time_limit,
    }
    harness.run(job, records.append)
    return [r for r in records if r.get("event") == "case"]


def _message(value):
    """A value as the grader's records carry it (tools/grading/plain.py)."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import plain

    return plain.to_message(*plain.encode_object(value))


NUMPY_PORT = """
import numpy as np

def torch_train(params, batches, lr, momentum):
    W1, b1, W2, b2 = [p.copy() for p in params]
    vel = None
    for X, y in batches:
        H = X @ W1 + b1
        A = np.maximum(H, 0)
        Z = A @ W2 + b2
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(len(y)), y] -= 1
        dZ = P / len(y)
        dA = dZ @ W2.T
        dH = dA * (H > 0)
        grads = [X.T @ dH, dH.sum(0), A.T @ dZ, dZ.sum(0)]
        vel = grads if vel is None else [momentum * v + g for v, g in zip(vel, grads)]
        W1, b1, W2, b2 = [p - lr * v for p, v in zip((W1, b1, W2, b2), vel)]
    return [W1, b1, W2, b2]
"""

TORCH_PORT = """
import numpy as np
import torch
import torch.nn.functional as F

def torch_train(params, batches, lr, momentum):
    ts = [torch.tensor(p, requires_grad=True) for p in params]
    opt = torch.optim.SGD(ts, lr=lr, momentum=momentum)
    for X, y in batches:
        W1, b1, W2, b2 = ts
        z = torch.relu(torch.from_numpy(X) @ W1 + b1) @ W2 + b2
        loss = F.cross_entropy(z, torch.from_numpy(np.asarray(y)).long())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [t.detach().numpy().copy() for t in ts]
"""


@pytest.mark.slow
def test_a_port_to_pytorch_must_step_a_torch_optimizer():
    """A learner's numpy port of chapter 15's loop, exact to 1e-9, scored full marks on an
    exercise that asks for the loop in PyTorch: check() and the grader now require a
    torch.optim.SGD step, and say so; a port that steps one passes."""
    from dlnotes.exercises import check, get
    from dlnotes.exercises.verdict import CheckFailed

    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import engine

    ex = get("ch15_torch_port")
    namespace: dict = {}
    exec(NUMPY_PORT, namespace)
    with pytest.raises(CheckFailed, match="not counted: the weights you return must be those"):
        check("ch15_torch_port", namespace["torch_train"])
    cases = ex.cases("visible")[:2]
    for source, missed in ((NUMPY_PORT, True), (TORCH_PORT, False)):
        records = _harness_records(source, "torch_train", [], cases, 30.0, ex.required)
        assert [r["status"] for r in records] == ["ok", "ok"], records
        assert [r["missed_required"] for r in records] == [missed, missed]
    # the grader: a right result that never stepped torch loses the check, a wrong one is
    # judged as wrong (its mistake still named)
    case = cases[0]
    expected = ex.solution(*case.args, **dict(case.kwargs))
    row = {"expected": _message(expected), "before": _message((tuple(case.args), case.kwargs))}
    rec = {"status": "ok", "result": _message(expected), "after": row["before"]}
    spec = {"name": "ch15_torch_port", "time_limit": 30.0, "output": "new", "rtol": ex.rtol,
            "atol": ex.atol}  # fmt: skip
    assert engine._case_problem(spec, row, rec, "") is None
    said = engine._case_problem(spec, row, {**rec, "missed_required": True}, "")
    assert said == f"not counted: {ex.required_says} (the result is right)"
    wrong = {**rec, "result": _message([p + 1 for p in expected]), "missed_required": True}
    assert "not counted" not in engine._case_problem(spec, row, wrong, "")


def test_the_harness_sees_the_profiler_switched_off_and_on_again():
    """Switching the profiler off, calling the library, and switching it back on before
    returning left no trace at the end of the call; the audit hook sees it."""
    from dlnotes.exercises.core import Case

    source = (
        "import sys\n"
        "def step_decay(step, lr0, step_size, gamma):\n"
        "    sp = getattr(sys, 'setpro' + 'file'); before = sys.getprofile(); sp(None)\n"
        "    import dlnotes.schedules as s\n"
        "    out = float(getattr(s, 'step' + '_decay')(lr0, step_size, gamma)(step))\n"
        "    sp(before)\n"
        "    return out\n"
    )
    (rec,) = _harness_records(
        source, "step_decay", ["dlnotes.schedules:step_decay"], [Case("c", (5, 0.1, 2, 0.5))]
    )
    assert rec["status"] == "ok" and rec["profiler_off"] is True


def test_a_loop_stopped_by_the_time_limit_is_not_called_a_switched_off_profiler():
    """The time limit's exception can land inside the profiler, and CPython then removes the
    profiler itself: a learner's endless loop must get the time-out, not a cheating verdict."""
    from dlnotes.exercises import CheckFailed, check
    from dlnotes.exercises.core import Case

    def polyak_average(iterates, start):
        t = start
        while t < len(iterates):  # t never grows; the loop calls functions
            acc = len(iterates[t]) + abs(-t)  # noqa: F841
        return iterates[0]

    for _ in range(3):
        with pytest.raises(CheckFailed) as info:
            check("ch14_polyak_average", polyak_average, time_limit=0.3)
        assert "did not return within" in str(info.value), str(info.value)
    source = "def f(x):\n    t = 0\n    while t < 1:\n        abs(-t); len([t])\n    return x\n"
    for rec in _harness_records(
        source, "f", ["dlnotes.schedules:step_decay"], [Case("c", (1,))] * 3, 0.3
    ):
        assert rec["status"] == "timeout" and not rec["profiler_off"], rec


@pytest.mark.slow
def test_the_sandboxed_grader_counts_a_torch_port_and_not_a_numpy_one(tmp_path):
    """End to end, in the sandbox, where the chapter modules are withheld: the requirement's
    first home, beside its exercise in dlnotes/exercises/ch15.py, was withheld there and
    stopped the grading of every ch15_torch_port answer ("the sandbox stopped early")."""
    import shutil

    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import keys

    grade = build._tool("grade")
    master = ROOT / "notebooks" / "15_frameworks.ipynb"
    keys.write(keys.build([master], seed=2028), tmp_path / "key.pkl")
    (tmp_path / "source").mkdir()
    shutil.copy(master, tmp_path / "source" / master.name)
    for student, edits in (("torch", {}), ("numpy", {"ch15_torch_port": NUMPY_PORT})):
        (tmp_path / "subs" / student).mkdir(parents=True)
        nbformat.write(build.submission(master, edits), tmp_path / "subs" / student / master.name)
    out = tmp_path / "gradebook.csv"
    grade.grade(tmp_path / "subs", key_path=tmp_path / "key.pkl", source=tmp_path / "source",
                out=out, jobs=1)  # fmt: skip
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert float(rows["torch"]["ch15_torch_port (2)"]) == 2.0, rows["torch"]["reason"]
    assert float(rows["numpy"]["ch15_torch_port (2)"]) == 0.0
    assert (
        "not counted: the weights you return must be those of a torch.optim.SGD"
        in (rows["numpy"]["reason"])
    ), rows["numpy"]["reason"]


def test_a_reference_rebound_by_a_cell_and_called_through_a_saved_copy_is_seen():
    """A cell that saves a library reference, rebinds its name to something else, and calls
    the saved original from the answer: the harness took the references' code before the
    cells ran, so the call is still seen (it used to resolve them after the cells only)."""
    from dlnotes.exercises.core import Case

    source = (
        "import dlnotes.schedules as _s\n"
        "_saved = _s.step_decay\n"
        "_s.step_decay = lambda *a, **k: None  # the name now points elsewhere\n"
        "def step_decay(step, lr0, step_size, gamma):\n"
        "    return float(_saved(lr0, step_size, gamma)(step))\n"
    )
    import dlnotes.schedules

    original = dlnotes.schedules.step_decay
    try:
        (rec,) = _harness_records(
            source, "step_decay", ["dlnotes.schedules:step_decay"], [Case("c", (5, 0.1, 2, 0.5))]
        )
    finally:
        dlnotes.schedules.step_decay = original
    assert rec["status"] == "ok" and rec["called_reference"] == "dlnotes.schedules:step_decay"
