"""A server command as typed ("python my_server.py --flag") split into a program and its
arguments, with the problems that keep it from being saved or started named in words."""

from __future__ import annotations

import re
import shlex
import shutil

_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
MAX_COMMAND_CHARS = 1000


class McpServerError(RuntimeError):
    """An MCP server could not be started, listed or used; the message says why in words."""


def split_command(command: str | list[str]) -> list[str]:
    """The command's words, or McpServerError saying what is wrong with it."""
    if isinstance(command, list):
        words = [str(w) for w in command]
    elif isinstance(command, str):
        if len(command) > MAX_COMMAND_CHARS:
            raise McpServerError(
                f"the command is too long (at most {MAX_COMMAND_CHARS} characters)"
            )
        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise McpServerError(f"cannot read the command ({exc}); check its quotes") from None
    else:
        raise McpServerError(f"the command must be text, got {type(command).__name__}")
    if not words or not words[0].strip():
        raise McpServerError("type the command that starts the server, e.g. python my_server.py")
    if _ENV_ASSIGNMENT.match(words[0]):
        raise McpServerError(
            f"the command starts by setting a variable ({words[0].split('=')[0]}=...); the "
            "command is saved with the project, so set variables where the dashboard or the "
            "run is started, never in the command"
        )
    return words


def find_program(words: list[str]) -> str:
    """The program's path, or McpServerError when there is no such program."""
    found = shutil.which(words[0])
    if found is None:
        raise McpServerError(
            f"the command {words[0]!r} was not found: check its spelling, or give its full path"
        )
    return found
