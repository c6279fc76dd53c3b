"""No correct alternative solution is rejected (issue 17): every solution listed in
``tests/feedback/alternatives/chNN.py`` passes its exercise's visible and hidden (practice seed)
suites, and every chapter with exercises has such a module covering each of its exercises
(a value exercise lists other accepted values). Only the chapters in ``PENDING`` may lack one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlnotes.exercises import CheckFailed, check, exercises, get
from tests.scripts import load_script

HERE = Path(__file__).resolve().parent / "feedback" / "alternatives"


MODULES = {
    path.stem: load_script(path)
    for path in sorted(HERE.glob("ch*.py"))
    if re.fullmatch(r"ch\d\d", path.stem)
}
ALTERNATIVES = [
    (chapter, name, index, answer)
    for chapter, module in MODULES.items()
    for name, answers in module.ALTERNATIVES.items()
    for index, answer in enumerate(answers)
]


def _id(item) -> str:
    _, name, index, answer = item
    return f"{name}-{getattr(answer, '__name__', index)}"


def test_each_module_lists_exercises_of_its_own_chapter():
    assert "ch01" in MODULES  # the example every other chapter follows
    for chapter, module in MODULES.items():
        assert isinstance(module.ALTERNATIVES, dict), chapter
        for name, answers in module.ALTERNATIVES.items():
            assert name.startswith(f"{chapter}_"), (chapter, name)
            get(name)  # a registered exercise
            assert isinstance(answers, list) and answers, (chapter, name)


#: Chapters whose module is still to be written (none: every chapter has one).
PENDING: set[str] = set()


def test_every_chapter_with_exercises_has_alternatives_for_each_exercise():
    chapters: dict[str, set[str]] = {}
    for ex in exercises():
        chapters.setdefault(f"ch{ex.chapter}", set()).add(ex.name)
    assert PENDING <= set(chapters), "a pending chapter that has no exercises"
    assert not PENDING & set(MODULES), "a pending chapter has its module now: drop it from PENDING"
    for chapter, names in sorted(chapters.items()):
        if chapter in PENDING:
            continue
        assert chapter in MODULES, f"tests/feedback/alternatives/{chapter}.py is missing"
        missing = sorted(names - set(MODULES[chapter].ALTERNATIVES))
        assert not missing, f"{chapter}: no correct alternatives listed for {missing}"


def test_each_function_exercise_has_two_alternatives():
    """Two genuinely different right answers exist for every function exercise: list both."""
    for chapter, module in MODULES.items():
        for name, answers in module.ALTERNATIVES.items():
            if get(name).kind == "function":
                assert len(answers) >= 2, (chapter, name)


@pytest.mark.parametrize("item", ALTERNATIVES, ids=[_id(a) for a in ALTERNATIVES])
@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_correct_alternative_passes(item, suite, capsys):
    _, name, _, answer = item
    ex = get(name)
    if ex.kind == "value" and suite == "hidden":
        pytest.skip("a value exercise has one suite")
    try:
        check(name, answer, **({"suite": suite} if ex.kind == "function" else {}))
    except CheckFailed as failed:
        pytest.fail(f"a correct alternative of {name} is rejected:\n{failed}")
    assert capsys.readouterr().out.startswith(f"✓ {name}")


def _chapter_references(chapter: str) -> dict:
    """Code object -> dotted name of every reference of the chapter's function exercises: what
    the grading sandbox withholds while it grades any of them."""
    from dlnotes.exercises.core import _code_objects

    codes = {}
    for ex in exercises():
        if f"ch{ex.chapter}" == chapter and ex.kind == "function":
            for dotted, obj in ex.reference_callables():
                codes.update({code: dotted for code in _code_objects(obj)})
    return codes


FUNCTION_ALTERNATIVES = [a for a in ALTERNATIVES if get(a[1]).kind == "function"]


@pytest.mark.parametrize("item", FUNCTION_ALTERNATIVES, ids=[_id(a) for a in FUNCTION_ALTERNATIVES])
def test_no_correct_alternative_calls_a_reference_of_its_chapter(item):
    """Grading withholds the references of a whole chapter (Adam at beta1 = 0 answers RMSprop),
    so an honest answer that called a sibling exercise's reference would get an error: none of
    the listed alternatives may call one, directly or through the library."""
    import sys

    chapter, name, _, answer = item
    codes = _chapter_references(chapter)
    called: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            called.add(codes[frame.f_code])

    for case in get(name).cases("visible"):
        sys.setprofile(profile)
        try:
            answer(*case.args, **case.kwargs)
        finally:
            sys.setprofile(None)
    assert not called, f"{name}: {getattr(answer, '__name__', answer)} calls {sorted(called)}"
