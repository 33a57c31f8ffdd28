"""The conversation engine: every channel's messages through Rasa, or retrieval when Rasa is down."""
