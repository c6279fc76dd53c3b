"""How the explorer sweep tests read a chapter (``tests/test_explorer_players_*.py``).

On the website an explorer is a few precomputed players, one per entry of the notebook's
``explorer.show(sweeps=[...])``; a setting the chapter's prose asks the reader to try must be a
frame of one of them. These helpers read the sweeps from the notebook's own ``show`` call (so a
test follows the notebook, not a copy of its list) and tell which named settings no frame shows.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def cells(notebook: str) -> list[dict[str, Any]]:
    """The cells of the master notebook ``notebook`` (a file name in ``notebooks/``)."""
    return json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]


def markdown(notebook: str, cell_id: str) -> str:
    """The source of a markdown cell by its id, its whitespace collapsed (for phrases)."""
    (cell,) = [c for c in cells(notebook) if c.get("id") == cell_id]
    assert cell["cell_type"] == "markdown", cell_id
    return " ".join("".join(cell["source"]).split())


def shown_sweeps(notebook: str) -> dict[str, list[Any]]:
    """``{factory name: sweeps}`` of every cell of ``notebook`` that builds an explorer with
    ``name = explorers.factory()`` and shows it with ``name.show(sweeps=[...])``."""
    found: dict[str, list[Any]] = {}
    for cell in cells(notebook):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        built: dict[str, str] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and isinstance(node.value.func.value, ast.Name)
                and node.value.func.value.id == "explorers"
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):  # not ``x, y = explorers.data()``
                        built[target.id] = node.value.func.attr
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "show"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in built
            ):
                (keyword,) = [k for k in node.keywords if k.arg == "sweeps"]
                found[built[node.func.value.id]] = ast.literal_eval(keyword.value)
    return found


def sweeps_of(notebook: str, factory: str | None = None) -> list[Any]:
    """The sweeps the notebook shows ``factory``'s explorer with (None: its only explorer)."""
    shown = shown_sweeps(notebook)
    if factory is None:
        assert len(shown) == 1, f"{notebook} shows {sorted(shown)}: name the factory"
        (only,) = shown.values()
        return only
    return shown[factory]


def website_frames(explorer: Any, sweeps: list[Any]) -> list[dict[str, Any]]:
    """Every frame of every website player of ``explorer`` for ``sweeps``."""
    return [frame for sweep in sweeps for frame in explorer.frames(sweep)]


def same(a: Any, b: Any) -> bool:
    """A control's value equals a named one: strings exactly, numbers to 1e-9."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9)


def missing(frames: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings of ``wanted`` (each some controls' values) that no frame shows."""
    return [w for w in wanted if not any(all(same(f[k], v) for k, v in w.items()) for f in frames)]


def has(frames: list[dict[str, Any]], **setting: Any) -> bool:
    """Whether some frame shows every value of ``setting``."""
    return not missing(frames, [setting])
