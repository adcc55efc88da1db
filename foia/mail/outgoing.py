"""Building outgoing messages: validated headers, text + HTML alternatives, deterministic Message-IDs."""

from __future__ import annotations

import binascii
import email.headerregistry
import email.policy
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses
from functools import lru_cache

# Headers build_message sets itself; passing them in ``headers`` is a mistake, not an override.
_MANAGED_HEADERS = {
    "from", "to", "cc", "bcc", "subject", "message-id", "date", "mime-version",
    "content-type", "content-transfer-encoding", "content-disposition",
}
# RFC 5322 field name: printable US-ASCII except colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


def _reject_line_breaks(what: str, value: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"{what} must not contain line breaks or NUL characters: {value!r}")


@lru_cache(maxsize=4096)
def _parse_addresses(value: str) -> tuple[tuple[str, str], ...]:
    """``getaddresses`` (the stdlib's parser, ~0.2 ms a call) once per distinct value: a sweep mails the same
    sender and a few hundred people over and over."""
    return tuple(getaddresses([value]))


def _check_address(what: str, value: str) -> None:
    """One mailbox, e.g. ``clerk@agency.gov`` or ``Records Office <clerk@agency.gov>``."""
    _reject_line_breaks(what, value)
    parsed = _parse_addresses(value)
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{what} is not a single email address: {value!r}")
    local, _, domain = parsed[0][1].rpartition("@")
    if not local or not domain:
        raise ValueError(f"{what} is not a valid email address: {value!r}")


def make_message_id(key: str, domain: str) -> str:
    """A Message-ID that depends only on ``key`` and ``domain``: ``<32 hex chars@domain>``.

    Use a key naming the thing being mailed (e.g. ``reminder:1234``), so a message re-sent after a
    crash between "sent" and "marked sent" carries the same Message-ID and receivers can de-duplicate.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("message id key must be a non-empty string")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise ValueError(f"message id domain must be a host name like 'foia.example.org', got {domain!r}")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _validate(*, sender: str, to: list[str], subject: str, text: str, message_id: str,
              date: datetime | None) -> datetime:
    """Checks shared by ``build_message`` and ``render_message``; returns the (aware) date to use."""
    _check_address("sender", sender)
    if isinstance(to, str) or not to:
        raise ValueError("to must be a non-empty list of addresses")
    for address in to:
        _check_address("recipient", address)
    _reject_line_breaks("subject", subject)
    _reject_line_breaks("message id", message_id)
    if not _MESSAGE_ID.match(message_id) or not message_id.isascii() or "\\" in message_id:
        raise ValueError(f"message id must look like <id@domain> in ASCII without backslashes, got {message_id!r}")
    if date is None:
        date = datetime.now(UTC)
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    if not isinstance(text, str):
        raise ValueError("text must be a string")

    return date


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """An email ready for a Mailer: text/plain, or multipart/alternative (text then HTML) when ``html`` is given.

    ``message_id`` is used exactly as given (``<id@domain>``). ``date`` must be timezone-aware; when
    omitted the current UTC time is used (domain code should pass its ``now``). Extra ``headers``
    (e.g. ``Reply-To``, ``X-FOIA-Request``) may not replace the ones set here. Any CR/LF in a header
    value, a malformed address or header name raises ValueError.
    """
    date = _validate(sender=sender, to=to, subject=subject, text=text, message_id=message_id, date=date)

    # No folding below RFC 5322's 998-character limit: CPython folds some subjects right after
    # "Subject:", which many readers then show with a leading space.
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in _extra_headers(headers):
        msg[name] = value

    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _extra_headers(headers: dict[str, str] | None) -> list[tuple[str, str]]:
    checked = []
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValueError(f"invalid header name: {name!r}")
        if name.lower() in _MANAGED_HEADERS:
            raise ValueError(f"header {name!r} is set by build_message and cannot be passed in headers")
        _reject_line_breaks(f"header {name}", value)
        checked.append((name, value))
    return checked


@dataclass(frozen=True)
class OutgoingMail:
    """A message as it goes on the wire (CRLF line ends) with its envelope: what ``render_message`` makes
    and what a mailer's ``send_raw`` takes."""

    data: bytes
    mail_from: str
    rcpt_to: list[str]
    message_id: str


def render_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> OutgoingMail:
    """The same message as ``build_message`` (same arguments, same checks, same headers and parts), written
    straight to bytes: for bulk mail such as the reminder sweep.

    ``build_message`` goes through ``email.policy.default`` (a header object per header, a generator that
    re-folds everything): about 1-2 ms per reminder, the largest cost of a sweep after the database. Here
    every header value has already been checked, so it is written as is (non-ASCII text as RFC 2047
    encoded words, by the stdlib's ``email.header``), and each body part is quoted-printable UTF-8 (the
    stdlib's ``binascii.b2a_qp``), which keeps every line under 77 characters. Readers parse it exactly as
    the ``build_message`` version (tests/mail/test_mail_render.py checks both side by side).
    """
    date = _validate(sender=sender, to=to, subject=subject, text=text, message_id=message_id, date=date)
    if html is not None and not isinstance(html, str):
        raise ValueError("html must be a string")
    extra = _extra_headers(headers)
    lines = [
        _header("From", _mailbox(sender)),
        _header("To", ", ".join(_mailbox(a) for a in to)),
        _header("Subject", subject),
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        *(_header(name, value) for name, value in extra),
        "MIME-Version: 1.0",
    ]
    if html is None:
        lines += _PART_HEADERS["plain"]
        body = _qp(text)
    else:
        boundary = f"=_{secrets.token_hex(16)}"  # "=_" never occurs in quoted-printable text
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        delimiter = f"--{boundary}\r\n".encode("ascii")
        body = (delimiter + _part("plain", text) + b"\r\n" + delimiter + _part("html", html) + b"\r\n"
                + f"--{boundary}--\r\n".encode("ascii"))
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return OutgoingMail(data=head + body, mail_from=_address(sender), rcpt_to=[_address(a) for a in to],
                        message_id=message_id)


_PART_HEADERS = {sub: [f'Content-Type: text/{sub}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]
                 for sub in ("plain", "html")}


def _part(subtype: str, content: str) -> bytes:
    return ("\r\n".join(_PART_HEADERS[subtype]) + "\r\n\r\n").encode("ascii") + _qp(content)


def _qp(content: str) -> bytes:
    """UTF-8, quoted-printable, CRLF line ends, ending with a line end (as the stdlib's set_content does)."""
    try:
        raw = content.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    except UnicodeError as exc:
        raise ValueError(f"the message text cannot be encoded as UTF-8 ({exc})") from None
    if not raw.endswith(b"\n"):
        raw += b"\n"
    return binascii.b2a_qp(raw, istext=True).replace(b"\n", b"\r\n")


def _header(name: str, value: str) -> str:
    """``Name: value``; RFC 2047 encoded words (by email.header) when the value is not plain ASCII or would
    make the line longer than RFC 5322's 998 characters."""
    if value.isascii() and len(name) + 2 + len(value) <= 998:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, maxlinelen=998, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}"


def _address(value: str) -> str:
    return _parse_addresses(value)[0][1]


def _mailbox(value: str) -> str:
    """One checked mailbox written for a header: the display name quoted or RFC 2047-encoded as needed.
    A non-ASCII address is written as is (an SMTPUTF8 message, which the transport checks for)."""
    name, addr = _parse_addresses(value)[0]
    if not name:
        return addr
    shown = formataddr((name, "a@a"))[: -len(" <a@a>")]
    return f"{shown} <{addr}>"


class _CachedHeaderRegistry(email.headerregistry.HeaderRegistry):
    """The stdlib registry builds a new header class on every lookup (dozens per message);
    caching the class per header name makes building a message about twice as fast."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._cache.get(key)
        if cls is None:
            cls = self._cache[key] = super().__getitem__(name)
        return cls


_POLICY = email.policy.default.clone(max_line_length=998, header_factory=_CachedHeaderRegistry())

__all__ = ["OutgoingMail", "build_message", "make_message_id", "render_message"]
