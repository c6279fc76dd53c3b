"""The grading harness: runs INSIDE the sandbox, one exercise of one submission.

Reads a job (pickled by the grader, the trusted direction) from stdin, then

1. executes the master's import statements (from the MASTER, never from the submission);
2. executes the submission's answer cells in notebook order up to and including this exercise's
   own, each in its own ``try`` under a time limit (an error in one cell is reported, the rest
   still runs);
3. calls the learner's function on each case under a per-call time limit (or reads the
   challenge's value) and writes each result as soon as it is known, as one JSON line of plain
   data (see :mod:`plain`) on a private copy of stdout. The learner's own prints and warnings go
   to /dev/null.

Whatever the learner's code does here, it can only change what this process reports about
itself: it never sees the expected outputs, and the grader compares in its own process.
"""

from __future__ import annotations

import linecache
import os
import pickle
import resource
import sys
import traceback
from contextlib import nullcontext
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import plain
import syscalls


def _channel() -> Any:
    """A private copy of stdout for results; fd 1 and 2 then point to /dev/null."""
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
    sys.stderr = sys.stdout
    return out


def _describe_error(err: BaseException, filename_prefix: str = "<") -> str:
    """``Kind: message (in CELL, line N: code)``. A syntax error is said the same way: Python's
    own text, ``invalid syntax (<ch02_a>, line 3)``, shows the grader's name for the cell."""
    if isinstance(err, SyntaxError) and str(err.filename or "").startswith("<"):
        code = (err.text or "").strip()[:80]
        where = f" (in {str(err.filename).strip('<>')}, line {err.lineno}: {code})"
        return f"{type(err).__name__}: {str(err.msg).strip()[:200]}{where}"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<")]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (in {f.filename.strip('<>')}, line {f.lineno}: {(f.line or '').strip()[:80]})"
    text = str(err).strip().splitlines()
    message = text[0][:200] if text else ""
    return f"{type(err).__name__}: {message}{where}"


def _limit_processes(count: int) -> None:
    """Cap the processes and threads of this sandbox (RLIMIT_NPROC, soft = hard).

    Set here, inside the sandbox's own user namespace, the limit counts this sandbox's
    processes only (see ``sandbox.SANDBOX_USER``), and no code run afterwards can raise it."""
    resource.setrlimit(resource.RLIMIT_NPROC, (count, count))


def main() -> None:
    job = pickle.loads(sys.stdin.buffer.read())
    _limit_processes(int(job.get("process_limit", 64)))
    syscalls.install()  # before any learner code: memory no limit counts is refused
    out = _channel()
    harness_pid = os.getpid()

    def emit(record: dict[str, Any]) -> None:
        if os.getpid() != harness_pid:  # a copy forked by the learner's code: it says nothing
            os._exit(0)
        out.write(plain.dumps_line(record))
        out.flush()

    try:
        run(job, emit)
    except BaseException as err:
        # object that broke it): say so; the grader scores what was reported before
        emit({"event": "harness_error", "error": f"{type(err).__name__}: {err}"[:300]})


def _reference_code(references: list[str], resolve: Any, code_objects: Any) -> dict[Any, str]:
    """The code objects of the exercise's references (``"module:qualname"``), each mapped to
    its name; a reference that cannot be resolved is left out."""
    found: dict[Any, str] = {}
    for dotted in references:
        try:
            found.update(dict.fromkeys(code_objects(resolve(dotted)), dotted))
        except Exception:
            continue
    return found


def run(job: dict[str, Any], emit: Any) -> None:
    """Execute the preamble and the cells, then call the answer on every case."""
    # bound here, before any learner cell runs (a later lookup of core's names could be
    # patched by them)
    from dlnotes.exercises.core import _alarm, _code_objects, _resolve, _TimeUp

    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    # what the answer must use besides the right values (FunctionExercise.required), taken
    # before any learner code runs, which could otherwise replace it
    requirement = None
    if job.get("required"):
        try:
            requirement = _resolve(job["required"])
        except Exception as err:  # the exercise's requirement cannot be checked: say so
            emit({"event": "harness_error", "error": f"requirement: {_describe_error(err)}"})
    for k, source in enumerate(job["preamble"]):
        try:
            if not _bind_lazily(source, namespace):
                exec(compile(source, f"<master imports {k}>", "exec"), namespace)
        except BaseException as err:
            emit({"event": "preamble", "error": _describe_error(err)})
    # the references' code, taken before any learner cell runs (a cell could rebind a library
    # name and call the saved original) and again after them (see below)
    forbidden = _reference_code(job["references"], _resolve, _code_objects)
    _warm_up([source for _, source in job["cells"]])
    for grade_id, source in job["cells"]:
        filename = f"<{grade_id}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        emit({"event": "cell", "grade_id": grade_id, "status": "start"})
        try:
            code = compile(source, filename, "exec")
            with _alarm(job["cell_limit"]):
                exec(code, namespace)
        except _TimeUp:
            emit(
                {
                    "event": "cell",
                    "grade_id": grade_id,
                    "status": "error",
                    "error": f"the cell ran longer than {job['cell_limit']:g} s and was stopped",
                }
            )
            continue
        except BaseException as err:
            emit(
                {
                    "event": "cell",
                    "grade_id": grade_id,
                    "status": "error",
                    "error": _describe_error(err),
                }
            )
            continue
        emit({"event": "cell", "grade_id": grade_id, "status": "ok"})

    var = job["var"]
    if var not in namespace:
        emit({"event": "missing", "var": var})
        emit({"event": "done"})
        return
    answer = namespace[var]
    if job["kind"] == "value":
        emit({"event": "value", "result": plain.to_message(*plain.encode(answer))})
        emit({"event": "done"})
        return

    # Every sys.setprofile during the answer's call, seen by an audit hook (this process is the
    # sandbox's own and ends with the job, so the hook, which cannot be removed, goes with it).
    watch = {"on": False, "switched": False}

    def audit(event: str, args: Any) -> None:
        if event == "sys.setprofile" and watch["on"]:
            watch["switched"] = True

    sys.addaudithook(audit)
    forbidden.update(_reference_code(job["references"], _resolve, _code_objects))
    for i, case in enumerate(job["cases"]):
        args, kwargs = case.args, dict(case.kwargs)
        seen: list[str] = []
        missed = False

        def profiler(frame: Any, event: str, arg: Any, seen: list[str] = seen) -> None:
            if event == "call" and not seen and frame.f_code in forbidden:
                seen.append(forbidden[frame.f_code])

        record: dict[str, Any] = {"event": "case", "i": i}
        output: Any = None
        switched = False
        watch["switched"] = False
        # the requirement is set up outside the time limit (its imports must never be cut
        # short, which would leave the module broken) and judged after the call
        with requirement() if requirement else nullcontext() as met:
            try:
                with _alarm(job["time_limit"]):
                    sys.setprofile(profiler)
                    watch["on"] = True
                    try:
                        output = answer(*args, **kwargs)
                    finally:
                        watch["on"] = False
                        # the answer switched the profiler off (or swapped it): its calls went
                        # unseen
                        switched = sys.getprofile() is not profiler
                        sys.setprofile(None)
                record["status"] = "ok"
            except _TimeUp:
                record["status"] = "timeout"
            except BaseException as err:
                record["status"] = "error"
                record["error"] = _describe_error(err)
            if met is not None and record["status"] == "ok":
                try:
                    missed = not met(args, kwargs, output)
                except Exception:  # an output it cannot read: not met
                    missed = True
        record["called_reference"] = seen[0] if seen else None
        record["missed_required"] = record["status"] == "ok" and missed
        # switched off (or swapped) during the call, even if switched back on before it returned
        # (the audit hook). Only a call that returned is judged: the time limit's exception can
        # land inside the profiler, and CPython then removes the profiler itself (an audited
        # sys.setprofile too)
        record["profiler_off"] = (watch["switched"] or switched) and record["status"] == "ok"
        try:
            if record["status"] == "ok":
                record["result"] = plain.to_message(*plain.encode(output))
                import numpy as np

                ins = [a for a in _arrays((args, kwargs))]
                outs = [o for o in _arrays(output)]
                record["aliased"] = any(np.shares_memory(o, a) for o in outs for a in ins)
                record["copies"] = sum(1 for o in outs if not any(o is a for a in ins))
            record["after"] = plain.to_message(*plain.encode_object((tuple(args), kwargs)))
        except BaseException as err:
            record["status"] = "error"
            record["error"] = f"the result could not be read: {_describe_error(err)}"
        emit(record)
    emit({"event": "done"})


#: display-only packages of the masters' import cells: bound lazily (importing matplotlib costs
#: seconds per sandbox), imported for real on first use
LAZY = ("matplotlib", "ipywidgets", "IPython", "jupyterquiz", "dlnotes.plots", "dlnotes.widgets")


class _Lazy:
    """A module (or a name in one) imported on first use."""

    def __init__(self, module: str, attr: str | None = None) -> None:
        self._where = (module, attr)

    def _load(self) -> Any:
        import importlib

        module, attr = self._where
        if attr is None:
            return importlib.import_module(module)
        try:
            return importlib.import_module(f"{module}.{attr}")
        except ImportError:
            return getattr(importlib.import_module(module), attr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._load()(*args, **kwargs)


def _warm_up(cells: list[str]) -> None:
    """Pay, with the imports, what a library costs on its first use rather than on import.

    torch imports ``torch._dynamo`` when it builds its first optimizer: 1.3 s on an idle
    machine, more than the 5 s of a call's time limit on a busy one, so that a right answer
    timed out on its first case (and the import it interrupted broke its later cases). Paid
    only where torch is imported and an answer cell mentions an optimizer.
    """
    if "torch" in sys.modules and any("optim" in source for source in cells):
        import importlib

        try:
            importlib.import_module("torch._dynamo")
        except Exception:
            pass  # an answer that needs it meets the error itself


def _bind_lazily(source: str, namespace: dict[str, Any]) -> bool:
    """Bind a display-only import lazily; ``False`` if ``source`` is another import."""
    import ast

    node = ast.parse(source).body[0]
    if isinstance(node, ast.Import):
        names = [(a.name, a.asname) for a in node.names]
        if not all(n.startswith(LAZY) for n, _ in names):
            return False
        for name, asname in names:
            if asname:
                namespace[asname] = _Lazy(name)
            else:
                namespace[name.split(".")[0]] = _Lazy(name.split(".")[0])
        return True
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        full = [f"{node.module}.{a.name}" for a in node.names]
        if not (node.module.startswith(LAZY) or all(f.startswith(LAZY) for f in full)):
            return False
        for a in node.names:
            namespace[a.asname or a.name] = _Lazy(node.module, a.name)
        return True
    return False


def _arrays(x: Any) -> Any:
    import numpy as np

    if type(x) is np.ndarray:
        yield x
    elif type(x) in (tuple, list):
        for v in x:
            yield from _arrays(v)
    elif type(x) is dict:
        for v in x.values():
            yield from _arrays(v)
    elif isinstance(getattr(x, "params", None), (list, tuple)):
        yield from _arrays(list(x.params))


if __name__ == "__main__":
    main()
