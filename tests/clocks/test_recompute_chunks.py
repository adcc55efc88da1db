"""Issue 18: the bulk recompute reads by id range (`id_chunks`), and no web path recomputes in the request —
a closure added on the admin page queues a `recompute_clocks` job that the scheduler runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from foia.clocks.service import id_chunks, recompute_open
from foia.models import AuditLog, Job, Request, RequestClock
from foia.requests.service import RequestInput, create_request, log_event
from foia.scheduler import recompute_clocks
from tests.clocks.writes import clock_writes
from tests.conftest import NOW, csrf_token


@settings(max_examples=300, deadline=None)
@given(ids=st.sets(st.integers(min_value=1, max_value=50_000), max_size=400).map(sorted),
       rows=st.integers(min_value=1, max_value=50), spread=st.integers(min_value=1, max_value=40),
       slack=st.integers(min_value=0, max_value=300))
def test_id_chunks_cover_every_id_once_in_disjoint_bounded_ranges(ids, rows, spread, slack):
    chunks = id_chunks(ids, rows=rows, spread=spread, slack=slack)
    covered = [i for _lo, _hi, start, stop in chunks for i in ids[start:stop]]
    assert covered == ids  # every id exactly once, in order
    for k, (lo, hi, start, stop) in enumerate(chunks):
        part = ids[start:stop]
        assert part and lo == part[0] and hi == part[-1]
        assert [i for i in ids if lo <= i <= hi] == part  # the range holds this chunk's ids and no other chunk's
        assert len(part) <= rows and (hi - lo < spread * len(part) + slack or len(part) == 1)
        if k + 1 < len(chunks):
            assert hi < chunks[k + 1][0]


def test_id_chunks_at_the_boundaries():
    assert id_chunks([]) == []
    assert id_chunks([7]) == [(7, 7, 0, 1)]
    dense = list(range(1, 4001))
    assert id_chunks(dense, rows=2000) == [(1, 2000, 0, 2000), (2001, 4000, 2000, 4000)]
    assert id_chunks(list(range(1, 2002)), rows=2000)[-1] == (2001, 2001, 2000, 2001)
    # Sparse ids (a past closure's few requests among many) are not read as one huge range.
    assert id_chunks([1, 1_000_000], rows=2000) == [(1, 1, 0, 1), (1_000_000, 1_000_000, 1, 2)]


def _open_cpra_requests(session, world, n: int) -> list[Request]:
    reporter = world["users"]["reporter"]
    reqs = []
    for i in range(n):
        req = create_request(session, actor=reporter, now=NOW, data=RequestInput(
            title=f"Chunk {i}", records_sought="All records about the thing in question.", agency_slug="lasd"))
        log_event(session, actor=reporter, now=NOW, req=req, kind="sent", occurred_on=date(2025, 6, 20),
                  occurred_at=datetime(2025, 6, 20, 15, 0, tzinfo=UTC))
        reqs.append(req)
    session.commit()
    return reqs


def test_recompute_over_many_chunks_with_gaps_reaches_every_open_request_once(world, session, monkeypatch):
    """Chunks of 3 requests over ids with gaps (closed requests between open ones): every open request is
    recomputed once (one audit row each), no closed one."""
    import foia.clocks.service as service

    reqs = _open_cpra_requests(session, world, 11)
    closed = reqs[1::3]
    session.execute(update(Request).where(Request.id.in_([r.id for r in closed])).values(status="released"))
    # Forget every cached clock so each open request has a date to restore, and count the restorations.
    session.execute(RequestClock.__table__.delete())
    session.commit()
    monkeypatch.setattr(service, "CHUNK_ROWS", 3)
    moved = recompute_open(session, now=NOW, actor=None, reason="chunk test")
    session.commit()
    open_refs = {r.ref for r in world["requests"].values() if r.status not in ("released", "closed")} | {
        r.ref for r in reqs if r not in closed}
    recomputed = [m.ref for m in moved if m.kind == "response"]
    assert sorted(recomputed) == sorted({m.ref for m in moved if m.kind == "response"})  # once each
    sent = {r.ref for r in reqs if r not in closed}
    assert sent <= set(recomputed) and not {r.ref for r in closed} & set(recomputed)
    assert set(recomputed) <= open_refs
    audits = session.scalars(select(AuditLog.request_id).where(AuditLog.action == "recompute")).all()
    assert len(audits) == len(set(audits))
    assert {r.id for r in reqs if r not in closed} <= set(audits) and not {r.id for r in closed} & set(audits)
    assert session.scalar(select(func.count(RequestClock.id)).where(
        RequestClock.request_id.in_([r.id for r in closed]))) == 0


def test_a_closure_added_on_the_admin_page_recomputes_in_the_scheduler_not_the_request(login_as, world, session):
    reqs = _open_cpra_requests(session, world, 3)
    # Fri 2025-06-20 + 10 calendar days = Mon 2025-06-30 (CPRA); a court closure that day rolls it to Tue.
    assert {r.response_due for r in reqs} == {date(2025, 6, 30)}
    client = login_as("admin")
    token = csrf_token(client, "/admin/calendars")
    with clock_writes() as writes:
        resp = client.post("/admin/closures", data={"csrf_token": token, "on": "2025-06-30",
                                                     "name": "Court offices closed", "calendar": "ca-court"})
    assert resp.status_code == 302
    assert writes == []  # no clock or cached date written in the web request
    session.expire_all()
    assert {r.response_due for r in reqs} == {date(2025, 6, 30)}
    (job,) = session.scalars(select(Job).where(Job.kind == "recompute_clocks")).all()
    assert job.status == "queued" and job.payload["calendar_id"] == "ca-court"
    assert job.payload["affected_from"] == "2025-06-30"
    assert "recomputing" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with clock_writes() as writes:
        assert recompute_clocks(client.application) == 1  # as the scheduler runs it
    assert writes
    session.expire_all()
    assert {r.response_due for r in reqs} == {date(2025, 7, 1)}
    assert session.get_one(Job, job.id).status == "done"
    assert recompute_clocks(client.application) == 0  # nothing left queued


def test_the_recompute_pauses_the_garbage_collector_and_gives_it_back(world, session, monkeypatch):
    """`gc_paused`: the collector is off during the bulk pass, on again afterwards (also when the pass fails), and
    left off if the caller had turned it off."""
    import gc

    import foia.clocks.service as service

    seen: list[bool] = []
    real = service.compute_clocks

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "compute_clocks", spy)
    assert gc.isenabled()
    recompute_open(session, now=NOW, actor=None, reason="gc test")
    session.rollback()
    assert seen and not any(seen) and gc.isenabled()

    def boom(*args, **kwargs):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(service, "compute_clocks", boom)
    try:
        recompute_open(session, now=NOW, actor=None, reason="gc test")
    except RuntimeError:
        pass
    session.rollback()
    assert gc.isenabled()
    gc.disable()
    try:
        with service.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_bulk_recompute_computes_what_the_request_page_computes(world, session):
    """The bulk recompute reads its rows as the driver returns them and converts them itself (`_Rows`): dates from
    SQLite's text, UTC timestamps (an evening send in Los Angeles is the next day in New York, where ICE counts), the
    data of an extension. Its clocks must be those the ORM path (`compute_for`) computes from the same ledger."""
    from foia.clocks.service import compute_for

    reporter = world["users"]["reporter"]
    cases = [
        ("dhs-ice", [("sent", date(2025, 6, 10), datetime(2025, 6, 11, 4, 30, tzinfo=UTC), None)]),  # 9:30 pm in LA, a Tuesday
        ("dhs-ice", [("sent", date(2025, 6, 20), datetime(2025, 6, 20, 15, 0, tzinfo=UTC), None),
                     ("extension", date(2025, 7, 1), None, {"days": 10})]),
        ("dhs-ice", [("sent", date(2025, 6, 2), None, None), ("toll_start", date(2025, 6, 10), None, None),
                     ("toll_end", date(2025, 6, 24), None, None)]),
        ("lasd", [("sent", date(2025, 6, 20), datetime(2025, 6, 21, 6, 59, tzinfo=UTC), None)]),
        ("lasd", [("sent", date(2025, 6, 20), None, None), ("received", date(2025, 6, 23), None, None),
                  ("determination", date(2025, 7, 2), None, None)]),
        ("lasd", []),  # a draft: no clock at all
    ]
    reqs = []
    for i, (agency, events) in enumerate(cases):
        req = create_request(session, actor=reporter, now=NOW, data=RequestInput(
            title=f"Bulk {i}", records_sought="All records about the thing in question.", agency_slug=agency))
        for kind, on, at, data in events:
            log_event(session, actor=reporter, now=NOW, req=req, kind=kind, occurred_on=on, occurred_at=at, data=data)
        reqs.append(req)
    session.commit()
    expected = {req.id: sorted((c.kind, c.due, c.status, c.label) for c in compute_for(session, req)) for req in reqs}
    assert any(expected.values())
    session.execute(RequestClock.__table__.delete().where(RequestClock.request_id.in_([r.id for r in reqs])))
    session.execute(update(Request).where(Request.id.in_([r.id for r in reqs])).values(next_due=None, response_due=None))
    session.commit()

    moved = recompute_open(session, now=NOW, actor=None, reason="bulk equals single")
    session.commit()
    for req in reqs:
        stored = session.execute(select(RequestClock.kind, RequestClock.due, RequestClock.status, RequestClock.label)
                                 .where(RequestClock.request_id == req.id)).all()
        assert sorted(tuple(r) for r in stored) == expected[req.id], req.title
    assert {m.ref for m in moved} == {r.ref for r in reqs if expected[r.id] and any(c[1] for c in expected[r.id])}
    # Running it again finds every date where it is (the compared values are read back the same way).
    assert recompute_open(session, now=NOW, actor=None, reason="again") == []
