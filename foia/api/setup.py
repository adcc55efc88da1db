"""Wire the API into the app: flask-smorest's `Api` (the OpenAPI 3.1 document at /api/v1/openapi.json), the API
blueprints (bearer tokens only, no cookie session, so exempt from CSRF; rate-limited per token; JSON errors) and the
docs page."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api  # type: ignore[import-untyped]

from foia.api import agencies_api, requests_api
from foia.api.auth import API_PREFIX, ApiSessionInterface
from foia.api.docs import bp as docs_bp
from foia.api.schemas import ErrorSchema
from foia.api.token_views import bp as token_views_bp

#: The blueprints whose every route is in the OpenAPI document and needs a token.
API_BLUEPRINTS = (requests_api.bp, agencies_api.bp)

SPEC_OPTIONS = {
    "info": {"description": "FOIA Tracker's JSON API. Authenticate every call with a personal API token (create "
                            "one on Settings, or with `flask foia token create EMAIL`): "
                            "`Authorization: Bearer ftk_...`. A token acts as its owner, with the access they have "
                            "on the web. Errors are JSON: {code, status, message, errors}."},
    "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                      "description": "A personal API token (ftk_...)."}}},
    "security": [{"bearerAuth": []}],
}


class FoiaApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler (the web pages keep their HTML errors);
    the API blueprints get JSON errors of their own, and foia.blueprints answers JSON for unmatched /api/v1 URLs."""

    ERROR_SCHEMA = ErrorSchema  # {code, status, message, errors}, all four always present

    def _register_error_handlers(self) -> None:
        return None


def init_api(app: Flask) -> FoiaApi:
    app.config.setdefault("API_TITLE", "FOIA Tracker API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", SPEC_OPTIONS)
    app.session_interface = ApiSessionInterface()  # no cookie session under /api/v1 (auth.py)
    api = FoiaApi(app)
    for bp in API_BLUEPRINTS:  # each is protected where it is defined (foia.api.auth.protect)
        api.register_blueprint(bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(token_views_bp)
    return api
