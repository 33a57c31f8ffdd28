"""Rasa custom actions (rasa-sdk), run inside the app process so they share its retriever and store."""
