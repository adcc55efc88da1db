"""Mailing a final letter to the agency from the app, with proof of delivery.

    delivery = send_letter(session, actor=user, now=now, version=version,
                           settings=send_settings(app.config), mailer=mailer_for(app.config))

The flow, in order:

1. Checks: the version is final and not yet sent; the recipient is the agency's FOIA email (an appeal's:
   its appeal email if it has one), or ``to``. An agency without email cannot be emailed: the letter goes
   through its portal, by mail or by fax and is then recorded as sent (``letters.service.mark_sent``).
2. The message is built once (the letter's text, its HTML, the PDF attached, From the organization at
   FOIA_MAIL_FROM's address, Reply-To the request's own reply address, a Message-ID fixed by the version),
   its exact bytes are stored in the blob store and a ``Delivery`` row ("sending") is committed, all
   **before** the SMTP server is contacted.
3. The stored bytes are sent. Accepted: the server's answer (code, text, queue id) is kept, the row
   becomes "accepted" and the ledger's "sent" event is recorded (a request letter starts its clocks)
   in the same commit. Refused or unreachable: the row becomes "failed" with the reason, no event is
   recorded, and ``SendFailed`` is raised for the caller to show.

A retry (``send_letter`` again for the same version) of a failed delivery, or of one left "sending" for
longer than ``stale_after`` (a process that died mid-send), re-sends the **same stored bytes with the
same Message-ID**: never a second, different message. An accepted delivery is never re-sent.

The one window that cannot be closed: the server accepts the message and the process dies before the
"accepted" commit. The row stays "sending"; once stale, a retry sends the identical message again, with
the same Message-ID, which receiving systems use to de-duplicate, and the agency sees at most a copy of
the same message, never a different letter.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.agencies.directory import filing_methods, methods_text
from foia.core.audit import audit
from foia.core.clock import zone
from foia.core.errors import ValidationError
from foia.core.paths import blob_root, letter_cache_dir
from foia.documents.stores import open_store
from foia.letters.compare import letter_text
from foia.letters.render import email_recipient
from foia.letters.service import mark_sent, version_pdf
from foia.mail import MailError, ReceiptMailer, build_message, mailer_from_config, make_message_id
from foia.mailroom.addresses import reply_address
from foia.models import Agency, Delivery, LetterVersion, Request, User
from foia.webhooks.service import emit

#: A delivery left "sending" this long is taken to belong to a process that died: a retry may re-send it.
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class SendSettings:
    sender: str  # FOIA_MAIL_FROM: its address is the From address (the display name is the organization's)
    reply_base: str | None  # FOIA_REPLY_ADDRESS: records@city.example, plus-addressed per request; None: no Reply-To
    storage_root: str  # the blob store (FOIA_STORAGE_DIR/blobs): the exact bytes sent
    letter_cache: str  # FOIA_STORAGE_DIR/letter-cache: the letter PDFs
    stale_after: timedelta = STALE_AFTER


def send_settings(config: Mapping[str, Any]) -> SendSettings:
    return SendSettings(sender=config["FOIA_MAIL_FROM"], reply_base=config.get("FOIA_REPLY_ADDRESS") or None,
                        storage_root=blob_root(config), letter_cache=letter_cache_dir(config))


def mailer_for(config: Mapping[str, Any]) -> ReceiptMailer:
    """SMTP when FOIA_SMTP_URL is set, else the .eml outbox (the receipt then names the file)."""
    return mailer_from_config(config["FOIA_SMTP_URL"], config["FOIA_OUTBOX_DIR"])


class SendFailed(ValidationError):
    """The server refused the letter or could not be reached. The delivery is recorded as failed (and
    committed); ``errors["send"]`` says why, for the person who pressed Send."""

    def __init__(self, delivery: Delivery, reason: str):
        super().__init__({"send": f"The letter was not sent: {reason}. Nothing was recorded as sent; "
                                  "you can try again."})
        self.delivery = delivery


_SUBJECTS = {"request": "{law} request", "follow-up": "Follow-up on {law} request", "appeal": "{law} appeal"}


def _sender_address(sender: str) -> str:
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise ValidationError({"sender": f"FOIA_MAIL_FROM must contain an email address, not {sender!r}."})
    return address


def _subject(req: Request, version: LetterVersion) -> str:
    law = str(((version.context or {}).get("law") or {}).get("name") or "Public records")
    return f"[{req.ref}] {_SUBJECTS[version.kind].format(law=law)}: {' '.join(req.title.split())}"


def _agency_fields(agency: Agency) -> dict[str, str]:
    """The addresses a letter may be emailed to. The FOIA address only when the office takes requests by
    email (`foia.agencies.directory.filing_methods`: an agency whose data says "portal" or "mail" is not
    emailed even when an address is on record); an appeal's own address whenever the agency has one."""
    takes_email = "email" in filing_methods(agency)
    return {"foia_email": (agency.foia_email or "") if takes_email else "", "appeal_email": agency.appeal_email or ""}


def agency_recipient(agency: Agency, kind: str = "request") -> str:
    """Where a letter of `kind` to `agency` is emailed ("" when the agency does not take it by email)."""
    return email_recipient(kind, _agency_fields(agency))


def recipient_for(req: Request, version: LetterVersion) -> str:
    """The agency's address for this letter ("" when it has none, or does not take requests by email)."""
    return agency_recipient(req.agency, version.kind)


def no_email_reason(agency: Agency) -> str:
    """Why a letter to `agency` cannot be emailed from here, and how it files instead."""
    how = methods_text(agency)
    if agency.foia_email and "email" not in filing_methods(agency):
        return f"{agency.name} does not take public-records requests by email; it takes them by {how.lower()}."
    if how:
        return (f"{agency.name} has no email address for public-records requests; it takes them by "
                f"{how.lower()}.")
    return f"{agency.name} has no email address for public-records requests."


def _check_to(to: str) -> str:
    try:
        return validate_email(to.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError({"to": f"{to!r} is not an email address we can send to: {exc}"}) from None


_STYLESHEET = re.compile(r'<link rel="stylesheet" href="[^"]*">\s*')


def _build(req: Request, version: LetterVersion, *, to: str, settings: SendSettings, now: datetime,
           message_id: str, sender: str) -> tuple[bytes, str, str]:
    """(raw bytes, From, Reply-To) of the letter's email."""
    if version.html is None:
        raise ValidationError({"status": "Finalize the letter before sending it."})
    pdf_path, _sha, _hit = version_pdf(version, req.law, settings.letter_cache)
    pdf = Path(pdf_path).read_bytes()
    from_header = formataddr((req.organization.name, sender))
    headers = {"X-FOIA-Tracker-Reference": req.ref}
    reply_to = ""
    if settings.reply_base:
        try:
            reply_to = reply_address(settings.reply_base, req)
        except ValueError as exc:
            raise ValidationError({"reply_to": str(exc)}) from None
        headers["Reply-To"] = reply_to
    try:
        msg = build_message(sender=from_header, to=[to], subject=_subject(req, version),
                            text=letter_text(version.html) + "\n", html=_STYLESHEET.sub("", version.html, count=1),
                            message_id=message_id, date=now, headers=headers)
    except ValueError as exc:
        raise ValidationError({"to": f"The message could not be built: {exc}"}) from None
    msg.add_attachment(pdf, maintype="application", subtype="pdf",
                       filename=f"{req.ref}-{version.kind}-v{version.version}.pdf")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")), from_header, reply_to


def _snapshot(d: Delivery) -> dict[str, Any]:
    return {"status": d.status, "to": d.to_addr, "message_id": d.message_id, "attempts": d.attempts,
            "smtp_code": d.smtp_code, "smtp_reply": d.smtp_reply, "queue_id": d.queue_id, "error": d.error}


def delivery_as_dict(d: Delivery) -> dict[str, Any]:
    """A delivery's record as plain data (for --json and the evidence bundle)."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": d.id, "kind": d.kind, "letter_version_id": d.letter_version_id, "message_id": d.message_id,
            "to": d.to_addr, "from": d.from_addr, "reply_to": d.reply_to or None, "subject": d.subject,
            "status": d.status, "attempts": d.attempts, "sent_at": iso(d.sent_at), "smtp_code": d.smtp_code,
            "smtp_reply": d.smtp_reply, "queue_id": d.queue_id, "error": d.error or None,
            "raw_sha256": d.raw_sha256, "bounced_at": iso(d.bounced_at), "bounce_reason": d.bounce_reason or None,
            "event_id": d.event_id, "created_at": iso(d.created_at), "updated_at": iso(d.updated_at)}


def delivery_for_version(session: Session, version: LetterVersion) -> Delivery | None:
    return session.scalar(select(Delivery).where(Delivery.letter_version_id == version.id)
                          .order_by(Delivery.id.desc()).limit(1))


def deliveries_for(session: Session, req: Request) -> list[Delivery]:
    """The request's deliveries, newest first."""
    return list(session.scalars(select(Delivery).where(Delivery.request_id == req.id)
                                .order_by(Delivery.created_at.desc(), Delivery.id.desc())))


def _create(session: Session, *, actor: User, now: datetime, req: Request, version: LetterVersion, to: str,
            settings: SendSettings) -> Delivery:
    sender = _sender_address(settings.sender)
    message_id = make_message_id(f"letter:{version.id}:{req.ref}", sender.rpartition("@")[2])
    raw, from_header, reply_to = _build(req, version, to=to, settings=settings, now=now, message_id=message_id,
                                        sender=sender)
    stored = open_store(settings.storage_root).put_stream(io.BytesIO(raw), max_bytes=len(raw))
    delivery = Delivery(request_id=req.id, organization_id=req.organization_id, letter_version_id=version.id,
                        kind=version.kind, message_id=message_id, to_addr=to, from_addr=from_header,
                        reply_to=reply_to, subject=_subject(req, version), status="sending", attempts=1, error="",
                        smtp_reply="", queue_id="", raw_sha256=stored.sha256, bounce_reason="",
                        sent_by_id=actor.id if actor else None, created_at=now, updated_at=now)
    session.add(delivery)
    try:
        session.flush()
    except IntegrityError:  # the same Message-ID: another request to send this version got there first
        session.rollback()
        raise ValidationError({"status": "This letter is already being sent. Reload the page to see how it went."}) \
            from None
    audit(session, actor=actor, now=now, action="create", entity=delivery, after=_snapshot(delivery))
    return delivery


def _claim_retry(session: Session, *, actor: User, now: datetime, delivery: Delivery, to: str | None,
                 settings: SendSettings) -> Delivery:
    if delivery.status in ("accepted", "bounced"):
        raise ValidationError({"status": f"This letter was already sent by email to {delivery.to_addr} "
                                         "(the server accepted it). It is never sent twice."})
    if to is not None and to != delivery.to_addr:
        raise ValidationError({"to": f"This letter was first tried to {delivery.to_addr}; a retry sends the same "
                                     "message to the same address. Start a new version to send it elsewhere."})
    if delivery.status == "sending" and delivery.updated_at > now - settings.stale_after:
        raise ValidationError({"status": "This letter is being sent right now. Reload the page in a minute "
                                         "to see how it went."})
    before = _snapshot(delivery)
    # A conditional update is the claim: of two retries at once, only one finds the row as it was.
    claimed = session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status == delivery.status,
                               Delivery.attempts == delivery.attempts)
        .values(status="sending", attempts=Delivery.attempts + 1, updated_at=now, error="")
        .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 1) != 1:
        session.rollback()
        raise ValidationError({"status": "This letter is being sent right now. Reload the page in a minute "
                                         "to see how it went."})
    session.refresh(delivery)
    audit(session, actor=actor, now=now, action="retry", entity=delivery, before=before, after=_snapshot(delivery))
    return delivery


def send_letter(session: Session, *, actor: User, now: datetime, version: LetterVersion, settings: SendSettings,
                mailer: ReceiptMailer, to: str | None = None) -> Delivery:
    """Email a final letter to its agency (or to ``to``) and record the proof; see the module docstring.

    Commits: once before contacting the server (the delivery "sending" and its stored bytes), once after
    (accepted with the "sent" event, or failed). Raises ValidationError for a letter that cannot be sent
    (nothing is written then) and SendFailed (a ValidationError) when the server refused it or could not
    be reached (the failure is recorded).
    """
    req = session.get_one(Request, version.request_id)
    if not version.is_final:
        raise ValidationError({"status": "Finalize the letter before sending it."})
    existing = delivery_for_version(session, version)
    if version.sent_at is not None:
        how = (f"by email to {existing.to_addr}" if existing is not None and existing.status in ("accepted", "bounced")
               else f"({(version.sent_method or 'another way')})")
        raise ValidationError({"status": f"Version {version.version} was already sent {how}; it is never sent twice."})
    if to is not None:
        to = _check_to(to)
    if existing is not None:
        delivery = _claim_retry(session, actor=actor, now=now, delivery=existing, to=to, settings=settings)
    else:
        address = to or recipient_for(req, version)
        if not address:
            raise ValidationError({"to": f"{no_email_reason(req.agency)} Send the letter that way (through the "
                                         "portal, by mail or by fax), then record it as sent."})
        if to is None:
            address = _check_to(address)
        delivery = _create(session, actor=actor, now=now, req=req, version=version, to=address, settings=settings)
    session.commit()  # the row and the stored bytes exist before the server hears of the message

    assert delivery.raw_sha256 is not None
    with open_store(settings.storage_root).open_blob(delivery.raw_sha256) as fh:
        raw = fh.read()
    if hashlib.sha256(raw).hexdigest() != delivery.raw_sha256:
        raise RuntimeError(f"stored message {delivery.raw_sha256} of delivery {delivery.id} is damaged")
    before = _snapshot(delivery)
    try:
        receipt = mailer.send_raw(raw, mail_from=_sender_address(settings.sender), rcpt_to=[delivery.to_addr])
    except MailError as exc:
        delivery.status, delivery.error, delivery.updated_at = "failed", str(exc)[:2000], now
        delivery.smtp_code, delivery.smtp_reply = exc.smtp_code, exc.smtp_text[:2000]
        audit(session, actor=actor, now=now, action="send_failed", entity=delivery, before=before,
              after=_snapshot(delivery))
        emit(session, event="delivery.failed", request=req, now=now, key=f"delivery.failed:{delivery.id}:{delivery.attempts}",
             details={"delivery_id": delivery.id, "letter": delivery.kind, "to": delivery.to_addr,
                      "reason": delivery.error, "bounced": False})
        session.commit()
        raise SendFailed(delivery, str(exc)) from exc

    delivery.status, delivery.error, delivery.updated_at, delivery.sent_at = "accepted", "", now, now
    delivery.smtp_code, delivery.smtp_reply, delivery.queue_id = receipt.code, receipt.text[:2000], receipt.queue_id[:200]
    event = mark_sent(session, actor=actor, now=now, version=version, method="email",
                      sent_on=now.astimezone(zone(req.agency.timezone)).date())
    delivery.event_id = event.id
    audit(session, actor=actor, now=now, action="sent", entity=delivery, before=before, after=_snapshot(delivery))
    session.commit()
    return delivery
