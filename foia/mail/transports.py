"""Where outgoing mail goes: an SMTP server, or .eml files in an outbox folder (local/dev default).

Both sit behind ``Mailer``: ``send(msg)`` returns None or raises ``MailError``. Both also offer
``send_with_receipt(msg)`` and ``send_raw(data, mail_from=..., rcpt_to=[...])`` (``ReceiptMailer``), which
return the server's final answer as a ``SendReceipt`` (code, text, queue id): the proof of delivery kept for
letters mailed to agencies. ``send_raw`` sends exactly the given bytes, so a retry can re-send a stored message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from foia.core.files import atomic_write
from foia.mail.errors import MailError

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "tls"]
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


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


def _redact(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return parts._replace(netloc=f"{user}:***@{netloc[1]}").geturl()


@dataclass(frozen=True)
class SMTPMailer:
    """Sends through an SMTP server, opening one connection per message.

    One connection per send (rather than a kept-open connection) because mail here is low volume
    (a reminder sweep every few minutes): there is no idle connection for the server to drop, no
    reconnect logic, and nothing shared between threads or scheduler runs.
    """

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_url(cls, url: str, timeout: float = 30, ssl_context: ssl.SSLContext | None = None) -> SMTPMailer:
        """``smtp://[user[:password]@]host[:port][?starttls=1]`` or ``smtps://...``.

        smtp: port 25 by default, plain unless ``?starttls=1`` or port 587 (``?starttls=0`` turns that off).
        smtps: implicit TLS, port 465 by default. User and password are percent-decoded, so a password
        containing ``@`` or ``:`` is written ``%40`` / ``%3A``. ``ssl_context`` defaults to the system
        trust store with host name checking.
        """
        shown = _redact(url) if isinstance(url, str) else repr(url)
        if not isinstance(url, str) or not url.strip():
            raise ValueError("SMTP URL is empty; expected smtp://[user[:password]@]host[:port]")
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"invalid SMTP URL {shown}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"invalid SMTP URL {shown}: scheme must be smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError(f"invalid SMTP URL {shown}: no host name")
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError(f"invalid SMTP URL {shown}: unexpected path or fragment")
        port = port or _DEFAULT_PORTS[scheme]

        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError:
            raise ValueError(f"invalid SMTP URL {shown}: malformed query string") from None
        unknown = set(query) - {"starttls"}
        if unknown:
            raise ValueError(f"invalid SMTP URL {shown}: unknown option(s) {', '.join(sorted(unknown))}")
        starttls: bool | None = None
        if "starttls" in query:
            value = query["starttls"][-1].lower()
            if value not in _TRUE | _FALSE:
                raise ValueError(f"invalid SMTP URL {shown}: starttls must be 1 or 0, got {value!r}")
            starttls = value in _TRUE

        if scheme == "smtps":
            if starttls:
                raise ValueError(f"invalid SMTP URL {shown}: smtps:// already uses TLS; drop ?starttls=1")
            security: Security = "tls"
        elif starttls or (starttls is None and port == 587):
            security = "starttls"
        else:
            security = "none"

        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if password and not username:
            raise ValueError(f"invalid SMTP URL {shown}: password given without a user name")
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=username,
            password=password,
            timeout=timeout,
            ssl_context=ssl_context,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, smtplib.SMTPResponseException):
            detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            reason = f"server replied {exc.smtp_code} {detail}"
        elif isinstance(exc, smtplib.SMTPRecipientsRefused):
            reason = "all recipients refused: " + ", ".join(sorted(exc.recipients))
        else:
            reason = str(exc) or type(exc).__name__
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            reason = f"authentication failed for user {self.username!r}: {reason}"
        if self.password:
            reason = reason.replace(self.password, "***")
        return reason

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=self._context())  # raises if the server does not offer it: no silent downgrade
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    @staticmethod
    def _quit(client: smtplib.SMTP | None) -> None:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _error(self, exc: BaseException) -> MailError:
        code: int | None = None
        text = ""
        if isinstance(exc, smtplib.SMTPResponseException):
            code = exc.smtp_code
            raw = exc.smtp_error
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        elif isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
            first = next(iter(exc.recipients.values()))
            code = first[0]
            text = first[1].decode("utf-8", "replace") if isinstance(first[1], bytes) else str(first[1])
            reason = self._reason(exc) + f" ({code} {text})"
            if self.password:
                reason, text = reason.replace(self.password, "***"), text.replace(self.password, "***")
            return MailError(f"could not send mail via {self.address}: {reason}", smtp_code=code, smtp_text=text)
        if self.password:
            text = text.replace(self.password, "***")
        return MailError(f"could not send mail via {self.address}: {self._reason(exc)}", smtp_code=code,
                         smtp_text=text)

    def send_with_receipt(self, msg: EmailMessage) -> SendReceipt:
        """Send ``msg`` and return the server's answer to DATA (see ``send_raw``)."""
        mail_from, rcpt_to = envelope_of(msg)
        return self.send_raw(message_bytes(msg), mail_from=mail_from, rcpt_to=rcpt_to)

    def send_raw(self, data: bytes, *, mail_from: str, rcpt_to: list[str]) -> SendReceipt:
        """Send exactly ``data`` with MAIL FROM / RCPT TO / DATA on one connection and return the final reply.

        Any refusal (sender, every recipient, or the message itself) or a connection failure raises
        MailError carrying the server's code and text when there is one. Some recipients refused while
        others took the message is logged, not raised (raising would make the caller mail the others twice).
        """
        if not rcpt_to:
            raise MailError("no recipients")
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            client.ehlo_or_helo_if_needed()
            options = ["SMTPUTF8"] if not data.isascii() and client.has_extn("smtputf8") else []
            if not mail_from.isascii() and not options:
                raise MailError(f"could not send mail via {self.address}: the server does not accept "
                                "non-ASCII addresses (no SMTPUTF8)")
            code, resp = client.mail(mail_from, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, resp, mail_from)
            refused: dict[str, tuple[int, bytes]] = {}
            for addr in rcpt_to:
                code, resp = client.rcpt(addr)
                if code not in (250, 251):
                    refused[addr] = (code, resp)
            if len(refused) == len(rcpt_to):
                client.rset()
                raise smtplib.SMTPRecipientsRefused(refused)
            code, resp = client.data(data)  # raises SMTPDataError if the server refuses DATA itself
            if code != 250:  # the answer to the message: smtplib returns it, the refusal is ours to raise
                client.rset()
                raise smtplib.SMTPDataError(code, resp)
        except MailError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from exc
        finally:
            self._quit(client)
        if refused:
            log.warning("mail to %s: recipients refused by %s: %s", rcpt_to, self.address, refused)
        text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
        text = " ".join(text.split())
        return SendReceipt(code=code, text=text, queue_id=parse_queue_id(text))

    def send(self, msg: EmailMessage) -> None:
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            refused = client.send_message(msg)
        except UnicodeError as exc:
            raise MailError(f"could not send mail via {self.address}: the message cannot be encoded ({exc})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # The original exception is chained for tracebacks; smtplib exceptions never carry the password.
            raise self._error(exc) from exc
        finally:
            self._quit(client)
        if refused:
            # Some recipients took the message. Raising would make the caller retry and mail the
            # others twice, so log instead (the server will usually bounce to the sender as well).
            log.warning("mail %s: recipients refused by %s: %s", msg["Message-ID"], self.address, refused)


# ---------------------------------------------------------------- outbox


@dataclass(frozen=True)
class OutboxEntry:
    filename: str
    subject: str
    to: list[str]
    date: datetime | None
    message_id: str | None
    size: int


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def outbox_filename(message_id: str) -> str:
    """``<abc@foia.example.org>`` -> ``abc_foia.example.org.eml``.

    Only ``[A-Za-z0-9._-]`` survive; when anything else had to be replaced (besides the ``@``) or the
    name was shortened, a short hash of the full Message-ID is added so two different IDs never share a file.
    """
    core = message_id.strip().strip("<>").strip()
    cleaned = _UNSAFE.sub("_", core).lstrip(".-")
    lossy = cleaned != core.replace("@", "_") or len(cleaned) > 150 or not cleaned
    if lossy:
        digest = hashlib.sha256(message_id.strip().encode("utf-8", "surrogatepass")).hexdigest()[:12]
        cleaned = f"{cleaned[:150]}-{digest}".lstrip("-")
    return f"{cleaned}.eml"


class OutboxMailer:
    """Writes each message as ``<sanitised Message-ID>.eml`` in ``directory``.

    Writes are atomic (temporary file in the same folder, fsync, ``os.replace``), so a reader never
    sees half a message, and sending the same Message-ID twice leaves one file.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.directory)!r})"

    def send(self, msg: EmailMessage) -> None:
        message_id = msg["Message-ID"]
        if not message_id:
            raise MailError("cannot write to the outbox: the message has no Message-ID")
        target = self.directory / outbox_filename(str(message_id))
        try:
            data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        except (UnicodeError, ValueError, TypeError) as exc:
            raise MailError(f"cannot write {message_id} to the outbox: the message cannot be serialised ({exc})") from exc
        self._write(target, data)

    def _write(self, target: Path, data: bytes) -> None:
        try:
            atomic_write(target, data)
        except OSError as exc:
            raise MailError(f"could not write {target.name} to the outbox {self.directory}: {exc}") from exc

    def send_with_receipt(self, msg: EmailMessage) -> SendReceipt:
        """Write ``msg`` to the outbox; the receipt (code 250) names the file."""
        self.send(msg)
        name = outbox_filename(str(msg["Message-ID"]))
        return SendReceipt(code=250, text=f"written to the outbox as {name}", queue_id=name)

    def send_raw(self, data: bytes, *, mail_from: str, rcpt_to: list[str]) -> SendReceipt:
        """Write exactly ``data`` to the outbox, named by its Message-ID header (the envelope is not kept)."""
        headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
        message_id = headers["Message-ID"]
        if not message_id:
            raise MailError("cannot write to the outbox: the message has no Message-ID")
        name = outbox_filename(str(message_id))
        self._write(self.directory / name, data)
        return SendReceipt(code=250, text=f"written to the outbox as {name}", queue_id=name)


def _check_outbox_name(filename: str) -> None:
    if (
        not isinstance(filename, str)
        or not filename.endswith(".eml")
        or any(ch in filename for ch in "/\\\x00")
        or filename.startswith(".")
    ):
        raise ValueError(f"not an outbox file name: {filename!r}")


def _header_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_outbox(directory: str | os.PathLike[str]) -> list[OutboxEntry]:
    """The messages in the outbox, newest (by Date header, else file time) first. A missing folder is empty."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    parser = BytesParser(policy=policy.default)
    entries: list[tuple[datetime, OutboxEntry]] = []
    for path in folder.iterdir():
        if not path.name.endswith(".eml") or path.name.startswith(".") or not path.is_file():
            continue
        try:
            stat = path.stat()
            with path.open("rb") as fh:
                headers = parser.parse(fh, headersonly=True)
            date = _header_date(headers.get("Date"))
            entry = OutboxEntry(
                filename=path.name,
                subject=str(headers.get("Subject", "")),
                to=[addr for _, addr in getaddresses([str(v) for v in headers.get_all("To", [])]) if addr],
                date=date,
                message_id=str(headers["Message-ID"]).strip().strip("<>") if headers["Message-ID"] else None,
                size=stat.st_size,
            )
        except (OSError, ValueError, TypeError, IndexError) as exc:
            log.warning("skipping unreadable outbox file %s: %s", path.name, exc)
            continue
        sort_key = date or datetime.fromtimestamp(stat.st_mtime, UTC)
        entries.append((sort_key, entry))
    entries.sort(key=lambda item: (item[0], item[1].filename), reverse=True)
    return [entry for _, entry in entries]


def read_outbox(directory: str | os.PathLike[str], filename: str) -> EmailMessage:
    """One outbox message. ``filename`` must be a bare ``*.eml`` name (no separators): ValueError otherwise.

    A name that is valid but absent raises FileNotFoundError.
    """
    _check_outbox_name(filename)
    folder = Path(directory).resolve()
    path = (folder / filename).resolve()
    if path.parent != folder:
        raise ValueError(f"not an outbox file name: {filename!r}")
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def mailer_from_config(smtp_url: str | None, outbox_dir: str | os.PathLike[str],
                       timeout: float = 30) -> SMTPMailer | OutboxMailer:
    """SMTP when ``FOIA_SMTP_URL`` is set (non-blank), otherwise the outbox folder ``FOIA_OUTBOX_DIR``."""
    if smtp_url and smtp_url.strip():
        return SMTPMailer.from_url(smtp_url, timeout=timeout)
    return OutboxMailer(outbox_dir)
