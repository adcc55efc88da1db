"""Exceptions raised by the mail package."""

from __future__ import annotations


class MailError(Exception):
    """Sending a message failed. The message says where (host:port or folder) and why.

    It never contains a password; callers may show it to an administrator or log it. When the server
    answered with a refusal, ``smtp_code`` and ``smtp_text`` hold that answer (else None and "").
    ``unreachable`` is True when the relay itself could not be used (no connection, no greeting within the
    timeout, STARTTLS or sign-in refused): nothing about this message was judged, so a caller should stop
    sending and try again later rather than count it against the message.
    """

    def __init__(self, message: str, *, smtp_code: int | None = None, smtp_text: str = "",
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.smtp_code = smtp_code
        self.smtp_text = smtp_text
        self.unreachable = unreachable

    @property
    def permanent(self) -> bool:
        """The server refused this message with a 5xx: sending it again will not help."""
        return not self.unreachable and self.smtp_code is not None and 500 <= self.smtp_code < 600


class EmailParseError(ValueError):
    """An uploaded .eml file could not be read as an email. The message is meant for the person who uploaded it."""
