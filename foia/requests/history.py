"""A request's History: every audit row filed under it (AuditLog.request_id), oldest first, as rows a person
can read: when (local time), who ("System" when no one), what ("Logged an extension notice", "Voided the
extension notice of Dec 1, 2026: typed the wrong date"...), and the before and after of each changed field with
human names and values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from foia.core.clock import zone
from foia.models import (
    COMMUNICATION_KINDS,
    EVENT_KINDS,
    FEE_CATEGORIES,
    LETTER_KIND_LABELS,
    SEND_METHODS,
    STATUSES,
    VISIBILITIES,
    Agency,
    AuditLog,
    Communication,
    Document,
    Event,
    LetterVersion,
    Request,
    User,
)

FIELD_LABELS = {
    "title": "Title", "records_sought": "Records sought", "records_from": "Records from", "records_to": "Records to",
    "agency_id": "Agency", "agency": "Agency", "law": "Law", "status": "Status", "fee_category": "Fee category",
    "fee_ceiling": "Will pay up to", "fee_waiver": "Fee waiver", "fee_waiver_justification": "Fee waiver justification",
    "expedited": "Expedited processing", "expedited_justification": "Expedited processing justification",
    "preferred_format": "Preferred format", "visibility": "Who can see it", "tracking_number": "Agency tracking number",
    "sent_at": "Sent", "sent_method": "Sent by", "kind": "Kind", "occurred_on": "Date", "custom": "Letter text",
    "response": "Response due", "expedited_decision": "Expedited-processing decision due",
    "appeal_filing": "Appeal must be filed by", "appeal_decision": "Appeal decision due",
    "estimated_completion": "Agency's estimated completion", "voided_at": "Voided", "removed_at": "Removed",
    "deleted_at": "Deleted", "review_status": "Review", "watcher": "Watcher", "name": "Name",
    # team (foia.team): assignee and tags; tasks (foia.tasks): internal dates, never statutory ones
    "assignee": "Assignee", "tag": "Tag",
    "internal_date": "Internal date", "internal_date_rule": "Internal date set",
    "done_at": "Done", "done_by": "Done by",
}
# Keys of an audit row that are bookkeeping, not something a person changed.
_SKIP = {"event_id", "voided_events", "voided_event", "request", "request_id", "data", "exemptions",
         "clock_labels", "reason", "replaced_by", "pdf_sha256", "sha256", "suggested_kind", "headers", "version",
         "method_was", "filename", "size", "mime", "pages", "text_status", "communication_id", "subject",
         "direction", "notes"}
#: Audit rows of a request's internal work (issue 19), shown only inside its organization (`history_for`).
INTERNAL_ENTITIES = ("internal_notes", "clauses", "tasks")
INTERNAL_REQUEST_ACTIONS = ("assign", "tag", "untag")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class HistoryRow:
    at: datetime            # in local time
    who: str
    what: str
    changes: list[Change] = field(default_factory=list)
    action: str = ""
    entity: str = ""

    @property
    def when(self) -> str:
        return self.at.strftime("%b %-d, %Y %-I:%M %p")


def _day(value: Any) -> str:
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%b %-d, %Y")
    return str(value or "")


def _with_article(label: str) -> str:
    word = label.lower()
    return ("an " if word[:1] in "aeiou" else "a ") + word


class _Formatter:
    def __init__(self, session: Session, tz: str | None):
        self.session = session
        self.tz = zone(tz)
        self._agencies: dict[int, str] | None = None

    def agency(self, agency_id: Any) -> str:
        if self._agencies is None:
            self._agencies = dict(self.session.execute(select(Agency.id, Agency.name)).all())
        return self._agencies.get(agency_id, str(agency_id)) if isinstance(agency_id, int) else str(agency_id)

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return "Requested" if key in ("fee_waiver", "expedited") and value else ("Yes" if value else "No")
        if key == "agency_id":
            return self.agency(value)
        if key == "status":
            return STATUSES.get(value, str(value))
        if key == "kind":
            return COMMUNICATION_KINDS.get(value) or EVENT_KINDS.get(value) or LETTER_KIND_LABELS.get(value, str(value))
        if key == "visibility":
            return VISIBILITIES.get(value, str(value))
        if key == "fee_category":
            return FEE_CATEGORIES.get(value, str(value))
        if key == "sent_method":
            return SEND_METHODS.get(value, str(value))
        if key == "law":
            return str(value).upper()
        if key == "fee_ceiling":
            return f"${value}"
        if isinstance(value, str) and _ISO_DATETIME.match(value):
            try:
                return datetime.fromisoformat(value).astimezone(self.tz).strftime("%b %-d, %Y %-I:%M %p")
            except ValueError:
                return value
        if isinstance(value, str) and _ISO_DATE.match(value):
            return _day(value)
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items() if v) or "—"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "—"
        text = str(value)
        return text if len(text) <= 300 else text[:300] + "…"

    def changes(self, row: AuditLog) -> list[Change]:
        before, after = row.before or {}, row.after or {}
        if row.before is None:
            return []
        labels = dict(FIELD_LABELS, **(after.get("clock_labels") or {}))
        out = []
        for key in [*before, *(k for k in after if k not in before)]:
            if key in _SKIP or key not in before or key not in after or before[key] == after[key]:
                continue
            out.append(Change(labels.get(key, key.replace("_", " ").capitalize()),
                              self.value(key, before[key]), self.value(key, after[key])))
        return out


def _letter_name(v: LetterVersion | None, after: dict[str, Any]) -> str:
    if v is not None:
        return f"the {v.kind_label.lower()} v{v.version}"
    kind = str(after.get("kind") or "")
    return f"the {LETTER_KIND_LABELS.get(kind, 'letter').lower()}" + (f" v{after['version']}" if "version" in after else "")


def _what(row: AuditLog, related: dict[tuple[str, str], Any]) -> str:
    a, b = row.after or {}, row.before or {}
    et, action = row.entity_type, row.action
    thing = related.get((et, row.entity_id))
    if et == "requests":
        if action == "create":
            return "Created the request"
        if action == "delete":
            return "Deleted the draft request"
        if action == "recompute":
            return f"Deadlines recomputed: {a.get('reason') or 'the calendar changed'}"
        if action == "watch":
            return f"Added {a.get('watcher', 'a watcher')} as a watcher"
        if action == "unwatch":
            return f"Removed {b.get('watcher', 'a watcher')} as a watcher"
        if action == "assign":  # team work (issue 19)
            return f"Assigned to {a['assignee']}" if a.get("assignee") else "Removed the assignee"
        if action == "tag":
            return f"Tagged \u201c{a.get('tag', '')}\u201d"
        if action == "untag":
            return f"Removed the tag \u201c{b.get('tag', '')}\u201d"
        if action.startswith("event:"):
            kind = action.split(":", 1)[1]
            return f"Ledger: {EVENT_KINDS.get(kind, kind)} ({_day(a.get('occurred_on'))})"
        if action == "update":
            keys = set(a)
            if keys == {"status"}:
                return "Status changed"
            if keys == {"sent_at"}:
                return "Sent date changed"
            if keys == {"visibility"}:
                return "Changed who can see it"
            if keys == {"tracking_number"}:
                return "Recorded the agency's tracking number"
            return "Changed the details"
    if et == "communications":
        kind = str(a.get("kind") or (thing.kind if thing is not None else ""))
        label = COMMUNICATION_KINDS.get(kind, kind or "communication")
        on = _day(a.get("occurred_on") or (thing.occurred_on.isoformat() if thing is not None else ""))
        if action == "create":
            return f"Logged {_with_article(label)} of {on}"
        if action == "classify":
            return f"Classified a reply as {_with_article(label)}"
        if action == "void":
            return f"Voided the {label.lower()} of {on}: {a.get('reason', '')}"
        if action == "correct":
            old = COMMUNICATION_KINDS.get(b.get("kind", ""), b.get("kind", ""))
            return (f"Corrected the {old.lower()} of {_day(b.get('occurred_on'))} to {_with_article(label)} of "
                    f"{on}: {a.get('reason', '')}")
    if et == "events" and action == "void":
        kind = a.get("kind", "")
        return f"Voided the ledger entry \u201c{EVENT_KINDS.get(kind, kind)}\u201d of {_day(a.get('occurred_on'))}: " \
               f"{a.get('reason', '')}"
    if et == "documents":
        name = a.get("filename") or (thing.filename if thing is not None else "a document")
        if action == "document:add":
            return f"Uploaded document {name}"
        if action == "remove":
            return f"Removed document {name}: {a.get('reason', '')}"
    if et == "letter_versions":
        name = _letter_name(thing, a)
        return {"create": f"Drafted {name}", "update": f"Revised the draft of {name}",
                "finalize": f"Finalized {name}", "sent": f"Recorded {name} as sent",
                "undo_sent": f"Undid \u201crecorded as sent\u201d on {name}"}.get(action, f"{action} {name}")
    if et == "deliveries":
        to = a.get("to_addr") or b.get("to_addr") or ""
        return {"create": f"Emailing a letter to {to}", "sent": f"The mail server accepted the letter emailed to {to}",
                "send_failed": f"Emailing the letter to {to} failed", "retry": f"Retried emailing the letter to {to}",
                "bounce": f"The letter emailed to {to} bounced"}.get(action, f"Email: {action}")
    if et == "clauses" and action == "use":
        return f"Inserted the clause \u201c{a.get('title', '')}\u201d into a letter draft"
    if et == "internal_notes":
        return {"note:add": "Added an internal note", "note:remove": "Removed an internal note",
                "create": "Added an internal note", "remove": "Removed an internal note"}.get(action, f"Note: {action}")
    if et == "tasks":
        title = a.get("title") or b.get("title") or "a task"
        return {"task:add": f"Added the task \u201c{title}\u201d", "task:done": f"Marked the task \u201c{title}\u201d done",
                "task:reopen": f"Reopened the task \u201c{title}\u201d",
                "task:delete": f"Deleted the task \u201c{title}\u201d"}.get(action, f"Task: {action}")
    return f"{action.replace('_', ' ').capitalize()} ({et.replace('_', ' ')})"


def history_for(session: Session, req: Request, *, tz: str | None = None, internal: bool = False) -> list[HistoryRow]:
    """The request's History, oldest first (see the module docstring). `tz`: the zone times are shown in (the
    installation's by default). `internal`: include the rows of the organization's internal work (notes, clauses
    inserted from its library, tasks, the assignee and tags), only for people of the request's organization
    (`foia.core.access.can_see_internal`); never in the evidence bundle."""
    query = select(AuditLog).where(AuditLog.request_id == req.id)
    if not internal:
        query = query.where(AuditLog.entity_type.not_in(INTERNAL_ENTITIES),
                            ~and_(AuditLog.entity_type == "requests", AuditLog.action.in_(INTERNAL_REQUEST_ACTIONS)))
    rows = list(session.scalars(query.order_by(AuditLog.at, AuditLog.id)))
    user_ids = {r.actor_id for r in rows if r.actor_id is not None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    related: dict[tuple[str, str], Any] = {}
    for table, objs in (("communications", select(Communication).where(Communication.request_id == req.id)),
                        ("letter_versions", select(LetterVersion).where(LetterVersion.request_id == req.id)),
                        ("documents", select(Document).where(Document.request_id == req.id)),
                        ("events", select(Event).where(Event.request_id == req.id))):
        for obj in session.scalars(objs):
            related[(table, str(obj.id))] = obj
    fmt = _Formatter(session, tz)
    out = []
    for r in rows:
        who = names.get(r.actor_id, "Someone") if r.actor_id is not None else "System"
        out.append(HistoryRow(at=r.at.astimezone(fmt.tz), who=who, what=_what(r, related),
                              changes=fmt.changes(r), action=r.action, entity=r.entity_type))
    return out


def history_as_dicts(rows: list[HistoryRow]) -> list[dict[str, Any]]:
    return [{"at": r.at.isoformat(), "who": r.who, "what": r.what, "action": r.action, "entity": r.entity,
             "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in r.changes]}
            for r in rows]
