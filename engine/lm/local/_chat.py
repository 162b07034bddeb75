"""Chats rendered the way llama-cpp-python renders them, as tokens: what the saved prefixes and
the drafted replies of the embedded model work on (`_prefixes`, `_drafted`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_TEMPLATE = "chat_template.default"


@dataclass
class ChatPrompt:
    """A chat rendered by the model's template: its tokens and the template's stop strings."""

    tokens: list[int]
    stops: list[str]


def render_prompt(llama: Any, formatter: Any, messages: list[dict[str, Any]]) -> ChatPrompt:
    """The tokens `create_chat_completion` would evaluate for `messages`."""
    formatted = formatter(messages=messages)
    tokens = llama.tokenize(
        formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
    )
    extra = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop]
    return ChatPrompt(list(tokens), [s for s in extra if s])


def text_tokens(llama: Any, text: str) -> list[int]:
    """The tokens of plain `text` (no BOS, special tokens read as text), as a reply continues."""
    return list(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def chat_formatter(llama: Any) -> Any | None:
    """The formatter `create_chat_completion` uses (the GGUF's own chat template), or None when
    the model uses another chat format, which this module does not reproduce."""
    if getattr(llama, "chat_handler", None) is not None or llama.chat_format != DEFAULT_TEMPLATE:
        return None
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp import llama_chat_format

    eos_id, bos_id = llama.token_eos(), llama.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(eos_id) if eos_id != -1 else "",
        bos_token=llama._model.token_get_text(bos_id) if bos_id != -1 else "",
        stop_token_ids=[eos_id],
    )
