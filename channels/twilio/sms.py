"""The SMS channel: Twilio's incoming-message webhook in, the REST API out.

Twilio POSTs each SMS/MMS to /webhooks/twilio/sms. After the signature check the message goes to the hub
(which drops a MessageSid it has seen) and the webhook answers at once with an empty TwiML document; the
replies follow through the REST API in the background, fitted to a few SMS segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import anyio
from fastapi import APIRouter, HTTPException, Request, Response

from bot.config import ConfigError
from bot.conversation.messages import InboundMessage, MessageKind
from bot.dialogue.responses import ResponseCatalog
from channels.base import OutputChannel
from channels.hub import ChannelHub
from channels.settings import ChannelSettings
from channels.twilio.output import CHANNEL, SmsOutput
from channels.twilio.rest import TwilioRestClient
from channels.twilio.signature import TwilioVerifier
from channels.twilio.sms_keywords import KeywordHandler, needs_opt_out_state, parse_keyword

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/twilio/sms"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def media_kind(content_type: str) -> MessageKind:
    """What an MMS attachment is, from its MIME type."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith("image/"):
        return MessageKind.PHOTO
    if kind.startswith("video/"):
        return MessageKind.VIDEO
    if kind.startswith("audio/"):
        return MessageKind.AUDIO
    if kind in {"text/vcard", "text/x-vcard", "text/directory"}:
        return MessageKind.CONTACT
    return MessageKind.DOCUMENT


def _required(fields: dict[str, str], name: str, *, allow_empty: bool = False) -> str:
    value = fields.get(name)
    if value is None or (not allow_empty and not value.strip()):
        raise HTTPException(status_code=400, detail=f"missing form field {name}")
    return value


def inbound_from(fields: dict[str, str]) -> tuple[str, InboundMessage]:
    """The MessageSid and the internal message of a verified webhook form; 400 naming a missing field."""
    message_sid = _required(fields, "MessageSid")
    sender = _required(fields, "From")
    body = _required(fields, "Body", allow_empty=True)  # empty for a picture without text
    raw_media = fields.get("NumMedia", "0").strip() or "0"
    if not raw_media.isdigit():
        raise HTTPException(status_code=400, detail="form field NumMedia is not a number")
    media_url = fields.get("MediaUrl0") if int(raw_media) > 0 else None
    kind = MessageKind.TEXT
    if media_url and not body.strip():
        kind = media_kind(fields.get("MediaContentType0", ""))
    message = InboundMessage(sender_id=sender, text=body, channel=CHANNEL, kind=kind, media_ref=media_url)
    return message_sid, message


class SmsChannel:
    name = CHANNEL

    def __init__(
        self,
        verifier: TwilioVerifier,
        client: TwilioRestClient,
        responses: ResponseCatalog,
        max_segments: int = 4,
    ) -> None:
        self._verifier = verifier
        self._client = client
        self._sms_output = SmsOutput(client, responses, max_segments)
        self.output: OutputChannel = self._sms_output
        self.keywords = KeywordHandler(self._sms_output, responses)
        self._hub: ChannelHub | None = None

    @classmethod
    def from_settings(cls, settings: ChannelSettings, responses: ResponseCatalog) -> SmsChannel | None:
        """The channel, or None while Twilio is not configured (no account sid and auth token)."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            return None
        if not settings.twilio_phone_number:
            raise ConfigError("TWILIO_PHONE_NUMBER: needed to send SMS (the number in E.164, +358...)")
        client = TwilioRestClient(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_phone_number,
            settings.twilio_api_base_url,
        )
        verifier = TwilioVerifier(settings.twilio_auth_token, settings.public_base_url)
        return cls(verifier, client, responses, settings.sms_max_segments)

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(
            WEBHOOK_PATH, self.receive, methods=["POST"], include_in_schema=False, response_class=Response
        )
        return router

    async def receive(self, request: Request) -> Response:
        fields = await self._verifier.form(request)  # nothing happens before the signature is checked
        message_sid, message = inbound_from(fields)
        hub: ChannelHub = request.app.state.hub
        opted_out = False
        if needs_opt_out_state(message.text):
            opted_out = await anyio.to_thread.run_sync(hub.store.is_opted_out, CHANNEL, message.sender_id)
        keyword = (
            parse_keyword(message.text, opted_out=opted_out) if message.kind is MessageKind.TEXT else None
        )
        if keyword is None:
            await hub.accept(message, external_id=message_sid)
        elif await hub.is_new(CHANNEL, message_sid):
            await self.keywords.record(hub.store, message.sender_id, keyword)
            hub.spawn(self.keywords.confirm(hub.store, message.sender_id, keyword, message_sid))
        else:
            log.info("duplicate SMS keyword delivery ignored")
        return Response(content=EMPTY_TWIML, media_type="text/xml")

    async def start(self, hub: ChannelHub) -> None:
        self._hub = hub
        self._sms_output.bind(hub.store)

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Close the REST client, after replies still being sent have gone out (bounded wait)."""
        if self._hub is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hub.idle(), drain_timeout)
        await self._client.aclose()
