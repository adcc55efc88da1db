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
from foia.mail.outgoing import OutgoingMail
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
    """Sends through an SMTP server.

    ``send``/``send_raw`` open one connection per message: right for the odd letter or password email.
    Bulk mail (the reminder sweep: a thousand messages in one sweep) uses ``connection()``, one kept-open
    connection for the whole batch (``SMTPConnection``) that reconnects when the server drops it.
    Nothing is shared between threads or scheduler runs: each sweep opens and closes its own.
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


    def connection(self) -> SMTPConnection:
        """One connection for many messages (see ``SMTPConnection``); use it as a context manager."""
        return SMTPConnection(self)


# Server answers that mean "this connection is going away" rather than anything about the message.
_CLOSING = 421


class _Dropped(Exception):
    """The connection broke (or the server said 421) before the message's DATA was sent: nothing of it
    was delivered, so it is safe to send it again on a new connection."""


class SMTPConnection:
    """One SMTP connection reused for a batch of messages (the reminder sweep).

    Opened on first use (or by ``probe``). Each message is MAIL FROM / RCPT TO / DATA on the same session;
    after a refusal the session is reset (RSET) and the next message goes on, so one refused recipient
    never stops the batch. When the server drops the connection (idle timeout, a limit of messages per
    connection, a restart) or answers 421 before the message's DATA, it reconnects once and sends that
    message again: nothing of it had been delivered. A connection that breaks during DATA is closed (the
    next message reconnects) and the message is reported as failed for now: the server may or may not
    have it, so it is retried later with the same Message-ID, as with one connection per message.
    A reconnect that fails raises ``MailError(unreachable=True)``: the relay is gone, stop sending.
    """

    def __init__(self, mailer: SMTPMailer) -> None:
        self.mailer = mailer
        self._client: smtplib.SMTP | None = None
        self.connects = 0  # how many connections this batch opened (the first, plus reconnects)

    def __enter__(self) -> SMTPConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        self.mailer._quit(client)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _ensure(self) -> smtplib.SMTP:
        if self._client is None:
            self._client = self.mailer._connect()  # MailError(unreachable=True) if it cannot
            self.connects += 1
            try:
                self._client.ehlo_or_helo_if_needed()
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                err = self.mailer._error(exc)
                raise MailError(str(err), smtp_code=err.smtp_code, smtp_text=err.smtp_text, unreachable=True) from exc
        return self._client

    def probe(self) -> None:
        """Open the connection (if not open) and check the relay answers NOOP; keep it open for the batch.
        Raises MailError(unreachable=True) if it does not."""
        client = self._ensure()
        try:
            code, resp = client.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, resp)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            err = self.mailer._error(exc)
            raise MailError(str(err), smtp_code=err.smtp_code, smtp_text=err.smtp_text, unreachable=True) from exc

    def send(self, mail: OutgoingMail) -> SendReceipt:
        """Send one rendered message on this connection; its final reply, or MailError."""
        return self.send_raw(mail.data, mail_from=mail.mail_from, rcpt_to=mail.rcpt_to)

    def send_raw(self, data: bytes, *, mail_from: str, rcpt_to: list[str]) -> SendReceipt:
        if not rcpt_to:
            raise MailError("no recipients")
        try:
            return self._attempt(data, mail_from, rcpt_to)
        except _Dropped:
            log.info("mail: %s dropped the connection; reconnecting", self.mailer.address)
            self._drop()
        try:
            return self._attempt(data, mail_from, rcpt_to)
        except _Dropped as exc:
            self._drop()
            raise MailError(f"could not send mail via {self.mailer.address}: the server dropped the connection "
                            f"twice ({exc})") from exc

    def _attempt(self, data: bytes, mail_from: str, rcpt_to: list[str]) -> SendReceipt:
        client = self._ensure()
        address = self.mailer.address
        stage = "envelope"
        try:
            options = ["SMTPUTF8"] if not data.isascii() and client.has_extn("smtputf8") else []
            if not mail_from.isascii() and not options:
                raise MailError(f"could not send mail via {address}: the server does not accept "
                                "non-ASCII addresses (no SMTPUTF8)")
            code, resp = client.mail(mail_from, options)
            if code == _CLOSING:
                raise _Dropped(f"{code} {resp!r}")
            if code != 250:
                self._reset(client)
                raise smtplib.SMTPSenderRefused(code, resp, mail_from)
            refused: dict[str, tuple[int, bytes]] = {}
            for addr in rcpt_to:
                code, resp = client.rcpt(addr)
                if code == _CLOSING:
                    raise _Dropped(f"{code} {resp!r}")
                if code not in (250, 251):
                    refused[addr] = (code, resp)
            if len(refused) == len(rcpt_to):
                self._reset(client)
                raise smtplib.SMTPRecipientsRefused(refused)
            stage = "data"
            code, resp = client.data(data)  # raises SMTPDataError if the server refuses DATA itself
            if code != 250:
                self._reset(client)
                raise smtplib.SMTPDataError(code, resp)
        except (_Dropped, MailError):
            raise
        except smtplib.SMTPRecipientsRefused as exc:  # about this message only: the session goes on
            raise self.mailer._error(exc) from exc
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            if stage == "envelope":
                raise _Dropped(str(exc) or type(exc).__name__) from exc
            self._drop()
            raise self.mailer._error(exc) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == _CLOSING:
                self._drop()
            raise self.mailer._error(exc) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()  # a timeout or a broken socket: this session's state is unknown
            raise self.mailer._error(exc) from exc
        if refused:
            log.warning("mail to %s: recipients refused by %s: %s", rcpt_to, address, refused)
        text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
        text = " ".join(text.split())
        return SendReceipt(code=code, text=text, queue_id=parse_queue_id(text))

    def _reset(self, client: smtplib.SMTP) -> None:
        """RSET after a refusal so the next message starts clean; a connection that cannot even do that is
        dropped (the next message reconnects)."""
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def mailer_from_config(smtp_url: str | None, outbox_dir: str | os.PathLike[str],
                       timeout: float = DEFAULT_TIMEOUT,
                       connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT) -> SMTPMailer | OutboxMailer:
    """SMTP when ``FOIA_SMTP_URL`` is set (non-blank), otherwise the outbox folder ``FOIA_OUTBOX_DIR``.
    ``timeout`` bounds each wait for the server's answer, ``connect_timeout`` opening the connection."""
    if smtp_url and smtp_url.strip():
        return SMTPMailer.from_url(smtp_url, timeout=timeout, connect_timeout=connect_timeout)
    return OutboxMailer(outbox_dir)
