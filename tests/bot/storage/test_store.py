"""The store: each platform message id once, link codes that expire, and erasing one person everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.storage.models import ChannelIdentity, LinkCode
from bot.storage.store import ConversationStore, OutboundRecord

pytestmark = pytest.mark.unit


@pytest.fixture
def store(database_url: str) -> ConversationStore:
    return ConversationStore(database_url)


def test_a_platform_message_id_is_claimed_once_per_channel(store: ConversationStore) -> None:
    assert store.claim_inbound("telegram", "1001")
    assert not store.claim_inbound("telegram", "1001")
    assert store.claim_inbound("sms", "1001")  # another platform's id space


def test_an_expired_link_code_joins_nothing(store: ConversationStore) -> None:
    conv = store.conversation("sms", "+358401111111")
    code = store.create_link_code(conv.id)
    with store.session() as s, s.begin():
        s.execute(
            update(LinkCode)
            .where(LinkCode.code == code)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    assert store.redeem_link_code(code, "telegram", "42") is None
    assert store.conversation("telegram", "42").id != conv.id


def test_delete_person_removes_the_person_from_every_table(store: ConversationStore) -> None:
    conv = store.conversation("sms", "+358402222222")
    other = store.conversation("sms", "+358403333333")
    store.record_turn(conv.id, "hei", "fi", [OutboundRecord("moi", "fi")], channel="sms")
    store.record_turn(other.id, "hello", "en", [OutboundRecord("hi", "en")], channel="sms")
    store.add_escalation(
        conv.id, reason="user_request", language="fi", summary="s", contact="c", transcript=[]
    )
    store.add_feedback(conv.id, None, positive=True)
    store.create_link_code(conv.id)
    store.delete_person(conv.id)
    assert store.messages(conv.id) == []
    assert store.escalations(conv.id) == []
    assert store.get_conversation(conv.id) is None
    with store.session() as s:
        assert (
            s.scalars(select(ChannelIdentity).where(ChannelIdentity.conversation_id == conv.id)).all() == []
        )
        assert s.scalars(select(LinkCode).where(LinkCode.conversation_id == conv.id)).all() == []
    assert store.messages(other.id) == [("in", "hello"), ("out", "hi")]  # nobody else is touched


def test_sms_opt_out_is_remembered_per_number(store: ConversationStore) -> None:
    store.set_opt_out("sms", "+358404444444", True)
    assert store.is_opted_out("sms", "+358404444444")
    assert not store.is_opted_out("sms", "+358405555555")
    store.set_opt_out("sms", "+358404444444", False)
    assert not store.is_opted_out("sms", "+358404444444")


def test_a_turn_records_the_buttons_offered_last_in_the_same_transaction(store: ConversationStore) -> None:
    conv = store.conversation("sms", "+358404444444")
    offered = [{"title": "Kyllä", "payload": "/affirm"}, {"title": "Ei", "payload": "/deny"}]
    store.record_turn(conv.id, "hei", "fi", [OutboundRecord("Auttoiko?", "fi")], pending_options=offered)
    assert store.conversation("sms", "+358404444444").pending_options == offered
    store.record_turn(conv.id, "2", "fi", [OutboundRecord("Selvä", "fi")])  # None: left as it was
    assert store.conversation("sms", "+358404444444").pending_options == offered
    store.record_turn(conv.id, "kiitos", "fi", [OutboundRecord("Ole hyvä", "fi")], pending_options=[])
    assert store.conversation("sms", "+358404444444").pending_options == []
