"""The fee lifecycle's effect on each clock, per law, against hand-counted dates (the arithmetic is in the
comments; calendars: 2026, no federal, Texas, Pennsylvania or New Jersey holiday falls in the counted days
except where a comment names one)."""

from __future__ import annotations

from datetime import date

import pytest

from foia.deadlines import LedgerEvent, compute_clocks, load_law
from foia.deadlines.fees import money

D = date


def ev(kind: str, on: date, **data) -> LedgerEvent:
    return LedgerEvent(kind, on, data)


def clock(clocks, kind):
    found = [c for c in clocks if c.kind == kind]
    assert found, f"no {kind} clock in {clocks}"
    return found[0]


# ------------------------------------------------------------------ federal FOIA: fee tolls, not limited to one

def test_federal_baseline_without_fees():
    # Received Mon 03-02; day 1 = Tue 03-03. Mar 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19), Mon 03-30 (20).
    c = clock(compute_clocks(load_law("us-foia"), [ev("received", D(2026, 3, 2))]), "response")
    assert c.due == D(2026, 3, 30)


def test_federal_fee_estimate_that_asks_the_requester_tolls_until_accepted():
    # Counted: Mar 3-6 (4), Mon 9 (5), Tue 10 = estimate day, counts (6). Mar 11-20 paused (accepted Fri 20).
    # Resume Sat 21 -> Mon 23: 23-27 (11), Mar 30-Apr 3 (16), Apr 6, 7, 8, 9 (20) -> Thu 04-09.
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)),
              ev("fee_estimate", D(2026, 3, 10), amount="300.00", asks_requester=True),
              ev("fee_accepted", D(2026, 3, 20), amount="300.00")]
    c = clock(compute_clocks(law, events), "response")
    assert c.due == D(2026, 4, 9)
    text = " ".join(c.explanation)
    assert "Tolled for fees from Tue 2026-03-10 (fee estimate" in text
    assert "§ 552(a)(6)(A)(ii)(II)" in text


def test_federal_second_fee_toll_counts_but_a_second_information_toll_does_not():
    # Information toll Wed 03-04 -> Thu 03-05: Mar 3 (1), Wed 4 (2), Thu 5 paused; Fri 6 (3), Mar 9 (4),
    # Tue 10 = fee estimate (5); paused 11-20; Mar 23-27 (10), Mar 30-Apr 3 (15), Mon Apr 6 (16),
    # Tue Apr 7 = advance-payment request (17); paused Apr 8-14 (paid Tue 14); Wed 15 (18), Thu 16 (19),
    # Fri 17 (20) -> Fri 04-17. A second information toll (Apr 1 -> Apr 2) is ignored: one only, (ii)(I).
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)),
              ev("toll_start", D(2026, 3, 4)), ev("toll_end", D(2026, 3, 5)),
              ev("fee_estimate", D(2026, 3, 10), amount="300.00", asks_requester=True),
              ev("fee_accepted", D(2026, 3, 20)),
              ev("toll_start", D(2026, 4, 1)), ev("toll_end", D(2026, 4, 2)),
              ev("advance_payment", D(2026, 4, 7), amount="300.00"),
              ev("fee_paid", D(2026, 4, 14), amount="300.00", method="check")]
    c = clock(compute_clocks(law, events), "response")
    assert c.due == D(2026, 4, 17)
    text = " ".join(c.explanation)
    assert "ignored: the law allows only one toll for information" in text
    assert "Tolled for fees from Tue 2026-04-07 (advance-payment request" in text


def test_federal_open_fee_toll_stops_the_clock():
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)), ev("fee_estimate", D(2026, 3, 10), amount="90", asks_requester=True)]
    clocks = compute_clocks(law, events)
    c = clock(clocks, "response")
    assert (c.due, c.status) == (None, "paused")
    assert any("Tolled for fees since Tue 2026-03-10" in line for line in c.explanation)
    answer = clock(clocks, "fee_response")  # no statutory period: none until the agency's letter gives one
    assert answer.status == "n/a" and answer.due is None


def test_federal_estimate_that_asks_nothing_moves_no_clock():
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)), ev("fee_estimate", D(2026, 3, 10), amount="12")]
    c = clock(compute_clocks(law, events), "response")
    assert c.due == D(2026, 3, 30)
    assert any("does not ask the requester to answer" in line for line in c.explanation)
    assert not [k for k in compute_clocks(law, events) if k.kind == "fee_response"]


def test_federal_respond_by_from_the_letter_and_met_once_answered():
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)),
              ev("fee_estimate", D(2026, 3, 10), amount="300", asks_requester=True, respond_by="2026-04-09")]
    c = clock(compute_clocks(law, events), "fee_response")
    assert (c.due, c.status, c.unit) == (D(2026, 4, 9), "open", "date")
    c = clock(compute_clocks(law, [*events, ev("fee_narrowed", D(2026, 3, 12))]), "fee_response")
    assert c.status == "met"


def test_federal_fee_waiver_denial_opens_its_own_appeal_window():
    # Denied Mon 04-20: + 90 calendar days: Apr 21-30 (10), May (41), June (71), July 1-19 (90) -> Sun 07-19,
    # no roll-forward (the conservative date).
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)), ev("fee_waiver_decided", D(2026, 4, 20), decision="denied")]
    c = clock(compute_clocks(law, events), "fee_waiver_appeal")
    assert (c.due, c.status) == (D(2026, 7, 19), "open")
    assert "§ 552(a)(6)(A)(i)(III)(aa)" in c.citation
    appealed = clock(compute_clocks(law, [*events, ev("appeal_filed", D(2026, 5, 1))]), "fee_waiver_appeal")
    assert appealed.status == "met"


def test_federal_waiver_granted_ends_the_fee_toll():
    # As the estimate case, with the waiver granted Fri 03-20 instead of an acceptance: Thu 04-09.
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)), ev("fee_estimate", D(2026, 3, 10), amount="300", asks_requester=True),
              ev("fee_waiver_decided", D(2026, 3, 20), decision="granted")]
    assert clock(compute_clocks(law, events), "response").due == D(2026, 4, 9)


# ------------------------------------------------------------------ Texas: estimate clock and deposit restart

def test_texas_cost_estimate_gives_the_requester_ten_business_days_or_withdrawn():
    # Received Mon 04-06; response: Apr 7-10 (4), 13-17 (9), Mon 20 (10) -> 04-20, unchanged by the estimate.
    # Estimate Wed 04-08: Apr 9, 10 (2), 13-17 (7), Mon 20 (8), Tue 21 San Jacinto Day skipped
    # (Gov. Code § 662.003), Wed 22 (9), Thu 23 (10) -> 04-23.
    law = load_law("tx-pia")
    events = [ev("received", D(2026, 4, 6)), ev("fee_estimate", D(2026, 4, 8), amount="75", asks_requester=True)]
    clocks = compute_clocks(law, events)
    assert clock(clocks, "response").due == D(2026, 4, 20)
    answer = clock(clocks, "fee_response")
    assert (answer.due, answer.status) == (D(2026, 4, 23), "open")
    assert "§ 552.2615(b)" in answer.citation
    assert any("considered withdrawn" in line for line in answer.explanation)


def test_texas_deposit_received_restarts_the_response_clock():
    # Deposit asked Tue 04-14, paid Mon 04-27: the request counts as received 04-27 (§ 552.263(e)).
    # Apr 28, 29, 30, May 1 (4), May 4-8 (9), Mon May 11 (10) -> 05-11. The estimate's clock is met (paid).
    law = load_law("tx-pia")
    events = [ev("received", D(2026, 4, 6)), ev("fee_estimate", D(2026, 4, 8), amount="75", asks_requester=True),
              ev("advance_payment", D(2026, 4, 14), amount="75"), ev("fee_paid", D(2026, 4, 27), amount="75")]
    clocks = compute_clocks(law, events)
    response = clock(clocks, "response")
    assert response.due == D(2026, 5, 11)
    assert any("Advance payment received Mon 2026-04-27" in line and "§ 552.263(e)" in line
               for line in response.explanation)
    assert clock(clocks, "fee_response").status == "met"


# ------------------------------------------------------------------ Pennsylvania: prepayment over $100 only

def test_pennsylvania_prepayment_over_100_pauses_until_paid():
    # Received Mon 03-02: Mar 3, 4, 5, 6, 9 -> Mon 03-09. Prepayment of $150 asked Thu 03-05 (counts, 3);
    # Mar 6-11 paused (paid Wed 11); Thu 12 (4), Fri 13 (5) -> 03-13.
    law = load_law("pa-rtkl")
    base = [ev("received", D(2026, 3, 2))]
    assert clock(compute_clocks(law, base), "response").due == D(2026, 3, 9)
    paid = [*base, ev("advance_payment", D(2026, 3, 5), amount="150.00"), ev("fee_paid", D(2026, 3, 11), amount="150")]
    c = clock(compute_clocks(law, paid), "response")
    assert c.due == D(2026, 3, 13)
    assert any("§ 67.1307(h)" in line for line in c.explanation)


def test_pennsylvania_prepayment_of_100_or_less_does_not_pause():
    law = load_law("pa-rtkl")
    events = [ev("received", D(2026, 3, 2)), ev("advance_payment", D(2026, 3, 5), amount="80"),
              ev("fee_paid", D(2026, 3, 11), amount="80")]
    c = clock(compute_clocks(law, events), "response")
    assert c.due == D(2026, 3, 9)
    assert any("$80.00 is not over $100" in line for line in c.explanation)


# ------------------------------------------------------------------ laws whose fees move no clock

@pytest.mark.parametrize("slug", ["nj-opra", "il-foia", "ca-cpra", "ny-foil"])
def test_states_without_a_fee_toll_say_so(slug):
    law = load_law(slug)
    base = [ev("received", D(2026, 3, 3))]
    with_fee = [*base, ev("fee_estimate", D(2026, 3, 4), amount="30", asks_requester=True)]
    before, after = clock(compute_clocks(law, base), "response"), clock(compute_clocks(law, with_fee), "response")
    assert before.due == after.due
    assert any("no clock moves under" in line and law.fees.citation.split(" (")[0] in line for line in after.explanation)


def test_a_law_without_fee_rules_is_not_encoded():
    law = load_law("wa-pra")
    assert not law.fees.encoded
    events = [ev("received", D(2026, 3, 3)), ev("fee_estimate", D(2026, 3, 4), amount="30", asks_requester=True)]
    c = clock(compute_clocks(law, events), "response")
    assert any("fee rules are not encoded" in line for line in c.explanation)


def test_every_required_law_states_its_fee_rules_with_a_citation():
    for slug in ("us-foia", "ca-cpra", "ny-foil", "tx-pia", "pa-rtkl", "il-foia", "nj-opra"):
        fees = load_law(slug).fees
        assert fees.encoded and fees.citation, slug


def test_money():
    assert str(money("12.5")) == "12.50"
    assert money("") is None and money("abc") is None


def test_same_day_fee_steps_apply_in_ledger_order():
    # Estimate and acceptance the same Tue 03-10: a toll from 03-10 to 03-10 excludes no day: due Mon 03-30,
    # as without fees. Two payments on one day do not trip the ordering either.
    law = load_law("us-foia")
    events = [ev("received", D(2026, 3, 2)), ev("fee_estimate", D(2026, 3, 10), amount="5", asks_requester=True),
              ev("fee_accepted", D(2026, 3, 10)), ev("fee_paid", D(2026, 3, 12), amount="2", method="card"),
              ev("fee_paid", D(2026, 3, 12), amount="3", method="card")]
    assert clock(compute_clocks(law, events), "response").due == D(2026, 3, 30)
