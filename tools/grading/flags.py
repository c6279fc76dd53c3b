"""Static signs, in a submission's answer cells, of copying the reference or dodging the grader.

Two kinds, per answer cell (so per exercise):

* **circumvention** (the exercise scores 0 pending the instructor's review): reading or running
  library source (``inspect.getsource``, ``exec``, ``eval``, ``compile``, ``__import__``,
  ``importlib``), calls that hide from the call profiler (``sys.setprofile``/``settrace``,
  threads, processes, ``subprocess``, ``os.system``/``fork``, ``ctypes``), ``builtins``,
  anything from ``dlnotes.exercises`` (the catalogue, ``check``), and the exercise's reference
  functions by name (``ls.gradient_descent``, ``from dlnotes.landscapes import gradient_descent``);
* **copy** (flagged, score kept): the answer's function has the same normalised AST (names of
  arguments and locals, docstrings and annotations ignored) as the reference solution.

This is best effort: determined obfuscation evades it. What obfuscation cannot reach is the
answer itself: the sandbox's copies of the reference solutions and library references are
withheld (:mod:`withheld`), so a hidden call of them gets an error, and a copy of their code
into the cell is the correct answer written out (the ``copy`` flag).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from typing import Any

BANNED_MODULES = {
    "inspect": "reads source code (inspect)",
    "importlib": "imports by name (importlib)",
    "threading": "runs code in a thread (threading)",
    "_thread": "runs code in a thread (_thread)",
    "concurrent": "runs code in a thread or process pool (concurrent)",
    "multiprocessing": "runs code in another process (multiprocessing)",
    "subprocess": "starts processes (subprocess)",
    "ctypes": "calls C directly (ctypes)",
    "builtins": "changes builtins",
    "dlnotes.exercises": "uses the exercise catalogue (dlnotes.exercises)",
    "gc": "walks the interpreter's objects (gc)",
    "signal": "changes signal handlers (signal)",
}
BANNED_CALLS = {
    "exec": "runs code from a string (exec)",
    "eval": "runs code from a string (eval)",
    "compile": "compiles code from a string (compile)",
    "__import__": "imports by name (__import__)",
    "globals": "reaches into the namespace (globals)",
}
BANNED_ATTRS = {
    "getsource": "reads source code (getsource)",
    "getsourcelines": "reads source code (getsourcelines)",
    "setprofile": "switches the call profiler (sys.setprofile)",
    "settrace": "switches the tracer (sys.settrace)",
    "system": "runs a shell command (os.system)",
    "fork": "forks the process (os.fork)",
    "popen": "runs a shell command (os.popen)",
    "execv": "replaces the process (os.exec*)",
    "solution": "reads an exercise's solution",
    "suites": "reads an exercise's test suites",
    "exercises": "uses the exercise catalogue (dlnotes.exercises)",
    "__code__": "reads or replaces code objects",
    "__globals__": "reaches into a function's globals",
    "__builtins__": "changes builtins",
}


#: what an answer cell may import from ``dlnotes.exercises``: ``check`` itself (a learner
#: imports it again after a restart of the kernel, and the instructors' page allows it)
CHECKING = frozenset({"check", "CheckFailed"})


def reference_name(reference: str) -> str:
    """The name the static check looks for, of one library reference ``"module:qualname"``.

    A function's own name (``gradient_descent``); for a method, its class's name
    (``LogUniform`` for ``"dlnotes.tuning:LogUniform.sample"``): a method's name alone
    (``.sample``) is shared by unrelated objects, so flagging it would flag honest answers. A
    call of the method through an instance made elsewhere is still caught while the answer runs,
    where the method is withheld.
    """
    qualname = reference.rpartition(":")[2]
    return qualname.split(".")[-2 if "." in qualname else -1]


def catalogue_names(sources: list[str]) -> set[str]:
    """Names that ``sources`` (the master's import cells) bind to a module of
    ``dlnotes.exercises`` (``from dlnotes.exercises import ch09 as reference``): an answer cell
    that uses one reaches the reference solutions and their helpers without importing anything.
    (``check``, which a learner may well call in an answer cell, is a function: not counted.)"""
    import importlib.util

    def is_module(dotted: str) -> bool:
        try:
            return importlib.util.find_spec(dotted) is not None
        except (ImportError, ValueError):
            return False

    names: set[str] = set()
    for node in _imports(sources):
        if isinstance(node, ast.Import):
            names.update(a.asname for a in node.names if a.asname and _module_reason(a.name))
        elif (node.module or "").startswith("dlnotes"):
            for a in node.names:
                dotted = f"{node.module}.{a.name}"
                if _module_reason(dotted) and is_module(dotted):
                    names.add(a.asname or a.name)
    return names


def _imports(sources: list[str]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of ``sources`` (a cell that does not parse has none)."""
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        yield from (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def foreign_names(sources: list[str]) -> set[str]:
    """Names that ``sources`` (the master's import cells) bind to another library than dlnotes
    (``import torch.nn.functional as F``): ``F.softmax`` in an answer cell is torch's, not the
    reference ``softmax``."""
    names: set[str] = set()
    for node in _imports(sources):
        if isinstance(node, ast.Import):
            names.update(
                a.asname or a.name.split(".")[0]
                for a in node.names
                if not a.name.startswith("dlnotes")
            )
        elif node.level == 0 and not (node.module or "").startswith("dlnotes"):
            names.update(a.asname or a.name for a in node.names if a.name != "*")
    return names


def circumvention(
    source: str,
    reference_names: set[str],
    own_names: set[str],
    catalogue: frozenset[str] | set[str] = frozenset(),
    preamble_foreign: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Reasons this cell's code looks like it dodges the grader or calls the reference.

    ``catalogue``: names bound to ``dlnotes.exercises`` by the notebook's imports (see
    :func:`catalogue_names`); using one in an answer cell counts as using the catalogue.
    ``preamble_foreign``: names the notebook's imports bind to other libraries (see
    :func:`foreign_names`).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    # Names bound by imports of other libraries (torch, nn, np), in this cell or the notebook's
    # import cells: an attribute of theirs that happens to share a reference's name
    # (torch.nn.Sequential, F.softmax) is not the reference. (A top-level module name that is
    # not bound to a dlnotes import in this cell counts as another library too.)
    foreign: set[str] = set(preamble_foreign)
    ours: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                (ours if a.name.startswith("dlnotes") else foreign).add(bound)
        elif isinstance(node, ast.ImportFrom):
            dl = (node.module or "").startswith("dlnotes")
            (ours if dl else foreign).update(a.asname or a.name for a in node.names)
    # ... and names the cell binds to a value of another library (t = torch.tensor(x)): a
    # torch tensor's t.logsumexp(...) is torch's, not the reference logsumexp
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _foreign(_root(node.value), foreign, ours):
            foreign.update(
                n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_reason(alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if not (module == "dlnotes.exercises" and {a.name for a in node.names} <= CHECKING):
                found += _module_reason(module)
            for alias in node.names:
                if alias.name in reference_names and module.startswith("dlnotes"):
                    found.append(f"imports the reference {module}.{alias.name}")
                if not (module == "dlnotes.exercises" and alias.name in CHECKING):
                    found += _module_reason(f"{module}.{alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in BANNED_CALLS:
                found.append(BANNED_CALLS[node.func.id])
        elif isinstance(node, ast.Attribute):
            if node.attr in BANNED_ATTRS:
                found.append(BANNED_ATTRS[node.attr])
            elif node.attr in reference_names and not _foreign(_root(node), foreign, ours):
                found.append(f"calls the reference .{node.attr}")
            elif node.attr.startswith("exec") and node.attr[4:5] in ("l", "v", "e"):
                found.append(BANNED_ATTRS["execv"])
        elif isinstance(node, ast.Name) and node.id in ("__builtins__",):
            found.append(BANNED_ATTRS["__builtins__"])
        elif isinstance(node, ast.Name) and node.id in catalogue and node.id not in ours:
            found.append(f"uses the exercise catalogue (dlnotes.exercises) through {node.id}")
    return sorted(set(found))


def _foreign(root: str | None, foreign: set[str], ours: set[str]) -> bool:
    """Whether ``root`` names another library than dlnotes (see :func:`circumvention`)."""
    if root is None or root in ours or root == "dlnotes":
        return False
    if root in foreign:
        return True
    import importlib.util

    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):
        return False


def _root(node: ast.expr) -> str | None:
    """The name an attribute chain starts from, through calls and indexing (``torch`` for
    ``torch.nn.Sequential`` and for ``torch.logsumexp(t, 1).backward``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_reason(module: str) -> list[str]:
    for banned, why in BANNED_MODULES.items():
        if module == banned or module.startswith(banned + "."):
            return [why]
    return []


class _Normalise(ast.NodeTransformer):
    """Rename arguments and local names in order of appearance; drop docstrings/annotations."""

    def __init__(self, keep: set[str]) -> None:
        self.names: dict[str, str] = {}
        self.keep = keep

    def _rename(self, name: str) -> str:
        if name in self.keep:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node.name = "f"
        node.returns = None
        node.decorator_list = []
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                body = body[1:] or [ast.Pass()]
        node.body = body
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> Any:
        node.arg = self._rename(node.arg)
        node.annotation = None
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self._rename(node.id)
        return node

    def visit_Expr(self, node: ast.Expr) -> Any:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None  # a string statement (comment-like)
        return self.generic_visit(node)


def normalised(function_source: str, name: str) -> str | None:
    """The normalised AST dump of the function ``name`` defined in ``function_source``."""
    try:
        tree = ast.parse(textwrap.dedent(function_source))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            fn = _Normalise(keep=set()).visit(node)
            return ast.dump(fn, annotate_fields=False, include_attributes=False)
    return None


def reference_dumps(objects: list[Any], extra_sources: list[str], name: str) -> set[str]:
    """Normalised dumps of the reference functions and of the master's answer."""
    dumps = set()
    for obj in objects:
        try:
            src = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            continue
        d = normalised(src, getattr(obj, "__name__", name))
        if d:
            dumps.add(d)
    for src in extra_sources:
        d = normalised(src, name)
        if d:
            dumps.add(d)
    return dumps
