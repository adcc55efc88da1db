"""Helpers every blueprint uses to turn a URL into a request it may show or change."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from foia.core.access import can_edit, get_visible_request
from foia.extensions import db
from foia.models import Request


def request_or_404(ref: str, *, edit: bool = False) -> Request:
    """The request `ref` for the signed-in person: 404 when it is missing or hidden from them (the
    two look alike), 403 when `edit` is asked and they may only read it."""
    req = get_visible_request(db.session(), current_user, ref)
    if req is None:
        abort(404)
    if edit and not can_edit(current_user, req):
        abort(403)
    return req
