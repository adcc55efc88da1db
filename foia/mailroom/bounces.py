"""Bounces: delivery status notifications for letters mailed from the app.

`detect_bounce(raw)` recognises
- RFC 3464 reports (multipart/report; report-type=delivery-status) whose message/delivery-status part says
  a recipient failed (Action: failed, or a permanent 5.x.x Status), with the Diagnostic-Code as the reason
  and the original's Message-ID from the text/rfc822-headers or message/rfc822 part;
- the common non-standard bounces: from MAILER-DAEMON or postmaster with a subject like "Undelivered Mail
  Returned to Sender", "Delivery Status Notification (Failure)" or "Mail delivery failed", the original's
  Message-ID found in the body.
A report that a message was delayed, relayed or delivered is not a bounce.

`record_bounce(...)` ties one to its Delivery: marks it bounced (audited) and, when the delivery's "sent"
event is in the ledger (a request letter, whose sending started the clocks), logs a "delivery_failed" event
naming it, so the clocks are recomputed as if it had not been sent (foia.clocks.service.ledger_for).
`BounceNotifier` emails the person who sent the letter, after the bounce is committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.clock import zone
from foia.mail import Mailer, build_message, make_message_id
from foia.models import Delivery, Event, Request
from foia.requests.service import log_event
from foia.webhooks.service import emit


@dataclass(frozen=True)
class Bounce:
    message_ids: list[str]  # the bounced original's Message-ID(s), without angle brackets
    reason: str


_MSGID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_BODY_MSGID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail delivery (subsystem|system))", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver(ed|able)|returned mail|delivery status notification \((failure|delay)?|mail delivery failed"
    r"|delivery (has )?failed|failure notice|could not be delivered|non-?delivery", re.IGNORECASE)
_DELAY_SUBJECT = re.compile(r"\(delay\)|delayed|warning: could not send", re.IGNORECASE)
_SMTP_ERROR = re.compile(r"^.*\b(5\d\d[ -]\d?\.?\d*\.?\d*|5\.\d{1,3}\.\d{1,3})\b.*$", re.MULTILINE)


def _strip(mid: str) -> str:
    return mid.strip().strip("<>").strip()


def _original_ids(msg: Message) -> list[str]:
    ids: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        headers: Message | None = None
        if ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else str(part.get_payload()).encode("utf-8", "replace")
            headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        elif ctype == "message/rfc822":
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None
        if headers is not None and headers.get("Message-ID"):
            ids += _MSGID.findall(str(headers["Message-ID"])) or [_strip(str(headers["Message-ID"]))]
    return [i for i in dict.fromkeys(ids) if i]


def _text_of(msg: Message) -> str:
    chunks = []
    for part in msg.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "message/delivery-status":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                chunks.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
            elif isinstance(part.get_payload(), list):  # message/delivery-status: groups of fields
                chunks.extend(str(group) for group in part.get_payload())
    return "\n".join(chunks)


def _dsn(msg: Message) -> Bounce | None:
    failed: list[str] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        groups = part.get_payload()
        if not isinstance(groups, list):
            continue
        for group in groups[1:] if len(groups) > 1 else groups:  # the first group is per-message
            if not isinstance(group, Message):
                continue
            action = str(group.get("Action", "")).strip().lower()
            status = str(group.get("Status", "")).strip()
            if action == "failed" or (not action and status.startswith("5")):
                rcpt = str(group.get("Final-Recipient", group.get("Original-Recipient", ""))).split(";")[-1].strip()
                diag = " ".join(str(group.get("Diagnostic-Code", "")).split(";", 1)[-1].split())
                failed.append(" ".join(x for x in (rcpt + ":" if rcpt else "", status, diag) if x))
    if not failed:
        return None
    return Bounce(_original_ids(msg), "; ".join(failed)[:2000])


def detect_bounce(raw: bytes) -> Bounce | None:
    """A Bounce when `raw` is a failed-delivery notification, else None."""
    try:
        msg = message_from_bytes(raw, policy=policy.compat32)
    except Exception:
        return None
    if msg.get_content_type() == "multipart/report" and \
            str(msg.get_param("report-type", "")).lower() == "delivery-status":
        return _dsn(msg)
    name, addr = parseaddr(str(msg.get("From", "")))
    subject = " ".join(str(msg.get("Subject", "")).split())
    if not (_DAEMON.match(addr) or _DAEMON.match(name)) or not _BOUNCE_SUBJECT.search(subject) \
            or _DELAY_SUBJECT.search(subject):
        return None
    text = _text_of(msg)
    ids = _original_ids(msg) + _BODY_MSGID.findall(text)
    errors = [" ".join(m.group(0).split()) for m in _SMTP_ERROR.finditer(text)][:5]
    reason = "; ".join(dict.fromkeys(errors)) or subject
    return Bounce(list(dict.fromkeys(ids)), reason[:2000])


def delivery_for(session: Session, bounce: Bounce) -> Delivery | None:
    """The Delivery whose Message-ID the bounce names (stored with or without angle brackets)."""
    candidates = [v for mid in bounce.message_ids for v in (mid, f"<{mid}>")]
    if not candidates:
        return None
    return session.scalar(select(Delivery).where(Delivery.message_id.in_(candidates)).order_by(Delivery.id))


def record_bounce(session: Session, *, now: datetime, delivery: Delivery, bounce: Bounce) -> bool:
    """Mark `delivery` bounced (audited by the system) and, if its "sent" event is in the ledger, log a
    "delivery_failed" event naming it. False when it was already marked bounced (nothing written)."""
    if delivery.status == "bounced":
        return False
    before = {"status": delivery.status, "bounced_at": None, "bounce_reason": delivery.bounce_reason}
    delivery.status, delivery.bounced_at, delivery.bounce_reason = "bounced", now, bounce.reason
    delivery.updated_at = now
    session.flush()
    audit(session, actor=None, now=now, action="bounce", entity=delivery, before=before,
          after={"status": "bounced", "bounced_at": now.isoformat(), "bounce_reason": bounce.reason})
    sent = session.get(Event, delivery.event_id) if delivery.event_id else None
    if sent is not None and sent.kind == "sent" and sent.request_id == delivery.request_id:
        req = session.get_one(Request, delivery.request_id)
        log_event(session, actor=None, now=now, req=req, kind="delivery_failed",
                  occurred_on=now.astimezone(zone(req.agency.timezone)).date(), occurred_at=now,
                  notes=f"The email sent to {delivery.to_addr} bounced: {bounce.reason}"[:2000],
                  data={"event_id": sent.id, "delivery_id": delivery.id})
    emit(session, event="delivery.failed", request=session.get_one(Request, delivery.request_id), now=now,
         key=f"delivery.failed:{delivery.id}:bounced", details={"delivery_id": delivery.id, "letter": delivery.kind,
                                                                "to": delivery.to_addr, "reason": bounce.reason,
                                                                "bounced": True})
    return True


def _domain(sender: str) -> str:
    addr = parseaddr(sender)[1]
    return addr.split("@", 1)[1] if "@" in addr else "foia-tracker.local"


@dataclass
class BounceNotifier:
    """Emails the person who sent a letter that bounced (the `notify` of fetch_mail)."""

    mailer: Mailer
    sender: str
    base_url: str

    def __call__(self, session: Session, delivery: Delivery, now: datetime) -> bool:
        """Send the notice; False when nobody is known to have sent the letter."""
        user = delivery.sent_by
        if user is None or not user.email:
            return False
        req = session.get_one(Request, delivery.request_id)
        url = f"{self.base_url.rstrip('/')}/requests/{req.ref}"
        text = (f"The {delivery.kind} letter for {req.ref} ({req.title}) emailed to {delivery.to_addr} "
                f"was not delivered.\n\nReason: {delivery.bounce_reason}\n\n"
                + ("Its deadlines no longer count from that email: they are recomputed as if it had not been "
                   "sent. " if delivery.event_id else "")
                + f"Check the agency's address and send it again:\n{url}\n")
        msg = build_message(sender=self.sender, to=[user.email],
                            subject=f"Not delivered: {delivery.kind} letter for {req.ref}", text=text, html=None,
                            message_id=make_message_id(f"bounce:{delivery.id}", _domain(self.sender)), date=now,
                            headers={"X-FOIA-Tracker-Bounce": str(delivery.id)})
        self.mailer.send(msg)
        return True
