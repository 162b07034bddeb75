"""DSPy's experimental `Document` (a source text given to the LM) and `Citations` (quotes the LM
took from those sources, with where they sit), as `dspy.experimental` offers them.

Both are pydantic models, so signatures accept them like any model: a `Document` input is shown
in the prompt as its text (with its title), and a `Citations` output is read from the reply's
JSON list of citations.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pydantic


class Document(pydantic.BaseModel):
    """A text the LM may quote: `Document(data="...", title="...")`."""

    data: str
    title: str | None = None
    media_type: Literal["text/plain", "application/pdf"] = "text/plain"
    context: str | None = None

    @classmethod
    def description(cls) -> str:
        """One sentence for the prompt: what a Document field holds."""
        return (
            "A document containing text content that can be referenced and cited. Include the "
            "full text content and optionally a title for proper referencing."
        )

    def format(self) -> str:
        """The document as prompt text: its title (if any) then its content."""
        heading = f"Title: {self.title}\n" if self.title else ""
        return f"{heading}{self.data}"

    def content_parts(self) -> list[dict[str, Any]]:
        """The document as a provider's document content part (Anthropic's shape, as DSPy sends
        it with its own prompt layout): its text, media type, title and context, citable."""
        part: dict[str, Any] = {
            "type": "document",
            "source": {"type": "text", "media_type": self.media_type, "data": self.data},
            "citations": {"enabled": True},
        }
        if self.title:
            part["title"] = self.title
        if self.context:
            part["context"] = self.context
        return [part]

    def __str__(self) -> str:
        return self.format()


class Citation(pydantic.BaseModel):
    """One quote: the cited text, which document it comes from and where it sits in it."""

    type: str = "char_location"
    cited_text: str
    document_index: int
    document_title: str | None = None
    start_char_index: int
    end_char_index: int
    supported_text: str | None = None

    def format(self) -> dict[str, Any]:
        """The citation as a plain dict, leaving out the fields that are not set."""
        return self.model_dump(exclude_none=True)


class Citations(pydantic.BaseModel):
    """Quotes with their sources, as an output field: `result.citations.citations`."""

    Citation: ClassVar[type[Citation]] = Citation

    citations: list[Citation]

    @pydantic.model_validator(mode="before")
    @classmethod
    def _accept_a_bare_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {"citations": value}
        return value

    @classmethod
    def from_dict_list(cls, citations_dicts: list[dict[str, Any]]) -> Citations:
        """Citations from a list of dicts with each citation's fields."""
        return cls(citations=[Citation(**item) for item in citations_dicts])

    @classmethod
    def description(cls) -> str:
        """One sentence for the prompt: what a Citations field holds."""
        return (
            "Citations with quoted text and source references. Include the exact text being "
            "cited and information about its source."
        )

    def format(self) -> list[dict[str, Any]]:
        """The citations as a list of plain dicts."""
        return [citation.format() for citation in self.citations]

    def __len__(self) -> int:
        return len(self.citations)

    def __getitem__(self, index: int) -> Citation:
        return self.citations[index]


__all__ = ["Citation", "Citations", "Document"]
