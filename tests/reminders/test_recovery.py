"""Recovery that does not wait, and failures that show (issue 17, review F7 and F8): the relay probed once per
sweep with backoff reset when it answers, short timeouts on a silent relay, permanent refusals marked failed and
mailed to administrators once, late reminders that say so, logs and a non-zero exit when sends fail."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from foia.mail import MailError, SMTPMailer
from foia.models import Reminder
from foia.reminders.dispatch import DispatchSettings, dispatch, mailer_for
from tests.reminders.conftest import Inbox, at, free_port, send_request
from tests.reminders.test_reminders import _ice, _many_due

DUE_AT = at(date(2026, 6, 23))


@pytest.fixture(autouse=True)
def _logger_enabled():
    """Alembic's fileConfig (run by the app fixture's upgrade) disables loggers that existed before it."""
    logger = logging.getLogger("foia.reminders")
    was, logger.disabled = logger.disabled, False
    yield
    logger.disabled = was


def _settings(**kw) -> DispatchSettings:
    return DispatchSettings(base_url="http://foia.test", sender="FOIA Tracker <reminders@foia.test>", **kw)


class Refusing(Inbox):
    """Accepts mail to administrators; refuses everyone else with `code`."""

    code: str = "554 5.7.1 Rejected by policy"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not address.startswith("admin@") and self.code:
            return self.code
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing():
    handler = Refusing()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    yield handler, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def blackhole():
    """A relay that accepts TCP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"smtp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    server.close()


def test_backoff_resets_when_the_relay_answers(world, session, smtp):
    """Rows waiting out a long backoff from an outage go in the first sweep once the relay answers."""
    assert _many_due(world, session, 5, date(2026, 6, 1)) == 5
    now = DUE_AT + timedelta(hours=2)
    session.execute(update(Reminder).where(Reminder.status == "pending", Reminder.send_at <= DUE_AT)
                    .values(attempts=6, next_attempt_at=now + timedelta(hours=3), last_error="connection refused"))
    session.commit()
    result = dispatch(session, now=now, mailer=SMTPMailer.from_url(smtp.url), settings=_settings())
    assert result.sent == 5 and result.ok and len(smtp.inbox.ids()) == 5


def test_silent_relay_stalls_a_sweep_only_for_one_timeout(app, world, session, blackhole, caplog):
    assert _many_due(world, session, 5, date(2026, 6, 1)) == 5
    session.commit()
    config = dict(app.config, FOIA_SMTP_URL=blackhole, FOIA_SMTP_TIMEOUT=0.5, FOIA_SMTP_CONNECT_TIMEOUT=0.5)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="foia.reminders"):
        result = dispatch(session, now=DUE_AT, mailer=mailer_for(config), settings=_settings())
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert result.sent == 0 and not result.ok and result.relay_error
    assert "did not answer" in caplog.text
    rows = list(session.scalars(select(Reminder).where(Reminder.send_at <= DUE_AT)))
    assert all(r.status == "pending" and r.attempts == 1 and r.next_attempt_at is None for r in rows)


def test_probe_raises_unreachable(blackhole):
    with pytest.raises(MailError) as err:
        SMTPMailer.from_url(blackhole, timeout=0.3, connect_timeout=0.3).probe()
    assert err.value.unreachable and not err.value.permanent


def test_permanent_refusal_is_marked_failed_and_mailed_to_admins_once(world, session, refusing, caplog, login_as):
    handler, url = refusing
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    mailer = SMTPMailer.from_url(url)
    with caplog.at_level(logging.ERROR, logger="foia.reminders"):
        result = dispatch(session, now=DUE_AT, mailer=mailer, settings=_settings())
    assert result.failed == 1 and result.sent == 0 and not result.ok
    assert "refused permanently" in caplog.text
    row = session.scalar(select(Reminder).where(Reminder.rule == "before_5"))
    session.refresh(row)
    assert row.status == "failed" and "554" in row.last_error
    to_admins = [m for m in handler.messages if "failed" in m["Subject"]]
    assert len(to_admins) == 1 and req.ref in to_admins[0].get_body(preferencelist=("plain",)).get_content()
    # Not retried, not mailed again.
    later = dispatch(session, now=DUE_AT + timedelta(days=1, minutes=5), mailer=mailer, settings=_settings())
    assert later.failed == 0
    assert len([m for m in handler.messages if "failed" in m["Subject"]]) == 1
    page = login_as("admin").get("/admin/reminders").get_data(as_text=True)
    assert "Rejected by policy" in page and req.ref in page


def test_temporary_refusal_is_retried_not_failed(world, session, refusing):
    handler, url = refusing
    handler.code = "451 4.3.0 Try again later"
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    mailer = SMTPMailer.from_url(url)
    result = dispatch(session, now=DUE_AT, mailer=mailer, settings=_settings())
    assert result.retrying == 1 and result.failed == 0 and not result.ok
    handler.code = ""
    # The relay answers the next sweep's probe: the backoff is reset and the reminder goes at once.
    again = dispatch(session, now=DUE_AT + timedelta(seconds=30), mailer=mailer, settings=_settings())
    assert again.sent == 1 and again.ok


def test_late_reminder_says_it_is_late(world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    row = session.scalar(select(Reminder).where(Reminder.rule == "before_5"))
    result = dispatch(session, now=row.send_at + timedelta(hours=3), mailer=SMTPMailer.from_url(smtp.url),
                      settings=_settings())
    assert result.sent == 1 and result.late == 1
    msg = smtp.inbox.messages[0]
    assert msg["Subject"].startswith("(Late) ")
    assert "This reminder is late" in msg.get_body(preferencelist=("plain",)).get_content()


def test_on_time_reminder_does_not_say_late(world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    row = session.scalar(select(Reminder).where(Reminder.rule == "before_5"))
    dispatch(session, now=row.send_at + timedelta(minutes=1), mailer=SMTPMailer.from_url(smtp.url), settings=_settings())
    assert "late" not in smtp.inbox.messages[0]["Subject"].lower()


def test_cli_dispatch_exits_non_zero_when_the_relay_is_down(ctx, cli, world, session):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    ctx.config.update(FOIA_SMTP_URL=f"smtp://127.0.0.1:{free_port()}", FOIA_SMTP_CONNECT_TIMEOUT=1)
    try:
        out = cli.invoke(args=["foia", "reminders", "dispatch", "--now", DUE_AT.isoformat()])
    finally:
        ctx.config.update(FOIA_SMTP_URL=None)
    assert out.exit_code == 1, out.output
    assert "Sent 0" in out.output and "not reachable" in out.output and "not sent" in out.output


def test_cli_dispatch_exits_zero_when_all_sent(ctx, cli, world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    ctx.config.update(FOIA_SMTP_URL=smtp.url)
    try:
        out = cli.invoke(args=["foia", "reminders", "dispatch", "--now", DUE_AT.isoformat()])
    finally:
        ctx.config.update(FOIA_SMTP_URL=None)
    assert out.exit_code == 0 and "Sent 1" in out.output


def test_cli_dispatch_in_real_time_records_the_sweep_for_healthz(ctx, cli, session):
    """A cron job running `reminders dispatch` (no --now) counts as the scheduler's sweep for /healthz; a
    catch-up run for another moment (--now) does not."""
    from foia.ops.heartbeat import last_sweep

    assert last_sweep(session) is None
    assert cli.invoke(args=["foia", "reminders", "dispatch", "--now", DUE_AT.isoformat()]).exit_code == 0
    session.expire_all()
    assert last_sweep(session) is None
    assert cli.invoke(args=["foia", "reminders", "dispatch"]).exit_code == 0
    session.expire_all()
    assert last_sweep(session) is not None
