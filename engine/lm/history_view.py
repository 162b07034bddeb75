"""An LM's call history as readable text (`LM.inspect_history`): each call's time, model,
role, tokens and latency, then its messages, error and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def render_history(entries: list[dict[str, Any]]) -> str:
    """`entries` (LM history records) as text, separated by a rule."""
    blocks = []
    for entry in entries:
        when = datetime.fromtimestamp(entry["timestamp"]).strftime("%Y-%m-%d %H:%M:%S")
        flags = " (cached)" if entry["cache_hit"] else ""
        usage = entry["usage"]
        lines = [
            f"[{when}] {entry['model']} role={entry['role']}{flags} "
            f"tokens={usage['prompt_tokens']}+{usage['completion_tokens']} "
            f"latency={entry['latency']:.3f}s"
        ]
        for message in entry["messages"]:
            content = message.get("content")
            if not isinstance(content, str):
                content = repr(content)
            lines.append(f"\n{str(message.get('role', '?')).capitalize()} message:\n\n{content}")
        if entry["error"]:
            lines.append(f"\nError:\n\n{entry['error']}")
        for index, output in enumerate(entry["outputs"]):
            label = "Response" if len(entry["outputs"]) == 1 else f"Response {index + 1}"
            lines.append(f"\n{label}:\n\n{output}")
        blocks.append("\n".join(lines))
    return ("\n\n" + "-" * 80 + "\n\n").join(blocks)
