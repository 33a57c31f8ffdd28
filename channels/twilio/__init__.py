"""Twilio: SMS and the voice information line. Only this package imports `twilio`."""
