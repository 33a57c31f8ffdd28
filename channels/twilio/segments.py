"""How many SMS segments a text costs, and fitting one turn's replies into a few SMS.

A text that uses only the GSM 03.38 alphabet (basic set, plus the extension table whose characters take two
septets) is sent as GSM-7: 160 septets in a single SMS, 153 per part of a concatenated one. Any other
character makes the whole message UCS-2: 70 UTF-16 code units single, 67 per part (a character outside the
Basic Multilingual Plane, such as most emoji, takes two). A two-unit character is never split between parts,
which is how handsets and Twilio pack concatenated messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.dialogue.responses import ResponseCatalog
from channels.base import Outgoing, numbered_options

# GSM 03.38 basic character set (without ESC 0x1B, which introduces the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character is sent as ESC + a code, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PER_PART = {"GSM-7": 153, "UCS-2": 67}
# Twilio refuses a Body over 1600 characters (error 21617), whatever the segment count.
MAX_BODY_CHARS = 1600

_SENTENCE_END = re.compile(r"[.!?…。؟]\s|\n")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _weights(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count(text: str) -> SegmentCount:
    """The encoding, size and number of SMS segments of one message body (0 segments when empty)."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    weights = _weights(text, encoding)
    units = sum(weights)
    if units == 0:
        return SegmentCount(encoding, 0, 0)
    if units <= SINGLE[encoding]:
        return SegmentCount(encoding, units, 1)
    capacity = PER_PART[encoding]
    segments, used = 1, 0
    for weight in weights:
        if used + weight > capacity:  # a two-unit character moves whole to the next part
            segments, used = segments + 1, 0
        used += weight
    return SegmentCount(encoding, units, segments)


def segments(text: str) -> int:
    return count(text).segments


def fits(text: str, max_segments: int) -> bool:
    return len(text) <= MAX_BODY_CHARS and segments(text) <= max_segments


def shorten(text: str, max_segments: int) -> str:
    """Cut `text` to fit in `max_segments`, at a sentence end if one is near, else between words, and mark
    the cut with an ellipsis ("..." in GSM-7 text, where "…" would switch the whole message to UCS-2)."""
    text = text.strip()
    if fits(text, max_segments):
        return text
    ellipsis = "..." if is_gsm7(text) else "…"
    low, high = 0, len(text)
    while low < high:  # the longest prefix that still fits with the ellipsis
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + ellipsis, max_segments):
            low = middle
        else:
            high = middle - 1
    prefix = text[:low]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(prefix)]
    if sentence_ends and sentence_ends[-1] >= len(prefix) * 0.6:
        cut = prefix[: sentence_ends[-1]]
    elif " " in prefix.strip() and (space := prefix.rstrip().rfind(" ")) >= len(prefix) * 0.6:
        cut = prefix[:space]
    else:
        cut = prefix
    return cut.rstrip() + ellipsis


def _answer_index(bodies: list[str], source_url: str) -> int:
    """Which reply is the knowledge-base answer: the one citing the source, else the longest."""
    for i, body in enumerate(bodies):
        if source_url in body:
            return i
    return max(range(len(bodies)), key=lambda i: len(bodies[i]))


def _short_version(outgoing: Outgoing, responses: ResponseCatalog, max_segments: int) -> str | None:
    if not (outgoing.short_answer and outgoing.source_url):
        return None
    more = responses.render("utter_more_at", outgoing.language, url=outgoing.source_url).text
    short = outgoing.short_answer.strip()
    if fits(f"{short}\n{more}", max_segments):
        return f"{short}\n{more}"
    # Even the short version is too long: shorten it, but keep the link (the way to the full answer).
    budget = max_segments
    while budget > 0:
        candidate = f"{shorten(short, budget)}\n{more}"
        if fits(candidate, max_segments):
            return candidate
        budget -= 1
    return None


def fit_for_sms(outgoing: Outgoing, responses: ResponseCatalog, max_segments: int) -> list[str]:
    """One turn's replies as SMS bodies, each within `max_segments`.

    Buttons become numbered options. A reply too long for `max_segments` is replaced by the answer's short
    version and a link to the source when the turn has them, else shortened. Consecutive replies are joined
    (blank line between) when the result still fits and costs no more segments than sending them apart:
    fewer messages arrive, and in order.
    """
    bodies = [
        numbered_options(message, responses, outgoing.language).strip() for message in outgoing.messages
    ]
    bodies = [body for body in bodies if body]
    if not bodies:
        return []
    too_long = [i for i, body in enumerate(bodies) if not fits(body, max_segments)]
    if too_long and outgoing.source_url:
        answer = _answer_index(bodies, outgoing.source_url)
        short = _short_version(outgoing, responses, max_segments) if answer in too_long else None
        if short is not None:
            bodies[answer] = short
    bodies = [body if fits(body, max_segments) else shorten(body, max_segments) for body in bodies]

    joined: list[str] = [bodies[0]]
    for body in bodies[1:]:
        candidate = f"{joined[-1]}\n\n{body}"
        apart = segments(joined[-1]) + segments(body)
        if fits(candidate, max_segments) and segments(candidate) <= apart:
            joined[-1] = candidate
        else:
            joined.append(body)
    return joined
