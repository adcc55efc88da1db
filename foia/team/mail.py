"""The email telling a person that requests were assigned to them (plain text, like the account emails).

One message per assignment action: a bulk assignment of several requests is one email listing them all.

The email is a row (`AssignmentNotice`), written in the assignment's own transaction (`queue_assignment`) and sent by
the scheduler (`send_assignment_mail`), never inside the web request, so a slow or unreachable mail server never
keeps the person who assigned waiting, and an email that could not be sent is tried again instead of lost. Each row
is claimed with a lease (`foia.core.mailrows`), sent once with a Message-ID made from the row, retried with a growing
delay, and sent only for the requests the person still owns and may still see when it goes out (dropped if none)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import can_view
from foia.core.mailrows import RowsPass, send_rows
from foia.mail import Mailer, MailError, build_message, make_message_id
from foia.models import AssignmentNotice, Request, User


@dataclass(frozen=True)
class AssignmentSettings:
    base_url: str  # FOIA_BASE_URL: the links to the requests
    sender: str  # FOIA_MAIL_FROM


def assignment_settings(config: Mapping[str, Any]) -> AssignmentSettings:
    return AssignmentSettings(base_url=config["FOIA_BASE_URL"], sender=config["FOIA_MAIL_FROM"])


AssignmentPass = RowsPass  # what one pass of `send_assignment_mail` did


def queue_assignment(session: Session, *, actor: User, assignee: User, requests: Sequence[Request],
                     now: datetime) -> AssignmentNotice | None:
    """Queue the email telling `assignee` that `actor` assigned them `requests`, in the caller's transaction. Nobody
    is emailed about assigning themselves, nor about an action that assigned nothing."""
    if assignee.id == actor.id or not requests:
        return None
    notice = AssignmentNotice(user_id=assignee.id, actor_id=actor.id, request_ids=[r.id for r in requests],
                              created_at=now, status="pending", attempts=0, next_attempt_at=now, message_id="",
                              last_error="")
    session.add(notice)
    session.flush()
    return notice


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def assignment_message(settings: AssignmentSettings, *, notice_id: int, assignee: User, actor: User | None,
                       requests: Sequence[Request], now: datetime) -> EmailMessage:
    base = settings.base_url.rstrip("/")
    who = actor.name if actor is not None else "A colleague"
    lines = [f"- {r.ref}: {_one_line(r.title)}\n  {base}/requests/{r.ref}" for r in requests]
    if len(requests) == 1:
        subject = f"Assigned to you: {requests[0].ref} {_one_line(requests[0].title, 80)}"
        intro = f"{who} assigned this request to you in FOIA Tracker:"
    else:
        subject = f"{len(requests)} requests assigned to you"
        intro = f"{who} assigned these {len(requests)} requests to you in FOIA Tracker:"
    text = (f"Hello {assignee.name},\n\n{intro}\n\n" + "\n".join(lines) + "\n\n"
            "You own the work on them now: follow their deadlines on each request's page.\n")
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    return build_message(sender=settings.sender, to=[assignee.email], subject=subject, text=text, html=None,
                         message_id=make_message_id(f"assignment:{notice_id}", domain), date=now)


def still_assigned(session: Session, notice: AssignmentNotice) -> list[Request]:
    """The notice's requests that its person still owns and may still see, in the notice's order: not deleted,
    assigned to them, and visible to them as an active member of the organization that keeps the request."""
    user = notice.user
    if not user.active:
        return []
    ids = [int(i) for i in notice.request_ids or []]
    by_id = {r.id: r for r in session.scalars(select(Request).where(Request.id.in_(ids)))} if ids else {}
    return [r for r in (by_id.get(i) for i in ids)
            if r is not None and r.deleted_at is None and r.assignee_id == user.id
            and user.organization_id == r.organization_id and can_view(user, r)]


def send_assignment_mail(session: Session, *, now: datetime, mailer: Mailer, settings: AssignmentSettings,
                         limit: int = 50) -> AssignmentPass:
    """Send the due assignment emails (each once), committing each row's outcome (`core.mailrows.send_rows`)."""
    def compose(row: AssignmentNotice) -> EmailMessage | str:
        reqs = still_assigned(session, row)
        if not reqs:
            return "no longer owns or may no longer see these requests"
        return assignment_message(settings, notice_id=row.id, assignee=row.user, actor=row.actor, requests=reqs,
                                  now=now)

    return send_rows(session, AssignmentNotice, now=now, limit=limit, compose=compose, send=mailer.send,
                     errors=(MailError,))
