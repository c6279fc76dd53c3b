"""Feedback quality: the mutation test of the exercise checkers (issue 17).

For every function exercise, generic wrong variants of the reference (×2, ×0.1, sign flipped,
transposed, float32, a list for an array, one step late, a tuple reordered or short, the input
returned, stale state, an argument hard-coded, a step counter one less) and every registered
mistake are checked on the visible suite. A variant is *rejected* when ``check`` fails it and
*named* when the feedback says ``Likely mistake: ...`` (a registered mistake or a generic
diagnosis), not only "wrong values". The measurement is deterministic, so the run also refreshes
``benchmarks/feedback.md``, which the instructors' page includes.

    python -m benchmarks feedback
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PUBLISHED = Path(__file__).resolve().parent / "feedback.md"
HEADER = "<!-- Written by `python3 tasks.py bench feedback`; shown in book/instructors.md -->\n"


def page(report: Any) -> str:
    """The text of ``benchmarks/feedback.md`` for a :class:`~dlnotes.exercises.mutation.Report`."""
    return HEADER + report.markdown()


def run(quick: bool = False) -> dict[str, Any]:
    from dlnotes.exercises.mutation import measure

    report = measure()
    PUBLISHED.write_text(page(report))
    missed = [f"{r.exercise}: {r.name}" for r in report.results if not r.rejected]
    notes = report.summary() + "."
    if missed:
        notes += " Not rejected by the visible checks: " + "; ".join(missed) + "."
    if report.equivalent:
        notes += (
            " Left out as equivalent to the reference on every case: "
            + "; ".join(f"{e}: {v}" for e, v in report.equivalent)
            + "."
        )
    return {
        "title": "Feedback: wrong answers rejected and named",
        "notes": notes,
        "rows": report.by_family(),
    }
