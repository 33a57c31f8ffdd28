"""The phone information line on Twilio Voice: a language menu, spoken questions, a person, voicemail.

Call flow (each step is one webhook; its state is in the callback URL's query, see voice_twiml.py):

  /voice      incoming call: greeting and the language menu (keypad or a spoken language name)
  /language   the choice: languages with speech recognition and a voice go to a question, the others to
              the offer; 9 = facts about immigration for residents (audience "resident"), 0 = a person
  /question   a spoken question -> the conversation engine -> the answer read aloud (or, for a language
              without a voice, sent by SMS), then the next question
  /offer      languages the line cannot fully speak: 1 = continue by SMS (or ask and get the answer by
              SMS), 2 = voicemail
  /person     advisors' hours: dial the advisors' line; otherwise a voicemail
  /recording  the voicemail: an escalation for an advisor, with the recording URL

Every request is verified (signature, size, form) before anything is stored or answered.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from twilio.twiml.voice_response import VoiceResponse

from bot.conversation.language_policy import requested_language
from bot.conversation.messages import InboundMessage, MessageKind, TurnResult
from bot.dialogue.responses import ResponseCatalog
from bot.languages import Language, as_language, is_language
from bot.retrieval.text import fold
from bot.storage.store import ConversationRecord
from channels.base import Outgoing, OutputChannel
from channels.hub import ChannelHub, outgoing_from
from channels.settings import AdvisorHours, ChannelSettings
from channels.twilio.signature import TwilioVerifier
from channels.twilio.voice_languages import (
    BY_DIGIT,
    PERSON_DIGIT,
    RESIDENT_DIGIT,
    VOICE_LANGUAGES,
)
from channels.twilio.voice_output import VoiceOutput, can_text
from channels.twilio.voice_twiml import (
    MAX_TRIES,
    OFFER_CONTINUE_DIGIT,
    OFFER_RECORD_DIGIT,
    OPENING_LANGUAGES,
    VOICE_PATH,
    CallScript,
    speakable,
)

log = logging.getLogger(__name__)

RESIDENT = "resident"
# A transcript longer than this is not one question (Twilio's own results are far shorter).
MAX_QUESTION_CHARS = 1000
TRANSCRIPT_LINES = 20
_RESIDENT_WORDS = frozenset(
    {"facts", "fact", "fakta", "faktaa", "tietoa", "resident", "asukas", "immigration"}
)
_WORD = re.compile(r"\w+")
_PERSON_WORDS = frozenset({"person", "human", "advisor", "ihminen", "henkilo", "neuvoja", "radgivare"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Call:
    """One verified webhook request of a call."""

    sid: str
    caller: str  # the From number as Twilio sent it
    fields: dict[str, str]

    @property
    def sender_id(self) -> str:
        """The caller's conversation address: the number, or the call itself when the number is hidden."""
        return self.caller if can_text(self.caller) else f"hidden:{self.sid}"

    @property
    def textable(self) -> bool:
        return can_text(self.caller)


def _twiml(response: VoiceResponse) -> Response:
    return Response(content=str(response), media_type="application/xml")


def _tries(request: Request) -> int:
    raw = request.query_params.get("tries", "0")
    return int(raw) if raw.isdigit() and len(raw) < 3 else 0


def _language(request: Request) -> Language | None:
    raw = request.query_params.get("lang", "")
    return as_language(raw) if is_language(raw) else None


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


class VoiceChannel:
    name = "voice"

    def __init__(
        self,
        auth_token: str,
        public_base_url: str,
        responses: ResponseCatalog,
        *,
        advisor_phone: str = "",
        advisor_hours: AdvisorHours | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.verifier = TwilioVerifier(auth_token, public_base_url)
        self.script = CallScript(responses, public_base_url)
        self.responses = responses
        self.advisor_phone = advisor_phone
        self.advisor_hours = advisor_hours or AdvisorHours()
        self.clock = clock
        self._output = VoiceOutput()
        self.output: OutputChannel = self._output

    @classmethod
    def from_settings(cls, settings: ChannelSettings, responses: ResponseCatalog) -> VoiceChannel | None:
        if not settings.twilio_auth_token:
            return None
        return cls(
            settings.twilio_auth_token,
            settings.public_base_url,
            responses,
            advisor_phone=settings.advisor_phone,
            advisor_hours=settings.advisor_hours,
        )

    async def start(self, hub: ChannelHub) -> None:
        self._output.attach(hub)

    async def stop(self) -> None:
        return None

    def router(self) -> APIRouter:
        router = APIRouter(prefix=VOICE_PATH, tags=["voice"])
        router.add_api_route("", self.incoming, methods=["POST"], include_in_schema=False)
        router.add_api_route("/language", self.language, methods=["POST"], include_in_schema=False)
        router.add_api_route("/question", self.question, methods=["POST"], include_in_schema=False)
        router.add_api_route("/offer", self.offer, methods=["POST"], include_in_schema=False)
        router.add_api_route("/person", self.person, methods=["POST"], include_in_schema=False)
        router.add_api_route("/recording", self.recording, methods=["POST"], include_in_schema=False)
        return router

    # -- request plumbing ------------------------------------------------------------------------------

    async def _call(self, request: Request) -> Call:
        fields = await self.verifier.form(request)
        sid, caller = fields.get("CallSid", "").strip(), fields.get("From", "").strip()
        if not sid or not caller:
            raise HTTPException(status_code=400, detail="CallSid and From are required")
        return Call(sid, caller, fields)

    @staticmethod
    def _hub(request: Request) -> ChannelHub:
        hub: ChannelHub = request.app.state.hub
        return hub

    async def _conversation(self, hub: ChannelHub, call: Call) -> ConversationRecord:
        return await anyio.to_thread.run_sync(hub.store.conversation, self.name, call.sender_id)

    # -- steps ---------------------------------------------------------------------------------------------

    async def incoming(self, request: Request) -> Response:
        await self._call(request)
        tries = _tries(request)
        return _twiml(self.script.menu(tries=tries, greet=tries == 0))

    async def language(self, request: Request) -> Response:
        call = await self._call(request)
        hub = self._hub(request)
        tries = _tries(request)
        resident = request.query_params.get("audience") == RESIDENT
        digits = call.fields.get("Digits", "").strip()
        speech = call.fields.get("SpeechResult", "").strip()[:MAX_QUESTION_CHARS]
        words = _words(speech)
        if digits == PERSON_DIGIT or (not digits and words & _PERSON_WORDS):
            return _twiml(self._person(None))
        if not resident and (digits == RESIDENT_DIGIT or (not digits and words & _RESIDENT_WORDS)):
            return _twiml(self.script.resident_menu())
        option = BY_DIGIT.get(digits) if digits else None
        if option is None and speech and not digits:
            spoken = requested_language(speech)
            option = VOICE_LANGUAGES[spoken] if spoken else None
        if option is None:
            heard = bool(digits or speech)
            if resident:
                return _twiml(self.script.resident_menu(tries=tries + 1, not_understood=heard))
            return _twiml(self.script.menu(tries=tries + 1, greet=False, not_understood=heard))
        conversation = await self._conversation(hub, call)

        def remember() -> None:
            hub.store.set_language(conversation.id, option.language, locked=True)
            hub.store.set_audience(conversation.id, RESIDENT if resident else None)

        await anyio.to_thread.run_sync(remember)
        log.info("voice call chose %s%s", option.language, " (resident facts)" if resident else "")
        if option.answers_by_voice:
            return _twiml(self.script.ask(option.language))
        return _twiml(self.script.offer(option.language))

    async def question(self, request: Request) -> Response:
        call = await self._call(request)
        language = _language(request)
        if language is None:
            return _twiml(self.script.menu(greet=False))
        option = VOICE_LANGUAGES[language]
        if not option.asks_by_voice:
            return _twiml(self.script.offer(language))
        if call.fields.get("Digits", "").strip() == PERSON_DIGIT:
            return _twiml(self._person(language))
        speech = call.fields.get("SpeechResult", "").strip()[:MAX_QUESTION_CHARS]
        prompt = "voice_ask" if option.voice else "voice_ask_by_sms"
        if not speech:
            tries = _tries(request)
            if tries >= MAX_TRIES:
                return _twiml(self.script.goodbye([language]))
            lead = ["voice_not_heard"]
            return _twiml(self.script.ask(language, tries=tries + 1, lead=lead, prompt=prompt))
        hub = self._hub(request)
        if not option.voice and not (call.textable and "sms" in hub.outputs):
            return _twiml(self.script.record(language, lead=["voice_no_sms"]))
        message = InboundMessage(
            sender_id=call.sender_id,
            text=speech,
            channel=self.name,
            language=language,
            metadata={"call_sid": call.sid},
        )
        try:
            result = await hub.engine.handle(message)
        except Exception:  # the caller must hear something: a 500 makes Twilio play its own error message
            log.exception("a voice question could not be answered")
            return _twiml(self.script.record(language, lead=["voice_trouble"]))
        if option.voice:
            return _twiml(self._spoken_answer(hub, language, result))
        if result.replies:
            hub.spawn(hub.deliver("sms", call.caller, outgoing_from(result)))
        return _twiml(self.script.ask(language, lead=["voice_sms_sent"], prompt="voice_next_question"))

    def _spoken_answer(self, hub: ChannelHub, language: Language, result: TurnResult) -> VoiceResponse:
        """The entry's short version where there is one; otherwise the bot's replies, cleaned for speech."""
        if result.held_by_advisor:
            return self.script.ask(language, lead=["voice_passed_to_advisor"], prompt="voice_next_question")
        if result.short_answer:
            in_english = False
            if result.entry_id and hub.engine.answer_for:
                answer = hub.engine.answer_for(result.entry_id, language)
                in_english = bool(answer and answer.fallback_language)
            return self.script.answer(language, result.short_answer, in_english=in_english)
        text = speakable(result.replies)
        if not text:
            return self.script.ask(language, lead=["voice_no_answer"], prompt="voice_next_question")
        return self.script.answer(language, text, in_english=False)

    async def offer(self, request: Request) -> Response:
        call = await self._call(request)
        language = _language(request)
        if language is None:
            return _twiml(self.script.menu(greet=False))
        digits = call.fields.get("Digits", "").strip()
        option = VOICE_LANGUAGES[language]
        if digits == PERSON_DIGIT:
            return _twiml(self._person(language))
        if digits == OFFER_RECORD_DIGIT:
            return _twiml(self.script.record(language))
        if digits == OFFER_CONTINUE_DIGIT:
            if option.asks_by_voice:
                prompt = "voice_ask" if option.voice else "voice_ask_by_sms"
                return _twiml(self.script.ask(language, prompt=prompt))
            return _twiml(await self._invite_by_sms(self._hub(request), call, language))
        tries = _tries(request) + 1
        return _twiml(self.script.offer(language, tries=tries, not_understood=bool(digits)))

    async def _invite_by_sms(self, hub: ChannelHub, call: Call, language: Language) -> VoiceResponse:
        """Text the caller an invitation to write; the SMS conversation then goes on in their language."""
        if not (call.textable and "sms" in hub.outputs):
            return self.script.record(language, lead=["voice_no_sms"])

        def prepare() -> str:
            sms = hub.store.conversation("sms", call.caller)
            hub.store.set_language(sms.id, language, locked=True)
            return sms.id

        conversation_id = await anyio.to_thread.run_sync(prepare)
        invite = self.responses.render("voice_sms_invite", language)
        outgoing = Outgoing(messages=[invite], language=language, conversation_id=conversation_id)
        hub.spawn(hub.deliver("sms", call.caller, outgoing))
        return self.script.said([language], "voice_sms_invite_sent")

    async def person(self, request: Request) -> Response:
        call = await self._call(request)
        language = _language(request)
        if request.query_params.get("dialed") == "1":
            if call.fields.get("DialCallStatus") in ("completed", "answered"):
                return _twiml(self.script.goodbye([language] if language else OPENING_LANGUAGES))
            return _twiml(self.script.record(language, lead=["voice_advisors_unavailable"]))
        return _twiml(self._person(language))

    def _person(self, language: Language | None) -> VoiceResponse:
        """Advisors' line in their hours; a voicemail otherwise."""
        if self.advisor_phone and self.advisor_hours.open_at(self.clock()):
            return self.script.dial(language, self.advisor_phone)
        return self.script.record(language, lead=["voice_advisors_unavailable"])

    async def recording(self, request: Request) -> Response:
        call = await self._call(request)
        language = _language(request)
        url = call.fields.get("RecordingUrl", "").strip()
        if not url.startswith("https://") or len(url) > 500:
            raise HTTPException(status_code=400, detail="RecordingUrl must be an https URL")
        hub = self._hub(request)
        receipt = call.fields.get("RecordingSid", "").strip() or url
        if await hub.is_new(self.name, f"recording:{receipt}"):
            await self._save_voicemail(hub, call, language, url)
        else:
            log.info("a voicemail callback was repeated; saved once")
        return _twiml(self.script.said([language] if language else OPENING_LANGUAGES, "voice_recorded"))

    async def _save_voicemail(self, hub: ChannelHub, call: Call, language: Language | None, url: str) -> None:
        conversation = await self._conversation(hub, call)
        duration = call.fields.get("RecordingDuration", "").strip()
        seconds = f"{duration} s" if duration.isdigit() else "length unknown"

        def save() -> int:
            hub.store.record_turn(
                conversation.id,
                "(voicemail)",
                language,
                [],
                channel=self.name,
                kind=MessageKind.RECORDING.value,
                media_ref=url,
            )
            earlier = hub.store.messages(conversation.id)[-TRANSCRIPT_LINES:]
            return hub.store.add_escalation(
                conversation.id,
                reason="voicemail",
                language=language,
                summary=f"Voicemail on the phone line ({seconds}); call back in the caller's language.",
                contact=call.caller if call.textable else None,
                transcript=[{"from": "user" if d == "in" else "bot", "text": t} for d, t in earlier],
                channel=self.name,
                recording_url=url,
            )

        escalation = await anyio.to_thread.run_sync(save)
        log.info("voicemail saved as escalation %s (language %s)", escalation, language or "not chosen")
