"""Advisors' hours: parsing, open or closed in Finnish time, and the next opening told to people."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError
from bot.handoff.hours import AdvisorHours, closed_until

pytestmark = pytest.mark.unit
HELSINKI = ZoneInfo("Europe/Helsinki")


def test_open_on_weekdays_in_helsinki_time() -> None:
    hours = AdvisorHours.parse("mon-fri=09:00-15:00")
    assert hours.open_at(dt.datetime(2026, 11, 30, 9, tzinfo=HELSINKI))  # a Monday
    assert not hours.open_at(dt.datetime(2026, 11, 30, 15, tzinfo=HELSINKI))
    assert not hours.open_at(dt.datetime(2026, 11, 30, 6, 30, tzinfo=dt.UTC))  # 08:30 in Helsinki
    assert hours.open_at(dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC))  # 09:30 in Helsinki
    assert not hours.open_at(dt.datetime(2026, 12, 5, 10, tzinfo=HELSINKI))  # Saturday


def test_outside_hours_the_next_opening_is_given() -> None:
    hours = AdvisorHours.parse("mon-fri=09:00-15:00,sat=10:00-12:00")
    friday_evening = dt.datetime(2026, 12, 4, 18, tzinfo=HELSINKI)
    assert closed_until(hours, friday_evening) == dt.datetime(2026, 12, 5, 10, tzinfo=HELSINKI)
    sunday = dt.datetime(2026, 12, 6, 11, tzinfo=HELSINKI)
    assert closed_until(hours, sunday) == dt.datetime(2026, 12, 7, 9, tzinfo=HELSINKI)
    assert closed_until(hours, dt.datetime(2026, 12, 7, 9, 30, tzinfo=HELSINKI)) is None
    assert closed_until(AdvisorHours(), sunday) is None  # no hours configured: nothing to promise


@pytest.mark.parametrize("raw", ["mon=9-15", "fri-mon=09:00-15:00", "mon=15:00-09:00", "xyz=09:00-10:00"])
def test_bad_hours_fail_fast_naming_the_setting(raw: str) -> None:
    with pytest.raises(ConfigError, match="NEUVO_ADVISOR_HOURS"):
        AdvisorHours.parse(raw)
