"""Each chapter's end-of-chapter quiz, stored as JSON beside this module.

The quiz cell of a chapter reads ``show_quiz("ch04")``, so the answers and their feedback are not
in the notebook's visible source (a learner sees the questions, not the key).
The data follow jupyterquiz's format: a list of questions, each a dict with ``"question"``,
``"type"`` (``"multiple_choice"``, ``"many_choice"`` or ``"numeric"``) and ``"answers"``.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

__all__ = ["load_quiz", "quiz_names", "show_quiz"]

_NAME = re.compile(r"ch\d\d")


def quiz_names() -> list[str]:
    """The names of the stored quizzes, ``["ch01", "ch02", ...]``, sorted.

    Defined in chapter 01 (Setting up a learning problem).
    """
    files = resources.files(__name__).iterdir()
    return sorted(
        f.name[:-5]
        for f in files
        if _NAME.fullmatch(f.name[:-5] or "") and f.name.endswith(".json")
    )


def load_quiz(name: str) -> list[dict[str, Any]]:
    """The questions of quiz ``name`` (e.g. ``"ch04"``) for ``jupyterquiz.display_quiz``.

    Returns a new list of dicts on every call (callers may change it freely).

    Defined in chapter 01 (Setting up a learning problem).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a quiz name such as 'ch04', got {type(name).__name__}")
    if not _NAME.fullmatch(name):
        raise ValueError(f"name must look like 'ch04' (ch + two digits), got {name!r}")
    path = resources.files(__name__) / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"there is no quiz named {name!r}; known quizzes: {quiz_names()}")
    questions: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return questions


#: Runs before jupyterquiz's script. JupyterLab 4 exposes MathJax 3's loader as
#: ``window.MathJax`` (a version, no ``typeset``); jupyterquiz then replaces ``window.MathJax`` by
#: a configuration and loads MathJax from a CDN, and offline every later click throws a
#: ``TypeError`` (``MathJax.version`` is gone). Giving the loader a ``typeset`` that does nothing
#: keeps jupyterquiz on its normal path; the quizzes hold no TeX, so nothing is left untypeset.
MATHJAX_GUARD = """<script>
(function () {
  var mj = window.MathJax;
  if (mj && typeof mj.typeset !== "function" && String(mj.version || "").charAt(0) === "3") {
    mj.typeset = function () {};
  }
})();
</script>"""


def show_quiz(name: str) -> None:
    """Display quiz ``name`` (e.g. ``"ch04"``) with jupyterquiz, in a notebook or on the site.

    Defined in chapter 01 (Setting up a learning problem).
    """
    from IPython.display import HTML, display
    from jupyterquiz import display_quiz

    questions = load_quiz(name)
    display(HTML(MATHJAX_GUARD))
    display_quiz(questions)
