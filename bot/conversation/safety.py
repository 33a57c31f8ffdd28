"""Recognising messages that tell of danger now (self-harm, suicide, violence), in the eight languages.

A match makes the bot give emergency information at once and raise an urgent escalation, before any other
processing. The phrases are first-person signs of danger, not topic words, so a question *about* a subject
("what does the law say about domestic violence") is answered normally from the knowledge base.
The list is a machine draft (2026-11-28) that native speakers and a crisis professional must review.
"""

from __future__ import annotations

import re
import unicodedata

# Folded substrings (lower case, no Arabic diacritics); a word-start anchor avoids matches inside words.
_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "suicide",
        "suicidal",
        "kill myself",
        "end my life",
        "want to die",
        "wanna die",
        "hurt myself",
        "harm myself",
        "self harm",
        "self-harm",
        "cut myself",
        "hits me",
        "beats me",
        "beating me",
        "hit me",
        "threatens to kill",
        "threatened to kill",
        "going to kill me",
        "raped",
        "rape me",
        "abusing me",
        "afraid for my life",
        "i am in danger",
        "i'm in danger",
    ),
    "fi": (
        "itsemurh",
        "tappaa itseni",
        "tapan itseni",
        "haluan kuolla",
        "en halua elää",
        "satuttaa itseäni",
        "satutan itseäni",
        "viillän",
        "lyö minua",
        "löi minua",
        "hakkaa minua",
        "hakkasi minua",
        "uhkaa tappaa",
        "uhkasi tappaa",
        "raiskas",
        "pahoinpitel",
        "olen vaarassa",
        "pelkään henkeni",
    ),
    "sv": (
        "självmord",
        "ta livet av mig",
        "vill dö",
        "skada mig själv",
        "skär mig",
        "slår mig",
        "slog mig",
        "misshandl",
        "hotar att döda",
        "hotade att döda",
        "våldt",
        "jag är i fara",
    ),
    "ru": (
        "самоубий",
        "покончить с собой",
        "хочу умереть",
        "не хочу жить",
        "убить себя",
        "причинить себе",
        "режу себя",
        "бьёт меня",
        "бьет меня",
        "избива",
        "угрожает убить",
        "угрожал убить",
        "изнасил",
        "я в опасности",
    ),
    "uk": (
        "самогуб",
        "покінчити з собою",
        "хочу померти",
        "не хочу жити",
        "вбити себе",
        "завдати собі",
        "ріжу себе",
        "б'є мене",
        "побива",
        "погрожує вбити",
        "погрожував вбити",
        "зґвалт",
        "згвалт",
        "я в небезпеці",
    ),
    "ar": (
        "انتحار",
        "انتحر",
        "اقتل نفسي",
        "أقتل نفسي",
        "اريد ان اموت",
        "أريد أن أموت",
        "اؤذي نفسي",
        "أؤذي نفسي",
        "يضربني",
        "تضربني",
        "ضربني",
        "يهددني بالقتل",
        "هددني بالقتل",
        "اغتصب",
        "انا في خطر",
        "أنا في خطر",
    ),
    "so": (
        "isdil",
        "is dil",
        "is-dil",
        "waan dhiman rabaa",
        "dhimasho ayaan rabaa",
        "naftayda dilo",
        "i garaaca",
        "i garaacay",
        "i dili doona",
        "inuu i dilo",
        "kufsi",
        "kufsad",
        "khatar baan ku jiraa",
    ),
    "fa": (
        "خودکشی",
        "خودم را بکشم",
        "خودمو بکشم",
        "میخواهم بمیرم",
        "می خواهم بمیرم",
        "میخوام بمیرم",
        "به خودم آسیب",
        "مرا میزند",
        "منو میزنه",
        "کتکم میزند",
        "کتکم میزنه",
        "کتک میزنه",
        "تهدید به کشتن",
        "تهدیدم کرده بکشه",
        "تجاوز کرد",
        "در خطر هستم",
    ),
}
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alif, tatweel


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u02bc", "'").replace("\u200c", " ")
    text = _ARABIC_MARKS.sub("", text)
    return " ".join(text.split())


_PATTERN = re.compile(
    "|".join(
        rf"(?<!\w){re.escape(_fold(p))}"
        for phrases in _PHRASES.values()
        for p in sorted(phrases, key=len)[::-1]
    )
)


def signals_danger(text: str) -> bool:
    """True when the message tells of a danger to the writer now (any of the eight languages)."""
    return bool(_PATTERN.search(_fold(text)))
