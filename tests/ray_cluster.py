"""A throw-away local Ray cluster for the tests: 2 CPUs, no dashboard, every server on
127.0.0.1 (Ray binds to the node's address; telling it this machine is no cluster node makes
that address 127.0.0.1). One per test session, shared by every test marked `ray`."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": the node's address is 127.0.0.1
_folder: str | None = None
# ::1 and ::ffff:127.0.0.1 as /proc/net/tcp6 writes them (each 32-bit word in host order)
LOOPBACK6 = {"00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


def start_local_ray(num_cpus: int = 2) -> str:
    """Start the cluster (actors can import the project and the tests' helpers); its address."""
    os.environ[LOCAL_ONLY_ENV] = "0"
    before = os.environ.get("PYTHONPATH")
    paths = [str(TESTS.parent), str(TESTS / "runs"), str(TESTS / "reliability")]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [*paths, *filter(None, (before or "").split(os.pathsep))]
    )  # for the cluster's processes only (they copy it at start): restored below
    import ray
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before the variable
    global _folder
    _folder = tempfile.mkdtemp(prefix="ray-")  # its logs and sockets, removed at the end
    on_sigterm = signal.getsignal(signal.SIGTERM)  # ray.init replaces it with an exit
    try:
        ray.init(
            num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, _temp_dir=_folder
        )
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_sigterm)
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before
    return ray.get_runtime_context().gcs_address


def stop_local_ray() -> None:
    """Stop the cluster and remove its folder."""
    import ray

    ray.shutdown()
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)


def open_beyond_loopback(root_pid: int) -> list[tuple[int, str]]:
    """(pid, address) of every listening TCP socket of `root_pid`'s process tree that is not on
    127.0.0.1 or ::1 (read from /proc: Ray's processes are this process's descendants)."""
    pids = _descendants(root_pid) | {root_pid}
    inodes: dict[str, int] = {}
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except OSError:  # the process ended meanwhile
            continue
    found = []
    for table, loopback in (("/proc/net/tcp", {"0100007F"}), ("/proc/net/tcp6", LOOPBACK6)):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                address, state, inode = fields[1], fields[3], fields[9]
                host = address.split(":")[0]
                if state == "0A" and inode in inodes and host not in loopback:
                    found.append((inodes[inode], address))
    return found


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    parents[int(name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


class ThrowawayHead:
    """A Ray cluster of one test's own, to lose on purpose: `ray start --head --block` with 2
    CPUs, on 127.0.0.1, in a temp folder. `kill()` ends every process of it with SIGKILL (the
    head node lost); the session's cluster (`local_ray`) is never touched."""

    def __init__(self, num_cpus: int = 2) -> None:
        self.folder = tempfile.mkdtemp(prefix="rayh-")  # short: Ray's socket paths are bounded
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        paths = [str(TESTS.parent), str(TESTS / "runs"), str(TESTS / "reliability")]
        # what a driver of this cluster needs in its environment: its own token, 127.0.0.1
        self.env = {
            LOCAL_ONLY_ENV: "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }  # fmt: skip
        env = {
            **os.environ, **self.env,
            "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]),
        }  # fmt: skip
        self._log = open(os.path.join(self.folder, "head.log"), "w")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603  (fixed argv)
            [ray_command(), "start", "--head", f"--port={self.port}",
             f"--num-cpus={num_cpus}", "--include-dashboard=false", "--disable-usage-stats",
             "--node-ip-address=127.0.0.1", f"--temp-dir={self.folder}", "--block"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("the throw-away Ray head did not start") from None
                time.sleep(0.2)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL the head and every process it started (its actors included)."""
        for pid in _descendants(self.process.pid) | {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # ended meanwhile
                continue
        self.process.wait(timeout=30)

    def close(self) -> None:
        """Kill it (if still up) and remove its folder."""
        self.kill()
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def ray_command() -> str:
    """The `ray` command of this Python's environment (a venv's bin is not always on PATH)."""
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.exists() else shutil.which("ray") or "ray"
