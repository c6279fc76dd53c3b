"""Instructor keys: hidden cases from the instructor's seed, reproducible, private, plain data."""

from __future__ import annotations

import math
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "grading"))

import compare  # noqa: E402
import keys  # noqa: E402
import plain  # noqa: E402

from dlnotes.exercises import exercises  # noqa: E402
from dlnotes.exercises.core import _fresh  # noqa: E402

MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"
FUNCTIONS = [ex for ex in exercises() if ex.kind == "function"]


def _inputs(cases):
    return [plain.from_message(plain.to_message(*plain.encode_object(c.args))) for c in cases]


@pytest.mark.parametrize("ex", FUNCTIONS, ids=lambda e: e.name)
def test_any_instructor_seed_gives_valid_hidden_cases(ex):
    """The reference runs on the cases of any seed, and a seed gives the same cases again."""
    seed = keys.case_seed(123456789, ex.name)
    cases = ex.cases("hidden", seed=seed)
    assert cases
    for case in cases:
        out = ex.solution(*_fresh(case.args), **_fresh(dict(case.kwargs)))
        arrays = (
            [a for a in np.atleast_1d(out) if isinstance(a, np.ndarray)]
            if isinstance(out, np.ndarray)
            else []
        )
        assert all(np.all(np.isfinite(a)) for a in arrays if a.dtype.kind == "f")
    again = _inputs(ex.cases("hidden", seed=seed))
    assert all(compare.same(a, b) for a, b in zip(_inputs(cases), again))


def _answers(ex, seed):
    cases = ex.cases("hidden", seed=seed)
    return [ex.solution(*_fresh(c.args), **_fresh(dict(c.kwargs))) for c in cases]


def _same_answer(a, b):
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_answer(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_answer(a[k], b[k]) for k in a)
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return a == b
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


@pytest.mark.parametrize("ex", FUNCTIONS, ids=lambda e: e.name)
def test_most_hidden_answers_change_with_the_seed(ex):
    """Two terms' keys share fewer than half of an exercise's hidden answers.

    A hidden answer that every seed shares can be copied from the package's practice suite and
    looked up (by the matrix's size, the curve's length) without solving anything. A few fixed
    edge cases are fine (a zero gradient, the first step of a warm-up); most answers must be
    the seed's own.
    """
    first = _answers(ex, keys.case_seed(20261204, ex.name))
    second = _answers(ex, keys.case_seed(20270601, ex.name))
    shared = [i for i, (a, b) in enumerate(zip(first, second)) if _same_answer(a, b)]
    labels = [c.label for c in ex.cases("hidden", seed=keys.case_seed(20261204, ex.name))]
    assert 2 * len(shared) < len(first), [labels[i] for i in shared]


def test_the_key_hides_new_inputs_and_is_reproducible(tmp_path):
    a, b, c = (keys.build([MASTER], seed=s) for s in (11, 11, 12))
    gd = {k["name"]: k for k in a["notebooks"][MASTER.name]["exercises"]}["ch02_gradient_descent"]
    assert gd["points"] == {"visible": 2.0, "hidden": 1.0} and gd["var"] == "gradient_descent"
    assert gd["solution_id"] == "ch02_gradient_descent_solution"

    def hidden(key, name="ch02_max_stable_lr"):
        spec = {k["name"]: k for k in key["notebooks"][MASTER.name]["exercises"]}[name]
        return [plain.from_message(r["expected"]) for r in spec["suites"]["hidden"]]

    def near(xs, ys):  # answers that agree to 9 digits (last-bit noise is not a new answer)
        return [x for x in xs if np.isclose(x, ys, rtol=1e-9, atol=0).any()]

    assert hidden(a) == hidden(b)  # the same seed, the same key
    assert not near(hidden(a), hidden(c))  # another term, other answers
    from dlnotes.exercises import get

    practice = [
        get("ch02_max_stable_lr").solution(*c.args)
        for c in get("ch02_max_stable_lr").cases("hidden")
    ]
    assert not near(practice, hidden(a))  # the package's practice suite is not the key's
    path = tmp_path / "key.pkl"
    path.write_text("an older key, readable by everyone")
    path.chmod(0o644)
    keys.write(a, path)  # over an existing file too: its old mode does not survive
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.read(path)["seed"] == 11


def test_plain_data_round_trip_and_lying_objects():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    value = (1, 2.5, "x", None, [np.arange(3.0)], {"a": np.float32(1.5)}, np.zeros(2).view(Liar))
    back = plain.from_message(plain.to_message(*plain.encode(value)))
    assert back[:4] == (1, 2.5, "x", None)
    assert np.array_equal(back[4][0], np.arange(3.0)) and type(back[5]["a"]) is np.float32
    assert isinstance(back[6], plain.Opaque) and not back[6] == back[6]
    assert compare.result_problems(np.zeros(2), back[6], 1e-7, 1e-10)
    assert compare.result_problems(np.arange(3.0), back[4][0], 1e-7, 1e-10) == []


@pytest.mark.slow
def test_every_masters_answers_get_full_marks_in_the_sandbox(tmp_path):
    """Each chapter's own answers, graded on a key of a fresh seed: every point, nothing flagged
    but copies (they are the master's answers)."""
    import csv
    import shutil

    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "grading"))
    import build
    import nbformat

    grade = build._tool("grade")
    masters = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    keys.write(keys.build(masters, seed=2027), tmp_path / "key.pkl")
    (tmp_path / "source").mkdir()
    for m in masters:
        shutil.copy(m, tmp_path / "source" / m.name)
        (tmp_path / "subs" / m.stem).mkdir(parents=True)
        nbformat.write(build.submission(m, {}), tmp_path / "subs" / m.stem / m.name)
    out = tmp_path / "gradebook.csv"
    grade.grade(
        tmp_path / "subs", key_path=tmp_path / "key.pkl", source=tmp_path / "source", out=out,
        jobs=2,
    )  # fmt: skip
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(masters)
    for row in rows:
        chapter = f"ch{row['student'][:2]}_"
        columns = [k for k in row if k.startswith(chapter)]
        assert columns, row["student"]
        for k in columns:
            assert float(row[k]) == float(k.rsplit("(", 1)[1][:-1]), (k, row["reason"])
        assert "circumvention" not in row["flagged"], row["flagged"]
        assert "unknown id" not in row["notes"], row["notes"]  # capstone part 2: elsewhere


def test_a_key_for_every_master_lists_cells_graded_elsewhere():
    """`tasks.py key` over the whole book: every check() exercise is in the key; the capstone's
    hidden-set cell (no check call) is listed as graded elsewhere, not an error."""
    import nbformat

    masters = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    named = set()
    for path in masters:
        spec = keys.exercise_cells(nbformat.read(path, as_version=4), external := [])
        named |= {s["name"] for s in spec}
        if path.name == "16_capstone.ipynb":
            assert [e["grade_id"] for e in external] == [
                "ch16_train_best_model_test",
                "ch16_train_best_model_hidden",
            ]
            assert "ch16_diagnose_runs" in {s["name"] for s in spec}
        else:
            assert external == [], path.name
    assert named == {ex.name for ex in exercises()}
    with pytest.raises(ValueError, match="no check"):
        keys.exercise_cells(nbformat.read(ROOT / "notebooks" / "16_capstone.ipynb", as_version=4))


def test_answer_cells_graded_elsewhere_are_kept_without_a_note():
    """The capstone's part-2 answer cell is the other grader's: the key lists it, and the
    exercise grader passes it over without telling the student about an 'unknown id'."""
    import nbformat
    from engine import answer_cells

    master = ROOT / "notebooks" / "16_capstone.ipynb"
    book = keys.build([master], seed=1)["notebooks"][master.name]
    assert book["external_answers"] == ["ch16_train_best_model_solution"]
    nb = nbformat.read(master, as_version=4)
    answers = {s["solution_id"]: s["var"] for s in book["exercises"]}
    _, notes = answer_cells(nb, answers, frozenset(book["external_answers"]))
    assert notes == []
    _, notes = answer_cells(nb, answers)  # a key made before the list: the old note
    assert notes == ["ignored an answer cell with unknown id 'ch16_train_best_model_solution'"]


@pytest.mark.parametrize("ex", FUNCTIONS, ids=lambda e: e.name)
def test_every_hidden_suite_follows_the_instructor_seed(ex):
    """No hidden suite is fixed: two instructor seeds give two different sets of hidden inputs
    (a fixed suite would put the same graded cases in every term's key)."""
    first, second = (ex.cases("hidden", seed=keys.case_seed(s, ex.name)) for s in (5, 6))
    assert first and second
    assert not all(compare.same(a, b) for a, b in zip(_inputs(first), _inputs(second)))


@pytest.mark.parametrize("seed", [1, 2, 2027, 123456789])
def test_ch01_dev_set_size_hidden_cases_are_sound_and_catch_the_known_mistakes(seed):
    from dlnotes.exercises import ch01, get

    ex = get("ch01_dev_set_size")
    cases = ex.cases("hidden", seed=seed)
    assert len(cases) >= 4 and any(p < 0.5 for p, _ in (c.args for c in cases))
    for case in cases:
        p, se = case.args
        n = ex.solution(p, se)
        assert type(n) is int
        # the definition, not the formula: the smallest n whose standard error is at most se
        assert math.sqrt(p * (1 - p) / n) <= se < math.sqrt(p * (1 - p) / (n - 1))
    for wrong in (ch01._size_no_square, ch01._size_floor, ch01._size_sqrt, ch01._size_ignores_p):
        assert any(wrong(*c.args, **c.kwargs) != ex.solution(*c.args, **c.kwargs) for c in cases), (
            wrong.__name__
        )


@pytest.mark.parametrize("seed", [1, 2, 2027, 123456789])
def test_ch01_diagnose_hidden_cases_are_sound_and_catch_the_known_mistakes(seed):
    from dlnotes.exercises import ch01, get

    ex = get("ch01_diagnose")
    cases = ex.cases("hidden", seed=seed)
    verdicts = set()
    for case in cases:
        train, dev, bayes = case.args
        tol = case.kwargs.get("tol", 0.02)
        bias, variance = train - bayes, dev - train
        # no gap is within rounding of the threshold, so the verdict cannot depend on float noise
        # (a gap exactly at tol is exact: binary fractions); a gap of 2.1 to 2.4 points at the
        # default tol is there on purpose (a tol of 0.025 written in must fail)
        assert all(gap == tol or abs(gap - tol) > 0.00099 for gap in (bias, variance)), case
        expected = {
            (True, True): "high bias and high variance",
            (True, False): "high bias",
            (False, True): "high variance",
            (False, False): "low bias and low variance",
        }[bias > tol, variance > tol]
        assert ex.solution(train, dev, bayes, **case.kwargs) == expected
        verdicts.add(expected)
    assert verdicts == set(ch01.VERDICTS)
    assert any(b > 0.02 for _, _, b in (c.args for c in cases))  # noisy data too
    for wrong in (
        ch01._diag_ignores_bayes,
        ch01._diag_variance_from_bayes,
        ch01._diag_swapped,
        ch01._diag_dev_for_bias,
    ):
        assert any(wrong(*c.args, **c.kwargs) != ex.solution(*c.args, **c.kwargs) for c in cases), (
            wrong.__name__
        )
