"""What a sandbox is not shown: the answers, which the ``dlnotes`` package also holds.

A submission runs in a sandbox that shows the package, so answer cells can use the library as
the chapters do. But the package holds the answers too: every exercise's reference solution,
its mistakes (each one expression away from the answer) and their helpers in
``dlnotes/exercises/chNN.py``, and the library code an exercise counts as its reference (for
``ch05_adam_step``, ``dlnotes.optim.teaching.adam_step``, ``Adam`` and ``lr_sweep``). The
harness's call profiler names a call of those, but it runs in the learner's own process, where
code can blind it: empty its record through ``sys._getframe``, call from a thread or a child
process, run a copy of the code object, patch the result encoder, or work out every case's
answer while its cell runs, before any profiler is on. So the sandbox is shown *withheld*
copies of those source files instead, bound over the real ones:

* in every ``dlnotes/exercises/chNN.py``, every function, method and lambda body is replaced by
  a ``raise`` (the module, its names and signatures stay, so imports and the catalogue work),
  but those its own import runs (:func:`_run_on_import`);
* in the module defining each library reference of the chapter's function exercises, the body
  of that function (every method, for a class) is replaced the same way, when one of them is
  graded (a value answer is only read, so its job withholds no library code);
* comments go (the module is rewritten from its syntax tree), and every compiled copy of a
  withheld module in ``__pycache__`` is covered by an empty file (Python then compiles the
  withheld source; a learner reading the ``.pyc`` finds nothing).

An answer that calls any of these, directly, through the library, from a thread or from a
child process, gets the ``raise`` (a RuntimeError saying :data:`MESSAGE`) instead of the
answer; the profiler still names a direct call, and the grader names the rest. Functions of
``chNN.py`` that a case passes to the learner (a gradient to follow, a loss to check) travel
in the job by value (see :func:`by_value`), so they keep working.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

#: what a withheld function raises
MESSAGE = "withheld while grading: this is dlnotes' own answer to an exercise"
_HELPER = "_dlnotes_withheld"


def _raise() -> ast.stmt:
    return ast.parse(f"raise RuntimeError({MESSAGE!r})").body[0]


def _run_on_import(tree: ast.Module) -> set[str]:
    """The module's functions that its own import calls: those called by name outside any
    function body (decorators, default values, class bodies, constants), and the functions
    these call in turn. Withheld, they would stop the import."""
    functions = {
        s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }

    def called(nodes: Iterable[ast.AST], inside: bool) -> set[str]:
        names: set[str] = set()
        todo = list(nodes)
        while todo:
            node = todo.pop()
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names.add(node.func.id)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not inside:
                todo += [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]
                todo += [a for a in (node.returns,) if a is not None]
                continue  # its body runs only when it is called
            if isinstance(node, ast.Lambda) and not inside:
                todo += [*node.args.defaults, *node.args.kw_defaults]
                continue
            todo += [c for c in ast.iter_child_nodes(node) if c is not None]
        return names & set(functions)

    needed = called(tree.body, inside=False)
    todo = list(needed)
    while todo:
        more = called(functions[todo.pop()].body, inside=True) - needed
        needed |= more
        todo += more
    return needed


class _Withhold(ast.NodeTransformer):
    """Replace the bodies of the functions named in ``qualnames`` (every function, method and
    lambda but those the import runs, when None; every method of a class named there) by a
    raise."""

    def __init__(self, qualnames: set[str] | None, spared: set[str] = frozenset()) -> None:
        self.qualnames = qualnames
        self.spared = spared
        self.stack: list[str] = []

    def _wanted(self, name: str) -> bool:
        if self.qualnames is None:
            return not (not self.stack and name in self.spared)
        qual = ".".join([*self.stack, name])
        return any(qual == q or qual.startswith(q + ".") for q in self.qualnames)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        if self._wanted(node.name):
            node.body = [_raise()]
            return node
        if self.qualnames is None:  # a function the import runs: kept whole, lambdas too
            return node
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        if self.qualnames is None:
            node.body = ast.Call(ast.Name(_HELPER, ast.Load()), [], [])
        return node


def withheld_source(source: str, qualnames: Iterable[str] | None = None) -> str:
    """``source`` with the bodies of ``qualnames`` withheld (when None, of every function and
    lambda but those its import runs)."""
    tree = ast.parse(source)
    spared = _run_on_import(tree) if qualnames is None else set()
    tree = _Withhold(None if qualnames is None else set(qualnames), spared).visit(tree)
    if qualnames is None:  # the lambdas' raise, after any `from __future__` import
        at = next(
            (i for i, s in enumerate(tree.body) if not _is_future_or_docstring(s, i)),
            len(tree.body),
        )
        helper = ast.parse(f"def {_HELPER}(*args, **kwargs):\n    pass").body[0]
        assert isinstance(helper, ast.FunctionDef)
        helper.body = [_raise()]
        tree.body.insert(at, helper)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _is_future_or_docstring(stmt: ast.stmt, i: int) -> bool:
    if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
        return True
    return i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _defining_file(spec: str) -> tuple[Path, str]:
    """The source file and qualname of a reference ``"module:qualname"``."""
    from dlnotes.exercises.core import _resolve

    obj = inspect.unwrap(_resolve(spec))
    source = inspect.getsourcefile(obj)
    if source is None:
        raise ValueError(f"{spec}: no source file to withhold")
    return Path(source).resolve(), obj.__qualname__


def exercise_modules() -> list[Path]:
    """``dlnotes/exercises/chNN.py``: the reference solutions and their mistakes."""
    import dlnotes.exercises

    folder = Path(dlnotes.exercises.__file__).resolve().parent
    return sorted(folder.glob("ch[0-9][0-9].py"))


class Withheld:
    """The withheld files of a grading run, written once per set of references into a
    temporary folder (removed by :meth:`close`)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dlnotes-withheld-"))
        self.empty = self.folder / "empty"
        self.empty.write_bytes(b"")
        self._written: dict[tuple[Path, tuple[str, ...] | None], Path] = {}

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _write(self, real: Path, qualnames: tuple[str, ...] | None) -> Path:
        key = (real, qualnames)
        if key not in self._written:
            out = self.folder / f"{len(self._written)}-{real.name}"
            out.write_text(withheld_source(real.read_text(encoding="utf-8"), qualnames))
            os.chmod(out, 0o644)
            self._written[key] = out
        return self._written[key]

    def frameworks(self) -> list[tuple[str, str]]:
        """``(folder shown, package folder)`` pairs that withhold every installed framework
        (``dlnotes.exercises.core.FRAMEWORKS``): its folder is shown holding only
        ``framework_stub.py`` as its ``__init__.py``, whose names all raise
        :data:`framework_stub.MESSAGE` when used."""
        from dlnotes.exercises.core import _framework_packages

        pairs = []
        for name, real in _framework_packages():
            shown = self.folder / "frameworks" / name
            if not shown.exists():
                shown.mkdir(parents=True)
                shutil.copyfile(
                    Path(__file__).with_name("framework_stub.py"), shown / "__init__.py"
                )
                os.chmod(shown, 0o755)
                os.chmod(shown / "__init__.py", 0o644)
            pairs.append((str(shown), os.path.realpath(real)))
        return pairs

    def binds(self, references: Iterable[str]) -> list[tuple[str, str]]:
        """``(file shown, real path)`` pairs for a sandbox grading an exercise whose library
        references are ``references`` (``"module:qualname"``; names in ``chNN.py`` are
        withheld anyway): each chapter module withheld whole, each reference's module with
        that reference withheld, and an empty file over every compiled copy of them."""
        wanted: dict[Path, set[str] | None] = {p: None for p in exercise_modules()}
        for spec in references:
            path, qualname = _defining_file(spec)
            if path in wanted and wanted[path] is None:
                continue
            wanted.setdefault(path, set())
            names = wanted[path]
            assert names is not None
            names.add(qualname)
        pairs = []
        for real, names in sorted(wanted.items(), key=lambda kv: str(kv[0])):
            shown = self._write(real, None if names is None else tuple(sorted(names)))
            pairs.append((str(shown), str(real)))
            compiled = [*(real.parent / "__pycache__").glob(f"{real.stem}.*.pyc")]
            compiled += [p for p in (real.with_suffix(".pyc"),) if p.exists()]
            pairs += [(str(self.empty), str(p)) for p in sorted(compiled)]
        return pairs


@contextlib.contextmanager
def by_value() -> Iterator[None]:
    """While pickling a job, functions and classes of the chapter modules travel by value:
    the sandbox's copies of those modules are withheld, and a case may hand the learner one of
    their helpers (a loss, a gradient)."""
    import cloudpickle

    modules = [importlib.import_module(f"dlnotes.exercises.{p.stem}") for p in exercise_modules()]
    for m in modules:
        cloudpickle.register_pickle_by_value(m)
    try:
        yield
    finally:
        for m in modules:
            cloudpickle.unregister_pickle_by_value(m)
