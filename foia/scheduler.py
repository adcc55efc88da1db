"""The scheduler: one APScheduler 3 BlockingScheduler with an interval job for the sweep, and a second
one polling the city's mailbox every FOIA_MAIL_POLL_SECONDS when FOIA_IMAP_URL is set.

Run it with `flask foia scheduler` (`make run` starts it beside the web server). Web processes
never start a scheduler. Several scheduler processes may run at once: reminder rows are claimed
with row locks, so each reminder is still sent once.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.orm import Session

from foia.clocks.jobs import claim_recompute, recompute_failed, run_recompute_job
from foia.core.clock import local_today
from foia.core.paths import blob_root
from foia.dashboard.stats import RefreshResult, refresh_stats
from foia.documents.jobs import JobPass, job_settings, run_jobs
from foia.documents.service import sweep_orphans
from foia.extensions import db
from foia.imports.jobs import ImportPass, run_import_jobs
from foia.imports.store import upload_store
from foia.mailroom.fetch import FetchResult, MailboxError, poll_mailbox
from foia.ops.heartbeat import record_sweep
from foia.ops.schema import refuse_unless_at_head
from foia.reminders.dispatch import dispatch_due, dispatch_settings, mailer_for
from foia.reminders.planner import replan_moved
from foia.requests.mentions import MentionPass, mention_settings, send_mention_mail
from foia.team.mail import AssignmentPass, assignment_settings, send_assignment_mail
from foia.webhooks.delivery import WebhookPass, deliver_due, webhook_settings
from foia.webhooks.service import sweep_deadlines

log = logging.getLogger("foia.scheduler")
T = TypeVar("T")


def _one_pass(app: Flask, what: str, run: Callable[[Session], T], *, commit: bool = False) -> T | None:
    """Run one pass of a scheduler job, `run(session)`, in the app's context with a fresh session (committed after
    `run` when `commit`). Any error is rolled back and logged, and the pass gives None: the job's next interval
    tries again, and one failing job never stops the others."""
    with app.app_context():
        try:
            result = run(db.session())
            if commit:
                db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("%s failed; it will run again at the next interval", what)
            return None
        finally:
            db.session.remove()


def sweep(app: Flask) -> int:
    """One sweep: send due reminders. (Agency statistics are `refresh_statistics`, text extraction `background_jobs`.)

    The clock is read once: every step of a sweep works at the same `now`."""
    now = datetime.now(UTC)
    with app.app_context():
        try:
            sent = dispatch_due(db.session(), now=now, mailer=mailer_for(app.config),
                                settings=dispatch_settings(app.config))
            record_sweep(db.session(), datetime.now(UTC))  # /healthz and /metrics: the last sweep that ran
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reminder sweep failed; it will run again at the next interval")
            sent = 0
        finally:
            db.session.remove()
    if sent:
        log.info("sent %d reminder(s)", sent)
    return sent


def send_mentions(app: Flask) -> MentionPass | None:
    """Email the colleagues @mentioned in internal notes (`foia.requests.mentions`), each once; a job of its own
    so a slow mail server never delays reminders. Failures are retried by later passes."""
    result = _one_pass(app, "mention emails", lambda session: send_mention_mail(
        session, now=datetime.now(UTC), mailer=mailer_for(app.config), settings=mention_settings(app.config)))
    if result is not None and (result.sent or result.retrying or result.failed):
        log.info("mentions: emailed %d, to retry %d, failed %d", result.sent, result.retrying, result.failed)
    return result


def send_assignments(app: Flask) -> AssignmentPass | None:
    """Email the people requests were assigned to (`foia.team.mail`), each assignment once; a job of its own, like
    the mentions, so the web request that assigned never waits for the mail server. Failures are retried."""
    result = _one_pass(app, "assignment emails", lambda session: send_assignment_mail(
        session, now=datetime.now(UTC), mailer=mailer_for(app.config), settings=assignment_settings(app.config)))
    if result is not None and (result.sent or result.retrying or result.failed or result.dropped):
        log.info("assignments: emailed %d, to retry %d, failed %d, dropped %d", result.sent, result.retrying,
                 result.failed, result.dropped)
    return result


def poll_mail(app: Flask) -> FetchResult | None:
    """One poll of the mailbox. If it cannot be reached the error is logged and nothing is lost: messages
    stay unmarked on the server and are fetched at the next poll."""
    now = datetime.now(UTC)
    with app.app_context():
        try:
            result = poll_mailbox(db.session(), now=now, config=app.config)
        except MailboxError as exc:
            db.session.rollback()
            log.error("mail fetch failed; it will be tried again at the next poll: %s", exc)
            return None
        except Exception:
            db.session.rollback()
            log.exception("mail fetch failed; it will be tried again at the next poll")
            return None
        finally:
            db.session.remove()
    if result.fetched:
        log.info("mail: fetched %d, logged %d, unmatched %d, duplicates %d, bounces %d", result.fetched,
                 result.logged, result.unmatched, result.duplicates, result.bounces)
    for err in result.errors:
        log.error("mail: %s", err)
    return result


def deliver_webhooks(app: Flask) -> WebhookPass | None:
    """One webhook pass, a job of its own so a slow receiver never delays reminders: enqueue the deadline
    events that came due (each once), then POST every due delivery. Failures are retried by later passes."""
    now = datetime.now(UTC)

    def run(session: Session) -> tuple[int, WebhookPass]:
        queued = sweep_deadlines(session, now=now, tz=app.config["FOIA_TIMEZONE"],
                                 approaching_days=int(app.config.get("FOIA_WEBHOOK_APPROACHING_DAYS") or 5))
        session.commit()
        return queued, deliver_due(session, now=now, settings=webhook_settings(app.config))

    passed = _one_pass(app, "webhook delivery", run)
    if passed is None:
        return None
    queued, result = passed
    if queued or result.attempts:
        log.info("webhooks: queued %d deadline event(s); delivered %d, to retry %d, failed %d", queued,
                 result.delivered, result.retrying, result.failed)
    return result


def recompute_clocks(app: Flask, *, limit: int = 5) -> int:
    """Run queued clock recomputes (a closure added or removed on the admin page, an agency's short name or time zone
    changed by an edit, an accepted suggestion or an import; `foia.clocks.jobs`), each in its
    own transaction, and re-plan the moved requests' reminders (a large change is left flagged for the reminder
    sweep's `replan_stale`). A failure is logged and the job retried later. Returns the jobs done."""
    done = 0
    with app.app_context():
        try:
            for _ in range(limit):
                now = datetime.now(UTC)
                claimed = claim_recompute(db.session(), now=now)
                if claimed is None:
                    break
                job, token = claimed
                job_id = job.id
                try:
                    run = run_recompute_job(db.session(), now=now, job=job, token=token)
                    replan_moved(db.session(), run.moved, now=now)
                    db.session.commit()
                    done += 1
                    log.info("recomputed clocks (job %d): %d date(s) moved", run.job_id, len(run.moved))
                except Exception as exc:
                    db.session.rollback()
                    log.exception("clock recompute job %d failed; it will be tried again", job_id)
                    recompute_failed(db.session(), now=now, job_id=job_id, token=token, error=repr(exc))
                    db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("clock recompute jobs failed; they will run again at the next interval")
        finally:
            db.session.remove()
    return done


def import_requests(app: Flask, *, limit: int = 5) -> ImportPass | None:
    """Run queued web imports of request logs (`foia.imports.jobs`), each in its own transaction."""
    result = _one_pass(app, "import jobs", lambda session: run_import_jobs(
        session, now=datetime.now(UTC), store=upload_store(app), timezone=app.config["FOIA_TIMEZONE"], limit=limit))
    if result is not None and (result.done or result.failed or result.retrying):
        log.info("imports: %d done, %d failed, %d to retry", result.done, result.failed, result.retrying)
    return result


def sweep_storage(app: Flask) -> None:
    """Remove blobs no row references and temp files of killed uploads, once older than the grace period
    (FOIA_ORPHAN_GRACE_SECONDS, default an hour). Uploads never delete blobs themselves (review F3, F9)."""
    result = _one_pass(app, "storage sweep", lambda session: sweep_orphans(
        session, blob_root(app.config), grace_seconds=float(app.config.get("FOIA_ORPHAN_GRACE_SECONDS") or 3600)))
    if result is not None and (result.blobs_removed or result.temps_removed):
        log.info("storage sweep: removed %d orphan blob(s) and %d temp file(s), %d bytes", result.blobs_removed,
                 result.temps_removed, result.bytes_freed)


def background_jobs(app: Flask, *, limit: int = 20) -> JobPass | None:
    """One pass of the jobs table (text extraction), a scheduler job of its own so a hostile file never
    delays reminders: each job parses its file in a limited child process with no transaction open."""
    now = datetime.now(UTC)
    result = _one_pass(app, "background jobs",
                       lambda session: run_jobs(session, now=now, settings=job_settings(app.config), limit=limit))
    if result is not None and result.ran:
        log.info("jobs: extracted text from %d document(s), %d not extracted, %d to retry", result.done,
                 result.failed, result.retrying)
    return result


def refresh_statistics(app: Flask) -> RefreshResult | None:
    """The dashboard's agency statistics, stored for every scope: only the agencies changed since the last
    refresh are recomputed (every agency once a day). Its own job, so it never delays the reminder sweep."""
    now = datetime.now(UTC)
    return _one_pass(app, "refreshing agency statistics", lambda session: refresh_stats(
        session, today=local_today(now, app.config["FOIA_TIMEZONE"]), now=now), commit=True)


def run_scheduler(app: Flask, *, interval: int = 60) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    refuse_unless_at_head(app, wanted=True)  # a schema not at head: one line, exit before any sweep
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    scheduler.add_job(sweep, "interval", seconds=interval, args=[app], id="reminder-sweep",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(refresh_statistics, "interval", seconds=interval, args=[app], id="statistics-refresh",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(deliver_webhooks, "interval", seconds=interval, args=[app], id="webhook-delivery",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(recompute_clocks, "interval", seconds=min(interval, 15), args=[app], id="clock-recompute",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(import_requests, "interval", seconds=min(interval, 15), args=[app], id="request-imports",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(send_mentions, "interval", seconds=min(interval, 15), args=[app], id="mention-mail",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(send_assignments, "interval", seconds=min(interval, 15), args=[app], id="assignment-mail",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(sweep_storage, "interval", hours=1, args=[app], id="storage-sweep",
                      next_run_time=datetime.now(UTC), replace_existing=True)
    scheduler.add_job(background_jobs, "interval", seconds=int(app.config.get("FOIA_JOB_INTERVAL") or 15),
                      args=[app], id="background-jobs", next_run_time=datetime.now(UTC), replace_existing=True)
    if app.config.get("FOIA_IMAP_URL"):
        scheduler.add_job(poll_mail, "interval", seconds=int(app.config["FOIA_MAIL_POLL_SECONDS"]), args=[app],
                          id="mail-poll", next_run_time=datetime.now(UTC), replace_existing=True)
        log.info("polling the mailbox every %d seconds", app.config["FOIA_MAIL_POLL_SECONDS"])

    def stop(signum, _frame):
        log.info("received signal %s: finishing the current sweep and stopping", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: a reminder sweep every %d seconds", interval)
    scheduler.start()
    log.info("scheduler stopped")
