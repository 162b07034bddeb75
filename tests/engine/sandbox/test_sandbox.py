"""The ProgramOfThought sandbox: forbidden things are refused with a clear message within their
limit; ordinary code runs and its output comes back."""

from __future__ import annotations

import os

import pytest

from engine.sandbox import Sandbox, SandboxLimits, run_code

LIMITS = SandboxLimits(cpu_seconds=1, wall_seconds=4.0, memory_mb=256)
# A hang guard for the tests of runaway code, not a timing: the margin covers a slow start on a
# loaded machine; unkilled, the code would run for a minute or forever.
KILLED_WITHIN = LIMITS.wall_seconds + 15


def run(code: str, **kwargs):
    return Sandbox(LIMITS, **kwargs).run(code)


def test_arithmetic_printing_and_last_expression_come_back():
    result = run("x = 6 * 7\nprint('x is', x)\nx + 1")
    assert result.ok and result.kind == "ok"
    assert result.stdout.strip() == "x is 42"
    assert result.result == 43 and result.output_text() == "x is 42\n43"


def test_submit_gives_the_result():
    result = run("SUBMIT({'answer': 12})")
    assert result.ok and result.result == {"answer": 12}


def test_code_reads_a_file_it_wrote_in_its_temp_dir():
    result = run(
        "with open('notes.txt', 'w') as f:\n    f.write('kept')\nprint(open('notes.txt').read())"
    )
    assert result.ok, result.error
    assert result.stdout.strip() == "kept"


def test_reading_etc_passwd_is_refused():
    result = run("print(open('/etc/passwd').read())")
    assert result.kind == "refused" and not result.ok
    assert result.error == (
        "sandbox refused: reading outside the sandbox directory (open '/etc/passwd')"
    )
    assert "root:" not in result.stdout


def test_writing_outside_the_temp_dir_is_refused(tmp_path):
    target = tmp_path / "escaped.txt"
    result = run(f"open({str(target)!r}, 'w').write('x')")
    assert result.kind == "refused"
    assert result.error.startswith("sandbox refused: writing outside the sandbox directory")
    assert not target.exists()


def test_a_swallowed_refusal_is_still_reported():
    result = run("try:\n    open('/etc/passwd')\nexcept Exception:\n    pass\nprint('fine')")
    assert result.kind == "refused" and "reading outside" in result.error


def test_opening_a_socket_is_refused():
    result = run("import socket\nsocket.socket().connect(('127.0.0.1', 80))")
    assert result.error == "sandbox refused: network access (import socket)"


def test_socket_calls_are_refused_even_when_the_module_is_loaded():
    result = run("import socket\nsocket.create_connection(('127.0.0.1', 80))", preload=("socket",))
    assert result.error == "sandbox refused: network access (socket.getaddrinfo)"


@pytest.mark.parametrize(
    "code, event",
    [
        ("import os\nos.system('echo hi')", "os.system"),
        ("import os\nos.fork()", "os.fork"),
        ("import os\nos.execv('/bin/true', ['true'])", "os.exec"),
        ("import os\nos.posix_spawn('/bin/true', ['true'], {})", "os.posix_spawn"),
        ("import subprocess", "import subprocess"),
    ],
)
def test_spawning_a_process_is_refused(code, event):
    result = run(code)
    assert result.error == f"sandbox refused: starting a process ({event})"


def test_subprocess_is_refused_even_when_the_module_is_loaded():
    result = run("import subprocess\nsubprocess.run(['true'])", preload=("subprocess",))
    assert result.error == "sandbox refused: starting a process (subprocess.Popen)"


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
def test_an_infinite_loop_hits_the_cpu_limit():
    result = run("while True:\n    pass")
    assert result.kind in ("cpu", "timeout"), result
    assert result.error.startswith("sandbox limit:")


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
def test_except_baseexception_cannot_outlast_the_cpu_limit():
    result = run("while True:\n    try:\n        while True: pass\n    except BaseException: pass")
    assert result.kind in ("cpu", "timeout")


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
def test_sleeping_forever_hits_the_wall_clock_limit():
    result = Sandbox(SandboxLimits(wall_seconds=1.0)).run("import time\ntime.sleep(60)")
    assert result.kind == "timeout"
    assert result.error == "sandbox limit: wall clock over 1 s (killed)"


@pytest.mark.timeout(KILLED_WITHIN, func_only=True)
def test_allocating_10_gb_hits_the_memory_limit():
    result = run("block = bytearray(10 * 1024 ** 3)")
    assert result.kind == "memory"
    assert result.error == "sandbox limit: memory over 256 MB (MemoryError)"


@pytest.mark.parametrize(
    "code, needle",
    [
        ("import ctypes", "native code through ctypes"),
        ("import os\nos.listdir('/')", "reading outside the sandbox directory"),
        ("import os\nos.symlink('/etc/passwd', 'p')", "os.symlink is not allowed"),
        ("import sys\nsys._getframe()", "sys._getframe is not allowed"),
        ("import shutil", "importing module 'shutil'"),
    ],
)
def test_other_escapes_are_refused(code, needle):
    result = run(code)
    assert result.kind == "refused" and needle in result.error, result.error


def test_errors_in_the_code_come_back_as_text():
    result = run("1 / 0")
    assert result.kind == "error" and result.error == "ZeroDivisionError: division by zero"
    syntax = run("def (:")
    assert syntax.kind == "error" and syntax.error.startswith("SyntaxError")


def test_the_child_runs_with_an_empty_environment_in_its_own_dir():
    result = run("import os\nprint(len(os.environ) <= 1, os.listdir('.'))")
    assert result.ok and result.stdout.strip() == "True []"


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="takes the code as a str"):
        run_code(b"print(1)")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cpu_seconds must be a positive number"):
        SandboxLimits(cpu_seconds=0)


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges are dropped only when run as root")
def test_a_root_parent_runs_the_child_as_nobody():
    result = run("import os\nprint(os.getuid())")
    assert result.stdout.strip() == "65534"
