"""A phone line under test: the real app with the voice channel, driven by requests signed as Twilio signs.

`VoiceLine.call()` starts a call and `follow()` posts to the URL the last TwiML told Twilio to post to
(a <Gather>, <Record> or <Dial> action), so tests walk a call exactly as Twilio would. The app runs with a
dialogue fake that answers from a small knowledge base of its own (with a resident-audience entry), and a
collecting "sms" output.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.conversation.rasa_client import RasaTurn
from bot.dialogue.responses import BotMessage, Button, ResponseCatalog
from bot.knowledge.loader import load_knowledge_base
from bot.languages import FALLBACK_LANGUAGE, Language
from bot.retrieval.index import load_or_build
from bot.retrieval.language_detection import DetectedLanguage
from bot.retrieval.retriever import Retriever
from bot.retrieval.scoring import Calibration, Mode, ScoringParams
from bot.settings import AppSettings
from bot.storage.store import ConversationStore
from channels.base import DeliveryFailed, Outgoing
from channels.settings import AdvisorHours
from channels.twilio.signature import sign
from channels.twilio.voice import VoiceChannel
from channels.twilio.voice_languages import VOICE_LANGUAGES
from tests.conftest import HashingEmbedder
from tests.fakes import FakeDialogue

AUTH_TOKEN = "voice-test-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://neuvo.example.fi"
CALLER = "+358401112222"
LINE_NUMBER = "+358145550000"
ADVISOR_PHONE = "+358145559999"
VOICE_URL = PUBLIC_BASE_URL + "/webhooks/twilio/voice"
# A Wednesday at 10:00 in Helsinki, inside "mon-fri=09:00-15:00"; and the same day at 20:00.
OFFICE_HOURS = AdvisorHours.parse("mon-fri=09:00-15:00")
DURING_HOURS = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
AFTER_HOURS = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)

# -- a knowledge base with a tax entry in the languages that can ask by voice, and a resident entry ----------

TAX_SHORT: dict[Language, str] = {
    "fi": "Verokortin voi tilata OmaVerosta tai verotoimistosta.",
    "sv": "Du kan beställa skattekort i MinSkatt eller på skattebyrån.",
    "en": "You can order a tax card in MyTax or at a tax office.",
    "ru": "Налоговую карточку можно заказать в MyTax или в налоговой.",
    "uk": "Податкову картку можна замовити в MyTax або в податковій.",
    "ar": "يمكنك طلب بطاقة الضريبة من خدمة MyTax أو من مكتب الضرائب.",
    "fa": "کارت مالیاتی را می‌توانید از MyTax یا اداره مالیات سفارش دهید.",
}
TAX_QUESTIONS: dict[Language, list[str]] = {
    "fi": [
        "mistä saan verokortin",
        "verokortti uuteen työhön",
        "miten tilaan verokortin netissä",
        "veronumero rakennustyömaalle",
        "tarvitsenko verokortin",
        "verokortin prosentti on väärin",
    ],
    "sv": [
        "hur får jag ett skattekort",
        "skattekort för mitt nya jobb",
        "var beställer jag skattekort på nätet",
        "skattenummer för byggarbete",
        "behöver jag ett skattekort",
        "min skatteprocent är fel",
    ],
    "en": [
        "how do i get a tax card",
        "tax card for my new job",
        "where to order tax card online",
        "tax number for construction work",
        "do i need a tax card",
        "my tax card percentage is wrong",
    ],
    "ru": [
        "как получить налоговую карточку",
        "налоговая карточка для новой работы",
        "где заказать налоговую карточку онлайн",
        "налоговый номер для стройки",
        "нужна ли мне налоговая карточка",
        "неправильный процент в налоговой карточке",
    ],
    "uk": [
        "як отримати податкову картку",
        "податкова картка для нової роботи",
        "де замовити податкову картку онлайн",
        "податковий номер для будівництва",
        "чи потрібна мені податкова картка",
        "неправильний відсоток у податковій картці",
    ],
    "ar": [
        "كيف أحصل على بطاقة الضريبة",
        "بطاقة ضريبية لعملي الجديد",
        "أين أطلب بطاقة الضريبة عبر الإنترنت",
        "رقم ضريبي لأعمال البناء",
        "هل أحتاج إلى بطاقة ضريبية",
        "نسبة الضريبة في بطاقتي خاطئة",
    ],
    "fa": [
        "چطور کارت مالیاتی بگیرم",
        "کارت مالیاتی برای کار جدیدم",
        "کارت مالیاتی را کجا آنلاین سفارش بدهم",
        "شماره مالیاتی برای کار ساختمانی",
        "آیا به کارت مالیاتی نیاز دارم",
        "درصد مالیات کارتم اشتباه است",
    ],
}
STATS_SHORT: dict[Language, str] = {
    "fi": "Noin yhdeksän prosenttia Suomen asukkaista puhuu äidinkielenään vierasta kieltä.",
    "en": "About nine percent of people in Finland speak a foreign language as their mother tongue.",
}
STATS_QUESTIONS: dict[Language, list[str]] = {
    "fi": [
        "kuinka monta maahanmuuttajaa suomessa asuu",
        "ulkomaalaisten määrä suomessa",
        "maahanmuuttotilastot",
        "montako pakolaista suomeen tulee vuosittain",
        "vieraskielisten osuus väestöstä",
        "kasvaako maahanmuutto suomeen",
    ],
    "en": [
        "how many immigrants live in finland",
        "number of foreigners in finland",
        "immigration statistics",
        "how many refugees come to finland each year",
        "share of foreign language speakers",
        "is immigration to finland growing",
    ],
}
REVIEW = {"status": "machine_draft", "by": None, "date": "2026-11-28"}


def _entry(
    entry_id: str, audience: str, short: dict[Language, str], questions: dict[Language, list[str]]
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "topic": entry_id.split(".")[0],
        "audience": audience,
        "municipalities": [],
        "sources": ["https://www.infofinland.fi/"],
        "last_reviewed": "2026-11-28",
        "translations": {
            lang: {
                "title": questions[lang][0],
                "answer": f"{short[lang]} More details on the page.",
                "short": short[lang],
                "questions": questions[lang],
                "review": REVIEW,
            }
            for lang in questions
        },
    }


class FixedIdentifier:
    """The line always knows the caller's language; detection is not what these tests are about."""

    shared_terms: frozenset[str] = frozenset()

    def detect(self, text: str, default: Language = FALLBACK_LANGUAGE) -> DetectedLanguage:
        return DetectedLanguage(default, 0.0, {})

    def warm_up(self) -> None:
        return None


_KB_DIR = tempfile.TemporaryDirectory(prefix="neuvo-voice-kb-")


@cache
def shared_retriever() -> Retriever:
    """One retriever for every test (it is read-only): building the index per test would dominate."""
    root = Path(_KB_DIR.name)
    return voice_retriever(root)


@cache
def cached_catalog(domain: Path) -> ResponseCatalog:
    return ResponseCatalog.load(domain)


def voice_retriever(root: Path) -> Retriever:
    entries = root / "kb" / "entries"
    entries.mkdir(parents=True)
    data = {
        "entries": [
            _entry("tax_card.basics", "immigrant", TAX_SHORT, TAX_QUESTIONS),
            _entry("immigration_statistics.basics", "resident", STATS_SHORT, STATS_QUESTIONS),
        ]
    }
    (entries / "voice.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    kb = load_knowledge_base(entries)
    assert not kb.problems, kb.problems
    embedder = HashingEmbedder()
    index, _ = load_or_build(kb, embedder, root / "cache", show_progress=False)
    params = ScoringParams(dense_weight=0.5, coef_score=20, coef_margin=0, intercept=-8, threshold=0.5)
    calibration = Calibration({Mode.HYBRID: params, Mode.LEXICAL: params, Mode.DENSE: params})
    return Retriever(kb, index, embedder, calibration, identifier=FixedIdentifier())  # type: ignore[arg-type]


NO_ANSWER = BotMessage(
    "Sorry, I do not know that yet. Read more at https://www.infofinland.fi/en\nAn advisor can help you.",
    [Button("Talk to a person", "/human_handoff"), Button("Ask again", "/deny")],
)


class KnowledgeDialogue(FakeDialogue):
    """Acts like Rasa running action_answer_question: retrieval with the conversation's audience."""

    def __init__(self, retriever: Retriever) -> None:
        super().__init__()
        self.retriever = retriever
        self.store: ConversationStore | None = None
        # question -> entry id: what Rasa would pick regardless of this retriever (tests set it)
        self.picks: dict[str, str] = {}

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        self.seen.append((conversation_id, text, metadata["language"]))
        conversation = self.store.get_conversation(conversation_id) if self.store else None
        audience = conversation.audience if conversation else None
        if text in self.picks:
            answer, confidence = self.retriever.answer_for(self.picks[text], metadata["language"]), 0.9
        else:
            found = self.retriever.search(text, language=metadata["language"], audience=audience)
            answer, confidence = found.answer, found.confidence
        if answer is None:
            return RasaTurn([NO_ANSWER], "out_of_scope", 0.4, actions=["utter_no_answer"])
        reply = BotMessage(f"{answer.title}\n\n{answer.text}\n\nSource: {answer.sources[0]}")
        slots = {"entry_id": answer.entry_id, "topic": answer.topic, "confidence": confidence}
        return RasaTurn([reply], "ask_question", 0.9, actions=["action_answer_question"], slots=slots)


@dataclass
class CollectingSms:
    """The "sms" output: records what would be texted, or refuses everything."""

    name: str = "sms"
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    refuse: bool = False

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        if self.refuse:
            raise DeliveryFailed("refused by the fake")
        self.sent.append((recipient_id, outgoing))


# -- reading TwiML ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    text: str
    voice: str
    language: str


def says(root: ET.Element) -> list[Said]:
    return [Said(e.text or "", e.get("voice", ""), e.get("language", "")) for e in root.iter("Say")]


def only(root: ET.Element, tag: str) -> ET.Element:
    found = list(root.iter(tag))
    assert len(found) == 1, f"expected one <{tag}>, got {len(found)}: {ET.tostring(root, encoding='unicode')}"
    return found[0]


def spoken(root: ET.Element) -> str:
    return " ".join(s.text for s in says(root))


# -- the line --------------------------------------------------------------------------------------------


@dataclass
class Turn:
    response: httpx.Response
    twiml: ET.Element

    @property
    def next_url(self) -> str:
        """Where Twilio posts next: the action of the <Gather>, <Record> or <Dial> in this TwiML."""
        for tag in ("Gather", "Record", "Dial"):
            for element in self.twiml.iter(tag):
                return element.get("action", "")
        raise AssertionError("this TwiML expects no further input")


@dataclass
class VoiceLine:
    app: FastAPI
    client: httpx.AsyncClient
    sms: CollectingSms
    dialogue: KnowledgeDialogue
    caller: str = CALLER
    call_sid: str = "CA" + "1" * 32
    last: Turn | None = None

    @property
    def store(self) -> ConversationStore:
        store: ConversationStore = self.app.state.store
        return store

    def fields(self, **extra: str) -> dict[str, str]:
        base = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": LINE_NUMBER,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        return base | extra

    async def post(
        self, url: str, fields: dict[str, str], *, token: str = AUTH_TOKEN, signed_url: str | None = None
    ) -> httpx.Response:
        """POST as Twilio does: form fields, signed over the public URL (override to forge a bad one)."""
        assert url.startswith(PUBLIC_BASE_URL), url
        headers = {"X-Twilio-Signature": sign(token, signed_url or url, fields)}
        return await self.client.post(url.removeprefix(PUBLIC_BASE_URL), data=fields, headers=headers)

    async def step(self, url: str, **extra: str) -> Turn:
        response = await self.post(url, self.fields(**extra))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.last = Turn(response, ET.fromstring(response.content))
        return self.last

    async def call(self) -> Turn:
        return await self.step(VOICE_URL)

    async def follow(self, **extra: str) -> Turn:
        assert self.last is not None, "no call in progress"
        return await self.step(self.last.next_url, **extra)

    async def choose(self, language: Language) -> Turn:
        await self.call()
        return await self.follow(Digits=VOICE_LANGUAGES[language].digit)

    async def idle(self) -> None:
        await self.app.state.hub.idle()


@asynccontextmanager
async def voice_line(
    tmp_path: Path,
    *,
    clock: Callable[[], dt.datetime] = lambda: AFTER_HOURS,
    advisor_phone: str = ADVISOR_PHONE,
    with_sms: bool = True,
    database: Path | None = None,
) -> AsyncIterator[VoiceLine]:
    """The app with the voice line; `database` lets two of them (two workers) share one database."""
    retriever = shared_retriever()
    dialogue = KnowledgeDialogue(retriever)
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{database or tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    channel = VoiceChannel(
        AUTH_TOKEN,
        PUBLIC_BASE_URL,
        cached_catalog(settings.domain_path),
        advisor_phone=advisor_phone,
        advisor_hours=OFFICE_HOURS,
        clock=clock,
    )
    app = create_app(
        settings, KnowledgeSettings.from_env(), dialogue=dialogue, retriever=retriever, channels=[channel]
    )
    sms = CollectingSms()
    async with app.router.lifespan_context(app):
        dialogue.store = app.state.store
        if with_sms:
            app.state.hub.register_output(sms)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield VoiceLine(app, client, sms, dialogue)
