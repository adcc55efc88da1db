"""The checks behind /healthz (F7, F11): each cheap (an index or a single row), each reported on its own.

Reported: counts, ages and revision names only; never an error text (a reminder's last error can name the
mail relay or an address), a URL or a setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from foia.models import Job, Reminder, WebhookDelivery
from foia.ops.heartbeat import last_sweep
from foia.ops.schema import current_revisions, head_revisions

#: Every check, in the order they run. A caller may ask for some (``/healthz?checks=database,schema``).
CHECKS: tuple[str, ...] = ("database", "schema", "scheduler", "reminders", "jobs", "webhooks")

UNSENT = text("reminders.status IN ('pending', 'sending')")  # the predicate of ix_reminders_unsent


@dataclass
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail", **self.detail}


@dataclass(frozen=True)
class Limits:
    sweep_max_age: timedelta  # no finished sweep for longer than this: the scheduler is down or stuck
    grace: timedelta  # a reminder or job due longer ago than this and still waiting is late
    max_failing_reminders: int
    max_failing_webhooks: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        interval = int(config.get("FOIA_SCHEDULER_INTERVAL") or 60)
        max_age = config.get("FOIA_HEALTH_SWEEP_MAX_AGE_SECONDS") or max(300, 3 * interval)
        return cls(sweep_max_age=timedelta(seconds=int(max_age)),
                   grace=timedelta(seconds=int(config.get("FOIA_HEALTH_GRACE_SECONDS") or 900)),
                   max_failing_reminders=int(config.get("FOIA_HEALTH_MAX_FAILING_REMINDERS") or 0),
                   max_failing_webhooks=int(config.get("FOIA_HEALTH_MAX_FAILING_WEBHOOKS") or 0))


def _database(session: Session, now: datetime, limits: Limits) -> Check:
    session.execute(text("SELECT 1"))
    return Check(True)


def _schema(session: Session, now: datetime, limits: Limits) -> Check:
    current, head = current_revisions(session.connection()), head_revisions()
    return Check(current == head, {"current": ",".join(current) or None, "head": ",".join(head)})


def _scheduler(session: Session, now: datetime, limits: Limits) -> Check:
    last = last_sweep(session)
    if last is None:
        return Check(False, {"last_sweep": None, "max_age_seconds": int(limits.sweep_max_age.total_seconds())})
    age = (now - last).total_seconds()
    return Check(age <= limits.sweep_max_age.total_seconds(),
                 {"last_sweep": last.isoformat(), "age_seconds": int(age),
                  "max_age_seconds": int(limits.sweep_max_age.total_seconds())})


def _reminders(session: Session, now: datetime, limits: Limits) -> Check:
    # Both counts read only unsent rows (the partial index ix_reminders_unsent), however many were sent.
    failing = session.scalar(select(func.count()).select_from(Reminder).where(UNSENT, Reminder.attempts > 0)) or 0
    late = session.scalar(select(func.count()).select_from(Reminder)
                          .where(UNSENT, Reminder.send_at < now - limits.grace)) or 0
    return Check(failing <= limits.max_failing_reminders and late == 0, {"failing": failing, "late": late})


def _jobs(session: Session, now: datetime, limits: Limits) -> Check:
    # ix_jobs_due (status, run_after) answers each count.
    queued = session.scalar(select(func.count()).select_from(Job).where(Job.status == "queued")) or 0
    late = session.scalar(select(func.count()).select_from(Job)
                          .where(Job.status == "queued", Job.run_after < now - limits.grace)) or 0
    stuck = session.scalar(select(func.count()).select_from(Job)
                           .where(Job.status == "running", Job.claimed_until < now - limits.grace)) or 0
    failed = session.scalar(select(func.count()).select_from(Job).where(Job.status == "failed")) or 0
    return Check(late == 0 and stuck == 0, {"queued": queued, "late": late, "stuck": stuck, "failed": failed})


def _webhooks(session: Session, now: datetime, limits: Limits) -> Check:
    # ix_webhook_deliveries_due (status, next_attempt_at): pending deliveries that already failed once.
    failing = session.scalar(select(func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.status == "pending", WebhookDelivery.attempts > 0)) or 0
    failed = session.scalar(select(func.count()).select_from(WebhookDelivery)
                            .where(WebhookDelivery.status == "failed")) or 0
    return Check(failing <= limits.max_failing_webhooks, {"failing": failing, "failed": failed})


RUNNERS = {"database": _database, "schema": _schema, "scheduler": _scheduler, "reminders": _reminders,
           "jobs": _jobs, "webhooks": _webhooks}


def run_checks(session: Session, *, now: datetime, config: Mapping[str, Any],
               only: Sequence[str] | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, body). A check that raises is a failure (with the exception's class name, no message);
    when the database itself is unreachable the others are not attempted."""
    limits = Limits.from_config(config)
    wanted = [name for name in CHECKS if only is None or name in only]
    results: dict[str, Any] = {}
    healthy = True
    for name in wanted:
        try:
            check = RUNNERS[name](session, now, limits)
        except Exception as exc:  # a health check reports every failure, it never raises
            session.rollback()
            check = Check(False, {"error": type(exc).__name__})
            if name == "database":
                results[name] = check.as_dict()
                for rest in wanted[wanted.index(name) + 1:]:
                    results[rest] = {"status": "unknown"}
                return False, results
        results[name] = check.as_dict()
        healthy = healthy and check.ok
    session.rollback()  # read-only: end the transaction (and its snapshot) at once
    return healthy, results
