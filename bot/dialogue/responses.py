"""The bot's texts, read from Rasa's domain.yml so that Rasa and the app share one home for every text.

Rasa picks a response variation by the `language` slot; the app (custom actions, degraded mode) renders the
same variations here with an explicit language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.languages import FALLBACK_LANGUAGE, Language

TEXTS_DIR = Path(__file__).parent / "texts"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[Button] = field(default_factory=list)


class UnknownResponse(KeyError):
    """The domain has no response of that name."""


class ResponseCatalog:
    def __init__(self, responses: dict[str, dict[str, BotMessage]]) -> None:
        self._responses = responses

    @classmethod
    def from_domain(cls, path: Path) -> ResponseCatalog:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        domain = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        responses: dict[str, dict[str, BotMessage]] = {}
        for name, variations in (domain.get("responses") or {}).items():
            by_language: dict[str, BotMessage] = {}
            for variation in variations:
                message = BotMessage(
                    str(variation.get("text", "")),
                    [Button(str(b["title"]), str(b["payload"])) for b in variation.get("buttons", [])],
                )
                language = _condition_language(variation.get("condition"))
                by_language.setdefault(language or "*", message)
            responses[name] = by_language
        return cls(responses)

    @classmethod
    def load(cls, domain: Path, texts_dir: Path | None = None) -> ResponseCatalog:
        """The domain's responses plus the channel texts in `texts_dir` (texts Rasa itself never sends)."""
        catalog = cls.from_domain(domain)
        for path in sorted((texts_dir or TEXTS_DIR).glob("*.yml")):
            catalog.add_texts(path)
        return catalog

    def add_texts(self, path: Path) -> None:
        """Add texts written as `name: {text: {<lang>: ...}, buttons: [{payload, title: {<lang>: ...}}]}`."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        for name, spec in data.items():
            if name in self._responses:
                raise ValueError(f"{path}: {name} is already defined")
            texts: dict[str, str] = spec["text"]
            buttons = spec.get("buttons") or []
            self._responses[name] = {
                language: BotMessage(
                    str(text),
                    [
                        Button(str(b["title"].get(language) or b["title"]["en"]), str(b["payload"]))
                        for b in buttons
                    ],
                )
                for language, text in texts.items()
            }

    def names(self) -> list[str]:
        return sorted(self._responses)

    def render(self, name: str, language: Language, **values: Any) -> BotMessage:
        """The variation for `language` (else the default, else English), with {placeholders} filled in."""
        try:
            variations = self._responses[name]
        except KeyError as exc:
            raise UnknownResponse(name) from exc
        message = variations.get(language) or variations.get("*") or variations[FALLBACK_LANGUAGE]
        text = message.text.format(**values) if values else message.text
        return BotMessage(text, list(message.buttons))


def _condition_language(condition: Any) -> str | None:
    for item in condition or []:
        if isinstance(item, dict) and item.get("type") == "slot" and item.get("name") == "language":
            return str(item.get("value"))
    return None
