"""The verdict of ``dlnotes.exercises.check`` on a wrong answer, for the tests of the exercises'
feedback: the whole message, and the names of the likely mistakes it gives."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest

from dlnotes.exercises import check


def feedback(exercise: str, answer, suite: str = "visible") -> str:
    """``check``'s message on ``answer``, which must fail (numpy's warnings silenced: a wrong
    answer may divide by zero on the way)."""
    with pytest.raises(AssertionError) as info, np.errstate(all="ignore"):
        check(exercise, answer, suite=suite)
    return str(info.value)


def mistake_names(message: str) -> list[str]:
    """The names of the likely mistakes in a ``check`` message, in order."""
    return re.findall(r"Likely mistake: (.+?) — ", message)


def likely(message: str) -> str:
    """The one "Likely mistake:" line of a ``check`` message (stripped)."""
    lines = [ln.strip() for ln in message.splitlines() if "Likely mistake:" in ln]
    assert len(lines) == 1, message
    return lines[0]


def notebook(source: str, name: str, **variables):
    """The function ``name`` defined by ``source`` in a namespace of its own, as a notebook
    cell defines it (numpy as np, and the notebook's earlier ``variables``)."""
    space = {"np": np, "__name__": "__main__", **variables}
    exec(textwrap.dedent(source), space)
    return space[name]
