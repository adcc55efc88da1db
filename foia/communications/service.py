"""The communications log: every message or fact exchanged with the agency, and what it does to
the request's ledger, clocks and status.

`log_communication(...)` validates the input, stores a Communication, writes the ledger event(s)
through `foia.requests.service.log_event` (which recomputes the clocks and reminders), moves the status
through `foia.requests.service.update_request`, links `communication.event_id` to the main event, keeps the
agency's tracking number on the request, writes a search entry and an audit row.

What each kind does (ledger event kind → request status):

=======================  ===========================================  ==================================
kind                     ledger event(s)                              status
=======================  ===========================================  ==================================
acknowledgment           acknowledged (+ estimated_completion when    acknowledged, only from draft or
                         data["estimated_completion"] is given)       submitted (never moves backwards)
extension_notice         extension (data["days"] optional, ≤ the      processing
                         law's maximum; default: the law's length)
clarification_request    toll_start (the response clock pauses)       awaiting_requester
clarification_reply      toll_end (counting resumes the next day);    processing
                         only while a clarification request is open
fee_estimate             note (data: amount)                          unchanged
fee_waiver_decision      note (data: decision)                        unchanged
payment                  note (data: amount)                          unchanged
interim_release          note (data: release = "interim")             partially_released
final_release            closed (closes every clock)                  released
partial_denial           determination (response clock met, appeal    partially_denied
                         window opens; data: exemptions)
full_denial              determination                                denied
no_records               determination (an adverse determination:     no_records (an open status: the
                         the appeal window opens)                     appeal clock keeps running)
appeal_filed             appeal_filed (appeal-decision clock starts)  appealing
appeal_decision          appeal_decided (data: outcome)               granted → released,
                                                                      partly_granted → partially_released,
                                                                      denied → denied
withdrawal               closed                                       withdrawn
note                     note                                         unchanged
=======================  ===========================================  ==================================

Any kind that is not closing may also carry data["estimated_completion"] (an "estimated_completion"
event) and data["agreed_date"] (an "agreed_date" event, which replaces the response deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.communications.exemptions import exemptions_for, label_for, resolve
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.deadlines import load_law
from foia.models import (
    COMMUNICATION_KINDS,
    DIRECTIONS,
    Communication,
    Event,
    Request,
    SearchEntry,
    User,
)
from foia.requests.service import log_event, update_request

MAX_SUBJECT = 500
MAX_BODY = 1_000_000
MAX_TRACKING = 100

APPEAL_OUTCOMES = {"granted": "Granted", "partly_granted": "Partly granted", "denied": "Denied"}
FEE_WAIVER_DECISIONS = {"granted": "Granted", "partly_granted": "Partly granted", "denied": "Denied"}


@dataclass(frozen=True)
class Effect:
    event: str                 # ledger event kind written for this communication
    status: str | None         # status the request moves to (None: unchanged)
    help: str                  # what it does to the clock, for people


EFFECTS: dict[str, Effect] = {
    "acknowledgment": Effect("acknowledged", "acknowledged",
                             "Records that the agency confirmed receipt; no clock moves. Give the agency's estimated "
                             "completion date if it named one."),
    "extension_notice": Effect("extension", "processing",
                               "The agency invoked its statutory extension: the response deadline moves out by the "
                               "extension (the law's full length unless you give fewer days)."),
    "clarification_request": Effect("toll_start", "awaiting_requester",
                                    "The agency asked you a question: the response clock pauses (where the law "
                                    "allows tolling) until you answer."),
    "clarification_reply": Effect("toll_end", "processing",
                                  "Your answer to the agency's question: the response clock resumes the next day."),
    "fee_estimate": Effect("note", None, "A fee estimate: recorded in the ledger; no clock moves."),
    "fee_waiver_decision": Effect("note", None, "The agency's decision on a fee waiver: recorded; no clock moves."),
    "payment": Effect("note", None, "A payment you made: recorded; no clock moves."),
    "interim_release": Effect("note", "partially_released",
                              "Some records released while the search continues: the response clock keeps running."),
    "final_release": Effect("closed", "released", "All records released: every clock stops and the request closes."),
    "partial_denial": Effect("determination", "partially_denied",
                             "Records released with some withheld: the response clock is met and the appeal window "
                             "opens."),
    "full_denial": Effect("determination", "denied",
                          "Everything withheld: the response clock is met and the appeal window opens."),
    "no_records": Effect("determination", "no_records",
                         "The agency says it found no records: an adverse determination, so the appeal window opens."),
    "appeal_filed": Effect("appeal_filed", "appealing", "You filed an appeal: the appeal-decision clock starts."),
    "appeal_decision": Effect("appeal_decided", None,
                              "The agency decided the appeal: the appeal clock stops; the status follows the outcome."),
    "withdrawal": Effect("closed", "withdrawn", "You withdrew the request: every clock stops."),
    "note": Effect("note", None, "Anything else: recorded in the ledger; no clock moves."),
}
assert set(EFFECTS) == set(COMMUNICATION_KINDS)

OUTCOME_STATUS = {"granted": "released", "partly_granted": "partially_released", "denied": "denied"}
# Kinds whose letters cite exemptions (redactions or withholding).
EXEMPTION_KINDS = frozenset({"interim_release", "final_release", "partial_denial", "full_denial", "appeal_decision"})
# Kinds after which an estimated or agreed completion date makes no sense.
CLOSING_KINDS = frozenset({"final_release", "partial_denial", "full_denial", "no_records", "appeal_decision",
                           "withdrawal"})
ACK_FROM = frozenset({"draft", "submitted"})
# Usual direction of each kind (the CLI's default; the web form preselects it).
DEFAULT_DIRECTION = dict.fromkeys(COMMUNICATION_KINDS, "incoming") | {
    "clarification_reply": "outgoing", "payment": "outgoing", "appeal_filed": "outgoing", "withdrawal": "outgoing",
}


def _has_control(text: str, allow_newlines: bool) -> bool:
    allowed = "\t\n\r" if allow_newlines else "\t"
    return any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in text)


def _iso_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def open_clarification(session: Session, req: Request) -> date | None:
    """The date of the clarification request still waiting for an answer, or None."""
    open_on: date | None = None
    for kind, on in session.execute(
            select(Event.kind, Event.occurred_on).where(Event.request_id == req.id,
                                                        Event.kind.in_(("toll_start", "toll_end")))
            .order_by(Event.occurred_on, Event.id)):
        if kind == "toll_start":
            open_on = open_on or on
        else:
            open_on = None
    return open_on


def _validate(session: Session, *, now: datetime, req: Request, direction: str, kind: str, occurred_on: Any,
              subject: str, body: str, tracking_number: str, exemptions: Any, data: dict[str, Any],
              message_id: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """Errors by field, and the cleaned values."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"data": {}}
    law = load_law(req.law).for_agency(req.agency.slug)

    if kind not in COMMUNICATION_KINDS:
        errors["kind"] = "Choose what kind of communication this is from the list."
    if direction not in DIRECTIONS:
        errors["direction"] = "Say whether this came from the agency or went to it."

    on: date | None = None
    if occurred_on in (None, ""):
        errors["occurred_on"] = "Enter the date of the communication."
    else:
        try:
            on = _iso_date(occurred_on)
        except ValueError:
            errors["occurred_on"] = "Enter the date as YYYY-MM-DD, e.g. 2025-07-01."
        else:
            if on > now.date() + timedelta(days=1):
                errors["occurred_on"] = "The date is in the future. Enter the date the communication was sent or received."
            elif on.year < 1967:
                errors["occurred_on"] = "Enter a date after 1966 (the year the FOIA took effect)."
    clean["occurred_on"] = on

    subject = subject or ""
    if "\x00" in subject or _has_control(subject, allow_newlines=False):
        errors["subject"] = "The subject contains a control character (such as NUL or a line break); remove it."
    elif len(subject.strip()) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject under {MAX_SUBJECT} characters (it has {len(subject.strip()):,})."
    clean["subject"] = subject.strip()

    body = body or ""
    if "\x00" in body:
        errors["body"] = "The text contains a NUL character, which cannot be saved. Remove it and try again."
    elif len(body) > MAX_BODY:
        errors["body"] = f"The text is {len(body):,} characters long; the limit is {MAX_BODY:,}. Attach long texts as a document."
    clean["body"] = body.replace("\r\n", "\n")

    tracking = (tracking_number or "").strip()
    if len(tracking) > MAX_TRACKING:
        errors["tracking_number"] = f"Keep the tracking number under {MAX_TRACKING} characters."
    elif tracking and not tracking.isprintable():
        errors["tracking_number"] = "The tracking number contains characters that cannot be printed; type it as the agency shows it."
    clean["tracking_number"] = tracking

    if isinstance(exemptions, str):
        exemptions = [exemptions]
    codes: list[str] = []
    unknown: list[str] = []
    for given in exemptions or ():
        code = resolve(req.law, str(given))
        if code is None:
            unknown.append(str(given))
        elif code not in codes:
            codes.append(code)
    if unknown:
        known = ", ".join(c for c, _ in exemptions_for(req.law)[:6])
        errors["exemptions"] = (f"{', '.join(repr(u) for u in unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                                f"{'an exemption' if len(unknown) == 1 else 'exemptions'} under the {law.name}. "
                                f"Choose from the list (e.g. {known}).")
    elif codes and kind in COMMUNICATION_KINDS and kind not in EXEMPTION_KINDS:
        errors["exemptions"] = "Exemptions belong to releases, denials and appeal decisions; choose one of those kinds."
    order = {c: i for i, (c, _) in enumerate(exemptions_for(req.law))}
    clean["exemptions"] = sorted(codes, key=lambda c: order.get(c, 0))

    data = dict(data or {})
    days = data.pop("days", None)
    if days not in (None, ""):
        ext = law.response.extension
        try:
            days_n = int(str(days).strip())
        except ValueError:
            days_n = None
        if kind in COMMUNICATION_KINDS and kind != "extension_notice":
            errors["days"] = "Extension days belong to an extension notice."
        elif days_n is None or days_n <= 0:
            errors["days"] = "Enter the extension as a positive whole number of days, e.g. 10."
        elif ext is None:
            errors["days"] = f"The {law.name} provides no statutory extension; leave the days empty."
        elif days_n > ext.length:
            unit = "working days" if ext.unit == "business_days" else "calendar days"
            errors["days"] = f"The {law.name} allows at most {ext.length} {unit} of extension ({ext.citation})."
        else:
            clean["data"]["days"] = days_n

    for key, label in (("estimated_completion", "estimated completion date"), ("agreed_date", "agreed date")):
        value = data.pop(key, None)
        if value in (None, ""):
            continue
        try:
            d = _iso_date(value)
        except ValueError:
            errors[key] = f"Enter the {label} as YYYY-MM-DD, e.g. 2025-09-30."
            continue
        if kind in CLOSING_KINDS:
            errors[key] = f"A {COMMUNICATION_KINDS[kind].lower()} ends the response period; leave the {label} empty."
        elif on is not None and d < on:
            errors[key] = f"The {label} must be on or after the date of the communication."
        else:
            clean["data"][key] = d.isoformat()

    outcome = (data.pop("outcome", None) or "").strip()
    if kind == "appeal_decision":
        if outcome not in APPEAL_OUTCOMES:
            errors["outcome"] = "Choose the appeal's outcome: granted, partly granted or denied."
        else:
            clean["data"]["outcome"] = outcome
    elif outcome:
        errors["outcome"] = "An outcome belongs to an appeal decision."

    amount = data.pop("amount", None)
    if amount not in (None, ""):
        try:
            value = Decimal(str(amount).replace("$", "").replace(",", "").strip())
            if value < 0 or value >= Decimal("100000000") or not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["amount"] = "Enter the amount in dollars, e.g. 125 or 125.50."
        else:
            if kind not in ("fee_estimate", "payment"):
                errors["amount"] = "An amount belongs to a fee estimate or a payment."
            else:
                clean["data"]["amount"] = str(value.quantize(Decimal("0.01")))

    decision = (data.pop("decision", None) or "").strip()
    if decision:
        if kind != "fee_waiver_decision":
            errors["decision"] = "A decision belongs to a fee-waiver decision."
        elif decision not in FEE_WAIVER_DECISIONS:
            errors["decision"] = "Choose the fee-waiver decision: granted, partly granted or denied."
        else:
            clean["data"]["decision"] = decision
    # Anything else the caller passed is kept as given (e.g. import details), if JSON can hold it.
    for key, value in data.items():
        if isinstance(value, (str, int, float, bool, type(None), list, dict)):
            clean["data"][key] = value

    if kind in ("clarification_request", "clarification_reply") and on is not None:
        pending = open_clarification(session, req)
        if kind == "clarification_reply":
            if pending is None:
                errors["kind"] = ("There is no open clarification request to answer. Log the agency's "
                                  "clarification request first, or choose another kind.")
            elif on < pending:
                errors["occurred_on"] = (f"The reply cannot be dated before the clarification request "
                                         f"({pending.isoformat()}).")
        elif pending is not None:
            errors["kind"] = (f"A clarification request from {pending.isoformat()} is still open. Log your reply "
                              f"to it first (a further question can be logged as a note).")

    if message_id and session.scalar(select(Communication.id).where(Communication.message_id == message_id)):
        errors["message_id"] = "This email has already been logged."
    return errors, clean


def log_communication(session: Session, *, actor: User | None, now: datetime, req: Request, direction: str,
                      kind: str, occurred_on: date | str, occurred_at: datetime | None = None, subject: str = "",
                      body: str = "", tracking_number: str = "", exemptions: Any = (),
                      data: dict[str, Any] | None = None, message_id: str | None = None, from_addr: str = "",
                      to_addrs: str = "", headers: list[Any] | None = None,
                      raw_sha256: str | None = None) -> Communication:
    """Log one communication (see the module docstring for what each kind does). Raises
    ValidationError with messages by field; nothing is written then."""
    errors, clean = _validate(session, now=now, req=req, direction=direction, kind=kind, occurred_on=occurred_on,
                              subject=subject, body=body, tracking_number=tracking_number, exemptions=exemptions,
                              data=data or {}, message_id=message_id)
    if errors:
        raise ValidationError(errors)
    on: date = clean["occurred_on"]
    cdata: dict[str, Any] = clean["data"]
    effect = EFFECTS[kind]

    comm = Communication(
        request_id=req.id, direction=direction, kind=kind, occurred_on=on, occurred_at=occurred_at,
        subject=clean["subject"], body=clean["body"], tracking_number=clean["tracking_number"],
        exemptions=clean["exemptions"], data=cdata, message_id=message_id or None, from_addr=from_addr or "",
        to_addrs=to_addrs or "", headers=headers, raw_sha256=raw_sha256,
        created_by_id=actor.id if actor is not None else None, created_at=now,
    )
    session.add(comm)
    session.flush()

    # The ledger. The engine reads data["days"] on an extension and data["date"] on estimated/agreed dates.
    notes = COMMUNICATION_KINDS[kind] + (f": {clean['subject']}" if clean["subject"] else "")
    event_data: dict[str, Any] = {"communication_id": comm.id, "communication_kind": kind}
    if kind == "extension_notice" and "days" in cdata:
        event_data["days"] = cdata["days"]
    if clean["exemptions"]:
        event_data["exemptions"] = clean["exemptions"]
    for key in ("amount", "decision", "outcome"):
        if key in cdata:
            event_data[key] = cdata[key]
    if kind == "interim_release":
        event_data["release"] = "interim"
    elif kind == "final_release":
        event_data["release"] = "final"
    event = log_event(session, actor=actor, now=now, req=req, kind=effect.event, occurred_on=on,
                      occurred_at=occurred_at, notes=notes, data=event_data)
    comm.event_id = event.id
    if "estimated_completion" in cdata:
        log_event(session, actor=actor, now=now, req=req, kind="estimated_completion", occurred_on=on,
                  notes=f"Agency's estimated completion date: {cdata['estimated_completion']}",
                  data={"date": cdata["estimated_completion"], "communication_id": comm.id})
    if "agreed_date" in cdata:
        log_event(session, actor=actor, now=now, req=req, kind="agreed_date", occurred_on=on,
                  notes=f"Date agreed with the agency: {cdata['agreed_date']}",
                  data={"date": cdata["agreed_date"], "communication_id": comm.id})

    # The request: status and the agency's tracking number.
    changes: dict[str, Any] = {}
    status = effect.status
    if kind == "appeal_decision":
        status = OUTCOME_STATUS[cdata["outcome"]]
    elif kind == "acknowledgment" and req.status not in ACK_FROM:
        status = None  # an acknowledgment never moves a request backwards
    if status is not None and status != req.status:
        changes["status"] = status
    if clean["tracking_number"] and clean["tracking_number"] != req.tracking_number:
        changes["tracking_number"] = clean["tracking_number"]
    if changes:
        update_request(session, actor=actor, now=now, req=req, **changes)

    session.add(SearchEntry(request_id=req.id, source_type="communication", source_id=comm.id,
                            title=clean["subject"], body=clean["body"]))
    audit(session, actor=actor, now=now, action="create", entity=comm, after={
        "request": req.ref, "kind": kind, "direction": direction, "occurred_on": on.isoformat(),
        "subject": clean["subject"], "tracking_number": clean["tracking_number"],
        "exemptions": clean["exemptions"], "data": cdata, "event_id": event.id,
        "status": req.status,
    })
    session.flush()
    return comm


def communications_for(session: Session, req: Request) -> list[Communication]:
    """The request's communications, newest first."""
    return list(session.scalars(
        select(Communication).where(Communication.request_id == req.id)
        .order_by(Communication.occurred_on.desc(), Communication.id.desc())))


def communication_as_dict(comm: Communication) -> dict[str, Any]:
    return {
        "kind": comm.kind, "direction": comm.direction, "date": comm.occurred_on.isoformat(),
        "at": comm.occurred_at.isoformat() if comm.occurred_at else None,
        "subject": comm.subject, "body": comm.body, "tracking_number": comm.tracking_number or None,
        "exemptions": list(comm.exemptions or []), "data": dict(comm.data or {}),
    }


__all__ = [
    "APPEAL_OUTCOMES",
    "EFFECTS",
    "EXEMPTION_KINDS",
    "communication_as_dict",
    "communications_for",
    "label_for",
    "log_communication",
    "open_clarification",
]
