"""@mentions in internal notes (issue 19): who a note names, and the one email each named colleague gets.

A handle is the first part of a colleague's email address (``@maria`` for maria@example.org) or, when two
colleagues share it, the whole address (``@maria@example.org``). Only active people of the request's
organization who may see the request can be mentioned; any other handle refuses the note with a message that
says why (the same message whether the name belongs to another organization or to nobody, so a note cannot
probe for accounts elsewhere). Mentioning yourself is allowed and mails nobody.

The emails are rows (`NoteMention`), sent by the scheduler (`send_mention_mail`), never inside the web request:
claimed with a conditional UPDATE and a lease, sent with a Message-ID that depends only on the row, retried with
a growing delay, and dropped without sending when the colleague could no longer read the note (the note was
removed, they left the organization, or the request was made private).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import can_view
from foia.core.errors import ValidationError
from foia.core.mailrows import RowsPass, send_rows
from foia.mail import Mailer, MailError, build_message, make_message_id
from foia.models import InternalNote, NoteMention, Request, User

#: "@" not preceded by a word character, a dot or another "@" (so an email address in the text is not a
#: mention), then a local part, optionally followed by "@domain".
MENTION = re.compile(r"(?<![\w.@+-])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
MAX_MENTIONS = 20
HOW_TO_MENTION = ("Mention a colleague with @ and the first part of their email address (@maria for "
                  "maria@example.org; the whole address if two colleagues share it). Each person mentioned gets "
                  "one email with a link to the note.")


def handles_in(text: str) -> list[str]:
    """The handles written in `text`, in order, without repeats (case-insensitive) and without trailing dots."""
    out: list[str] = []
    for m in MENTION.finditer(text or ""):
        handle = m.group(1).rstrip(".")
        if handle and handle.lower() not in {h.lower() for h in out}:
            out.append(handle)
    return out


def colleagues(session: Session, req: Request) -> list[User]:
    """The active people of the request's organization (who may be mentioned if they may see the request)."""
    return list(session.scalars(select(User).where(User.organization_id == req.organization_id,
                                                   User.active.is_(True)).order_by(User.email)))


def resolve(session: Session, *, actor: User, req: Request, text: str) -> list[tuple[str, User]]:
    """The colleagues `text` mentions, as (handle, user), or ValidationError naming every handle that cannot be
    mentioned and why. The author is left out (no mail to oneself)."""
    handles = handles_in(text)
    if not handles:
        return []
    if len(handles) > MAX_MENTIONS:
        raise ValidationError({"body": f"Mention at most {MAX_MENTIONS} colleagues in one note "
                                       f"(it mentions {len(handles)})."})
    people = colleagues(session, req)
    by_email = {u.email.lower(): u for u in people}
    by_local: dict[str, list[User]] = {}
    for u in people:
        by_local.setdefault(u.email.lower().partition("@")[0], []).append(u)
    found: list[tuple[str, User]] = []
    problems: list[str] = []
    org = req.organization.name if req.organization is not None else "the request's organization"
    for handle in handles:
        key = handle.lower()
        matches = [by_email[key]] if key in by_email else ([] if "@" in key else by_local.get(key, []))
        if not matches:
            problems.append(f"@{handle} is not a colleague at {org}; only people of {org} can be mentioned.")
        elif len(matches) > 1:
            problems.append(f"@{handle} could be {len(matches)} colleagues; write the whole email address, "
                            f"e.g. @{matches[0].email}.")
        elif not can_view(matches[0], req):
            problems.append(f"@{handle} ({matches[0].name}) cannot see this request; share it with the "
                            "organization first.")
        elif matches[0].id != actor.id and all(u.id != matches[0].id for _, u in found):
            found.append((handle, matches[0]))
    if problems:
        raise ValidationError({"body": " ".join(problems)})
    return found


def add_mentions(session: Session, *, note: InternalNote, mentioned: list[tuple[str, User]],
                 now: datetime) -> list[NoteMention]:
    """One row per colleague, queued for the scheduler's mail pass."""
    rows = [NoteMention(note_id=note.id, user_id=user.id, handle=handle[:254], created_at=now, status="pending",
                        attempts=0, next_attempt_at=now, message_id="", last_error="")
            for handle, user in mentioned]
    session.add_all(rows)
    session.flush()
    return rows


def mentions_by_note(session: Session, notes: list[InternalNote]) -> dict[int, list[User]]:
    """The people each note mentions (one query), for the request page."""
    if not notes:
        return {}
    out: dict[int, list[User]] = {}
    rows = session.execute(select(NoteMention.note_id, User).join(User, User.id == NoteMention.user_id)
                           .where(NoteMention.note_id.in_([n.id for n in notes]))
                           .order_by(NoteMention.id)).all()
    for note_id, user in rows:
        out.setdefault(note_id, []).append(user)
    return out


# ---------------------------------------------------------------------------- the emails


@dataclass(frozen=True)
class MentionSettings:
    base_url: str
    sender: str


MentionPass = RowsPass  # what one pass of `send_mention_mail` did


def mention_settings(config: Mapping[str, Any]) -> MentionSettings:
    return MentionSettings(base_url=config["FOIA_BASE_URL"], sender=config["FOIA_MAIL_FROM"])


def note_link(base_url: str, req: Request, note_id: int) -> str:
    return f"{base_url.rstrip('/')}/requests/{req.ref}#note-{note_id}"


def mention_message(row: NoteMention, *, note: InternalNote, req: Request, settings: MentionSettings,
                    now: datetime) -> EmailMessage:
    author = note.author.name if note.author is not None else "A colleague"
    title = " ".join(req.title.split())
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    text = (f"Hello {row.user.name},\n\n"
            f"{author} mentioned you in an internal note on {req.ref} \u201c{title}\u201d:\n\n"
            + "".join(f"    {line}\n" for line in note.body.splitlines())
            + f"\nRead it and reply on the request's page:\n{note_link(settings.base_url, req, note.id)}\n\n"
            "Internal notes are seen only by your organization and are never sent to the agency.\n")
    return build_message(sender=settings.sender, to=[row.user.email],
                         subject=f"{author} mentioned you on {req.ref}: {title}"[:200], text=text, html=None,
                         message_id=make_message_id(f"mention:{row.id}", domain), date=now)


def _may_still_read(row: NoteMention, note: InternalNote, req: Request) -> bool:
    user = row.user
    return (note.removed_at is None and req.deleted_at is None and bool(user.active)
            and user.organization_id == req.organization_id and can_view(user, req))


def send_mention_mail(session: Session, *, now: datetime, mailer: Mailer, settings: MentionSettings,
                      limit: int = 50) -> MentionPass:
    """Send the due mention emails (each once), committing each row's outcome (`core.mailrows.send_rows`)."""
    def compose(row: NoteMention) -> EmailMessage | str:
        note = row.note
        req = session.get_one(Request, note.request_id)
        if not _may_still_read(row, note, req):
            return "may no longer read the note"
        return mention_message(row, note=note, req=req, settings=settings, now=now)

    return send_rows(session, NoteMention, now=now, limit=limit, compose=compose, send=mailer.send,
                     errors=(MailError,))
