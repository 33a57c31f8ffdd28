"""Pydantic models of one knowledge-base entry and its translations (see knowledge_base/AUTHORING.md)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.languages import Language

MAX_ANSWER_CHARS = 700
MAX_SHORT_CHARS = 300
MIN_QUESTIONS = 6
MAX_TITLE_CHARS = 120

# A short version is read aloud on the phone: no URLs and no bare web addresses.
_URL_LIKE = re.compile(r"https?://|www\.|\b[\w-]+\.(?:fi|com|org|net|eu|info)\b", re.IGNORECASE)
_ENTRY_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _no_url(value: str) -> str:
    if _URL_LIKE.search(value):
        raise ValueError("must not contain a URL or web address (it is read aloud)")
    return value


def _https_url(value: str) -> str:
    if not re.match(r"^https://[\w.-]+\.[a-z]{2,}(/\S*)?$", value):
        raise ValueError(f"{value!r} is not an https URL")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]


class ReviewStatus(StrEnum):
    MACHINE_DRAFT = "machine_draft"
    REVIEWED = "reviewed"


class Audience(StrEnum):
    IMMIGRANT = "immigrant"
    RESIDENT = "resident"
    PROFESSIONAL = "professional"
    ALL = "all"


class Review(BaseModel):
    """Whether a person who reads the language has checked this translation, who, and when."""

    model_config = ConfigDict(extra="forbid")

    status: ReviewStatus
    by: str | None = None
    date: dt.date

    @model_validator(mode="after")
    def _reviewed_names_reviewer(self) -> Review:
        if self.status is ReviewStatus.REVIEWED and not (self.by and self.by.strip()):
            raise ValueError("a reviewed translation names its reviewer in `by`")
        return self


class Translation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[NonBlank, Field(max_length=MAX_TITLE_CHARS)]
    answer: Annotated[NonBlank, Field(max_length=MAX_ANSWER_CHARS)]
    short: Annotated[NonBlank, Field(max_length=MAX_SHORT_CHARS), AfterValidator(_no_url)]
    questions: Annotated[list[NonBlank], Field(min_length=MIN_QUESTIONS)]
    review: Review


class Entry(BaseModel):
    """One answerable case of a topic, in up to eight languages."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=_ENTRY_ID, max_length=100)]
    topic: NonBlank
    audience: Audience
    municipalities: list[NonBlank] = Field(default_factory=list)
    sources: Annotated[list[Annotated[str, AfterValidator(_https_url)]], Field(min_length=1)]
    last_reviewed: dt.date
    translations: dict[Language, Translation]

    def translation(self, language: Language) -> tuple[Language, Translation]:
        """The translation in `language`, else English (or the first available), with its language."""
        if language in self.translations:
            return language, self.translations[language]
        if "en" in self.translations:
            return "en", self.translations["en"]
        first = next(iter(self.translations))
        return first, self.translations[first]


class EntryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[dict[str, object]]
