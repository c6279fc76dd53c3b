"""The hidden claim cells of the master notebooks leave no short names in the learner's kernel.

The learner edition (``tools/learner_edition.py``) keeps every code cell tagged ``remove-cell``
that is not an nbgrader test cell, collapsed, and "Run All" runs it. A name such a cell binds
at top level stays in the kernel: ``cos = zoo["cosine(0.1, 1000)"]`` in chapter 6 once let a
``cosine_lr`` that forgot ``from math import cos`` run without a ``NameError``, on a dlnotes
schedule. So every name these cells bind at top level starts with ``_`` (assignments, loop
targets, ``with ... as``, ``except ... as``, imports, ``def``/``class``, walrus), or is
unbound again by a top-level ``del`` in the same cell, or is listed in :data:`EXCEPTIONS`.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: ``tools/learner_edition.py``'s ``_CHALLENGE_CALL``: ``drop_challenge_answers`` removes the
#: hidden cells that call a challenge's internals, so the learner's kernel never runs them.
CHALLENGE_CALL = re.compile(r"\b\w*challenge\w*\(")

#: What the bootstrap cell (the first code cell) binds. Its text is fixed by
#: ``tests/test_repository.py`` (the ``DLNOTES_RELEASE = "X.Y.Z"`` pin and the
#: ``@v{DLNOTES_RELEASE}`` URL) and shared with ``templates/chapter_template.ipynb``; it binds
#: the release string and modules under their own names, which a learner's cell can only
#: read as those same modules.
BOOTSTRAP = {"importlib", "subprocess", "sys", "warnings", "DLNOTES_RELEASE", "dlnotes"}

#: ``(notebook, cell id) -> names`` a hidden cell may bind: setup that later visible cells use
#: (renaming them would break those cells, or change what they show).
EXCEPTIONS: dict[tuple[str, str], set[str]] = {
    # the baseline softmax model: the visible bias/variance table, the shifted-images check
    # and the final test-set evaluation use it
    ("01_learning_problem.ipynb", "6bb74f3f"): {"baseline"},
    # the visible three-panel figure (steps, epochs and wall-clock to the target) plots them
    ("03_minibatches.ipynb", "ba3f3a02"): {"steps_needed", "epochs_needed", "wall"},
    # the scores without regularization: the visible data-augmentation comparison prints them
    ("09_regularization.ipynb", "4127ff13"): {"base"},
    # the shipped sweeps and the index of the 0.1 body multiplier: the visible sweep
    # figures and tables read them
    ("12_transfer_learning.ipynb", "a0a0b43d"): {"sweep10", "m01"},
    ("12_transfer_learning.ipynb", "773c4666"): {"sweep", "m01"},
}


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def python_source(text: str) -> str:
    """``text`` with IPython magic and shell lines (``%...``, ``!...``) blanked."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()
    )


def is_kept_hidden_cell(cell: dict) -> bool:
    """A ``remove-cell`` code cell that the learner edition keeps and runs: not an nbgrader
    test or solution cell (those are nbgrader's), not a challenge-answer cell (dropped)."""
    if cell.get("cell_type") != "code":
        return False
    meta = cell.get("metadata", {})
    if "remove-cell" not in meta.get("tags", []):
        return False
    nbgrader = meta.get("nbgrader") or {}
    text = source(cell)
    if nbgrader.get("grade") or nbgrader.get("solution") or "### BEGIN HIDDEN TESTS" in text:
        return False
    return not CHALLENGE_CALL.search(text)


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []  # attributes and subscripts bind no name


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _walrus_names(node: ast.AST) -> list[str]:
    """Walrus targets in the module scope (a walrus in a comprehension binds there too)."""
    names = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES):
            outer = [*getattr(child, "decorator_list", []), *getattr(child, "bases", [])]
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                outer += [*child.args.defaults, *filter(None, child.args.kw_defaults)]
            names += [n for expr in outer for n in _walrus_names(expr)]
            continue
        if isinstance(child, ast.NamedExpr):
            names.append(child.target.id)
        names += _walrus_names(child)
    return names


def _statement_names(statements: list[ast.stmt]) -> list[str]:
    names: list[str] = []
    for node in statements:
        if isinstance(node, ast.Assign):
            names += [n for t in node.targets for n in _target_names(t)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            names += _target_names(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names += _target_names(node.target)
            names += _statement_names(node.body + node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    names += _target_names(item.optional_vars)
            names += _statement_names(node.body)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.If, ast.While)):
            names += _statement_names(node.body + node.orelse)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            names += _statement_names(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                if handler.name:
                    names.append(handler.name)
                names += _statement_names(handler.body)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                for pattern in ast.walk(case.pattern):
                    names += [
                        n
                        for n in (getattr(pattern, "name", None), getattr(pattern, "rest", None))
                        if n
                    ]
                names += _statement_names(case.body)
    return names


def top_level_names(text: str) -> set[str]:
    """The names a cell leaves bound in the kernel's namespace (comprehension variables and
    function locals do not leak; a name deleted by a top-level ``del`` does not either)."""
    tree = ast.parse(python_source(text))
    bound = set(_statement_names(tree.body)) | set(_walrus_names(tree))
    deleted = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Delete)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    return bound - deleted


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def hidden_cells(nb: dict) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(nb["cells"]) if is_kept_hidden_cell(c)]


def first_code_cell(nb: dict) -> dict | None:
    return next((c for c in nb["cells"] if c.get("cell_type") == "code"), None)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("x = 1\n_y = 2\na, (b, *c) = f()\nd[0] = e.f = 3", {"x", "_y", "a", "b", "c"}),
        ("for t in range(3):\n    u = t\nelse:\n    w = 0", {"t", "u", "w"}),
        ("with open(p) as fh, g() as (h, _i):\n    pass", {"fh", "h", "_i"}),
        ("import numpy as np\nimport os.path\nfrom m import a, b as _b", {"np", "os", "a", "_b"}),
        ("def f(x):\n    y = x\nclass C:\n    z = 1", {"f", "C"}),
        ("if (n := 3) > 2:\n    k = [v for v in range(n) if (last := v)]", {"n", "k", "last"}),
        (
            "try:\n    r = 1\nexcept ValueError as err:\n    s = 2\nfinally:\n    q = 3",
            {"r", "err", "s", "q"},
        ),
        ("x += 1\ny: int = 2\nwhile False:\n    z = 3", {"x", "y", "z"}),
        ("from dlnotes.exercises import ch09 as reference\nreference.f()\ndel reference", set()),
        ("%matplotlib inline\n!ls\nv = 1", {"v"}),
        ("f = lambda q: (w := q)\nlist(map(lambda a: a, [1]))", {"f"}),
    ],
)
def test_top_level_names(text, names):
    assert top_level_names(text) == names


@pytest.mark.parametrize("path", MASTERS, ids=lambda p: p.name)
def test_hidden_cells_bind_only_private_names(path):
    nb = read(path)
    bootstrap = first_code_cell(nb)
    problems = []
    for i, cell in hidden_cells(nb):
        allowed = EXCEPTIONS.get((path.name, cell.get("id")), set())
        if cell is bootstrap:
            allowed = allowed | BOOTSTRAP
        leaked = sorted(n for n in top_level_names(source(cell)) - allowed if not n.startswith("_"))
        if leaked:
            problems.append(f"cell {i} (id {cell.get('id')}): {', '.join(leaked)}")
    assert not problems, (
        f"{path.name}: hidden cells bind names a learner's answer cell could read; "
        "rename them with a leading underscore (or list a setup cell's names that visible "
        "cells use in EXCEPTIONS):\n  " + "\n  ".join(problems)
    )


@pytest.mark.parametrize("key", sorted(EXCEPTIONS), ids=lambda k: f"{k[0]}:{k[1]}")
def test_every_exception_is_still_needed(key):
    """The excepted cell exists, is a kept hidden cell, binds the names, and a later visible
    cell uses each of them."""
    name, cell_id = key
    nb = read(ROOT / "notebooks" / name)
    cells = nb["cells"]
    where = [i for i, c in enumerate(cells) if c.get("id") == cell_id]
    assert where, f"{name}: no cell with id {cell_id}"
    i = where[0]
    assert is_kept_hidden_cell(cells[i])
    assert EXCEPTIONS[key] <= top_level_names(source(cells[i]))
    later_visible = "\n".join(
        source(c)
        for c in cells[i + 1 :]
        if c.get("cell_type") == "code" and "remove-cell" not in c["metadata"].get("tags", [])
    )
    unused = [n for n in sorted(EXCEPTIONS[key]) if not re.search(rf"\b{n}\b", later_visible)]
    assert not unused, f"{name} cell {cell_id}: no later visible cell uses {unused}"


@pytest.mark.parametrize("path", MASTERS, ids=lambda p: p.name)
def test_bootstrap_cell_binds_only_its_fixed_names(path):
    nb = read(path)
    bootstrap = first_code_cell(nb)
    assert bootstrap is not None and is_kept_hidden_cell(bootstrap)
    assert top_level_names(source(bootstrap)) <= BOOTSTRAP
