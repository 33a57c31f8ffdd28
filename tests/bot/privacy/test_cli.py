"""`neuvo privacy export|delete` find a person by channel address and act on all their data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage.store import ConversationStore, OutboundRecord

pytestmark = pytest.mark.unit


def test_export_then_delete_by_phone_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("NEUVO_RASA_TOKEN", raising=False)
    store = ConversationStore(url)
    conv = store.conversation("sms", "+358401234567")
    store.record_turn(
        conv.id, "missä on neuvola", "fi", [OutboundRecord("Neuvola on...", "fi")], channel="sms"
    )

    assert main(["privacy", "export", "--channel", "sms", "--address", "+358401234567"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [m["text"] for m in exported["messages"]] == ["missä on neuvola", "Neuvola on..."]

    assert main(["privacy", "delete", "--channel", "sms", "--address", "+358401234567"]) == 0
    assert "Rasa's in-memory tracker was not erased" in capsys.readouterr().err
    assert store.get_conversation(conv.id) is None
    assert main(["privacy", "export", "--channel", "sms", "--address", "+358401234567"]) == 1
