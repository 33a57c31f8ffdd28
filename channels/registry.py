"""The explicit list of channels, and which of them the configuration turns on."""

from __future__ import annotations

from collections.abc import Callable

from bot.dialogue.responses import ResponseCatalog
from channels.base import ChannelAdapter
from channels.settings import ChannelSettings

ChannelFactory = Callable[[ChannelSettings, ResponseCatalog], ChannelAdapter | None]


def _telegram(settings: ChannelSettings, responses: ResponseCatalog) -> ChannelAdapter | None:
    from channels.telegram.adapter import TelegramChannel

    return TelegramChannel.from_settings(settings, responses)


def _twilio_sms(settings: ChannelSettings, responses: ResponseCatalog) -> ChannelAdapter | None:
    from channels.twilio.sms import SmsChannel

    return SmsChannel.from_settings(settings, responses)


def _twilio_voice(settings: ChannelSettings, responses: ResponseCatalog) -> ChannelAdapter | None:
    from channels.twilio.voice import VoiceChannel

    return VoiceChannel.from_settings(settings, responses)


# Name -> factory. A factory returns None when its channel is not configured (no token): it is then off.
CHANNELS: dict[str, ChannelFactory] = {
    "telegram": _telegram,
    "sms": _twilio_sms,
    "voice": _twilio_voice,
}


def build_channels(settings: ChannelSettings, responses: ResponseCatalog) -> list[ChannelAdapter]:
    adapters = []
    for factory in CHANNELS.values():
        adapter = factory(settings, responses)
        if adapter is not None:
            adapters.append(adapter)
    return adapters
