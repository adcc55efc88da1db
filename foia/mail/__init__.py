"""Outgoing mail (SMTP, or .eml files in an outbox folder) and inbound .eml parsing.

Pure of Flask and the database: every function takes what it needs as arguments.

    msg = build_message(sender=..., to=[...], subject=..., text=..., html=...,
                        message_id=make_message_id(f"reminder:{reminder.id}", "foia.example.org"), date=now)
    mailer_from_config(config["FOIA_SMTP_URL"], config["FOIA_OUTBOX_DIR"]).send(msg)   # or MailError
"""

from foia.mail.errors import EmailParseError, MailError
from foia.mail.filenames import safe_filename
from foia.mail.inbound import Attachment, ParsedEmail, find_references, parse_eml
from foia.mail.outbox import OutboxEntry, OutboxMailer, list_outbox, outbox_filename, read_outbox
from foia.mail.outgoing import build_message, make_message_id
from foia.mail.receipts import Mailer, ReceiptMailer, SendReceipt, parse_queue_id
from foia.mail.transports import SMTPMailer, mailer_from_config

__all__ = [
    "Attachment",
    "EmailParseError",
    "MailError",
    "Mailer",
    "OutboxEntry",
    "OutboxMailer",
    "ParsedEmail",
    "ReceiptMailer",
    "SMTPMailer",
    "SendReceipt",
    "build_message",
    "find_references",
    "list_outbox",
    "mailer_from_config",
    "make_message_id",
    "outbox_filename",
    "parse_eml",
    "parse_queue_id",
    "read_outbox",
    "safe_filename",
]
