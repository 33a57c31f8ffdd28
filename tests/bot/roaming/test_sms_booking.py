"""Booking by SMS: the times come as numbered lines, and the person answers with a number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.roaming import booking
from bot.roaming.clock import utcnow
from bot.storage.store import conversation_id_for
from tests.bot.roaming.apps import make_dialogue
from tests.bot.roaming.builders import add_visit, at, slot_ids
from tests.fakes_twilio import FakeTwilio, fake_twilio, inbound_fields, post_signed, running_sms_app, settle

pytestmark = [pytest.mark.unit, pytest.mark.anyio]
PERSON = "+358405550001"
ASK = "haluan varata ajan neuvojalle Jämsään"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


async def test_booking_by_text_message_with_numbered_answers(tmp_path: Path, twilio: FakeTwilio) -> None:
    holder: dict[str, object] = {}
    dialogue = make_dialogue(holder, REPO_ROOT / "domain.yml", {ASK: "book_visit"})  # type: ignore[arg-type]
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        holder["app"] = app
        store = app.state.store
        slots = slot_ids(store, add_visit(store, "Jämsä", at(4), slots=3))

        async def sms(text: str) -> str:
            before = len(twilio.bodies_to(PERSON))
            assert (await post_signed(client, inbound_fields(text, sender=PERSON))).status_code == 200
            await settle(app)
            return "\n".join(twilio.bodies_to(PERSON)[before:])

        offered = await sms(ASK)
        assert "Vapaat ajat, Jämsä. Valitse yksi:" in offered and "\n2. " in offered and "\n3. " in offered
        assert "Valitse alta tai kirjoita kieli." in await sms("2")  # the second time
        assert "Mistä haluaisit puhua?" in await sms("1")  # "no interpreter", the first option
        done = await sms("työttömyysturva")
        assert done.startswith("Varattu ✔") and "Muistutan sinua edellisenä päivänä tekstiviestillä." in done
        (made,) = booking.upcoming_bookings(store, conversation_id_for("sms", PERSON), utcnow())
        assert (made.slot_id, made.interpreter_language, made.contact_channel) == (slots[1], None, "sms")
