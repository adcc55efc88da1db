"""What each row of a request log will become, computed without writing anything: the agency it matched
(or the candidates to choose from), its dates, the ledger events the import will log, the deadlines the
engine computes from them (with their explanations) and the flags a person should see before importing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.communications.effects import EFFECTS
from foia.core.clock import local_today, zone
from foia.deadlines import law_slugs, load_law
from foia.imports.columns import FIELDS
from foia.imports.dates import UnreadableDate, parse_date
from foia.imports.matching import AgencyMatcher, Candidate, Match, normalise
from foia.imports.reading import Cell, Table
from foia.models import Agency, Event, Request, User
from foia.requests.notes import MAX_NOTE

#: Flag a row whose appeal window closes within this many days.
APPEAL_WARNING_DAYS = 14
MAX_TITLE, MAX_TRACKING, MAX_EXTERNAL_ID = 200, 100, 200

#: What a closed row's status says -> the communication the import logs on the date closed.
CLOSING_LABELS = {"final_release": "Records released", "partial_denial": "Partly denied",
                  "full_denial": "Denied", "no_records": "No records", "withdrawal": "Withdrawn"}


def closing_kind(status: str) -> str:
    s = normalise(status)
    if "withdr" in s or "cancel" in s:
        return "withdrawal"
    if "no record" in s or "no responsive" in s or "no documents" in s:
        return "no_records"
    if ("partial" in s or "partly" in s or "part" in s.split()) and ("den" in s or "withh" in s or "redact" in s):
        return "partial_denial"
    if "den" in s or "reject" in s or "refus" in s or "withh" in s:
        return "full_denial"
    return "final_release"


def _says_closed(status: str) -> bool:
    s = normalise(status)
    return any(w in s for w in ("closed", "complete", "released", "fulfilled", "denied", "withdr", "no record",
                                "granted", "done"))


def resolve_law(text: str, agency_law: str | None) -> str | None:
    """A law slug for what a spreadsheet calls the law: its slug (ca-cpra), its name, or a short name
    ("CPRA", "FOIA"); a short name several states share ("FOIA") is the agency's own law when that fits,
    else the federal one only for "FOIA" itself. None when nothing fits."""
    slugs = law_slugs()
    t = normalise(text).replace(" ", "-")
    if t in slugs:
        return t
    n = normalise(text)
    by_name = [s for s in slugs if normalise(load_law(s).name) == n]
    if len(by_name) == 1:
        return by_name[0]
    tails = [s for s in slugs if s.split("-", 1)[1] == t]
    if agency_law in tails:
        return agency_law
    if len(tails) == 1:
        return tails[0]
    if t in ("foia", "federal-foia", "5-usc-552"):
        return "us-foia"
    return None


@dataclass
class PlannedEvent:
    kind: str          # the ledger event kind (sent, acknowledged, closed, determination)
    label: str
    on: date
    detail: str = ""


@dataclass
class RowPlan:
    number: int                      # the row's number in the file
    values: dict[str, str]           # each mapped field's cell, as text (for the preview)
    title: str = ""
    records_sought: str = ""
    agency_text: str = ""
    match: Match | None = None
    agency: Candidate | None = None
    law: str | None = None
    date_sent: date | None = None
    date_acknowledged: date | None = None
    date_closed: date | None = None
    tracking_number: str = ""
    status_text: str = ""
    closing: str | None = None       # the communication kind logged on the date closed
    notes: str = ""
    external_id: str = ""
    events: list[PlannedEvent] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    duplicate_of: str | None = None  # the existing request's reference (or "row N" of this file)

    @property
    def state(self) -> str:
        """"invalid", "ask" (the agency is to be chosen), "duplicate" or "ready"."""
        if self.errors:
            return "invalid"
        if self.agency is None:
            return "ask"
        if self.duplicate_of:
            return "duplicate"
        return "ready"

    def problems(self) -> list[str]:
        out = list(self.errors)
        if self.state == "ask" and self.match is not None:
            names = "; ".join(f"{c.name} ({c.slug})" for c in self.match.candidates)
            out.append(f"The agency “{self.agency_text}” could be: {names}. Choose one (or write its short name).")
        return out


@dataclass
class Question:
    key: str
    text: str
    candidates: list[Candidate]
    rows: list[int]
    chosen: int | None = None


@dataclass
class Preview:
    rows: list[RowPlan]
    questions: list[Question]
    mapping: dict[str, int | None]
    headers: list[str]

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)

    @property
    def ready(self) -> list[RowPlan]:
        return [r for r in self.rows if r.state == "ready"]


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = "".join(ch if ch.isprintable() else " " for ch in str(cell))  # one line, no control characters
    return " ".join(text.split())


def build_preview(session: Session, *, actor: User, now: datetime, table: Table, mapping: dict[str, int | None],
                  choices: dict[str, int] | None = None, appeal_warning_days: int = APPEAL_WARNING_DAYS) -> Preview:
    """Plan every row (nothing is written). `choices`: the person's answers to the agency questions,
    normalised agency text -> agency id (only an id among that question's candidates counts)."""
    choices = choices or {}
    matcher = AgencyMatcher(session)
    today = local_today(now)
    plans: list[RowPlan] = []
    questions: dict[str, Question] = {}
    agencies: dict[int, Agency] = {}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        raw = {f: (cells[i] if i is not None and i < len(cells) else None) for f, i in mapping.items()}
        plan = RowPlan(number=number, values={f: _text(v) for f, v in raw.items() if mapping.get(f) is not None})
        _read_row(plan, raw, matcher, choices, questions, now)
        if plan.agency is not None:
            if plan.agency.id not in agencies:
                agencies[plan.agency.id] = session.get_one(Agency, plan.agency.id)
            agency = agencies[plan.agency.id]
            law_text = plan.values.get("law", "")
            plan.law = resolve_law(law_text, agency.law) if law_text else agency.law
            if plan.law is None:
                plan.errors.append(f"The law “{law_text}” is not one FOIA Tracker knows; write its short name "
                                   f"(e.g. us-foia, ca-cpra) or leave it empty for the agency's own law.")
            elif not plan.errors:
                _plan_events(plan)
                _plan_clocks(session, plan, agency, today, appeal_warning_days)
        plans.append(plan)
    _mark_duplicates(session, actor, plans)
    return Preview(rows=plans, questions=list(questions.values()), mapping=mapping, headers=table.headers)


def _read_row(plan: RowPlan, raw: dict[str, Cell], matcher: AgencyMatcher, choices: dict[str, int],
              questions: dict[str, Question], now: datetime) -> None:
    v = plan.values
    plan.title = v.get("title", "")
    if not plan.title:
        plan.errors.append("The title is empty.")
    elif len(plan.title) > MAX_TITLE:
        plan.errors.append(f"The title has {len(plan.title)} characters; keep it under {MAX_TITLE}.")
    plan.records_sought = str(raw.get("records_sought") or "").strip() or plan.title
    if plan.title and len(plan.records_sought) < 10:
        plan.errors.append("Describe the records sought (at least a sentence) in the title or description.")
    plan.agency_text = v.get("agency", "")
    if not plan.agency_text:
        plan.errors.append("The agency is empty.")
    else:
        plan.match = match = matcher.match(plan.agency_text)
        if match.status == "matched":
            plan.agency = match.agency
        elif match.status == "ask":
            key = normalise(plan.agency_text)
            q = questions.setdefault(key, Question(key, plan.agency_text, match.candidates, []))
            q.rows.append(plan.number)
            chosen = choices.get(key)
            picked = next((c for c in match.candidates if c.id == chosen), None)
            if picked is not None:
                q.chosen, plan.agency = picked.id, picked
        else:
            plan.errors.append(f"No agency in the directory matches “{plan.agency_text}”. Write its name as the "
                               f"directory has it, or suggest the agency to an administrator first.")
    limit = local_today(now) + timedelta(days=1)
    for f in ("date_sent", "date_acknowledged", "date_closed"):
        try:
            d = parse_date(raw.get(f))
        except UnreadableDate as exc:
            plan.errors.append(f"{FIELDS[f][0]}: {exc}")
            plan.flags.append("unreadable date")
            continue
        if d is not None and d > limit:
            plan.errors.append(f"{FIELDS[f][0]}: {d.isoformat()} is in the future.")
        elif d is not None and d.year < 1967:
            plan.errors.append(f"{FIELDS[f][0]}: {d.isoformat()} is before 1967 (the FOIA took effect).")
        else:
            setattr(plan, f, d)
    if plan.date_sent is None and not any(e.startswith(FIELDS["date_sent"][0]) for e in plan.errors):
        plan.errors.append("The date sent is empty: the deadlines count from it.")
    if plan.date_sent and plan.date_acknowledged and plan.date_acknowledged < plan.date_sent:
        plan.errors.append(f"Acknowledged ({plan.date_acknowledged}) before it was sent ({plan.date_sent}).")
    if plan.date_sent and plan.date_closed and plan.date_closed < plan.date_sent:
        plan.errors.append(f"Closed ({plan.date_closed}) before it was sent ({plan.date_sent}).")
    if plan.date_acknowledged and plan.date_closed and plan.date_closed < plan.date_acknowledged:
        plan.errors.append(f"Closed ({plan.date_closed}) before it was acknowledged ({plan.date_acknowledged}).")
    plan.tracking_number = v.get("tracking_number", "")
    if len(plan.tracking_number) > MAX_TRACKING or not plan.tracking_number.isprintable():
        plan.errors.append(f"The tracking number must be printable and under {MAX_TRACKING} characters.")
    plan.status_text = v.get("status", "")
    plan.closing = closing_kind(plan.status_text) if plan.date_closed else None
    if plan.date_closed is None and plan.status_text and _says_closed(plan.status_text):
        plan.flags.append(f"status “{plan.status_text}” but no date closed: imported as still open")
    plan.notes = str(raw.get("notes") or "").strip()
    if len(plan.notes) > MAX_NOTE:
        plan.errors.append(f"The notes have {len(plan.notes):,} characters; the limit is {MAX_NOTE:,}.")
    plan.external_id = v.get("external_id", "")
    if len(plan.external_id) > MAX_EXTERNAL_ID:
        plan.errors.append(f"The id has {len(plan.external_id)} characters; the limit is {MAX_EXTERNAL_ID}.")


def _plan_events(plan: RowPlan) -> None:
    assert plan.date_sent is not None
    plan.events.append(PlannedEvent("sent", "Sent to agency", plan.date_sent))
    if plan.date_acknowledged:
        plan.events.append(PlannedEvent("acknowledged", "Acknowledged", plan.date_acknowledged,
                                        f"tracking number {plan.tracking_number}" if plan.tracking_number else ""))
    if plan.date_closed and plan.closing:
        plan.events.append(PlannedEvent(EFFECTS[plan.closing].event, CLOSING_LABELS[plan.closing], plan.date_closed))


def sent_instant(on: date, timezone: str) -> datetime:
    """Noon on the day sent, agency time (as a letter marked sent): no edge-of-day surprises."""
    return datetime.combine(on, time(12, 0), tzinfo=zone(timezone))


def _plan_clocks(session: Session, plan: RowPlan, agency: Agency, today: date, warn_days: int) -> None:
    """Run the deadline engine on the events the row will log, as the request will have them."""
    events = [SimpleNamespace(id=None, kind=e.kind, occurred_on=e.on, data={}, voided_at=None,
                              occurred_at=sent_instant(e.on, agency.timezone) if e.kind == "sent" else None)
              for e in plan.events]
    req = cast(Request, SimpleNamespace(law=plan.law, agency=agency, agency_id=agency.id, expedited=False,
                                        fee_category="other"))
    clocks = compute_for(session, req, cast(list[Event], events))
    rows = clock_rows(clocks, today, request_calendar(session, req))
    plan.clocks = rows
    for row in rows:
        c = row["clock"]
        if c.status != "open" or c.due is None:
            continue
        if c.due < today:
            plan.flags.append(f"overdue: {c.label.lower()} was due {c.due.isoformat()}")
        elif c.kind == "appeal_filing" and (c.due - today).days <= warn_days:
            plan.flags.append(f"appeal window closing: {c.due.isoformat()} ({(c.due - today).days} days)")


def _mark_duplicates(session: Session, actor: User, plans: list[RowPlan]) -> None:
    """A row is a duplicate of a request of the same organization with its id, or with the same agency,
    title and date sent, or of an earlier row of the file."""
    ext_ids = sorted({p.external_id for p in plans if p.external_id})
    by_ext: dict[str, str] = {}
    by_key: dict[tuple[int, str, date], str] = {}
    live = (Request.organization_id == actor.organization_id, Request.deleted_at.is_(None))
    for start in range(0, len(ext_ids), 500):
        for ref, ext in session.execute(select(Request.ref, Request.external_id)
                                        .where(*live, Request.external_id.in_(ext_ids[start:start + 500]))):
            if ext:
                by_ext.setdefault(ext, ref)
    # Same agency and date sent, then the title compared in Python (casefold: SQLite's lower() is ASCII only).
    agency_ids = sorted({p.agency.id for p in plans if p.agency is not None and p.date_sent})
    dates = sorted({p.date_sent for p in plans if p.agency is not None and p.date_sent})
    for start in range(0, len(agency_ids), 200):
        for day_start in range(0, len(dates), 400):
            stmt = (select(Request.ref, Request.agency_id, Request.title, Event.occurred_on)
                    .join(Event, and_(Event.request_id == Request.id, Event.kind == "sent", Event.voided_at.is_(None)))
                    .where(*live, Request.agency_id.in_(agency_ids[start:start + 200]),
                           Event.occurred_on.in_(dates[day_start:day_start + 400])))
            for ref, agency_id, title, sent_on in session.execute(stmt):
                by_key.setdefault((agency_id, title.casefold(), sent_on), ref)
    seen_ext: dict[str, int] = {}
    seen_key: dict[tuple[int, str, date], int] = defaultdict(int)
    for p in plans:
        if p.errors or p.agency is None:
            continue
        key = (p.agency.id, p.title.casefold(), p.date_sent) if p.date_sent else None
        if p.external_id and p.external_id in by_ext:
            p.duplicate_of = by_ext[p.external_id]
        elif key and key in by_key:
            p.duplicate_of = by_key[key]
        elif p.external_id and p.external_id in seen_ext:
            p.duplicate_of = f"row {seen_ext[p.external_id]}"
        elif key and seen_key[key]:
            p.duplicate_of = f"row {seen_key[key]}"
        if p.duplicate_of:
            p.flags.append(f"duplicate of {p.duplicate_of}")
            continue
        if p.external_id:
            seen_ext[p.external_id] = p.number
        if key:
            seen_key[key] = p.number
