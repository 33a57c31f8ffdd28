"""SMS segment counting with known values, and fitting a turn's replies into a few SMS."""

from __future__ import annotations

import pytest

from bot.dialogue.responses import BotMessage, Button, ResponseCatalog
from bot.settings import AppSettings
from channels.base import Outgoing
from channels.twilio.segments import Encoding, count, fit_for_sms, segments, shorten

pytestmark = pytest.mark.unit

ARABIC = "ب"
EMOJI = "😀"  # outside the BMP: a surrogate pair, two UTF-16 units


@pytest.fixture(scope="module")
def responses() -> ResponseCatalog:
    return ResponseCatalog.load(AppSettings.from_env({}).domain_path)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "expected"),
    [
        ("", Encoding.GSM7, 0, 0),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("Hyvää päivää, Åsa! Ñoño ¿qué? Ø§¥", Encoding.GSM7, 33, 1),
        ("Ñandú", Encoding.UCS2, 5, 1),  # ú is not in GSM-7 (é, è, ù, ì, ò, à are)
        ("€", Encoding.GSM7, 2, 1),
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 80 + "a", Encoding.GSM7, 161, 2),
        ("{[~]}|^\\", Encoding.GSM7, 16, 1),
        (ARABIC * 70, Encoding.UCS2, 70, 1),
        (ARABIC * 71, Encoding.UCS2, 71, 2),
        (ARABIC * 134, Encoding.UCS2, 134, 2),
        (ARABIC * 135, Encoding.UCS2, 135, 3),
        ("ж" * 70, Encoding.UCS2, 70, 1),
        (EMOJI, Encoding.UCS2, 2, 1),
        (EMOJI * 35, Encoding.UCS2, 70, 1),
        (EMOJI * 36, Encoding.UCS2, 72, 2),
        ("a" * 69 + EMOJI, Encoding.UCS2, 71, 2),
        # one character outside GSM-7 turns the whole message to UCS-2
        ("a" * 159 + "ж", Encoding.UCS2, 160, 3),
        ("Lisätietoa…", Encoding.UCS2, 11, 1),
        ("“quoted”", Encoding.UCS2, 8, 1),
    ],
)
def test_known_segment_counts(text: str, encoding: Encoding, units: int, expected: int) -> None:
    result = count(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, expected)


def test_a_two_unit_character_is_not_split_between_parts() -> None:
    # 306 septets would fill two parts exactly, but "€" cannot straddle them, so a third part is needed.
    assert segments("a" * 152 + "€" + "a" * 152) == 3
    assert segments("a" * 153 + "€" + "a" * 151) == 2
    # the same for a surrogate pair in UCS-2: 134 units, but the emoji cannot start at unit 67
    assert segments("ж" * 66 + EMOJI + "ж" * 66) == 3
    assert segments("ж" * 67 + EMOJI + "ж" * 65) == 2


def test_shortening_cuts_at_a_sentence_end_and_marks_the_cut() -> None:
    sentences = " ".join(f"Sentence number {i} is here." for i in range(60))
    short = shorten(sentences, 2)
    assert segments(short) <= 2
    assert short.endswith("here....")  # GSM-7 text gets "...": "…" would make it UCS-2
    assert count(short).encoding is Encoding.GSM7
    assert sentences.startswith(short.removesuffix("..."))


def test_shortening_without_sentences_cuts_between_words() -> None:
    words = " ".join(["word"] * 200)
    short = shorten(words, 1)
    assert segments(short) == 1
    assert short.endswith("word...")


def test_shortening_unicode_uses_the_ellipsis_character() -> None:
    text = " ".join(["слово"] * 100)
    short = shorten(text, 2)
    assert segments(short) <= 2
    assert short.endswith("слово…")


def test_buttons_become_numbered_options(responses: ResponseCatalog) -> None:
    outgoing = Outgoing(
        [BotMessage("Did this help?", [Button("Yes", "/affirm"), Button("No", "/deny")])], language="en"
    )
    assert fit_for_sms(outgoing, responses, 4) == ["Did this help?\n\nReply with a number:\n1. Yes\n2. No"]


def test_a_too_long_answer_becomes_the_short_version_and_a_link(responses: ResponseCatalog) -> None:
    url = "https://www.infofinland.fi/fi/tyo-ja-yrittaminen/verotus"
    answer = "Verokortti\n\n" + "Verokortin saat Verohallinnosta. " * 40 + f"\n\nLähde: {url}"
    outgoing = Outgoing(
        [BotMessage(answer), BotMessage("Auttoiko tämä?", [Button("Kyllä", "/affirm")])],
        language="fi",
        short_answer="Tilaa verokortti OmaVerossa.",
        source_url=url,
        entry_id="tax_card.basics",
    )
    bodies = fit_for_sms(outgoing, responses, 3)
    # short version and link, then the question joined to it (both small), within 3 segments
    assert bodies == [
        f"Tilaa verokortti OmaVerossa.\nLisää: {url}\n\nAuttoiko tämä?\n\nVastaa numerolla:\n1. Kyllä"
    ]
    assert all(segments(b) <= 3 for b in bodies)


def test_a_too_long_short_version_is_shortened_but_keeps_the_link(responses: ResponseCatalog) -> None:
    url = "https://example.fi/a"
    outgoing = Outgoing(
        [BotMessage("x " * 1000 + url)], language="en", short_answer="Short but long. " * 30, source_url=url
    )
    [body] = fit_for_sms(outgoing, responses, 2)
    assert segments(body) <= 2
    assert body.endswith(f"...\nMore: {url}")


def test_a_long_reply_without_a_short_version_is_shortened(responses: ResponseCatalog) -> None:
    outgoing = Outgoing([BotMessage("Tämä on pitkä lause. " * 100)], language="fi")
    [body] = fit_for_sms(outgoing, responses, 4)
    assert segments(body) == 4
    assert body.endswith("lause....")


def test_small_replies_of_a_turn_are_joined_within_the_limit(responses: ResponseCatalog) -> None:
    outgoing = Outgoing([BotMessage("Hello!"), BotMessage("Ask me anything."), BotMessage("")], language="en")
    assert fit_for_sms(outgoing, responses, 1) == ["Hello!\n\nAsk me anything."]


def test_replies_are_not_joined_past_the_limit(responses: ResponseCatalog) -> None:
    a, b = "a" * 150, "b" * 150
    outgoing = Outgoing([BotMessage(a), BotMessage(b)], language="en")
    assert fit_for_sms(outgoing, responses, 1) == [a, b]
    assert fit_for_sms(outgoing, responses, 2) == [f"{a}\n\n{b}"]


def test_joining_never_costs_more_segments_than_sending_apart(responses: ResponseCatalog) -> None:
    # A GSM-7 text of 150 characters joined to one Cyrillic word would become UCS-2: 3 segments, not 2.
    gsm, cyrillic = "a" * 150, "Привет"
    bodies = fit_for_sms(Outgoing([BotMessage(gsm), BotMessage(cyrillic)], language="ru"), responses, 4)
    assert bodies == [gsm, cyrillic]


@pytest.mark.parametrize("max_segments", [1, 2, 4, 10])
@pytest.mark.parametrize("unit", ["Ab. ", "€ ", "ж. ", f"{EMOJI} ", "مرحبا. "])
def test_every_body_fits_whatever_comes_in(responses: ResponseCatalog, unit: str, max_segments: int) -> None:
    outgoing = Outgoing([BotMessage(unit * n) for n in (3, 500, 40, 900)], language="en")
    bodies = fit_for_sms(outgoing, responses, max_segments)
    assert bodies
    assert all(1 <= segments(b) <= max_segments and len(b) <= 1600 for b in bodies)
