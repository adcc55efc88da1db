"""Two communications logged on one request at the same moment (issue 17, review F4).

Each writer works in its own session, as two web workers do. Before the fix the second writer computed the status
from the request it had loaded before the first committed: an acknowledgment logged beside a denial left a denied
request shown as "Acknowledged". Now `log_communication` locks the request and re-reads it first, so the status
ends where the ledger says (`corrections.derive_status`), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.communications.corrections import derive_status
from foia.communications.service import log_communication
from foia.extensions import db
from foia.models import Communication, Request, RequestClock, User
from foia.requests.service import RequestInput, create_request, log_event, update_request
from tests.conftest import NOW

SENT = date(2026, 1, 5)


def _sent_requests(session, world, n: int) -> list[int]:
    staff = world["users"]["staff"]
    ids = []
    for i in range(n):
        req = create_request(session, actor=staff, now=NOW, data=RequestInput(
            title=f"race {i}", records_sought="All records about the thing in question.", agency_slug="dhs-ice"))
        log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=SENT,
                  occurred_at=datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
        update_request(session, actor=staff, now=NOW, req=req, status="submitted")  # as recording the letter does
        ids.append(req.id)
    session.commit()
    return ids


def _log(s: Session, req: Request, user: User, kind: str) -> None:
    log_communication(s, actor=user, now=NOW, req=req, direction="incoming", kind=kind, occurred_on=date(2026, 1, 12),
                      subject=f"{kind} from the agency")
    s.commit()


def _status(session, rid: int) -> tuple[str, str]:
    session.expire_all()
    req = session.get_one(Request, rid)
    return req.status, derive_status(session, req)


def test_a_denial_committed_while_an_acknowledgment_was_being_logged_stays_denied(world, session):
    """Forced interleaving: both writers load the request; the denial commits; then the acknowledgment, from
    what it loaded, is logged. It must apply to the denied request (and leave it denied)."""
    rid, = _sent_requests(session, world, 1)
    staff_id = world["users"]["staff"].id
    with Session(db.engine) as ack_s, Session(db.engine) as deny_s:
        ack_req = ack_s.get_one(Request, rid)
        assert ack_req.status == "submitted"  # loaded before the denial
        _log(deny_s, deny_s.get_one(Request, rid), deny_s.get_one(User, staff_id), "full_denial")
        _log(ack_s, ack_req, ack_s.get_one(User, staff_id), "acknowledgment")
    assert _status(session, rid) == ("denied", "denied")


def test_an_extension_committed_while_an_acknowledgment_was_being_logged_leaves_processing(world, session):
    rid, = _sent_requests(session, world, 1)
    staff_id = world["users"]["staff"].id
    with Session(db.engine) as ack_s, Session(db.engine) as ext_s:
        ack_req = ack_s.get_one(Request, rid)
        _log(ext_s, ext_s.get_one(Request, rid), ext_s.get_one(User, staff_id), "extension_notice")
        _log(ack_s, ack_req, ack_s.get_one(User, staff_id), "acknowledgment")
    assert _status(session, rid) == ("processing", "processing")
    # and the clocks the acknowledgment's writer stored are the ledger's (the extension is in them)
    req = session.get_one(Request, rid)
    from foia.clocks.service import compute_for

    fresh = {c.kind: c.due for c in compute_for(session, req)}
    cached = dict(session.execute(select(RequestClock.kind, RequestClock.due).where(RequestClock.request_id == rid)).all())
    assert cached == fresh


@pytest.mark.parametrize("second, expected", [("full_denial", "denied"), ("extension_notice", "processing")])
def test_simultaneous_pairs_end_where_the_ledger_says(world, session, second, expected):
    """Real threads, each with its own session and connection, released together by a barrier."""
    pairs = 6
    ids = _sent_requests(session, world, pairs)
    staff_id = world["users"]["staff"].id
    errors: list[BaseException] = []
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def writer(rid: int, kind: str, barrier: threading.Barrier) -> None:
        try:
            with app.app_context(), Session(db.engine) as s:
                req, user = s.get_one(Request, rid), s.get_one(User, staff_id)
                assert req.status == "submitted"
                barrier.wait(timeout=10)
                _log(s, req, user, kind)
        except BaseException as exc:  # reported below
            errors.append(exc)

    for rid in ids:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=writer, args=(rid, kind, barrier)) for kind in ("acknowledgment", second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    statuses = [_status(session, rid) for rid in ids]
    assert statuses == [(expected, expected)] * pairs
    assert session.scalar(select(Communication.id).where(Communication.request_id.in_(ids))
                          .order_by(Communication.id.desc()).limit(1)) is not None
    assert len(session.scalars(select(Communication.id).where(Communication.request_id.in_(ids))).all()) == 2 * pairs
