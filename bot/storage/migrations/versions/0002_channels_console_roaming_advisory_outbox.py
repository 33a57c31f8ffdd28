"""Channels, the advisors' console, the roaming advisory, durable inbound and the outbox.

Existing rows get defaults for the new required columns (escalations.urgent false, messages.kind text).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:32:19.285044
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "console_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisor_hours", sa.Text(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("no_answer_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "console_users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "inbound_receipts",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_id"),
    )
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_sender_pending", ["channel", "sender", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_receipts_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_receipts_status"), ["status"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "roaming_broadcasts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipalities", sa.Text(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "roaming_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("participants_women", sa.Integer(), nullable=True),
        sa.Column("participants_men", sa.Integer(), nullable=True),
        sa.Column("participants_other", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("roaming_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roaming_events_municipality"), ["municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_roaming_events_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "roaming_service_points",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("roaming_service_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roaming_service_points_municipality"), ["municipality"], unique=False
        )

    op.create_table(
        "roaming_trainings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("participants_women", sa.Integer(), nullable=True),
        sa.Column("participants_men", sa.Integer(), nullable=True),
        sa.Column("participants_other", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("roaming_trainings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roaming_trainings_municipality"), ["municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_roaming_trainings_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "channel_identities",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("channel", "sender_id"),
    )
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_identities_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "kb_suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kb_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_suggestions_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kb_suggestions_status"), ["status"], unique=False)

    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_codes_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "roaming_broadcast_deliveries",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["roaming_broadcasts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("broadcast_id", "conversation_id", "channel"),
    )
    op.create_table(
        "roaming_event_texts",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["roaming_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "language"),
    )
    op.create_table(
        "roaming_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "municipality", "channel", name="uq_roaming_subscription"),
    )
    with op.batch_alter_table("roaming_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roaming_subscriptions_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roaming_subscriptions_municipality"), ["municipality"], unique=False
        )

    op.create_table(
        "roaming_training_registrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("contact_channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["roaming_trainings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roaming_training_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roaming_training_registrations_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roaming_training_registrations_training_id"), ["training_id"], unique=False
        )

    op.create_table(
        "roaming_training_texts",
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["training_id"], ["roaming_trainings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("training_id", "language"),
    )
    op.create_table(
        "roaming_visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("interpreter_available", sa.Boolean(), nullable=False),
        sa.Column("walk_in_contacts", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["roaming_service_points.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("roaming_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roaming_visits_municipality"), ["municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_roaming_visits_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "roaming_visit_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["roaming_visits.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id", "starts_at", name="uq_roaming_slot_time"),
    )
    with op.batch_alter_table("roaming_visit_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roaming_visit_slots_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "roaming_bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("interpreter_language", sa.String(length=8), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("contact_channel", sa.String(length=32), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["roaming_visit_slots.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roaming_bookings", schema=None) as batch_op:
        batch_op.create_index("ix_roaming_booking_slot_status", ["slot_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roaming_bookings_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_roaming_bookings_slot_id"), ["slot_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pending_options", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("municipality", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_console_conversation_municipality", ["municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_updated_at"), ["updated_at"], unique=False)

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("waiting_notice_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("resolved_topic", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("recording_url", sa.Text(), nullable=True))
        batch_op.create_index("ix_console_escalation_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_status"), ["status"], unique=False)

    # Indexes on expressions stay outside batch mode: SQLite's table copy cannot re-create them.
    op.create_index(
        "ix_console_escalation_order",
        "escalations",
        [sa.text("urgent DESC"), "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_console_escalation_resolved",
        "escalations",
        ["status", sa.text("resolved_at DESC"), sa.text("id DESC")],
        unique=False,
    )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="text"))
        batch_op.add_column(sa.Column("media_ref", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("author", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_console_message_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_console_message_created")
        batch_op.drop_column("author")
        batch_op.drop_column("media_ref")
        batch_op.drop_column("kind")
        batch_op.drop_column("channel")

    op.drop_index("ix_console_escalation_resolved", table_name="escalations")
    op.drop_index("ix_console_escalation_order", table_name="escalations")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_status"))
        batch_op.drop_index("ix_console_escalation_created")
        batch_op.drop_column("recording_url")
        batch_op.drop_column("channel")
        batch_op.drop_column("resolved_topic")
        batch_op.drop_column("outcome")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("waiting_notice_at")
        batch_op.drop_column("first_reply_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("assigned_to")
        batch_op.drop_column("urgent")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_updated_at"))
        batch_op.drop_index("ix_console_conversation_municipality")
        batch_op.drop_column("municipality")
        batch_op.drop_column("pending_options")
        batch_op.drop_column("assigned_to")
        batch_op.drop_column("audience")

    with op.batch_alter_table("roaming_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_bookings_slot_id"))
        batch_op.drop_index(batch_op.f("ix_roaming_bookings_conversation_id"))
        batch_op.drop_index("ix_roaming_booking_slot_status")

    op.drop_table("roaming_bookings")
    with op.batch_alter_table("roaming_visit_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_visit_slots_visit_id"))

    op.drop_table("roaming_visit_slots")
    with op.batch_alter_table("roaming_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_visits_starts_at"))
        batch_op.drop_index(batch_op.f("ix_roaming_visits_municipality"))

    op.drop_table("roaming_visits")
    op.drop_table("roaming_training_texts")
    with op.batch_alter_table("roaming_training_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_training_registrations_training_id"))
        batch_op.drop_index(batch_op.f("ix_roaming_training_registrations_conversation_id"))

    op.drop_table("roaming_training_registrations")
    with op.batch_alter_table("roaming_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_subscriptions_municipality"))
        batch_op.drop_index(batch_op.f("ix_roaming_subscriptions_conversation_id"))

    op.drop_table("roaming_subscriptions")
    op.drop_table("roaming_event_texts")
    op.drop_table("roaming_broadcast_deliveries")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_conversation_id"))

    op.drop_table("notes")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_conversation_id"))

    op.drop_table("link_codes")
    with op.batch_alter_table("kb_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_suggestions_status"))
        batch_op.drop_index(batch_op.f("ix_kb_suggestions_conversation_id"))

    op.drop_table("kb_suggestions")
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_identities_conversation_id"))

    op.drop_table("channel_identities")
    with op.batch_alter_table("roaming_trainings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_trainings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_roaming_trainings_municipality"))

    op.drop_table("roaming_trainings")
    with op.batch_alter_table("roaming_service_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_service_points_municipality"))

    op.drop_table("roaming_service_points")
    with op.batch_alter_table("roaming_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roaming_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_roaming_events_municipality"))

    op.drop_table("roaming_events")
    op.drop_table("roaming_broadcasts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index(batch_op.f("ix_outbox_conversation_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_sender_pending")
        batch_op.drop_index(batch_op.f("ix_inbound_receipts_status"))
        batch_op.drop_index(batch_op.f("ix_inbound_receipts_received_at"))

    op.drop_table("inbound_receipts")
    op.drop_table("console_users")
    op.drop_table("console_settings")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
