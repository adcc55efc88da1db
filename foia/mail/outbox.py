"""The .eml outbox: mail written to a folder when no SMTP server is configured (local and development),
listed and read back for the admin Outbox page."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from foia.core.files import atomic_write
from foia.mail.errors import MailError
from foia.mail.receipts import SendReceipt

log = logging.getLogger(__name__)


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
