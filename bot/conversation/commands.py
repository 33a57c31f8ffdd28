"""Commands every channel understands, answered by the app itself: privacy, erasing data, linking channels.

Telegram sends them as /commands; on SMS people write the same words (LINK 123456). Dialogue commands
(/human, /language) are turned into what Rasa understands instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Command(StrEnum):
    START = "start"
    PRIVACY = "privacy"
    DELETE = "delete"
    DELETE_CONFIRM = "delete_confirm"
    DELETE_CANCEL = "delete_cancel"
    LINK = "link"
    HUMAN = "human"


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    argument: str = ""


_ALIASES = {
    "start": Command.START,
    "privacy": Command.PRIVACY,
    "tietosuoja": Command.PRIVACY,
    "delete": Command.DELETE,
    "poista": Command.DELETE,
    "delete_confirm": Command.DELETE_CONFIRM,
    "delete_cancel": Command.DELETE_CANCEL,
    "link": Command.LINK,
    "human": Command.HUMAN,
    "ihminen": Command.HUMAN,
}
# "/delete", "/link 123456", "/start@NeuvoBot" (Telegram adds the bot's name in groups), and "LINK 123456"
# without a slash for SMS, where people cannot type commands.
_SLASH = re.compile(r"^/([a-z_]+)(?:@\w+)?(?:\s+(\S+))?\s*$", re.IGNORECASE)
_LINK_WORD = re.compile(r"^link(?:\s+(\d{6}))?\s*$", re.IGNORECASE)


def parse_command(text: str) -> ParsedCommand | None:
    """The command in a message, or None when it is an ordinary message."""
    match = _SLASH.match(text)
    if match:
        command = _ALIASES.get(match.group(1).lower())
        return ParsedCommand(command, match.group(2) or "") if command else None
    match = _LINK_WORD.match(text.strip())
    if match:
        return ParsedCommand(Command.LINK, match.group(1) or "")
    return None
