"""The application factory: configuration, extensions, every feature's blueprints and commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from foia.config import load_config
from foia.core.clock import set_default_timezone
from foia.extensions import configure_engine, csrf, db, limiter, login_manager
from foia.ops.schema import refuse_unless_at_head

#: `flask` options that take a value (so the value is not mistaken for the command's name).
_VALUE_OPTIONS = frozenset({"-A", "--app", "-e", "--env-file"})
#: `flask` commands that serve no page: their app is built without blueprints and API (faster start-up).
_NO_PAGES = frozenset({"foia", "db"})


def _flask_command(argv: list[str]) -> str | None:
    """The `flask` sub-command this process runs (`foia`, `db`, `run`...), '' for bare `flask [--help]`, or
    None when the process is not the `flask` command (gunicorn, tests, scripts)."""
    prog = argv[0] if argv else ""
    is_flask_cli = os.path.basename(prog) == "flask" or prog.endswith(os.path.join("flask", "__main__.py"))
    if not is_flask_cli:
        return None
    args = iter(argv[1:])
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return ""


def needs_migrations(argv: list[str]) -> bool:
    """False only for `flask foia ...`: its commands never migrate, so Flask-Migrate and Alembic (a sixth of
    its start-up) are not imported. `flask db ...`, `flask --help`, servers, tests and scripts get them."""
    return _flask_command(argv) != "foia"


def serves_pages(argv: list[str]) -> bool:
    """False when this process is the `flask` command running `flask foia ...` or `flask db ...`;
    True for gunicorn, `flask run`, `flask routes`, `flask shell`, tests and anything else."""
    command = _flask_command(argv)
    return command is None or command not in _NO_PAGES  # `flask --help` ('') lists every command


def create_app(config: Mapping[str, Any] | None = None, *, web: bool | None = None) -> Flask:
    """Build the application. `config` overrides settings read from FOIA_* variables.

    `web=False` leaves out what only serves pages: the blueprints, their views and the JSON API (about half of
    start-up). By default (None) it is left out only for `flask foia ...` and `flask db ...` (`serves_pages`):
    commands never need them, since mail and letters build their links from FOIA_BASE_URL, not url_for."""
    if web is None:
        web = serves_pages(sys.argv)
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        "foia",  # the package's name: Flask finds the instance folder beside it
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    overrides = dict(config or {})
    if "INSTANCE_PATH" in overrides:
        app.instance_path = overrides.pop("INSTANCE_PATH")
    settings = load_config(app.instance_path)
    settings.update(overrides)
    app.config.from_mapping(settings)
    set_default_timezone(app.config["FOIA_TIMEZONE"])
    # Several apps may live in one process (tests): the app serving a request sets its own zone.
    app.before_request(lambda: set_default_timezone(app.config["FOIA_TIMEZONE"]))
    _use_laws_dirs(app)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    if needs_migrations(sys.argv):
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(root / "migrations"), render_as_batch=True, compare_type=True,
                render_item=_render_item, include_name=_include_name)
    _trust_proxies(app)
    limiter.init_app(app)  # before CSRF: a throttled client gets 429 whatever it posts
    csrf.init_app(app)
    login_manager.init_app(app)
    if web:
        # Imported here, not at the top: the CLI (web=False) never imports a view, flask-smorest or apispec.
        from foia.api.setup import init_api
        from foia.blueprints import register_blueprints

        register_blueprints(app)
        init_api(app)  # the JSON API: flask-smorest's Api, /api/v1, its OpenAPI document and docs page
    from foia.cli import register_cli

    register_cli(app)
    # Served by gunicorn or `flask run` against a schema not at head: one line naming both revisions, then exit.
    refuse_unless_at_head(app)
    return app


# Alembic's autogenerate hooks, imported when autogenerate calls them: importing foia.models.types imports every
# model, which `flask foia --help` does not need.
def _render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    from foia.models.types import render_item

    return render_item(type_, obj, autogen_context)


def _include_name(name: Any, type_: str, parent_names: Any) -> bool:
    from foia.models.types import include_name

    return include_name(name, type_, parent_names)


def _use_laws_dirs(app: Flask) -> None:
    """Point the law registry at FOIA_LAWS_DIRS (process-wide), now and before each request,
    so the app serving a request decides which law files exist (tests run several apps)."""
    dirs = app.config.get("FOIA_LAWS_DIRS") or []
    if isinstance(dirs, str):
        dirs = [d for d in dirs.split(os.pathsep) if d.strip()]
    app.config["FOIA_LAWS_DIRS"] = list(dirs)
    _apply_laws_dirs(dirs)
    app.before_request(lambda: _apply_laws_dirs(app.config["FOIA_LAWS_DIRS"]))


def _apply_laws_dirs(dirs: list[str]) -> None:
    """Give the law registry these extra folders. The registry is imported only when it is needed: until then
    there is nothing to tell it, unless there are extra folders (it starts with none). A command that never
    reads a law (`flask foia --help`, a sweep with nothing due) then does not import the deadline engine and the
    `holidays` package (a sixth of the factory's import)."""
    if not dirs and "foia.deadlines.laws" not in sys.modules:
        return
    from foia.deadlines.laws import set_laws_dirs

    set_laws_dirs(dirs)


def _trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto only from FOIA_TRUSTED_PROXIES proxies (none by default): otherwise
    any client could choose the address that rate limits and session records see."""
    hops = int(app.config.get("FOIA_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
