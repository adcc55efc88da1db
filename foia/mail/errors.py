"""Exceptions raised by the mail package."""

from __future__ import annotations


class MailError(Exception):
    """Sending a message failed. The message says where (host:port or folder) and why.

    It never contains a password; callers may show it to an administrator or log it.
    """


class EmailParseError(ValueError):
    """An uploaded .eml file could not be read as an email. The message is meant for the person who uploaded it."""
