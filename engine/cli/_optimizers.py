"""`python -m engine optimizers`: every registered optimizer, from the registry (the built-ins
and any plugin), with the names a spec may use and its parameters."""

from __future__ import annotations

import argparse

from engine.optimizers import registry


def optimizers_text(verbose: bool = False) -> str:
    """One block per optimizer: its names, its goal, its declared parameters."""
    lines = ["auto: picks an optimizer from the size of the training set (the default)", ""]
    for entry in registry.entries():
        names = ", ".join(entry.spellings())
        lines.append(f"{names}: {entry.label.split(': ')[0]}")
        lines.append(f"  {entry.goal}")
        if entry.roles:
            roles = ", ".join(f"models.{role} -> {param}" for role, param in entry.roles.items())
            lines.append(f"  uses {roles}")
        for param in entry.params if verbose else entry.form():
            about = param.help or param.label
            lines.append(
                f"  params.{param.name} ({param.type.__name__}, {param.default!r})"
                + (f": {about}" if about else "")
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def cmd_optimizers(args: argparse.Namespace) -> int:
    """List the optimizers a spec may name."""
    print(optimizers_text(verbose=args.all))
    return 0
