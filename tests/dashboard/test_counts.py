"""Maintained counts (request_counts, kept by triggers) stay equal to a fresh COUNT(*) through every kind
of writer, each viewer's sum matches the access rule, and the agency statistics refresh recomputes only
the agencies that changed. Runs on SQLite and, with FOIA_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text, update

from foia.core.access import stats_scope, visible_clause
from foia.dashboard import stats as stats_mod
from foia.dashboard.counts import (
    counts_by_status,
    fresh_counts,
    fresh_deadline_counts,
    maintained_counts,
    maintained_deadline_counts,
    rebuild_counts,
)
from foia.dashboard.queries import COUNT_CAP, _count, overdue
from foia.dashboard.stats import agency_responsiveness, refresh_stats, scope_key, stored_responsiveness
from foia.imports.service import preview_file, run_import
from foia.models import (
    STATUSES,
    Agency,
    AgencyStatsChange,
    DeadlineCount,
    Request,
    RequestClock,
    RequestCount,
    StatsSnapshot,
)
from foia.requests.corrections import delete_draft, edit_request
from foia.requests.service import RequestInput, create_request, log_event, update_request
from tests.conftest import NOW
from tests.imports.import_data import csv_bytes, make_directory

TODAY = date(2026, 3, 16)


def _check(session) -> None:
    session.flush()
    assert maintained_counts(session) == fresh_counts(session)
    assert maintained_deadline_counts(session) == fresh_deadline_counts(session)


def _every_viewer_matches(session, users) -> None:
    for name, user in users.items():
        fresh = dict(session.execute(select(Request.status, func.count()).where(visible_clause(user))
                                     .group_by(Request.status)).all())
        assert counts_by_status(session, user) == fresh, name
        # The overdue total (from deadline_counts) equals the open deadlines counted through the clocks.
        day = date(2026, 4, 1)
        listed = overdue(session, user, today=day, limit=1)
        counted = _count(session, user, RequestClock.due < day)
        assert listed.total == (len(listed.rows) if len(listed.rows) < 1 else min(COUNT_CAP, counted)), name


def test_counts_follow_random_changes_by_every_writer(session, world):
    users = world["users"]
    session.commit()
    _check(session)
    assert sum(maintained_counts(session).values()) > 0  # the world's requests were counted on creation
    rng = random.Random(18)
    agencies = [a for a in session.scalars(select(Agency.slug)) if a][:5]
    people = [users[k] for k in ("staff", "news_staff", "reporter", "colleague", "outsider")]
    made: list[Request] = list(world["requests"].values()) if isinstance(world["requests"], dict) else list(world["requests"])
    for step in range(60):
        op = rng.choice(("create", "create", "status", "visibility", "org", "delete", "edit", "bulk", "send", "send",
                         "event"))
        if op == "create" or not made:
            who = rng.choice(people)
            made.append(create_request(session, actor=who, now=NOW, data=RequestInput(
                title=f"Random {step}", records_sought="All records about the thing in question.",
                agency_slug=rng.choice(agencies), visibility=rng.choice(("private", "organization", "public")))))
        else:
            req = rng.choice(made)
            if req.deleted_at is not None:
                continue
            if op == "status":
                update_request(session, actor=None, now=NOW, req=req, status=rng.choice(list(STATUSES)))
            elif op == "visibility":
                update_request(session, actor=None, now=NOW, req=req,
                               visibility=rng.choice(("private", "organization", "public")))
            elif op == "edit":
                edit_request(session, actor=users["admin"], now=NOW, req=req,
                             values={"visibility": rng.choice(("private", "organization", "public"))})
            elif op == "org":  # an organization move, as an administrator would do it in SQL
                org = rng.choice(list(world["orgs"].values()))
                session.execute(update(Request).where(Request.id == req.id).values(organization_id=org.id))
            elif op == "bulk":  # a bulk statement no ORM event sees row by row
                session.execute(update(Request).where(Request.status == "draft", Request.deleted_at.is_(None))
                                .values(status="submitted"))
            elif op == "send":  # a ledger event: the deadline engine writes the request's clocks
                log_event(session, actor=None, now=NOW, req=req, kind="sent",
                          occurred_on=date(2026, 1, 5) + timedelta(days=rng.randint(0, 60)))
            elif op == "event":
                log_event(session, actor=None, now=NOW, req=req, kind=rng.choice(("acknowledged", "extension",
                                                                                  "determination", "toll_start")),
                          occurred_on=date(2026, 3, 1) + timedelta(days=rng.randint(0, 20)))
            elif op == "delete" and req.status == "draft" and req.sent_at is None:
                delete_draft(session, actor=users["admin"], now=NOW, req=req)
        if step % 10 == 0:
            _check(session)
            session.commit() if rng.random() < 0.7 else session.rollback()
            session.expire_all()
            made = list(session.scalars(select(Request)))
            _check(session)
    session.commit()
    _check(session)
    # A request removed outright (a correction run in SQL) is no longer counted.
    victim = session.scalars(select(Request).join(RequestClock, RequestClock.request_id == Request.id)
                             .where(Request.deleted_at.is_(None), RequestClock.status == "open")).first()
    assert victim is not None
    session.execute(text("DELETE FROM requests WHERE id = :id"), {"id": victim.id})
    _check(session)
    session.commit()
    assert sum(maintained_deadline_counts(session).values()) > 0  # deadlines were counted along the way
    _every_viewer_matches(session, users)


def test_counts_follow_an_import(session, world):
    make_directory(session)
    session.commit()
    staff = world["users"]["staff"]
    before = counts_by_status(session, staff)
    rows = [("", "FBI", f"Imported records {i}", "2025-09-02", "", "", "", "", "") for i in range(3)]
    pv = preview_file(session, actor=staff, now=NOW, data=csv_bytes(rows, encoding="utf-8"), filename="a.csv")
    result = run_import(session, actor=staff, now=NOW, preview=pv, skip_invalid=False)
    session.commit()
    assert len(result.imported) == 3
    _check(session)
    assert sum(counts_by_status(session, staff).values()) == sum(before.values()) + 3


def test_a_reporter_never_counts_another_organizations_private_requests(session, world):
    users = world["users"]
    outsider, reporter = users["outsider"], users["reporter"]
    for i in range(3):
        create_request(session, actor=outsider, now=NOW, data=RequestInput(
            title=f"Outsider private {i}", records_sought="All records about the thing in question.",
            agency_slug="dhs-ice", visibility="private"))
    session.commit()
    seen_by_reporter = sum(counts_by_status(session, reporter).values())
    visible = session.scalar(select(func.count()).select_from(Request).where(visible_clause(reporter)))
    assert seen_by_reporter == visible
    outsider_private = session.scalar(select(func.count()).select_from(Request).where(
        Request.requester_id == outsider.id, Request.visibility == "private"))
    assert outsider_private >= 3
    assert sum(counts_by_status(session, outsider).values()) >= outsider_private
    _every_viewer_matches(session, users)


def test_rebuild_and_check_commands(cli, session, world):
    session.commit()
    session.execute(update(RequestCount).values(n=RequestCount.n + 5))
    session.execute(update(DeadlineCount).values(n=DeadlineCount.n + 1))
    session.commit()
    assert maintained_counts(session) != fresh_counts(session)
    result = cli.invoke(args=["foia", "counts", "check"])
    assert result.exit_code == 1 and "differ" in result.output
    result = cli.invoke(args=["foia", "counts", "rebuild"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert maintained_counts(session) == fresh_counts(session)
    assert cli.invoke(args=["foia", "counts", "check"]).exit_code == 0
    assert rebuild_counts(session) == len(fresh_counts(session)) + len(fresh_deadline_counts(session))


def _sent(session, user, title, agency, sent_on, extra=()):
    req = create_request(session, actor=user, now=NOW, data=RequestInput(
        title=title, records_sought="All records about the thing in question.", agency_slug=agency,
        visibility="public"))
    update_request(session, actor=user, now=NOW, req=req, status="submitted")
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=sent_on)
    for kind, on in extra:
        log_event(session, actor=user, now=NOW, req=req, kind=kind, occurred_on=on)
    return req


def test_statistics_refresh_recomputes_only_changed_agencies(session, world, monkeypatch):
    staff = world["users"]["staff"]
    ice = _sent(session, staff, "ICE", "dhs-ice", date(2026, 2, 2), [("acknowledged", date(2026, 2, 9))])
    _sent(session, staff, "LASD", "lasd", date(2026, 2, 2), [("acknowledged", date(2026, 2, 4))])
    session.commit()
    now = datetime(2026, 3, 16, 18, tzinfo=UTC)
    first = refresh_stats(session, today=TODAY, now=now)
    session.commit()
    assert first.full == first.scopes >= 3  # every scope computed once, in full
    assert session.scalar(select(func.count()).select_from(AgencyStatsChange)) == 0
    scope = stats_scope(staff)
    stored, _ = stored_responsiveness(session, scope)
    assert stored == agency_responsiveness(session, scope=scope, today=TODAY)
    # Nothing changed: nothing recomputed.
    calls: list[set[int]] = []  # per pass over the events, the agencies it measured
    real = stats_mod.measure_requests

    def spy(session, *, where, today):
        measured = real(session, where=where, today=today)
        calls.append({g[0] for g in (*measured.days, *measured.judged)})
        return measured

    monkeypatch.setattr(stats_mod, "measure_requests", spy)
    assert refresh_stats(session, today=TODAY, now=now).scopes == 0 and calls == []
    # A new event on the ICE request: only ICE is measured again (one pass for every scope), and the
    # stored figures equal a full computation.
    log_event(session, actor=staff, now=NOW, req=ice, kind="determination", occurred_on=date(2026, 2, 20))
    session.commit()
    result = refresh_stats(session, today=TODAY, now=now + timedelta(minutes=1))
    session.commit()
    assert result.full == 0 and result.scopes >= 3 and result.agencies == 1
    assert calls == [{ice.agency_id}]
    stored, when = stored_responsiveness(session, scope)
    assert stored == agency_responsiveness(session, scope=scope, today=TODAY) and when == now + timedelta(minutes=1)
    assert {s.slug for s in stored} == {"dhs-ice", "lasd"}  # the unchanged agency's figures kept
    # A new day recomputes every agency (a deadline may have passed), still in one pass.
    calls.clear()
    assert refresh_stats(session, today=TODAY + timedelta(days=1), now=now + timedelta(days=1)).full >= 3
    assert len(calls) == 1 and calls[0] >= {ice.agency_id}


def test_the_dashboard_reads_stored_statistics(session, world, login_as):
    staff = world["users"]["staff"]
    _sent(session, staff, "ICE", "dhs-ice", date(2026, 2, 2), [("acknowledged", date(2026, 2, 9))])
    session.commit()
    client = login_as("staff")
    body = client.get("/dashboard").get_data(as_text=True)
    assert "being computed" in body  # never computed inside a page view
    assert session.get(StatsSnapshot, scope_key(stats_scope(staff))) is None
    refresh_stats(session, today=TODAY, now=datetime(2026, 3, 16, 18, tzinfo=UTC))
    session.commit()
    body = client.get("/dashboard").get_data(as_text=True)
    assert "U.S. Immigration and Customs Enforcement" in body and "being computed" not in body


def test_stored_statistics_of_every_scope_follow_the_access_rule(session, world):
    """One pass serves every scope: each scope's stored figures equal that scope's own query (which
    reads only the requests scope_clause selects), so no organization's private requests leak."""
    users = world["users"]
    for who, vis, agency in (("outsider", "private", "dhs-ice"), ("outsider", "organization", "lasd"),
                             ("reporter", "private", "dhs-ice"), ("staff", "public", "lasd")):
        req = create_request(session, actor=users[who], now=NOW, data=RequestInput(
            title=f"{who} {vis}", records_sought="All records about the thing in question.",
            agency_slug=agency, visibility=vis))
        log_event(session, actor=users[who], now=NOW, req=req, kind="sent", occurred_on=date(2026, 2, 2))
        log_event(session, actor=users[who], now=NOW, req=req, kind="acknowledged",
                  occurred_on=date(2026, 2, 3 + len(who)))
    session.commit()
    refresh_stats(session, today=TODAY, now=datetime(2026, 3, 16, 18, tzinfo=UTC))
    session.commit()
    for name, user in users.items():
        scope = stats_scope(user)
        stored, _ = stored_responsiveness(session, scope)
        assert stored == agency_responsiveness(session, scope=scope, today=TODAY), name
    reporter_ice = {s.slug: s.responses for s in stored_responsiveness(session, stats_scope(users["reporter"]))[0]}
    assert "dhs-ice" not in reporter_ice  # the outsider's and the reporter's own private ICE requests are not shared


def test_concurrent_opposite_moves_keep_the_counts_and_do_not_deadlock(app, session, world):
    """Two connections move requests between the same two statuses in opposite directions, each change
    its own transaction, at the same time: on PostgreSQL both counter rows are locked in key order by the
    trigger (no deadlock); on SQLite writers queue on the database lock. The counts stay exact."""
    import threading

    from foia.extensions import db

    staff = world["users"]["staff"]
    reqs = [create_request(session, actor=staff, now=NOW, data=RequestInput(
        title=f"Race {i}", records_sought="All records about the thing in question.", agency_slug="dhs-ice",
        visibility="private")) for i in range(2)]
    session.execute(update(Request).where(Request.id == reqs[0].id).values(status="submitted"))
    session.execute(update(Request).where(Request.id == reqs[1].id).values(status="processing"))
    session.commit()
    ids = [r.id for r in reqs]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def flip(rid: int, first: str, second: str) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(40):
                    with db.engine.begin() as conn:
                        conn.execute(update(Request).where(Request.id == rid)
                                     .values(status=second if i % 2 == 0 else first))
        except BaseException as exc:  # surfaced below: a deadlock or a lost update fails the test
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(ids[0], "submitted", "processing")),
               threading.Thread(target=flip, args=(ids[1], "processing", "submitted"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    session.expire_all()
    _check(session)
