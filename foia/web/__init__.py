"""Web blueprints: parse, authorize, call services, render. No business rules here."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from foia.extensions import db, login_manager
from foia.models import User


def register_web(app: Flask) -> None:
    from foia.web import account, admin, agencies, auth, main, requests, watchers
    from foia.web import letters
    from foia.web import mailroom
    from foia.web import communications
    from foia.web import dashboard
    from foia.web import documents, search

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(requests.bp)
    app.register_blueprint(agencies.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(watchers.bp)
    app.register_blueprint(mailroom.bp)
    app.register_blueprint(communications.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(search.bp)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return render_template("error.html", code=400, title="Form expired",
                               message="The form was missing its security token or it had expired. "
                                       "Go back, reload the page and try again."), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed", 413: "Upload too large"}
        messages = {
            404: "We could not find that page. If you followed a link to a request, it may not exist "
                 "or you may not have access to it.",
            403: "Your account does not have access to this page.",
            413: "The file is larger than this server accepts.",
        }
        code = err.code or 500
        return render_template("error.html", code=code, title=titles.get(code, err.name),
                               message=messages.get(code, err.description)), code

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        return render_template("error.html", code=500, title="Something went wrong",
                               message="The server hit an error and nothing was saved from this action. "
                                       "Please try again; if it keeps happening tell an administrator."), 500

    @app.before_request
    def refuse_nul_bytes():
        """NUL cannot be stored as text (PostgreSQL refuses it); say so instead of failing later."""
        values = [request.path, *request.args.values()]
        if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values.extend(request.form.values())
        if any("\x00" in v for v in values):
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
        return resp

    @app.context_processor
    def inject_globals():
        return {"demo_mode": app.config.get("FOIA_DEMO", False), "current_user": current_user}
