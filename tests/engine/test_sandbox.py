"""The network sandbox (kgexplorer.engine.sandbox): once installed, the kernel refuses every socket but AF_UNIX and
io_uring, in every thread; the filter program decides right for each architecture; where it cannot be
installed, the status says why and nothing changes.

The installing tests run in a fresh interpreter each: a filter can never be removed from a process."""

from __future__ import annotations

import errno
import json
import platform
import subprocess
import sys
import textwrap
import types

import pytest

from kgexplorer.engine import sandbox
from kgexplorer.engine.sandbox import SandboxStatus, install_network_sandbox

LINUX_WITH_FILTER = sys.platform.startswith("linux") and sandbox._ARCHES.get(platform.machine())
needs_filter = pytest.mark.skipif(not LINUX_WITH_FILTER, reason="the seccomp filter exists for Linux x86-64/aarch64")

# What a child process reports after (or without) installing the sandbox: the status, each socket family's
# fate, io_uring_setup's, a thread started before the filter, and the kernel's Seccomp mode.
PROBE = textwrap.dedent(
    """
    import ctypes, json, socket, sys, threading, time
    from kgexplorer.engine.sandbox import install_network_sandbox

    def attempt(make):
        try:
            make().close()
            return "opened"
        except OSError as exc:
            return type(exc).__name__ + ":" + str(exc.errno)

    early = {}
    go = threading.Event()
    def before_the_filter():
        go.wait(30)
        early["inet"] = attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    thread = threading.Thread(target=before_the_filter)
    thread.start()
    status = install_network_sandbox() if sys.argv[1] == "on" else None
    go.set()
    thread.join()
    libc = ctypes.CDLL(None, use_errno=True)
    uring = libc.syscall(425, 8, ctypes.c_void_p(0))
    report = {
        "status": None if status is None else [status.on, status.detail],
        "inet": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "inet_udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
        "inet6": attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM)),
        "netlink": attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),
        "unix": attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
        "pair": attempt(lambda: socket.socketpair()[0]),
        "thread_started_before": early["inet"],
        "io_uring_setup": [uring, ctypes.get_errno()],
        "seccomp": open("/proc/self/status").read().split("Seccomp:")[1].split()[0],
    }
    print(json.dumps(report))
    """
)


def probe(mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    report: dict[str, object] = json.loads(done.stdout)
    return report


@needs_filter
def test_the_sandbox_refuses_every_socket_but_unix_in_every_thread() -> None:
    report = probe("on")
    assert report["status"] == [True, sandbox.REFUSED]
    refused = f"PermissionError:{errno.EPERM}"
    assert report["inet"] == report["inet_udp"] == report["inet6"] == report["netlink"] == refused
    assert report["thread_started_before"] == refused  # TSYNC: a thread older than the filter has it too
    assert report["unix"] == report["pair"] == "opened"  # the worker's own pipes and AF_UNIX stay usable
    assert report["io_uring_setup"] == [-1, errno.EPERM]
    assert report["seccomp"] == "2"


@needs_filter
def test_control_without_the_sandbox_the_same_probe_opens_internet_sockets() -> None:
    report = probe("off")
    assert report["status"] is None
    assert report["inet"] == report["inet6"] == report["thread_started_before"] == "opened"
    assert report["seccomp"] == "0"
    assert report["io_uring_setup"][1] != errno.EPERM  # type: ignore[index]  # ENOSYS or EFAULT, not the filter


# ------------------------------------------------------------------------------------ the program itself

_KILL, _DENY, _ALLOW = 0x80000000, 0x00050000 | errno.EPERM, 0x7FFF0000


def run_filter(program: list[sandbox.Instruction], *, arch: int, nr: int, arg0: int = 0) -> int:
    """A classic-BPF interpreter for the instructions the filter uses, over one struct seccomp_data."""
    data = {0: nr & 0xFFFFFFFF, 4: arch, 16: arg0 & 0xFFFFFFFF, 20: arg0 >> 32}
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        pc += 1
        if code == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            acc = data[k]
        elif code == 0x15:  # BPF_JMP | BPF_JEQ | BPF_K
            pc += jt if acc == k else jf
        elif code == 0x35:  # BPF_JMP | BPF_JGE | BPF_K
            pc += jt if acc >= k else jf
        elif code == 0x06:  # BPF_RET | BPF_K
            return k
        else:  # pragma: no cover - the program uses no other instruction
            raise AssertionError(f"unexpected instruction {code:#x}")


@pytest.mark.parametrize("machine", sorted(sandbox._ARCHES))
def test_the_filter_decides_each_system_call_right(machine: str) -> None:
    arch = sandbox._ARCHES[machine]
    program = sandbox._program(arch)
    assert len(program) < 20
    native = arch.audit_arch

    def verdict(nr: int, arg0: int = 0, on: int = native) -> int:
        return run_filter(program, arch=on, nr=nr, arg0=arg0)

    assert verdict(arch.socket, 1) == _ALLOW  # AF_UNIX
    for family in (2, 10, 16, 17, 0, 0xFFFFFFFF):  # AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, odd values
        assert verdict(arch.socket, family) == _DENY
    assert verdict(arch.socket, (1 << 32) | 2) == _DENY  # the kernel reads the int: AF_INET
    assert verdict(425) == _DENY  # io_uring_setup
    for other in (0, 1, 42, 202, arch.seccomp):  # read, write, connect, futex …: allowed
        assert verdict(other, 2) == _ALLOW
    other_64 = 0xC00000B7 if native == 0xC000003E else 0xC000003E
    for foreign in (0x40000003, 0x40000028, other_64):  # i386, 32-bit ARM, the other 64-bit architecture
        assert verdict(arch.socket, 1, on=foreign) == _KILL
    if arch.x32:
        assert verdict(0x40000000 | arch.socket, 1) == _DENY  # an x32 system call, even an allowed one


def test_where_the_kernel_has_no_filter_nothing_changes_and_the_status_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    assert install_network_sandbox() == SandboxStatus(False, "seccomp filters are Linux-only (this is darwin)")
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    monkeypatch.setattr(sandbox.os, "uname", lambda: types.SimpleNamespace(machine="riscv64"))
    status = install_network_sandbox()
    assert not status.on
    assert "riscv64" in status.detail
    assert str(status).startswith("network sandbox off: ")
    if LINUX_WITH_FILTER:
        assert _seccomp_of_this_process() == "0"  # the test process itself was never filtered


def _seccomp_of_this_process() -> str:
    with open("/proc/self/status", encoding="ascii") as status:
        return status.read().split("Seccomp:")[1].split()[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status is Linux's")
def test_a_filter_that_lets_an_internet_socket_through_is_reported_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check after installing opens a real socket: in this process, which no filter covers, it opens, so a
    kernel that said "filtered" but let it through would be reported, not trusted."""
    monkeypatch.setattr(sandbox, "_seccomp_mode", lambda: "2")  # as if the kernel said the filter is in force
    status = sandbox._verify()
    assert status == SandboxStatus(False, "the seccomp filter is installed but a test AF_INET socket was opened")
