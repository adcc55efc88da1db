"""Escalation dates (court, reviewing body, limitation) with their explanations, hand-counted."""

from __future__ import annotations

from datetime import date

from foia.deadlines import LedgerEvent, compute_clocks, load_law
from foia.deadlines.escalation import add_months, escalation_clocks

D = date


def ev(kind: str, on: date, **data) -> LedgerEvent:
    return LedgerEvent(kind, on, data)


def esc(slug: str, events):
    law = load_law(slug)
    return {c.kind: c for c in escalation_clocks(law, compute_clocks(law, events), events)}


def test_federal_constructive_exhaustion_and_six_years():
    # Response due Mon 03-30 (20 working days from receipt Mon 03-02, see test_fee_clocks): the requester may
    # sue from Tue 03-31 (§ 552(a)(6)(C)(i)); six years later: Wed 2032-03-31 (28 U.S.C. § 2401(a)).
    out = esc("us-foia", [ev("received", D(2026, 3, 2))])
    court, limit, ogis = out["court"], out["limitations"], out["ogis"]
    assert court.due == D(2026, 3, 31)
    assert "§ 552(a)(6)(C)(i)" in court.citation
    assert any("deemed to have exhausted" in line and "Mon 2026-03-30" in line for line in court.explanation)
    assert limit.due == D(2032, 3, 31)
    assert "28 U.S.C. § 2401(a)" in limit.citation
    assert any("accrues Tue 2026-03-31" in line for line in limit.explanation)
    assert (ogis.due, ogis.status) == (None, "option") and "§ 552(h)" in ogis.citation


def test_federal_exhaustion_moves_with_extension_and_fee_toll():
    # Fee toll Tue 03-10 -> Fri 03-20 makes the response due Thu 04-09 (test_fee_clocks); the extension adds
    # 10 working days: Apr 10 (1), 13-17 (6), 20-23 (10) -> Thu 04-23; court from Fri 04-24.
    events = [ev("received", D(2026, 3, 2)), ev("fee_estimate", D(2026, 3, 10), amount="300", asks_requester=True),
              ev("fee_accepted", D(2026, 3, 20)), ev("extension", D(2026, 3, 25))]
    assert esc("us-foia", events)["court"].due == D(2026, 4, 24)


def test_federal_no_date_while_tolled_and_appeal_first_after_a_determination():
    tolled = esc("us-foia", [ev("received", D(2026, 3, 2)),
                             ev("fee_estimate", D(2026, 3, 10), amount="300", asks_requester=True)])
    assert tolled["court"].due is None and tolled["limitations"].due is None
    assert any("stopped (tolled)" in line for line in tolled["court"].explanation)
    determined = [ev("received", D(2026, 3, 2)), ev("determination", D(2026, 3, 20))]
    assert esc("us-foia", determined)["court"].due is None
    # Appeal received Wed 03-25: day 1 Thu 03-26: 26, 27 (2), Mar 30-Apr 3 (7), 6-10 (12), 13-17 (17),
    # 20, 21, 22 (20) -> Wed 04-22 decision due; with none, court from Thu 04-23.
    appealed = esc("us-foia", [*determined, ev("appeal_filed", D(2026, 3, 25))])
    assert appealed["court"].due == D(2026, 4, 23)
    decided = esc("us-foia", [*determined, ev("appeal_filed", D(2026, 3, 25)), ev("appeal_decided", D(2026, 4, 10))])
    assert decided["court"].due == D(2026, 4, 10)
    assert decided["limitations"].due == D(2032, 4, 10)


def test_new_jersey_superior_court_and_grc_from_a_deemed_denial():
    # Received Mon 03-02: 7 business days Mar 3-6 (4), 9, 10, 11 (7) -> Wed 03-11 (deemed denial).
    # 45 calendar days: Mar 12-31 (20), Apr 1-25 (45) -> Sat 04-25. Superior Court: no roll (Sat 04-25);
    # GRC: "or the next business day" -> Mon 04-27.
    out = esc("nj-opra", [ev("received", D(2026, 3, 2))])
    court, grc = out["superior_court"], out["grc_complaint"]
    assert court.due == D(2026, 4, 25)
    assert "Mason v. City of Hoboken, 196 N.J. 51 (2008)" in court.citation
    assert any("its silence is a denial" in line and "Wed 2026-03-11" in line for line in court.explanation)
    assert grc.due == D(2026, 4, 27)


def test_new_jersey_windows_from_a_logged_denial():
    # Denied Mon 03-16: Mar 17-31 (15), Apr 1-30 (45) -> Thu 04-30 for both.
    out = esc("nj-opra", [ev("received", D(2026, 3, 2)), ev("determination", D(2026, 3, 16))])
    assert out["superior_court"].due == out["grc_complaint"].due == D(2026, 4, 30)


def test_illinois_pac_review_within_60_days_of_the_denial():
    # Received Tue 03-03: 5 business days Mar 4, 5, 6, 9, 10 -> Tue 03-10 (silence = denial, 3(d)).
    # 60 days: Mar 11-31 (21), April (51), May 1-9 (60) -> Sat 05-09, rolled to Mon 05-11 (5 ILCS 70/1.11).
    out = esc("il-foia", [ev("received", D(2026, 3, 3))])
    pac = out["pac_review"]
    assert pac.due == D(2026, 5, 11)
    assert "5 ILCS 140/9.5(a)" in pac.citation
    assert any("5 ILCS 140/3(d)" in line for line in pac.explanation)
    # A denial logged Fri 03-06: Mar 7-31 (25), April (55), May 1-5 (60) -> Tue 05-05.
    assert esc("il-foia", [ev("received", D(2026, 3, 3)), ev("determination", D(2026, 3, 6))])["pac_review"].due \
        == D(2026, 5, 5)
    assert out["court"].status == "option"


def test_laws_without_escalation_data_show_none():
    assert esc("tx-pia", [ev("received", D(2026, 4, 6))]) == {}


def test_add_months_clamps_to_month_end():
    assert add_months(D(2028, 2, 29), 72) == D(2034, 2, 28)
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
