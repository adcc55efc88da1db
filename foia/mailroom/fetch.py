"""Fetching agency replies from the city's mailbox over IMAP.

`fetch_mail(...)` logs in (FOIA_IMAP_URL: ``imaps://user:pass@host[:port]/Folder``, TLS with certificates
verified; ``imap://`` only to a loopback host), selects the folder and takes every message that does not
carry the keyword ``$FoiaTracked``. Each message is read (BODY.PEEK: it stays unread for people using the
mailbox), processed in the database and committed, and only then marked ``$FoiaTracked`` on the server.

Why a keyword on the server where the server accepts one (PERMANENTFLAGS with ``\\*``: Dovecot, Gmail,
Fastmail, Cyrus...): the mark travels with the message (moving it, or the server renumbering UIDs, cannot make
it be skipped or re-read silently) and people can see which messages the tracker took. Servers that refuse
custom keywords (Microsoft 365 / Exchange) are read by UID instead: a `MailboxCursor` row keeps the last UID
taken for the folder and its UIDVALIDITY, advanced after each message's commit (a crash in between re-reads
that one message, which is then a duplicate); a new UIDVALIDITY starts the folder again from the first
message, and the Message-ID de-duplication keeps that from logging anything twice. In that mode a message
that cannot be processed stops the poll at it (it is tried again first next time), so nothing behind it is
skipped.

Exactly once per Message-ID per organization: a message without a Message-ID gets a stable synthetic one
from the SHA-256 of its bytes. A crash between reading and committing loses nothing (the message is still
unmarked and is processed at the next poll); a crash between committing and marking re-reads it, finds it
already logged (a duplicate: nothing is written) and marks it.

Matching, in order: (a) our per-request reply address (records+<ref>.<token>@...) in To, Cc, Delivered-To or
X-Original-To with the request's token (a wrong token never matches that request, by any rule); (b) In-Reply-To
/ References naming a letter we mailed (Delivery.message_id) or an outgoing communication; (c) our reference
FT-YYYY-NNNN in the subject or body; (d) the agency's tracking number when it names exactly one request.
A matched reply is logged as an incoming "note" to classify (it moves no clock) with a suggested kind; a
bounce of a letter we mailed is recorded on its Delivery (foia.mailroom.bounces); anything else waits in
unmatched mail (never dropped).
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from foia.communications.service import TO_CLASSIFY
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.documents.service import cleanup_blobs
from foia.documents.storage import UploadRejected
from foia.documents.stores import open_store
from foia.mail import EmailParseError, ParsedEmail, find_references, parse_eml
from foia.mailroom.addresses import tagged_references, token_matches
from foia.mailroom.bounces import BounceNotifier, delivery_for, detect_bounce, record_bounce
from foia.mailroom.classify import suggest_kind
from foia.mailroom.imports import TRACKING_TOKEN, log_email
from foia.models import Communication, Delivery, MailboxCursor, Request, UnmatchedMail
from foia.reminders.dispatch import mailer_for

log = logging.getLogger("foia.mailroom.fetch")

PROCESSED = "$FoiaTracked"
SYNTHETIC_DOMAIN = "synthetic.foia-tracker.invalid"
_ADDRESS_HEADERS = {"to", "cc", "delivered-to", "x-original-to"}


class MailboxError(Exception):
    """The mailbox cannot be used: bad URL, unreachable, refused login, a folder that does not exist.
    The message never contains the password."""


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    tls: bool
    user: str
    password: str = field(repr=False)
    folder: str

    @property
    def safe_url(self) -> str:
        return f"{'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.folder}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_imap_url(url: str) -> ImapTarget:
    """``imaps://user:password@host[:port]/Folder`` (user and password percent-encoded; folder INBOX when
    omitted). ``imap://`` (no TLS) is refused unless the host is the loopback interface."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise MailboxError("FOIA_IMAP_URL is not a valid URL (expected imaps://user:password@host/INBOX)") from exc
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise MailboxError("FOIA_IMAP_URL must look like imaps://user:password@host:993/INBOX")
    if not parts.username or parts.password is None:
        raise MailboxError("FOIA_IMAP_URL must include the mailbox's user name and password")
    tls = parts.scheme == "imaps"
    if not tls and not _is_loopback(parts.hostname):
        raise MailboxError(f"imap:// sends the password unencrypted; use imaps:// for {parts.hostname} "
                           "(plain imap:// is only allowed to this machine, 127.0.0.1)")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(parts.hostname, port or (993 if tls else 143), tls, unquote(parts.username),
                      unquote(parts.password), folder)


@dataclass
class FetchResult:
    fetched: int = 0     # messages read from the mailbox
    logged: int = 0      # replies logged on a request (to classify)
    unmatched: int = 0   # kept in unmatched mail
    duplicates: int = 0  # already processed (nothing written; marked now)
    bounces: int = 0     # bounces recorded on the letter's delivery
    errors: list[str] = field(default_factory=list)  # messages that could not be processed (left unmarked)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Called after a bounce is committed: notify(session, delivery, now) emails whoever sent the letter.
Notify = Callable[[Session, Delivery, datetime], Any]


def synthetic_message_id(data: bytes) -> str:
    """A stable Message-ID for a message that has none (as parse_eml gives them: no angle brackets): the
    SHA-256 of its bytes, line endings normalised (servers store CRLF; a saved copy may have LF)."""
    digest = hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()
    return f"sha256-{digest[:48]}@{SYNTHETIC_DOMAIN}"


def _scrub(text: str, target: ImapTarget) -> str:
    return text.replace(target.password, "***") if target.password else text


def _connect(target: ImapTarget, timeout: float) -> tuple[IMAPClient, dict[bytes, Any]]:
    try:
        client = IMAPClient(target.host, port=target.port, ssl=target.tls,
                            ssl_context=ssl.create_default_context() if target.tls else None, timeout=timeout)
    except (OSError, IMAPClientError) as exc:
        raise MailboxError(f"Cannot reach the mailbox {target.safe_url}: {_scrub(str(exc), target)}") from None
    try:
        client.login(target.user, target.password)
        info = client.select_folder(target.folder)
    except (OSError, IMAPClientError) as exc:
        try:
            client.logout()
        except Exception:
            pass
        raise MailboxError(f"The mailbox {target.safe_url} refused: {_scrub(str(exc), target)}") from None
    return client, info


def _accepts_keywords(info: Mapping[bytes, Any]) -> bool:
    flags = info.get(b"PERMANENTFLAGS", ())
    return b"\\*" in flags or PROCESSED.encode() in flags


def fetch_mail(session: Session, *, now: datetime, imap_url: str, reply_base: str | None,
               storage_root: str | Path, max_bytes: int, notify: Notify | None = None, limit: int = 200,
               timeout: float = 30, by_uid: bool = False) -> FetchResult:
    """Poll the mailbox once (at most `limit` messages). Raises MailboxError when the mailbox cannot be
    used; a message that fails to process is rolled back, left unmarked and named in `errors`. Messages are
    marked with a keyword, or read by UID (`MailboxCursor`) where the server refuses keywords or `by_uid`."""
    target = parse_imap_url(imap_url)
    result = FetchResult()
    client, info = _connect(target, timeout)
    cursor = None if (_accepts_keywords(info) and not by_uid) else _cursor(session, target, info, now)
    try:
        try:
            if cursor is None:
                uids = sorted(client.search(["NOT", "KEYWORD", PROCESSED]))[:limit]
            else:
                after = cursor.last_uid
                uids = sorted(u for u in client.search(["UID", f"{after + 1}:*"]) if u > after)[:limit]
        except (OSError, IMAPClientError) as exc:
            raise MailboxError(f"Searching {target.safe_url} failed: {_scrub(str(exc), target)}") from None
        for uid in uids:
            try:
                data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
            except (OSError, IMAPClientError) as exc:
                raise MailboxError(f"Reading message {uid} from {target.safe_url} failed: "
                                   f"{_scrub(str(exc), target)}") from None
            if data is None:  # expunged meanwhile by someone else
                continue
            result.fetched += 1
            try:
                outcome, bounced = process_message(session, now=now, data=data, reply_base=reply_base,
                                                   storage_root=storage_root, max_bytes=max_bytes)
            except Exception as exc:
                session.rollback()
                log.exception("message UID %s could not be processed; it stays unmarked and is tried again", uid)
                result.errors.append(f"message {uid}: {exc}")
                if cursor is not None:
                    break  # reading by UID: nothing behind an unprocessed message may be passed over
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)
            if bounced is not None and notify is not None:
                try:
                    notify(session, bounced, now)
                    bounced.bounce_notified_at = now  # told (or nobody to tell): never twice
                    session.commit()
                except Exception as exc:
                    session.rollback()
                    log.exception("could not notify the sender of bounced delivery %s", bounced.id)
                    result.errors.append(f"notice of bounced delivery {bounced.id}: {exc}")
                    # Left unmarked: the next poll sees the bounce again (a duplicate) and retries the notice.
                    if cursor is not None:
                        break
                    continue
            if cursor is not None:
                cursor.last_uid, cursor.updated_at = uid, now
                session.commit()
                continue
            try:
                client.add_flags([uid], [PROCESSED.encode()], silent=True)
            except (OSError, IMAPClientError) as exc:
                raise MailboxError(f"Marking message {uid} in {target.safe_url} failed (it is recorded and "
                                   f"will be recognised next time): {_scrub(str(exc), target)}") from None
    finally:
        try:
            client.logout()
        except Exception:
            pass
    return result


def _cursor(session: Session, target: ImapTarget, info: Mapping[bytes, Any], now: datetime) -> MailboxCursor:
    """The folder's read position, started again (from UID 1) when the server's UIDVALIDITY changed."""
    key = f"{target.user}@{target.host}:{target.port}/{target.folder}"[:300]
    validity = int(info.get(b"UIDVALIDITY", 0) or 0)
    cursor = session.get(MailboxCursor, key)
    if cursor is None:
        cursor = MailboxCursor(key=key, uidvalidity=validity, last_uid=0, updated_at=now)
        session.add(cursor)
    elif cursor.uidvalidity != validity:
        log.warning("UIDVALIDITY of %s changed (%s -> %s): reading it again from the first message "
                    "(already logged mail is recognised by its Message-ID)", target.safe_url, cursor.uidvalidity, validity)
        cursor.uidvalidity, cursor.last_uid, cursor.updated_at = validity, 0, now
    session.commit()
    return cursor


# ---------------------------------------------------------------- one message


def _addresses(parsed: ParsedEmail) -> list[str]:
    return [value for name, value in parsed.headers if name.lower() in _ADDRESS_HEADERS]


def match_reply(session: Session, parsed: ParsedEmail, reply_base: str | None) -> tuple[Request | None, str]:
    """The request a reply belongs to (rules (a)-(d) of the module docstring), and the tracking number
    that matched it under rule (d)."""
    excluded: set[int] = set()
    # (a) our per-request reply address, with the request's token
    for ref, token in tagged_references(reply_base, _addresses(parsed)):
        req = session.scalar(select(Request).where(Request.ref == ref))
        if req is None:
            continue
        if token_matches(req, token):
            return req, ""
        excluded.add(req.id)  # a forged or stale token: never this request
    # (b) a reply to a letter we mailed, or to an outgoing communication
    ids = [m for m in ([parsed.in_reply_to] if parsed.in_reply_to else []) + list(parsed.references) if m]
    if ids:
        candidates = list(dict.fromkeys(v for m in ids for v in (m, f"<{m}>")))
        for rid in session.scalars(select(Delivery.request_id).where(Delivery.message_id.in_(candidates))
                                   .order_by(Delivery.id)):
            if rid not in excluded:
                return session.get_one(Request, rid), ""
        for rid in session.scalars(select(Communication.request_id).where(
                Communication.message_id.in_(candidates), Communication.direction == "outgoing")
                .order_by(Communication.id)):
            if rid not in excluded:
                return session.get_one(Request, rid), ""
    haystack = f"{parsed.subject or ''}\n{parsed.text or ''}"
    # (c) our reference
    refs = find_references(haystack)
    if refs:
        by_ref = {r.ref: r for r in session.scalars(select(Request).where(Request.ref.in_(refs)))}
        for ref in refs:
            if ref in by_ref and by_ref[ref].id not in excluded:
                return by_ref[ref], ""
    # (d) the agency's tracking number, only when it names exactly one request
    tokens = sorted(set(TRACKING_TOKEN.findall(haystack.upper())) - set(refs))[:200]
    if tokens:
        found = list(session.scalars(select(Request).where(Request.tracking_number.in_(tokens)).limit(2)))
        if len(found) == 1 and found[0].id not in excluded:
            return found[0], found[0].tracking_number
    return None, ""


def _already(session: Session, mid: str, organization_id: int | None) -> bool:
    if organization_id is not None and session.scalar(select(Communication.id).where(
            Communication.organization_id == organization_id, Communication.message_id == mid)):
        return True
    org = UnmatchedMail.organization_id.is_(None) if organization_id is None else or_(
        UnmatchedMail.organization_id.is_(None), UnmatchedMail.organization_id == organization_id)
    return session.scalar(select(UnmatchedMail.id).where(UnmatchedMail.message_id == mid, org)) is not None


def _header(data: bytes, name: str) -> str:
    try:
        return str(BytesHeaderParser().parsebytes(data).get(name, "") or "")
    except Exception:
        return ""


def process_message(session: Session, *, now: datetime, data: bytes, reply_base: str | None,
                    storage_root: str | Path, max_bytes: int) -> tuple[str, Delivery | None]:
    """Process one message and commit. Returns the FetchResult counter it adds to ("logged", "unmatched",
    "duplicates", "bounces") and the Delivery newly marked bounced, if any. On any error everything is
    rolled back (files stored for it and used by nothing else removed) and the error raised."""
    try:
        parsed: ParsedEmail | None = parse_eml(data)
    except EmailParseError:
        parsed = None  # kept as unmatched mail all the same
    mid = (parsed.message_id if parsed else None) or synthetic_message_id(data)
    store = open_store(storage_root)
    new_shas: set[str] = set()
    try:
        bounce = detect_bounce(data)
        delivery = delivery_for(session, bounce) if bounce else None
        if bounce is not None and delivery is not None:
            if not record_bounce(session, now=now, delivery=delivery, bounce=bounce):
                session.rollback()
                # Seen before; if the notice was not sent then (a crash after the commit), send it now.
                return "duplicates", (delivery if delivery.bounce_notified_at is None else None)
            session.commit()
            return "bounces", delivery

        req, tracking = match_reply(session, parsed, reply_base) if parsed else (None, "")
        if _already(session, mid, req.organization_id if req else None):
            session.rollback()
            return "duplicates", None
        raw = store.put_stream(io.BytesIO(data), max_bytes=max_bytes)
        if not raw.deduplicated:
            new_shas.add(raw.sha256)
        if req is None or parsed is None:
            subject = parsed.subject if parsed else (_header(data, "Subject") or "(an email we could not read)")
            from_addr = parsed.from_addr if parsed else _header(data, "From")
            session.add(UnmatchedMail(organization_id=None, message_id=mid, subject=(subject or "")[:500],
                                      from_addr=(from_addr or "")[:300], received_at=parsed.date if parsed else None,
                                      raw_sha256=raw.sha256, size=raw.size, imported_by_id=None, created_at=now))
            session.commit()
            return "unmatched", None
        log_email(session, actor=None, now=now, req=req, parsed=parsed, message_id=mid, raw_sha256=raw.sha256,
                  tracking=tracking, kind="note", storage_root=storage_root, max_bytes=max_bytes,
                  new_shas=new_shas, review_status=TO_CLASSIFY,
                  suggested_kind=suggest_kind(parsed.subject or "", parsed.text or ""))
        session.commit()
        return "logged", None
    except BaseException as exc:
        session.rollback()
        cleanup_blobs(session, store, new_shas)
        if isinstance(exc, UploadRejected):
            raise ValidationError({"file": exc.message}) from exc
        raise


def poll_mailbox(session: Session, *, now: datetime, config: Mapping[str, Any]) -> FetchResult:
    """One poll of the configured mailbox (FOIA_IMAP_URL), bounces notified through the configured mailer
    (SMTP, or the .eml outbox). Used by `flask foia mail fetch` and the scheduler."""
    if not config.get("FOIA_IMAP_URL"):
        raise MailboxError("FOIA_IMAP_URL is not set: there is no mailbox to fetch from.")
    notify = BounceNotifier(mailer_for(config), config["FOIA_MAIL_FROM"], config["FOIA_BASE_URL"])
    return fetch_mail(session, now=now, imap_url=config["FOIA_IMAP_URL"], reply_base=config.get("FOIA_REPLY_ADDRESS"),
                      storage_root=blob_root(config), max_bytes=int(config["FOIA_MAX_UPLOAD_BYTES"]), notify=notify)
