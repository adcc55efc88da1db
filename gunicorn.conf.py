"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app:app`).

Every setting below can be overridden from the environment (README, Operations, "Worker settings").

Worker class: **gthread**, chosen by measurement (`bench/bench_workers.py`): with sync workers, a few clients
trickling large uploads over a slow link hold every worker for the whole upload and `/healthz` waits until one
finishes (18 s in the review, with 2 workers and 2 slow 2 MB uploads); with threads the other threads keep
answering in milliseconds. The app's work is short, thread-safe (a session per app context, a pool per engine)
and mostly database round trips, which release the GIL.
"""

from __future__ import annotations

import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("FOIA_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = _int("WEB_CONCURRENCY", 2)
worker_class = os.environ.get("FOIA_WORKER_CLASS", "gthread")
# With FOIA_WORKER_CLASS=sync set FOIA_THREADS=1: gunicorn turns sync workers with threads into gthread.
threads = _int("FOIA_THREADS", 8)
# A worker that stops answering its master for this long is killed and replaced (its transactions roll back). With
# gthread that is a hung worker (its main loop stuck, e.g. in C code holding the GIL), not a slow request: a request
# in a thread is not cut off by it, so a slow upload that keeps arriving is not killed either. Requests are kept
# short by design instead: nothing a person waits for runs long, long work (recompute, text extraction, OCR) goes
# to the scheduler's jobs. With FOIA_WORKER_CLASS=sync it is the per-request limit.
timeout = _int("FOIA_TIMEOUT", 60)
graceful_timeout = _int("FOIA_GRACEFUL_TIMEOUT", 30)  # SIGTERM: in-flight requests get this long to finish
keepalive = _int("FOIA_KEEPALIVE", 5)
# Import the app once in the master, then fork: workers start in milliseconds and share the imported code's
# memory. Nothing opened at import is shared across the fork: create_app's schema check disposes its engine
# (foia.ops.schema), no scheduler runs in web processes, and post_fork below drops any pooled connection anyway.
preload_app = os.environ.get("FOIA_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")
accesslog = os.environ.get("FOIA_ACCESS_LOG", "-")
# %(U)s is the path WITHOUT the query string: calendar-feed tokens travel in the query string
# and must never reach a log file.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def post_fork(server: Any, worker: Any) -> None:
    """A forked worker must never use a database connection the master opened: forget the pool's connections
    (without closing them: they belong to the master's side of the socket) so the worker opens its own."""
    app = getattr(server.app, "callable", None)
    if app is None:  # not preloaded: the worker imports the app itself, after the fork
        return
    from foia.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
