"""The 23 municipalities the roaming advisor visits, and finding them in what people write.

People write a municipality the way they speak: inflected Finnish ("Äänekoskella", "Jyväskylään",
"Pihtiputaalla"), without the dots ("Jamsa"), in Swedish ("Laukas"), or transliterated into Cyrillic
("в Ювяскюле") or Arabic script ("في يوفاسكولا", Persian "در یوواسکولا"). Every way leads to the Finnish
name, which is what the bot writes back and what the data is keyed by.

The Finnish forms are generated from each name's stems (consonant gradation included: Pihtipudas ->
Pihtiputaa-, Konnevesi -> Konnevede-/Konnevete-, Luhanka -> Luhanga-); forms a generator would get wrong
are listed by hand. Transliterations are written by hand, several spellings each; Cyrillic ones are
matched with Russian and Ukrainian case endings, Arabic-script ones with attached prefixes (و ب ل ف ك).

Kuhmoinen moved from Central Finland to Pirkanmaa in 2021; it is listed because the advisor's
area (the issue) includes it. Swedish names exist for Keuruu (Keuru), Laukaa (Laukas) and Kuhmoinen
(Kuhmois) only; the others, Jyväskylä included, are the same in Swedish.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

# The clitics Finnish glues to any word: "Jämsässäkin", "Jyväskylään­kö", "Laukaassahan".
_CLITICS = ("kaan", "kään", "kin", "han", "hän", "ko", "kö", "pa", "pä")
# Russian and Ukrainian case endings (after folding Ukrainian letters to Russian ones, see _fold_cyrillic).
_CYRILLIC_ENDINGS = frozenset(
    {"", "а", "я", "у", "ю", "е", "и", "ы", "о", "ой", "ей", "ою", "ею", "ом", "ем", "ь", "ью", "ях", "ам"}
)
# One-letter words Arabic writes joined to the next word: and, so, in/with, for/to, like.
_ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "ك")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ې": "ي",
        "ئ": "ي",
        "ک": "ك",  # Persian keheh
        "گ": "ك",
        "ڤ": "ف",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
    }
)
_LATIN_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ü": "u", "é": "e", "š": "s", "ž": "z"})
_CYRILLIC_FOLD = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г", "ё": "е", "'": "", "’": "", "ʼ": ""})
FUZZY_MIN_LENGTH = 8  # typo tolerance only for long words: "joutsen" (swan) must not become Joutsa


@dataclass(frozen=True)
class Municipality:
    name: str  # the Finnish name, as the bot writes it
    subregion: str  # the sub-region (seutukunta): "near me" means the same sub-region
    finnish_forms: tuple[str, ...]
    swedish: tuple[str, ...] = ()
    cyrillic: tuple[str, ...] = ()
    arabic: tuple[str, ...] = field(default=())


def _declined(
    name: str, weak: str, strong: str, partitive: str, illative: str, *extra: str
) -> tuple[str, ...]:
    """The name in the cases people use for places, from its weak and strong stems.

    weak: genitive and local cases (Pihtiputaa-n, Pihtiputaa-lla); strong: essive (Toivakka-na).
    """
    a = _harmony(strong)
    return (
        name,
        f"{weak}n",
        f"{weak}ss{a}",
        f"{weak}st{a}",
        f"{weak}ll{a}",
        f"{weak}lt{a}",
        f"{weak}lle",
        f"{weak}ksi",
        f"{strong}n{a}",
        partitive,
        illative,
        *extra,
    )


def _harmony(stem: str) -> str:
    """The vowel of the endings: the last back (a, o, u) or front (ä, ö, y) vowel decides."""
    harmonic = [c for c in stem.casefold() if c in "aouäöy"]
    return "a" if harmonic and harmonic[-1] in "aou" else "ä"


def _plural_locatives(stem: str) -> tuple[str, ...]:
    """Kuhmoinen, Uurainen: the local cases are plural in use (Kuhmoisissa, Uuraisiin, Kuhmoisten)."""
    return (
        f"{stem}issa",
        f"{stem}ista",
        f"{stem}iin",
        f"{stem}illa",
        f"{stem}ilta",
        f"{stem}ille",
        f"{stem}ten",
    )


JYVASKYLA, AANEKOSKI, SAARIJARVI_VIITASAARI, KEURUU, JAMSA, JOUTSA = (
    "Jyväskylän seutu",
    "Äänekosken seutu",
    "Saarijärven-Viitasaaren seutu",
    "Keuruun seutu",
    "Jämsän seutu",
    "Joutsan seutu",
)

MUNICIPALITIES: tuple[Municipality, ...] = (
    Municipality(
        "Hankasalmi",
        JYVASKYLA,
        _declined("Hankasalmi", "Hankasalme", "Hankasalme", "Hankasalmea", "Hankasalmeen"),
        cyrillic=("Ханкасалми",),
        arabic=("هانكاسالمي", "هانكاسلمي"),
    ),
    Municipality(
        "Joutsa",
        JOUTSA,
        _declined("Joutsa", "Joutsa", "Joutsa", "Joutsaa", "Joutsaan"),
        cyrillic=("Йоутса", "Иоутса"),
        arabic=("يوتسا", "يوتسه"),
    ),
    Municipality(
        "Jyväskylä",
        JYVASKYLA,
        _declined("Jyväskylä", "Jyväskylä", "Jyväskylä", "Jyväskylää", "Jyväskylään", "Jkl", "Jyväs"),
        cyrillic=("Ювяскюля", "Йювяскюля", "Ювяскюла", "Ювяскила", "Ювяскюль", "Йувяскюля"),
        arabic=(
            "يوفاسكولا",
            "يوفاسكيلا",
            "يوفاسكلا",
            "جيفاسكيلا",
            "جيفاسكولا",
            "يفاسكيلا",
            "يوواسكولا",
            "يواسكيلا",
        ),
    ),
    Municipality(
        "Jämsä",
        JAMSA,
        _declined("Jämsä", "Jämsä", "Jämsä", "Jämsää", "Jämsään"),
        cyrillic=("Ямся", "Ямса", "Йямся", "Ямсе"),
        arabic=("يامسا", "يامسه", "جامسا", "يمسا", "يامسيا"),
    ),
    Municipality(
        "Kannonkoski",
        SAARIJARVI_VIITASAARI,
        _declined("Kannonkoski", "Kannonkoske", "Kannonkoske", "Kannonkoskea", "Kannonkoskeen"),
        cyrillic=("Каннонкоски",),
        arabic=("كانونكوسكي", "كاننونكوسكي"),
    ),
    Municipality(
        "Karstula",
        SAARIJARVI_VIITASAARI,
        _declined("Karstula", "Karstula", "Karstula", "Karstulaa", "Karstulaan"),
        cyrillic=("Карстула",),
        arabic=("كارستولا",),
    ),
    Municipality(
        "Keuruu",
        KEURUU,
        _declined("Keuruu", "Keuruu", "Keuruu", "Keuruuta", "Keuruuseen"),
        swedish=("Keuru", "Keurus"),
        cyrillic=("Кеуруу", "Кеуру"),
        arabic=("كيورو", "كيوروو", "كوروو"),
    ),
    Municipality(
        "Kinnula",
        SAARIJARVI_VIITASAARI,
        _declined("Kinnula", "Kinnula", "Kinnula", "Kinnulaa", "Kinnulaan"),
        cyrillic=("Киннула",),
        arabic=("كينولا", "كيننولا"),
    ),
    Municipality(
        "Kivijärvi",
        SAARIJARVI_VIITASAARI,
        _declined("Kivijärvi", "Kivijärve", "Kivijärve", "Kivijärveä", "Kivijärveen"),
        cyrillic=("Кивиярви",),
        arabic=("كيفيارفي", "كيفييارفي"),
    ),
    Municipality(
        "Konnevesi",
        AANEKOSKI,
        _declined("Konnevesi", "Konnevede", "Konnevete", "Konnevettä", "Konneveteen"),
        cyrillic=("Конневеси",),
        arabic=("كونيفيسي", "كونفيسي"),
    ),
    Municipality(
        "Kuhmoinen",
        JAMSA,
        _declined(
            "Kuhmoinen", "Kuhmoise", "Kuhmoise", "Kuhmoista", "Kuhmoiseen", *_plural_locatives("Kuhmois")
        ),
        swedish=("Kuhmois",),
        cyrillic=("Кухмойнен", "Кухмоинен"),
        arabic=("كوهموينن", "كوهمواينن"),
    ),
    Municipality(
        "Kyyjärvi",
        SAARIJARVI_VIITASAARI,
        _declined("Kyyjärvi", "Kyyjärve", "Kyyjärve", "Kyyjärveä", "Kyyjärveen"),
        cyrillic=("Кююярви", "Кюйярви"),
        arabic=("كيويارفي", "كيوييارفي"),
    ),
    Municipality(
        "Laukaa",
        JYVASKYLA,
        _declined("Laukaa", "Laukaa", "Laukaa", "Laukaata", "Laukaaseen"),
        swedish=("Laukas",),
        cyrillic=("Лаукаа", "Лаука"),
        arabic=("لاوكا", "لاوكاا", "لوكا"),
    ),
    Municipality(
        "Luhanka",
        JOUTSA,
        _declined("Luhanka", "Luhanga", "Luhanka", "Luhankaa", "Luhankaan"),
        cyrillic=("Луханка",),
        arabic=("لوهانكا",),
    ),
    Municipality(
        "Multia",
        KEURUU,
        _declined("Multia", "Multia", "Multia", "Multiaa", "Multiaan"),
        cyrillic=("Мультиа", "Мультия"),
        arabic=("مولتيا",),
    ),
    Municipality(
        "Muurame",
        JYVASKYLA,
        _declined("Muurame", "Muurame", "Muurame", "Muuramea", "Muurameen"),
        cyrillic=("Муураме", "Мураме"),
        arabic=("موراامي", "مورامي", "موورامي"),
    ),
    Municipality(
        "Petäjävesi",
        JYVASKYLA,
        _declined("Petäjävesi", "Petäjävede", "Petäjävete", "Petäjävettä", "Petäjäveteen"),
        cyrillic=("Петяявеси", "Петаявеси"),
        arabic=("بيتايافيسي", "بتيايافيسي"),
    ),
    Municipality(
        "Pihtipudas",
        SAARIJARVI_VIITASAARI,
        _declined("Pihtipudas", "Pihtiputaa", "Pihtiputaa", "Pihtipudasta", "Pihtiputaaseen"),
        cyrillic=("Пихтипудас",),
        arabic=("بيهتيبوداس", "بيحتيبوداس"),
    ),
    Municipality(
        "Saarijärvi",
        SAARIJARVI_VIITASAARI,
        _declined("Saarijärvi", "Saarijärve", "Saarijärve", "Saarijärveä", "Saarijärveen"),
        cyrillic=("Саариярви", "Сариярви", "Саарийярви"),
        arabic=("ساريارفي", "سارييارفي", "ساري يارفي", "سارييارڤي", "ساريياروي", "سارياروي"),
    ),
    Municipality(
        "Toivakka",
        JYVASKYLA,
        _declined("Toivakka", "Toivaka", "Toivakka", "Toivakkaa", "Toivakkaan"),
        cyrillic=("Тойвакка", "Тоивакка"),
        arabic=("تويفاكا", "تويفاككا"),
    ),
    Municipality(
        "Uurainen",
        JYVASKYLA,
        _declined("Uurainen", "Uuraise", "Uuraise", "Uuraista", "Uuraiseen", *_plural_locatives("Uurais")),
        cyrillic=("Уурайнен", "Урайнен"),
        arabic=("اوراينن", "أوراينن"),
    ),
    Municipality(
        "Viitasaari",
        SAARIJARVI_VIITASAARI,
        _declined("Viitasaari", "Viitasaare", "Viitasaare", "Viitasaarta", "Viitasaareen"),
        cyrillic=("Виитасаари", "Витасаари"),
        arabic=("فيتاساري", "فيتاسااري"),
    ),
    Municipality(
        "Äänekoski",
        AANEKOSKI,
        _declined("Äänekoski", "Äänekoske", "Äänekoske", "Äänekoskea", "Äänekoskeen"),
        cyrillic=("Яанекоски", "Эянекоски", "Ээнекоски", "Аанекоски", "Энекоски"),
        arabic=(
            "انيكوسكي",
            "اانيكوسكي",
            "آنيكوسكي",
            "أينكوسكي",
            "اينيكوسكي",
            "انكوسكي",
            "ئانيكوسكي",
            "آنه‌کوسکی",
        ),
    ),
)

NAMES: tuple[str, ...] = tuple(m.name for m in MUNICIPALITIES)
_BY_NAME = {m.name: m for m in MUNICIPALITIES}


class UnknownMunicipality(ValueError):
    """Not one of the municipalities the roaming advisor visits."""


def get(name: str) -> Municipality:
    """The municipality by its Finnish name (exactly as in NAMES)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownMunicipality(name) from None


def same_subregion(name: str) -> list[str]:
    """The municipality first, then the others of its sub-region in alphabetical order."""
    own = get(name)
    return [name, *sorted(m.name for m in MUNICIPALITIES if m.subregion == own.subregion and m.name != name)]


def _fold_latin(token: str) -> str:
    return token.translate(_LATIN_FOLD)


def _fold_cyrillic(token: str) -> str:
    return token.translate(_CYRILLIC_FOLD)


def _fold_arabic(token: str) -> str:
    token = _ARABIC_MARKS.sub("", token).translate(_ARABIC_LETTERS)
    return re.sub(r"(.)\1+", r"\1", token)  # transliterations double letters at will: ساارييارفي


def _script(token: str) -> str:
    for char in token:
        if "\u0400" <= char <= "\u04ff":
            return "cyrillic"
        if "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f":
            return "arabic"
    return "latin"


def _normalise(text: str) -> list[str]:
    """Lower-cased tokens; Arabic-script marks and joiners removed first, so a word stays one token."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = _ARABIC_MARKS.sub("", text)
    text = text.replace("'", "").replace("’", "").replace("ʼ", "")  # Ukrainian apostrophe: Саар'ярві
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class _Index:
    latin: dict[str, str]  # folded form -> name
    cyrillic: dict[str, str]  # folded stem -> name
    arabic: dict[str, str]  # folded spelling -> name
    fuzzy: tuple[tuple[str, str], ...]  # long folded Latin forms, for one-typo matches


def _cyrillic_stem(variant: str) -> str:
    folded = _fold_cyrillic(variant.casefold())
    return folded[:-1] if folded[-1] in "аяиыеоуюь" and len(folded) > 3 else folded


@cache
def _index() -> _Index:
    latin: dict[str, str] = {}
    cyrillic: dict[str, str] = {}
    arabic: dict[str, str] = {}
    for m in MUNICIPALITIES:
        for form in (*m.finnish_forms, *m.swedish):
            latin[form.casefold()] = m.name
            latin[_fold_latin(form.casefold())] = m.name
        for variant in m.cyrillic:
            cyrillic[_cyrillic_stem(variant)] = m.name
        for variant in m.arabic:
            arabic[_fold_arabic(variant.replace(" ", ""))] = m.name
    fuzzy = tuple((form, name) for form, name in latin.items() if len(form) >= FUZZY_MIN_LENGTH)
    return _Index(latin, cyrillic, arabic, fuzzy)


def _match_latin(token: str, index: _Index) -> str | None:
    for candidate in (token, _fold_latin(token)):
        if candidate in index.latin:
            return index.latin[candidate]
        for clitic in _CLITICS:
            if candidate.endswith(clitic) and candidate[: -len(clitic)] in index.latin:
                return index.latin[candidate[: -len(clitic)]]
    return None


def _match_cyrillic(token: str, index: _Index) -> str | None:
    folded = _fold_cyrillic(token)
    for cut in range(len(folded), 2, -1):
        stem, ending = folded[:cut], folded[cut:]
        if stem in index.cyrillic and ending in _CYRILLIC_ENDINGS:
            return index.cyrillic[stem]
    return None


def _match_arabic(token: str, index: _Index) -> str | None:
    folded = _fold_arabic(token)
    if folded in index.arabic:
        return index.arabic[folded]
    for first in _ARABIC_PREFIXES:  # up to two joined prefixes: وب, فل, ...
        if not folded.startswith(first):
            continue
        rest = folded[1:]
        if rest in index.arabic:
            return index.arabic[rest]
        for second in _ARABIC_PREFIXES:
            if rest.startswith(second) and rest[1:] in index.arabic:
                return index.arabic[rest[1:]]
    return None


def _within_one_edit(a: str, b: str) -> bool:
    """True when b is a with at most one letter changed, added, removed, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def _match_fuzzy(token: str, index: _Index) -> str | None:
    folded = _fold_latin(token)
    if len(folded) < FUZZY_MIN_LENGTH:
        return None
    for form, name in index.fuzzy:
        if form[0] == folded[0] and _within_one_edit(folded, form):
            return name
    return None


def _match(token: str, index: _Index) -> str | None:
    script = _script(token)
    if script == "cyrillic":
        return _match_cyrillic(token, index)
    if script == "arabic":
        return _match_arabic(token, index)
    return _match_latin(token, index)


def find_all(text: str) -> list[str]:
    """The Finnish names of the municipalities mentioned in `text`, in the order they appear, once each."""
    index = _index()
    tokens = _normalise(text)
    found: list[str] = []
    skip = False
    for i, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        name = None
        if i + 1 < len(tokens):  # a name written as two words: "ساري يارفي", "Saari järvi"
            name = _match(token + tokens[i + 1], index)
            skip = name is not None
        name = name or _match(token, index)
        if name and name not in found:
            found.append(name)
    if not found:
        for token in tokens:
            if _script(token) == "latin" and (name := _match_fuzzy(token, index)) and name not in found:
                found.append(name)
    return found


def recognise(text: str) -> str | None:
    """The first municipality mentioned in `text`, by its Finnish name, or None."""
    found = find_all(text)
    return found[0] if found else None


def parse_name(value: str) -> str:
    """A municipality named in data (CSV, URLs): the Finnish name in any case, with or without ä/ö.

    Raises UnknownMunicipality: data must name the municipality itself, not an inflected form.
    """
    key = _fold_latin(unicodedata.normalize("NFC", value.strip()).casefold())
    for name in NAMES:
        if _fold_latin(name.casefold()) == key:
            return name
    raise UnknownMunicipality(value)


def slug(name: str) -> str:
    """The name for URLs: lower case, without ä/ö (jyvaskyla, aanekoski)."""
    return _fold_latin(get(name).name.casefold())
