"""Neuvo: a multilingual advisory chatbot and information line."""

__version__ = "0.1.0"
