"""Reading agency replies saved as .eml files: headers, body text, attachments, our request references."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any

from foia.core.text import html_to_text
from foia.mail.errors import EmailParseError
from foia.mail.filenames import safe_filename


@dataclass(frozen=True)
class Attachment:
    filename: str  # already passed through safe_filename
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    subject: str
    from_addr: str | None
    to: list[str]
    date: datetime | None
    text: str
    html: str | None
    attachments: list[Attachment]
    headers: list[tuple[str, str]]
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)  # tolerated oddities, worth showing beside the evidence


# Headers at least one of which any real email carries; without them the bytes are something else.
_MAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
    "mime-version", "sender", "reply-to", "delivered-to", "content-type",
}
# Defects that mean the MIME tree cannot be trusted: parts would be lost or invented.
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)
# Limits checked on the raw bytes before the stdlib parser sees them (security review M6, L7): its header
# parsing is superlinear (an 800 KB folded Subject took 24 s) and a 1.4 MB message with 10,000 attachments
# outlived the web worker. Real agency mail is far inside these.
MAX_ATTACHMENTS = 100
MAX_MIME_PARTS = 250  # every part, containers and bodies included
MAX_HEADER_BLOCK_BYTES = 128 * 1024  # one header block (the message's, or one part's)
MAX_HEADER_LINES = 2_000  # physical lines in one header block, folded continuation lines included
MAX_HEADER_FIELDS = 500  # header fields in one header block
MAX_DECODED_BYTES = 64 * 1024 * 1024  # every attachment decoded, together
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RFC822 = re.compile(rb"^content-type:\s*message/rfc822", re.IGNORECASE | re.MULTILINE)
_REFERENCE = re.compile(r"\bFT-(\d{4})-(\d{4,6})\b", re.IGNORECASE)
_MSGID_TOKEN = re.compile(r"<([^<>\s]+)>")


def find_references(text: str) -> list[str]:
    """Request references (``FT-2026-0042``: year, then 4-6 digits) in order of first appearance, uppercased."""
    seen: dict[str, None] = {}
    for match in _REFERENCE.finditer(text or ""):
        seen.setdefault(f"FT-{match.group(1)}-{match.group(2)}", None)
    return list(seen)


# ---------------------------------------------------------------- parsing


class EmailTooLarge(EmailParseError):
    """The email passes a limit (parts, attachments, header size); refused before it is parsed or stored."""


def _check_header_block(data: bytes, start: int, where: str, depth: int = 0) -> int:
    """Check the header block starting at ``start``; return where its body starts (after the blank line)."""
    match = _HEADER_END.search(data, start, start + MAX_HEADER_BLOCK_BYTES + 4)
    end = match.start() if match else len(data)
    if end - start > MAX_HEADER_BLOCK_BYTES:
        raise EmailTooLarge(f"{where} headers are larger than {MAX_HEADER_BLOCK_BYTES // 1024} KB")
    block = data[start:end]
    lines = block.count(b"\n") + 1
    if lines > MAX_HEADER_LINES:
        raise EmailTooLarge(f"{where} headers run over {lines:,} lines; at most {MAX_HEADER_LINES:,} are accepted")
    fields = sum(1 for line in block.splitlines() if line[:1] not in (b" ", b"\t", b""))
    if fields > MAX_HEADER_FIELDS:
        raise EmailTooLarge(f"{where} has {fields:,} header fields; at most {MAX_HEADER_FIELDS:,} are accepted")
    body = match.end() if match else len(data)
    # An attached message (message/rfc822) starts with a header block of its own, which the parser reads too.
    if _RFC822.search(block) and body < len(data):
        if depth >= 20:
            raise EmailTooLarge("it nests attached messages more than 20 deep")
        return _check_header_block(data, body, "an attached message's", depth + 1)
    return body


def check_limits(data: bytes) -> None:
    """Refuse, cheaply and before parsing, a message past the limits: the top header block's size, line and
    field counts, and the number of MIME parts (counted from the boundary lines of every boundary the message
    declares), each part's header block too. Raises EmailTooLarge with a message for the uploader."""
    _check_header_block(data, 0, "the email's")
    boundaries = {m.group(1) or m.group(2) for m in _BOUNDARY.finditer(data)}
    if len(boundaries) > MAX_MIME_PARTS:
        raise EmailTooLarge(f"it declares {len(boundaries):,} multipart sections; at most {MAX_MIME_PARTS} are accepted")
    starts: list[int] = []
    for boundary in boundaries:
        marker = b"\n--" + boundary
        at = data.find(marker)
        while at != -1:
            after = at + len(marker)
            if data[after:after + 2] != b"--":  # a closing delimiter starts no part
                starts.append(after)
                if len(starts) > MAX_MIME_PARTS:
                    raise EmailTooLarge(f"it has more than {MAX_MIME_PARTS} MIME parts (attachments and bodies); "
                                        f"at most {MAX_ATTACHMENTS} attachments are accepted")
            at = data.find(marker, after)
    for n, start in enumerate(sorted(starts), 1):
        eol = data.find(b"\n", start)
        if eol != -1:
            _check_header_block(data, eol, f"part {n}'s")  # from the line end: a part may have no headers


def _decode_text(part: MIMEPart, data: bytes, defects: list[str]) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        defects.append(f"unknown charset {charset!r}; read as UTF-8")
        return data.decode("utf-8", errors="replace")


def _payload(part: MIMEPart, where: str) -> bytes:
    """The decoded bytes of a leaf part; EmailParseError when the transfer encoding cannot be undone."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):  # None for a multipart; a leaf part decodes to bytes
        data = b""
    if any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in part.defects):
        raise EmailParseError(f"the {where} is damaged: its base64 data is truncated and cannot be decoded")
    if any(isinstance(d, email_errors.InvalidBase64CharactersDefect) for d in part.defects):
        raw = part.get_payload(decode=False)
        if not data and isinstance(raw, str) and raw.strip():
            raise EmailParseError(f"the {where} is damaged: its base64 data contains no decodable content")
    return data


def _msgid(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    match = _MSGID_TOKEN.search(text)
    return match.group(1) if match else (text.strip("<>").strip() or None)


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    values = [str(v) for v in msg.get_all(name, [])]
    return [addr for _, addr in getaddresses(values) if addr]


def _date(msg: EmailMessage) -> datetime | None:
    header = msg["Date"]
    if header is None:
        return None
    value = getattr(header, "datetime", None)
    if not isinstance(value, datetime):
        return None
    # "-0000" (no zone information) parses naive; RFC 5322 says the time is then in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _header_pairs(msg: EmailMessage) -> list[tuple[str, str]]:
    pairs = []
    pol = msg.policy  # policy.default (an EmailPolicy) in parse_eml; another policy has no header objects
    for name, raw in msg.raw_items():
        try:
            value = str(pol.header_factory(name, raw)) if isinstance(pol, EmailPolicy) else str(raw)
        except Exception:
            value = str(raw)
        pairs.append((name, " ".join(value.split())))
    return pairs


#: Header limits checked on the raw headers before any header is parsed (security review L7: the stdlib's
#: header parser is superlinear; an 800 KB Subject folded over 200,000 lines took 24 s). Real mail stays far
#: below: ~20-100 fields, a few dozen lines even for long References or Received chains.
MAX_HEADER_FIELDS = 1000  # per part
MAX_HEADER_LINES = 2000  # in one field's folded value
MAX_HEADER_BYTES = 256 * 1024  # in one field's value
MAX_ALL_HEADER_BYTES = 4 * 1024 * 1024  # every part's headers together


def _check_header_limits(msg: EmailMessage) -> None:
    """Refuse a message whose headers are too many or too long, looking only at the raw text."""
    total = 0
    stack: list[Any] = [msg]
    while stack:
        part = stack.pop()
        items = list(part.raw_items())
        if len(items) > MAX_HEADER_FIELDS:
            raise EmailParseError(f"it has more than {MAX_HEADER_FIELDS:,} header fields in one part")
        for name, raw in items:
            size = len(raw)
            if size > MAX_HEADER_BYTES or raw.count("\n") > MAX_HEADER_LINES:
                raise EmailParseError(f"its {str(name)[:40]} header is too long "
                                      f"(over {MAX_HEADER_LINES:,} lines or {MAX_HEADER_BYTES // 1024} KB)")
            total += size + len(name)
        if total > MAX_ALL_HEADER_BYTES:
            raise EmailParseError(f"its headers add up to more than {MAX_ALL_HEADER_BYTES >> 20} MB")
        if part.is_multipart():  # the payload list; no header is parsed to find it
            stack.extend(part.get_payload())


def _check_structure(msg: EmailMessage) -> None:
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                ctype = part.get_content_type()
                if isinstance(defect, email_errors.NoBoundaryInMultipartDefect):
                    why = "it says it has several parts but does not say where they start (no boundary)"
                elif isinstance(defect, email_errors.StartBoundaryNotFoundDefect):
                    why = "its parts' boundary marker never appears in the body"
                else:
                    why = "its parts could not be separated"
                raise EmailParseError(f"the email's structure is broken ({ctype}): {why}")


def _collect_attachments(msg: EmailMessage, body_ids: set[int], defects: list[str]) -> list[Attachment]:
    attachments: list[Attachment] = []
    decoded = 0

    def add(filename: str | None, content_type: str, data: bytes) -> None:
        nonlocal decoded
        n = len(attachments) + 1
        if n > MAX_ATTACHMENTS:
            raise EmailTooLarge(f"it has more than {MAX_ATTACHMENTS} attachments")
        decoded += len(data)
        if decoded > MAX_DECODED_BYTES:
            raise EmailTooLarge(f"its attachments decode to more than {MAX_DECODED_BYTES // (1024 * 1024)} MB")
        ext = mimetypes.guess_extension(content_type) or ".bin"
        attachments.append(Attachment(safe_filename(filename, f"attachment-{n}{ext}"), content_type, data))

    def visit(part: MIMEPart, in_body_alternative: bool) -> None:
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            subject = str(inner.get("Subject", "")).strip() if hasattr(inner, "get") else ""
            add(part.get_filename() or (f"{subject}.eml" if subject else None), ctype, data)
            return
        if part.is_multipart():
            children = list(part.iter_parts())
            holds_body = ctype == "multipart/alternative" and any(_contains(c, body_ids) for c in children)
            for child in children:
                visit(child, holds_body)
            return
        if id(part) in body_ids:
            return
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
            defects.append("an attachment's file name could not be read")
        is_attachment = part.get_content_disposition() == "attachment" or filename
        if in_body_alternative and part.get_content_maintype() == "text" and not is_attachment:
            return  # another rendering of the body (e.g. text/enriched)
        data = _payload(part, f"attachment {filename or ctype}")
        if not is_attachment and part.get_content_maintype() == "text" and not data.strip():
            return  # empty inline text part: nothing to keep
        add(filename, ctype, data)

    visit(msg, False)
    return attachments


def _contains(part: MIMEPart, ids: set[int]) -> bool:
    return any(id(p) in ids for p in part.walk())


def parse_eml(data: bytes) -> ParsedEmail:
    """Parse a raw email (.eml). Raises EmailParseError (a ValueError) with a message fit for the uploader when
    the input is empty, is not an email, or has a MIME structure or encoding too damaged to read reliably.
    Tolerated oddities (bad base64 padding, unknown charsets...) are listed in ``defects``.
    A message past the limits (``check_limits``, ``MAX_ATTACHMENTS``, ``MAX_DECODED_BYTES``) raises
    EmailTooLarge (an EmailParseError) before anything else is read.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"parse_eml expects bytes, got {type(data).__name__}")
    if not data.strip():
        raise EmailParseError("the file is empty")
    check_limits(data)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
    except Exception as exc:
        raise EmailParseError(f"the file could not be read as an email ({type(exc).__name__})") from exc
    _check_header_limits(msg)
    names = {name.lower() for name in msg}
    if not names & _MAIL_HEADERS:
        raise EmailParseError("the file does not look like an email: it has no email headers (From, To, Subject, Date...)")
    _check_structure(msg)

    defects: list[str] = []
    try:
        plain = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
        html = _decode_text(html_part, _payload(html_part, "HTML body"), defects) if html_part is not None else None
        if plain is not None:
            text = _decode_text(plain, _payload(plain, "text body"), defects)
        else:
            text = html_to_text(html) if html else ""
        body_ids = {id(p) for p in (plain, html_part) if p is not None}
        attachments = _collect_attachments(msg, body_ids, defects)
        headers = _header_pairs(msg)
        from_addrs = _addresses(msg, "From")
        subject = " ".join(str(msg.get("Subject", "")).split())
        references = list(_MSGID_TOKEN.findall(str(msg.get("References", ""))))
        parsed = ParsedEmail(
            message_id=_msgid(msg["Message-ID"]),
            subject=subject,
            from_addr=from_addrs[0] if from_addrs else None,
            to=_addresses(msg, "To"),
            date=_date(msg),
            text=text.replace("\r\n", "\n"),
            html=html,
            attachments=attachments,
            headers=headers,
            in_reply_to=_msgid(msg["In-Reply-To"]),
            references=references,
            defects=defects + sorted({type(d).__name__ for p in msg.walk() for d in p.defects}),
        )
    except EmailParseError:
        raise
    except Exception as exc:
        raise EmailParseError(f"the email could not be read: {type(exc).__name__}: {exc}") from exc
    return parsed
