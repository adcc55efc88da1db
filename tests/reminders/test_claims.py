"""Claims that cannot be stolen (issue 17, review F1 and F2): leases on the database's clock, renewed while
sending, marks only with the claim token held, and `--now` deciding only what is due."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update

from foia.extensions import db
from foia.mail import SMTPMailer
from foia.models import Reminder
from foia.reminders.dispatch import DispatchSettings, _claim, _mark, db_now, dispatch
from tests.reminders.conftest import at
from tests.reminders.test_reminders import _many_due

DUE_AT = at(date(2026, 6, 23))


def _settings(**kw) -> DispatchSettings:
    return DispatchSettings(base_url="http://foia.test", sender="FOIA Tracker <reminders@foia.test>", **kw)


def _mailer(smtp) -> SMTPMailer:
    return SMTPMailer.from_url(smtp.url, timeout=10, connect_timeout=5)


def _count(session, status: str) -> int:
    return session.scalar(select(func.count(Reminder.id)).where(Reminder.status == status)) or 0


def test_database_clock_is_the_real_time_not_the_process_or_now(session):
    """The lease clock is the database's: close to real time whatever `now` a dispatcher is given."""
    value = session.scalar(select(db_now(session)))
    if isinstance(value, str):  # SQLite: the same text form SQLAlchemy stores
        value = datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    assert abs((value - datetime.now(UTC)).total_seconds()) < 5


def test_dispatcher_two_hours_ahead_does_not_take_over_live_claims(world, session, smtp):
    """F2: a `reminders dispatch --now +2h` catch-up (or a host whose clock is 2 h ahead) while another
    process holds claims: the held rows are not sent again."""
    assert _many_due(world, session, 6, date(2026, 6, 1)) == 6
    session.commit()
    token = _claim(session, DUE_AT, _settings(batch=6))  # another process claimed them and is sending
    assert token is not None and _count(session, "sending") == 6
    result = dispatch(session, now=DUE_AT + timedelta(hours=2), mailer=_mailer(smtp), settings=_settings())
    assert result.sent == 0 and smtp.inbox.ids() == []
    assert _count(session, "sending") == 6


def test_dispatcher_behind_cannot_make_others_claims_look_expired(world, session, smtp):
    """A dispatcher 30 min behind claims rows; one on the right clock must still see the claims as live."""
    assert _many_due(world, session, 4, date(2026, 6, 1)) == 4
    session.commit()
    behind = _claim(session, DUE_AT + timedelta(days=1), _settings(batch=4))
    assert behind is not None
    result = dispatch(session, now=DUE_AT + timedelta(days=1, minutes=30), mailer=_mailer(smtp), settings=_settings())
    assert result.sent == 0 and _count(session, "sending") == 4


def test_lapsed_claim_is_taken_over_by_database_time(world, session, smtp):
    """A process killed mid-sweep: its claims lapse after the lease on the database's clock and are sent once."""
    assert _many_due(world, session, 3, date(2026, 6, 1)) == 3
    session.commit()
    assert _claim(session, DUE_AT, _settings(batch=3)) is not None
    session.execute(update(Reminder).where(Reminder.status == "sending")
                    .values(claimed_at=datetime.now(UTC) - timedelta(seconds=400)))
    session.commit()
    result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(lease_seconds=300))
    ids = smtp.inbox.ids()
    assert result.sent == 3 and len(ids) == len(set(ids)) == 3 and _count(session, "sent") == 3


def test_mark_needs_the_claim_token_held(world, session):
    assert _many_due(world, session, 1, date(2026, 6, 1)) == 1
    session.commit()
    mine = _claim(session, DUE_AT, _settings(batch=1))
    row_id = session.scalar(select(Reminder.id).where(Reminder.claim_token == mine))
    session.execute(update(Reminder).where(Reminder.id == row_id).values(claim_token="someone-else"))
    session.commit()
    assert _mark(session, row_id, mine, status="sent", claim_token=None) is False
    row = session.get(Reminder, row_id)
    session.refresh(row)
    assert row.status == "sending" and row.claim_token == "someone-else"
    assert _mark(session, row_id, "someone-else", status="sent", claim_token=None) is True


def test_slow_relay_two_dispatchers_no_duplicates(app, world, session, smtp):
    """F1 in small: a relay far slower than lease / batch. Dispatcher A sends slowly; B keeps sweeping with a
    clock that has passed A's lease. Claims renewed before each send on the database's clock: 0 duplicates."""
    n = _many_due(world, session, 12, date(2026, 6, 1))
    assert n == 12
    session.commit()
    session.close()
    smtp.inbox.delay = 0.35  # per message; the lease below is 1 s, a batch of 6 takes ~2 s
    results: list[int] = []
    done = threading.Event()

    def a():
        with app.app_context():
            results.append(dispatch(db.session, now=DUE_AT, mailer=_mailer(smtp),
                                    settings=_settings(lease_seconds=1, batch=6)).sent)
            db.session.remove()
        done.set()

    def b():
        time.sleep(0.2)
        with app.app_context():
            step = 0
            while not done.is_set():
                step += 1
                later = DUE_AT + timedelta(seconds=30 * step)  # its clock runs ahead of A's lease
                results.append(dispatch(db.session, now=later, mailer=_mailer(smtp),
                                        settings=_settings(lease_seconds=1, batch=6)).sent)
                db.session.remove()
                time.sleep(0.1)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ids = smtp.inbox.ids()
    dup = {k: v for k, v in Counter(ids).items() if v > 1}
    assert not dup, dup
    assert len(ids) == 12 and sum(results) == 12
    assert _count(session, "sent") == 12
