"""Benchmark: one reminder sweep with 1,000 due reminders among 10k and among 1M rows.

The other rows are reminders already sent (what a table looks like after years of use) plus a
share of future pending ones. Mail goes to an in-memory mailer (we measure our sweep, not an SMTP
server); `--outbox` writes real .eml files instead.

    .venv/bin/python bench/bench_sweep.py [--db sqlite:////tmp/x.sqlite3] [--sizes 10000,1000000] [--outbox]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from foia.accounts.service import create_user, get_or_create_organization
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.mail import OutboxMailer
from foia.models import Agency, Reminder, Request, RequestClock
from foia.reminders.dispatch import DispatchSettings, dispatch_due

NOW = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
DUE = 1000


class MemoryMailer:
    def __init__(self):
        self.sent = 0

    def send(self, msg) -> None:
        bytes(msg)  # serialise it, as a transport would
        self.sent += 1


def run(url: str, total: int, outbox: bool) -> float:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        s = db.session
        org = get_or_create_organization(s, "Bench City", now=NOW)
        user = create_user(s, email="bench@example.org", name="Bench", role="staff", organization=org,
                           password="bench-password", now=NOW)
        upsert_agencies(s, NOW)
        ice = s.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
        s.commit()
        reqs, clocks = [], []
        for i in range(DUE):
            reqs.append(dict(id=i + 1, ref=f"FT-2026-{i + 1:06d}", ref_year=2026, ref_seq=i + 1, title=f"Request {i}",
                             records_sought="records", requester_id=user.id, organization_id=org.id, agency_id=ice.id,
                             law="us-foia", status="submitted", fee_category="other", fee_waiver=False,
                             fee_waiver_justification="", expedited=False, expedited_justification="",
                             preferred_format="", visibility="organization", tracking_number="", created_at=NOW,
                             updated_at=NOW, response_due=date(2026, 6, 30), next_due=date(2026, 6, 30)))
            clocks.append(dict(request_id=i + 1, kind="response", label="Determination due", due=date(2026, 6, 30),
                               status="open", computed_at=NOW))
        s.execute(insert(Request), reqs)
        s.execute(insert(RequestClock), clocks)
        base = dict(user_id=user.id, clock_kind="response", attempts=0, last_error="", created_at=NOW)
        due_rows = [dict(base, request_id=i + 1, due=date(2026, 6, 30), rule="on_date", seq=0,
                         send_at=NOW - timedelta(hours=1), status="pending", message_id="") for i in range(DUE)]
        s.execute(insert(Reminder), due_rows)
        others = total - DUE
        batch = []
        for n in range(others):
            req_id = n % DUE + 1
            seq = n // DUE + 1
            future = n % 10 == 0  # a tenth still to come, the rest long sent
            batch.append(dict(base, request_id=req_id, due=date(2025, 1, 1) + timedelta(days=seq % 3000), rule="overdue_weekly",
                              seq=seq, send_at=NOW + timedelta(days=3) if future else NOW - timedelta(days=30),
                              status="pending" if future else "sent", sent_at=None if future else NOW - timedelta(days=30),
                              message_id="" if future else f"<old-{n}@bench>"))
            if len(batch) == 20000:
                s.execute(insert(Reminder), batch)
                batch = []
        if batch:
            s.execute(insert(Reminder), batch)
        s.commit()
        if db.engine.dialect.name == "postgresql":
            s.execute(text("ANALYZE reminders"))
            s.commit()
        mailer = OutboxMailer(tempfile.mkdtemp(prefix="bench-outbox-")) if outbox else MemoryMailer()
        t0 = time.perf_counter()
        sent = dispatch_due(s, now=NOW, mailer=mailer, settings=DispatchSettings(batch=200))
        elapsed = time.perf_counter() - t0
        assert sent == DUE, sent
        t1 = time.perf_counter()
        again = dispatch_due(s, now=NOW, mailer=mailer, settings=DispatchSettings(batch=200))
        idle = time.perf_counter() - t1
        print(f"{db.engine.dialect.name:10} rows={total:>9,}  sweep sending {sent} reminders: {elapsed:.3f}s "
              f"({elapsed / sent * 1000:.2f} ms each); next sweep with nothing due: {idle * 1000:.1f} ms ({again} sent)")
        s.remove()
        db.engine.dispose()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-sweep.sqlite3")
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--outbox", action="store_true", help="write .eml files instead of an in-memory mailer")
    args = ap.parse_args()
    results = {}
    for size in (int(x) for x in args.sizes.split(",")):
        if args.db.startswith("sqlite:////"):
            for suffix in ("", "-wal", "-shm"):
                Path(args.db.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        results[size] = run(args.db, size, args.outbox)
    if len(results) == 2:
        small, large = sorted(results)
        print(f"ratio {large:,} / {small:,} rows: {results[large] / results[small]:.2f}x")


if __name__ == "__main__":
    main()
