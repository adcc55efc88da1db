"""Text typed into a form when the session ended is not lost.

When a POST reaches a page without a live session (or with a CSRF token from a session that ended), the
posted fields are kept in the Flask session, keyed by the page's path; after sign-in the person is sent
back to that page, whose form is filled from them once. Never kept: passwords, secrets, tokens and codes
(by field name), and files (they are not in `request.form`). The Flask session is a cookie (browsers
refuse more than about 4 KB), so at most `MAX_CHARS` characters are kept; longer text is not (the form
for new requests also autosaves its draft on the server)."""

from __future__ import annotations

import json
import re

from flask import request, session
from werkzeug.datastructures import MultiDict

STASH_KEY = "form_stash"
MAX_CHARS = 3500
_SECRET_NAME = re.compile(r"pass|secret|token|csrf|otp|totp|code|key", re.IGNORECASE)


def stash_posted_form() -> bool:
    """Keep this POST's non-secret fields for its path. Returns False when they were too long to keep."""
    fields = [[name, value] for name, value in request.form.items(multi=True)
              if not _SECRET_NAME.search(name) and value.strip()]
    if not fields:
        return True
    if len(json.dumps(fields)) > MAX_CHARS:
        session.pop(STASH_KEY, None)
        return False
    session[STASH_KEY] = {"path": request.path, "fields": fields}
    return True


def take_stashed_form(path: str | None = None) -> MultiDict[str, str] | None:
    """The fields kept for this page (once), as form data, or None."""
    stash = session.get(STASH_KEY)
    if not isinstance(stash, dict) or stash.get("path") != (path or request.path):
        return None
    session.pop(STASH_KEY, None)
    return MultiDict([(str(k), str(v)) for k, v in stash.get("fields", [])])


def carry_over() -> object | None:
    """What to put back after the session is cleared at sign-in."""
    return session.get(STASH_KEY)


def restore(stash: object | None) -> None:
    if stash is not None:
        session[STASH_KEY] = stash
