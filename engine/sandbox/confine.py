"""The OS boundary of the sandbox child: Landlock and a seccomp filter (standard library only).

Applied by child.py after the allowed modules are loaded and privileges are dropped, before the
untrusted code runs. Both are enforced by the kernel and cannot be undone by the process that
applied them (nor by its children): code that disables the audit hook, gets hold of ctypes or
corrupts the interpreter still cannot open a file outside the temp dir, open a socket, signal
or trace another process, or start a program. See docs/design/sandbox.md.

- `no_new_privs()`: prctl(PR_SET_NO_NEW_PRIVS), needed by both for an unprivileged process.
- `landlock(root)`: a ruleset that handles every file-system right the kernel's ABI knows and
  grants read+write (no execute, no devices, no sockets) beneath `root` only; TCP bind/connect
  handled with no rule (ABI >= 4), abstract unix sockets and signals scoped (ABI >= 6).
- `seccomp()`: a BPF filter, x86_64 only, that kills the process on a foreign arch or the x32
  ABI and answers EPERM to the system calls in `DENIED` (sockets, ptrace, mounts, namespaces,
  keys, bpf, perf, io_uring, ...), to `execve`, to process creation (clone without
  CLONE_THREAD, fork, vfork; clone3 gets ENOSYS so threads fall back to clone), to file
  metadata changes Landlock does not cover (chmod, chown, utime, xattrs), and to signals sent
  to any process but itself (kill, tgkill, ..., and fcntl/ioctl commands that name a process
  to signal); prlimit64 on another process and changes to other processes' scheduling are
  refused too (concurrent sandboxes all run as uid nobody).

Each returns what it applied or raises `ConfinementUnavailable` with the reason; the child
reports that to the parent, which flags the result (it still runs, under the audit hook).
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

# What the code may do beneath its temp dir: read and write, make files, dirs, fifos and
# symlinks (a symlink is followed and checked where it points). No execute, no device nodes,
# no unix sockets, no device ioctls.
ROOT_ACCESS = (
    FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_TRUNCATE | FS_REMOVE_DIR | FS_REMOVE_FILE
    | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER
)  # fmt: skip

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD = 0x00010000
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000

# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). Answered with EPERM.
DENIED = {
    # network: no socket of any family (Landlock's TCP rules are the second layer)
    "socket": 41, "connect": 42, "accept": 43, "bind": 49, "listen": 50, "socketpair": 53,
    "accept4": 288,
    # other processes' memory, tracing, handles
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "pidfd_open": 434, "pidfd_getfd": 438, "pidfd_send_signal": 424,
    # starting programs (Landlock grants no execute right either)
    "execve": 59, "execveat": 322, "fork": 57, "vfork": 58,
    # mounts, namespaces, roots
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
    "setns": 308, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    # other processes' scheduling, priority and memory placement (siblings share uid nobody)
    "setpriority": 141, "sched_setparam": 142, "sched_setscheduler": 144,
    "sched_setaffinity": 203, "sched_setattr": 314, "ioprio_set": 251, "migrate_pages": 256,
    "move_pages": 279, "process_madvise": 440, "process_mrelease": 448,
    # kernel attack surface the code has no use for
    "syslog": 103, "uselib": 134, "keyctl": 250, "add_key": 248, "request_key": 249,
    "bpf": 321, "perf_event_open": 298,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "userfaultfd": 323, "personality": 135, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176,
    # file metadata changes, which Landlock does not cover
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93,
    "lchown": 94, "fchownat": 260, "utime": 132, "utimes": 235, "futimesat": 261,
    "utimensat": 280, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197,
    "lremovexattr": 198, "fremovexattr": 199, "setxattrat": 463, "removexattrat": 466,
}  # fmt: skip
# Signals: allowed only when the target pid (the first argument) is the process itself.
SIGNALS_TO_SELF_ONLY = {
    "kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
}  # fmt: skip
PRLIMIT64 = 302  # allowed for pid 0 (the caller, as setrlimit uses it) or its own pid
FCNTL, IOCTL = 72, 16
# Commands that make the kernel signal a chosen process when a descriptor is ready.
F_SETOWN, F_SETSIG, F_SETOWN_EX, FIOSETOWN, SIOCSPGRP = 8, 10, 15, 0x8901, 0x8902
CLONE, CLONE3 = 56, 435

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int


class ConfinementUnavailable(RuntimeError):
    """The kernel (or this machine) does not offer a layer; the message says why."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _syscall(number: int, *args: object) -> int:
    ctypes.set_errno(0)
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _prctl(option: int, arg2: object, arg3: object = 0) -> None:
    def ulong(value: object) -> object:
        return ctypes.c_ulong(value) if isinstance(value, int) else value

    ctypes.set_errno(0)
    zero = ctypes.c_ulong(0)
    if _libc.prctl(ctypes.c_int(option), ulong(arg2), ulong(arg3), zero, zero) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def no_new_privs() -> None:
    """prctl(PR_SET_NO_NEW_PRIVS, 1): execve can never grant privileges again."""
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    try:
        version = ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION)
        return _syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), version)
    except OSError:
        return 0  # ENOSYS: not built in; EOPNOTSUPP: built in but not enabled at boot


def handled_fs(abi: int) -> int:
    """Every file-system right the given ABI knows."""
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock(root: str) -> dict:
    """Restrict this (single-threaded) process to read+write beneath `root`; returns
    {"abi", "fs", "net", "scoped"} as applied. Raises ConfinementUnavailable."""
    abi = landlock_abi()
    if abi < 1:
        raise ConfinementUnavailable("Landlock is not available in this kernel")
    attr = _RulesetAttr(handled_fs(abi), 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # and no rule: all refused
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    no_flags = ctypes.c_uint32(0)
    ruleset = _syscall(
        SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), no_flags
    )
    try:
        parent = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            rule = _PathBeneathAttr(ROOT_ACCESS & attr.handled_access_fs, parent)
            kind = ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH)
            _syscall(
                SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), kind, ctypes.byref(rule), no_flags
            )
        finally:
            os.close(parent)
        _syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), no_flags)
    finally:
        os.close(ruleset)
    return {
        "abi": abi,
        "fs": attr.handled_access_fs,
        "net": attr.handled_access_net,
        "scoped": attr.scoped,
    }


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


LD_ABS_W, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
NR_OFFSET, ARCH_OFFSET = 0, 4  # struct seccomp_data, little endian


def _arg(index: int) -> int:
    """Offset of the low 32 bits of argument `index`: what the kernel reads for an int, a
    pid_t or a command number."""
    return 16 + 8 * index


def _on_arg(number: int, index: int, values: list[int], match: int, other: int) -> list[bytes]:
    """For system call `number`: return `match` when argument `index` is one of `values`,
    else `other`. Any other call falls through to the next block."""
    n = len(values)
    block = [_insn(JEQ, number, jf=n + 3), _insn(LD_ABS_W, _arg(index))]
    block += [_insn(JEQ, value, jt=n - i) for i, value in enumerate(values)]
    return [*block, _insn(RET, other), _insn(RET, match)]


def seccomp_program(pid: int) -> bytes:
    """The BPF filter (see the module docstring); `pid` is the one process signals may reach."""
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    code = [
        _insn(LD_ABS_W, ARCH_OFFSET),
        _insn(JEQ, AUDIT_ARCH_X86_64, jt=1),
        _insn(RET, SECCOMP_RET_KILL_PROCESS),
        _insn(LD_ABS_W, NR_OFFSET),
        _insn(JGE, X32_SYSCALL_BIT, jf=1),
        _insn(RET, SECCOMP_RET_KILL_PROCESS),
    ]
    for number in sorted(set(DENIED.values())):
        code += [_insn(JEQ, number, jf=1), _insn(RET, eperm)]
    code += [_insn(JEQ, CLONE3, jf=1), _insn(RET, SECCOMP_RET_ERRNO | errno.ENOSYS)]
    allow = SECCOMP_RET_ALLOW
    for number in SIGNALS_TO_SELF_ONLY.values():
        code += _on_arg(number, 0, [pid], match=allow, other=eperm)
    code += _on_arg(PRLIMIT64, 0, [0, pid], match=allow, other=eperm)
    code += _on_arg(FCNTL, 1, [F_SETOWN, F_SETSIG, F_SETOWN_EX], match=eperm, other=allow)
    code += _on_arg(IOCTL, 1, [FIOSETOWN, SIOCSPGRP], match=eperm, other=allow)
    code += [
        _insn(JEQ, CLONE, jf=3),
        _insn(LD_ABS_W, _arg(0)),  # clone flags: a thread is allowed, a process not
        _insn(JSET, CLONE_THREAD, jt=1),
        _insn(RET, eperm),
        _insn(RET, SECCOMP_RET_ALLOW),
    ]
    return b"".join(code)


def seccomp() -> int:
    """Install the filter on this (single-threaded) process; returns its length in BPF
    instructions. Raises ConfinementUnavailable."""
    machine = os.uname().machine
    if machine != "x86_64":
        raise ConfinementUnavailable(f"the seccomp filter is written for x86_64, not {machine}")
    program = seccomp_program(os.getpid())
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
    try:
        _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog))
    except OSError as exc:
        raise ConfinementUnavailable(f"seccomp filter refused by the kernel ({exc})") from None
    return len(program) // 8


def single_threaded() -> bool:
    """Landlock and seccomp apply to the calling thread: there must be no other."""
    return len(os.listdir("/proc/self/task")) == 1
