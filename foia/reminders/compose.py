"""What a reminder email says. Plain text and HTML from templates/mail/, rendered with a
standalone autoescaping Jinja environment (no Flask needed, so the scheduler can send)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from foia.clocks.service import request_calendar
from foia.core.access import followed_clause
from foia.core.clock import local_today
from foia.deadlines import Calendar, load_law
from foia.models import CLOSED_STATUSES, QUIET_STATUSES, REMINDER_RULES, Request, RequestClock, User
from foia.tasks.service import open_tasks_of

#: Working days ahead a digest looks, for statutory deadlines and internal task dates alike.
DIGEST_WORKING_DAYS = 5


@cache
def _env() -> Environment:
    """The mail templates' environment (templates/mail), made on first use: nothing is read at import."""
    return Environment(
        loader=FileSystemLoader(str(Path(__file__).resolve().parents[2] / "templates" / "mail")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(name: str) -> Template:
    return _env().get_template(name)  # Jinja caches each loaded template


@dataclass
class Content:
    subject: str
    text: str
    html: str


def _fmt(d: date) -> str:
    return d.strftime("%a %b %-d, %Y")


def _phrase(row_rule: str, left: int, unit: str) -> str:
    if left > 0:
        return f"due in {left} {unit}{'' if left == 1 else 's'}"
    if left == 0:
        return "due today"
    return f"overdue by {-left} {unit}{'' if left == -1 else 's'}"


def _why(rule: str, left: int) -> str:
    """Why the person gets this mail. A reminder sent after its day (a scheduler that was down) does not
    claim to be "1 working day before" on the due day: it says it comes late."""
    late = (rule in ("before_5", "before_1") and left <= 0) or (rule == "on_date" and left < 0)
    if late:
        return "late (the scheduler could not send it on its day)"
    return REMINDER_RULES.get(rule, rule)


@dataclass
class DueReminder:
    """One claimed reminder row with everything its email needs, loaded in one query per batch."""

    id: int
    request_id: int | None
    user_id: int
    clock_kind: str
    due: date
    rule: str
    seq: int
    attempts: int
    ref: str | None
    title: str | None
    tracking_number: str | None
    request_status: str | None
    law: str | None
    agency_slug: str | None
    agency_name: str | None
    clock_due: date | None
    clock_status: str | None
    clock_label: str | None
    user_email: str
    user_name: str
    user_timezone: str | None
    agency_id: int | None = None
    send_at: datetime | None = None


def compose(row: DueReminder, *, now: datetime, base_url: str,
            calendar_of: Callable[[str, int | None], Calendar]) -> tuple[Content | None, str]:
    """The email for one deadline reminder, or None and the reason not to send it."""
    if row.ref is None or row.request_status in CLOSED_STATUSES:
        return None, "The request was closed before the reminder was sent."
    if row.clock_due != row.due or row.clock_status != "open":
        return None, "The deadline changed before the reminder was sent."
    law = load_law(row.law).for_agency(row.agency_slug)
    cal = calendar_of(law.calendar, row.agency_id)  # with the closures, as the request page counts
    today = local_today(now, row.user_timezone)
    rule_def = law.clock(row.clock_kind)
    if rule_def is not None and rule_def.unit == "business_days":
        left, unit = cal.working_days_between(today, row.due), "working day"
    else:
        left, unit = (row.due - today).days, "day"
    link = f"{base_url.rstrip('/')}/requests/{row.ref}"
    ctx = {
        "user": {"name": row.user_name},
        "req": {"ref": row.ref, "title": row.title, "tracking_number": row.tracking_number,
                "agency": {"name": row.agency_name}},
        "label": row.clock_label, "due": _fmt(row.due),
        "citation": rule_def.citation if rule_def else law.citation, "phrase": _phrase(row.rule, left, unit),
        "why": _why(row.rule, left), "overdue": left < 0, "appeal": row.clock_kind == "appeal_filing",
        "link": link, "follow_up_link": f"{link}/letters/new?kind=follow-up",
        "appeal_link": f"{link}/letters/new?kind=appeal", "settings_link": f"{base_url.rstrip('/')}/settings",
    }
    subject = f"[{row.ref}] {row.clock_label}: {_fmt(row.due)} ({ctx['phrase']})"
    return Content(subject, _template("reminder.txt").render(ctx), _template("reminder.html").render(ctx)), ""


def compose_digest(session: Session, row: DueReminder, *, now: datetime, base_url: str) -> tuple[Content | None, str]:
    user = session.get(User, row.user_id)
    if user is None:  # deleted since the row was claimed (its reminders go with it)
        return None, "The person no longer exists."
    return _digest(session, row, user, now=now, base_url=base_url)


def _digest(session: Session, row: DueReminder, user: User, *, now: datetime, base_url: str) -> tuple[Content | None, str]:
    """Everything due in the next five working days (and anything overdue) on the requests this
    person filed or watches, and, apart and marked "Internal", their own open tasks due by then (issue 19)."""
    rows = session.execute(
        select(Request, RequestClock).join(RequestClock, RequestClock.request_id == Request.id)
        .options(joinedload(Request.agency))
        .where(followed_clause(user),
               RequestClock.status == "open", RequestClock.due.is_not(None))
        .order_by(RequestClock.due, Request.id)
    ).all()
    today = row.due
    base = base_url.rstrip('/')
    items = []
    for req, clock in rows:
        if req.is_closed or req.status in QUIET_STATUSES or clock.due is None:  # (the query leaves out undated clocks)
            continue
        left = request_calendar(session, req).working_days_between(today, clock.due)
        if left > DIGEST_WORKING_DAYS:
            continue
        law = load_law(req.law).for_agency(req.agency.slug)
        rule_def = law.clock(clock.kind)
        items.append({"req": req, "label": clock.label, "due": _fmt(clock.due),
                      "citation": rule_def.citation if rule_def else law.citation,
                      "phrase": _phrase("digest", left, "working day"),
                      "link": f"{base}/requests/{req.ref}", "overdue": left < 0})
    tasks = [{"ref": t.ref, "request_title": t.request_title, "title": t.title, "due": _fmt(t.due),
              "relative": t.relative, "overdue": t.due < today,
              "phrase": "internal date passed" if t.due < today else _phrase("digest", t.working_days, "working day"),
              "link": f"{base}/requests/{t.ref}#task-{t.id}"}
             for t in open_tasks_of(session, user, today=today, horizon=DIGEST_WORKING_DAYS)]
    if not items and not tasks:
        return None, "Nothing due in the next five working days."
    ctx = {"user": user, "items": items, "tasks": tasks, "day": _fmt(today), "settings_link": f"{base}/settings"}
    parts = []
    if items or not tasks:
        parts.append(f"{len(items)} deadline{'s' if len(items) != 1 else ''}")
    if tasks:
        parts.append(f"{len(tasks)} internal task date{'s' if len(tasks) != 1 else ''}")
    subject = f"FOIA Tracker digest for {_fmt(today)}: {', '.join(parts)}"
    return Content(subject, _template("digest.txt").render(ctx), _template("digest.html").render(ctx)), ""
