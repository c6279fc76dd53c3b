"""An answer cell's IPython syntax, as the grader runs it: the cell made plain Python.

Jupyter runs ``%%time``, ``%timeit f(x)`` and ``!pip install ...`` in an answer cell, and nbgrader
runs them too; plain Python cannot compile them, and the whole cell, a correct function in it,
would fail with a SyntaxError. :func:`plain_python` turns the cell into Python with IPython's
own transformer (which knows a ``!`` inside a string from a shell command), then keeps what the
learner's code needs and drops the rest, each drop told in a note:

* a ``%%time``, ``%%timeit``, ``%%capture`` or ``%%prun`` cell: its body runs, once;
* ``%time stmt`` (and ``x = %time f()``): the statement runs; any other line magic
  (``%timeit``, ``%matplotlib``, ``%load_ext``, ...) is dropped;
* a shell command (``!pip install ...``) is dropped; ``x = !ls`` makes ``x`` an empty list;
* any other cell magic (``%%bash``, ``%%writefile``, ...) drops the cell's code.
"""

from __future__ import annotations

import ast
from typing import Any

#: cell magics whose body is Python that Jupyter runs (once or more)
BODY_RUNS = frozenset({"time", "timeit", "capture", "prun"})
_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})


#: IPython's transformer re-reads the whole cell once per magic or shell line, so its cost
#: grows with (such lines) × (the cell's length): 3000 ``!ls`` lines took 12 s, and a 100 KB
#: cell of them two minutes, in the grader's own process, outside every sandbox limit. A cell
#: beyond this product (a hundred such lines in a 30 000-character cell) is not transformed.
MAX_MAGIC_WORK = 3_000_000


def _magic_lines(source: str) -> int:
    return sum(line.lstrip()[:1] in ("%", "!") for line in source.splitlines())


def magic_work(source: str) -> int:
    """What transforming ``source`` costs IPython, in units of :data:`MAX_MAGIC_WORK`: its magic
    and shell lines times its length (0 for a cell without ``%`` or ``!``)."""
    if "%" not in source and "!" not in source:
        return 0
    return _magic_lines(source) * len(source)


def plain_python(source: str) -> tuple[str, list[str]]:
    """``(code, notes)``: ``source`` with its IPython syntax made Python (see the module), and
    what was dropped. A cell without IPython syntax comes back unchanged, and so does one with
    too many magic or shell lines to transform (:data:`MAX_MAGIC_WORK`), with a note: it then
    fails as plain Python."""
    if "%" not in source and "!" not in source:
        return source, []
    if magic_work(source) > MAX_MAGIC_WORK:
        return source, [
            f"a cell of {len(source)} characters with {_magic_lines(source)} magic or shell "
            "lines (%, !), too many to run as Jupyter would: it was run as plain Python"
        ]
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        converted = TransformerManager().transform_cell(source)
        tree = ast.parse(converted)
    except Exception:  # no IPython, or a cell IPython cannot read: the harness says why
        return source, []
    notes: list[str] = []
    tree = _Unmagic(notes).visit(tree)
    if not notes:  # the transformer only tidied the cell
        return source, []
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", notes


def _magic(node: Any) -> tuple[str, list[str]] | None:
    """``(method, constant arguments)`` of a ``get_ipython().method('...', ...)`` call."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (
        node.func.attr in _MAGIC_CALLS
        and isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
    ):
        return None
    return node.func.attr, [a.value for a in node.args]


def _statements(code: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(code).body
    except SyntaxError:
        return None


class _Unmagic(ast.NodeTransformer):
    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def visit_Expr(self, node: ast.Expr) -> Any:
        found = _magic(node.value)
        if found is None:
            return node
        method, args = found
        if method == "run_cell_magic" and len(args) == 3:
            name, _, body = args
            if name in BODY_RUNS and (kept := _statements(body)) is not None:
                self._note(f"%%{name}: the cell's code ran once, without %%{name}, when graded")
                return [self.visit(s) for s in kept] or ast.Pass()
            self._note(f"%%{name}: a cell magic's code is not run when graded")
            return ast.Pass()
        if method == "run_line_magic" and len(args) == 2:
            name, line = args
            if name == "time" and (kept := _statements(line)) is not None:
                self._note("%time: the statement ran, without %time, when graded")
                return kept or ast.Pass()
            self._note(f"%{name}: line magics are not run when graded")
            return ast.Pass()
        command = (args[0].split() or [""])[0] if args else ""
        self._note(f"!{command}: shell commands are not run when graded")
        return ast.Pass()

    def visit_Assign(self, node: ast.Assign) -> Any:
        found = _magic(node.value)
        if found is None:
            return node
        method, args = found
        if method == "run_line_magic" and len(args) == 2 and args[0] == "time":
            try:
                node.value = ast.parse(args[1], mode="eval").body
                self._note("%time: the statement ran, without %time, when graded")
                return node
            except SyntaxError:
                pass
        if method == "getoutput":
            self._note("!: shell commands are not run when graded (their output is [])")
            node.value = ast.List([], ast.Load())
            return node
        self._note(f"%{args[0] if args else ''}: line magics are not run when graded")
        node.value = ast.Constant(None)
        return node
