"""One fresh, isolated process per exercise of a submission: bubblewrap plus resource limits.

The process sees the system (``/usr``, ``/etc``, ...) read-only, the Python environment and the
``dlnotes`` package read-only, this folder (the harness) read-only, and an empty tmpfs as its
working directory and ``/tmp``; every other top-level folder (``/home``, ``/root``, ``/work``,
``/mnt``, ``/opt``, ``/var``, ...) is an empty tmpfs (so no course folder, no other submission,
no gradebook, no key). It has no network
and its own PID namespace (``/proc`` shows only itself), a new session (no terminal), and dies
with the grader. Limits: CPU seconds, address space, file size, open files (``setrlimit`` before
``exec``), processes and threads (RLIMIT_NPROC, per sandbox, set by the harness inside it: see
:data:`SANDBOX_USER`), a wall clock after which the whole process tree is killed (killing bwrap
kills the namespace's init, and the kernel then kills every process in the namespace,
``setsid`` or not), and a cap on the bytes it may send back.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: top-level folders the sandbox sees (read-only); every other one is replaced by an empty tmpfs
SYSTEM_ROOTS = (
    "usr",
    "bin",
    "sbin",
    "lib",
    "lib32",
    "lib64",
    "libx32",
    "etc",
    "dev",
    "proc",
    "sys",
)


def hidden_roots() -> tuple[str, ...]:
    """Every top-level folder but the system's: homes, /work, /data, /mnt, /opt, /tmp, ..."""
    return tuple(
        f"/{name}"
        for name in sorted(os.listdir("/"))
        if name not in SYSTEM_ROOTS and os.path.isdir(f"/{name}") and not os.path.islink(f"/{name}")
    )


def hidden_data() -> tuple[str, ...]:
    """Data folders under the system's roots that a sandbox must not see: the original
    Fashion-MNIST files (Debian's ``dataset-fashion-mnist`` puts them under ``/usr``, and the
    capstone's hidden test set is made of its test images), wherever ``DLNOTES_FASHION_MNIST``
    points, and the rest of ``/usr/share/datasets``. Each existing one becomes an empty tmpfs."""
    from dlnotes.data.datasets import FASHION_MNIST_DIR

    wanted = {"/usr/share/datasets", FASHION_MNIST_DIR, os.environ.get("DLNOTES_FASHION_MNIST", "")}
    found = sorted({os.path.realpath(p) for p in wanted if p and os.path.isdir(p)})
    shown = [os.path.realpath(p) for p in _visible_paths()]  # a folder holding the package or
    return tuple(  # the environment is not hidden (under a hidden root, it is empty anyway)
        p
        for p in found
        if not any(p.startswith(q + "/") for q in found)
        and not any(v == p or v.startswith(p + "/") for v in shown)
    )


INSIDE_HARNESS = "/opt/dlnotes-grader"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


#: bytes of the sandbox's scratch folder /tmp/work (its working directory and HOME)
SCRATCH_BYTES = 256 << 20


@dataclass
class Limits:
    wall: float = 60.0  # seconds for the whole process (imports, cells and every case)
    cpu: int = 60  # CPU seconds
    memory: int = 4 << 30  # bytes of address space
    file_size: int = 64 << 20  # bytes per file written (in the tmpfs)
    output: int = 32 << 20  # bytes of results sent back
    cell: float = 10.0  # seconds per answer cell (a Python-level loop is stopped, the rest runs)
    call: float = 5.0  # seconds per call of the learner's function
    #: processes and threads in one sandbox (RLIMIT_NPROC, set by the harness *inside* the
    #: sandbox's user namespace: see :data:`SANDBOX_USER`). Measured: the harness is 1 (plus
    #: bwrap's init when the grader is not root; numpy runs one thread here), so a limit of 16
    #: lets a cell fork 15 children; 64 leaves room for a learner's threads, and a fork bomb
    #: stops there, so `--jobs N` sandboxes hold at most 64 N processes whatever they run
    #: (each has its own count: tests/test_grading.py runs three side by side).
    processes: int = 64


@dataclass
class Result:
    records: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"  # ok | timed out | killed by signal N | crashed | output too large
    returncode: int | None = None
    seconds: float = 0.0
    stderr: str = ""


@functools.lru_cache(maxsize=1)
def bwrap() -> str:
    """The bwrap binary, after checking that it can create a sandbox here."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "grading needs bubblewrap (Debian package `bubblewrap`): "
            "`apt-get install bubblewrap`, or run `python3 tasks.py test` as root once"
        )
    probe = [
        path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        *_namespaces(), "--die-with-parent", *_drop_root(), "true",
    ]  # fmt: skip
    proc = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here ({proc.stderr.strip()[:300]}); "
            "unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone"
            "=1), or run the grader in a VM/container that allows them"
        )
    return path


def _visible_paths() -> list[str]:
    """Folders the harness needs that lie under a hidden root: the Python environment(s) and
    the dlnotes package (the open library)."""
    import dlnotes

    wanted = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(dlnotes.__file__))}
    pkg = os.path.dirname(dlnotes.__file__)
    paths = []
    for p in sorted(wanted):
        real = os.path.realpath(p)
        if real.startswith(tuple(r + "/" for r in hidden_roots())):
            # the package's parent may be the course repository: show only the package itself
            paths.append(pkg if p == os.path.dirname(pkg) else real)
    return sorted(set(paths))


def bind(path: str, made: set[str], *, writable: bool = False) -> list[str]:
    """bwrap options that show ``path`` at the same place (read-only unless ``writable``).

    bwrap would make the missing parents mode 700, unreadable once the code inside runs as
    nobody (:data:`SANDBOX_USER`): they are made 0755 first (``made`` remembers which)."""
    opts: list[str] = []
    for parent in (str(a) for a in reversed(Path(path).parents) if len(a.parts) > 2):
        if parent not in made:
            opts += ["--perms", "0755", "--dir", parent]
            made.add(parent)
    return [*opts, "--bind" if writable else "--ro-bind", path, path]


def limit_processes(count: int, **other: int) -> list[str]:
    """The command prefix (inside the sandbox, after :func:`_drop_root`) that sets
    RLIMIT_NPROC to ``count`` for a command that does not set it itself (the capstone's run),
    and any ``other`` of prlimit's limits (``as=``, ``cpu=``, ``fsize=``, ``nofile=``)."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise SandboxUnavailable("a process limit needs prlimit (Debian package util-linux)")
    extra = [f"--{name}={value}:{value}" for name, value in sorted(other.items())]
    return [prlimit, f"--nproc={count}:{count}", *extra, "--"]


def command(python: str | None = None, shown: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The bwrap command line that runs the harness; each ``(file, path)`` of ``shown`` puts
    ``file`` at ``path``, over the package's own (see :mod:`withheld`)."""
    cmd = [bwrap(), "--ro-bind", "/", "/"]
    for root in hidden_roots():
        cmd += ["--size", str(1 << 20), "--tmpfs", root]
    made: set[str] = set()
    for p in _visible_paths():
        cmd += bind(p, made)
    for file, path in shown:
        cmd += ["--ro-bind", file, path]
    for folder in hidden_data():
        cmd += ["--size", str(1 << 20), "--tmpfs", folder]
    cmd += ["--ro-bind", str(HERE), INSIDE_HARNESS]
    # the scratch folder is the only writable one: its size is capped (a tmpfs is memory, which
    # no process limit counts; without a cap it is half the machine's RAM)
    cmd += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777"]
    cmd += ["--size", str(SCRATCH_BYTES), "--tmpfs", "/tmp/work"]
    cmd += ["--chdir", "/tmp/work", *_namespaces(), "--die-with-parent", "--new-session"]
    cmd += ["--clearenv"]
    for var, value in {
        "HOME": "/tmp/work",
        "PATH": "/usr/bin:/bin",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLCONFIGDIR": "/tmp/work/.mpl",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }.items():
        cmd += ["--setenv", var, value]
    cmd += [*_drop_root(), python or sys.executable, "-I", "-B", f"{INSIDE_HARNESS}/harness.py"]
    return cmd


#: The user a grader running as root runs the harness as (``nobody``), and why.
#:
#: RLIMIT_NPROC is counted per real user, and the kernel *never enforces it for root* (uid 0):
#: a root grader's sandboxes would have no process limit at all. Run unprivileged, bwrap gives
#: every sandbox its own user namespace, and the kernel (5.14 and later) counts processes per
#: (namespace, user): the harness's RLIMIT_NPROC, set inside that namespace, bounds that one
#: sandbox, while the user's total is only held to the grader's own, unchanged limit. So one
#: sandbox's fork bomb cannot starve a classmate's sandbox next to it (``--jobs``), and the
#: instructor's other processes do not count against a sandbox. Setting the limit before bwrap
#: instead would cap the *sum* over every sandbox and every process of the grading user (a
#: desktop session alone can exceed 64 threads; as root it would do nothing).
#:
#: As root, bwrap sets the sandbox up without a user namespace (so it can still bind the
#: Python environment, wherever it lives), keeps only CAP_SETUID/CAP_SETGID, and runs
#: ``setpriv`` (to this user, no groups, no capabilities at all) then ``unshare --user`` (the
#: sandbox's own user namespace) before the harness: the same per-sandbox count as above.
#: Measured by ``tests/test_grading.py``: a cell forks until refused, alone and in three
#: sandboxes side by side, and each stops at its own limit.
SANDBOX_USER = 65534


def _as_root() -> bool:
    return os.geteuid() == 0


def _namespaces() -> list[str]:
    """bwrap's namespace options, and (as root) the switch to :data:`SANDBOX_USER`."""
    if not _as_root():
        return ["--unshare-all"]
    return [
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
    ]  # fmt: skip


def _drop_root() -> list[str]:
    """The command prefix (inside the sandbox) that leaves root, or nothing when not root."""
    if not _as_root():
        return []
    tools = {name: shutil.which(name) for name in ("setpriv", "unshare")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        raise SandboxUnavailable(
            f"grading as root needs {' and '.join(missing)} (Debian package util-linux) to run "
            "each sandbox as an unprivileged user; install it, or grade as another user"
        )
    return [
        str(tools["setpriv"]), f"--reuid={SANDBOX_USER}", f"--regid={SANDBOX_USER}",
        "--clear-groups", "--bounding-set=-all", "--inh-caps=-all",
        str(tools["unshare"]), "--user",
    ]  # fmt: skip


def check() -> None:
    """Fail now, with the reason, unless a sandbox here can run the harness's Python."""
    bwrap()
    cmd = command()
    python = cmd.index("-I") - 1
    probe = [*cmd[: python + 1], "-I", "-c", "import cloudpickle, numpy, dlnotes"]
    proc = subprocess.run(probe, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        who = f" as uid {SANDBOX_USER} (nobody: the grader runs as root)" if _as_root() else ""
        raise SandboxUnavailable(
            f"the sandbox cannot run {cmd[python]} with dlnotes{who}: "
            f"{proc.stderr.strip()[-300:]}; the Python environment and the dlnotes package must "
            "be readable by that user, and inside the repository's folder (the sandbox shows "
            "only that folder: a .venv that is a link to another place is not seen)"
        )


def _limit(limits: Limits) -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu, limits.cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # RLIMIT_AS is per process, and a cell may fork up to the process limit: should the machine
    # run out of memory, the kernel's OOM killer takes a sandbox's process, not the grader's
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass


def run(job: bytes, limits: Limits, shown: Sequence[tuple[str, str]] = ()) -> Result:
    """Run the harness on ``job`` in a fresh sandbox (``shown``: see :func:`command`) and
    collect its result lines."""
    start = time.monotonic()
    proc = subprocess.Popen(
        command(shown=shown),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=functools.partial(_limit, limits),
    )
    result = Result()
    chunks: list[bytes] = []
    size = [0]
    err_tail: list[bytes] = []

    def read_out() -> None:
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read1(1 << 16)
            if not chunk:
                return
            size[0] += len(chunk)
            if size[0] > limits.output:
                result.status = "output too large"
                _kill(proc)
                return
            chunks.append(chunk)

    def read_err() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(1 << 16):
            err_tail.append(chunk)
            del err_tail[:-4]

    readers = [threading.Thread(target=read_out), threading.Thread(target=read_err)]
    for t in readers:
        t.start()
    try:
        assert proc.stdin is not None
        proc.stdin.write(job)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        proc.wait(timeout=limits.wall)
    except subprocess.TimeoutExpired:
        result.status = "timed out"
        _kill(proc)
        proc.wait()
    for t in readers:
        t.join(timeout=10)
    result.returncode = proc.returncode
    result.seconds = time.monotonic() - start
    result.stderr = b"".join(err_tail).decode("utf-8", "replace")[-2000:]
    result.records = parse_records(b"".join(chunks))
    if result.status == "ok" and not any(r.get("event") == "done" for r in result.records):
        result.status = "crashed" if proc.returncode not in (0, None) else "stopped early"
        if proc.returncode is not None and proc.returncode < 0:
            sig = -proc.returncode
            result.status = (
                "out of CPU time" if sig == signal.SIGXCPU else f"killed by signal {sig}"
            )
    return result


#: the longest text a record may carry (an error message, a grade id); what the learner's code
#: writes into a record reaches the gradebook, the instructor's terminal and the feedback
MAX_TEXT = 300


def parse_records(data: bytes) -> list[dict[str, Any]]:
    """The JSON records of the harness's output, one a line; anything else is skipped.

    The learner's code can write to the channel too, so a line may be anything: malformed or
    deeply nested JSON is skipped (``RecursionError`` as well as ``ValueError``), and the
    texts of a record are cut to :data:`MAX_TEXT` characters."""
    records = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        for name in ("event", "grade_id", "status", "error", "var"):
            if name in record:
                text = record[name]
                record[name] = text[:MAX_TEXT] if isinstance(text, str) else repr(text)[:40]
        records.append(record)
    return records


def _kill(proc: subprocess.Popen) -> None:
    """Kill the sandbox: its process group, hence bwrap, hence its PID namespace."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
