"""The book's explorers, one module per chapter; ``all_explorers()`` lists them for benchmarks.

Each chapter module ``chNN.py`` defines factory functions returning a
:class:`dlnotes.widgets.Explorer` and lists their names in ``EXPLORERS``; a chapter notebook
calls ``factory().show()``. Modules are discovered automatically, so adding a chapter's
explorers needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from dlnotes.widgets import Explorer

__all__ = ["all_explorers"]


def all_explorers() -> dict[str, Callable[[], Explorer]]:
    """Every explorer factory in the book, by ``"chNN.name"``, in chapter order."""
    found: dict[str, Callable[[], Explorer]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("ch"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in getattr(module, "EXPLORERS", ()):
            found[f"{info.name}.{name}"] = getattr(module, name)
    return found
