"""Downloads of the requests list: /requests/export.csv and /requests/export.xlsx take the list's query string
(filters, sort and scope; page and rows per page are ignored: every row is downloaded) and the signed-in
person's visibility. Always attachments, never shown inline."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, send_file, stream_with_context
from flask import request as http_request
from flask_login import current_user, login_required

from foia.core.clock import local_today, utcnow
from foia.extensions import db
from foia.requests.export import export_requests, write_csv, write_xlsx
from foia.requests.queries import ListQuery

bp = Blueprint("requests_export", __name__, url_prefix="/requests")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export():
    now = utcnow()
    user = current_user._get_current_object()  # the generator runs after the view returns
    return export_requests(db.session(), user, now, ListQuery.from_args(http_request.args)), \
        f"requests-{local_today(now).isoformat()}"


@bp.route("/export.csv")
@login_required
def csv_file():
    export, name = _export()
    resp = Response(stream_with_context(write_csv(export)), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/export.xlsx")
@login_required
def xlsx_file():
    export, name = _export()
    # A workbook is a zip: it is written whole (rows spooled to disk by openpyxl, then to this temporary
    # file) before the first byte goes out. The file is deleted when the response closes it.
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- the response closes it (or the except below)
    try:
        write_xlsx(export, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    resp = send_file(out, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{name}.xlsx")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
