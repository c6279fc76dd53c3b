"""The verdict of ``dlnotes.exercises.check`` on a wrong answer, for the tests of the exercises'
feedback: the whole message, and the names of the likely mistakes it gives."""

from __future__ import annotations

import re

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
