"""How the API knows who is calling: a personal token in `Authorization: Bearer ftk_...`, and nothing else.

The API never reads or writes the cookie session (`ApiSessionInterface` gives /api/v1 requests a null session),
so a browser's session cookie authenticates nothing there and cross-site requests cannot ride on it: that is
why the API blueprints, and only they, are exempt from CSRF. Errors are JSON ({code, status, message, errors}),
rate limits are per token (Flask-Limiter)."""

from __future__ import annotations

import math
import time
from typing import Any, NoReturn

from flask import Flask, Response, current_app, g, jsonify, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint, abort  # type: ignore[import-untyped]
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from foia.api.tokens import authenticate, hash_token
from foia.core.clock import utcnow
from foia.extensions import csrf, db, limiter

API_PREFIX = "/api/v1"
#: Pages under the prefix that are for people in a browser (they keep the cookie session: the navigation).
BROWSER_PATHS = frozenset({f"{API_PREFIX}/docs"})
REALM = 'Bearer realm="FOIA Tracker API"'
DEFAULT_RATE = "120 per minute"
#: All API calls from one address, whatever token they carry (a bound on trying many tokens).
DEFAULT_ADDRESS_RATE = "1200 per minute"


def fail(code: int, **details: Any) -> NoReturn:
    """End the call with an API error: flask-smorest's abort (`message`, `errors` by field, `headers`)."""
    abort(code, **details)
    raise AssertionError("abort raises")  # pragma: no cover


class ApiParser(FlaskParser):
    """webargs' Flask parser, except that the "files" location is a whole multipart body: its files and its other
    fields together (an upload and the fields that describe it, in one schema and one documented requestBody)."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    """The API's flask-smorest blueprints (with the multipart parser above)."""

    ARGUMENTS_PARSER = ApiParser()


def is_api_path(path: str) -> bool:
    return (path == API_PREFIX or path.startswith(API_PREFIX + "/")) and path not in BROWSER_PATHS


class ApiSessionInterface(SecureCookieSessionInterface):
    """The app's cookie sessions, except under /api/v1: there the session is null (never read, never saved)."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if is_api_path(request.path):
            return None  # Flask makes a null session: the cookie is ignored and no Set-Cookie is sent
        return super().open_session(app, request)


def bearer_token() -> str | None:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    return raw if scheme.lower() == "bearer" and raw else None


def rate_key() -> str:
    """Flask-Limiter key: the token (its hash), or the address when there is none."""
    raw = bearer_token()
    return "api-token:" + hash_token(raw) if raw else "api-addr:" + get_remote_address()


def address_key() -> str:
    return "api-address:" + get_remote_address()


def token_rate() -> str:
    return str(current_app.config.get("FOIA_API_RATE_LIMIT") or DEFAULT_RATE)


def address_rate() -> str:
    return str(current_app.config.get("FOIA_API_ADDRESS_RATE_LIMIT") or DEFAULT_ADDRESS_RATE)


def require_token() -> None:
    """before_request of every API blueprint: the token's user becomes `current_user` for this request."""
    g.pop("_login_user", None)  # whoever a shared app context (tests) last loaded is nobody here
    raw = bearer_token()
    if raw is None:
        fail(401, message="Send a personal API token: Authorization: Bearer ftk_... (create one on Settings).",
              headers={"WWW-Authenticate": REALM})
    found = authenticate(db.session(), raw, now=utcnow())
    if found is None:
        db.session.rollback()
        fail(401, message="This token is unknown or was revoked, or its account is deactivated.",
              headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})
    user, token = found
    if db.session.dirty:  # last_used_at moved (at most once a minute)
        db.session.commit()
    g._login_user = user  # Flask-Login's current_user for this request (never from a cookie here)
    g.api_token_id = token.id


def protect(bp: Blueprint) -> Blueprint:
    """Make `bp` an API blueprint: a token on every call, JSON errors, per-token and per-address rate limits, and
    no CSRF check (it accepts bearer tokens only, never the cookie session a forged cross-site request could use).
    Called once, where the blueprint is defined."""
    bp.before_request(require_token)
    bp.teardown_request(forget_user)
    bp.register_error_handler(HTTPException, error_response)
    csrf.exempt(bp)
    limiter.limit(token_rate, key_func=rate_key)(bp)
    limiter.limit(address_rate, key_func=address_key)(bp)
    return bp


def forget_user(_exc: BaseException | None = None) -> None:
    """The token's user was this request's only: drop it when the request ends."""
    g.pop("_login_user", None)


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs reports {"json": {"title": [...]}}; clients get {"title": [...]} (locations merged)."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    out: dict[str, Any] = {}
    for location, fields in messages.items():
        if location in ("json", "query", "form", "files", "view_args", "headers", "json_or_form") and isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out


def retry_after() -> int:
    current = limiter.current_limit
    return 60 if current is None else max(1, math.ceil(current.reset_at - time.time()))


def error_response(err: HTTPException) -> Response:
    """An error as JSON: {code, status, message, errors}, with the headers the error carries."""
    code = err.code or 500
    data = getattr(err, "data", None) or {}
    errors: dict[str, Any] = {}
    if "errors" in data:
        errors = data["errors"]
    elif "messages" in data:
        errors = _flatten(data["messages"])
    message = data.get("message")
    if not message:
        message = {422: "The request has invalid fields; see errors.",
                   429: "Too many requests with this token; wait and try again.",
                   404: "Not found. If it is a request, it may not exist or you may not have access to it."}.get(
            code, err.description or err.name)
    resp = jsonify({"code": code, "status": err.name, "message": message, "errors": errors})
    resp.status_code = code
    for name, value in (data.get("headers") or {}).items():
        resp.headers[name] = value
    if code == 429:
        resp.headers["Retry-After"] = str(retry_after())
    if code == 401 and "WWW-Authenticate" not in resp.headers:
        resp.headers["WWW-Authenticate"] = REALM
    return resp


def server_error_response() -> Response:
    resp = jsonify({"code": 500, "status": "Internal Server Error", "errors": {},
                    "message": "The server hit an error and nothing was saved from this call."})
    resp.status_code = 500
    return resp
