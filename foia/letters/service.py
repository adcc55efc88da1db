"""Letter drafts: the render context from the database, and the operations on letter versions.

A person drafts a letter (request, follow-up or appeal) for a request, revises its free text,
finalizes it (the context, HTML and PDF are frozen then) and marks it as sent, which records the
matching event in the ledger. Like foia/services.py, every function takes the session, the actor
and `now` explicitly and never reads Flask globals or the clock; every change writes an audit row.

The context is the plain-dict schema documented in foia/letters/__init__.py: strings, ISO dates,
bools, ints, lists and dicts only (no ORM objects, no Markup), so the sandboxed templates only ever
see data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foia.clocks.service import agency_calendar, compute_for
from foia.core.audit import audit
from foia.core.clock import local_today, zone
from foia.core.db import insert_with_retry
from foia.core.errors import ValidationError
from foia.deadlines import load_law
from foia.letters.render import LETTER_KINDS, PdfCache, letter_title, render_html
from foia.models import CUSTOM_FIELDS, SEND_METHODS, Event, LetterVersion, Request, User
from foia.requests.service import log_event, update_request

MAX_CUSTOM_CHARS = 20_000

# How a fee category reads inside "I am a requester in the … category".
FEE_CATEGORY_WORDS = {
    "news_media": "representative of the news media",
    "educational": "educational or noncommercial scientific institution",
    "commercial": "commercial use",
    "other": "all other requesters",
}

# The ledger event that marking a letter of each kind as sent records.
SENT_EVENT_KIND = {"request": "sent", "follow-up": "note", "appeal": "appeal_filed"}


# ---------------------------------------------------------------------------- context

def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _iso(value: date | datetime | None, tz: ZoneInfo | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).date().isoformat()
    return value.isoformat()


def clean_custom(custom: Mapping[str, Any] | None, kind: str) -> dict[str, str]:
    """The editable parts as plain strings (appeal grounds only for appeals); raises ValidationError."""
    custom = custom or {}
    out: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in CUSTOM_FIELDS:
        value = custom.get(name) or ""
        if not isinstance(value, str):
            errors[name] = "Enter plain text."
            continue
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if "\x00" in value:
            errors[name] = "Remove the NUL character from this text."
        elif len(value) > MAX_CUSTOM_CHARS:
            errors[name] = f"Keep this text under {MAX_CUSTOM_CHARS:,} characters (it has {len(value):,})."
        out[name] = value if (name != "appeal_grounds" or kind == "appeal") else ""
    if errors:
        raise ValidationError(errors)
    return out


def _check_kind(kind: str) -> None:
    if kind not in LETTER_KINDS:
        raise ValidationError({"kind": f"Unknown letter kind {kind!r}: choose one of {', '.join(LETTER_KINDS)}."})


def _days_late(clock: Any, today: date, calendar: Any) -> int | None:
    """How late the response is today, in the clock's unit, counted as the request page and the
    reminders count it (Calendar.working_days_between); None when not late."""
    if clock is None or clock.due is None or clock.due >= today or clock.status == "met":
        return None
    if clock.unit == "business_days":
        return -calendar.working_days_between(today, clock.due) or None
    return (today - clock.due).days


def _latest_event(session: Session, req: Request, kind: str) -> Event | None:
    return session.scalar(select(Event).where(Event.request_id == req.id, Event.kind == kind, Event.voided_at.is_(None))
                          .order_by(Event.occurred_on.desc(), Event.id.desc()).limit(1))


def build_context(session: Session, req: Request, kind: str, custom: Mapping[str, Any] | None, *,
                  today: date, method: str | None = None) -> dict[str, Any]:
    """The renderer's context for `kind` from the request, its requester, organization, agency,
    law, clocks and ledger. Plain data only; dates are ISO strings. `method` (email, portal, mail, fax)
    is how the letter will go out, for its "Sent by ..." line; None: the agency's first way in."""
    _check_kind(kind)
    agency = req.agency
    law = load_law(req.law).for_agency(agency.slug)
    tz = zone(agency.timezone or law.timezone)
    clocks = {c.kind: c for c in compute_for(session, req)}
    response = clocks.get("response")
    unit = response.unit if response is not None else law.response_unit
    deadlines: dict[str, Any] = {
        "response_due": _iso(response.due) if response is not None else None,
        "days_late": None,
        "days_late_unit": "working days" if unit == "business_days" else "calendar days",
        "appeal_due": _iso(clocks["appeal_filing"].due) if "appeal_filing" in clocks else None,
    }
    if kind == "follow-up":
        calendar = agency_calendar(session, law.calendar, req.agency_id)
        deadlines["days_late"] = _days_late(response, today, calendar)
    determination: dict[str, Any] | None = None
    if kind == "appeal":
        # An appeal's "response_due" is when the appeal decision is due (known once it is filed).
        decision = clocks.get("appeal_decision")
        deadlines["response_due"] = _iso(decision.due) if decision is not None else None
        if decision is not None and decision.unit:
            deadlines["days_late_unit"] = "working days" if decision.unit == "business_days" else "calendar days"
        event = _latest_event(session, req, "determination")
        if event is not None:
            exemptions = (event.data or {}).get("exemptions") or []
            if isinstance(exemptions, str):
                exemptions = [exemptions]
            determination = {"date": event.occurred_on.isoformat(), "summary": event.notes or "",
                             "exemptions": [str(e) for e in exemptions if str(e).strip()]}
    sent_date = _iso(req.sent_at, tz)
    if sent_date is None:
        sent = _latest_event(session, req, "sent")
        sent_date = sent.occurred_on.isoformat() if sent is not None else None
    requester, org = req.requester, req.organization
    return {
        "ref": req.ref,
        "letter_date": today.isoformat(),
        "lang": "en",
        "law": {
            "slug": req.law,
            "name": law.name,
            "citation": law.citation,
            "response_period": "" if law.response_period_text == "no fixed period" else law.response_period_text,
            "response_citation": law.response.citation,
        },
        "requester": {"name": requester.name, "title": "", "email": requester.email, "phone": "", "address": []},
        "organization": {"name": org.name, "address": _lines(org.address), "phone": org.phone or "",
                         "email": org.email or "", "website": org.website or ""},
        "agency": {
            "name": agency.name, "slug": agency.slug, "department": agency.department or "",
            "foia_email": agency.foia_email or "", "portal_url": agency.portal_url or "",
            "address": _lines(agency.mailing_address), "appeal_authority": agency.appeal_authority or "",
            "appeal_address": _lines(agency.appeal_address), "appeal_email": agency.appeal_email or "",
            "fax": agency.fax or "", "filing_methods": agency.filing_methods or "",
        },
        "request": {
            "title": req.title,
            "records_sought": req.records_sought,
            "date_from": _iso(req.records_from),
            "date_to": _iso(req.records_to),
            "preferred_format": req.preferred_format or "",
            "fee_category": FEE_CATEGORY_WORDS.get(req.fee_category, ""),
            "fee_ceiling": str(req.fee_ceiling) if req.fee_ceiling is not None else "",
            "fee_waiver": bool(req.fee_waiver),
            "fee_waiver_justification": req.fee_waiver_justification or "",
            "expedited": bool(req.expedited),
            "expedited_justification": req.expedited_justification or "",
            "tracking_number": req.tracking_number or "",
            "sent_date": sent_date,
        },
        "deadlines": deadlines,
        "determination": determination,
        "custom": clean_custom(custom, kind),
        "delivery": {"method": method} if method else None,
    }


def pdf_options(context: Mapping[str, Any], kind: str, law: str) -> dict[str, Any]:
    """The render_pdf options for a context (also part of the PDF cache key)."""
    return {"title": letter_title(kind, law, context), "lang": str(context.get("lang") or "en"),
            "created": context.get("letter_date")}


def render_version_html(session: Session, version: LetterVersion, *, today: date) -> str:
    """The letter HTML of a version: frozen for a final version, from current data for a draft."""
    if version.is_final and version.html is not None:
        return version.html
    req = session.get_one(Request, version.request_id)  # the FK guarantees it
    return render_html(version.kind, req.law, build_context(session, req, version.kind, version.custom, today=today))


def version_pdf(version: LetterVersion, law: str, cache_dir: str | Path) -> tuple[Path, str, bool]:
    """The cached PDF of a final version: (path, sha256, cache hit). Re-rendered (same bytes) if the
    cache was cleared."""
    if not version.is_final or version.html is None or version.context is None:
        raise ValidationError({"status": "Only a final letter has a PDF. Finalize the draft first."})
    cache = PdfCache(cache_dir)
    opts = pdf_options(version.context, version.kind, law)
    _pdf, sha, hit = cache.get_or_render(version.html, **opts)
    return cache.path_for(cache.key(version.html, **opts)), sha, hit


# ---------------------------------------------------------------------------- operations

def _snapshot(v: LetterVersion) -> dict[str, Any]:
    return {"request_id": v.request_id, "kind": v.kind, "version": v.version, "status": v.status,
            "custom": dict(v.custom or {}), "pdf_sha256": v.pdf_sha256,
            "sent_at": v.sent_at.isoformat() if v.sent_at else None, "sent_method": v.sent_method}


def _next_number(session: Session, req: Request, kind: str) -> int:
    current = session.scalar(select(func.max(LetterVersion.version))
                             .where(LetterVersion.request_id == req.id, LetterVersion.kind == kind))
    return (current or 0) + 1


def new_draft(session: Session, *, actor: User, now: datetime, req: Request, kind: str,
              custom: Mapping[str, Any] | None) -> LetterVersion:
    """A new draft numbered after the request's last version of this kind."""
    _check_kind(kind)
    cleaned = clean_custom(custom, kind)
    version = insert_with_retry(  # a concurrent draft may take the same number: build it again
        session,
        lambda: LetterVersion(request_id=req.id, kind=kind, version=_next_number(session, req, kind),
                              status="draft", custom=cleaned, created_by_id=actor.id if actor else None,
                              created_at=now),
        what="a letter version number")
    audit(session, actor=actor, now=now, action="create", entity=version, after=_snapshot(version))
    return version


def _refuse_final(version: LetterVersion) -> None:
    if version.status != "draft":
        raise ValidationError({"status": f"Version {version.version} is final and cannot be changed. "
                                         "Start a new draft from it to make changes."})


def revise_draft(session: Session, *, actor: User, now: datetime, version: LetterVersion,
                 custom: Mapping[str, Any] | None) -> LetterVersion:
    _refuse_final(version)
    cleaned = clean_custom(custom, version.kind)
    before = _snapshot(version)
    if cleaned != (version.custom or {}):
        version.custom = cleaned
        session.flush()
        audit(session, actor=actor, now=now, action="update", entity=version,
              before={"custom": before["custom"]}, after={"custom": cleaned})
    return version


def finalize(session: Session, *, actor: User, now: datetime, version: LetterVersion, cache_dir: str | Path,
             timezone: str | None = None, next_draft: bool = False) -> LetterVersion | None:
    """Freeze the context, render the HTML and the PDF (into the PDF cache) and mark the version final.

    With `next_draft`, also start the next draft number with the same text; returns that draft
    (or None)."""
    _refuse_final(version)
    req = session.get_one(Request, version.request_id)  # the FK guarantees it
    context = build_context(session, req, version.kind, version.custom, today=local_today(now, timezone))
    html = render_html(version.kind, req.law, context)
    _pdf, sha, _hit = PdfCache(cache_dir).get_or_render(html, **pdf_options(context, version.kind, req.law))
    before = _snapshot(version)
    version.context, version.html, version.pdf_sha256 = context, html, sha
    version.status, version.finalized_at = "final", now
    session.flush()
    audit(session, actor=actor, now=now, action="finalize", entity=version,
          before={"status": before["status"]}, after={"status": "final", "pdf_sha256": sha})
    if next_draft:
        return new_draft(session, actor=actor, now=now, req=req, kind=version.kind, custom=version.custom)
    return None


def mark_sent(session: Session, *, actor: User, now: datetime, version: LetterVersion, method: str,
              sent_on: date | None) -> Event:
    """Record that a final letter went out: the ledger event (a request letter's "sent" starts the
    clocks), the request's sent date and status."""
    errors: dict[str, str] = {}
    if not version.is_final:
        errors["status"] = "Finalize the letter before marking it as sent."
    elif version.sent_at is not None:
        errors["status"] = f"Version {version.version} was already marked as sent."
    if method not in SEND_METHODS:
        errors["method"] = f"Choose how the letter was sent: {', '.join(SEND_METHODS)}."
    req = session.get_one(Request, version.request_id)  # the FK guarantees it
    tz = zone(req.agency.timezone)
    if sent_on is None:
        errors["sent_on"] = "Enter the date the letter was sent."
    elif sent_on > now.astimezone(tz).date() + timedelta(days=1):
        errors["sent_on"] = "The date sent cannot be in the future."
    if errors:
        raise ValidationError(errors)
    assert sent_on is not None
    sent_at = datetime.combine(sent_on, time(12, 0), tzinfo=tz)  # noon, agency time: no edge-of-day surprises
    before = _snapshot(version)
    version.sent_at, version.sent_method = sent_at, method
    session.flush()
    audit(session, actor=actor, now=now, action="sent", entity=version,
          before={"sent_at": before["sent_at"], "sent_method": None},
          after={"sent_at": sent_at.isoformat(), "sent_method": method})
    kind = SENT_EVENT_KIND[version.kind]
    label = version.kind_label
    event = log_event(session, actor=actor, now=now, req=req, kind=kind, occurred_on=sent_on,
                      occurred_at=sent_at if kind == "sent" else None,
                      notes=f"{label} (version {version.version}) sent by {SEND_METHODS[method].lower()}.",
                      data={"method": method, "letter_version": version.id, "letter_kind": version.kind})
    if version.kind == "request":
        if req.sent_at is None:
            before_req = {"sent_at": None}
            req.sent_at = sent_at
            audit(session, actor=actor, now=now, action="update", entity=req, before=before_req,
                  after={"sent_at": sent_at.isoformat()})
        if req.status == "draft":
            update_request(session, actor=actor, now=now, req=req, status="submitted")
    elif version.kind == "appeal" and not req.is_closed and req.status != "appealing":
        update_request(session, actor=actor, now=now, req=req, status="appealing")
    return event


def versions_for(session: Session, req: Request) -> list[LetterVersion]:
    return list(session.scalars(select(LetterVersion).where(LetterVersion.request_id == req.id)
                                .order_by(LetterVersion.kind, LetterVersion.version)))
