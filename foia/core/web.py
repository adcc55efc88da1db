"""Helpers every blueprint uses to turn a URL into a request it may show or change, and to read
integer ids from URLs, forms and query strings without ever passing the database one it cannot store."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from flask import abort, after_this_request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from foia.core.access import can_edit, can_see_internal, get_visible_request
from foia.core.db import MAX_ID
from foia.extensions import db
from foia.models import Request


def request_or_404(ref: str, *, edit: bool = False, internal: bool = False) -> Request:
    """The request `ref` for the signed-in person: 404 when it is missing or hidden from them (the
    two look alike), 403 when `edit` is asked and they may only read it. `internal`: a route of the request's
    internal work (notes, tasks, the Team panel) is also a 404 for anyone outside its organization, admins of
    other organizations included, even on a public request (`can_see_internal`)."""
    req = get_visible_request(db.session(), current_user, ref)
    if req is None or (internal and not can_see_internal(current_user, req)):
        abort(404)
    if edit and not can_edit(current_user, req):
        abort(403)
    return req


def temp_download(prefix: str, suffix: str = ".zip") -> str:
    """A new empty temporary file for a download built in this request, removed once the response is made
    (the response streams it from an open handle, so removing the name is safe)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix=prefix)
    os.close(fd)

    @after_this_request
    def _remove(resp: Any) -> Any:
        try:
            os.unlink(path)
        except OSError:
            pass
        return resp

    return path


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: werkzeug's integer converter with `max=MAX_ID` unless a route gives
    its own, so an id too large for the database answers 404 (the app registers it as "int")."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
