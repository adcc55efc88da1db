"""Issue 18: a closure's recompute picks the requests it can affect in SQL (cached clock dates on or after the closure,
events on or after it, requests with no cached clock) and reads only their ledgers, by id lists. It must move exactly
the clocks a full recompute would: after it, a full recompute of every open request finds nothing left to move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from foia.clocks.closures import add_closure, remove_closure
from foia.clocks.service import recompute_open
from foia.models import Request, RequestClock
from foia.requests.service import RequestInput, create_request, log_event
from tests.conftest import NOW

FIRST_SENT = date(2025, 5, 1)


def _seed(session, world) -> dict[str, list[Request]]:
    """CPRA (lasd, court calendar) and federal (dhs-ice) requests sent every third day over ten weeks, some
    acknowledged later, some closed, one whose clock cache was never filled."""
    reporter = world["users"]["reporter"]
    out: dict[str, list[Request]] = {"cpra": [], "federal": []}
    for i in range(26):
        agency = "lasd" if i % 2 == 0 else "dhs-ice"
        sent = FIRST_SENT + timedelta(days=3 * i)
        at = datetime(sent.year, sent.month, sent.day, 15, 0, tzinfo=UTC)  # every event dated then, none later
        req = create_request(session, actor=reporter, now=at, data=RequestInput(
            title=f"Selection {i}", records_sought="All records about the thing in question.", agency_slug=agency))
        log_event(session, actor=reporter, now=at, req=req, kind="sent", occurred_on=sent, occurred_at=at)
        if i % 5 == 0:  # a later event: the request is affected from that day on too
            later = sent + timedelta(days=40)
            at = datetime(later.year, later.month, later.day, 16, 0, tzinfo=UTC)
            log_event(session, actor=reporter, now=at, req=req, kind="acknowledged", occurred_on=later, occurred_at=at)
        out["cpra" if agency == "lasd" else "federal"].append(req)
    closed = [out["cpra"][3], out["federal"][4]]
    session.execute(update(Request).where(Request.id.in_([r.id for r in closed])).values(status="released"))
    blank = out["cpra"][7]  # as if its clocks had never been computed
    session.execute(RequestClock.__table__.delete().where(RequestClock.request_id == blank.id))
    session.execute(update(Request).where(Request.id == blank.id).values(response_due=None, next_due=None))
    session.commit()
    return out


def _cache(session) -> dict:
    clocks = {(r.request_id, r.kind): (r.due, r.status, r.label) for r in session.execute(
        select(RequestClock.request_id, RequestClock.kind, RequestClock.due, RequestClock.status, RequestClock.label))}
    reqs = {r.id: (r.response_due, r.next_due) for r in session.execute(
        select(Request.id, Request.response_due, Request.next_due))}
    return {"clocks": clocks, "requests": reqs}


@pytest.mark.parametrize("pick", ["early", "middle", "late", "after_all"])
@pytest.mark.parametrize("chunk_rows", [2000, 3])
def test_a_closure_moves_exactly_what_a_full_recompute_would(world, session, monkeypatch, pick, chunk_rows):
    import foia.clocks.service as service

    monkeypatch.setattr(service, "CHUNK_ROWS", chunk_rows)  # 3: many id-list chunks
    seeded = _seed(session, world)
    recompute_open(session, now=NOW, actor=None, reason="fill the blank cache")  # the start: a consistent cache
    session.commit()
    before = _cache(session)
    cpra_dues = sorted({r.response_due for r in seeded["cpra"] if r.response_due is not None})
    on = {"early": cpra_dues[1], "middle": cpra_dues[len(cpra_dues) // 2], "late": cpra_dues[-2],
          "after_all": cpra_dues[-1] + timedelta(days=120)}[pick]
    # ...and the blank one again, so the closure's selection must find it through "no cached clock"
    blank = seeded["cpra"][7]
    session.execute(RequestClock.__table__.delete().where(RequestClock.request_id == blank.id))
    session.execute(update(Request).where(Request.id == blank.id).values(response_due=None, next_due=None))
    session.commit()

    admin = world["users"]["admin"]
    _closure, moved = add_closure(session, actor=admin, now=NOW, on=on, name="Selection test", calendar_id="ca-court")
    session.commit()
    after_closure = _cache(session)
    full = recompute_open(session, now=NOW, actor=None, reason="full, to compare")
    session.commit()
    assert full == [], f"the closure's recompute missed {full}"
    assert _cache(session) == after_closure
    refs = {m.ref for m in moved}
    assert blank.ref in refs  # restored through the no-clock branch
    if pick != "after_all":  # a closure on a CPRA due date moves it; federal clocks ignore closures
        assert len(refs) > 1
        assert any(m.kind == "response" and m.before == on for m in moved)
    else:
        assert refs == {blank.ref}
    assert not refs & {r.ref for r in seeded["federal"]}

    closure = _closure
    back = remove_closure(session, actor=admin, now=NOW, closure=closure)
    session.commit()
    assert recompute_open(session, now=NOW, actor=None, reason="full, to compare") == []
    session.commit()
    assert _cache(session) == before
    assert {(m.ref, m.kind) for m in back} == {(m.ref, m.kind) for m in moved if m.ref != blank.ref}


def test_a_calendar_s_recompute_reads_every_law_that_may_count_on_it(tmp_path):
    """`laws_on_calendar` (the SQL pre-filter of a calendar's recompute) names every law whose file puts it on that
    calendar, for the law or for some agency (an override), and no law that never counts on it."""
    from foia.deadlines import law_slugs, load_law
    from foia.deadlines.laws import laws_on_calendar, set_laws_dirs
    from tests.deadlines.test_laws_pluggable import LAW_TOML, SLUG

    folder = tmp_path / "laws"
    folder.mkdir()
    # The throwaway law counts on the federal calendar, except at its court agencies (an override).
    (folder / f"{SLUG}.toml").write_text(LAW_TOML + '\n[agencies."xx-court-*"]\ncalendar = "ca-court"\n',
                                         encoding="utf-8")
    set_laws_dirs([str(folder)])
    try:
        law = load_law(SLUG)
        assert law.calendar == "us-federal" and law.for_agency("xx-court-7").calendar == "ca-court"
        assert law.for_agency("xx-police").calendar == "us-federal"
        court, federal = laws_on_calendar("ca-court"), laws_on_calendar("us-federal")
        assert SLUG in court and "ca-cpra" in court and "us-foia" not in court
        assert SLUG in federal and "us-foia" in federal and "ca-cpra" not in federal
        for slug in law_slugs():  # every shipped law is found under its own calendar
            assert slug in laws_on_calendar(load_law(slug).calendar), slug
    finally:
        set_laws_dirs(())
    assert SLUG not in laws_on_calendar("ca-court")  # the cache was reset with the folders
