"""The roaming advisory in conversation, through /api/chat with the real actions and the rules of
data/roaming.yml (RoamingDialogue stands in for Rasa's NLU and policies: texts map to intents by table)."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest

from bot.roaming import booking, formatting, schedule, subscriptions
from bot.roaming.errors import BookingRefused
from bot.storage.store import conversation_id_for
from tests.bot.roaming.apps import RoamingApp, payloads, roaming_app, texts
from tests.bot.roaming.builders import add_event, add_training, add_visit, at, slot_ids

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

VISIT_QUESTIONS = {
    "fi": "milloin neuvoja on Jämsässä?",
    "sv": "när är rådgivaren i Jamsa?",
    "en": "when is the advisor in jamsa",
    "ru": "когда консультант будет в Ямсе?",
    "uk": "коли консультант буде в Ямсі?",
    "ar": "متى يكون المرشد في يامسا؟",
    "so": "goorma ayuu la-taliyuhu joogaa Jamsa?",
    "fa": "مشاور کی در یامسا هست؟",
}
# How each language names Finnish, English and Arabic (written here, not read from the texts).
SPOKEN = {
    "fi": ("suomi", "englanti", "arabia"),
    "sv": ("finska", "engelska", "arabiska"),
    "en": ("Finnish", "English", "Arabic"),
    "ru": ("финский", "английский", "арабский"),
    "uk": ("фінська", "англійська", "арабська"),
    "ar": ("الفنلندية", "الإنجليزية", "العربية"),
    "so": ("Af-Finnish", "Af-Ingiriis", "Af-Carabi"),
    "fa": ("فنلاندی", "انگلیسی", "عربی"),
}
BOOK = {
    "varaa aika Jämsään": "book_visit",
    "بدي احجز موعد في يامسا": "book_visit",
    "Varaa aika": "book_visit",
}
CANCEL = {"peru varaus": "cancel_booking", "إلغاء الحجز": "cancel_booking"}


def slot_payloads(reply: dict[str, object]) -> list[str]:
    return [p for p in payloads(reply) if p.startswith("slot ")]


@pytest.mark.parametrize("language", list(VISIT_QUESTIONS))
async def test_next_visits_in_every_language_with_the_languages_spoken(tmp_path: Path, language: str) -> None:
    intents = {text: "ask_advisor_visits" for text in VISIT_QUESTIONS.values()}
    async with roaming_app(tmp_path, intents) as bot:
        add_visit(bot.store, "Jämsä", at(3), languages="fi,en,ar")
        add_visit(bot.store, "Jyväskylä", at(2))  # another municipality: not listed
        reply = await bot.chat("u1", VISIT_QUESTIONS[language], language)
        said = texts(reply)
        assert bot.text("roaming_visits_header", language, municipality="Jämsä") in said
        assert said.count("• ") == 1  # the one Jämsä visit, not Jyväskylä's
        for name in SPOKEN[language]:
            assert name in said
        weekday = bot.text("roaming_weekdays", language).split()[formatting.local(at(3)).weekday()]
        assert weekday in said
        assert "Jämsä" in said and "Jyväskylä" not in said  # the Finnish form, whatever the language
        assert payloads(reply) == [bot.text("roaming_book_button", language)]


async def test_the_municipality_is_asked_when_unknown_then_remembered(tmp_path: Path) -> None:
    intents = {"when does the advisor come?": "ask_advisor_visits", "events near me": "ask_events"}
    async with roaming_app(tmp_path, intents) as bot:
        add_visit(bot.store, "Äänekoski", at(4))
        add_event(bot.store, "Konnevesi", at(5), {"en": "Language café", "fi": "Kielikahvila"})
        first = await bot.chat("u2", "when does the advisor come?", "en")
        assert first["replies"][-1]["text"] == bot.text("roaming_ask_municipality", "en")
        unknown = await bot.chat("u2", "Tampere", "en")
        assert unknown["replies"][0]["text"].startswith("I did not recognise the municipality")
        assert "Kuhmoinen" in unknown["replies"][0]["text"]  # the list of municipalities
        assert unknown["replies"][-1]["text"] == bot.text("roaming_ask_municipality", "en")
        answer = await bot.chat("u2", "Aanekoskella", "en")
        assert bot.text("roaming_visits_header", "en", municipality="Äänekoski") in texts(answer)
        # "near me" now means Äänekoski: Konnevesi is in its sub-region
        events = await bot.chat("u2", "events near me", "en")
        assert bot.text("roaming_events_header", "en", municipality="Äänekoski") in texts(events)
        assert "Language café" in texts(events) and "Konnevesi" in texts(events)


async def test_no_visits_points_to_the_nearest_ones(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {"milloin neuvoja on Luhangassa": "ask_advisor_visits"}) as bot:
        add_visit(bot.store, "Joutsa", at(6), sample=True)
        said = texts(await bot.chat("u3", "milloin neuvoja on Luhangassa", "fi"))
        assert bot.text("roaming_no_visits", "fi", municipality="Luhanka") in said
        assert "Joutsa" in said and "[ESIMERKKI, ei oikea aika]" in said  # sample data is labelled


async def book(
    bot: RoamingApp, sender: str, language: str, text: str, slot: str, topic: str
) -> dict[str, object]:
    reply = await bot.chat(sender, text, language)
    assert slot in slot_payloads(reply)
    reply = await bot.chat(sender, slot, language)
    assert reply["replies"][-1]["text"] == bot.text("roaming_ask_interpreter", language)
    reply = await bot.chat(sender, "interpreter none", language)
    assert reply["replies"][-1]["text"] == bot.text("roaming_ask_topic", language)
    return await bot.chat(sender, topic, language)


async def test_booking_a_visit_on_the_web(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, BOOK) as bot:
        visit = add_visit(bot.store, "Jämsä", at(3), slots=3)
        first, second, _ = slot_ids(bot.store, visit)
        reply = await bot.chat("web-1", "varaa aika Jämsään", "fi")
        assert reply["replies"][-1]["text"] == bot.text("roaming_ask_slot", "fi", municipality="Jämsä")
        assert slot_payloads(reply) == [
            f"slot {first}",
            f"slot {second}",
            f"slot {slot_ids(bot.store, visit)[2]}",
        ]
        await bot.chat("web-1", f"slot {second}", "fi")
        interpreter = await bot.chat("web-1", "tarvitsen arabian tulkin", "fi")  # typed, not pressed
        assert interpreter["replies"][-1]["text"] == bot.text("roaming_ask_topic", "fi")
        done = await bot.chat("web-1", "Kelan asumistuki", "fi")
        said = texts(done)
        assert (
            said.startswith("Varattu ✔")
            and "Jämsä" in said
            and "arabia" in said
            and "Kelan asumistuki" in said
        )
        assert bot.text("roaming_no_reminder", "fi") in said  # the web chat cannot send a reminder
        made = await anyio.to_thread.run_sync(
            booking.upcoming_bookings, bot.store, conversation_id_for("web", "web-1"), at(0)
        )
        assert [(b.slot_id, b.interpreter_language, b.topic, b.contact_channel) for b in made] == [
            (second, "ar", "Kelan asumistuki", "web")
        ]


async def test_a_full_slot_is_refused_in_the_persons_language_and_freed_by_cancelling(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {**BOOK, **CANCEL}) as bot:
        visit = add_visit(bot.store, "Jämsä", at(3), slots=2, capacity=1)
        first, second = slot_ids(bot.store, visit)
        # B (Arabic) sees both times offered, then A (Finnish) takes the first one
        offered = await bot.chat("b", "بدي احجز موعد في يامسا", "ar")
        assert f"slot {first}" in slot_payloads(offered)
        done = await book(bot, "a", "fi", "varaa aika Jämsään", f"slot {first}", "työnhaku")
        assert texts(done).startswith("Varattu ✔")
        # B presses the time A took: refused, in Arabic, and offered what is left
        refused = await bot.chat("b", f"slot {first}", "ar")
        slot = schedule.slot_with_visit(bot.store, first)
        assert slot is not None
        when = formatting.when(bot.responses, "ar", slot[1].starts_at, slot[1].ends_at)
        assert refused["replies"][0]["text"] == bot.text("roaming_slot_full", "ar", when=when)
        assert refused["replies"][0]["text"].startswith("عذراً")
        assert slot_payloads(refused) == [f"slot {second}"]
        # A cancels; the time is free again and B books it
        cancelled = await bot.chat("a", "peru varaus", "fi")
        assert texts(cancelled).startswith("Peruttu:") and "Jämsä" in texts(cancelled)
        freed = schedule.slot_with_visit(bot.store, first)
        assert freed is not None and freed[1].free == 1
        await bot.chat("b", f"slot {first}", "ar")
        await bot.chat("b", "interpreter ar", "ar")
        booked = await bot.chat("b", "أحتاج مساعدة في طلب الإقامة", "ar")
        assert texts(booked).startswith("تم الحجز ✔")


async def test_the_last_place_taken_while_the_form_is_open_is_refused_at_the_end(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, BOOK) as bot:
        visit = add_visit(bot.store, "Jämsä", at(3), slots=1, capacity=1)
        (only,) = slot_ids(bot.store, visit)
        await bot.chat("a", "varaa aika Jämsään", "fi")
        await bot.chat("a", f"slot {only}", "fi")
        await bot.chat("a", "interpreter none", "fi")
        other = bot.store.conversation("web", "other").id
        await anyio.to_thread.run_sync(
            lambda: booking.book(
                bot.store,
                other,
                only,
                language="en",
                interpreter_language=None,
                topic="x",
                contact_channel="web",
                now=at(0),
            )
        )
        late = await bot.chat("a", "oleskelulupa", "fi")
        assert texts(late).startswith("Valitettavasti aika") and "on jo täynnä" in texts(late)
        assert booking.upcoming_bookings(bot.store, conversation_id_for("web", "a"), at(0)) == []


async def test_stopping_the_form_books_nothing(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, BOOK) as bot:
        visit = add_visit(bot.store, "Jämsä", at(3))
        await bot.chat("s", "varaa aika Jämsään", "fi")
        await bot.chat("s", f"slot {slot_ids(bot.store, visit)[0]}", "fi")
        stopped = await bot.chat("s", "peru", "fi")
        assert texts(stopped) == bot.text("roaming_booking_stopped", "fi")
        assert booking.upcoming_bookings(bot.store, conversation_id_for("web", "s"), at(0)) == []
        # the next message is not taken as a form answer
        again = await bot.chat("s", "varaa aika Jämsään", "fi")
        assert slot_payloads(again)


async def test_a_municipality_without_free_times_says_so(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, BOOK) as bot:
        reply = await bot.chat("n", "varaa aika Jämsään", "fi")
        first_contact, answer = (r["text"] for r in reply["replies"])
        assert first_contact == bot.text("utter_privacy_notice", "fi")
        assert answer == bot.text("roaming_no_slots", "fi", municipality="Jämsä")


async def test_subscribing_needs_a_channel_that_can_send_news(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {"tilaa tapahtumauutiset Laukaasta": "subscribe_events"}) as bot:
        reply = await bot.chat("w", "tilaa tapahtumauutiset Laukaasta", "fi")
        assert reply["replies"][-1]["text"] == bot.text("roaming_subscribe_needs_push", "fi")
        assert subscriptions.subscribers(bot.store) == []


async def test_professionals_register_for_a_training(tmp_path: Path) -> None:
    intents = {"haluan ilmoittautua koulutukseen": "register_training"}
    async with roaming_app(tmp_path, intents) as bot:
        full = add_training(bot.store, "Jämsä", at(8), {"fi": "Tulkin käyttö"}, capacity=0)
        open_ = add_training(
            bot.store, "Jyväskylä", at(10), {"fi": "Selkokieli asiakastyössä", "en": "Plain language"}
        )
        listed = await bot.chat("pro", "haluan ilmoittautua koulutukseen", "fi")
        assert "Tulkin käyttö" in texts(listed) and "(täynnä)" in texts(listed)
        assert payloads(listed) == [f"training {open_}"]  # a full training has no button
        refused = await bot.chat("pro", f"training {full}", "fi")
        assert refused["replies"][0]["text"] == bot.text("roaming_training_full", "fi", title="Tulkin käyttö")
        await bot.chat("pro", f"training {open_}", "fi")
        done = await bot.chat("pro", "Laukaan kunta, varhaiskasvatus", "fi")
        assert texts(done).startswith("Ilmoittautuminen vastaanotettu ✔ Selkokieli asiakastyössä")
        again = await bot.chat("pro", "haluan ilmoittautua koulutukseen", "fi")
        await bot.chat("pro", f"training {open_}", "fi")
        twice = await bot.chat("pro", "Laukaan kunta", "fi")
        assert texts(twice) == bot.text("roaming_training_already", "fi", title="Selkokieli asiakastyössä")
        assert again["replies"]


async def test_booking_is_refused_for_a_slot_in_the_past_or_of_a_cancelled_visit(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {}) as bot:
        past = slot_ids(bot.store, add_visit(bot.store, "Jämsä", at(-1)))[0]
        called_off = slot_ids(bot.store, add_visit(bot.store, "Jämsä", at(2), cancelled=True))[0]
        who = bot.store.conversation("web", "p").id
        for slot in (past, called_off):
            with pytest.raises(BookingRefused):
                booking.book(
                    bot.store,
                    who,
                    slot,
                    language="fi",
                    interpreter_language=None,
                    topic=None,
                    contact_channel="web",
                    now=at(0),
                )


def test_texts_have_the_same_placeholders_in_every_language(responses: object) -> None:
    import yaml

    from bot.dialogue.responses import TEXTS_DIR

    data = yaml.safe_load((TEXTS_DIR / "roaming.yml").read_text(encoding="utf-8"))
    for name, spec in data.items():
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in spec["text"].items()}
        assert len(set(map(frozenset, placeholders.values()))) == 1, (name, placeholders)
        assert set(spec["text"]) == set(SPOKEN), name
