"""Issue 62 item 7: the sandbox's temp folder goes away whatever the code left in it, when the
engine runs as an ordinary user (root's rights hide the problem: root may list and empty any
folder). The probe's code made a folder with mode 0o300, which its owner cannot list, filled
it, and `rmtree(ignore_errors=True)` left 161 MB behind on every call.

Run as a real non-root user: as root, the test creates one (`useradd`) and runs the sandbox in
a subprocess that drops to it; as an ordinary user, in a subprocess as is."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
USER = "tunesmith-sandbox-test"
pytestmark = pytest.mark.xdist_group("sandbox-user")  # one worker creates and removes the user

# Runs in the subprocess: everything is imported first (as root, the interpreter's own files
# may be out of the user's reach), then it drops to the user and runs the sandbox once.
RUNNER = """
import json, os, shutil, sys, tempfile
from engine.sandbox import Sandbox, SandboxLimits
folder, uid, gid, code = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if os.geteuid() == 0:
    os.setgroups([]); os.setgid(gid); os.setuid(uid)
python = sys.executable if os.access(sys.executable, os.X_OK) else shutil.which("python3")
if python is None:
    print(json.dumps({"skip": "no Python the user may run"})); sys.exit(0)
tempfile.tempdir = folder
try:
    result = Sandbox(SandboxLimits(wall_seconds=20.0, cpu_seconds=10), python=python).run(code)
    print(json.dumps({"ok": result.ok, "kind": result.kind, "error": result.error,
                      "stdout": result.stdout, "uid": os.geteuid()}))
except BaseException as exc:
    print(json.dumps({"raised": f"{type(exc).__name__}: {exc}"}))
"""

CASES = {
    "folder-0o300-filled": (
        "import os\nos.mkdir('hidden', 0o300)\n"
        "for i in range(8):\n    open(f'hidden/{i}.bin', 'wb').write(b'x' * 262144)\n"
        "print('wrote')"
    ),
    "nested-folders-without-rights": (
        "import os\nos.mkdir('a', 0o300)\nos.mkdir('a/b', 0o300)\n"
        "open('a/b/f', 'w').write('x')\nos.mkdir('a/b/c', 0o000)\nprint('wrote')"
    ),
    "made-under-a-umask": (
        "import os\nos.umask(0o477)\nos.makedirs('u/v/w')\nopen('u/v/w/f', 'w').write('x')\n"
        "print('wrote')"
    ),
    "folders-nested-4000-deep": (
        "import os\nfd = os.open('.', os.O_RDONLY)\nfor i in range(4000):\n"
        "    os.mkdir('a', 0o300, dir_fd=fd)\n    new = os.open('a', os.O_PATH, dir_fd=fd)\n"
        "    os.close(fd)\n    fd = new\nprint('wrote')"
    ),
}


@pytest.fixture(scope="module")
def ordinary_user():
    """(uid, gid) of a non-root user; created for the module when the tests run as root."""
    if os.geteuid() != 0:
        yield os.getuid(), os.getgid()
        return
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            pytest.skip("running as root and `useradd` is not installed: no ordinary user")
        made = subprocess.run(  # noqa: S603
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            capture_output=True, text=True,
        )  # fmt: skip
        if made.returncode not in (0, 9):  # 9: made meanwhile
            pytest.skip(f"running as root and `useradd` failed: {made.stderr.strip()}")
        created = made.returncode == 0
    entry = pwd.getpwnam(USER)
    yield entry.pw_uid, entry.pw_gid
    if created:
        subprocess.run(["userdel", USER], capture_output=True)  # noqa: S603, S607


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_the_temp_folder_is_removed_whatever_the_code_left(code: str, ordinary_user) -> None:
    uid, gid = ordinary_user
    folder = Path(tempfile.mkdtemp(prefix="tunesmith-sandbox-user-"))
    try:
        os.chown(folder, uid, gid)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", RUNNER, str(folder), str(uid), str(gid), code],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if "skip" in result:
            pytest.skip(result["skip"])
        assert "raised" not in result, result  # e.g. a RecursionError from removing it
        assert result["uid"] == uid and result["uid"] != 0
        assert result["ok"] and result["stdout"] == "wrote\n", result  # the code did its part
        assert list(folder.iterdir()) == []  # and nothing of it is left
    finally:  # whatever is left, even 4000 folders deep (rmtree recurses)
        subprocess.run(["chmod", "-R", "u+rwx", str(folder)], capture_output=True)  # noqa: S603, S607
        subprocess.run(["rm", "-rf", str(folder)], capture_output=True)  # noqa: S603, S607
