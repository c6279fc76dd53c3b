"""The package's layout holds: imports point down the three floors, the teaching faces do not lean
on each other, and notebooks use only public names.

CONTRIBUTING.md describes the floors: *numerics* (numpy only), *training* (builds on numerics),
*teaching faces* (plots, widgets, explorers, exercises, ...) on top. These tests read every module's
imports with :mod:`ast` (function-level imports included), so a violation names its file and line.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dlnotes"

#: Each top-level part of ``dlnotes`` and its floor (0 numerics, 1 training, 2 teaching faces).
FLOOR = {
    "_validate": 0,
    "autograd": 0,
    "averages": 0,
    "bayesopt": 0,
    "data": 0,
    "gradcheck": 0,
    "init": 0,
    "landscapes": 0,
    "layers": 0,
    "losses": 0,
    "optim": 0,
    "schedules": 0,
    "model": 1,
    "train": 1,
    "torch_bridge": 1,
    "capstone": 2,
    "exercises": 2,
    "explorers": 2,
    "plots": 2,
    "quizzes": 2,
    "tuning": 2,
    "widgets": 2,
    "zoo": 2,
}
NAMES = ("numerics", "training", "teaching faces")
#: Front-end libraries that only the teaching faces may import.
FRONT_END = ("matplotlib", "ipywidgets", "IPython", "jupyterquiz")
#: Teaching faces that must not import each other (either way): each imports the library instead.
APART = {("explorers", "exercises"), ("exercises", "explorers")}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted module)`` of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT).parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            # ``from dlnotes import explorers`` imports the part named by the alias
            if module == "dlnotes":
                out += [(node.lineno, f"dlnotes.{alias.name}") for alias in node.names]
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_floor():
    parts = {_part(p) for p in MODULES} - {"__init__"}
    assert parts == set(FLOOR), f"give these a floor in FLOOR: {parts ^ set(FLOOR)}"


def test_contributing_names_each_part_on_its_floor():
    """CONTRIBUTING.md lists the floors in one sentence; it must agree with FLOOR."""
    text = " ".join((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").split())
    said = {}
    for floor, label in enumerate(("Numerics", "training", "teaching faces")):
        found = re.search(r"\*" + label + r"\* \(([^)]*)\)", text)
        assert found, f"CONTRIBUTING.md no longer lists the *{label}* floor"
        for name in re.findall(r"`(\w+)`", found.group(1)):
            said[name] = floor
    assert said == FLOOR, (
        f"CONTRIBUTING.md's floors differ from FLOOR: {set(said.items()) ^ set(FLOOR.items())}"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_floors(path):
    part = _part(path)
    if part == "__init__":
        return
    problems = []
    for line, module in _imports(path):
        top = module.split(".")
        if top[0] == "dlnotes" and len(top) > 1 and top[1] in FLOOR:
            target = top[1]
            if FLOOR[target] > FLOOR[part]:
                problems.append(
                    f"line {line}: {part} ({NAMES[FLOOR[part]]}) imports {module} "
                    f"({NAMES[FLOOR[target]]})"
                )
            if (part, target) in APART:
                problems.append(f"line {line}: {part} imports {module}; use the library instead")
        if top[0] in FRONT_END and FLOOR[part] < 2:
            problems.append(f"line {line}: {part} ({NAMES[FLOOR[part]]}) imports {module}")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


#: The chapters, and the template a new chapter starts from (tools/new_chapter.py copies it).
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "templates").glob("*.ipynb")
)
_MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)


def _private_uses(source: str) -> list[str]:
    """Private (single-underscore) names a cell takes from ``dlnotes``."""
    tree = ast.parse(_MAGIC.sub("pass  # ", source))
    modules = set()  # local names bound to dlnotes modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlnotes"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
            if node.module.split(".")[-1].startswith("_"):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dlnotes"):
                    modules.add(alias.asname or alias.name.split(".")[0])
                    if any(p.startswith("_") for p in alias.name.split(".")):
                        found.append(f"import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append(f"{ast.unparse(node)}")
        # a name spelled as a string: getattr(module, "_x"), importlib.import_module("..._x")
        if isinstance(node, ast.Call) and any(
            isinstance(a, ast.Constant)
            and isinstance(a.value, str)
            and any(p.startswith("_") and not p.startswith("__") for p in a.value.split("."))
            and (a.value.startswith("dlnotes") or _is_getattr(node))
            for a in node.args
        ):
            found.append(ast.unparse(node))
    return found


def _is_getattr(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_only_public_names(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = [
        f"cell {i}: {use}"
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        for use in _private_uses("".join(cell["source"]))
    ]
    assert not found, "\n".join(found)


def test_the_private_name_check_sees_what_it_should():
    assert _private_uses("from dlnotes.exercises.ch04 import _challenge_bowl, get") == [
        "from dlnotes.exercises.ch04 import _challenge_bowl"
    ]
    assert _private_uses("from dlnotes import landscapes as ls\nls._rotated(1)") == ["ls._rotated"]
    assert _private_uses("import dlnotes._validate") == ["import dlnotes._validate"]
    assert _private_uses("%matplotlib inline\nx = obj._cache\nprint(dlnotes.__version__)") == []
    assert _private_uses("import dlnotes.exercises.ch04 as e\ngetattr(e, '_verify')") == [
        "getattr(e, '_verify')"
    ]
    assert _private_uses("import importlib\nimportlib.import_module('dlnotes._validate')") == [
        "importlib.import_module('dlnotes._validate')"
    ]
    assert _private_uses("getattr(obj, '__name__')\nimportlib.import_module('dlnotes.zoo')") == []
