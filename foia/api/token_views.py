"""Settings, API tokens: create one (shown once), see them (name, prefix, created, last used), revoke one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.api.tokens import create_token, revoke_token, tokens_of
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.models.exchange import ApiToken

bp = Blueprint("api_tokens", __name__)


@bp.app_context_processor
def api_token_helpers():
    def my_api_tokens() -> list[ApiToken]:
        return tokens_of(db.session(), current_user) if current_user.is_authenticated else []

    return {"my_api_tokens": my_api_tokens}


@bp.route("/settings/api-tokens", methods=["POST"])
@login_required
def create():
    try:
        new = create_token(db.session(), actor=current_user, owner=current_user, name=request.form.get("name", ""),
                           now=utcnow())
    except ValidationError as exc:
        db.session.rollback()
        flash("No token created: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("account.settings") + "#api-tokens", 303)
    db.session.commit()
    # Shown on this page only (no redirect, no flash: the secret never goes into the session cookie).
    return render_template("settings/api_token_created.html", token=new.token, row=new.row)


@bp.route("/settings/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if revoke_token(db.session(), actor=current_user, token=token, now=utcnow()):
        db.session.commit()
        flash(f"Revoked the token “{token.name}” ({token.prefix}…). Anything using it now gets 401.", "success")
    return redirect(url_for("account.settings") + "#api-tokens", 303)
