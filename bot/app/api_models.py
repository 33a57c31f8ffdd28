"""The /api/chat contract: validated at the edge, so nothing invalid reaches the engine or the store."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from bot.languages import LANGUAGES, Language
from bot.retrieval.text import clean


def _not_blank(text: str) -> str:
    if not clean(text):
        raise ValueError("must contain visible text")
    return text


def _supported_language(code: str | None) -> str | None:
    if code is not None and code not in LANGUAGES:
        raise ValueError(f"unsupported language {code!r}; use one of {', '.join(LANGUAGES)}")
    return code


class ChatRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    sender_id: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_not_blank)]
    text: Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_not_blank)]
    language: Annotated[str | None, AfterValidator(_supported_language)] = None
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")] | None = None


class ButtonOut(BaseModel):
    title: str
    payload: str


class ReplyOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = Field(default_factory=list)


class ChatResponse(BaseModel):
    replies: list[ReplyOut]
    language: Language
    intent: str | None
    topic: str | None
    entry_id: str | None
    confidence: float | None
    escalated: bool
