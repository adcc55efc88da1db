"""Where outgoing mail goes: an SMTP server, or .eml files in an outbox folder (local/dev default).

Both sit behind ``Mailer``: ``send(msg)`` returns None or raises ``MailError``. Both also offer
``send_with_receipt(msg)`` and ``send_raw(data, mail_from=..., rcpt_to=[...])`` (``ReceiptMailer``), which
return the server's final answer as a ``SendReceipt`` (code, text, queue id): the proof of delivery kept for
letters mailed to agencies. ``send_raw`` sends exactly the given bytes, so a retry can re-send a stored message.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from foia.mail.errors import MailError
from foia.mail.outbox import OutboxMailer
from foia.mail.receipts import SendReceipt, envelope_of, message_bytes, parse_queue_id

log = logging.getLogger(__name__)


Security = Literal["none", "starttls", "tls"]


_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


_TRUE = {"1", "true", "yes", "on"}


_FALSE = {"0", "false", "no", "off"}


# Defaults for FOIA_SMTP_CONNECT_TIMEOUT / FOIA_SMTP_TIMEOUT (seconds). smtplib's own default would wait
# 30 s per reminder on a relay that accepts TCP and never answers, stalling the whole sweep (review F8).
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_TIMEOUT = 10.0


class _TimeoutsMixin:
    """Opens the TCP connection with ``connect_timeout`` and then waits at most ``timeout`` (smtplib's
    own) for each answer: a relay that is down fails fast, a slow but working one still gets its time."""

    connect_timeout: float | None = None
    _host: str  # smtplib sets it in SMTP(host); we connect later, so the caller sets it

    def _get_socket(self, host, port, timeout):  # smtplib's hook, used by connect()
        sock = super()._get_socket(host, port, self.connect_timeout or timeout)  # type: ignore[misc]
        sock.settimeout(timeout)
        return sock


class _SMTP(_TimeoutsMixin, smtplib.SMTP):
    pass


class _SMTP_SSL(_TimeoutsMixin, smtplib.SMTP_SSL):
    pass


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
    timeout: float = DEFAULT_TIMEOUT  # each answer from the server (the greeting, EHLO, DATA, ...)
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    connect_timeout: float | None = None  # opening the TCP connection (None: the same as timeout)

    @classmethod
    def from_url(cls, url: str, timeout: float = DEFAULT_TIMEOUT, ssl_context: ssl.SSLContext | None = None,
                 connect_timeout: float | None = None) -> SMTPMailer:
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
            connect_timeout=connect_timeout,
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
        """A signed-in connection, or MailError(unreachable=True): a relay that cannot be reached, does not
        greet us in time, or refuses STARTTLS or the sign-in says nothing about any one message."""
        try:
            return self._open()
        except (smtplib.SMTPException, OSError) as exc:
            err = self._error(exc)
            raise MailError(str(err), smtp_code=err.smtp_code, smtp_text=err.smtp_text, unreachable=True) from exc

    def _open(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "tls":
            client = _SMTP_SSL(timeout=self.timeout, context=self._context())
        else:
            client = _SMTP(timeout=self.timeout)
        client.connect_timeout = self.connect_timeout
        client._host = self.host  # what SMTP(host) would set: TLS checks the certificate against it
        try:
            client.connect(self.host, self.port)
            if self.security == "starttls":
                client.starttls(context=self._context())  # raises if the server does not offer it: no silent downgrade
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def probe(self) -> None:
        """Check that the relay answers (connect, greet, sign in, NOOP, QUIT) without sending anything.
        Raises MailError(unreachable=True) if it does not."""
        client: smtplib.SMTP | None = self._connect()
        try:
            assert client is not None
            code, resp = client.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, resp)
        except (smtplib.SMTPException, OSError) as exc:
            err = self._error(exc)
            raise MailError(str(err), smtp_code=err.smtp_code, smtp_text=err.smtp_text, unreachable=True) from exc
        finally:
            self._quit(client)

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


def mailer_from_config(smtp_url: str | None, outbox_dir: str | os.PathLike[str],
                       timeout: float = DEFAULT_TIMEOUT,
                       connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT) -> SMTPMailer | OutboxMailer:
    """SMTP when ``FOIA_SMTP_URL`` is set (non-blank), otherwise the outbox folder ``FOIA_OUTBOX_DIR``.
    ``timeout`` bounds each wait for the server's answer, ``connect_timeout`` opening the connection."""
    if smtp_url and smtp_url.strip():
        return SMTPMailer.from_url(smtp_url, timeout=timeout, connect_timeout=connect_timeout)
    return OutboxMailer(outbox_dir)
