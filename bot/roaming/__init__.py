"""The roaming advisory: an advisor who visits service points in the municipalities of Central Finland.

Visits with bookable slots, community events, trainings for professionals, event news for subscribers,
calendar feeds and the funder's report. Everything here is data an admin edits (console or CSV import).
"""
