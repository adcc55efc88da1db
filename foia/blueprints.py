"""The web app's shell: every feature's blueprint, sign-in, error pages and security headers.

Views parse, authorize, call services and render; no business rules live in them."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from foia.accounts.auth_views import bp as auth_bp
from foia.accounts.auth_views import load_signed_in_user, retry_after_seconds, send_to_sign_in
from foia.accounts.password_views import bp as passwords_bp
from foia.accounts.views import bp as account_bp
from foia.admin.users_views import bp as admin_users_bp
from foia.admin.views import bp as admin_bp
from foia.agencies.views import bp as agencies_bp
from foia.api.auth import error_response as api_error_response
from foia.api.auth import is_api_path
from foia.api.auth import server_error_response as api_server_error
from foia.clauses.views import bp as clauses_bp
from foia.clocks.views import bp as laws_bp
from foia.communications.views import bp as communications_bp
from foia.core.names import register_name_filters
from foia.core.views import bp as main_bp
from foia.core.web import BoundedIntConverter
from foia.dashboard.views import bp as dashboard_bp
from foia.documents.views import bp as documents_bp
from foia.extensions import db, login_manager
from foia.fees.views import bp as fees_bp
from foia.help.views import bp as help_bp
from foia.imports.views import bp as imports_bp
from foia.letters.views import bp as letters_bp
from foia.mailroom.views import bp as mailroom_bp
from foia.models import User
from foia.ops.diskfull import register_disk_full_handler
from foia.ops.views import bp as ops_bp
from foia.reminders.views import bp as watchers_bp
from foia.requests.export_views import bp as requests_export_bp
from foia.requests.views import bp as requests_bp
from foia.search.views import bp as search_bp
from foia.tasks.views import bp as tasks_bp
from foia.team.views import bp as team_bp
from foia.webhooks.views import bp as webhooks_bp

#: Forms that are used signed out: a failed CSRF check there is an expired form, not an ended session.
SIGNED_OUT_FORMS = frozenset({"auth.login", "auth.login_code", "passwords.forgot", "passwords.reset", "passwords.invite"})

#: Every feature's blueprint. Their names ("requests", "letters", ...) are the endpoint prefixes the
#: templates use with url_for.
BLUEPRINTS = (auth_bp, main_bp, requests_bp, agencies_bp, admin_bp, letters_bp, account_bp, watchers_bp, mailroom_bp,
              communications_bp, dashboard_bp, documents_bp, search_bp, passwords_bp, admin_users_bp, laws_bp,
              help_bp, requests_export_bp, webhooks_bp, fees_bp)


#: Public files that keep their caching headers for everyone: the USWDS assets and the letters' CSS and fonts.
CACHEABLE_ENDPOINTS = frozenset({"static", "letters.asset"})


def register_blueprints(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # The server-side session row is the control (it ends at sign-out, timeouts, password change); the
    # "strong" mode's hash of address and User-Agent is not one (a User-Agent is chosen by the client, an
    # address changes on phones) and would sign people out for nothing. "basic" only marks such a session
    # not fresh.
    login_manager.session_protection = "basic"
    # No remember-me cookie is ever set (login_user(remember=False)); one forged or left over would still
    # need a live server-side session, because the loader below only trusts that.

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return load_signed_in_user(user_id)

    # Signed out (or the session ended) on a login-required page: to sign-in, keeping a posted form's text.
    login_manager.unauthorized_handler(send_to_sign_in)

    # Every `<int:...>` in a route is bounded to ids the database can hold (2**70 is a 404, not a 500).
    # Registered before any blueprint so each rule binds this converter.
    app.url_map.converters["int"] = BoundedIntConverter
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    app.register_blueprint(imports_bp)  # issue 16: Requests → Import a spreadsheet
    app.register_blueprint(ops_bp)  # /metrics (loopback or FOIA_METRICS_TOKEN)
    app.register_blueprint(team_bp)  # issue 19: assignee, tags, saved views, bulk actions
    app.register_blueprint(tasks_bp)  # issue 19: a request's tasks with internal dates
    app.register_blueprint(clauses_bp)  # issue 19: the organization's clause library
    register_name_filters(app)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        if (request.method == "POST" and not current_user.is_authenticated
                and request.endpoint not in SIGNED_OUT_FORMS):
            return send_to_sign_in()  # the session (and its CSRF secret) ended while the form was open
        return render_template("error.html", code=400, title="Form expired",
                               message="The form was missing its security token or it had expired. "
                                       "Go back, reload the page and try again."), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if is_api_path(request.path):  # an /api/v1 URL no API route matched (404, 405): JSON, like the API
            return api_error_response(err)
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed", 413: "Upload too large",
                  429: "Too many attempts"}
        messages = {
            404: "We could not find that page. If you followed a link to a request, it may not exist "
                 "or you may not have access to it.",
            403: "Your account does not have access to this page.",
            413: "The file is larger than this server accepts.",
            429: "Too many attempts from here in a short time. Wait a minute, then try again.",
        }
        code = err.code or 500
        resp = app.make_response((render_template("error.html", code=code, title=titles.get(code, err.name),
                                                  message=messages.get(code, err.description)), code))
        if code == 429:
            resp.headers["Retry-After"] = str(retry_after_seconds())
        return resp

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        if is_api_path(request.path):
            return api_server_error()
        return render_template("error.html", code=500, title="Something went wrong",
                               message="The server hit an error and nothing was saved from this action. "
                                       "Please try again; if it keeps happening tell an administrator."), 500

    register_disk_full_handler(app)  # a full disk: a page that says so, not "something went wrong"

    @app.before_request
    def refuse_nul_bytes():
        """NUL cannot be stored as text (PostgreSQL refuses it); say so instead of failing later."""
        values = [request.path, *request.args.values()]
        if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values.extend(request.form.values())
        if any("\x00" in v for v in values):
            if is_api_path(request.path):
                return api_error_response(BadRequest("Your input contained a NUL character, which cannot be saved."))
            return render_template("error.html", code=400, title="Unsupported character",
                                   message="Your input contained a NUL character, which cannot be saved. "
                                           "Remove it and try again."), 400
        return None

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):  # FOIA_SECURE_COOKIES: served over HTTPS only
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint not in CACHEABLE_ENDPOINTS and (
                "attachment" in resp.headers.get("Content-Disposition", "")
                or getattr(current_user, "is_authenticated", False)):
            # A signed-in person's pages and every download or export stay out of browser and shared caches.
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.context_processor
    def inject_globals():
        return {"demo_mode": app.config.get("FOIA_DEMO", False), "current_user": current_user}
