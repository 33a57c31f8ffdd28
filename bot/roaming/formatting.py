"""Visits, events and times written out in a person's language, from the texts in roaming.yml.

Times are shown in Finnish local time; municipality names stay in their Finnish form in every language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.dialogue.responses import ResponseCatalog, UnknownResponse
from bot.languages import Language
from bot.roaming.clock import local
from bot.roaming.schedule import EventInfo, TrainingInfo, VisitInfo

AUDIENCES = ("everyone", "families", "women", "youth", "seniors", "professionals")


def clock(responses: ResponseCatalog, language: Language, value: dt.datetime) -> str:
    at = local(value)
    return responses.render("roaming_clock", language, hour=f"{at.hour:02d}", minute=f"{at.minute:02d}").text


def when(responses: ResponseCatalog, language: Language, start: dt.datetime, end: dt.datetime) -> str:
    """ "ke 9.12.2026 klo 10.00–10.30", "Wed 9.12.2026, 10:00–10:30"."""
    day = local(start)
    weekday = responses.render("roaming_weekdays", language).text.split()[day.weekday()]
    return responses.render(
        "roaming_when",
        language,
        weekday=weekday,
        date=f"{day.day}.{day.month}.{day.year}",
        start=clock(responses, language, start),
        end=clock(responses, language, end),
    ).text


def language_name(responses: ResponseCatalog, language: Language, code: str) -> str:
    try:
        return responses.render(f"roaming_language_{code}", language).text
    except UnknownResponse:
        return code  # a code the texts do not name yet: shown as it is


def language_names(responses: ResponseCatalog, language: Language, codes: Iterable[str]) -> str:
    return ", ".join(language_name(responses, language, code) for code in codes)


def channel_phrase(responses: ResponseCatalog, language: Language, channel: str) -> str:
    return responses.render(f"roaming_channel_{channel}", language).text


def sample_mark(responses: ResponseCatalog, language: Language, sample: bool) -> str:
    return " " + responses.render("roaming_sample_label", language).text if sample else ""


def visit_line(responses: ResponseCatalog, language: Language, visit: VisitInfo) -> str:
    line = responses.render(
        "roaming_visit_line",
        language,
        when=when(responses, language, visit.starts_at, visit.ends_at),
        place=visit.place,
        languages=language_names(responses, language, visit.languages),
    ).text
    if visit.interpreter_available:
        line += " " + responses.render("roaming_interpreter_available", language).text
    if visit.slots:
        line += " " + responses.render("roaming_free_places", language, count=visit.free_places).text
    return line + sample_mark(responses, language, visit.sample)


def nearby_line(responses: ResponseCatalog, language: Language, visit: VisitInfo) -> str:
    return responses.render(
        "roaming_nearby_line",
        language,
        municipality=visit.municipality,
        when=when(responses, language, visit.starts_at, visit.ends_at),
        place=visit.place,
    ).text + sample_mark(responses, language, visit.sample)


def event_line(responses: ResponseCatalog, language: Language, event: EventInfo) -> str:
    line = responses.render(
        "roaming_event_line",
        language,
        when=when(responses, language, event.starts_at, event.ends_at),
        municipality=event.municipality,
        place=event.place,
        title=event.title,
    ).text
    if event.audience in AUDIENCES[1:]:
        audience = responses.render(f"roaming_audience_{event.audience}", language).text
        line += " " + responses.render("roaming_event_audience", language, audience=audience).text
    return line + sample_mark(responses, language, event.sample)


def training_line(responses: ResponseCatalog, language: Language, training: TrainingInfo) -> str:
    line = responses.render(
        "roaming_training_line",
        language,
        when=when(responses, language, training.starts_at, training.ends_at),
        municipality=training.municipality,
        place=training.place,
        title=training.title,
    ).text
    if training.full:
        line += " " + responses.render("roaming_training_full_label", language).text
    return line + sample_mark(responses, language, training.sample)
