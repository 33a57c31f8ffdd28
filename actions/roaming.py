"""The roaming advisory in conversation: visits, booking and cancelling, events, trainings, event news.

Rules and forms are in data/roaming.yml. A question that needs a municipality ("when is the advisor in
Jämsä?", "events near me", "subscribe") goes through `municipality_form`: the municipality named in the
message, else the one the person told earlier, else the form asks. Booking (`booking_form`), cancelling
(`cancel_booking_form`) and training registration (`training_form`) are forms too. A "prepare" action
fills what is already known before each form starts; a form slot prefilled with `choices.NOTHING` ends the
form at once when there is nothing to choose from (the prepare action has said so).

The municipality is always written in its Finnish form, whatever the language of the conversation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.services import ActionServices, NeuvoAction, say, slot_language
from bot.dialogue.responses import BotMessage, Button
from bot.languages import Language
from bot.roaming import booking, choices, formatting, people, schedule, subscriptions
from bot.roaming.clock import local, utcnow
from bot.roaming.errors import BookingRefused, NotFound, Refusal
from bot.roaming.municipalities import NAMES, recognise

REQUESTS = {"ask_advisor_visits": "visits", "ask_events": "events", "subscribe_events": "subscribe"}
MAX_SLOT_BUTTONS = 6
TOPIC_MAX = 300
RETRIES = "roaming_retries"
BOOKING_SLOTS = ("booking_slot", "booking_interpreter", "booking_topic")

Events = list[dict[str, Any]]
Slots = dict[str, Any]


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _first_text(tracker: Tracker) -> str:
    """The message that started the current request (the form may have asked a question since)."""
    for event in reversed(tracker.events):
        if (
            event.get("event") == "user"
            and (event.get("parse_data") or {}).get("intent", {}).get("name") in REQUESTS
        ):
            return str(event.get("text") or "")
    return _text(tracker)


def _intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") if isinstance(intent, dict) else None


async def _run(function: Any, *args: Any, **kwargs: Any) -> Any:
    """The roaming services are blocking (database): run them in a worker thread."""
    return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))


class _Roaming:
    """What every roaming action and form validator shares."""

    services: ActionServices

    def render(self, name: str, language: Language, **values: Any) -> BotMessage:
        return self.services.responses.render(name, language, **values)

    def tell(self, dispatcher: CollectingDispatcher, name: str, language: Language, **values: Any) -> None:
        say(dispatcher, self.render(name, language, **values))

    def when(self, language: Language, start: dt.datetime, end: dt.datetime) -> str:
        return formatting.when(self.services.responses, language, start, end)

    async def municipality_of(self, tracker: Tracker) -> str | None:
        """Named in this message (then remembered), else the slot, else what the person told before."""
        named = recognise(_text(tracker))
        if named:
            await _run(people.remember_municipality, self.services.store, tracker.sender_id, named)
            return named
        slot = tracker.get_slot("municipality")
        if isinstance(slot, str) and slot in NAMES:
            return slot
        remembered = await _run(people.remembered_municipality, self.services.store, tracker.sender_id)
        return remembered if remembered in NAMES else None

    def retry_or_stop(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, again: str, **values: Any
    ) -> Slots:
        """A second answer the form cannot use ends the form, so nobody is stuck in it."""
        language = slot_language(tracker)
        if float(tracker.get_slot(RETRIES) or 0) >= 1:
            self.tell(dispatcher, "roaming_form_stopped", language)
            return {slot: None, RETRIES: 0, "requested_slot": None}
        self.tell(dispatcher, again, language, **values)
        return {slot: None, RETRIES: 1}

    def stop(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, text: str | None) -> Slots:
        if text:
            self.tell(dispatcher, text, slot_language(tracker))
        return {slot: None, RETRIES: 0, "requested_slot": None}


class RoamingAction(_Roaming, NeuvoAction):
    pass


class RoamingValidation(_Roaming, FormValidationAction):
    def __init__(self, services: ActionServices) -> None:
        self.services = services


# Questions that need a municipality


class ActionRoamingRequest(RoamingAction):
    """Before `municipality_form`: what was asked, and the municipality if it is already known.

    `roaming_known` (featurized) lets the rules give a general question the knowledge base's answer first
    when no municipality is known yet ("when does the advisor come to my municipality?").
    """

    def name(self) -> str:
        return "action_roaming_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        request = REQUESTS.get(_intent(tracker) or "", "visits")
        municipality = await self.municipality_of(tracker)
        return [
            SlotSet("roaming_request", request),
            SlotSet("municipality", municipality),
            SlotSet("roaming_known", municipality is not None),
            SlotSet(RETRIES, 0),
        ]


class ActionAskMunicipality(RoamingAction):
    def name(self) -> str:
        return "action_ask_municipality"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        self.tell(dispatcher, "roaming_ask_municipality", slot_language(tracker))
        return []


async def _validate_municipality(
    owner: _Roaming, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Slots:
    text = str(value or "")
    if choices.is_stop(text):
        return owner.stop(dispatcher, tracker, "municipality", "roaming_form_stopped")
    name = text if text in NAMES else recognise(text)
    if name is None:
        return owner.retry_or_stop(
            dispatcher, tracker, "municipality", "roaming_unknown_municipality", names=", ".join(NAMES)
        )
    await _run(people.remember_municipality, owner.services.store, tracker.sender_id, name)
    return {"municipality": name, RETRIES: 0}


class ValidateMunicipalityForm(RoamingValidation):
    def name(self) -> str:
        return "validate_municipality_form"

    async def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        return await _validate_municipality(self, value, dispatcher, tracker)


class ActionRoamingAnswer(RoamingAction):
    """After `municipality_form`: the visits, the events, or the subscription that was asked for."""

    def name(self) -> str:
        return "action_roaming_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        municipality = tracker.get_slot("municipality")
        done: Events = [SlotSet("roaming_request", None), SlotSet("roaming_known", None), SlotSet(RETRIES, 0)]
        if municipality not in NAMES:
            return done
        request = tracker.get_slot("roaming_request")
        if request == "events":
            await self.events(dispatcher, tracker, language, municipality)
        elif request == "subscribe":
            await self.subscribe(dispatcher, tracker, language, municipality)
        else:
            await self.visits(dispatcher, language, municipality)
        return done

    async def visits(self, dispatcher: CollectingDispatcher, language: Language, municipality: str) -> None:
        store, responses, now = self.services.store, self.services.responses, utcnow()
        visits = await _run(schedule.next_visits, store, municipality, now)
        if not visits:
            lines = [self.render("roaming_no_visits", language, municipality=municipality).text]
            nearby = await _run(schedule.nearby_visits, store, municipality, now)
            if nearby:
                lines.append(self.render("roaming_nearby_header", language).text)
                lines += [formatting.nearby_line(responses, language, v) for v in nearby]
            say(dispatcher, BotMessage("\n".join(lines)))
            return
        lines = [self.render("roaming_visits_header", language, municipality=municipality).text]
        lines += [formatting.visit_line(responses, language, v) for v in visits]
        buttons = []
        if any(s.free and s.starts_at > now for v in visits for s in v.slots):
            lines.append(self.render("roaming_book_hint", language).text)
            title = self.render("roaming_book_button", language).text
            buttons.append(Button(title, title))
        say(dispatcher, BotMessage("\n".join(lines), buttons))

    async def events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, language: Language, municipality: str
    ) -> None:
        store, responses = self.services.store, self.services.responses
        events = await _run(schedule.upcoming_events, store, municipality, utcnow(), language)
        if not events:
            lines = [self.render("roaming_no_events", language, municipality=municipality).text]
        else:
            lines = [self.render("roaming_events_header", language, municipality=municipality).text]
            lines += [formatting.event_line(responses, language, e) for e in events]
        channel = await _run(people.current_channel, store, tracker.sender_id)
        subscribed = await _run(subscriptions.is_subscribed, store, tracker.sender_id, municipality, channel)
        buttons = []
        if channel in subscriptions.PUSH_CHANNELS and not subscribed:
            lines.append(self.render("roaming_subscribe_hint", language).text)
            title = self.render("roaming_subscribe_button", language).text
            buttons.append(Button(title, title))
        say(dispatcher, BotMessage("\n".join(lines), buttons))

    async def subscribe(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, language: Language, municipality: str
    ) -> None:
        store = self.services.store
        if choices.sounds_negative(_first_text(tracker)):  # "no more event news" mistaken for a subscription
            ended = await _run(subscriptions.unsubscribe, store, tracker.sender_id, None)
            self.tell(dispatcher, "roaming_unsubscribed" if ended else "roaming_not_subscribed", language)
            return
        channel = await _run(people.current_channel, store, tracker.sender_id)
        if channel not in subscriptions.PUSH_CHANNELS:
            self.tell(dispatcher, "roaming_subscribe_needs_push", language)
            return
        added = await _run(subscriptions.subscribe, store, tracker.sender_id, municipality, language, channel)
        where = formatting.channel_phrase(self.services.responses, language, channel)
        text = "roaming_subscribed" if added else "roaming_already_subscribed"
        self.tell(dispatcher, text, language, municipality=municipality, channel=where)


class ActionUnsubscribeEvents(RoamingAction):
    """Opting out takes effect at once: of one municipality if the message names one, else of all."""

    def name(self) -> str:
        return "action_unsubscribe_events"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        named = recognise(_text(tracker))
        ended = await _run(subscriptions.unsubscribe, self.services.store, tracker.sender_id, named)
        self.tell(dispatcher, "roaming_unsubscribed" if ended else "roaming_not_subscribed", language)
        return []


# Booking a time


class ActionPrepareBooking(RoamingAction):
    def name(self) -> str:
        return "action_prepare_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        return [
            SlotSet("municipality", await self.municipality_of(tracker)),
            *(SlotSet(slot, None) for slot in BOOKING_SLOTS),
            SlotSet(RETRIES, 0),
        ]


class ActionAskBookingSlot(RoamingAction):
    def name(self) -> str:
        return "action_ask_booking_slot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        municipality = str(tracker.get_slot("municipality"))
        free = await _run(
            schedule.bookable_slots, self.services.store, municipality, utcnow(), MAX_SLOT_BUTTONS
        )
        if not free:
            self.tell(dispatcher, "roaming_no_slots", language, municipality=municipality)
            return []
        responses = self.services.responses
        buttons = [
            Button(
                self.when(language, slot.starts_at, slot.ends_at)
                + formatting.sample_mark(responses, language, visit.sample),
                choices.payload(choices.SLOT, slot.id),
            )
            for visit, slot in free
        ]
        text = self.render("roaming_ask_slot", language, municipality=municipality).text
        say(dispatcher, BotMessage(text, buttons))
        return []


class ActionAskBookingInterpreter(RoamingAction):
    def name(self) -> str:
        return "action_ask_booking_interpreter"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        no = self.render("roaming_interpreter_no_button", language).text
        buttons = [Button(no, choices.payload(choices.INTERPRETER, choices.NO_INTERPRETER))]
        if language not in ("fi", "sv"):  # Finnish and Swedish are the service's own languages
            own = formatting.language_name(self.services.responses, language, language)
            yes = self.render("roaming_interpreter_yes_button", language, spoken=own).text
            buttons.append(Button(yes, choices.payload(choices.INTERPRETER, language)))
        say(dispatcher, BotMessage(self.render("roaming_ask_interpreter", language).text, buttons))
        return []


class ActionAskBookingTopic(RoamingAction):
    def name(self) -> str:
        return "action_ask_booking_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        self.tell(dispatcher, "roaming_ask_topic", slot_language(tracker))
        return []


class ValidateBookingForm(RoamingValidation):
    def name(self) -> str:
        return "validate_booking_form"

    async def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        result = await _validate_municipality(self, value, dispatcher, tracker)
        name = result.get("municipality")
        if name is None:
            return result
        free = await _run(schedule.bookable_slots, self.services.store, name, utcnow(), 1)
        if not free:  # nothing to book there: say so, with the coming visits, and end the form
            language = slot_language(tracker)
            self.tell(dispatcher, "roaming_no_slots", language, municipality=name)
            return {**result, "requested_slot": None}
        return result

    async def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text, language = str(value or ""), slot_language(tracker)
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "booking_slot", "roaming_booking_stopped")
        municipality = str(tracker.get_slot("municipality"))
        now = utcnow()
        slot_id = choices.parse_id(choices.SLOT, text)
        if slot_id is None:
            slot_id = await self._typed(text, municipality, now)
        found = await _run(schedule.slot_with_visit, self.services.store, slot_id) if slot_id else None
        if found is None or found[0].municipality != municipality:
            return self.retry_or_stop(dispatcher, tracker, "booking_slot", "roaming_slot_not_understood")
        visit, slot = found
        when = self.when(language, slot.starts_at, slot.ends_at)
        if slot.starts_at <= now:
            self.tell(dispatcher, "roaming_slot_gone", language)
            return {"booking_slot": None}
        if slot.free <= 0:
            self.tell(dispatcher, "roaming_slot_full", language, when=when)
            return {"booking_slot": None}
        mine = await _run(booking.upcoming_bookings, self.services.store, tracker.sender_id, now)
        same_visit = next((b for b in mine if b.visit_id == visit.id), None)
        if same_visit is not None:
            self.tell(
                dispatcher,
                "roaming_already_booked",
                language,
                when=self.when(language, same_visit.starts_at, same_visit.ends_at),
            )
            return {"booking_slot": None, RETRIES: 0, "requested_slot": None}
        return {"booking_slot": str(slot.id), RETRIES: 0}

    async def _typed(self, text: str, municipality: str, now: dt.datetime) -> int | None:
        """A typed clock time picks the one free slot starting then."""
        time = choices.typed_time(text)
        if time is None:
            return None
        free = await _run(schedule.bookable_slots, self.services.store, municipality, now, MAX_SLOT_BUTTONS)
        matching = [s.id for _, s in free if (local(s.starts_at).hour, local(s.starts_at).minute) == time]
        return matching[0] if len(matching) == 1 else None

    async def validate_booking_interpreter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text, language = str(value or ""), slot_language(tracker)
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "booking_interpreter", "roaming_booking_stopped")
        chosen = choices.parse_payload(choices.INTERPRETER, text)
        if chosen is None:
            intent = _intent(tracker)
            if intent == "deny":
                chosen = choices.NO_INTERPRETER
            elif intent == "affirm":
                chosen = language
            else:
                chosen = choices.interpreter_language(text, self.services.responses)
        if chosen is None or (chosen != choices.NO_INTERPRETER and chosen not in choices.INTERPRETER_CODES):
            return self.retry_or_stop(
                dispatcher, tracker, "booking_interpreter", "roaming_interpreter_not_understood"
            )
        return {"booking_interpreter": chosen, RETRIES: 0}

    async def validate_booking_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text = " ".join(str(value or "").split())
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "booking_topic", "roaming_booking_stopped")
        if len(text) < 2:
            return self.retry_or_stop(dispatcher, tracker, "booking_topic", "roaming_topic_too_short")
        return {"booking_topic": text[:TOPIC_MAX], RETRIES: 0}


class ActionBookVisit(RoamingAction):
    """The booking form is complete: book in one transaction (the last place may have gone meanwhile)."""

    def name(self) -> str:
        return "action_book_visit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        reset: Events = [*(SlotSet(slot, None) for slot in BOOKING_SLOTS), SlotSet(RETRIES, 0)]
        slot_id = str(tracker.get_slot("booking_slot") or "")
        interpreter = tracker.get_slot("booking_interpreter")
        topic = tracker.get_slot("booking_topic")
        if not slot_id.isdigit() or not interpreter or not topic:
            return reset  # the form was stopped; it has said why
        language = slot_language(tracker)
        store = self.services.store
        channel = await _run(people.current_channel, store, tracker.sender_id)
        try:
            made = await _run(
                booking.book,
                store,
                tracker.sender_id,
                int(slot_id),
                language=language,
                interpreter_language=None if interpreter == choices.NO_INTERPRETER else str(interpreter),
                topic=str(topic),
                contact_channel=channel,
                now=utcnow(),
            )
        except BookingRefused as refused:
            await self.refused(dispatcher, language, refused.reason, int(slot_id))
            return reset
        responses = self.services.responses
        if channel in subscriptions.PUSH_CHANNELS:
            where = formatting.channel_phrase(responses, language, channel)
            reminder = self.render("roaming_reminder_promise", language, channel=where).text
        else:
            reminder = self.render("roaming_no_reminder", language).text
        interpreter_text = (
            formatting.language_name(responses, language, made.interpreter_language)
            if made.interpreter_language
            else self.render("roaming_interpreter_none", language).text
        )
        self.tell(
            dispatcher,
            "roaming_booking_confirmed",
            language,
            when=self.when(language, made.starts_at, made.ends_at),
            place=made.place,
            municipality=made.municipality,
            interpreter=interpreter_text,
            topic=made.topic or "",
            reminder=reminder,
        )
        return reset

    async def refused(
        self, dispatcher: CollectingDispatcher, language: Language, reason: Refusal, slot_id: int
    ) -> None:
        found = await _run(schedule.slot_with_visit, self.services.store, slot_id)
        if found and reason in (Refusal.FULL, Refusal.ALREADY):
            name = "roaming_slot_full" if reason is Refusal.FULL else "roaming_already_booked"
            self.tell(
                dispatcher, name, language, when=self.when(language, found[1].starts_at, found[1].ends_at)
            )
        else:
            self.tell(dispatcher, "roaming_slot_gone", language)


# Cancelling a booking


class ActionPrepareCancel(RoamingAction):
    def name(self) -> str:
        return "action_prepare_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        mine = await _run(booking.upcoming_bookings, self.services.store, tracker.sender_id, utcnow())
        if not mine:
            self.tell(dispatcher, "roaming_no_bookings", slot_language(tracker))
            value: str | None = choices.NOTHING
        elif len(mine) == 1:
            value = choices.payload(choices.BOOKING, mine[0].id)
        else:
            value = None
        return [SlotSet("booking_to_cancel", value), SlotSet(RETRIES, 0)]


class ActionAskBookingToCancel(RoamingAction):
    def name(self) -> str:
        return "action_ask_booking_to_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        mine = await _run(booking.upcoming_bookings, self.services.store, tracker.sender_id, utcnow())
        buttons = [
            Button(
                f"{self.when(language, b.starts_at, b.ends_at)}, {b.municipality}",
                choices.payload(choices.BOOKING, b.id),
            )
            for b in mine[:MAX_SLOT_BUTTONS]
        ]
        say(dispatcher, BotMessage(self.render("roaming_ask_which_booking", language).text, buttons))
        return []


class ValidateCancelBookingForm(RoamingValidation):
    def name(self) -> str:
        return "validate_cancel_booking_form"

    async def validate_booking_to_cancel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text = str(value or "")
        if text == choices.NOTHING:
            return self.stop(dispatcher, tracker, "booking_to_cancel", None)
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "booking_to_cancel", "roaming_form_stopped")
        booking_id = choices.parse_id(choices.BOOKING, text)
        mine = await _run(booking.upcoming_bookings, self.services.store, tracker.sender_id, utcnow())
        if booking_id is None or booking_id not in {b.id for b in mine}:
            return self.retry_or_stop(
                dispatcher, tracker, "booking_to_cancel", "roaming_booking_not_understood"
            )
        return {"booking_to_cancel": text, RETRIES: 0}


class ActionCancelBooking(RoamingAction):
    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        reset: Events = [SlotSet("booking_to_cancel", None), SlotSet(RETRIES, 0)]
        booking_id = choices.parse_id(choices.BOOKING, str(tracker.get_slot("booking_to_cancel") or ""))
        if booking_id is None:
            return reset
        language = slot_language(tracker)
        try:
            cancelled = await _run(
                booking.cancel, self.services.store, tracker.sender_id, booking_id, utcnow()
            )
        except NotFound:
            self.tell(dispatcher, "roaming_no_bookings", language)
            return reset
        self.tell(
            dispatcher,
            "roaming_booking_cancelled",
            language,
            when=self.when(language, cancelled.starts_at, cancelled.ends_at),
            municipality=cancelled.municipality,
        )
        return reset


# Trainings for professionals


class ActionPrepareTraining(RoamingAction):
    def name(self) -> str:
        return "action_prepare_training"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        trainings = await _run(schedule.upcoming_trainings, self.services.store, utcnow(), language)
        if not trainings:
            self.tell(dispatcher, "roaming_no_trainings", language)
        first = choices.NOTHING if not trainings else None
        return [
            SlotSet("training_choice", first),
            SlotSet("training_organisation", None),
            SlotSet(RETRIES, 0),
        ]


class ActionAskTrainingChoice(RoamingAction):
    def name(self) -> str:
        return "action_ask_training_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        language = slot_language(tracker)
        responses = self.services.responses
        trainings = await _run(schedule.upcoming_trainings, self.services.store, utcnow(), language)
        lines = [self.render("roaming_trainings_header", language).text]
        lines += [formatting.training_line(responses, language, t) for t in trainings]
        buttons = [
            Button(_short(t.title), choices.payload(choices.TRAINING, t.id)) for t in trainings if not t.full
        ]
        say(dispatcher, BotMessage("\n".join(lines), buttons[:MAX_SLOT_BUTTONS]))
        return []


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class ActionAskTrainingOrganisation(RoamingAction):
    def name(self) -> str:
        return "action_ask_training_organisation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        self.tell(dispatcher, "roaming_ask_organisation", slot_language(tracker))
        return []


class ValidateTrainingForm(RoamingValidation):
    def name(self) -> str:
        return "validate_training_form"

    async def validate_training_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text, language = str(value or ""), slot_language(tracker)
        if text == choices.NOTHING:
            return self.stop(dispatcher, tracker, "training_choice", None)
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "training_choice", "roaming_form_stopped")
        training_id = choices.parse_id(choices.TRAINING, text)
        found = (
            await _run(schedule.training, self.services.store, training_id, language) if training_id else None
        )
        if found is None:
            return self.retry_or_stop(
                dispatcher, tracker, "training_choice", "roaming_training_not_understood"
            )
        if found.full:
            self.tell(dispatcher, "roaming_training_full", language, title=found.title)
            return {"training_choice": None}
        if found.starts_at <= utcnow():
            self.tell(dispatcher, "roaming_training_gone", language)
            return {"training_choice": None}
        return {"training_choice": str(found.id), RETRIES: 0}

    async def validate_training_organisation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        text = " ".join(str(value or "").split())
        if choices.is_stop(text):
            return self.stop(dispatcher, tracker, "training_organisation", "roaming_form_stopped")
        if len(text) < 2:
            return self.retry_or_stop(
                dispatcher, tracker, "training_organisation", "roaming_ask_organisation"
            )
        return {"training_organisation": text[:TOPIC_MAX], RETRIES: 0}


class ActionRegisterTraining(RoamingAction):
    def name(self) -> str:
        return "action_register_training"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        reset: Events = [SlotSet("training_choice", None), SlotSet("training_organisation", None)]
        choice = str(tracker.get_slot("training_choice") or "")
        organisation = tracker.get_slot("training_organisation")
        if not choice.isdigit() or not organisation:
            return reset
        language = slot_language(tracker)
        store = self.services.store
        found = await _run(schedule.training, store, int(choice), language)
        if found is None:
            self.tell(dispatcher, "roaming_training_gone", language)
            return reset
        channel = await _run(people.current_channel, store, tracker.sender_id)
        try:
            await _run(
                booking.register_for_training,
                store,
                tracker.sender_id,
                found.id,
                organisation=str(organisation),
                language=language,
                contact_channel=channel,
                now=utcnow(),
            )
        except BookingRefused as refused:
            text = {
                Refusal.FULL: "roaming_training_full",
                Refusal.ALREADY: "roaming_training_already",
            }.get(refused.reason, "roaming_training_gone")
            self.tell(dispatcher, text, language, title=found.title)
            return reset
        self.tell(
            dispatcher,
            "roaming_training_registered",
            language,
            title=found.title,
            when=self.when(language, found.starts_at, found.ends_at),
            place=found.place,
            municipality=found.municipality,
        )
        return reset


ROAMING_ACTIONS = (
    ActionRoamingRequest,
    ActionAskMunicipality,
    ValidateMunicipalityForm,
    ActionRoamingAnswer,
    ActionUnsubscribeEvents,
    ActionPrepareBooking,
    ActionAskBookingSlot,
    ActionAskBookingInterpreter,
    ActionAskBookingTopic,
    ValidateBookingForm,
    ActionBookVisit,
    ActionPrepareCancel,
    ActionAskBookingToCancel,
    ValidateCancelBookingForm,
    ActionCancelBooking,
    ActionPrepareTraining,
    ActionAskTrainingChoice,
    ActionAskTrainingOrganisation,
    ValidateTrainingForm,
    ActionRegisterTraining,
)
