"""The ASGI application: /api/chat, the web chat, /healthz and the in-process action endpoint for Rasa."""
