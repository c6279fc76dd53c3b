"""Memory that no process limit counts, refused inside the sandbox by a seccomp filter.

``RLIMIT_AS`` bounds what each process maps, and the sandbox's scratch tmpfs is capped. But a
System V shared-memory segment (``shmget``), filled and detached, belongs to no process: a
hostile cell held 6 GB that way, counted nowhere, until the grader exited; a ``memfd`` file
(``memfd_create``) holds its pages while its descriptor is open, mapped or not; message queues
(``msgget``) hold kernel memory too. Nothing a notebook needs uses them (numpy, torch's CPU
tensors and Python's ``multiprocessing`` pipes do not), so the harness installs, before any
learner code runs, a filter under which these calls fail with ``EPERM``. Children inherit it,
and ``PR_SET_NO_NEW_PRIVS`` (which a filter requires) keeps any of them from gaining rights.

The filter is classic BPF, written out here for x86-64 and aarch64 (the system call numbers are
the architecture's); on another architecture, or a kernel without seccomp, nothing is installed
and :func:`install` says so. A system call of a foreign ABI (x32, or 32-bit calls on x86-64,
which have their own ``ipc`` multiplexer) is refused whole.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

#: ``AUDIT_ARCH_*`` and the numbers of the refused calls, per ``platform.machine()``
ARCHES = {
    "x86_64": (0xC000003E, {"shmget": 29, "shmat": 30, "shmctl": 31, "msgget": 68,
                            "memfd_create": 319, "memfd_secret": 447}),
    "aarch64": (0xC00000B7, {"shmget": 194, "shmctl": 195, "shmat": 196, "msgget": 186,
                             "memfd_create": 279, "memfd_secret": 447}),
}  # fmt: skip

_LD_ABS_W, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_X32_BIT = 0x40000000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter as ``(code, jt, jf, k)`` instructions: load the architecture (offset 4 of
    ``struct seccomp_data``) and refuse a foreign one, load the call's number (offset 0),
    refuse x32's on x86-64 and each listed call, allow the rest."""
    arch, numbers = ARCHES[machine]
    body: list[tuple[int, int]] = []  # (code, k) of the tests that jump to "refuse"
    if machine == "x86_64":
        body.append((_JGE_K, _X32_BIT))
    body += [(_JEQ_K, n) for n in sorted(numbers.values())]
    n = len(body)
    # 0: A = arch; 1: arch == ours ? next : refuse; 2: A = nr; tests; allow; refuse
    out = [(_LD_ABS_W, 0, 0, 4), (_JEQ_K, 0, n + 2, arch), (_LD_ABS_W, 0, 0, 0)]
    for i, (code, k) in enumerate(body):
        out.append((code, n - i, 0, k))  # true: skip the later tests and "allow"
    out.append((_RET_K, 0, 0, _RET_ALLOW))
    out.append((_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    return out


def install() -> str | None:
    """Install the filter in this process (and its future children); None when installed, else
    why not (this architecture, or the kernel refused)."""
    machine = platform.machine()
    if machine not in ARCHES:
        return f"no filter for {machine}"
    code = b"".join(struct.pack("HBBI", *ins) for ins in program(machine))
    buf = ctypes.create_string_buffer(code, len(code))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(len(code) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"PR_SET_NO_NEW_PRIVS failed: {errno.errorcode.get(ctypes.get_errno(), '?')}"
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        return f"seccomp refused the filter: {errno.errorcode.get(ctypes.get_errno(), '?')}"
    return None
