"""Bulk actions on requests chosen on the list: assign, tag, change visibility, add a watcher, export bundles.

All or nothing: the whole batch is checked first — every request must exist and be visible to the actor,
every change needs `can_edit` on every request, and a person to assign or add as a watcher must belong to
each request's organization — and any refusal refuses the batch with a message naming the requests, before
anything is written. The changes then go through the same code as one request's (`team.service.assign`,
`team.service.add_tag`, `requests.service.update_request` for visibility, `reminders.watchers.add_watcher`),
in the caller's one transaction: it commits once, or rolls back.

An export only reads: it needs `can_view` (the requests come from the actor's visible list) and makes one zip
holding the selection as a table (`requests/export.py`) and each request's evidence bundle
(`mailroom.export.build_bundle`).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from foia.core.access import can_edit, can_view, visible_clause
from foia.core.errors import ValidationError
from foia.mailroom.export import build_bundle
from foia.models import VISIBILITIES, Request, User, Watcher
from foia.reminders.watchers import add_watcher
from foia.requests.export import export_requests, write_csv
from foia.requests.queries import ListQuery
from foia.requests.service import update_request
from foia.team.mail import queue_assignment
from foia.team.service import add_tag, assign, check_assignee, clean_tag_name

BULK_ACTIONS: dict[str, str] = {
    "assign": "Assign to a person",
    "unassign": "Remove the assignee",
    "tag": "Add a tag",
    "visibility": "Change who can see them",
    "watch": "Add a watcher",
    "export": "Download their evidence bundles (.zip)",
}
#: A batch is at most one page of the list.
MAX_BATCH = 100
#: Evidence bundles render a PDF timeline per request: a download is kept to a size a web request can make.
MAX_EXPORT = 25


@dataclass
class BulkResult:
    action: str
    requests: list[Request]
    changed: list[Request] = field(default_factory=list)  # the requests this action changed (others: already so)
    assignee: User | None = None
    watcher: User | None = None


def _names(reqs: Sequence[Request]) -> str:
    return ", ".join(r.ref for r in reqs)


def selected_requests(session: Session, actor: User, ids: Sequence[int]) -> list[Request]:
    """The chosen requests, in reference order. An id the actor cannot see (or that does not exist) refuses the
    batch without saying which it was (hidden and missing requests look alike)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationError({"requests": "Select at least one request with its checkbox."})
    if len(ids) > MAX_BATCH:
        raise ValidationError({"requests": f"Select at most {MAX_BATCH} requests at a time."})
    rows = list(session.scalars(select(Request).options(joinedload(Request.organization), joinedload(Request.agency))
                                .where(Request.id.in_(ids), visible_clause(actor))
                                .order_by(Request.ref_year, Request.ref_seq)).unique())
    missing = len(ids) - len(rows)
    if missing:
        raise ValidationError({"requests": f"Nothing was changed: {missing} of the selected requests "
                                           f"{'was' if missing == 1 else 'were'} not found. Reload the list and try again."})
    return rows


def bulk_apply(session: Session, *, actor: User, now: datetime, ids: Sequence[int], action: str,
               assignee: User | None = None, tag: str = "", visibility: str = "",
               watcher: User | None = None) -> BulkResult:
    """Apply one change to every selected request, or to none (ValidationError, nothing written)."""
    if action not in BULK_ACTIONS or action == "export":
        raise ValidationError({"action": "Choose what to do with the selected requests."})
    reqs = selected_requests(session, actor, ids)
    refused = [r for r in reqs if not can_edit(actor, r)]
    if refused:
        raise ValidationError({"requests": f"Nothing was changed: you cannot change {_names(refused)}. "
                                           "Unselect them and try again."})
    result = BulkResult(action, reqs, assignee=assignee, watcher=watcher)
    if action == "assign":
        if assignee is None:
            raise ValidationError({"assignee": "Choose the person to assign."})
        _refuse_outside(reqs, assignee, what="assigned")
        for r in reqs:
            if assign(session, actor=actor, now=now, req=r, assignee=assignee):
                result.changed.append(r)
        queue_assignment(session, actor=actor, assignee=assignee, requests=result.changed, now=now)  # one email
    elif action == "unassign":
        for r in reqs:
            if assign(session, actor=actor, now=now, req=r, assignee=None):
                result.changed.append(r)
    elif action == "tag":
        name = clean_tag_name(tag)
        for r in reqs:
            add_tag(session, actor=actor, now=now, req=r, name=name, skip_existing=True)
            result.changed.append(r)
    elif action == "visibility":
        if visibility not in VISIBILITIES:
            raise ValidationError({"visibility": "Choose who can see the requests from the list."})
        for r in reqs:
            if r.visibility != visibility:
                update_request(session, actor=actor, now=now, req=r, visibility=visibility)
                result.changed.append(r)
    elif action == "watch":
        if watcher is None:
            raise ValidationError({"watcher": "Choose the person to add as a watcher."})
        _refuse_outside(reqs, watcher, what="added as a watcher")
        watching = set(session.scalars(select(Watcher.request_id).where(
            Watcher.user_id == watcher.id, Watcher.request_id.in_([r.id for r in reqs]))))
        for r in reqs:
            if r.id in watching or r.requester_id == watcher.id:
                continue  # already gets this request's reminders
            add_watcher(session, actor=actor, now=now, req=r, user=watcher)
            result.changed.append(r)
    return result


def _refuse_outside(reqs: Sequence[Request], user: User, *, what: str) -> None:
    """Refuse the batch when `user` cannot own or follow one of the requests, naming those requests."""
    outside = []
    for r in reqs:
        try:
            check_assignee(r, user)
        except ValidationError:
            outside.append(r)
    if outside:
        raise ValidationError({"requests": f"Nothing was changed: {user.name} cannot be {what} on {_names(outside)} "
                                           "(only people of the request's organization who can see it)."})


def export_bundles(session: Session, *, actor: User, now: datetime, ids: Sequence[int], out_path: str | Path,
                   storage_root: str | Path, letter_cache: str | Path, mail_from: str) -> list[Request]:
    """One zip for the selection: `requests.csv` (the list's table of these requests, `requests/export.py`) and
    `<REF>-evidence.zip` for each (the request page's evidence bundle). Only requests the actor may view."""
    reqs = selected_requests(session, actor, ids)
    hidden = [r for r in reqs if not can_view(actor, r)]
    if hidden:  # selected_requests only returns visible rows; kept as the rule this export rests on
        raise ValidationError({"requests": f"You cannot see {_names(hidden)}."})
    if len(reqs) > MAX_EXPORT:
        raise ValidationError({"requests": f"Download at most {MAX_EXPORT} evidence bundles at a time."})
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="foia-bulk-") as tmp, zipfile.ZipFile(out_path, "w") as zf:
        table = export_requests(session, actor, now, ListQuery(), request_ids=[r.id for r in reqs])
        info = zipfile.ZipInfo("requests.csv", date_time=(2000, 1, 1, 0, 0, 0))
        zf.writestr(info, b"".join(write_csv(table)), compress_type=zipfile.ZIP_DEFLATED)
        for r in reqs:
            part = Path(tmp) / f"{r.ref}.zip"
            build_bundle(session, r, out_path=part, storage_root=storage_root, letter_cache=letter_cache,
                         mail_from=mail_from, now=now)
            zf.write(part, f"{r.ref}-evidence.zip", compress_type=zipfile.ZIP_STORED)
            part.unlink()
    return reqs
