"""Prompt versions of a project, one in use: what labelling, trying an input and export use
by default (a table of the run store)."""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.versions._versions import (
    add_version, AS_WRITTEN, list_versions, start_candidate, THIS_MACHINE, use_version, Version,
    version_in_use, VersionError,
)

__all__ = [
    "add_version", "AS_WRITTEN", "list_versions", "start_candidate", "THIS_MACHINE",
    "use_version", "Version", "version_in_use", "VersionError",
]  # fmt: skip
