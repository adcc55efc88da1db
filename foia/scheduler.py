"""The reminder scheduler: one APScheduler 3 BlockingScheduler with one interval job.

Run it with `flask foia scheduler` (`make run` starts it beside the web server). Web processes
never start a scheduler. Several scheduler processes may run at once: reminder rows are claimed
with row locks, so each reminder is still sent once.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger("foia.scheduler")


def sweep(app: Flask) -> int:
    from .cli import app_mailer, dispatch_settings
    from .extensions import db
    from .reminders import dispatch_due

    with app.app_context():
        try:
            sent = dispatch_due(db.session, now=datetime.now(timezone.utc), mailer=app_mailer(),
                                settings=dispatch_settings())
        except Exception:
            db.session.rollback()
            log.exception("reminder sweep failed; it will run again at the next interval")
            sent = 0
        try:
            # Large documents are stored at upload and their text extracted here, off the web request.
            from .documents import blob_root, extract_pending

            extracted = extract_pending(db.session, datetime.now(timezone.utc), blob_root(app.config), limit=10)
            db.session.commit()
            if extracted:
                log.info("extracted text from %d document(s)", extracted)
        except Exception:
            db.session.rollback()
            log.exception("text extraction failed; it will be tried again at the next interval")
        try:
            # Agency statistics for the dashboard are computed here, not in page views.
            from zoneinfo import ZoneInfo

            from .stats import refresh_snapshots

            now = datetime.now(timezone.utc)
            refresh_snapshots(db.session, today=now.astimezone(ZoneInfo(app.config["FOIA_TIMEZONE"])).date(), now=now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("refreshing agency statistics failed; they will be refreshed at the next interval")
        finally:
            db.session.remove()
    if sent:
        log.info("sent %d reminder(s)", sent)
    return sent


def run_scheduler(app: Flask, *, interval: int = 60) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    scheduler = BlockingScheduler(
        timezone=timezone.utc,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    scheduler.add_job(sweep, "interval", seconds=interval, args=[app], id="reminder-sweep",
                      next_run_time=datetime.now(timezone.utc), replace_existing=True)

    def stop(signum, _frame):
        log.info("received signal %s: finishing the current sweep and stopping", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: a reminder sweep every %d seconds", interval)
    scheduler.start()
    log.info("scheduler stopped")
