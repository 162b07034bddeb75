"""Escape attempts against the real ProgramOfThought sandbox (no mocks): each runs as code
inside `Sandbox` and must be blocked, and the world outside must be unchanged afterwards.

Most attempts run twice: once as is (the audit hook usually refuses first) and once after the
code has switched the audit hook off itself, the way the adversarial probe did (a signal
handler's frame leads to the child's locals, and from there to the hook's globals). The second
run shows that the kernel (Landlock, seccomp), not the hook, is the boundary: each attack's
`expect` is the error the kernel gives (errno 13 from Landlock, errno 1 from seccomp).
docs/design/sandbox.md has the table of attacks and what blocks them.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from old_kernel import old_kernel_python

import engine.sandbox.runner as runner
from engine.sandbox import UNCONFINED_ENV, Sandbox, SandboxLimits, confine

LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=10.0, memory_mb=256)
KILLED_WITHIN = LIMITS.wall_seconds + 20  # a hang guard, not a timing
SANDBOX_DIR = Path(runner.__file__).parent
ROOT = os.geteuid() == 0
NOBODY = 65534
# These machines run Linux 6.18 (Landlock ABI 7); elsewhere the kernel-layer tests are skipped
# and the fallback tests below still run.
KERNEL_LAYERS = (
    os.uname().machine == "x86_64"
    and confine.landlock_abi() >= 6
    and "Seccomp:" in Path("/proc/self/status").read_text()
)
needs_kernel = pytest.mark.skipif(
    not KERNEL_LAYERS, reason="needs x86_64 with Landlock ABI >= 6 and seccomp"
)

# Prints one line per attempt: "<label>: blocked: <error>" or "<label>: ESCAPED: <value>".
ATTEMPT = """
import os, sys

def attempt(label, fn):
    try:
        value = fn()
    except BaseException as exc:
        print(f"{label}: blocked: {type(exc).__name__}: {exc}")
        return
    print(f"{label}: ESCAPED: {value!r}"[:300])
"""

# The code switches the audit hook off without triggering a single refusal: a signal handler
# gets the running frame; its f_back is the child's _run(), whose local get_refusals was made by
# guard.install, so its __globals__ are the hook's; replacing _describe there lets every event
# through. The symlink (the hook refuses every os.symlink) proves the hook is off.
SWITCH_HOOK_OFF = """
import _signal
_frames = []
_signal.signal(_signal.SIGUSR1, lambda signum, frame: _frames.append(frame))
_signal.raise_signal(_signal.SIGUSR1)
_frame = _frames.pop()
while "get_refusals" not in _frame.f_locals:
    _frame = _frame.f_back
_frame.f_locals["get_refusals"].__globals__["_describe"] = lambda *args: None
del _frame
os.symlink("nowhere", "hook-is-off")
print("hook is off")
"""

# Raw system calls through ctypes, for attacks that need the preloaded ctypes.
CTYPES = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def sys_call(number, *args):
    args = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    result = libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result
"""


@dataclass(frozen=True)
class Attack:
    name: str
    code: str
    expect: str  # in every attempt line once the hook is off: which layer said no
    preload: tuple[str, ...] = ()


LANDLOCK = "[Errno 13]"  # EACCES: Landlock (file-system rights not granted)
SECCOMP = "[Errno 1]"  # EPERM: the seccomp filter
ATTACKS = [
    # files
    Attack("read /etc/passwd", "attempt('read', lambda: open('/etc/passwd').read())", LANDLOCK),
    Attack("list /", "attempt('listdir', lambda: os.listdir('/'))", LANDLOCK),
    Attack("write outside", "attempt('w', lambda: open(OUTSIDE + '/out.txt', 'w'))", LANDLOCK),
    Attack("mkdir outside", "attempt('mkdir', lambda: os.mkdir(OUTSIDE + '/d'))", LANDLOCK),
    Attack("mkfifo outside", "attempt('fifo', lambda: os.mkfifo(OUTSIDE + '/f'))", LANDLOCK),
    Attack("delete a file", "attempt('unlink', lambda: os.unlink(VICTIM))", LANDLOCK),
    Attack("truncate a file", "attempt('truncate', lambda: os.truncate(VICTIM, 0))", LANDLOCK),
    Attack("append to a file", "attempt('append', lambda: open(VICTIM, 'a').write('x'))", LANDLOCK),
    Attack("move a file in", "attempt('rename', lambda: os.rename(VICTIM, 'v'))", LANDLOCK),
    Attack("hard link a file in", "attempt('link', lambda: os.link(VICTIM, 'v'))", "[Errno 18]"),
    Attack(
        "symlink to a file",
        "os.symlink('/etc/passwd', 'p')\nattempt('via symlink', lambda: open('p').read())",
        LANDLOCK,
    ),
    Attack(
        "symlink to a dir",
        "os.symlink(OUTSIDE, 'd')\nattempt('via symlink', lambda: open('d/out.txt', 'w'))",
        LANDLOCK,
    ),
    Attack(
        "chdir to / first",
        "os.chdir('/')\nattempt('relative', lambda: open('etc/passwd').read())",
        LANDLOCK,
    ),
    Attack(
        "openat on an O_PATH dir",
        "fd = os.open('/etc', os.O_PATH)\n"
        "attempt('openat', lambda: os.open('passwd', os.O_RDONLY, dir_fd=fd))",
        LANDLOCK,
    ),
    Attack("../ out of the temp dir", "attempt('up', lambda: open('../' + UP, 'w'))", LANDLOCK),
    Attack(
        "the parent's environment",
        "attempt('environ', lambda: open(f'/proc/{os.getppid()}/environ').read())\n"
        "attempt('cmdline', lambda: open(f'/proc/{os.getppid()}/cmdline').read())",
        LANDLOCK,
    ),
    Attack(
        "the parent's memory",
        "attempt('mem', lambda: open(f'/proc/{os.getppid()}/mem', 'r+b'))",
        LANDLOCK,
    ),
    Attack(
        "/proc/self/fd and root",
        "attempt('fd dir', lambda: os.listdir('/proc/self/fd'))\n"
        "attempt('fd 1', lambda: open('/proc/self/fd/1', 'w'))\n"
        "attempt('root', lambda: open('/proc/self/root/etc/passwd').read())\n"
        "attempt('cwd', lambda: open('/proc/self/cwd/../../etc/passwd').read())",
        LANDLOCK,
    ),
    Attack(
        "devices",
        "attempt('kmsg', lambda: open('/dev/kmsg').read(10))\n"
        "attempt('null', lambda: open('/dev/null', 'w'))\n"
        "attempt('urandom', lambda: open('/dev/urandom', 'rb').read(4))",
        LANDLOCK,
    ),
    Attack(
        "the engine's own code",
        "attempt('patch', lambda: open(GUARD, 'a').write('#'))",
        LANDLOCK,
    ),
    Attack("chmod a file", "attempt('chmod', lambda: os.chmod(VICTIM, 0o777))", SECCOMP),
    Attack("utime a file", "attempt('utime', lambda: os.utime(VICTIM, (0, 0)))", SECCOMP),
    # network
    Attack(
        "/dev/tcp path",
        "attempt('dev tcp', lambda: open(f'/dev/tcp/127.0.0.1/{PORT}', 'w'))",
        "blocked",
    ),
    Attack(
        "socket via _socket",
        "import _socket\nattempt('socket', lambda: _socket.socket())",
        SECCOMP,
        ("socket",),
    ),
    Attack(
        "TCP connect",
        "import socket\nattempt('connect', lambda: socket.create_connection(('127.0.0.1', PORT)))",
        SECCOMP,
        ("socket",),
    ),
    Attack(
        "unix socket",
        "import socket\nattempt('unix', lambda: socket.socket(socket.AF_UNIX).connect(SOCK))\n"
        "attempt('pair', lambda: socket.socketpair())",
        SECCOMP,
        ("socket",),
    ),
    Attack(
        "_socket not preloaded",
        "attempt('import', lambda: __import__('_socket'))",
        "Error",  # its shared library cannot be read any more (Landlock)
    ),
    # processes and signals
    Attack("kill the parent", "attempt('kill', lambda: os.kill(os.getppid(), 9))", SECCOMP),
    Attack(
        "signal the parent's group",
        "attempt('killpg', lambda: os.killpg(os.getpgid(os.getppid()), 9))\n"
        "attempt('kill -1', lambda: os.kill(-1, 9))\n"
        "attempt('kill 0', lambda: os.kill(0, 9))",
        SECCOMP,
    ),
    Attack("kill a nobody process", "attempt('kill', lambda: os.kill(SLEEPER, 9))", SECCOMP),
    Attack(
        "fork bomb",
        "def bomb():\n    for _ in range(200):\n        os.fork()\nattempt('fork', bomb)",
        SECCOMP,
    ),
    Attack(
        "spawn a shell",
        "attempt('spawn', lambda: os.posix_spawn('/bin/sh', ['sh'], {}))\n"
        "attempt('exec', lambda: os.execv('/bin/sh', ['sh', '-c', 'true']))",
        SECCOMP,
    ),
    Attack(
        "raise the CPU limit",
        "import resource\n"
        "attempt('rlimit', lambda: resource.setrlimit(resource.RLIMIT_CPU, (-1, -1)))",
        "blocked",
    ),
    Attack(
        "lower a nobody process's limits",
        "import resource\n"
        "attempt('prlimit', lambda: resource.prlimit(SLEEPER, resource.RLIMIT_CPU, (0, 0)))",
        SECCOMP,
    ),
    Attack(
        "signal the parent when the pipe is ready",
        "import fcntl\nattempt('setown', lambda: fcntl.fcntl(3, fcntl.F_SETOWN, os.getppid()))",
        SECCOMP,
        ("fcntl",),
    ),
    # native code: ctypes is preloaded, the hook is off; the kernel still says no
    Attack(
        "ptrace the parent",
        CTYPES + "attempt('ptrace', lambda: sys_call(101, 16, os.getppid(), 0, 0))",
        SECCOMP,
        ("ctypes",),
    ),  # fmt: skip
    Attack(
        "read the parent's memory",
        CTYPES + "attempt('vm_readv', lambda: sys_call(310, os.getppid(), 0, 0, 0, 0, 0))",
        SECCOMP,
        ("ctypes",),
    ),
    Attack(
        "new namespaces",
        CTYPES + "attempt('unshare', lambda: sys_call(272, 0x10000000 | 0x00020000))\n"
        "attempt('setns', lambda: sys_call(308, 0, 0))\n"
        "attempt('mount', lambda: sys_call(165, b'none', b'/tmp', b'tmpfs', 0, 0))",
        SECCOMP,
        ("ctypes",),
    ),
    Attack(
        "kernel interfaces",
        CTYPES + "attempt('io_uring', lambda: sys_call(425, 8, ctypes.create_string_buffer(120)))\n"
        "attempt('bpf', lambda: sys_call(321, 0, 0, 0))\n"
        "attempt('perf', lambda: sys_call(298, 0, 0, -1, -1, 0))\n"
        "attempt('keyctl', lambda: sys_call(250, 0, 0))\n"
        "attempt('personality', lambda: sys_call(135, 0x0040000))\n"
        "attempt('userfaultfd', lambda: sys_call(323, 0))\n"
        "attempt('open_by_handle_at', lambda: sys_call(304, -100, 0, 0))",
        SECCOMP,
        ("ctypes",),
    ),
    Attack(
        "socket by raw syscall",
        CTYPES + "attempt('socket', lambda: sys_call(41, 2, 1, 0))",
        SECCOMP,
        ("ctypes",),
    ),
    Attack(
        "a wider Landlock ruleset",
        CTYPES
        + textwrap.dedent(
            """
            attr = (ctypes.c_uint64 * 3)(0xFFFF, 0, 0)
            def widen():
                ruleset = sys_call(444, attr, 8, 0)  # a new ruleset, stacked: adds, never lifts
                root = os.open('/', os.O_PATH)
                rule = ctypes.create_string_buffer(
                    (0xFFFF).to_bytes(8, 'little') + root.to_bytes(4, 'little'), 12)
                sys_call(445, ruleset, 1, rule, 0)
                sys_call(446, ruleset, 0)
                return open('/etc/passwd').read()
            attempt('widen', widen)
            """
        ),
        LANDLOCK,
        ("ctypes",),
    ),
    Attack(
        "gc to reach the hook",
        "import gc\n"
        "hooks = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'hook']\n"
        "hooks[0].__globals__['_describe'] = lambda *a: None\n"
        "attempt('read', lambda: open('/etc/passwd').read())",
        LANDLOCK,
        ("gc",),
    ),
]


@pytest.fixture
def world():
    """What the code must not reach: a world-writable dir (so only the sandbox, not file
    permissions, keeps the code out) with a file, a TCP and a unix-socket listener, and a
    process running as nobody. Checked unchanged after each attack."""
    outside = tempfile.mkdtemp(prefix="tunesmith-escape-")
    os.chmod(outside, 0o777)
    victim = os.path.join(outside, "victim.txt")
    Path(victim).write_text("precious")
    os.chmod(victim, 0o666)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    tcp.setblocking(False)
    sock_path = os.path.join(outside, "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(sock_path)
    os.chmod(sock_path, 0o777)
    unix.listen(4)
    unix.setblocking(False)
    as_nobody = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if ROOT else {}
    sleeper = subprocess.Popen(["sleep", "120"], start_new_session=True, **as_nobody)
    names = {
        "OUTSIDE": outside,
        "VICTIM": victim,
        "PORT": tcp.getsockname()[1],
        "SOCK": sock_path,
        "SLEEPER": sleeper.pid,
        "GUARD": str(SANDBOX_DIR / "guard.py"),
        "UP": os.path.basename(outside) + "-up",  # a name in the temp dir's parent
    }
    prelude = "".join(f"{name} = {value!r}\n" for name, value in names.items())
    guard_before = Path(names["GUARD"]).read_bytes()
    yield prelude
    try:
        assert sorted(os.listdir(outside)) == ["s.sock", "victim.txt"]
        assert Path(victim).read_text() == "precious"
        assert os.stat(victim).st_mode & 0o777 == 0o666
        assert os.stat(victim).st_mtime > 1
        for listener in (tcp, unix):
            with pytest.raises(BlockingIOError):
                listener.accept()  # nobody connected
        assert sleeper.poll() is None, "the nobody process was killed"
        limits = Path(f"/proc/{sleeper.pid}/limits").read_text()
        assert "Max cpu time              unlimited" in limits
        assert Path(names["GUARD"]).read_bytes() == guard_before
        assert not os.path.exists(os.path.join(tempfile.gettempdir(), names["UP"]))
    finally:
        sleeper.kill()
        sleeper.wait()
        tcp.close()
        unix.close()
        shutil.rmtree(outside, ignore_errors=True)


def lines(result) -> list[str]:
    return [
        line for line in result.stdout.splitlines() if ": blocked: " in line or "ESCAPED" in line
    ]


@needs_kernel
@pytest.mark.timeout(KILLED_WITHIN * 2, func_only=True)
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_kernel_blocks_it_with_the_audit_hook_switched_off(attack, world):
    sandbox = Sandbox(LIMITS, preload=attack.preload)
    result = sandbox.run(world + ATTEMPT + SWITCH_HOOK_OFF + attack.code)
    assert result.os_enforced, result.warnings
    assert "hook is off" in result.stdout, result
    attempts = lines(result)
    assert attempts, result
    for line in attempts:
        assert "ESCAPED" not in line
        assert attack.expect in line, line
    assert not result.refusals  # the hook was off: nothing went through it


@needs_kernel
@pytest.mark.timeout(KILLED_WITHIN * 2, func_only=True)
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_it_is_blocked_with_every_layer_on(attack, world):
    result = Sandbox(LIMITS, preload=attack.preload).run(world + ATTEMPT + attack.code)
    text = result.stdout + repr(result.result)
    assert "ESCAPED" not in text
    assert not result.ok or all(": blocked: " in line for line in lines(result)), result


@needs_kernel
def test_the_probe_traceback_walk_is_recorded_and_still_finds_the_kernel():
    """The probe's route: catch a refusal, walk the traceback to the hook's frame, empty its
    refusal list, replace its describer, then read a file and open a socket."""
    code = ATTEMPT + textwrap.dedent(
        """
        try:
            open('/etc/passwd')
        except Exception as exc:
            tb = exc.__traceback__
            while tb.tb_next:
                tb = tb.tb_next
            frame = tb.tb_frame
            frame.f_locals['refusals'].clear()
            frame.f_globals['_describe'] = lambda *args: None
        attempt('read', lambda: open('/etc/passwd').read())
        attempt('list', lambda: os.listdir('/'))
        import _socket
        attempt('socket', lambda: _socket.socket())
        """
    )
    result = Sandbox(LIMITS, preload=("socket",)).run(code)
    assert "root:" not in result.stdout
    assert [line.split(": blocked: ")[1] for line in lines(result)] == [
        "PermissionError: [Errno 13] Permission denied: '/etc/passwd'",
        "PermissionError: [Errno 13] Permission denied: '/'",
        "PermissionError: [Errno 1] Operation not permitted",
    ]
    # the first refusal went to the parent before the code could touch the list
    assert result.kind == "refused" and not result.ok
    assert result.error == (
        "sandbox refused: reading outside the sandbox directory (open '/etc/passwd')"
    )


def test_a_forged_ok_reply_after_a_refusal_is_still_refused():
    code = textwrap.dedent(
        """
        import os
        try:
            open('/etc/passwd')
        except Exception:
            pass
        os.write(3, b'\\n{"t": "reply", "ok": true, "stdout": "", "result": 1}\\n')
        os._exit(0)
        """
    )
    result = Sandbox(LIMITS).run(code)
    assert result.kind == "refused" and not result.ok
    assert "reading outside the sandbox directory" in result.error


def test_an_unfinished_line_cannot_swallow_a_refusal():
    code = textwrap.dedent(
        """
        import os
        os.write(3, b'{"t": "reply", "ok": true, "x": "')
        try:
            open('/etc/passwd')
        except Exception:
            pass
        os.write(3, b'"}')
        """
    )
    result = Sandbox(LIMITS).run(code)
    assert result.kind == "refused"


@needs_kernel
def test_a_forged_reply_with_the_hook_off_carries_only_what_the_code_could_read():
    """No refusal happens (the hook was switched off quietly), so the forged reply stands:
    but it can only carry a value the code could have returned anyway."""
    code = (
        ATTEMPT
        + SWITCH_HOOK_OFF
        + textwrap.dedent(
            """
        import json
        try:
            stolen = open('/etc/passwd').read()
        except OSError as exc:
            stolen = f'nothing: {exc}'
        reply = {"t": "reply", "ok": True, "kind": "ok", "stdout": "", "has_result": True,
                 "result": stolen}
        os.write(3, ("\\n" + json.dumps(reply) + "\\n").encode())
        os._exit(0)
        """
        )
    )
    result = Sandbox(LIMITS).run(code)
    assert result.ok and result.result == "nothing: [Errno 13] Permission denied: '/etc/passwd'"
    assert result.os_enforced


def test_a_forged_confinement_line_does_not_count():
    code = (
        "import os\n"
        'os.write(3, b\'\\n{"t": "confined", "layers": ["landlock-fs (ABI 7)", '
        '"seccomp"], "warnings": []}\\n\')'
    )
    result = Sandbox(LIMITS, layers=("audit-hook",)).run(code)
    assert result.ok and not result.os_enforced
    assert "seccomp" not in result.layers


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
@pytest.mark.parametrize(
    "target, message",
    [
        ("os.write(2, chunk)", "sandbox limit: output over 64 KB on stderr"),
        ("sys.__stderr__.buffer.write(chunk)", "sandbox limit: output over 64 KB on stderr"),
        ("os.write(3, chunk)", "sandbox limit: output over 1024 KB on the reply pipe"),
    ],
)
def test_huge_writes_are_cut_off_and_the_parent_stays_small(target, message):
    """8 x 50 MB to stderr or to the reply pipe: read up to the cap, the child killed, the
    parent's peak memory unchanged (before the fix the parent took all of it: 1.6 GB)."""
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = f"import os, sys\nchunk = b'x' * 50_000_000\nfor _ in range(8):\n    {target}\n"
    result = Sandbox(LIMITS).run(code)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    assert result.kind == "output" and not result.ok
    assert result.error == message + " (killed, the rest discarded)"
    assert grown_mb < 40, f"the parent grew by {grown_mb:.0f} MB"


def test_huge_prints_are_cut_in_the_child():
    result = Sandbox(LIMITS).run("print('x' * 10_000_000)\n'y' * 10_000_000")
    assert result.ok
    assert len(result.stdout) < 21_000 and "output cut at 20000 characters" in result.stdout
    assert len(result.result) <= 20_000


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
def test_closing_the_pipes_does_not_outlast_the_wall_clock():
    code = "import os, time\nos.close(2)\nos.close(3)\ntime.sleep(60)"
    result = Sandbox(SandboxLimits(wall_seconds=1.5)).run(code)
    assert result.kind == "timeout"


@needs_kernel
@pytest.mark.parametrize("number, what", [(0x40000000 | 39, "x32 getpid"), (None, "i386 int 0x80")])
def test_foreign_system_call_conventions_kill_the_child(number, what):
    """Native code that tries the x32 ABI or the 32-bit int 0x80 entry (whose numbers differ
    and would slip past a filter written for x86_64) is killed by the filter's arch check."""
    if number is not None:
        call = f"libc.syscall(ctypes.c_long({number}))"
    else:
        call = textwrap.dedent(
            """
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_int, ctypes.c_long]
            page = libc.mmap(None, 4096, 7, 0x22, -1, 0)
            code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])  # mov eax, 20; int 0x80; ret
            ctypes.memmove(page, code, len(code))
            ctypes.CFUNCTYPE(ctypes.c_int)(page)()
            """
        )
    code = ATTEMPT + SWITCH_HOOK_OFF + CTYPES + call + "\nprint('survived')"
    result = Sandbox(LIMITS, preload=("ctypes",)).run(code)
    assert result.kind == "crash", (what, result)
    assert "exit status -31" in result.error  # SIGSYS: seccomp's kill


def test_no_inherited_descriptor_leads_outside():
    code = (
        ATTEMPT
        + SWITCH_HOOK_OFF
        + textwrap.dedent(
            """
        import stat
        kinds = {}
        for fd in range(64):
            try:
                mode = os.fstat(fd).st_mode
            except OSError:
                continue
            kinds[fd] = 'fifo' if stat.S_ISFIFO(mode) else 'chr' if stat.S_ISCHR(mode) else 'other'
        SUBMIT(kinds)
        """
        )
    )
    result = Sandbox(LIMITS).run(code)
    # stdin, /dev/null (fd 1, opened before the rules), stderr, the reply pipe: nothing else
    assert result.result == {"0": "fifo", "1": "chr", "2": "fifo", "3": "fifo"}


@needs_kernel
def test_ordinary_code_runs_under_every_layer():
    code = textwrap.dedent(
        """
        import datetime, decimal, json, math, random, re, statistics, time
        with open('data.json', 'w') as f:
            json.dump({'values': [1, 2, 3]}, f)
        os_free = json.load(open('data.json'))['values']
        SUBMIT({
            'mean': statistics.mean(os_free),
            'year_ok': datetime.datetime.now().year > 2000 and time.localtime().tm_year > 2000,
            'random': 0 <= random.random() < 1,
            'decimal': str(decimal.Decimal(1) / 8),
            'match': re.findall(r'\\d', 'a1b2'),
            'sqrt': math.isqrt(49),
        })
        """
    )
    result = Sandbox(LIMITS).run(code)
    assert result.ok, result
    assert result.result == {
        "mean": 2, "year_ok": True, "random": True, "decimal": "0.125", "match": ["1", "2"],
        "sqrt": 7,
    }  # fmt: skip
    assert result.os_enforced and result.warnings == []
    assert result.layers[0].startswith("landlock-fs (ABI ")
    assert result.layers[1:4] == ["landlock-net", "landlock-scope", "seccomp"]
    assert result.layers[-1] == "audit-hook"


@needs_kernel
def test_landlock_alone_blocks_tcp_abstract_sockets_and_signals(world):
    """With the seccomp filter left out (as on a kernel without it) Landlock's TCP rules and
    scopes are the layer that holds."""
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0tunesmith-escape-{os.getpid()}")
    abstract.listen(1)
    abstract.setblocking(False)
    code = (
        world
        + ATTEMPT
        + SWITCH_HOOK_OFF
        + textwrap.dedent(
            f"""
        import socket
        attempt('tcp', lambda: socket.create_connection(('127.0.0.1', PORT)))
        attempt('abstract', lambda: socket.socket(socket.AF_UNIX).connect(
            '\\0tunesmith-escape-{os.getpid()}'))
        attempt('kill', lambda: os.kill(SLEEPER, 9))
        attempt('read', lambda: open('/etc/passwd').read())
        """
        )
    )
    try:
        result = Sandbox(LIMITS, preload=("socket",), layers=("landlock", "audit-hook")).run(code)
        with pytest.raises(BlockingIOError):
            abstract.accept()
    finally:
        abstract.close()
    assert "seccomp left out" in " ".join(result.warnings)
    attempts = lines(result)
    assert len(attempts) == 4, result
    for line in attempts:
        assert "ESCAPED" not in line and ("[Errno 13]" in line or "[Errno 1]" in line), line


def test_without_the_kernel_layers_it_runs_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr(runner, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="engine.sandbox"):
        result = Sandbox(LIMITS, layers=("audit-hook",)).run("print('hi')")
        Sandbox(LIMITS, layers=("audit-hook",)).run("print('hi')")
    assert result.ok and result.stdout == "hi\n"
    assert not result.os_enforced
    assert result.warnings == [
        "landlock left out (Sandbox layers=['audit-hook'])",
        "seccomp left out (Sandbox layers=['audit-hook'])",
    ]
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [f"sandbox: {w}" for w in result.warnings]  # once each, not per run
    refused = Sandbox(LIMITS, layers=("audit-hook",)).run("open('/etc/passwd')")
    assert refused.kind == "refused"  # the audit hook is still the second layer


@needs_kernel
def test_on_a_kernel_without_landlock_or_seccomp_the_hook_still_refuses(tmp_path, monkeypatch):
    """With the user's opt-in (without it the code does not run: test_sandbox_unconfined.py)."""
    monkeypatch.setenv(UNCONFINED_ENV, "1")
    sandbox = Sandbox(LIMITS, python=old_kernel_python(tmp_path))
    result = sandbox.run("6 * 7")
    assert result.ok and result.result == 42, result
    assert not result.os_enforced
    assert [w.split(" (")[0] for w in result.warnings] == ["no Landlock", "no seccomp filter"]
    assert "Landlock is not available in this kernel" in result.warnings[0]
    assert "audit-hook" in result.layers and "rlimits" in result.layers
    refused = sandbox.run("open('/etc/passwd')")
    assert refused.kind == "refused" and "reading outside" in refused.error
    network = sandbox.run("import socket")
    assert network.error == "sandbox refused: network access (import socket)"
