"""Requests → Import a spreadsheet: upload → columns → preview (with the agency questions) → import (a background job) → its status page.

The upload waits on the server (foia.imports.store, bound to the person who uploaded it); each step
re-reads it, so nothing about the file or the rows is taken back from the browser but the column choices
and the answers to the questions, which the domain checks again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.imports.columns import FIELDS, REQUIRED, clean_mapping, guess_mapping
from foia.imports.dates import FORMATS_HELP
from foia.imports.jobs import import_job_for, queue_import
from foia.imports.preview import APPEAL_WARNING_DAYS, Preview
from foia.imports.reading import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, Table, read_table
from foia.imports.service import preview_file
from foia.imports.store import UploadStore, upload_store

bp = Blueprint("imports", __name__, url_prefix="/requests/import")

#: Rows shown on the preview page (every row is imported; problems are always all listed).
SHOWN_ROWS = 300
#: Rows one web import takes (FOIA_IMPORT_WEB_MAX_ROWS). The import itself is a background job (foia.imports.jobs;
#: each request costs 20-60 ms there), so what bounds this is the preview, still planned in the request: about
#: 0.8 s per 1,000 rows (bench/bench_import.py, read+preview), twice on the confirming POST. 2,000 keeps each page
#: within a few seconds; larger logs: `flask foia import-requests` (up to reading.MAX_ROWS) or in parts.
WEB_MAX_ROWS = 2000


def _web_max_rows() -> int:
    return int(current_app.config.get("FOIA_IMPORT_WEB_MAX_ROWS") or WEB_MAX_ROWS)


def _store() -> UploadStore:
    return upload_store(current_app._get_current_object())  # type: ignore[attr-defined]


def _member() -> None:
    """Staff, reporters and admins import into their own organization."""
    if getattr(current_user, "organization_id", None) is None or current_user.role not in ("staff", "reporter", "admin"):
        abort(403)


def _upload(token: str) -> tuple[dict[str, Any], bytes]:
    store = _store()
    meta, data = store.meta(token, current_user.id), store.data(token, current_user.id)
    if meta is None or data is None:
        abort(404)
    return meta, data


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    _member()
    if request.method == "GET":
        return render_template("imports/upload.html", errors={}, limits=_limits())
    file = request.files.get("file")
    if file is None or not file.filename:
        return _upload_error("Choose a CSV or Excel (.xlsx) file to upload.")
    data = file.stream.read(MAX_BYTES + 1)
    try:
        table = read_table(data, file.filename)
    except ValidationError as exc:
        return _upload_error(" ".join(exc.errors.values()))
    if len(table.rows) > _web_max_rows():
        return _upload_error(f"The file has {len(table.rows):,} requests; the web import takes up to "
                             f"{_web_max_rows():,} at a time. Split it into parts (a re-import skips the rows already "
                             f"imported), or ask an administrator to run `flask foia import-requests`.")
    token = _store().save(user_id=current_user.id, filename=file.filename, data=data,
                          meta={"mapping": guess_mapping(table.headers), "choices": {}})
    return redirect(url_for("imports.columns", token=token), code=303)


def _upload_error(message: str):
    return render_template("imports/upload.html", errors={"file": message}, limits=_limits()), 400


def _limits() -> dict[str, Any]:
    return {"mb": MAX_BYTES // 1024 // 1024, "rows": min(MAX_ROWS, _web_max_rows()), "columns": MAX_COLUMNS,
            "dates": FORMATS_HELP}


def _samples(table: Table) -> list[str]:
    out = []
    for i in range(len(table.headers)):
        sample = next((str(r[i]) for r in table.rows if r[i] not in (None, "")), "")
        out.append(sample[:40] + ("…" if len(sample) > 40 else ""))
    return out


@bp.route("/<token>/columns", methods=["GET", "POST"])
@login_required
def columns(token: str):
    _member()
    meta, data = _upload(token)
    table = read_table(data, meta["filename"])  # it was read once already: within the caps
    mapping: dict[str, Any] = meta.get("mapping") or {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw = {f: request.form.get(f"col-{f}", "") for f in FIELDS}
        cleaned, errors = clean_mapping(raw, table.headers)
        if not errors:
            _store().update(token, current_user.id, mapping=cleaned, choices={})
            return redirect(url_for("imports.preview", token=token), code=303)
        mapping = {f: (int(v) if v.isdigit() else None) for f, v in raw.items()}
    return render_template("imports/columns.html", token=token, meta=meta, table=table, fields=FIELDS,
                           required=REQUIRED, mapping=mapping, samples=_samples(table), errors=errors), \
        400 if errors else 200


def _preview(token: str, meta: dict[str, Any], data: bytes) -> Preview:
    choices = {k: int(v) for k, v in (meta.get("choices") or {}).items() if str(v).isdigit()}
    try:
        return preview_file(db.session(), actor=current_user, now=utcnow(), data=data, filename=meta["filename"],
                            mapping=meta.get("mapping"), choices=choices)
    except ValidationError:  # a mapping that no longer fits: choose the columns again
        abort(redirect(url_for("imports.columns", token=token)))


def _answers(preview: Preview) -> dict[str, int]:
    out = {}
    for i, q in enumerate(preview.questions):
        value = request.form.get(f"q-{i}", "")
        if value.isdigit() and len(value) < 11 and any(c.id == int(value) for c in q.candidates):
            out[q.key] = int(value)
        elif q.chosen is not None:
            out[q.key] = q.chosen
    return out


@bp.route("/<token>/preview", methods=["GET", "POST"])
@login_required
def preview(token: str):
    _member()
    meta, data = _upload(token)
    pv = _preview(token, meta, data)
    if request.method == "POST":
        choices = _answers(pv)
        _store().update(token, current_user.id, choices=choices)
        meta["choices"] = choices
        pv = _preview(token, meta, data)
        if request.form.get("action") == "import":
            if not pv.ready:
                return _render_preview(token, meta, pv, error="No row is ready to import: fix the file, or answer "
                                                              "the questions, first."), 400
            if meta.get("job_id"):  # confirmed twice (a double click, the back button): the first job stands
                return redirect(url_for("imports.status", job_id=meta["job_id"]), code=303)
            # The import runs as a background job (foia.imports.jobs), never in this request.
            session = db.session()
            job = queue_import(session, now=utcnow(), actor=current_user, token=token, filename=meta["filename"],
                               mapping=meta.get("mapping") or {}, choices=choices, rows=len(pv.ready))
            session.commit()
            _store().update(token, current_user.id, job_id=job.id)
            return redirect(url_for("imports.status", job_id=job.id), code=303)
        return redirect(url_for("imports.preview", token=token), code=303)
    return _render_preview(token, meta, pv)


def _render_preview(token: str, meta: dict[str, Any], pv: Preview, error: str = ""):
    problems = [r for r in pv.rows if r.state in ("invalid", "ask")]
    return render_template("imports/preview.html", token=token, meta=meta, pv=pv, rows=pv.rows[:SHOWN_ROWS],
                           hidden=max(0, len(pv.rows) - SHOWN_ROWS), problems=problems, error=error,
                           fields=FIELDS, warn_days=APPEAL_WARNING_DAYS, today=local_today(utcnow()))


@bp.route("/jobs/<int:job_id>")
@login_required
def status(job_id: int):
    """Where a queued import stands: queued, running, done (with its result) or failed (with the reason). Only
    the person who queued it, their organization's staff and admins see it (404 for anyone else)."""
    job = import_job_for(db.session(), job_id=job_id, viewer=current_user)
    if job is None:
        abort(404)
    p = job.payload or {}
    result = p.get("result") or {}
    return render_template("imports/status.html", job=job, payload=p, result=result,
                           imported=result.get("imported_rows") or [])
