"""Calendars as data (foia/calendars/*.toml): the format's rules, each checked against a printed calendar."""

from __future__ import annotations

import re
from datetime import date

import pytest

from foia.deadlines import calendar_for, calendar_ids, load_law
from foia.deadlines.calendars import CALENDARS_DIR, _data_builder

SAMPLE = {
    "id": "xx", "name": "Sample State holidays", "citation": "Sample Code § 1", "saturday": "friday",
    "sunday": "monday",
    "holidays": [
        {"name": "New Year's Day", "date": "01-01"},
        {"name": "Seward's Day", "weekday": "monday", "month": "march", "nth": -1},
        {"name": "Good Friday", "easter": -2},
        {"name": "General Election Day", "election": True, "years": "even"},
        {"name": "Day after Thanksgiving", "weekday": "thursday", "month": "november", "nth": 4, "offset": 1},
        {"name": "Inauguration Day", "date": "01-20", "every": 4, "first_year": 2025, "observed": False},
        {"name": "Juneteenth", "date": "06-19", "first_year": 2024, "citation": "Sample Code § 2"},
    ],
}


def _year(year: int) -> dict[date, str]:
    build, _ = _data_builder(SAMPLE, "test")
    return build(year)


def test_each_kind_of_rule_lands_on_the_right_day() -> None:
    y2026 = _year(2026)
    assert y2026[date(2026, 1, 1)] == "New Year's Day"
    assert y2026[date(2026, 3, 30)] == "Seward's Day"  # March 2026: the last Monday is the 30th
    assert y2026[date(2026, 4, 3)] == "Good Friday"  # Easter 2026 is April 5
    assert y2026[date(2026, 11, 3)] == "General Election Day"  # first Monday Nov 2 → Tuesday Nov 3
    assert y2026[date(2026, 11, 27)] == "Day after Thanksgiving"  # Thanksgiving Nov 26
    assert y2026[date(2026, 6, 19)] == "Juneteenth (Sample Code § 2)"
    assert date(2027, 11, 2) not in _year(2027)  # election day only in even years
    assert _year(2029)[date(2029, 1, 20)] == "Inauguration Day"  # 2025 + 4
    assert date(2027, 1, 20) not in _year(2027)
    assert date(2023, 6, 19) not in _year(2023)  # before first_year


def test_weekend_holidays_are_observed_as_the_calendar_says() -> None:
    # Jan 1, 2028 is a Saturday: observed Friday Dec 31, 2027 (the neighbouring year).
    assert _year(2027)[date(2027, 12, 31)] == "New Year's Day (observed: Sample Code § 1)"
    # Juneteenth 2027 is a Saturday → Friday June 18; in 2028 a Monday (no shift).
    assert "Juneteenth (observed" in _year(2027)[date(2027, 6, 18)]
    # Inauguration Day 2029 is a Saturday and is not observed on a weekday.
    assert date(2029, 1, 19) not in _year(2029)


@pytest.mark.parametrize("bad, message", [
    ({"holidays": [{"name": "X", "date": "02-30"}]}, "MM-DD"),
    ({"holidays": [{"name": "X", "weekday": "monday", "month": "march", "nth": 5}]}, "nth"),
    ({"holidays": [{"name": "X", "date": "01-01", "easter": 1}]}, "exactly one"),
    ({"holidays": [{"name": "X", "date": "01-01", "colour": "red"}]}, "unknown key"),
    ({"saturday": "sunday"}, "saturday must be"),
    ({"holidays": []}, "needs [[holidays]]"),
])
def test_a_malformed_calendar_is_refused_with_a_reason(bad, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _data_builder({**SAMPLE, **bad}, "test")


def test_every_calendar_file_loads_and_is_used_by_a_law() -> None:
    from foia.deadlines import law_slugs

    files = sorted(p.stem for p in CALENDARS_DIR.glob("*.toml"))
    used = {load_law(s).calendar for s in law_slugs()} | {load_law(s).roll_calendar for s in law_slugs()}
    for cid in files:
        assert cid in calendar_ids()
        cal = calendar_for(cid)
        for year in (2025, 2026, 2027, 2028):
            assert cal.holidays_in_year(year), f"{cid} has no holidays in {year}"
        assert cid in used, f"calendar {cid} is used by no law"
