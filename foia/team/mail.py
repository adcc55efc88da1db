"""The email telling a person that requests were assigned to them (plain text, like the account emails).

One message per assignment action: a bulk assignment of several requests is one email listing them all. The
Message-ID is made from the requests, the assignee and the moment, so a re-send is recognisably the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from foia.mail import build_message, make_message_id
from foia.models import Request, User


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def assignment_message(config: Mapping[str, Any], *, assignee: User, actor: User, requests: Sequence[Request],
                       now: datetime) -> EmailMessage:
    base = config["FOIA_BASE_URL"].rstrip("/")
    lines = [f"- {r.ref}: {_one_line(r.title)}\n  {base}/requests/{r.ref}" for r in requests]
    if len(requests) == 1:
        subject = f"Assigned to you: {requests[0].ref} {_one_line(requests[0].title, 80)}"
        intro = f"{actor.name} assigned this request to you in FOIA Tracker:"
    else:
        subject = f"{len(requests)} requests assigned to you"
        intro = f"{actor.name} assigned these {len(requests)} requests to you in FOIA Tracker:"
    text = (f"Hello {assignee.name},\n\n{intro}\n\n" + "\n".join(lines) + "\n\n"
            "You own the work on them now: follow their deadlines on each request's page.\n")
    sender = config["FOIA_MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    key = f"assign:{assignee.id}:{','.join(r.ref for r in requests)}:{now.isoformat()}"
    return build_message(sender=sender, to=[assignee.email], subject=subject, text=text, html=None,
                         message_id=make_message_id(key, domain), date=now)
