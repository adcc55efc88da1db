"""Engine behaviour beyond single dates: statuses, event handling, explanations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from foia.deadlines import AgencyRules, Clock, LedgerEvent, compute_clocks, load_law


def D(s: str) -> date:
    return date.fromisoformat(s)


def clocks(slug: str, *events: LedgerEvent, **kw):  # type: ignore[no-untyped-def]
    return {c.kind: c for c in compute_clocks(load_law(slug), list(events), **kw)}


def E(kind: str, on: str | date | datetime, **data: object) -> LedgerEvent:
    return LedgerEvent(kind, D(on) if isinstance(on, str) else on, data)


def test_no_received_event_gives_na_response() -> None:
    c = clocks("us-foia")["response"]
    assert c.due is None and c.status == "n/a"
    assert "received" in c.explanation[0]


def test_statuses_follow_the_ledger() -> None:
    open_ = clocks("us-foia", E("received", "2026-01-05"))
    assert set(open_) == {"response"} and open_["response"].status == "open"
    denied = clocks("us-foia", E("received", "2026-01-05"), E("determination", "2026-02-10"))
    assert denied["response"].status == "met"
    assert denied["appeal_filing"].status == "open"
    appealed = clocks("us-foia", E("received", "2026-01-05"), E("determination", "2026-02-10"),
                      E("appeal_filed", "2026-03-02"))
    assert appealed["appeal_filing"].status == "met"
    assert appealed["appeal_decision"].status == "open"
    decided = clocks("us-foia", E("received", "2026-01-05"), E("determination", "2026-02-10"),
                     E("appeal_filed", "2026-03-02"), E("appeal_decided", "2026-03-20"))
    assert decided["appeal_decision"].status == "met"


def test_clock_fields_and_dict() -> None:
    c = clocks("us-foia", E("received", "2026-01-05"))["response"]
    assert isinstance(c, Clock)
    assert (c.kind, c.unit, c.length, c.due) == ("response", "business_days", 20, D("2026-02-03"))
    d = c.to_dict()
    assert d["due"] == "2026-02-03" and d["citation"] == "5 U.S.C. § 552(a)(6)(A)(i)"
    assert d["explanation"] == c.explanation
    # The constructor of the agreed interface also works with an explicit explanation.
    manual = Clock("response", "x", None, "none", "cite", ["line"], "n/a")
    assert manual.explanation == ["line"] and manual.status == "n/a"


def test_explanation_names_skipped_days_and_no_after_hours_deferral() -> None:
    stamp = datetime(2026, 7, 2, 17, 45, tzinfo=timezone(timedelta(hours=-4)))
    c = clocks("us-foia", E("received", stamp))["response"]
    text = "\n".join(c.explanation)
    # 17:45 EDT Thu Jul 2: § 552(a)(6)(A)(i) defers nothing, so it is received Thu Jul 2.
    # Day 1: Jul 3 is observed Independence Day (skip, 5 U.S.C. § 6103(b)); Jul 6-10 (5),
    # 13-17 (10), 20-24 (15), 27-31 (20).
    assert "after business hours" not in text
    assert "Independence Day (observed: 5 U.S.C. § 6103(b))" in text
    assert "Counts as received Thu 2026-07-02" in text
    assert c.due == D("2026-07-31")


def test_naive_timestamp_is_read_in_agency_zone() -> None:
    # New York defers a late-day arrival (AO-17063): at a 16:30 office, 16:45 counts as Tue Jan 6.
    # Early: day 1 Tue Jan 6: 6-9 (4), 12 (5). Late: day 1 Wed Jan 7: 7-9 (3), 12-13 (5).
    agency = AgencyRules(slug="nyc-dof", timezone="America/Chicago", business_hours_end=time(16, 30))
    late = clocks("ny-foil", E("received", datetime(2026, 1, 5, 16, 45)), agency=agency)["response"]
    early = clocks("ny-foil", E("received", datetime(2026, 1, 5, 16, 15)), agency=agency)["response"]
    assert (early.due, late.due) == (D("2026-01-12"), D("2026-01-13"))
    assert any("AO-17063" in line for line in late.explanation)


def test_estimated_completion_clock() -> None:
    c = clocks("wa-pra", E("received", "2026-03-02"), E("estimated_completion", "2026-03-06", date="2026-04-30"))
    assert c["estimated_completion"].due == D("2026-04-30")


def test_unmatched_toll_end_and_same_day_toll_are_harmless() -> None:
    base = clocks("us-foia", E("received", "2026-01-05"))["response"].due
    c = clocks("us-foia", E("received", "2026-01-05"), E("toll_end", "2026-01-09"))["response"]
    assert c.due == base and any("no matching start" in line for line in c.explanation)
    same = clocks("us-foia", E("received", "2026-01-05"), E("toll_start", "2026-01-09"), E("toll_end", "2026-01-09"))
    assert same["response"].due == base


def test_a_second_information_toll_is_ignored_but_fee_tolls_add_up() -> None:
    # 5 U.S.C. § 552(a)(6)(A)(ii)(I): one toll for information. Tolls Jan 8->12 (loses Fri 9, Mon 12)
    # and Jan 14->16: the second is for information again, so ignored: as us-toll, Feb 5.
    c = clocks("us-foia", E("received", "2026-01-05"), E("toll_start", "2026-01-08"), E("toll_end", "2026-01-12"),
               E("toll_start", "2026-01-14"), E("toll_end", "2026-01-16"))["response"]
    assert c.due == D("2026-02-05")
    assert any("allows only one toll for information" in line for line in c.explanation)
    # (ii)(II): fee tolls are unlimited. The second toll is for fees: it loses Thu 15, Fri 16:
    # us-basic Feb 3 + 4 working days (Feb 4, 5, 6, 9) = Mon Feb 9.
    c = clocks("us-foia", E("received", "2026-01-05"), E("toll_start", "2026-01-08"), E("toll_end", "2026-01-12"),
               E("toll_start", "2026-01-14", reason="fees"), E("toll_end", "2026-01-16"))["response"]
    assert c.due == D("2026-02-09")


def test_only_one_extension_applies() -> None:
    c = clocks("us-foia", E("received", "2026-01-05"), E("extension", "2026-01-20"), E("extension", "2026-01-25"))
    assert c["response"].due == D("2026-02-18")
    assert any("further extension" in line for line in c["response"].explanation)


def test_restart_before_receipt_is_ignored() -> None:
    c = clocks("tx-pia", E("received", "2026-02-23"), E("restart", "2026-02-01"))["response"]
    assert c.due == D("2026-03-10")


def test_notes_are_explained() -> None:
    c = clocks("us-foia", E("received", "2026-01-05"), E("determination", "2026-03-02"))["appeal_filing"]
    assert any(line.startswith("Note: No roll-forward") for line in c.explanation)


def test_agency_view_of_law_is_accepted_directly() -> None:
    law = load_law("us-foia").for_agency("dhs-ice")
    c = {x.kind: x for x in compute_clocks(law, [E("received", "2026-01-05"), E("determination", "2026-03-02")])}
    assert c["appeal_filing"].due == D("2026-07-09")


def test_an_estimated_completion_date_is_met_once_the_agency_decides():
    """The agency's own estimate stops being a live date when it makes its determination (or closes
    the request), just like the statutory response clock; otherwise it would shadow the appeal window."""
    from datetime import date

    from foia.deadlines import LedgerEvent, compute_clocks, load_law

    law = load_law("us-foia")
    events = [LedgerEvent("received", date(2025, 6, 20)),
              LedgerEvent("estimated_completion", date(2025, 7, 1), {"date": "2025-09-30"})]
    est = next(c for c in compute_clocks(law, events) if c.kind == "estimated_completion")
    assert est.due == date(2025, 9, 30) and est.status == "open"
    decided = events + [LedgerEvent("determination", date(2025, 8, 8))]
    est = next(c for c in compute_clocks(law, decided) if c.kind == "estimated_completion")
    assert est.status == "met"
