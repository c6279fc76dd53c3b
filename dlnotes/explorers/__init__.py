"""The book's explorers, one module per chapter; ``all_explorers()`` lists them for benchmarks.

Each chapter module defines factory functions returning a :class:`dlnotes.widgets.Explorer`; a
chapter notebook calls ``factory().show()``.
"""

from __future__ import annotations

from collections.abc import Callable

from dlnotes.widgets import Explorer

from . import ch02

__all__ = ["all_explorers"]


def all_explorers() -> dict[str, Callable[[], Explorer]]:
    """Every explorer factory in the book, by ``chapter.name``."""
    return {
        "ch02.gd_quadratic": ch02.gd_quadratic,
    }
