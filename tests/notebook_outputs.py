"""What a learner reads in a cell's stored outputs, for the tests that run a notebook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def shown_text(outputs: Iterable[Mapping[str, Any]]) -> str:
    """The text of ``outputs`` (streams, a failed check's displayed feedback, tracebacks) with
    its whitespace collapsed, so that a phrase matches however the feedback was folded."""
    return " ".join(
        " ".join(
            o.get("text", "")
            + o.get("data", {}).get("text/plain", "")  # a failed check's feedback
            + " ".join(o.get("traceback", []))
            for o in outputs
        ).split()
    )
