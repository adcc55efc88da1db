"""Benchmark: importing a 1,000-row request log, against creating the same requests directly through the
services (not a timed test).

    .venv/bin/python bench/bench_import.py [--rows 1000] [--format xlsx|csv] [--agencies 500]

A fresh SQLite database (or FOIA_BENCH_DATABASE_URL) gets a directory of about --agencies agencies (departments
with components, abbreviations and parents, as the 18F import makes them), one organization and one user. A
generated log (agency names in several spellings, mixed date forms, 60% acknowledged, 30% closed) is then:

- baseline: the same rows created directly with create_request + log_event("sent") + log_communication
  (acknowledgment, closing), from already-parsed values and known agency slugs;
- read+preview: read the file, recognise the columns, match every agency, parse the dates, run the deadline
  engine on each row (what the web's preview page does);
- import: all of that, then create the requests (foia.imports.service.run_import).

Each is rolled back after every run. --rounds timed runs of each, alternating (the median is reported: the
machine may be shared), then one run of each under tracemalloc for its peak Python memory. Prints the
figures and the ratio import / baseline.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
HEADERS = ["ID", "Agency", "Subject", "Description", "Date Filed", "Tracking #", "Status", "Date Acknowledged",
           "Date Closed", "Notes"]
_WORD_TEXT = ("Immigration Customs Border Protection Enforcement Citizenship Services Secret Coast Guard Emergency "
         "Management Transportation Security Aviation Highway Railroad Transit Maritime Safety Energy Nuclear Fossil "
         "Science Education Labor Wage Hour Mine Health Occupational Food Drug Disease Control Medicare Indian "
         "Land Reclamation Park Fish Wildlife Geological Survey Ocean Weather Census Patent Trademark Export "
         "Justice Prisons Marshals Alcohol Tobacco Firearms Explosives Investigation Attorneys Tax Mint Engraving "
         "Treasury Revenue Fiscal Veterans Benefits Housing Urban Development Agriculture Forest Rural Commerce")
WORDS = _WORD_TEXT.split()


def seed_directory(session, n_agencies: int):
    from foia.models import Agency

    rng = random.Random(3)
    depts, comps = [], []
    n_depts = max(1, n_agencies // 10)
    for d in range(n_depts):
        w = rng.sample(WORDS, 2)
        dept = Agency(slug=f"d{d}", name=f"U.S. Department of {w[0]} and {w[1]} {d}", abbreviation=f"D{d}X",
                      jurisdiction="United States (federal)", law="us-foia", timezone="America/New_York",
                      created_at=NOW, updated_at=NOW)
        session.add(dept)
        depts.append(dept)
    session.flush()
    for i in range(n_agencies - n_depts):
        parent = depts[i % n_depts]
        w = rng.sample(WORDS, 3)
        abbr = "".join(x[0] for x in w) + str(i)
        comps.append(Agency(slug=f"{parent.slug}-{abbr.lower()}", name=f"Office of {w[0]} {w[1]} {w[2]} {i}",
                            abbreviation=abbr, parent_id=parent.id, jurisdiction="United States (federal)",
                            law="us-foia", timezone="America/New_York", created_at=NOW, updated_at=NOW))
    session.add_all(comps)
    session.flush()
    return comps


def make_rows(agencies, n: int):
    """(cells for the file, parsed values for the baseline) per row."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        a = agencies[i % len(agencies)]
        spelling = [a.name, a.abbreviation, a.name.upper().replace(" AND ", " & "), a.slug][i % 4]
        sent = date(2025, 1, 2) + timedelta(days=rng.randrange(300))
        ack = sent + timedelta(days=rng.randrange(1, 10)) if rng.random() < 0.6 else None
        closed = (ack or sent) + timedelta(days=rng.randrange(5, 60)) if rng.random() < 0.3 else None
        status = rng.choice(["Released", "Denied", "Partly denied"]) if closed else ("Acknowledged" if ack else "Open")
        fmt = i % 4

        def show(d, fmt=fmt):
            if d is None:
                return ""
            return [d.isoformat(), f"{d.month}/{d.day}/{d.year}", d.strftime("%B %-d, %Y"), d.strftime("%-d %B %Y")][fmt]

        title = f"Records request {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
        tracking = f"TRK-{i:05d}" if ack else ""
        cells = [f"B-{i:05d}", spelling, title, f"All records about {title.lower()}, 2020 to date.", show(sent),
                 tracking, status, show(ack), show(closed), "Imported by the benchmark." if i % 5 == 0 else ""]
        out.append((cells, dict(slug=a.slug, title=title, records=cells[3], sent=sent, ack=ack, closed=closed,
                                status=status, tracking=tracking, ext=cells[0], notes=cells[9])))
    return out


def file_bytes(rows, fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(HEADERS)
        for cells, _ in rows:
            w.writerow(cells)
        return buf.getvalue().encode("utf-8")
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS)
    for cells, _ in rows:
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def baseline(session, user, rows) -> int:
    """The same requests straight through the services, from parsed values."""
    from foia.communications.effects import DEFAULT_DIRECTION
    from foia.communications.service import log_communication
    from foia.imports.preview import closing_kind, sent_instant
    from foia.requests.notes import add_note
    from foia.requests.service import RequestInput, create_request, log_event, update_request

    for _cells, v in rows:
        req = create_request(session, actor=user, now=NOW, data=RequestInput(title=v["title"], records_sought=v["records"],
                                                                              agency_slug=v["slug"]))
        req.external_id = v["ext"]
        at = sent_instant(v["sent"], req.agency.timezone)
        log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=v["sent"], occurred_at=at)
        req.sent_at = at
        update_request(session, actor=user, now=NOW, req=req, status="submitted")
        if v["ack"]:
            log_communication(session, actor=user, now=NOW, req=req, direction="incoming", kind="acknowledgment",
                              occurred_on=v["ack"], tracking_number=v["tracking"])
        if v["closed"]:
            kind = closing_kind(v["status"])
            log_communication(session, actor=user, now=NOW, req=req, direction=DEFAULT_DIRECTION[kind], kind=kind,
                              occurred_on=v["closed"])
        if v["notes"]:
            add_note(session, actor=user, now=NOW, req=req, body=v["notes"])
    session.flush()
    return len(rows)


def do_import(session, user, data: bytes, name: str) -> int:
    from foia.imports.service import preview_file, run_import

    preview = preview_file(session, actor=user, now=NOW, data=data, filename=name)
    result = run_import(session, actor=user, now=NOW, preview=preview, skip_invalid=False)
    assert not result.refused, result.invalid[:5]
    session.flush()
    return len(result.imported)


def preview_only(session, user, data: bytes, name: str) -> int:
    from foia.imports.service import preview_file

    return len(preview_file(session, actor=user, now=NOW, data=data, filename=name).rows)


def measure(fn, session, memory: bool) -> tuple[float, float, int]:
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    count = fn()
    elapsed = time.perf_counter() - started
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    session.rollback()
    session.expunge_all()
    return elapsed, peak, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--agencies", type=int, default=500)
    ap.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    ap.add_argument("--rounds", type=int, default=3, help="timed runs of each, alternating (median reported)")
    args = ap.parse_args()

    import os

    from flask_migrate import upgrade

    from foia.accounts.service import create_user, get_or_create_organization
    from foia.extensions import db
    from foia.factory import create_app

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = os.environ.get("FOIA_BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp / "instance"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench", "FOIA_STORAGE_DIR": str(tmp / "storage"),
                      "FOIA_OUTBOX_DIR": str(tmp / "outbox"), "FOIA_DEMO": False})
    with app.app_context():
        upgrade()
        session = db.session
        agencies = seed_directory(session, args.agencies)
        org = get_or_create_organization(session, "Bench Newsroom", now=NOW)
        user = create_user(session, email="bench@bench.example", name="Bench", role="staff", organization=org,
                           password="bench password 1", now=NOW)
        session.commit()
        user_id = user.id
        rows = make_rows(agencies, args.rows)
        data = file_bytes(rows, args.format)
        name = f"log.{args.format}"
        print(f"{args.rows:,} rows, {len(data) / 1024:.0f} KB {args.format.upper()}, {args.agencies} agencies, {url.split(':')[0]}")

        def run(kind: str, memory: bool):
            u = session.get(type(user), user_id)
            fn = (lambda: baseline(session, u, rows)) if kind == "baseline" else (lambda: do_import(session, u, data, name))
            return measure(fn, session, memory)

        warm = rows[:20]  # load the laws, calendars and caches once, outside the measurements
        user_cls = type(user)
        measure(lambda: baseline(session, session.get_one(user_cls, user_id), warm), session, False)
        measure(lambda: do_import(session, session.get_one(user_cls, user_id), file_bytes(warm, args.format), name),
                session, False)

        def fresh():
            return session.get_one(user_cls, user_id)

        times: dict[str, list[float]] = {"baseline": [], "import": [], "read+preview": []}
        for _round in range(args.rounds):  # alternating, so load from elsewhere on the machine hits both alike
            times["baseline"].append(measure(lambda: baseline(session, fresh(), rows), session, False)[0])
            times["read+preview"].append(measure(lambda: preview_only(session, fresh(), data, name), session, False)[0])
            times["import"].append(measure(lambda: do_import(session, fresh(), data, name), session, False)[0])
        peaks = {"baseline": measure(lambda: baseline(session, fresh(), rows), session, True)[1],
                 "read+preview": measure(lambda: preview_only(session, fresh(), data, name), session, True)[1],
                 "import": measure(lambda: do_import(session, fresh(), data, name), session, True)[1]}
        med = {k: statistics.median(v) for k, v in times.items()}
        for kind in ("baseline", "read+preview", "import"):
            rate = f"({args.rows / med[kind]:6.1f} rows/s)"
            print(f"{kind:>13}: median {med[kind]:6.2f} s of {', '.join(f'{t:.2f}' for t in times[kind])} {rate}, "
                  f"peak traced memory {peaks[kind]:5.1f} MB")
        print(f"        ratio: import (read, match, preview, create) takes {med['import'] / med['baseline']:.2f}× the "
              f"time of creating the same requests directly; the read+preview step alone {med['read+preview'] / med['baseline']:.2f}×")

if __name__ == "__main__":
    main()
