"""Telegram: updates in by webhook or long polling, replies out through the Bot API.

Only this package imports `telegram` (python-telegram-bot). `updates` turns an update into an
`InboundMessage`, `output` sends an `Outgoing`, `polling` fetches updates when no webhook is set,
`adapter` wires them to the hub, and `cli` manages the webhook.
"""
