"""The webhook end to end: real update JSON in, the exact Bot API calls PTB makes to the fake out."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.dialogue.responses import BotMessage, Button
from bot.storage.store import conversation_id_for
from channels.telegram.adapter import MAX_BODY_BYTES
from tests.channels.telegram.harness import SECRET, telegram_app
from tests.fakes_telegram import (
    MEDIA,
    FakeBotApi,
    callback_update,
    message_update,
    text_update,
    utf16_length,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

CHAT = 7_100_200_300


# 1. Only Telegram, proven by the secret, gets in.


@pytest.mark.parametrize("secret", ["", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_a_request_without_the_right_secret_is_refused_before_anything_is_stored(
    tmp_path: Path, fake: FakeBotApi, secret: str
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        update = text_update(CHAT, "hello", update_id=501)
        response = await t.post(update, secret=secret)
        await t.settle()
        assert response.status_code == 403
        assert t.stored_rows() == {"conversations": 0, "messages": 0, "inbound_receipts": 0}
        assert fake.calls("sendMessage") == []
        # The refused request did not use up the update id: Telegram's own delivery is answered.
        assert (await t.post(update)).status_code == 200
        await t.settle()
        assert [m["text"] for m in fake.sent()] == ["echo: hello"]


async def test_without_a_configured_secret_the_webhook_refuses_everything(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake, secret="") as t:  # long-polling mode
        for header in ("", "anything", SECRET):
            response = await t.post(text_update(CHAT, "hello"), secret=header)
            assert response.status_code == 403
        await t.settle()
        assert t.stored_rows() == {"conversations": 0, "messages": 0, "inbound_receipts": 0}
        assert fake.calls("sendMessage") == []


# 2. Telegram redelivers; the person gets one answer.


async def test_the_same_update_delivered_three_times_is_answered_once(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        update = text_update(CHAT, "where do I get a tax card", update_id=777)
        first = await t.post(update)
        again = await asyncio.gather(t.post(update), t.post(update))
        await t.settle()
        assert [r.status_code for r in (first, *again)] == [200, 200, 200]
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: where do I get a tax card"}]
        assert t.dialogue.seen == [(t.conversation(CHAT).id, "where do I get a tax card", "en")]


# 3. /start, the language picker, and pressing a language button.


async def test_start_shows_the_privacy_notice_and_a_language_picker_with_one_button_per_row(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        await t.post(text_update(CHAT, "/start"))
        await t.settle()
        picker = t.responses.render("utter_choose_language", "en")
        assert fake.sent() == [
            {"chat_id": CHAT, "text": t.text("utter_privacy_notice", "en")},
            {
                "chat_id": CHAT,
                "text": picker.text,
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": b.title, "callback_data": b.payload}] for b in picker.buttons
                    ]
                },
            },
        ]
        assert len(picker.buttons) == 8


async def test_pressing_a_language_button_acknowledges_it_and_answers_in_that_language(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        await t.post(text_update(CHAT, "/start"))
        await t.settle()
        finnish = next(
            b for b in t.responses.render("utter_choose_language", "en").buttons if b.title == "suomi"
        )
        await t.post(callback_update(CHAT, finnish.payload, query_id="4382010001"))
        await t.settle()
        assert [c.params for c in fake.calls("answerCallbackQuery")] == [{"callback_query_id": "4382010001"}]
        assert fake.sent()[-1] == {"chat_id": CHAT, "text": t.text("utter_language_set", "fi")}
        assert t.dialogue.seen[-1][1] == finnish.payload  # the payload went on as the message text
        # The choice sticks: the app's own texts now come in Finnish.
        await t.post(text_update(CHAT, "/privacy"))
        await t.settle()
        assert fake.sent()[-1] == {"chat_id": CHAT, "text": t.text("utter_privacy", "fi")}
        assert t.text("utter_privacy", "fi") != t.text("utter_privacy", "en")


async def test_a_redelivered_button_press_is_acknowledged_and_answered_once(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        press = callback_update(CHAT, '/set_language{"language": "sv"}', update_id=9001)
        for _ in range(3):
            assert (await t.post(press)).status_code == 200
        await t.settle()
        assert len(fake.calls("answerCallbackQuery")) == 1
        assert fake.sent() == [{"chat_id": CHAT, "text": t.text("utter_language_set", "sv")}]


# 4. What is not text: a hint in the person's language, or straight to the advisor holding the chat.


async def test_non_text_gets_the_hint_in_the_persons_language(tmp_path: Path, fake: FakeBotApi) -> None:
    async with telegram_app(tmp_path, fake) as t:
        hint = t.text("utter_non_text", "fi")
        assert hint != t.text("utter_non_text", "en")
        for chat, kind in enumerate(sorted(MEDIA), start=CHAT):
            conversation = t.conversation(chat)
            t.store.set_language(conversation.id, "fi", locked=True)
            content, _ = MEDIA[kind]
            assert (await t.post(message_update(chat, content))).status_code == 200
            await t.settle()
            assert fake.sent()[-1] == {"chat_id": chat, "text": hint}, kind
            inbound = t.store.message_records(conversation.id)[0]
            assert (inbound.direction, inbound.kind) == ("in", kind)
        assert len(fake.sent()) == len(MEDIA)


async def test_while_an_advisor_holds_the_conversation_messages_are_recorded_with_their_file_and_not_answered(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        for chat, kind in enumerate(sorted(MEDIA), start=CHAT):
            conversation = t.conversation(chat)
            t.store.assign(conversation.id, "advisor-1")
            content, media_ref = MEDIA[kind]
            await t.post(message_update(chat, content))
            await t.post(text_update(chat, "are you there?"))
            await t.settle()
            records = t.store.message_records(conversation.id)
            assert [(r.direction, r.channel, r.kind, r.media_ref) for r in records] == [
                ("in", "telegram", kind, media_ref),
                ("in", "telegram", "text", None),
            ], kind
            assert records[1].text == "are you there?"
            if kind == "photo":
                assert records[0].text == "my residence permit letter"  # the caption goes along
        assert fake.calls("sendMessage") == []
        # Handed back to the bot, the same person is answered again.
        t.store.assign(t.conversation(CHAT).id, None)
        await t.post(text_update(CHAT, "hello again"))
        await t.settle()
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: hello again"}]


# 5. Flood control, flaky networks and refusals.


async def test_flood_control_waits_as_told_then_delivers_once(tmp_path: Path, fake: FakeBotApi) -> None:
    async with telegram_app(tmp_path, fake) as t:
        fake.fail_next("sendMessage", status=429, retry_after=7)
        await t.post(text_update(CHAT, "hello"))
        await t.settle()
        assert [c.status for c in fake.calls("sendMessage")] == [429, 200]
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: hello"}]
        assert 7.0 in t.sleep.waits  # waited exactly what Telegram asked
        assert t.store.escalations() == []


async def test_server_errors_are_retried_with_growing_waits_then_delivered_once(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        fake.fail_next("sendMessage", times=2, status=500)
        fake.fail_next("sendMessage", times=1, status=502)
        await t.post(text_update(CHAT, "hello"))
        await t.settle()
        assert [c.status for c in fake.calls("sendMessage")] == [500, 500, 502, 200]
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: hello"}]
        assert t.sleep.waits[-3:] == [0.01, 0.02, 0.04]  # FAST_BACKOFF, doubling
        assert t.store.escalations() == []


async def test_a_blocked_bot_is_not_retried_and_the_undelivered_reply_goes_to_an_advisor(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        fake.blocked_chats.add(CHAT)
        await t.post(text_update(CHAT, "hello"))
        await t.settle()
        assert [c.status for c in fake.calls("sendMessage")] == [403]
        escalations = t.store.escalations()
        assert [(e.reason, e.channel, e.conversation_id) for e in escalations] == [
            ("delivery_failed", "telegram", conversation_id_for("telegram", str(CHAT)))
        ]
        assert escalations[0].transcript == [{"from": "bot", "text": "echo: hello"}]


async def test_when_server_errors_outlast_the_retries_the_reply_goes_to_an_advisor(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        fake.fail_next("sendMessage", times=10, status=500)
        await t.post(text_update(CHAT, "hello"))
        await t.settle()
        assert len(fake.calls("sendMessage")) == 4  # FAST_RETRY.attempts, then no more
        assert fake.sent() == []
        assert [e.reason for e in t.store.escalations()] == ["delivery_failed"]


# 6. Long replies and buttons Telegram cannot carry.


async def test_a_reply_over_4096_characters_arrives_in_pieces_with_the_buttons_on_the_last(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        paragraphs = [f"Paragraph {i}:" + " Kela pays housing allowance." * 40 for i in range(10)]
        long_text = "\n\n".join(paragraphs)
        assert len(long_text) > 2 * 4096
        t.dialogue.scripted["tell me everything"] = [
            BotMessage(long_text, [Button("Yes", "/affirm"), Button("No", "/deny")])
        ]
        await t.post(text_update(CHAT, "tell me everything"))
        await t.settle()
        sent = fake.sent()
        assert len(sent) == 4  # three ~1,200-character paragraphs fit in one message, four do not
        assert all(utf16_length(m["text"]) <= 4096 for m in sent)
        assert all(m["chat_id"] == CHAT for m in sent)
        # Cut between paragraphs only, and nothing lost.
        assert "\n\n".join(m["text"] for m in sent) == long_text
        assert [("reply_markup" in m) for m in sent] == [False, False, False, True]
        assert sent[-1]["reply_markup"]["inline_keyboard"] == [
            [{"text": "Yes", "callback_data": "/affirm"}],
            [{"text": "No", "callback_data": "/deny"}],
        ]


async def test_buttons_with_payloads_over_64_bytes_become_numbered_options_that_a_number_picks(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        long_payload = "/" + "choose_the_option_about_residence_permits_" * 2
        assert len(long_payload.encode()) > 64
        t.dialogue.scripted["options please"] = [
            BotMessage("Which one?", [Button("Short", "/affirm"), Button("Long", long_payload)])
        ]
        await t.post(text_update(CHAT, "options please"))
        await t.post(text_update(CHAT, "2"))
        await t.settle()
        hint = t.text("utter_options_hint", "en")
        assert fake.sent()[0] == {"chat_id": CHAT, "text": f"Which one?\n\n{hint}\n1. Short\n2. Long"}
        assert t.dialogue.seen[-1][1] == long_payload.lstrip("/")  # "2" meant the second option


# 7. Whatever arrives, the app answers with a clear 4xx and keeps serving.


def _body(update: dict[str, object]) -> bytes:
    return json.dumps(update).encode()


_MESSAGE = text_update(CHAT, "hello", update_id=1)["message"]
MALFORMED: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"hello there", 400, "not valid JSON"),
    ("empty body", b"", 400, "not valid JSON"),
    ("invalid UTF-8", b'{"update_id": 1, "message": "\xff\xfe"}', 400, "UTF-8"),
    ("a list", b"[1, 2, 3]", 400, "JSON object"),
    ("a string", b'"update"', 400, "JSON object"),
    ("no update_id", _body({"message": _MESSAGE}), 400, "update_id"),
    ("update_id as string", _body({"update_id": "1", "message": _MESSAGE}), 400, "update_id"),
    ("update_id as float", _body({"update_id": 1.5, "message": _MESSAGE}), 400, "update_id"),
    ("update_id as bool", _body({"update_id": True, "message": _MESSAGE}), 400, "update_id"),
    ("message as list", _body({"update_id": 1, "message": [_MESSAGE]}), 400, "message"),
    ("message without chat", _body({"update_id": 1, "message": {"message_id": 1, "text": "x"}}), 400, "chat"),
    (
        "chat id as string",
        _body({"update_id": 1, "message": {**_MESSAGE, "chat": {"id": "7", "type": "private"}}}),
        400,
        "message.chat.id",
    ),
    ("text as number", _body({"update_id": 1, "message": {**_MESSAGE, "text": 42}}), 400, "message.text"),
    (
        "callback without id",
        _body({"update_id": 1, "callback_query": {"from": {"id": CHAT}, "data": "/affirm"}}),
        400,
        "callback_query.id",
    ),
    ("1 MiB body", b'{"update_id": 1, "pad": "' + b"x" * (1 << 20) + b'"}', 413, "larger than"),
]


async def test_malformed_bodies_get_a_clear_4xx_and_the_next_update_is_served(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        for n, (case, body, status, says) in enumerate(MALFORMED):
            response = await t.post(body, headers={"Content-Type": "application/json"})
            assert (response.status_code, case) == (status, case)
            assert says in response.json()["error"], case
            assert t.stored_rows()["inbound_receipts"] == n, case  # only the valid updates below
            assert (await t.post(text_update(CHAT, f"still there? {n}"))).status_code == 200
            await t.settle()
            assert fake.sent()[-1] == {"chat_id": CHAT, "text": f"echo: still there? {n}"}, case
        assert len(fake.sent()) == len(MALFORMED)


async def test_an_oversized_body_without_content_length_is_cut_off_while_streaming(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"update_id": 1, "pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    async with telegram_app(tmp_path, fake) as t:
        response = await t.post(chunks())
        assert response.status_code == 413
        assert MAX_BODY_BYTES < 20 * 65536


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "my_chat_member", "inline_query"])
async def test_update_types_the_bot_does_not_handle_are_acknowledged_and_ignored(
    tmp_path: Path, fake: FakeBotApi, kind: str
) -> None:
    async with telegram_app(tmp_path, fake) as t:
        response = await t.post({"update_id": 42, kind: {**_MESSAGE, "text": "edited question"}})
        await t.settle()
        assert response.status_code == 200
        assert fake.calls("sendMessage") == []
        assert t.stored_rows()["messages"] == 0


async def test_a_service_message_is_acknowledged_and_not_answered(tmp_path: Path, fake: FakeBotApi) -> None:
    async with telegram_app(tmp_path, fake) as t:
        pinned = message_update(CHAT, {"pinned_message": {**_MESSAGE}})
        assert (await t.post(pinned)).status_code == 200
        await t.settle()
        assert fake.calls("sendMessage") == []
        assert t.stored_rows()["messages"] == 0


# Privacy: what reaches the log.


async def test_logs_carry_neither_message_text_nor_chat_ids_nor_the_token(
    tmp_path: Path, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with telegram_app(tmp_path, fake) as t:
        fake.fail_next("sendMessage", status=500)
        await t.post(text_update(CHAT, "my secret question about asylum"))
        await t.post(callback_update(CHAT, "/affirm"))
        await t.post(b"not json")
        await t.settle()
        fake.blocked_chats.add(CHAT)
        await t.post(text_update(CHAT, "another private thing"))
        await t.settle()
    assert len(fake.sent()) == 2  # it did happen: a retry, a button, a refusal
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "telegram" in logged
    for private in (str(CHAT), "secret question", "another private thing", fake.token, SECRET):
        assert private not in logged
