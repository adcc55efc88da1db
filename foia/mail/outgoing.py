"""Building outgoing messages: validated headers, text + HTML alternatives, deterministic Message-IDs."""

from __future__ import annotations

import email.headerregistry
import email.policy
import hashlib
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

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


def _check_address(what: str, value: str) -> None:
    """One mailbox, e.g. ``clerk@agency.gov`` or ``Records Office <clerk@agency.gov>``."""
    _reject_line_breaks(what, value)
    parsed = getaddresses([value])
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

    # No folding below RFC 5322's 998-character limit: CPython folds some subjects right after
    # "Subject:", which many readers then show with a leading space.
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValueError(f"invalid header name: {name!r}")
        if name.lower() in _MANAGED_HEADERS:
            raise ValueError(f"header {name!r} is set by build_message and cannot be passed in headers")
        _reject_line_breaks(f"header {name}", value)
        msg[name] = value

    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


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

__all__ = ["build_message", "make_message_id"]
