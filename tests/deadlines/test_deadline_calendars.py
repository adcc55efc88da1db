"""Holiday calendars: federal observed days, California court holidays, state corrections."""

from __future__ import annotations

from datetime import date

import pytest

from foia.deadlines import Closure, calendar_for
from foia.deadlines.calendars import calendar_ids


def D(s: str) -> date:
    return date.fromisoformat(s)


def test_calendar_ids() -> None:
    # The built-in calendars; issue 14's states add data calendars (foia/calendars/<id>.toml).
    builtin = ["ca-court", "fl", "il", "ma", "nj", "ny", "pa", "pa-legal", "tx", "us-federal", "wa"]
    assert set(builtin) <= set(calendar_ids()) and calendar_ids() == sorted(calendar_ids())


def test_ca_court_2026_matches_published_court_list() -> None:
    # statutes.md: a superior court's published 2026 closure list.
    expected = ["2026-01-01", "2026-01-19", "2026-02-12", "2026-02-16", "2026-03-31", "2026-05-25",
                "2026-06-19", "2026-07-03", "2026-09-07", "2026-09-25", "2026-11-11", "2026-11-26",
                "2026-11-27", "2026-12-25"]
    got = [d.isoformat() for d, _ in calendar_for("ca-court").holidays_in_year(2026) if d.weekday() < 5]
    assert got == expected


def test_ca_court_excludes_commemorative_and_non_judicial_days() -> None:
    cal = calendar_for("ca-court")
    assert cal.is_working_day(D("2026-10-12"))  # Columbus Day
    assert cal.is_working_day(D("2026-09-09"))  # Admission Day (Wed)
    assert cal.is_working_day(D("2026-04-24"))  # Genocide Remembrance Day (Fri)
    assert cal.is_working_day(D("2026-04-03"))  # Good Friday: only noon-3 pm under § 6700
    assert cal.non_working_reason(D("2026-09-25")) == "Native American Day"
    assert cal.non_working_reason(D("2026-02-12")) == "Lincoln's Birthday"
    assert cal.non_working_reason(D("2026-11-27")) == "Day after Thanksgiving"
    assert cal.non_working_reason(D("2026-03-07")) == "Saturday"  # every Saturday (CCP § 12a)


def test_ca_court_new_year_on_saturday_observed_on_dec_31() -> None:
    assert calendar_for("ca-court").non_working_reason(D("2021-12-31")) == (
        "New Year's Day (observed: Cal. Rules of Court, rule 1.11)")


def test_federal_2026_and_observed_days() -> None:
    cal = calendar_for("us-federal")
    names = dict(cal.holidays_in_year(2026))
    assert len([d for d in names if d.weekday() < 5]) == 11
    # Saturday → Friday: 5 U.S.C. § 6103(b); Sunday → Monday: E.O. 11582 with § 6103(b).
    assert names[D("2026-07-03")] == "Independence Day (observed: 5 U.S.C. § 6103(b))"
    assert cal.non_working_reason(D("2021-12-31")) == "New Year's Day (observed: 5 U.S.C. § 6103(b))"
    assert cal.non_working_reason(D("2022-06-20")) == (
        "Juneteenth National Independence Day (observed: 5 U.S.C. § 6103(b); E.O. 11582)")
    assert cal.non_working_reason(D("2021-06-18")) == (
        "Juneteenth National Independence Day (observed: 5 U.S.C. § 6103(b))")
    assert cal.is_working_day(D("2026-11-27"))  # day after Thanksgiving is not federal
    assert cal.is_working_day(D("2025-01-20")) is False  # MLK Day (also Inauguration Day)
    assert cal.is_working_day(D("2025-01-21"))


def test_new_york_corrections() -> None:
    cal = calendar_for("ny")
    assert cal.is_working_day(D("2026-07-03"))  # GCL § 24: no Saturday → Friday shift
    assert cal.non_working_reason(D("2026-02-12")) == "Lincoln's Birthday"
    assert cal.non_working_reason(D("2026-11-03")) == "Election Day"
    assert cal.non_working_reason(D("2027-07-05")) == "Independence Day (observed)"  # Sunday → Monday
    names = [n for _, n in cal.holidays_in_year(2026)]
    assert not any("Susan B. Anthony" in n for n in names)


def test_texas_corrections() -> None:
    cal = calendar_for("tx")
    assert cal.is_working_day(D("2026-04-03"))  # Good Friday: optional holiday
    assert cal.is_working_day(D("2026-03-31"))  # Cesar Chavez Day: optional
    assert cal.is_working_day(D("2026-07-03"))  # no weekend observance by default
    assert cal.is_working_day(D("2026-10-12"))  # Columbus Day is not in § 662.003(a)
    for d in ("2026-03-02", "2026-04-21", "2026-08-27", "2026-11-27", "2026-12-24"):
        assert not cal.is_working_day(D(d)), d


def test_illinois_has_pulaski_and_good_friday() -> None:
    cal = calendar_for("il")
    assert cal.non_working_reason(D("2026-03-02")) == "Casimir Pulaski Day"
    assert cal.non_working_reason(D("2026-04-03")) == "Good Friday"
    assert cal.non_working_reason(D("2027-03-26")) == "Good Friday"  # Easter 2027: Mar 28


def test_other_states() -> None:
    assert calendar_for("wa").non_working_reason(D("2026-11-27")) == "Native American Heritage Day"
    assert calendar_for("wa").is_working_day(D("2026-10-12"))
    assert calendar_for("ma").non_working_reason(D("2026-04-20")) == "Patriots' Day"
    assert calendar_for("ma").is_working_day(D("2026-03-17"))  # Evacuation Day: Suffolk County only
    assert calendar_for("nj").non_working_reason(D("2026-04-03")) == "Good Friday"
    assert not calendar_for("pa").is_working_day(D("2026-11-27"))
    assert calendar_for("fl").is_working_day(D("2027-02-15")) is True  # no Presidents' Day (Fla. Stat. § 110.117)
    assert not any("Susan B. Anthony" in n for _, n in calendar_for("fl").holidays_in_year(2026))


def test_closures_overlay_without_touching_the_cached_calendar() -> None:
    base = calendar_for("us-federal")
    assert calendar_for("us-federal") is base
    storm = calendar_for("us-federal", [Closure(D("2026-03-10"), "Storm", scope="agency:doj")])
    assert storm is not base
    assert storm.non_working_reason(D("2026-03-10")) == "Closure: Storm"
    assert base.is_working_day(D("2026-03-10"))
    assert (D("2026-03-10"), "Closure: Storm") in storm.holidays_in_year(2026)
    # A holiday keeps its own name even if a closure is also recorded.
    both = calendar_for("us-federal", [Closure(D("2026-01-19"), "Storm")])
    assert both.non_working_reason(D("2026-01-19")) == "Martin Luther King Jr. Day"
    assert calendar_for("us-federal", []) is base


def test_next_working_day() -> None:
    cal = calendar_for("us-federal")
    assert cal.next_working_day(D("2026-07-03")) == D("2026-07-06")
    assert cal.next_working_day(D("2026-07-06")) == D("2026-07-06")
    assert cal.next_working_day(D("2026-07-06"), inclusive=False) == D("2026-07-07")


def test_unknown_calendar() -> None:
    with pytest.raises(ValueError, match="unknown calendar"):
        calendar_for("mars")


def test_new_jersey_state_calendar() -> None:
    """N.J.S.A. 36:1-1, 36:1-1.2, 11A:6-24.1 (see foia/deadlines/calendars.py _nj_year)."""
    cal = calendar_for("nj")
    # Juneteenth Day is the third Friday in June: 2026-06-19, 2027-06-18, 2028-06-16 (not June 19,
    # a Monday in 2028, which is a working day for State offices).
    assert cal.non_working_reason(D("2027-06-18")) == "Juneteenth Day (third Friday in June)"
    assert cal.non_working_reason(D("2028-06-16")) == "Juneteenth Day (third Friday in June)"
    assert cal.is_working_day(D("2028-06-19"))
    # General election day every year, odd years too: 2025-11-04, 2027-11-02.
    assert cal.non_working_reason(D("2025-11-04")) == "General Election Day"
    assert cal.non_working_reason(D("2027-11-02")) == "General Election Day"
    # Lincoln's Birthday: State offices open (36:1-1(d)).
    assert cal.is_working_day(D("2026-02-12")) and cal.is_working_day(D("2027-02-12"))
    # Saturday → Friday (36:1-1.2): Veterans Day Sat 2028-11-11 → Fri Nov 10; Sunday → Monday (36:1-1(b)).
    assert cal.non_working_reason(D("2028-11-10")).startswith("Veterans Day (observed")
    assert cal.non_working_reason(D("2027-07-05")).startswith("Independence Day (observed")


def test_illinois_has_no_weekday_observance() -> None:
    """5 ILCS 490/63: when June 19 falls on a weekend, "neither the preceding Friday nor the following
    Monday" is a holiday; 5 ILCS 70/1.11 excludes only Saturdays, Sundays and statutory holidays."""
    cal = calendar_for("il")
    for d in ("2027-06-18", "2026-07-03", "2027-07-05", "2027-12-24", "2027-12-31", "2028-02-11", "2028-11-10"):
        assert cal.is_working_day(D(d)), d
    assert cal.non_working_reason(D("2026-06-19")) == "Juneteenth National Independence Day"


def test_pennsylvania_legal_holiday_roll_calendar() -> None:
    """1 Pa.C.S. § 1908 omits a last day that is a PA (44 P.S. § 11) or U.S. legal holiday."""
    cal = calendar_for("pa-legal")
    assert cal.non_working_reason(D("2026-04-03")) == "Good Friday (44 P.S. § 11)"
    assert cal.non_working_reason(D("2027-06-14")) == "Flag Day (44 P.S. § 11)"
    assert cal.non_working_reason(D("2027-11-02")) == "Election Day (44 P.S. § 11)"
    assert cal.non_working_reason(D("2026-06-19")).startswith("Juneteenth")
    assert cal.is_working_day(D("2026-11-27"))  # day after Thanksgiving: an office holiday, not a legal one
    office = calendar_for("pa")
    assert office.is_working_day(D("2026-04-03")) and not office.is_working_day(D("2026-11-27"))
