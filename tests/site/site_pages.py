"""Where the built site is and which pages it has (shared by the browser tests)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("DLNOTES_SITE", ROOT / "_build" / "html"))
ARTIFACTS = Path(__file__).parent / "artifacts"


def pages() -> list[str]:
    """Every content page of the built site, relative to its root."""
    if not (SITE / "index.html").is_file():
        return []
    skip = {"_static", "_sources", "_images", "_downloads", ".pytest_cache"}
    found = [
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not skip & set(p.relative_to(SITE).parts)
    ]
    return sorted(found)


def chapter_pages() -> list[str]:
    return [p for p in pages() if p.startswith("notebooks/")]


#: chapters that are projects, not lessons: the capstone has neither an explorer nor a quiz (it is
#: the learner's own study), so only the lesson chapters are held to having both.
PROJECTS = {"16_capstone"}


def lesson_pages() -> list[str]:
    """The chapter pages that teach, each with a static explorer and a quiz."""
    return [p for p in chapter_pages() if Path(p).stem not in PROJECTS]
