"""What every mailer shares: the Mailer protocols and the server's receipt (code, text, queue id)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Protocol, runtime_checkable

from foia.mail.errors import MailError


@runtime_checkable
class Mailer(Protocol):
    def send(self, msg: EmailMessage) -> None:
        """Deliver ``msg`` or raise MailError."""


@dataclass(frozen=True)
class SendReceipt:
    """The server's answer to the end of DATA, e.g. ``250`` / ``2.0.0 Ok: queued as 4F3A2B`` / ``4F3A2B``."""

    code: int
    text: str
    queue_id: str = ""


@runtime_checkable
class ReceiptMailer(Protocol):
    def send_with_receipt(self, msg: EmailMessage) -> SendReceipt:
        """Deliver ``msg`` and return the server's answer, or raise MailError."""

    def send_raw(self, data: bytes, *, mail_from: str, rcpt_to: list[str]) -> SendReceipt:
        """Deliver exactly ``data`` (a whole message, CRLF line ends) to ``rcpt_to``, or raise MailError."""


_QUEUED_AS = re.compile(r"\bqueued as\s+([A-Za-z0-9][A-Za-z0-9._:-]{0,120})", re.IGNORECASE)


def parse_queue_id(text: str) -> str:
    """The queue id in a DATA reply (``2.0.0 Ok: queued as 4F3A2B`` -> ``4F3A2B``), or ``""``."""
    match = _QUEUED_AS.search(text or "")
    return match.group(1) if match else ""


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent on the wire: CRLF line ends. Raises MailError if it cannot be serialised."""
    try:
        return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    except (UnicodeError, ValueError, TypeError) as exc:
        raise MailError(f"the message cannot be serialised ({exc})") from exc


def envelope_of(msg: EmailMessage) -> tuple[str, list[str]]:
    """(MAIL FROM, RCPT TO) for a message: its From address and every To/Cc/Bcc address."""
    senders = [addr for _, addr in getaddresses([str(v) for v in msg.get_all("From", [])]) if addr]
    recipients = [addr for _, addr in getaddresses([str(v) for name in ("To", "Cc", "Bcc")
                                                    for v in msg.get_all(name, [])]) if addr]
    if not senders or not recipients:
        raise MailError("the message needs a From address and at least one recipient")
    return senders[0], recipients
