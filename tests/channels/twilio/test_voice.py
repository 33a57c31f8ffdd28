"""The phone line at the protocol level: signed Twilio webhooks in, TwiML out, parsed and checked.

Each test walks a call the way Twilio does: it posts to the action URL the previous TwiML named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.languages import Language
from bot.storage.store import conversation_id_for
from channels.twilio.signature import sign
from channels.twilio.voice_languages import VOICE_LANGUAGES
from tests.channels.twilio.voice_call import (
    ADVISOR_PHONE,
    AUTH_TOKEN,
    CALLER,
    DURING_HOURS,
    PUBLIC_BASE_URL,
    STATS_SHORT,
    TAX_QUESTIONS,
    TAX_SHORT,
    VOICE_URL,
    VoiceLine,
    only,
    says,
    spoken,
    voice_line,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "7" * 32
# What each language must get from Twilio: (speech locale, voice, voice language); None where there is none.
EXPECTED: dict[Language, tuple[str | None, str | None, str | None]] = {
    "fi": ("fi-FI", "Polly.Suvi-Neural", "fi-FI"),
    "sv": ("sv-SE", "Polly.Astrid", "sv-SE"),
    "en": ("en-GB", "Polly.Amy-Neural", "en-GB"),
    "ru": ("ru-RU", "Polly.Tatyana", "ru-RU"),
    "uk": ("uk-UA", "Google.uk-UA-Standard-A", "uk-UA"),
    "ar": ("ar-IQ", "Polly.Zeina", "arb"),
    "fa": ("fa-IR", None, None),
    "so": (None, None, None),
}
SPEAKING = [lang for lang, (locale, voice, _) in EXPECTED.items() if locale and voice]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _nothing_stored(line: VoiceLine) -> bool:
    conversation = line.store.get_conversation(conversation_id_for("voice", CALLER))
    return conversation is None and line.store.count_messages() == 0 and not line.store.escalations()


# -- verification ------------------------------------------------------------------------------------------

STEPS = [
    "",
    "/language",
    "/question?lang=fi",
    "/offer?lang=so",
    "/person?lang=fi",
    "/recording?lang=so",
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("forgery", ["unsigned", "wrong token", "other url", "tampered field"])
async def test_unverified_requests_are_refused_and_nothing_is_stored(
    tmp_path: Path, step: str, forgery: str
) -> None:
    async with voice_line(tmp_path) as line:
        url = VOICE_URL + step
        fields = line.fields(Digits="1", SpeechResult="mistä saan verokortin", RecordingUrl=RECORDING_URL)
        if forgery == "unsigned":
            response = await line.client.post(url.removeprefix(PUBLIC_BASE_URL), data=fields)
        elif forgery == "wrong token":
            response = await line.post(url, fields, token="not-the-token")
        elif forgery == "other url":  # a signature for another step or state cannot be replayed here
            response = await line.post(url, fields, signed_url=VOICE_URL + "/offer?lang=fi")
        else:  # signed for this caller, sent with another one
            headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, fields)}
            altered = {**fields, "From": "+358409999999"}
            response = await line.client.post(
                url.removeprefix(PUBLIC_BASE_URL), data=altered, headers=headers
            )
        assert response.status_code == 403
        assert "<Response" not in response.text
        await line.idle()
        assert _nothing_stored(line)
        assert line.sms.sent == []


# -- the menu ------------------------------------------------------------------------------------------------


async def test_the_menu_offers_all_eight_languages_each_in_its_own_voice_and_a_person(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        turn = await line.call()
        gather = only(turn.twiml, "Gather")
        assert set(gather.get("input", "").split()) == {"dtmf", "speech"}
        assert gather.get("numDigits") == "1"
        assert gather.get("action") == VOICE_URL + "/language"
        lines = says(gather)
        for language, (_, voice, voice_language) in EXPECTED.items():
            digit = VOICE_LANGUAGES[language].digit
            options = [s for s in lines if s.text.rstrip(".").endswith(f" {digit}")]
            assert len(options) == 1, (language, options)
            if voice:
                assert (options[0].voice, options[0].language) == (voice, voice_language)
            else:  # said in English
                assert options[0].voice.startswith("Polly.") and options[0].language.startswith("en-")
        assert any("Somali" in s.text and s.text.endswith("7.") for s in lines)
        assert any("Persian / Dari" in s.text and s.text.endswith("8.") for s in lines)
        residents = [s for s in lines if s.text.endswith(" 9.")]
        assert {s.language for s in residents} == {"fi-FI", "sv-SE", "en-GB"}
        assert any(s.language == "en-GB" and "person" in s.text and s.text.endswith("0.") for s in lines)
        # no input: Twilio falls through to the <Redirect>, which re-prompts rather than hanging up
        assert only(turn.twiml, "Redirect").text == VOICE_URL + "/language"


async def test_silence_at_the_menu_repeats_it_then_says_goodbye(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        again = await line.follow()
        assert "Gather" in {e.tag for e in again.twiml.iter()}
        assert "Tervetuloa" not in spoken(again.twiml)  # the greeting is not repeated
        await line.follow()
        last = await line.follow()
        assert [e.tag for e in last.twiml.iter()][-1] == "Hangup"
        assert "Goodbye" in spoken(last.twiml)


async def test_a_language_can_be_chosen_by_saying_its_name(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        turn = await line.follow(SpeechResult="Russian please", Confidence="0.8")
        assert only(turn.twiml, "Gather").get("language") == "ru-RU"
        conversation = line.store.conversation("voice", CALLER)
        assert (conversation.language, conversation.language_locked) == ("ru", True)


async def test_an_unknown_key_at_the_menu_says_so_and_repeats_the_menu(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        turn = await line.follow(Digits="#")
        assert "Sorry, I did not catch that." in spoken(turn.twiml)
        assert only(turn.twiml, "Gather").get("action", "").startswith(VOICE_URL + "/language")


# -- questions and answers -----------------------------------------------------------------------------------


async def test_a_finnish_callers_question_is_answered_with_the_short_version_in_suvi_s_voice(
    tmp_path: Path,
) -> None:
    async with voice_line(tmp_path) as line:
        asked = await line.choose("fi")
        gather = only(asked.twiml, "Gather")
        assert gather.get("language") == "fi-FI"
        assert "speech" in gather.get("input", "").split()
        assert gather.get("action") == VOICE_URL + "/question?lang=fi"

        turn = await line.follow(SpeechResult="Mistä saan verokortin?", Confidence="0.91")
        answer = says(turn.twiml)[0]
        assert answer.text == TAX_SHORT["fi"]
        assert (answer.voice, answer.language) == ("Polly.Suvi-Neural", "fi-FI")
        assert "More details" not in spoken(turn.twiml)  # the long answer is for text channels
        following = only(turn.twiml, "Gather")
        assert following.get("language") == "fi-FI"
        assert following.get("action") == VOICE_URL + "/question?lang=fi"
        assert any(s.text.endswith("paina 0.") for s in says(following))
        conversation_id = conversation_id_for("voice", CALLER)
        assert line.store.messages(conversation_id)[0] == ("in", "Mistä saan verokortin?")


@pytest.mark.parametrize("language", SPEAKING)
async def test_each_speaking_language_listens_in_its_locale_and_answers_in_its_voice(
    tmp_path: Path, language: Language
) -> None:
    locale, voice, voice_language = EXPECTED[language]
    async with voice_line(tmp_path) as line:
        asked = await line.choose(language)
        assert only(asked.twiml, "Gather").get("language") == locale
        assert {(s.voice, s.language) for s in says(asked.twiml)} == {(voice, voice_language)}

        turn = await line.follow(SpeechResult=TAX_QUESTIONS[language][0])
        answer = says(turn.twiml)[0]
        assert (answer.text, answer.voice, answer.language) == (TAX_SHORT[language], voice, voice_language)
        assert only(turn.twiml, "Gather").get("language") == locale


async def test_an_answer_only_in_english_is_announced_and_read_by_the_english_voice(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        await line.follow(Digits="9")  # residents' facts
        await line.follow(Digits="2")  # in Swedish; the statistics entry has no Swedish text
        question = "hur många invandrare bor i Finland"
        line.dialogue.picks[question] = "immigration_statistics.basics"
        turn = await line.follow(SpeechResult=question)
        note, answer = says(turn.twiml)[:2]
        assert note.language == "sv-SE" and "engelska" in note.text
        assert (answer.text, answer.language) == (STATS_SHORT["en"], "en-GB")


async def test_without_a_short_answer_the_replies_are_spoken_without_links_or_buttons(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.choose("en")
        turn = await line.follow(SpeechResult="can my cat get a passport")
        answer = says(turn.twiml)[0]
        assert "Sorry, I do not know that yet." in answer.text
        assert "An advisor can help you." in answer.text
        assert "http" not in answer.text and "infofinland" not in answer.text
        assert "Talk to a person" not in answer.text and "Ask again" not in answer.text
        assert answer.voice == "Polly.Amy-Neural"


async def test_silence_instead_of_a_question_is_asked_again_twice_then_goodbye(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.choose("fi")
        for _ in range(2):
            turn = await line.follow(SpeechResult="")
            assert says(turn.twiml)[0].text == "Anteeksi, en kuullut kysymystä."
            assert only(turn.twiml, "Gather").get("language") == "fi-FI"
        last = await line.follow()
        assert [e.tag for e in last.twiml.iter()][-1] == "Hangup"
        assert "Gather" not in {e.tag for e in last.twiml.iter()}
        assert "Näkemiin" in spoken(last.twiml)
        assert line.store.count_messages() == 0  # silence is not a message


async def test_the_residents_option_limits_answers_to_resident_topics(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        menu = await line.follow(Digits="9")
        assert {s.language for s in says(menu.twiml)} == {"fi-FI", "sv-SE", "en-GB"}
        asked = await line.follow(Digits="3")
        assert only(asked.twiml, "Gather").get("language") == "en-GB"
        assert line.store.conversation("voice", CALLER).audience == "resident"

        stats = await line.follow(SpeechResult="how many immigrants live in finland")
        assert says(stats.twiml)[0].text == STATS_SHORT["en"]
        tax = await line.follow(SpeechResult="how do I get a tax card")
        assert TAX_SHORT["en"] not in spoken(tax.twiml)  # an immigrants' topic is out of reach

    # the same question from a caller who chose a language normally is answered
    async with voice_line(tmp_path / "again") as line:
        await line.choose("en")
        assert line.store.conversation("voice", CALLER).audience is None
        tax = await line.follow(SpeechResult="how do I get a tax card")
        assert says(tax.twiml)[0].text == TAX_SHORT["en"]


# -- Somali and Persian --------------------------------------------------------------------------------------


async def test_somali_caller_is_offered_sms_and_voicemail_and_the_voicemail_becomes_an_escalation(
    tmp_path: Path,
) -> None:
    """Acceptance: a Somali caller leaves a voice message, and an advisor gets it with the recording."""
    async with voice_line(tmp_path) as line:
        offer = await line.choose("so")
        gather = only(offer.twiml, "Gather")
        assert gather.get("input") == "dtmf"  # no Somali speech recognition: keys only
        assert gather.get("language") is None
        assert gather.get("action") == VOICE_URL + "/offer?lang=so"
        text = spoken(offer.twiml)
        assert "text message" in text and "press 1" in text
        assert "voice message" in text and "press 2" in text and "press 0" in text
        assert all(s.language == "en-GB" for s in says(offer.twiml))

        prompt = await line.follow(Digits="2")
        record = only(prompt.twiml, "Record")
        assert record.get("action") == VOICE_URL + "/recording?lang=so"
        assert "advisor who speaks your language" in spoken(prompt.twiml)

        thanks = await line.follow(RecordingUrl=RECORDING_URL, RecordingSid="RE1", RecordingDuration="14")
        assert "saved" in spoken(thanks.twiml)
        assert [e.tag for e in thanks.twiml.iter()][-1] == "Hangup"
        # Twilio may post the same callback again: still one escalation
        repeated = line.fields(RecordingUrl=RECORDING_URL, RecordingSid="RE1", RecordingDuration="14")
        assert (await line.post(prompt.next_url, repeated)).status_code == 200

        escalations = line.store.escalations()
        assert len(escalations) == 1
        voicemail = escalations[0]
        assert voicemail.reason == "voicemail"
        assert voicemail.recording_url == RECORDING_URL
        assert voicemail.language == "so"
        assert voicemail.channel == "voice"
        assert voicemail.contact == CALLER
        assert voicemail.conversation_id == conversation_id_for("voice", CALLER)


async def test_somali_caller_can_continue_by_text_message_in_somali(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.choose("so")
        turn = await line.follow(Digits="1")
        assert "We have sent you a text message" in spoken(turn.twiml)
        assert [e.tag for e in turn.twiml.iter()][-1] == "Hangup"
        await line.idle()
        [(number, outgoing)] = line.sms.sent
        assert number == CALLER
        assert outgoing.language == "so"
        assert "af-Soomaali" in outgoing.messages[0].text
        sms = line.store.conversation("sms", CALLER)
        assert (sms.language, sms.language_locked) == ("so", True)
        assert outgoing.conversation_id == sms.id


async def test_persian_question_is_heard_in_fa_ir_and_answered_by_text_message(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        offer = await line.choose("fa")
        assert "press 1" in spoken(offer.twiml) and "text message" in spoken(offer.twiml)
        asked = await line.follow(Digits="1")
        gather = only(asked.twiml, "Gather")
        assert gather.get("language") == "fa-IR"
        assert "Persian / Dari" in spoken(asked.twiml)
        assert all(s.voice == "Polly.Amy-Neural" for s in says(asked.twiml))

        turn = await line.follow(SpeechResult=TAX_QUESTIONS["fa"][0])
        assert "We have sent the answer to you by text message." in spoken(turn.twiml)
        assert TAX_SHORT["fa"] not in spoken(turn.twiml)  # no voice can read Persian
        assert only(turn.twiml, "Gather").get("language") == "fa-IR"
        await line.idle()
        [(number, outgoing)] = line.sms.sent
        assert number == CALLER
        assert (outgoing.language, outgoing.short_answer) == ("fa", TAX_SHORT["fa"])
        assert outgoing.entry_id == "tax_card.basics"


async def test_persian_without_an_sms_channel_does_not_promise_a_text_message(tmp_path: Path) -> None:
    async with voice_line(tmp_path, with_sms=False) as line:
        await line.choose("fa")
        await line.follow(Digits="1")
        turn = await line.follow(SpeechResult=TAX_QUESTIONS["fa"][0])
        assert "sent" not in spoken(turn.twiml)
        assert "We cannot send a text message to this number." in spoken(turn.twiml)
        assert only(turn.twiml, "Record").get("action") == VOICE_URL + "/recording?lang=fa"


# -- a person ------------------------------------------------------------------------------------------------


async def test_zero_during_advisors_hours_dials_the_advisors_line(tmp_path: Path) -> None:
    async with voice_line(tmp_path, clock=lambda: DURING_HOURS) as line:
        await line.choose("uk")
        turn = await line.follow(Digits="0")
        dial = only(turn.twiml, "Dial")
        assert only(dial, "Number").text == ADVISOR_PHONE
        assert dial.get("action") == VOICE_URL + "/person?lang=uk&dialed=1"
        assert says(turn.twiml)[0].voice == "Google.uk-UA-Standard-A"

        # the advisors did not answer: a voicemail instead of silence
        missed = await line.follow(DialCallStatus="no-answer")
        assert only(missed.twiml, "Record").get("action") == VOICE_URL + "/recording?lang=uk"


async def test_zero_outside_advisors_hours_offers_a_voicemail(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        await line.call()
        turn = await line.follow(Digits="0")
        assert "Dial" not in {e.tag for e in turn.twiml.iter()}
        assert only(turn.twiml, "Record").get("action") == VOICE_URL + "/recording"
        assert "no advisor can answer" in spoken(turn.twiml)
        saved = await line.follow(RecordingUrl=RECORDING_URL, RecordingDuration="9")
        assert "Kiitos" in spoken(saved.twiml) and "Thank you" in spoken(saved.twiml)
        [voicemail] = line.store.escalations()
        assert (voicemail.language, voicemail.recording_url) == (None, RECORDING_URL)


async def test_without_an_advisor_number_even_office_hours_lead_to_voicemail(tmp_path: Path) -> None:
    async with voice_line(tmp_path, clock=lambda: DURING_HOURS, advisor_phone="") as line:
        await line.choose("fi")
        turn = await line.follow(Digits="0")
        assert "Dial" not in {e.tag for e in turn.twiml.iter()}
        only(turn.twiml, "Record")


# -- malformed input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["CallSid", "From"])
async def test_a_request_without_call_sid_or_caller_is_rejected(tmp_path: Path, missing: str) -> None:
    async with voice_line(tmp_path) as line:
        fields = line.fields(Digits="1")
        del fields[missing]
        response = await line.post(VOICE_URL + "/language", fields)
        assert response.status_code == 400
        assert _nothing_stored(line)


async def test_an_oversized_body_is_rejected(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        fields = line.fields(SpeechResult="a" * 1_000_000)
        response = await line.post(VOICE_URL + "/question?lang=fi", fields)
        assert response.status_code == 413
        assert _nothing_stored(line)


async def test_a_body_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        body = b"CallSid=CA1&From=%2B358401112222&SpeechResult=\xff\xfe"
        headers = {
            "X-Twilio-Signature": "anything",
            "content-type": "application/x-www-form-urlencoded",
        }
        response = await line.client.post(
            "/webhooks/twilio/voice/question?lang=fi", content=body, headers=headers
        )
        assert response.status_code == 400
        assert _nothing_stored(line)


@pytest.mark.parametrize(
    "step", ["/question?lang=xx", "/question", "/offer?lang=klingon", "/question?lang=fi%00"]
)
async def test_an_unknown_language_in_the_query_falls_back_to_the_menu(tmp_path: Path, step: str) -> None:
    async with voice_line(tmp_path) as line:
        turn = await line.step(VOICE_URL + step, SpeechResult="mistä saan verokortin")
        assert only(turn.twiml, "Gather").get("action") == VOICE_URL + "/language"
        assert line.store.count_messages() == 0


async def test_garbage_state_in_the_query_is_harmless(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        turn = await line.step(VOICE_URL + "/question?lang=fi&tries=-5x", SpeechResult="")
        assert only(turn.twiml, "Gather").get("language") == "fi-FI"


async def test_a_recording_callback_without_a_recording_url_stores_nothing(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        for url in ("", "javascript:alert(1)", "http://insecure.example/r.wav"):
            response = await line.post(VOICE_URL + "/recording?lang=so", line.fields(RecordingUrl=url))
            assert response.status_code == 400
        assert line.store.escalations() == []


# -- state lives in the URL and the database, not in a worker's memory ---------------------------------------


async def test_a_call_can_move_between_app_workers(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    async with (
        voice_line(tmp_path / "a", database=database) as first,
        voice_line(tmp_path / "b", database=database) as second,
    ):
        await first.call()
        await first.follow(Digits="9")  # residents' facts, on one worker
        asked = await first.follow(Digits="1")
        second.last = asked  # Twilio's next request lands on another worker
        turn = await second.follow(SpeechResult="kuinka monta maahanmuuttajaa suomessa asuu")
        answer = says(turn.twiml)[0]
        assert (answer.text, answer.voice) == (STATS_SHORT["fi"], "Polly.Suvi-Neural")


async def test_a_hidden_number_gets_a_voicemail_instead_of_a_text_message(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        line.caller = "anonymous"
        await line.choose("so")
        turn = await line.follow(Digits="1")
        assert "We cannot send a text message to this number." in spoken(turn.twiml)
        await line.follow(RecordingUrl=RECORDING_URL, RecordingDuration="5")
        await line.idle()
        assert line.sms.sent == []
        [voicemail] = line.store.escalations()
        assert voicemail.contact is None  # an advisor must not try to call "anonymous"
        assert voicemail.recording_url == RECORDING_URL


async def test_asking_for_a_person_by_voice_at_the_menu_reaches_the_advisors(tmp_path: Path) -> None:
    async with voice_line(tmp_path, clock=lambda: DURING_HOURS) as line:
        await line.call()
        turn = await line.follow(SpeechResult="Person, please!")
        assert only(only(turn.twiml, "Dial"), "Number").text == ADVISOR_PHONE
