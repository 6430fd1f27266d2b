"""The kernel's own refusal of network access, for the processes that run untrusted work.

The query guard (:mod:`kgexplorer.engine.guard`) reads every query before it runs, but it is a second parser
beside the engine's, and two parsers can disagree (a ``#`` comment ended by ``\\r`` for Oxigraph only made
a ``SERVICE`` run that the guard never saw). So the processes that run user queries, and parse user
files, also ask the kernel to refuse them the network: :func:`install_network_sandbox` sets
``PR_SET_NO_NEW_PRIVS`` and installs a seccomp filter (a classic BPF program built here, no dependency)
that makes ``socket()`` fail with ``EPERM`` for every address family but ``AF_UNIX``, and refuses
``io_uring_setup`` (io_uring can open and connect sockets without a system call the filter would see).
A process without an internet or IPv6 socket cannot connect anywhere, resolve a name over the network
or send a packet, whatever its query or file says.

Why seccomp (docs/decisions/query-guard-and-sandbox.md, issue 12): unprivileged user and network
namespaces are blocked by default on Ubuntu 23.10 and later and in Docker's default profile, and Landlock
needs kernel 6.7 and leaves DNS open. A seccomp filter works for an unprivileged process on every Linux
kernel since 3.17.

The filter is installed with ``SECCOMP_FILTER_FLAG_TSYNC``, so every thread of the process gets it, also
one started before (filters are per thread); call it first thing anyway. It cannot be removed, and
children inherit it. It checks the architecture of each system call: a 32-bit (``int 0x80``) or x32
system call on x86-64 would use other numbers, so any of those kills the process.

Where the kernel refuses (not Linux, another processor, seccomp disabled, a container profile that
forbids it), :func:`install_network_sandbox` reports why and changes nothing: the caller decides
(the query worker says so in its ready message; the ``require_sandbox`` setting makes it fatal).

>>> status = SandboxStatus(on=False, detail="seccomp filters are Linux-only (this is darwin)")
>>> print(status)
network sandbox off: seccomp filters are Linux-only (this is darwin)
"""

from __future__ import annotations

import errno
import functools
import os
import struct
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["SandboxStatus", "install_network_sandbox"]


@dataclass(frozen=True)
class SandboxStatus:
    """Whether the kernel refuses this process the network: ``on``, and ``detail`` (what it refuses, or why not)."""

    on: bool
    detail: str

    def __str__(self) -> str:
        return f"network sandbox {'on' if self.on else 'off'}: {self.detail}"


#: What the filter refuses, as the status says when it is on.
REFUSED = "the kernel refuses socket() for every address family but AF_UNIX, and io_uring_setup (seccomp)"

# prctl(2) and seccomp(2).
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
# Filter return values (linux/seccomp.h).
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
# Classic BPF opcodes (linux/bpf_common.h).
_LD_W_ABS = 0x00 | 0x00 | 0x20
_JEQ_K = 0x05 | 0x10 | 0x00
_JGE_K = 0x05 | 0x30 | 0x00
_RET_K = 0x06 | 0x00
# Offsets in struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # the low 32 bits of args[0] (little-endian); socket()'s family is an int
_AF_UNIX = 1
_IO_URING_SETUP = 425  # the same number on every architecture since Linux 5.1
_X32_SYSCALL_BIT = 0x40000000


@dataclass(frozen=True)
class _Arch:
    audit_arch: int  # AUDIT_ARCH_* (linux/audit.h): the ELF machine, 64-bit, little-endian
    seccomp: int  # __NR_seccomp
    socket: int  # __NR_socket
    x32: bool  # x86-64 also accepts x32 system calls (numbers with the x32 bit set) under its own arch value


_ARCHES = {
    "x86_64": _Arch(audit_arch=0xC000003E, seccomp=317, socket=41, x32=True),
    "aarch64": _Arch(audit_arch=0xC00000B7, seccomp=277, socket=198, x32=False),
}

#: One classic BPF instruction: (code, jump if true, jump if false, constant).
Instruction = tuple[int, int, int, int]


def _program(arch: _Arch) -> list[Instruction]:
    """The filter: kill a system call of another architecture, refuse non-AF_UNIX sockets and io_uring."""
    # Jumps are relative to the next instruction; the three return instructions end the program.
    body: list[tuple[int, str | int, str | int, int]] = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 0, "kill", arch.audit_arch),
        (_LD_W_ABS, 0, 0, _NR),
    ]
    if arch.x32:
        body.append((_JGE_K, "deny", 0, _X32_SYSCALL_BIT))
    body += [
        (_JEQ_K, "deny", 0, _IO_URING_SETUP),
        (_JEQ_K, 0, "allow", arch.socket),
        (_LD_W_ABS, 0, 0, _ARG0_LOW),
        (_JEQ_K, "allow", "deny", _AF_UNIX),
    ]
    labels = {"allow": len(body), "deny": len(body) + 1, "kill": len(body) + 2}

    def offset(at: int, target: str | int) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    program = [(code, offset(i, jt), offset(i, jf), k) for i, (code, jt, jf, k) in enumerate(body)]
    program += [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM), (_RET_K, 0, 0, _RET_KILL_PROCESS)]
    return program


@functools.cache
def _structures() -> tuple[Any, Any]:
    """The kernel's ``sock_filter`` and ``sock_fprog`` as ctypes structures (ctypes is imported only by the
    processes that install the filter: the app's process only reads :class:`SandboxStatus`)."""
    import ctypes

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    return SockFilter, SockFprog


def install_network_sandbox() -> SandboxStatus:
    """Make the kernel refuse this process (all its threads, and its future children) the network.

    Returns the status: ``on`` only when the filter is installed and a test socket of each internet
    family was refused. When it cannot be installed, nothing changes and ``detail`` says why. Once on,
    it stays on for the life of the process. Only query workers and file parsers call it: the app's
    own process needs the network (to answer HTTP, and to reach the remote endpoints a person asks for).
    """
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, f"seccomp filters are Linux-only (this is {sys.platform})")
    import ctypes

    machine = os.uname().machine  # what platform.machine() reads, without importing platform
    arch = _ARCHES.get(machine)
    if arch is None or struct.calcsize("P") != 8:
        return SandboxStatus(
            False, f"no seccomp filter is written for this processor ({machine}, {8 * struct.calcsize('P')}-bit)"
        )
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:  # pragma: no cover - every Linux Python can open its own C library
        return SandboxStatus(False, f"the C library could not be opened ({exc})")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return SandboxStatus(False, f"the kernel refused PR_SET_NO_NEW_PRIVS ({_errno_text(ctypes.get_errno())})")
    program = _program(arch)
    sock_filter, sock_fprog = _structures()
    filters = (sock_filter * len(program))(*(sock_filter(*ins) for ins in program))
    fprog = sock_fprog(len(program), filters)
    libc.syscall.restype = ctypes.c_long
    done = libc.syscall(
        ctypes.c_long(arch.seccomp),
        ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
        ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC),
        ctypes.byref(fprog),
    )
    if done == -1 and ctypes.get_errno() == errno.ENOSYS and _threads() == 1:
        # Kernels before 3.17 have no seccomp(2); prctl installs the filter on the calling thread only,
        # which is the whole process when it has one thread.
        done = libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)
    if done > 0:
        return SandboxStatus(False, f"the seccomp filter could not be applied to thread {done} of this process")
    if done != 0:
        return SandboxStatus(False, f"the kernel refused the seccomp filter ({_errno_text(ctypes.get_errno())})")
    return _verify()


def _verify() -> SandboxStatus:
    """Check that the filter is really in force: the kernel says so, and internet sockets are refused."""
    # The C module: the same socket(2) call, without importing the socket module's enums and selectors (about 3 ms of
    # every worker's start; docs/decisions/load-once.md, "Loading nothing").
    import _socket

    mode = _seccomp_mode()
    if mode != "2":
        return SandboxStatus(False, f"the seccomp filter was accepted but /proc/self/status says Seccomp: {mode}")
    for family, name in ((_socket.AF_INET, "AF_INET"), (_socket.AF_INET6, "AF_INET6")):
        try:
            probe = _socket.socket(family, _socket.SOCK_STREAM)
        except PermissionError:
            continue
        except OSError as exc:  # e.g. IPv6 compiled out of the kernel: refused all the same
            if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                continue
            return SandboxStatus(False, f"a test socket failed for another reason than the filter ({exc})")
        probe.close()
        return SandboxStatus(False, f"the seccomp filter is installed but a test {name} socket was opened")
    return SandboxStatus(True, REFUSED)


def _seccomp_mode() -> str:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Seccomp:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return "unknown (/proc/self/status could not be read)"
    return "unknown (no Seccomp line)"


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def _errno_text(code: int) -> str:
    return f"{os.strerror(code)}, errno {code}" if code else "no error code"
