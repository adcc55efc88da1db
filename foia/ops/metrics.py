"""/metrics in the Prometheus text format (prometheus-client), counted from the database at each scrape.

A fresh CollectorRegistry per scrape: the figures are the database's, shared by every web worker and the
scheduler, so no per-process counter could give them (and a multi-process registry is not needed).
Process metrics (CPU, memory, open files) are those of the worker that answered the scrape.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foia.dashboard.counts import all_counts
from foia.models import Job, Reminder, WebhookDelivery
from foia.models.request import CLOSED_STATUSES
from foia.ops.health import UNSENT, Limits
from foia.ops.heartbeat import last_sweep
from foia.ops.schema import current_revisions, head_revisions

#: Headers a reverse proxy adds: a loopback peer that sends one is a proxy passing on someone else's request.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def allowed(remote_addr: str | None, headers: Any, token: str | None) -> bool:
    """Scrapes come from this machine (loopback, not through a proxy) or carry `Authorization: Bearer
    <FOIA_METRICS_TOKEN>`."""
    if token:
        scheme, _, given = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    try:
        loopback = remote_addr is not None and ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        loopback = False
    return loopback and not any(h in headers for h in PROXY_HEADERS)


class DatabaseCollector(Collector):
    """Counts by status. Reminders, requests and webhook deliveries are counted over the whole table
    (a scan of the status column; see README "Operations" for the cost at scale); the rest use indexes."""

    def __init__(self, session: Session, now: datetime, config: Mapping[str, Any]) -> None:
        self.session, self.now, self.config = session, now, config

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self.session
        up = GaugeMetricFamily("foia_database_up", "1 if the database answered this scrape's queries.")
        try:
            families = list(self._families(s))
        except Exception:  # a scrape reports the database as down rather than failing
            s.rollback()
            up.add_metric([], 0)
            yield up
            return
        finally:
            s.rollback()
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, s: Session) -> Iterator[GaugeMetricFamily]:
        reminders = GaugeMetricFamily("foia_reminders", "Reminder rows by status.", labels=["status"])
        for status, n in s.execute(select(Reminder.status, func.count()).group_by(Reminder.status)):
            reminders.add_metric([status], n)
        yield reminders
        limits = Limits.from_config(self.config)
        failing = GaugeMetricFamily("foia_reminders_failing",
                                    "Unsent reminders whose last send failed (being retried).")
        failing.add_metric([], s.scalar(select(func.count()).select_from(Reminder)
                                        .where(UNSENT, Reminder.attempts > 0)) or 0)
        yield failing
        late = GaugeMetricFamily("foia_reminders_late", "Unsent reminders due longer ago than the grace period.")
        late.add_metric([], s.scalar(select(func.count()).select_from(Reminder)
                                     .where(UNSENT, Reminder.send_at < self.now - limits.grace)) or 0)
        yield late
        jobs = GaugeMetricFamily("foia_jobs", "Background jobs by kind and status.", labels=["kind", "status"])
        for kind, status, n in s.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)):
            jobs.add_metric([kind, status], n)
        yield jobs
        hooks = GaugeMetricFamily("foia_webhook_deliveries", "Webhook deliveries by status.", labels=["status"])
        for status, n in s.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)):
            hooks.add_metric([status], n)
        yield hooks
        open_requests = GaugeMetricFamily("foia_requests_open", "Requests not closed (drafts included).")
        by_status = all_counts(s)  # the maintained counts (foia.dashboard.counts): a few rows, not a scan
        open_requests.add_metric([], sum(n for status, n in by_status.items() if status not in CLOSED_STATUSES))
        yield open_requests
        requests = GaugeMetricFamily("foia_requests", "Requests by status (drafts included, deleted drafts not).",
                                     labels=["status"])
        for status, n in sorted(by_status.items()):
            requests.add_metric([status], n)
        yield requests
        last = last_sweep(s)
        age = GaugeMetricFamily("foia_last_sweep_age_seconds",
                                "Seconds since the scheduler last finished a reminder sweep (NaN: never).")
        age.add_metric([], float("nan") if last is None else (self.now - last).total_seconds())
        yield age
        stamp = GaugeMetricFamily("foia_last_sweep_timestamp_seconds",
                                  "When the scheduler last finished a reminder sweep (Unix time; 0: never).")
        stamp.add_metric([], 0 if last is None else last.timestamp())
        yield stamp
        schema = GaugeMetricFamily("foia_schema_at_head", "1 if the database is at the code's schema revision.")
        schema.add_metric([], 1 if current_revisions(s.connection()) == head_revisions() else 0)
        yield schema


def render(session: Session, *, now: datetime, config: Mapping[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    registry.register(DatabaseCollector(session, now, config))
    return generate_latest(registry)
