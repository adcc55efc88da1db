"""A full disk says so (F10): a page in the web, one line and exit status 1 on the CLI, never a traceback.

Recognised: OSError ENOSPC/EDQUOT (blob store, outbox, letters), SQLite's "database or disk is full"
(SQLITE_FULL) and PostgreSQL's disk_full (SQLSTATE 53100), anywhere in the exception's cause chain.
"""

from __future__ import annotations

import errno
import functools
from typing import Any

import click
from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

WEB_MESSAGE = ("The server's disk is full, so this could not be saved. Nothing from this action was kept. "
               "Tell an administrator: files or the database need more space.")
CLI_MESSAGE = "Error: the disk is full (no space left on device){where}: nothing was saved. Free some space and run it again."


class InsufficientStorage(HTTPException):
    code = 507
    description = WEB_MESSAGE


def disk_full_error(exc: BaseException | None) -> BaseException | None:
    """The exception in `exc`'s cause/context chain that means "no space left", or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return exc
        orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
        for candidate in (exc, orig):
            if candidate is None:
                continue
            if getattr(candidate, "sqlstate", None) == "53100":  # psycopg: disk_full
                return exc
            if getattr(candidate, "sqlite_errorname", None) == "SQLITE_FULL" or \
                    "database or disk is full" in str(candidate):
                return exc
        exc = exc.__cause__ or exc.__context__
    return None


def register_disk_full_handler(app: Flask) -> None:
    """Answer 507 with a plain page (or the API's JSON error) when a request ran out of disk; any other
    exception goes on to the app's generic error handler, registered before this one."""
    fallback = app.error_handler_spec[None][None].get(Exception)

    def handle(exc: Exception) -> Any:
        if disk_full_error(exc) is None:
            if fallback is None:
                raise exc
            return fallback(exc)
        from foia.extensions import db

        app.logger.error("disk full on %s %s: %s", request.method, request.path, exc)
        db.session.rollback()
        from foia.api.auth import error_response, is_api_path

        if is_api_path(request.path):  # the API's JSON error: {code, status, message, errors}
            return error_response(InsufficientStorage())
        return render_template("error.html", code=507, title="The disk is full", message=WEB_MESSAGE), 507

    from sqlalchemy.exc import DBAPIError

    # Flask picks the handler for the closest class in the exception's MRO: these beat the Exception one.
    app.register_error_handler(OSError, handle)
    app.register_error_handler(DBAPIError, handle)


def guard_cli_group(group: click.Group) -> click.Group:
    """Every command of `group` ends with one line and status 1, not a traceback, when the disk is full."""
    if getattr(group, "_disk_full_guarded", False):  # create_app runs once per app; wrap once per process
        return group
    original = group.invoke

    @functools.wraps(original)
    def invoke(ctx: click.Context) -> Any:
        try:
            return original(ctx)
        except Exception as exc:
            if disk_full_error(exc) is None:
                raise
            filename = getattr(disk_full_error(exc), "filename", None)
            click.echo(CLI_MESSAGE.format(where=f" writing {filename}" if filename else ""), err=True)
            ctx.exit(1)

    group.invoke = invoke  # type: ignore[method-assign]
    group._disk_full_guarded = True  # type: ignore[attr-defined]
    return group
