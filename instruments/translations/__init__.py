"""Published translations of the instruments' texts: one module per language, versioned and cited (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Translation:
    """An instrument's published wording in another language: versioned, cited data (scores are unchanged)."""

    language: str  # ISO 639-1: "es"
    version: str
    instructions: str
    items: tuple[str, ...]  # item texts, in item order
    anchors: tuple[str, ...]  # the answers' labels (every item of these instruments shares one scale)
    citation: str
    extra_questions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (key, text, anchors)
