"""`ScriptedLM`: a deterministic stand-in LM for tests. No litellm, no model, no network.

Three ways to script it (pick one):

- ``ScriptedLM(answers=["a", {"answer": "b"}])``: returns the answers in order; a dict is
  rendered in the chat adapter format (``[[ ## field ## ]]`` sections, then the completed
  marker). When the list is used up it raises LMError, or starts over with ``cycle=True``.
- ``ScriptedLM(by_input=fn)``: ``fn(messages) -> str | dict`` computes each answer.
- ``ScriptedLM(follow_demos=True)``: if an earlier user turn (a demo) has the same input fields
  as the last user turn, answer with that demo's assistant turn; else ``default``.

Everything else (cache, ledgers, budget, retries, history) is the real `LM` machinery. Tokens
are approximated as ``len(text) // 4``; cost is 0. The cache is off unless ``cache=True``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.core import LMError
from engine.lm.lm import LM, Usage

Answer = str | Mapping[str, Any]

_HEADER = re.compile(r"^\[\[ ## (\w+) ## \]\][ \t]*$", re.MULTILINE)
_REQUESTED = re.compile(r"`\[\[ ## (\w+) ## \]\]`")
COMPLETED = "completed"


def message_text(message: Mapping[str, Any]) -> str:
    """A message's content as text (of multi-part content, its text parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: keep the text parts
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "" if content is None else str(content)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return str(value)


def render_fields(fields: Mapping[str, Any]) -> str:
    """Render `{field: value}` in the chat adapter format, ending with the completed marker."""
    parts = [f"[[ ## {name} ## ]]\n{_value_text(value)}" for name, value in fields.items()]
    parts.append(f"[[ ## {COMPLETED} ## ]]")
    return "\n\n".join(parts)


def _strip_instruction(value: str) -> str:
    """Drop a trailing "Respond with the corresponding output fields ..." paragraph."""
    paragraphs = value.strip().split("\n\n")
    while len(paragraphs) > 1 and (
        paragraphs[-1].lstrip().startswith("Respond with") or "`[[ ## " in paragraphs[-1]
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs).strip()


def input_fields(text: str) -> dict[str, str]:
    """The `[[ ## name ## ]]` sections of a user message, or `{"": text}` if it has none."""
    headers = list(_HEADER.finditer(text))
    if not headers:
        return {"": _strip_instruction(text)}
    out = {}
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        if header.group(1) != COMPLETED:
            out[header.group(1)] = _strip_instruction(text[header.end() : end])
    return out


class _Cursor:
    """A thread-safe counter shared by a ScriptedLM and its copies."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            self.value += 1
            return self.value - 1

    def __getstate__(self) -> dict[str, Any]:
        return {"value": self.value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.value = state["value"]
        self._lock = threading.Lock()


class ScriptedLM(LM):
    """An LM whose answers are scripted (see the module docstring). Model name `scripted/<name>`."""

    def __init__(
        self,
        answers: Sequence[Answer] | None = None,
        *,
        by_input: Callable[[list[dict[str, Any]]], Answer] | None = None,
        follow_demos: bool = False,
        default: Answer | None = None,
        cycle: bool = False,
        name: str = "default",
        latency: float = 0.0,
        cache: bool = False,
        **kwargs: Any,
    ) -> None:
        chosen = (answers is not None) + (by_input is not None) + bool(follow_demos)
        if chosen != 1:
            raise TypeError(
                "ScriptedLM needs exactly one of answers=, by_input=, follow_demos=True"
            )
        super().__init__(f"scripted/{name}", cache=cache, **kwargs)
        self.answers = list(answers) if answers is not None else None
        self.by_input = by_input
        self.follow_demos = follow_demos
        self.default = default
        self.cycle = cycle
        self.latency = latency
        self._cursor = _Cursor()  # shared with copies: lm.copy(temperature=1.0) keeps the script

    @property
    def calls_made(self) -> int:
        """How many answers were produced so far (cache hits excluded), copies included."""
        return self._cursor.value

    def _from_list(self) -> Answer:
        assert self.answers is not None
        index = self._cursor.take()
        if self.cycle and self.answers:
            return self.answers[index % len(self.answers)]
        if index >= len(self.answers):
            raise LMError(
                f"{self.model}: all {len(self.answers)} scripted answers are used up "
                f"(this is call {index + 1}); add answers or pass cycle=True"
            )
        return self.answers[index]

    def _default_answer(self, last_user: str) -> Answer:
        if self.default is not None:
            return self.default
        requested = [name for name in _REQUESTED.findall(last_user) if name != COMPLETED]
        if requested:
            return {name: "unknown" for name in dict.fromkeys(requested)}
        return "unknown"

    def _from_demos(self, messages: list[dict[str, Any]]) -> Answer:
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        if not users:
            return self._default_answer("")
        last = message_text(messages[users[-1]])
        wanted = input_fields(last)
        for index in users[:-1]:
            follows = messages[index + 1] if index + 1 < len(messages) else None
            if follows is None or follows.get("role") != "assistant":
                continue
            if input_fields(message_text(messages[index])) == wanted:
                return message_text(follows)
        return self._default_answer(last)

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        if self.answers is not None:
            answer = self._from_list()
        else:
            self._cursor.take()
            if self.by_input is not None:
                answer = self.by_input(messages)
            else:
                answer = self._from_demos(messages)
        return answer if isinstance(answer, str) else render_fields(answer)

    def _complete(
        self, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[str], Usage]:
        if self.latency:
            time.sleep(self.latency)
        n = int(params.get("n") or 1)
        texts = [self._answer(messages) for _ in range(n)]
        prompt_chars = sum(len(message_text(m)) for m in messages)
        return texts, {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": sum(len(t) // 4 for t in texts),
            "cost": 0.0,
        }
