"""TelegramOutput against the fake Bot API: what each reply becomes, and when it gives up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.config import REPO_ROOT
from bot.dialogue.responses import BotMessage, Button, ResponseCatalog
from bot.languages import Language
from bot.launcher import free_port
from channels.base import DeliveryFailed, Outgoing
from channels.telegram.client import Backoff, Timeouts, make_bot
from channels.telegram.output import MAX_TEXT, RetryPolicy, TelegramOutput, pieces, split_text
from tests.channels.telegram.harness import RecordingSleep
from tests.fakes_telegram import FakeBotApi, utf16_length

CHAT = 31337
RESPONSES = ResponseCatalog.load(REPO_ROOT / "domain.yml")


def outgoing(*messages: BotMessage, language: Language = "en") -> Outgoing:
    return Outgoing(messages=list(messages), language=language, conversation_id="c1")


@asynccontextmanager
async def telegram_output(
    url: str, token: str, retry: RetryPolicy | None = None, read_timeout: float = 3.0
) -> AsyncIterator[tuple[TelegramOutput, RecordingSleep]]:
    client = make_bot(token, url, Timeouts(connect=0.5, read=read_timeout, write=1.0, pool=1.0))
    sleep = RecordingSleep()
    retry = retry or RetryPolicy(attempts=3, backoff=Backoff(first=0.01, maximum=0.04, jitter=0))
    try:
        yield TelegramOutput(client.bot, RESPONSES, retry, sleep), sleep
    finally:
        await client.aclose()


# Splitting long texts (pure).


@pytest.mark.unit
def test_short_texts_are_one_piece_and_blank_ones_none() -> None:
    assert split_text("Hei!") == ["Hei!"]
    assert split_text("  \n ") == []


@pytest.mark.unit
def test_long_texts_are_cut_at_paragraphs_before_lines_before_spaces() -> None:
    para = "word " * 500  # 2,500 characters
    pieces_ = split_text(f"{para.strip()}\n\n{para.strip()}\nline two", limit=4096)
    assert pieces_ == [para.strip(), f"{para.strip()}\nline two"]
    lines = "\n".join(["x" * 100] * 50)  # 5,049 characters, no paragraphs
    assert [len(p) for p in split_text(lines)] == [100 * 40 + 39, 100 * 10 + 9]
    words = " ".join(["sana"] * 2000)
    assert all(len(p) <= MAX_TEXT and not p.startswith(" ") for p in split_text(words))
    assert " ".join(split_text(words)) == words


@pytest.mark.unit
def test_a_word_longer_than_a_message_is_cut_hard() -> None:
    assert [len(p) for p in split_text("a" * 9000)] == [4096, 4096, 808]


@pytest.mark.unit
def test_emoji_count_twice_as_telegram_counts_them() -> None:
    text = "🙂" * 3000  # 6,000 UTF-16 units
    result = split_text(text)
    assert [utf16_length(p) for p in result] == [4096, 1904]
    assert "".join(result) == text


@pytest.mark.unit
def test_buttons_become_an_inline_keyboard_on_the_last_piece_only() -> None:
    message = BotMessage("x " * 3000, [Button("Kyllä", "/affirm"), Button("Ei", "/deny")])
    result = pieces(message, RESPONSES, "fi")
    assert [p.keyboard is not None for p in result] == [False, True]
    keyboard = result[-1].keyboard
    assert keyboard is not None
    assert [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard] == [
        [("Kyllä", "/affirm")],
        [("Ei", "/deny")],
    ]


@pytest.mark.unit
def test_a_payload_of_exactly_64_bytes_stays_a_button_and_65_bytes_falls_back_to_numbers() -> None:
    fits, too_long = "/" + "a" * 63, "/" + "ä" * 32  # 64 bytes; 65 bytes (ä is two bytes in UTF-8)
    assert pieces(BotMessage("Pick", [Button("A", fits)]), RESPONSES, "en")[0].keyboard is not None
    fallback = pieces(BotMessage("Pick", [Button("A", fits), Button("B", too_long)]), RESPONSES, "fi")
    hint = RESPONSES.render("utter_options_hint", "fi").text
    assert [(p.text, p.keyboard) for p in fallback] == [(f"Pick\n\n{hint}\n1. A\n2. B", None)]


# Sending through PTB to the fake.


@pytest.mark.unit
@pytest.mark.anyio
async def test_messages_go_out_in_order_to_the_chat(fake: FakeBotApi) -> None:
    async with telegram_output(fake.url, fake.token) as (output, _):
        await output.send(
            str(CHAT), outgoing(BotMessage("one"), BotMessage("two", [Button("OK", "/affirm")]))
        )
    assert fake.sent() == [
        {"chat_id": CHAT, "text": "one"},
        {
            "chat_id": CHAT,
            "text": "two",
            "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "/affirm"}]]},
        },
    ]


@pytest.mark.unit
@pytest.mark.anyio
async def test_flood_control_waits_are_capped(fake: FakeBotApi) -> None:
    retry = RetryPolicy(attempts=3, backoff=Backoff(first=0.01, jitter=0), retry_after_cap=30)
    async with telegram_output(fake.url, fake.token, retry) as (output, sleep):
        fake.fail_next("sendMessage", status=429, retry_after=3600)
        await output.send(str(CHAT), outgoing(BotMessage("hello")))
    assert sleep.waits == [30]
    assert [c.status for c in fake.calls("sendMessage")] == [429, 200]


@pytest.mark.unit
@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "description"),
    [
        (400, "Bad Request: chat not found"),
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: user is deactivated"),
    ],
)
async def test_refusals_fail_at_once_without_retrying(
    fake: FakeBotApi, status: int, description: str
) -> None:
    async with telegram_output(fake.url, fake.token) as (output, sleep):
        fake.fail_next("sendMessage", status=status, description=description)
        with pytest.raises(DeliveryFailed, match="(?i)" + description.split(": ", 1)[1]):
            await output.send(str(CHAT), outgoing(BotMessage("hello"), BotMessage("second")))
    assert len(fake.calls("sendMessage")) == 1  # neither retried nor the second message tried
    assert sleep.waits == []


@pytest.mark.unit
@pytest.mark.anyio
async def test_a_timed_out_call_is_retried(fake: FakeBotApi) -> None:
    async with telegram_output(fake.url, fake.token, read_timeout=0.2) as (output, sleep):
        fake.stall_next("sendMessage", 0.5)
        await output.send(str(CHAT), outgoing(BotMessage("hello")))
        assert len(sleep.waits) == 1
        assert len(fake.sent()) == 1  # the retry; the first is still stuck
        # Telegram may still take the first one: a timeout can mean a duplicate, never a loss.
        await fake.wait_for(lambda f: len(f.sent()) == 2)


@pytest.mark.unit
@pytest.mark.anyio
async def test_an_unreachable_api_is_tried_a_bounded_number_of_times() -> None:
    async with telegram_output(f"http://127.0.0.1:{free_port()}", "1:x") as (output, sleep):
        with pytest.raises(DeliveryFailed, match="gave up after 3 attempts"):
            await output.send(str(CHAT), outgoing(BotMessage("hello")))
    assert sleep.waits == [0.01, 0.02]


@pytest.mark.unit
@pytest.mark.anyio
async def test_a_failed_button_acknowledgement_does_not_raise(fake: FakeBotApi) -> None:
    async with telegram_output(fake.url, fake.token) as (output, _):
        fake.fail_next("answerCallbackQuery", status=400, description="Bad Request: query is too old")
        await output.answer_callback("q-1")
        await output.answer_callback("q-2")
    assert [(c.params, c.status) for c in fake.calls("answerCallbackQuery")] == [
        ({"callback_query_id": "q-1"}, 400),
        ({"callback_query_id": "q-2"}, 200),
    ]


@pytest.mark.unit
@pytest.mark.anyio
async def test_the_token_never_appears_in_a_delivery_error() -> None:
    token = "987654:SECRET_TOKEN_VALUE"
    async with telegram_output(f"http://127.0.0.1:{free_port()}", token) as (output, _):
        with pytest.raises(DeliveryFailed) as caught:
            await output.send(str(CHAT), outgoing(BotMessage("hello")))
    assert "SECRET_TOKEN_VALUE" not in str(caught.value)
