"""Where `-o FILE` output goes (predict, export, summary): one checked path, written whole
(a temporary file beside it, renamed over it) or not at all; every problem is a TunesmithError:
one line, exit code 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from engine.core import TunesmithError

_WHY = {
    errno.ENOSPC: "the disk is full; free some space or write to another disk",
    errno.EACCES: "you may not write there; choose a folder of your own",
    errno.EPERM: "you may not write there; choose a folder of your own",
    errno.EROFS: "that disk is read-only; write somewhere else",
    errno.ENOENT: "its folder does not exist; create it first or write somewhere else",
    errno.EISDIR: "it is a folder; name a file inside it",
}


def _failed(path: Path, exc: OSError) -> TunesmithError:
    why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
    return TunesmithError(f"cannot write {path}: {why}")


def check_output(target: str, reads: Iterable[str | Path] = ()) -> Path:
    """The output path, or TunesmithError when it cannot or must not be written: its folder is
    missing, it is a folder, or it is one of `reads` (files the command reads)."""
    path = Path(target)
    if "\x00" in target:
        raise TunesmithError(f"cannot write {target!r}: a file name cannot hold a NUL byte")
    try:
        if path.is_dir():
            raise OSError(errno.EISDIR, "")
        if not path.parent.is_dir():
            raise OSError(errno.ENOENT, "")
        same = [o for o in reads if path.exists() and Path(o).exists() and path.samefile(o)]
    except OSError as exc:
        raise _failed(path, exc) from None
    if same:
        raise TunesmithError(
            f"cannot write {path}: it is {same[0]}, which this command reads; name another "
            "output file"
        )
    return path


def write_output(target: str | None, text: str, reads: Iterable[str | Path] = ()) -> None:
    """Write `text` (UTF-8) to the file `target` whole or not at all, or to stdout when
    `target` is None; TunesmithError for any problem (see the module doc)."""
    if target is None:
        sys.stdout.write(text)
        return
    data = text.encode("utf-8", "replace")
    path = check_output(target, reads)
    if path.exists() and not path.is_file():  # a device or a pipe: nothing to replace
        try:
            with path.open("wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise _failed(path, exc) from None
        return
    part = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.part")
    try:
        stream = part.open("xb")
    except OSError as exc:
        raise _failed(path, exc) from None
    try:
        with stream:
            if path.exists():  # a file kept private stays private
                os.fchmod(stream.fileno(), stat.S_IMODE(path.stat().st_mode))
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise _failed(path, exc) from None
