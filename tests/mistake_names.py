"""The mistake names ``check`` gives a wrong answer, for the tests of named mistakes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dlnotes.exercises import check

#: Both suites: a mistake is named on the hidden checks as on the visible ones.
SUITES = ("visible", "hidden")


def named(name: str, answer: Any, suite: str) -> list[str]:
    """The mistake names in check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer, suite=suite)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))
