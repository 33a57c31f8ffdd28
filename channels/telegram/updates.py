"""Telegram update JSON -> `InboundMessage`: checks the fields we rely on, translates, decides nothing else.

Pure: no I/O. The webhook and long polling both go through `parse_update` and `translate`, so a
message is understood the same way whichever way it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from bot.conversation.messages import InboundMessage, MessageKind
from channels.base import ChannelError

CHANNEL = "telegram"


class MalformedUpdate(ChannelError):
    """The body is not a Telegram update we can read; the message names the field, never its value."""


class _Model(BaseModel):
    # Telegram adds fields over time: unknown ones are ignored, the ones we use are checked strictly.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Present(_Model):
    """Content whose details we do not use (a contact card, a poll): only that it is there."""


class TelegramChat(_Model):
    id: StrictInt
    type: str = "private"  # PTB hands polled updates over with an enum here


class TelegramUser(_Model):
    id: StrictInt
    language_code: StrictStr | None = None


class TelegramFile(_Model):
    file_id: StrictStr


class TelegramLocation(_Model):
    latitude: float = Field(strict=True)
    longitude: float = Field(strict=True)


class TelegramVenue(_Model):
    location: TelegramLocation


class TelegramMessage(_Model):
    message_id: StrictInt
    chat: TelegramChat
    from_user: TelegramUser | None = Field(default=None, alias="from")
    text: StrictStr | None = None
    caption: StrictStr | None = None
    voice: TelegramFile | None = None
    audio: TelegramFile | None = None
    photo: list[TelegramFile] | None = None
    video: TelegramFile | None = None
    video_note: TelegramFile | None = None
    animation: TelegramFile | None = None
    sticker: TelegramFile | None = None
    document: TelegramFile | None = None
    location: TelegramLocation | None = None
    venue: TelegramVenue | None = None
    contact: Present | None = None
    poll: Present | None = None
    dice: Present | None = None
    game: Present | None = None
    story: Present | None = None
    paid_media: Present | None = None
    invoice: Present | None = None
    checklist: Present | None = None


class TelegramCallbackQuery(_Model):
    id: StrictStr
    from_user: TelegramUser = Field(alias="from")
    message: TelegramMessage | None = None
    data: StrictStr | None = None


class TelegramUpdate(_Model):
    """The parts of an update the bot handles; other update types parse to neither field set."""

    update_id: StrictInt
    message: TelegramMessage | None = None
    callback_query: TelegramCallbackQuery | None = None


@dataclass(frozen=True)
class Translation:
    """What one update means for the bot.

    `message` is None when there is nothing to answer (an edited message, a service message, a channel
    post); `callback_query_id` is set for a button press, which Telegram wants acknowledged.
    """

    update_id: int
    message: InboundMessage | None
    callback_query_id: str | None = None
    ignored: str | None = None


# Message fields holding a file, in the order they are checked, and the kind each one is.
_FILE_KINDS: tuple[tuple[str, MessageKind], ...] = (
    ("voice", MessageKind.VOICE_NOTE),
    ("audio", MessageKind.AUDIO),
    ("video", MessageKind.VIDEO),
    ("video_note", MessageKind.VIDEO),
    ("animation", MessageKind.VIDEO),
    ("sticker", MessageKind.STICKER),
    ("document", MessageKind.DOCUMENT),
)
# Content a person sent that carries no file for an advisor.
_OTHER_CONTENT = ("poll", "dice", "game", "story", "paid_media", "invoice", "checklist")


def parse_update(data: Any) -> TelegramUpdate:
    """Check an update's JSON; raises MalformedUpdate naming the first bad field."""
    if not isinstance(data, dict):
        raise MalformedUpdate("an update must be a JSON object")
    try:
        return TelegramUpdate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "update"
        raise MalformedUpdate(f"{where}: {first['msg']}") from None


def translate(update: TelegramUpdate) -> Translation:
    """The inbound message an update carries, if any; the sender is the chat the bot answers in."""
    if update.message is not None:
        inbound = _from_message(update.message, update.update_id)
        if inbound is None:
            return Translation(update.update_id, None, ignored="service message")
        return Translation(update.update_id, inbound)
    query = update.callback_query
    if query is not None:
        if query.data is None:  # a game button: nothing the bot offers
            return Translation(update.update_id, None, query.id, ignored="callback without data")
        chat_id = query.message.chat.id if query.message else query.from_user.id
        inbound = InboundMessage(
            sender_id=str(chat_id),
            text=query.data,
            channel=CHANNEL,
            metadata=_metadata(update.update_id, query.from_user),
        )
        return Translation(update.update_id, inbound, query.id)
    return Translation(update.update_id, None, ignored="update type not handled")


def _from_message(message: TelegramMessage, update_id: int) -> InboundMessage | None:
    kind, media_ref = _content(message)
    if kind is None:
        return None
    text = message.text if kind is MessageKind.TEXT else message.caption
    return InboundMessage(
        sender_id=str(message.chat.id),
        text=text or "",
        channel=CHANNEL,
        kind=kind,
        media_ref=media_ref,
        metadata=_metadata(update_id, message.from_user),
    )


def _content(message: TelegramMessage) -> tuple[MessageKind | None, str | None]:
    """The kind of what was sent and a reference to it (a file id, a geo: URI)."""
    if message.text is not None:
        return MessageKind.TEXT, None
    if message.photo:
        return MessageKind.PHOTO, message.photo[-1].file_id  # sizes come smallest first
    for name, kind in _FILE_KINDS:
        file: TelegramFile | None = getattr(message, name)
        if file is not None:
            return kind, file.file_id
    place = message.location or (message.venue.location if message.venue else None)
    if place is not None:
        return MessageKind.LOCATION, f"geo:{place.latitude},{place.longitude}"
    if message.contact is not None:
        return MessageKind.CONTACT, None
    if any(getattr(message, name) is not None for name in _OTHER_CONTENT):
        return MessageKind.OTHER, None
    return None, None  # a service message: someone joined, a title changed, a message was pinned


def _metadata(update_id: int, user: TelegramUser | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"telegram_update_id": update_id}
    if user is not None and user.language_code:
        # The app language of the person's Telegram: a hint only, not their choice.
        metadata["telegram_language_code"] = user.language_code
        # The app's language is a hint for a person the bot has not heard from yet (the engine decides).
        metadata["language_hint"] = user.language_code.split("-")[0].lower()
    return metadata
