"""iCalendar feeds of open deadlines, one per person (secret URL) and one per organization for staff.

Every open clock with a date becomes an all-day event with a reminder alarm the day before.
The feed is built from the cached clocks (request_clocks), so it is one query however many
requests there are. Open tasks with a date (issue 19) are events too, apart from the statutory ones: summary
"Internal: ...", a description saying it is an internal date and not a statutory deadline, category INTERNAL."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import followed_clause, visible_clause
from foia.models import CLOSED_STATUSES, Agency, Request, RequestClock, User
from foia.tasks.service import feed_tasks


def new_token() -> str:
    return secrets.token_urlsafe(32)


def user_for_token(session: Session, token: str | None) -> User | None:
    if not token or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active:
        return None
    # Constant-time confirmation of the match found by the index.
    return user if secrets.compare_digest(user.calendar_token or "", token) else None


def feed_rows(session: Session, user: User, scope: str):
    stmt = (select(Request.ref, Request.title, Agency.name, RequestClock.kind, RequestClock.label, RequestClock.due)
            .join(RequestClock, RequestClock.request_id == Request.id)
            .join(Agency, Agency.id == Request.agency_id)
            .where(RequestClock.status == "open", RequestClock.due.is_not(None),
                   Request.status.not_in(CLOSED_STATUSES)))
    if scope == "organization":
        stmt = stmt.where(visible_clause(user))
    else:
        stmt = stmt.where(followed_clause(user))
    return session.execute(stmt.order_by(RequestClock.due, Request.ref)).all()


def build_feed(session: Session, user: User, *, scope: str, base_url: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//FOIA Tracker//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = "FOIA deadlines" if scope == "mine" else f"FOIA deadlines — {user.organization.name}"
    cal.add("x-wr-calname", name)
    for ref, title, agency, kind, label, due in feed_rows(session, user, scope):
        ev = Event()
        ev.add("uid", f"{ref}-{kind}@foia-tracker")
        ev.add("dtstamp", now)
        ev.add("dtstart", due)
        ev.add("dtend", due + timedelta(days=1))
        ev.add("summary", f"{ref}: {label}")
        ev.add("description", f"{title}\nAgency: {agency}\n{base_url.rstrip('/')}/requests/{ref}")
        ev.add("url", f"{base_url.rstrip('/')}/requests/{ref}")
        ev.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{ref}: {label} tomorrow")
        alarm.add("trigger", timedelta(hours=-15))  # 9:00 the day before
        ev.add_component(alarm)
        cal.add_component(ev)
    for task, req in feed_tasks(session, user, scope):
        if task.due is None:  # (the query leaves out undated tasks)
            continue
        link = f"{base_url.rstrip('/')}/requests/{req.ref}#task-{task.id}"
        ev = Event()
        ev.add("uid", f"{req.ref}-task-{task.id}@foia-tracker")
        ev.add("dtstamp", now)
        ev.add("dtstart", task.due)
        ev.add("dtend", task.due + timedelta(days=1))
        ev.add("summary", f"Internal: {req.ref}: {task.title}")
        ev.add("description", f"Internal date set by your organization for a task; not a statutory deadline.\n"
                              f"{req.title}\n{link}")
        ev.add("categories", ["INTERNAL"])
        ev.add("url", link)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
