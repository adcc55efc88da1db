"""Clock starts other than receipt (acknowledgment, determination, appeal filing, appeal decision) for
every clock kind, the loader's refusal of what it cannot compute, and the Sunday-and-holiday roll.

Dates are counted by hand on the federal calendar (5 U.S.C. § 6103(a)): a made-up law keeps the
engine's rules apart from any state's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from foia.deadlines import LedgerEvent, compute_clocks
from foia.deadlines.laws import Law, _build


def _law(**clocks: dict[str, Any]) -> Law:
    raw = {
        "slug": "xx-starts", "name": "Test Act", "jurisdiction": "Testland", "citation": "T.C. § 1",
        "calendar": "us-federal", "timezone": "America/New_York", "tolling": {"model": "pause"},
        "appeal": {"available": True},
        "clocks": {"response": {"label": "Respond", "length": 5, "unit": "business_days", "citation": "T.C. § 2"},
                   **clocks},
    }
    return _build(raw, "xx-starts.toml")


def _clock(law: Law, kind: str, *events: tuple[str, date]):
    clocks = [c for c in compute_clocks(law, [LedgerEvent(k, d) for k, d in events]) if c.kind == kind]
    assert len(clocks) <= 1
    return clocks[0] if clocks else None


PRODUCTION = {"label": "Produce", "length": 30, "unit": "calendar_days", "start": "determination",
              "citation": "T.C. § 3"}


def test_an_extra_clock_starts_from_the_determination() -> None:
    law = _law(production=PRODUCTION)
    assert _clock(law, "production", ("received", date(2026, 3, 2))) is None  # no determination yet
    c = _clock(law, "production", ("received", date(2026, 3, 2)), ("determination", date(2026, 3, 6)))
    # 30 days after Fri Mar 6, 2026: Apr 5 (a Sunday) -> next working day Mon Apr 6.
    assert c is not None and c.due == date(2026, 4, 6) and c.status == "open"
    assert any("determination dated Fri 2026-03-06" in line for line in c.explanation)
    closed = _clock(law, "production", ("received", date(2026, 3, 2)), ("determination", date(2026, 3, 6)),
                    ("closed", date(2026, 3, 20)))
    assert closed is not None and closed.status == "met"


def test_extra_clocks_from_the_appeal_filing_and_the_appeal_decision() -> None:
    law = _law(second_appeal={"label": "Second appeal", "length": 30, "unit": "calendar_days",
                              "start": "appeal_decided", "citation": "T.C. § 5"},
               hearing={"label": "Hearing", "length": 10, "unit": "business_days", "start": "appeal_filed",
                        "citation": "T.C. § 6"})
    events = [("received", date(2026, 1, 5)), ("determination", date(2026, 1, 9)),
              ("appeal_filed", date(2026, 1, 14))]
    hearing = _clock(law, "hearing", *events)
    # 10 working days after Wed Jan 14: Jan 15, 16 (2), Mon Jan 19 MLK Day skipped, Jan 20-23 (6), 26-29 (10).
    assert hearing is not None and hearing.due == date(2026, 1, 29) and hearing.status == "open"
    assert _clock(law, "second_appeal", *events) is None
    decided = [*events, ("appeal_decided", date(2026, 1, 27))]
    second = _clock(law, "second_appeal", *decided)
    # 30 days after Tue Jan 27: Thu Feb 26.
    assert second is not None and second.due == date(2026, 2, 26)
    assert _clock(law, "hearing", *decided).status == "met"


ACK = {"label": "Substantive response", "length": 15, "unit": "business_days", "start": "acknowledged",
       "citation": "T.C. § 4", "extension": {"length": 15, "unit": "business_days", "citation": "T.C. § 4(b)"}}


def test_a_clock_from_the_acknowledgment_takes_the_extension_and_tolls() -> None:
    law = _law(substantive=ACK)
    pending = _clock(law, "substantive", ("received", date(2026, 6, 1)))
    assert pending is not None and pending.due is None and pending.status == "n/a"
    assert any("not logged yet" in line for line in pending.explanation)
    c = _clock(law, "substantive", ("received", date(2026, 6, 1)), ("acknowledged", date(2026, 6, 8)))
    # 15 working days after Mon Jun 8: Jun 9-12 (4), 15-18 (8), Fri Jun 19 Juneteenth skipped, 22-26 (13),
    # Jun 29 (14), Tue Jun 30 (15).
    assert c is not None and c.due == date(2026, 6, 30)
    assert any("acknowledgment dated Mon 2026-06-08" in line for line in c.explanation)
    extended = _clock(law, "substantive", ("received", date(2026, 6, 1)), ("acknowledged", date(2026, 6, 8)),
                      ("extension", date(2026, 6, 20)))
    # +15 working days after Tue Jun 30: Jul 1, 2 (2), Fri Jul 3 (Independence Day observed) skipped,
    # Jul 6-10 (7), 13-17 (12), 20-22 (15) -> Wed Jul 22.
    assert extended is not None and extended.due == date(2026, 7, 22)
    tolled = _clock(law, "substantive", ("received", date(2026, 6, 1)), ("acknowledged", date(2026, 6, 8)),
                    ("toll_start", date(2026, 6, 10)), ("toll_end", date(2026, 6, 12)))
    # Jun 9 (1), Jun 10 (2, the toll's first day counts), Jun 11-12 paused, then 13 more: Jun 15-18 (6),
    # Jun 19 skipped, 22-26 (11), 29, 30 (13), Jul 1 (14), Thu Jul 2 (15).
    assert tolled is not None and tolled.due == date(2026, 7, 2)


def test_a_fallback_counts_from_receipt_until_the_acknowledgment_is_logged() -> None:
    law = _law(substantive={**ACK, "start_fallback": "received"})
    c = _clock(law, "substantive", ("received", date(2026, 6, 1)))
    # 15 working days after Mon Jun 1: Jun 2-5 (4), 8-12 (9), 15-18 (13), Jun 19 skipped, 22 (14), Tue Jun 23.
    assert c is not None and c.due == date(2026, 6, 23)
    assert any("counted from receipt for now" in line for line in c.explanation)


@pytest.mark.parametrize(("kind", "table", "words"), [
    ("response", {"start": "determination"}, "cannot start from 'determination'"),
    ("expedited_decision", {"start": "acknowledged"}, "cannot start from 'acknowledged'"),
    ("appeal_filing", {"start": "received"}, "cannot start from 'received'"),
    ("appeal_decision", {"start": "appeal_decided"}, "cannot start from 'appeal_decided'"),
    ("production", {"start": "somewhen"}, "start 'somewhen' not in"),
    ("production", {"start": "determination", "start_fallback": "received"}, "start_fallback"),
    ("production", {"start": "acknowledged", "start_fallback": "determination"}, "start_fallback"),
    ("production", {"start": "determination",
                    "extension": {"length": 5, "unit": "business_days", "citation": "x"}}, "an extension applies"),
    ("production", {"roll": "next_sunday"}, "roll 'next_sunday' not in"),
])
def test_the_loader_refuses_what_the_engine_cannot_compute(kind: str, table: dict, words: str) -> None:
    base = {"label": "X", "length": 10, "unit": "calendar_days", "citation": "T.C. § 9"}
    if kind == "response":
        with pytest.raises(ValueError, match=words):
            _build({"slug": "xx", "name": "n", "jurisdiction": "j", "citation": "c", "calendar": "us-federal",
                    "timezone": "UTC", "clocks": {"response": {**base, **table}}}, "xx.toml")
        return
    with pytest.raises(ValueError, match=words):
        _law(**{kind: {**base, **table}})


SUNDAY_ROLL = {"label": "File", "length": 10, "unit": "calendar_days", "start": "determination",
               "roll": "next_day_not_sunday_or_holiday", "roll_citation": "T.C. § 7 (Sundays and holidays only)",
               "citation": "T.C. § 8"}


@pytest.mark.parametrize(("determination", "due", "words"), [
    # 10 days after Wed Mar 4, 2026: Sat Mar 14 stays (a Saturday counts).
    (date(2026, 3, 4), date(2026, 3, 14), "is a Saturday, not a Sunday or legal holiday"),
    # 10 days after Thu Mar 5: Sun Mar 15 -> Mon Mar 16.
    (date(2026, 3, 5), date(2026, 3, 16), "Sunday or legal holiday (Sunday)"),
    # 10 days after Thu Jan 8: Sun Jan 18 -> Mon Jan 19 is MLK Day -> Tue Jan 20.
    (date(2026, 1, 8), date(2026, 1, 20), "Martin Luther King"),
    # 10 days after Mon Jun 29: Thu Jul 9, a working day: no roll.
    (date(2026, 6, 29), date(2026, 7, 9), "Due Thu 2026-07-09"),
    # 10 days after Thu Nov 12, 2026: Sun Nov 22 -> Mon Nov 23 (not a holiday).
    (date(2026, 11, 12), date(2026, 11, 23), "T.C. § 7 (Sundays and holidays only)"),
])
def test_the_sunday_and_holiday_roll_lets_a_saturday_stand(determination: date, due: date, words: str) -> None:
    law = _law(window=SUNDAY_ROLL)
    c = _clock(law, "window", ("received", date(2025, 12, 1)), ("determination", determination))
    assert c is not None and c.due == due
    assert words in "\n".join(c.explanation)


def test_a_holiday_on_a_friday_rolls_to_the_saturday() -> None:
    law = _law(window={**SUNDAY_ROLL, "length": 30})
    # 30 days after Tue Oct 27, 2026: Thu Nov 26 Thanksgiving -> Fri Nov 27 (a working day federally).
    c = _clock(law, "window", ("received", date(2026, 10, 1)), ("determination", date(2026, 10, 27)))
    assert c is not None and c.due == date(2026, 11, 27)
    # Independence Day 2025 is a Friday: 30 days after Wed Jun 4, 2025 end on it -> Saturday Jul 5 stands.
    c = _clock(law, "window", ("received", date(2025, 6, 1)), ("determination", date(2025, 6, 4)))
    assert c is not None and c.due == date(2025, 7, 5)
