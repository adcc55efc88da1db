from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import func, select

from foia.mail import OutboxMailer
from foia.models import AuditLog, Reminder, User, Watcher
from foia.reminders.dispatch import DispatchSettings, dispatch_due
from tests.conftest import csrf_token
from tests.reminders.conftest import at, send_request, sweep

ROOT = Path(__file__).resolve().parents[2]


def test_settings_save_preferences_and_replan(login_as, world, session):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    send_request(session, req, world["users"]["staff"], date(2026, 6, 1))
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "pending")) > 0
    token = csrf_token(client, "/settings")
    resp = client.post("/settings", data={"csrf_token": token, "mode": "digest", "timezone": "America/New_York",
                                          "kind_upcoming": "1", "kind_due": "1"})
    assert resp.status_code == 302
    clerk = session.get(User, world["users"]["staff"].id)
    session.refresh(clerk)
    assert clerk.reminder_mode == "digest" and clerk.timezone == "America/New_York"
    assert sorted(clerk.reminders_off) == ["appeal", "overdue"]
    # digest mode: no more immediate rows for this person
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "pending")) == 0
    assert session.scalar(select(AuditLog).where(AuditLog.action == "preferences")) is not None


def test_settings_reject_bad_input(login_as, world, session):
    client = login_as("staff")
    token = csrf_token(client, "/settings")
    resp = client.post("/settings", data={"csrf_token": token, "mode": "sometimes", "timezone": "Mars/Olympus"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Choose immediate emails or a daily digest." in body and "Choose a time zone from the list" in body
    assert session.get(User, world["users"]["staff"].id).reminder_mode == "immediate"
    assert client.post("/settings", data={"mode": "digest", "timezone": "America/New_York"}).status_code == 400


def _feed_urls(client) -> dict[str, str]:
    token = csrf_token(client, "/settings")
    assert client.post("/settings/calendar-token", data={"csrf_token": token}).status_code == 302
    body = client.get("/settings").get_data(as_text=True)
    return dict(re.findall(r'id="feed-(mine|org)" type="text" readonly value="([^"]+)"', body))


def test_calendar_feed_is_valid_icalendar_with_alarms(login_as, world, session):
    staff = world["users"]["staff"]
    send_request(session, world["requests"][("staff", "private")], staff, date(2026, 6, 1))
    send_request(session, world["requests"][("reporter", "public")], world["users"]["reporter"], date(2026, 6, 1))
    client = login_as("staff")
    urls = _feed_urls(client)
    assert set(urls) == {"mine", "org"}
    path = urls["mine"].replace("http://127.0.0.1:5000", "")
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    events = list(cal.walk("VEVENT"))
    ref = world["requests"][("staff", "private")].ref
    assert [str(e["SUMMARY"]) for e in events] == [f"{ref}: Determination due"]
    assert events[0].decoded("DTSTART") == date(2026, 6, 30)  # an all-day event
    assert [a["ACTION"] for a in events[0].walk("VALARM")] == ["DISPLAY"]
    # the organization feed covers every request the staff member can see, including public ones
    org = Calendar.from_ical(client.get(urls["org"].replace("http://127.0.0.1:5000", "")).data)
    assert len(list(org.walk("VEVENT"))) == 2


def test_feed_tokens_are_secret_and_regenerable(login_as, client, world, session):
    staff_client = login_as("staff")
    old = _feed_urls(staff_client)["mine"].replace("http://127.0.0.1:5000", "")
    assert client.get(old).status_code == 200
    new = _feed_urls(staff_client)["mine"].replace("http://127.0.0.1:5000", "")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get("/feeds/mine.ics?token=guess").status_code == 404
    assert client.get("/feeds/mine.ics").status_code == 404


def test_reporters_have_no_organization_feed(login_as, world):
    client = login_as("reporter")
    urls = _feed_urls(client)
    assert set(urls) == {"mine"}
    token = urls["mine"].split("token=")[1]
    assert client.get(f"/feeds/organization.ics?token={token}").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_feed_token_never_reaches_the_logs(app, world, session, tmp_path, caplog):
    """Serve the app with the project's gunicorn config, fetch a feed, and read the access log."""
    from foia.accounts.service import regenerate_calendar_token
    from tests.conftest import NOW

    token = regenerate_calendar_token(session, actor=world["users"]["staff"], now=NOW)
    session.commit()
    port = _free_port()
    log_file = tmp_path / "access.log"
    env = dict(os.environ, FOIA_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], FOIA_SECRET_KEY="t",
               PORT=str(port), WEB_CONCURRENCY="1", FOIA_ACCESS_LOG=str(log_file))
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/mine.ics?token={token}", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        assert body.startswith(b"BEGIN:VCALENDAR")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    logged = log_file.read_text() + out.decode()
    assert "/feeds/mine.ics" in logged  # the request was logged...
    assert token not in logged          # ...without its secret
    with caplog.at_level(logging.DEBUG):
        app.test_client().get(f"/feeds/mine.ics?token={token}")
    assert token not in caplog.text


def test_watchers_can_be_added_and_get_reminders(login_as, world, session):
    req = world["requests"][("staff", "private")]
    send_request(session, req, world["users"]["staff"], date(2026, 6, 1))
    client = login_as("staff")
    admin = world["users"]["admin"]
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/watchers", data={"csrf_token": token, "user_id": admin.id}).status_code == 302
    assert session.scalar(select(Watcher).where(Watcher.request_id == req.id)).user_id == admin.id
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.user_id == admin.id)) > 0
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Admin (admin@lacity.example)" in page
    # someone from another organization cannot be added
    outsider = world["users"]["outsider"]
    resp = client.post(f"/requests/{req.ref}/watchers", data={"csrf_token": token, "user_id": outsider.id})
    assert resp.status_code == 303
    assert "Only people in the request" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert client.post(f"/requests/{req.ref}/watchers", data={"user_id": admin.id}).status_code == 400  # no CSRF
    resp = client.post(f"/requests/{req.ref}/watchers/{admin.id}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    assert session.scalar(select(func.count(Watcher.id))) == 0
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.user_id == admin.id,
                                                                 Reminder.status == "pending")) == 0


def test_watcher_routes_check_access(login_as, world):
    ref = world["requests"][("staff", "public")].ref
    client = login_as("reporter")  # can read a public request, cannot change it
    token = csrf_token(client, f"/requests/{ref}")
    assert client.post(f"/requests/{ref}/watchers", data={"csrf_token": token, "user_id": 1}).status_code == 403
    private = world["requests"][("staff", "private")].ref
    assert client.post(f"/requests/{private}/watchers", data={"csrf_token": token, "user_id": 1}).status_code == 404


def test_admin_reminders_page_shows_failures(login_as, world, session, smtp):
    req = world["requests"][("staff", "private")]
    send_request(session, req, world["users"]["staff"], date(2026, 6, 1))
    smtp.stop()
    sweep(session, smtp, at(date(2026, 6, 23)))
    body = login_as("admin").get("/admin/reminders").get_data(as_text=True)
    assert "could not send mail via 127.0.0.1" in body and req.ref in body


def test_admin_pages_are_admin_only(login_as):
    client = login_as("staff")
    for path in ("/admin/reminders", "/admin/outbox", "/admin/outbox/x.eml"):
        assert client.get(path).status_code == 403


def test_outbox_page_shows_mail_as_text_never_html(ctx, login_as, world, session):
    req = world["requests"][("staff", "private")]
    send_request(session, req, world["users"]["staff"], date(2026, 6, 1))
    dispatch_due(session, now=at(date(2026, 6, 23)), mailer=OutboxMailer(ctx.config["FOIA_OUTBOX_DIR"]),
                 settings=DispatchSettings())
    client = login_as("admin")
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert req.ref in listing
    link = re.search(r'href="(/admin/outbox/[^"]+\.eml)"', listing).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Determination due" in page and "&lt;!doctype html&gt;" in page and "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Determination" not in page
    assert client.get("/admin/outbox/..%2f..%2fetc%2fpasswd").status_code == 404


def test_cli_reminders_dispatch_and_list(cli, world, session, ctx):
    req = world["requests"][("staff", "private")]
    send_request(session, req, world["users"]["staff"], date(2026, 6, 1))
    result = cli.invoke(args=["foia", "reminders", "dispatch", "--now", "2026-06-23T09:00:00-07:00"])
    assert result.exit_code == 0 and "Sent 1 reminder(s)." in result.output
    assert len(list(Path(ctx.config["FOIA_OUTBOX_DIR"]).glob("*.eml"))) == 1
    rows = json.loads(cli.invoke(args=["foia", "reminders", "list", "--json"]).output)
    assert {r["status"] for r in rows} == {"sent", "pending"}
    sent = [r for r in rows if r["status"] == "sent"]
    assert sent[0]["ref"] == req.ref and sent[0]["rule"] == "before_5" and sent[0]["message_id"].startswith("<")
    assert cli.invoke(args=["foia", "reminders", "dispatch", "--now", "yesterday"]).exit_code == 2
