"""What the phone line can do in each language: the keypad digit, speech recognition and a speaking voice.

Names checked against Twilio's lists (stored copies, 2025):
- <Gather language>: Twilio's speech-recognition languages include fi-FI, sv-SE, en-GB, ru-RU, uk-UA, ar-IQ
  (and other Arabic locales) and fa-IR; there is no Somali.
- <Say voice>: Amazon Polly voices as `Polly.<Name>` (`-Neural` for the neural engine), Google voices as
  `Google.<locale>-<Type>-<Letter>`; the `language` must be one the voice speaks (Polly's Zeina speaks `arb`).
  There is no Somali and no Persian voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.languages import Language


@dataclass(frozen=True)
class Voice:
    """A Twilio <Say> voice and the language tag it is used with."""

    name: str
    language: str


@dataclass(frozen=True)
class VoiceLanguage:
    language: Language
    digit: str  # the keypad key that picks it in the menu
    english_name: str  # said by the English voice where the language has no voice of its own
    speech_locale: str | None  # <Gather language> for questions by speech, None: no recognition
    voice: Voice | None  # None: nothing can be said in this language

    @property
    def answers_by_voice(self) -> bool:
        """Questions by speech and answers read aloud: the whole call can happen in this language."""
        return self.speech_locale is not None and self.voice is not None

    @property
    def asks_by_voice(self) -> bool:
        return self.speech_locale is not None


ENGLISH_VOICE: Final = Voice("Polly.Amy-Neural", "en-GB")

VOICE_LANGUAGES: Final[dict[Language, VoiceLanguage]] = {
    lang.language: lang
    for lang in (
        VoiceLanguage("fi", "1", "Finnish", "fi-FI", Voice("Polly.Suvi-Neural", "fi-FI")),
        VoiceLanguage("sv", "2", "Swedish", "sv-SE", Voice("Polly.Astrid", "sv-SE")),
        VoiceLanguage("en", "3", "English", "en-GB", ENGLISH_VOICE),
        VoiceLanguage("ru", "4", "Russian", "ru-RU", Voice("Polly.Tatyana", "ru-RU")),
        VoiceLanguage("uk", "5", "Ukrainian", "uk-UA", Voice("Google.uk-UA-Standard-A", "uk-UA")),
        # Iraqi and Syrian Arabic speakers are the largest groups here; Twilio lists ar-IQ but not ar-SY.
        VoiceLanguage("ar", "6", "Arabic", "ar-IQ", Voice("Polly.Zeina", "arb")),
        VoiceLanguage("so", "7", "Somali", None, None),
        VoiceLanguage("fa", "8", "Persian / Dari", "fa-IR", None),
    )
}
BY_DIGIT: Final[dict[str, VoiceLanguage]] = {lang.digit: lang for lang in VOICE_LANGUAGES.values()}

RESIDENT_DIGIT: Final = "9"
PERSON_DIGIT: Final = "0"
# The resident option is offered in the national languages and English, and continues in one of them.
RESIDENT_LANGUAGES: Final[tuple[Language, ...]] = ("fi", "sv", "en")


def voice_for(language: Language) -> Voice:
    """The voice that speaks to a caller of `language`: its own, else the English one."""
    return VOICE_LANGUAGES[language].voice or ENGLISH_VOICE


def spoken_language(language: Language) -> Language:
    """The language the line actually speaks to this caller (English where there is no voice)."""
    return language if VOICE_LANGUAGES[language].voice else "en"
