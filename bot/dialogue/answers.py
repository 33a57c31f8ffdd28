"""How a knowledge-base answer is shown: in the user's language (or English, with a note), source, date."""

from __future__ import annotations

from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language
from bot.retrieval.retriever import Answer


def answer_message(responses: ResponseCatalog, answer: Answer, language: Language) -> BotMessage:
    template = "utter_kb_answer_in_english" if answer.fallback_language else "utter_kb_answer"
    return responses.render(
        template,
        language,
        title=answer.title,
        answer=answer.text,
        source=answer.sources[0],
        date=answer.last_reviewed,
    )
