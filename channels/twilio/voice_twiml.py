"""The TwiML of each step of a call: what is said, in which voice, and where Twilio posts the caller's input.

Every step's state travels in its callback URL (`?lang=fi&tries=1`), never in memory: any app worker can
serve the next request of a call. Callback URLs are absolute, on PUBLIC_BASE_URL, because Twilio signs the
exact URL it calls and the signature check rebuilds it from that base.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language
from channels.twilio.voice_languages import (
    ENGLISH_VOICE,
    PERSON_DIGIT,
    RESIDENT_DIGIT,
    RESIDENT_LANGUAGES,
    VOICE_LANGUAGES,
    Voice,
    spoken_language,
    voice_for,
)

VOICE_PATH = "/webhooks/twilio/voice"
# Re-prompts after silence or an unknown key before the line says goodbye.
MAX_TRIES = 2
OFFER_CONTINUE_DIGIT = "1"
OFFER_RECORD_DIGIT = "2"
# Languages the line speaks before a caller has chosen one.
OPENING_LANGUAGES: tuple[Language, ...] = ("fi", "en")
# The menu listens in English; these help the recogniser with language names said in other languages.
MENU_HINTS = (
    "suomi, suomeksi, Finnish, svenska, Swedish, English, Russian, russkiy, Ukrainian, ukrainska, Arabic, "
    "arabi, Somali, Soomaali, Persian, Farsi, Dari, facts, person"
)
# Twilio reads at most 4,096 characters of one <Say>; a phone answer should be far shorter anyway.
MAX_SPOKEN_CHARS = 600

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MARKUP = re.compile(r"[*_`#>\[\]]+")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def speakable(messages: Sequence[BotMessage]) -> str:
    """The bot's replies as one text for speech: no links, no button lists, no markup, not too long."""
    # A sentence with a link is left out whole: "Read more at" without the address means nothing.
    sentences = [
        sentence
        for message in messages
        for line in message.text.splitlines()
        for sentence in _SENTENCE_END.split(line)
        if sentence.strip() and not _URL.search(sentence)
    ]
    text = _SPACE.sub(" ", _MARKUP.sub("", " ".join(sentences))).strip()
    if len(text) <= MAX_SPOKEN_CHARS:
        return text
    cut = text[:MAX_SPOKEN_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut.rsplit(" ", 1)[0] + "…"


class CallScript:
    """Builds the TwiML of every step from the texts in voice.yml and the language table."""

    def __init__(self, responses: ResponseCatalog, public_base_url: str) -> None:
        self.responses = responses
        self.base_url = public_base_url.rstrip("/")

    # -- building blocks -------------------------------------------------------------------------------

    def url(self, step: str = "", **query: str | int | None) -> str:
        """The absolute callback URL of a step, with the call's state as query parameters."""
        params = {key: str(value) for key, value in query.items() if value not in (None, "", 0)}
        path = VOICE_PATH + (f"/{step}" if step else "")
        return self.base_url + path + (f"?{urlencode(params)}" if params else "")

    def say(self, verb: VoiceResponse | Gather, name: str, language: Language, **values: str) -> None:
        """Say a text for a caller of `language`: in that language's voice, else in English."""
        spoken = spoken_language(language)
        text = self.responses.render(name, spoken, **values).text
        self.say_text(verb, text, voice_for(language))

    @staticmethod
    def say_text(verb: VoiceResponse | Gather, text: str, voice: Voice) -> None:
        verb.say(text, voice=voice.name, language=voice.language)

    def _each(self, verb: VoiceResponse | Gather, name: str, languages: Sequence[Language], **v: str) -> None:
        for language in languages:
            self.say(verb, name, language, **v)

    def goodbye(self, languages: Sequence[Language], response: VoiceResponse | None = None) -> VoiceResponse:
        response = response or VoiceResponse()
        self._each(response, "voice_goodbye", languages)
        response.hangup()
        return response

    # -- steps ---------------------------------------------------------------------------------------------

    def menu(self, *, tries: int = 0, greet: bool = True, not_understood: bool = False) -> VoiceResponse:
        """The language menu: each option in its own language and voice, then residents' facts, a person."""
        response = VoiceResponse()
        if tries > MAX_TRIES:
            return self.goodbye(OPENING_LANGUAGES, response)
        gather = response.gather(
            input="dtmf speech",
            num_digits=1,
            action=self.url("language", tries=tries),
            method="POST",
            language=ENGLISH_VOICE.language,
            hints=MENU_HINTS,
            speech_timeout="auto",
            timeout=5,
            action_on_empty_result=True,
        )
        if greet:
            self._each(gather, "voice_greeting", OPENING_LANGUAGES)
        if not_understood:
            self._each(gather, "voice_not_understood", OPENING_LANGUAGES)
        for option in VOICE_LANGUAGES.values():
            if option.voice:
                self.say(gather, "voice_menu_option", option.language, digit=option.digit)
            else:
                text = self.responses.render(
                    "voice_menu_option_named", "en", language_name=option.english_name, digit=option.digit
                ).text
                self.say_text(gather, text, ENGLISH_VOICE)
        self._each(gather, "voice_menu_resident", RESIDENT_LANGUAGES, digit=RESIDENT_DIGIT)
        self._each(gather, "voice_menu_person", OPENING_LANGUAGES, digit=PERSON_DIGIT)
        response.redirect(self.url("language", tries=tries), method="POST")
        return response

    def resident_menu(self, *, tries: int = 0, not_understood: bool = False) -> VoiceResponse:
        """After the residents' option: which of the national languages or English to continue in."""
        response = VoiceResponse()
        if tries > MAX_TRIES:
            return self.goodbye(RESIDENT_LANGUAGES, response)
        action = self.url("language", audience="resident", tries=tries)
        gather = response.gather(
            input="dtmf speech",
            num_digits=1,
            action=action,
            method="POST",
            language=ENGLISH_VOICE.language,
            hints=MENU_HINTS,
            speech_timeout="auto",
            timeout=5,
            action_on_empty_result=True,
        )
        if not_understood:
            self._each(gather, "voice_not_understood", RESIDENT_LANGUAGES)
        for language in RESIDENT_LANGUAGES:
            self.say(gather, "voice_menu_option", language, digit=VOICE_LANGUAGES[language].digit)
        response.redirect(action, method="POST")
        return response

    def ask(
        self,
        language: Language,
        *,
        tries: int = 0,
        lead: Sequence[str] = (),
        prompt: str = "voice_ask",
        response: VoiceResponse | None = None,
    ) -> VoiceResponse:
        """Listen for a question by speech in the caller's language (or 0 for a person)."""
        option = VOICE_LANGUAGES[language]
        if option.speech_locale is None:
            raise ValueError(f"{language}: no speech recognition to ask with")
        response = response or VoiceResponse()
        action = self.url("question", lang=language, tries=tries)
        gather = response.gather(
            input="speech dtmf",
            num_digits=1,
            action=action,
            method="POST",
            language=option.speech_locale,
            speech_timeout="auto",
            timeout=6,
            action_on_empty_result=True,
        )
        for name in lead:
            self.say(gather, name, language)
        self.say(gather, prompt, language, language_name=option.english_name)
        self.say(gather, "voice_menu_person", language, digit=PERSON_DIGIT)
        response.redirect(action, method="POST")
        return response

    def answer(self, language: Language, text: str, *, in_english: bool) -> VoiceResponse:
        """Say an answer (outside <Gather>, so noise cannot cut it short), then listen for the next one."""
        response = VoiceResponse()
        if in_english and language != "en":
            self.say(response, "voice_answer_in_english", language)
            self.say_text(response, text, ENGLISH_VOICE)
        else:
            self.say_text(response, text, voice_for(language))
        return self.ask(language, prompt="voice_next_question", response=response)

    def offer(self, language: Language, *, tries: int = 0, not_understood: bool = False) -> VoiceResponse:
        """For a language the line cannot fully speak: continue by text message, or leave a voice message."""
        response = VoiceResponse()
        if tries > MAX_TRIES:
            return self.goodbye([language], response)
        option = VOICE_LANGUAGES[language]
        action = self.url("offer", lang=language, tries=tries)
        gather = response.gather(
            input="dtmf", num_digits=1, action=action, method="POST", timeout=8, action_on_empty_result=True
        )
        if not_understood:
            self.say(gather, "voice_not_understood", language)
        name = "voice_offer_ask" if option.asks_by_voice else "voice_offer_sms"
        self.say(gather, name, language, language_name=option.english_name)
        self.say(gather, "voice_menu_person", language, digit=PERSON_DIGIT)
        response.redirect(action, method="POST")
        return response

    def record(
        self, language: Language | None, *, lead: Sequence[str] = (), response: VoiceResponse | None = None
    ) -> VoiceResponse:
        """A voicemail for an advisor; `<Record action>` posts the recording to the recording step."""
        response = response or VoiceResponse()
        languages = [language] if language else list(OPENING_LANGUAGES)
        for name in lead:
            self._each(response, name, languages)
        self._each(response, "voice_record_prompt", languages)
        response.record(
            action=self.url("recording", lang=language),
            method="POST",
            max_length=180,
            timeout=6,
            finish_on_key="#",
            play_beep=True,
        )
        # Twilio goes on here only when nothing was recorded (silence): the action is not called then.
        self._each(response, "voice_no_recording", languages)
        response.hangup()
        return response

    def dial(self, language: Language | None, number: str) -> VoiceResponse:
        response = VoiceResponse()
        self._each(response, "voice_connecting", [language] if language else OPENING_LANGUAGES)
        dial = response.dial(action=self.url("person", lang=language, dialed=1), method="POST", timeout=30)
        dial.number(number)
        return response

    def said(
        self, languages: Sequence[Language], name: str, *, hang_up: bool = True, **values: str
    ) -> VoiceResponse:
        """One text (in each of `languages`), then by default the end of the call."""
        response = VoiceResponse()
        self._each(response, name, languages, **values)
        if hang_up:
            response.hangup()
        return response
