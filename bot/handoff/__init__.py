"""Handing conversations to human advisors: their hours, and what the person is told while waiting."""
