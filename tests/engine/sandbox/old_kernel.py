"""A Python that runs the sandbox child as on a kernel without Landlock and seccomp (tests).

`old_kernel_python(folder)` writes an executable wrapper: it installs a seccomp filter of its
own that answers ENOSYS to the Landlock system calls and EINVAL to prctl(PR_SET_SECCOMP), as an
old or differently built kernel would, then execs this Python. The sandbox's real code path
then finds both kernel layers unavailable. On a machine that already lacks them, this Python.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import engine.sandbox.runner as runner
from engine.sandbox import confine

SANDBOX_DIR = Path(runner.__file__).parent
KERNEL_LAYERS = (
    os.uname().machine == "x86_64"
    and confine.landlock_abi() >= 6
    and "Seccomp:" in Path("/proc/self/status").read_text()
)
WRAPPER = """#!{python}
import errno, os, sys
sys.path.insert(0, {sandbox!r})
import confine as c
nosys, einval = c.SECCOMP_RET_ERRNO | errno.ENOSYS, c.SECCOMP_RET_ERRNO | errno.EINVAL
code = [c._insn(c.LD_ABS_W, c.NR_OFFSET)]
for number in (444, 445, 446):
    code += [c._insn(c.JEQ, number, jf=1), c._insn(c.RET, nosys)]
code += c._on_arg(157, 0, [22], match=einval, other=c.SECCOMP_RET_ALLOW)
code += [c._insn(c.RET, c.SECCOMP_RET_ALLOW)]
program = b"".join(code)
buffer = c.ctypes.create_string_buffer(program, len(program))
c.no_new_privs()
c._prctl(22, 2, c.ctypes.byref(c._SockFprog(len(program) // 8, c.ctypes.addressof(buffer))))
os.execv({python!r}, [{python!r}, *sys.argv[1:]])
"""


def old_kernel_python(folder: Path) -> str:
    """The path of a Python whose children see no Landlock and no seccomp."""
    if not KERNEL_LAYERS:
        return sys.executable
    wrapper = folder / "python-old-kernel"
    wrapper.write_text(WRAPPER.format(python=sys.executable, sandbox=str(SANDBOX_DIR)))
    wrapper.chmod(0o755)
    return str(wrapper)
