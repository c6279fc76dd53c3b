"""Short code in the HTML feedback stays on one line: ``X -= mu`` broke into ``X -`` and ``= mu``
at JupyterLab's 900 px (a learner's screenshot); long code may still break between words."""

import re

from dlnotes.exercises.verdict import feedback_html


def _spans(text: str) -> list[str]:
    return re.findall(r"<code>(.*?)</code>", feedback_html(text))


def test_short_code_has_no_breakable_space():
    (span,) = _spans("you wrote `X -= mu`, which changes the caller's X")
    assert span == "X\u00a0-=\u00a0mu"


def test_long_code_may_break_between_its_words():
    (span,) = _spans("write `np.mean(X, axis=0, keepdims=True) - centre` instead")
    assert " " in span and span.startswith("np.mean(X,")
