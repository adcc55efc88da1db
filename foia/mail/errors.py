"""Exceptions raised by the mail package."""

from __future__ import annotations


class MailError(Exception):
    """Sending a message failed. The message says where (host:port or folder) and why.

    It never contains a password; callers may show it to an administrator or log it. When the server
    answered with a refusal, ``smtp_code`` and ``smtp_text`` hold that answer (else None and "").
    """

    def __init__(self, message: str, *, smtp_code: int | None = None, smtp_text: str = "") -> None:
        super().__init__(message)
        self.smtp_code = smtp_code
        self.smtp_text = smtp_text


class EmailParseError(ValueError):
    """An uploaded .eml file could not be read as an email. The message is meant for the person who uploaded it."""
