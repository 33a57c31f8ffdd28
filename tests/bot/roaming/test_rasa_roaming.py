"""End to end with the real Rasa: the roaming rules, forms and actions as users meet them through /api/chat.

Starts its own Rasa + app on free loopback ports (training the model first if the inputs changed), with a
fresh database holding the SAMPLE data (dates moved to start tomorrow).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.launcher import RASA_BIN, Stack, free_port, log_tail, rasa_log_path, start_stack
from bot.roaming import booking, importer
from bot.roaming.clock import utcnow
from bot.storage.store import ConversationStore, conversation_id_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, ConversationStore]]:
    if not RASA_BIN.exists():
        pytest.skip(f"Rasa is not installed at {RASA_BIN}: run `make setup-rasa`")
    database = f"sqlite:///{tmp_path_factory.mktemp('roaming') / 'app.db'}"
    store = ConversationStore(database)
    importer.import_folder(store, importer.SAMPLE_DIR, shift_days=importer.sample_shift())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", database)
        rasa_port = free_port()
        running = start_stack(free_port(), rasa_port, timeout=300)
    if running.rasa is None or running.rasa.poll() is not None:
        running.stop()
        pytest.fail("Rasa did not start:\n" + log_tail(rasa_log_path(rasa_port)))
    yield running, store
    running.stop()


def chat(stack: Stack, sender: str, text: str, language: str = "fi") -> dict[str, Any]:
    body = {"sender_id": sender, "text": text, "language": language}
    response = httpx.post(f"{stack.app_url}/api/chat", json=body, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def said(reply: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in reply["replies"])


def buttons(reply: dict[str, Any]) -> list[str]:
    return [b["payload"] for r in reply["replies"] for b in r["buttons"]]


def test_visits_are_listed_for_an_inflected_municipality(stack: tuple[Stack, ConversationStore]) -> None:
    service, _ = stack
    reply = chat(service, "r1", "milloin neuvoja on Jämsässä?")
    assert reply["intent"] == "ask_advisor_visits"
    assert "Liikkuvan neuvojan seuraavat käynnit, Jämsä:" in said(reply)
    assert "[ESIMERKKI, ei oikea aika]" in said(reply)
    reply = chat(service, "r1b", "когда консультант будет в Ювяскюле?", "ru")
    assert "Ближайшие приёмы выездного консультанта, Jyväskylä:" in said(reply)


def test_a_general_question_gets_the_knowledge_base_then_the_municipality_is_asked(
    stack: tuple[Stack, ConversationStore],
) -> None:
    service, _ = stack
    reply = chat(service, "r2", "When is the advisor coming to my municipality?", "en")
    assert reply["topic"] == "advisory_service"
    assert reply["replies"][-1]["text"].startswith("Which municipality?")
    reply = chat(service, "r2", "Aanekoski", "en")
    assert "The roaming advisor's next visits to Äänekoski:" in said(reply)


def test_booking_and_cancelling_through_rasa(stack: tuple[Stack, ConversationStore]) -> None:
    service, store = stack
    reply = chat(service, "r3", "haluan varata ajan neuvojalle Jämsään")
    assert reply["intent"] == "book_visit"
    slots = [p for p in buttons(reply) if p.startswith("slot ")]
    assert slots, said(reply)
    reply = chat(service, "r3", slots[0])
    assert said(reply).endswith("Valitse alta tai kirjoita kieli.")
    reply = chat(service, "r3", "interpreter none")
    assert "Mistä haluaisit puhua?" in said(reply)
    reply = chat(service, "r3", "asumistuki ja vuokrasopimus")
    assert said(reply).startswith("Varattu ✔"), said(reply)
    conversation = conversation_id_for("web", "r3")
    (made,) = booking.upcoming_bookings(store, conversation, utcnow())
    assert made.slot_id == int(slots[0].split()[1]) and made.topic == "asumistuki ja vuokrasopimus"
    reply = chat(service, "r3", "peru varaus")
    assert reply["intent"] == "cancel_booking"
    assert said(reply).startswith("Peruttu:")
    assert booking.upcoming_bookings(store, conversation, utcnow()) == []


def test_a_professional_registers_for_a_training(stack: tuple[Stack, ConversationStore]) -> None:
    service, _ = stack
    reply = chat(service, "r4", "haluan ilmoittautua koulutukseen")
    assert reply["intent"] == "register_training"
    choices = [p for p in buttons(reply) if re.fullmatch(r"training \d+", p)]
    assert choices, said(reply)
    reply = chat(service, "r4", choices[0])
    assert "Missä organisaatiossa" in said(reply)
    reply = chat(service, "r4", "Jämsän kaupunki, varhaiskasvatus")
    assert said(reply).startswith("Ilmoittautuminen vastaanotettu ✔")


def test_events_near_me_after_the_municipality_is_known(stack: tuple[Stack, ConversationStore]) -> None:
    service, _ = stack
    chat(service, "r5", "milloin neuvoja on Laukaassa?")
    reply = chat(service, "r5", "mitä tapahtumia on lähistöllä")
    assert reply["intent"] == "ask_events"
    assert "Tulossa lähellä, Laukaa:" in said(reply) or "Lähellä ei ole juuri nyt tulossa" in said(reply)
