"""Update JSON -> InboundMessage: every kind, button presses, what is ignored, what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.conversation.messages import MessageKind
from channels.telegram.updates import MalformedUpdate, parse_update, translate
from tests.fakes_telegram import MEDIA, callback_update, message_update, text_update

pytestmark = pytest.mark.unit

CHAT = 5550001


def test_a_text_message_becomes_a_text_message_from_the_chat() -> None:
    translation = translate(parse_update(text_update(CHAT, "Miten saan verokortin?", update_id=12)))
    message = translation.message
    assert message is not None
    assert (message.sender_id, message.text, message.channel, message.kind) == (
        str(CHAT),
        "Miten saan verokortin?",
        "telegram",
        MessageKind.TEXT,
    )
    assert message.language is None  # Telegram's app language is a hint, not the person's choice
    assert message.metadata == {
        "telegram_update_id": 12,
        "telegram_language_code": "en",
        "language_hint": "en",
    }
    assert (translation.update_id, translation.callback_query_id) == (12, None)


@pytest.mark.parametrize("kind", sorted(MEDIA))
def test_each_kind_of_content_keeps_its_kind_and_file(kind: str) -> None:
    content, media_ref = MEDIA[kind]
    message = translate(parse_update(message_update(CHAT, content))).message
    assert message is not None
    assert (message.kind, message.media_ref) == (MessageKind(kind), media_ref)
    assert message.text == content.get("caption", "")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ({"video_note": {"file_id": "DQACAground", "file_unique_id": "x", "length": 240}}, MessageKind.VIDEO),
        ({"animation": {"file_id": "CgACAgGif", "file_unique_id": "x"}}, MessageKind.VIDEO),
        (
            {"venue": {"location": {"latitude": 62.0, "longitude": 25.5}, "title": "Kela"}},
            MessageKind.LOCATION,
        ),
        ({"poll": {"id": "1", "question": "?"}}, MessageKind.OTHER),
        ({"dice": {"emoji": "🎲", "value": 4}}, MessageKind.OTHER),
    ],
)
def test_other_content_maps_to_the_nearest_kind(content: dict[str, Any], kind: MessageKind) -> None:
    message = translate(parse_update(message_update(CHAT, content))).message
    assert message is not None and message.kind is kind


def test_a_button_press_becomes_its_payload_from_the_chat_with_the_query_to_acknowledge() -> None:
    update = callback_update(CHAT, '/set_language{"language": "ar"}', update_id=90, query_id="q-1")
    translation = translate(parse_update(update))
    assert translation.callback_query_id == "q-1"
    assert translation.message is not None
    assert (translation.message.sender_id, translation.message.text) == (
        str(CHAT),
        '/set_language{"language": "ar"}',
    )


def test_a_button_press_without_data_is_acknowledged_but_not_answered() -> None:
    update = callback_update(CHAT, "x", query_id="q-2")
    del update["callback_query"]["data"]
    update["callback_query"]["game_short_name"] = "quiz"
    translation = translate(parse_update(update))
    assert (translation.message, translation.callback_query_id) == (None, "q-2")


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "edited_message": text_update(CHAT, "x")["message"]},
        {"update_id": 2, "channel_post": text_update(CHAT, "x")["message"]},
        {"update_id": 3, "my_chat_member": {"chat": {"id": CHAT, "type": "private"}}},
        message_update(CHAT, {"new_chat_title": "Group"}),
    ],
)
def test_updates_with_nothing_to_answer_translate_to_no_message(update: dict[str, Any]) -> None:
    translation = translate(parse_update(update))
    assert translation.message is None and translation.ignored


def test_unknown_fields_are_ignored() -> None:
    update = text_update(CHAT, "hi")
    update["message"]["some_field_from_bot_api_10"] = {"nested": [1, 2]}
    update["brand_new_update_type"] = {}
    assert translate(parse_update(update)).message is not None


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([], "JSON object"),
        ({}, "update_id: Field required"),
        ({"update_id": "3"}, "update_id"),
        ({"update_id": 3, "message": "hi"}, "message"),
        ({"update_id": 3, "message": {"message_id": 1, "chat": {}}}, "message.chat.id"),
        ({"update_id": 3, "message": {"message_id": 1, "chat": {"id": 1}, "photo": [{}]}}, "message.photo.0"),
        ({"update_id": 3, "callback_query": {"id": "q", "data": "x"}}, "callback_query.from"),
    ],
)
def test_malformed_updates_name_the_field_and_never_echo_the_value(data: Any, where: str) -> None:
    with pytest.raises(MalformedUpdate, match=where.replace(".", r"\.")) as caught:
        parse_update(data)
    assert "hi" not in str(caught.value)
