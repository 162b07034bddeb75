"""Reading Python code out of an LM reply for ProgramOfThought."""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[ \t]*(?:python|py|Python)?[ \t]*\n(.*?)(?:\n```|$)", re.S)
_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*=[^=]")
_PLACEHOLDER = re.compile(r"^\s*\{\s*\w+\s*\}\s*$")


def code_from_reply(text: str) -> tuple[str, str | None]:
    """(code, None), or (text, an error message for the LM) when there is no code.

    Takes the first fenced block if there is one, else the whole text. When the last line
    assigns a name (`answer = 6 * 7`), the name is added as a last expression so its value is
    the run's result, as DSPy does."""
    text = (text or "").strip()
    fenced = _FENCE.search(text)
    code = (fenced.group(1) if fenced else text).strip("\n")
    if code.lstrip().startswith("python\n"):
        code = code.lstrip()[len("python\n") :]
    if not code.strip():
        return text, "Error: Empty code after parsing."
    if _PLACEHOLDER.match(code):  # SmolLM2-135M copies the prompt's `{generated_code}` template
        return code, (
            f"Error: the reply repeated the template placeholder {code.strip()} instead of "
            "Python code; write the code itself."
        )
    if _chained_assignment(code):
        return code, "Error: Code format is not correct."
    lines = code.rstrip().splitlines()
    last = lines[-1]
    assigned = _ASSIGNED.match(last)
    if assigned and not last.startswith((" ", "\t")):
        code = code.rstrip() + "\n" + assigned.group(1)
    return code, None


def _chained_assignment(code: str) -> bool:
    """One line with several `=` that is not Python, or is a chained assignment
    (`answer=x=y`): DSPy's "Code format is not correct" case. Other one-liners (`print(a == b)`)
    are kept."""
    if "\n" in code.strip() or code.count("=") < 2:
        return False
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return True
    return any(isinstance(node, ast.Assign) and len(node.targets) > 1 for node in tree.body)
