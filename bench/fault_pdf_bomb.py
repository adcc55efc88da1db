"""Fault script: the PDF bomb of security review M5, before and after, against a real gunicorn.

    .venv/bin/python bench/fault_pdf_bomb.py [--before-commit ce026d9] [--database-url URL] [--modes before,after,after-pypdf]

A 9.5 KB PDF whose 6 pages share one 8 MB FlateDecode content stream of ``q Q`` operators (48 MB of
operators to parse; pypdf needs ~8 s and ~750 MB per page) is uploaded by a reporter to their own
request while a prober signs another person in every 4 s (a write: a session row) and reads
``/healthz`` every 0.5 s. For each mode the script starts gunicorn (2 workers, 30 s timeout, like the
review) on a fresh database, uploads, then runs ``flask foia documents extract`` (the job runner;
in the old code it extracts nothing, the upload did it inline), and prints:

  upload: HTTP status and seconds; extraction: seconds and the document's text status and reason;
  sign-ins and health checks during the run: ok / failed, and the slowest.

Modes: ``before`` runs the code at ``--before-commit`` (exported with ``git archive``; inline extraction
with pypdf inside the upload's transaction); ``after`` runs this checkout (upload queues a job; the
runner extracts in a limited child with pdftotext when installed); ``after-pypdf`` the same with
``FOIA_PDFTOTEXT=""`` (pypdf in the child) and the default limits (60 s CPU, 1 GiB).

``--pages 200`` makes a bomb whose parse outlasts the default 60 s CPU limit with either extractor.

``--database-url`` runs on PostgreSQL instead of a fresh SQLite file: give a database of its own, its
``public`` schema is dropped and re-created for every mode.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def content_stream_bomb(pages: int = 6, megabytes: int = 8) -> bytes:
    """A few KB of PDF whose pages all share one FlateDecode content stream of ``megabytes`` MB of ``q Q``."""
    ops = b"BT /F1 12 Tf 72 700 Td (bomb) Tj ET " + b"q Q " * (megabytes * (1 << 20) // 4)
    stream = zlib.compress(ops, 9)
    font = 4 + pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)), pages),
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % font] * pages
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


SEED = """
import json
from datetime import UTC, datetime
from flask_migrate import upgrade
from foia.factory import create_app
from foia.extensions import db
from foia.accounts.service import create_user, get_or_create_organization
from foia.demo import upsert_agencies
from foia.requests.service import RequestInput, create_request
now = datetime.now(UTC)
app = create_app()
with app.app_context():
    upgrade()
    s = db.session()
    org = get_or_create_organization(s, "Ledger", now=now)
    upsert_agencies(s, now)
    rep = create_user(s, email="rep@ledger.example", name="Rep", role="reporter", organization=org, password=PW, now=now)
    create_user(s, email="other@ledger.example", name="Other", role="reporter", organization=org, password=PW, now=now)
    req = create_request(s, actor=rep, now=now, data=RequestInput(title="Transfers", records_sought="All transfer records.",
                         agency_slug="lasd", visibility="private"))
    s.commit()
    print(json.dumps({"ref": req.ref}))
"""

STATUS = """
import json
from sqlalchemy import select
from foia.factory import create_app
from foia.extensions import db
from foia.models import Document, Job
app = create_app()
with app.app_context():
    doc = db.session.scalar(select(Document).order_by(Document.id.desc()))
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    took = (job.finished_at - job.started_at).total_seconds() if job and job.finished_at and job.started_at else None
    print(json.dumps(None if doc is None else {"status": doc.text_status, "error": getattr(doc, "text_error", ""),
                                               "pages": doc.pages, "size": doc.size,
                                               "job": None if job is None else f"{job.status}, {took} s"}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, timeout: float = 60) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def post(self, path: str, data: bytes, content_type: str, timeout: float = 120) -> int:
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": content_type})
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                resp.read()
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def token(self, path: str) -> str:
        _status, html = self.get(path)
        match = CSRF_RE.search(html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def login(self, email: str) -> int:
        token = self.token("/login")
        body = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
        return self.post("/login", body, "application/x-www-form-urlencoded", timeout=60)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, filename, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


@dataclass
class Probe:
    ok: int = 0
    failed: int = 0
    slowest: float = 0.0
    codes: dict[str, int] = field(default_factory=dict)

    def record(self, code: int | str, seconds: float) -> None:
        if code in (200, 302):
            self.ok += 1
        else:
            self.failed += 1
            self.codes[str(code)] = self.codes.get(str(code), 0) + 1
        self.slowest = max(self.slowest, seconds)

    def __str__(self) -> str:
        bad = f" {self.codes}" if self.codes else ""
        return f"{self.ok} ok, {self.failed} failed{bad}, slowest {self.slowest:.1f} s"


def prober(base: str, stop: threading.Event, signins: Probe, health: Probe) -> None:
    def sign_in_loop() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                code: int | str = Client(base).login("other@ledger.example")
            except Exception as exc:  # a timeout or a dropped connection counts as a failure
                code = type(exc).__name__
            signins.record(code, time.monotonic() - started)
            stop.wait(4.0)

    def health_loop() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                code: int | str = Client(base).get("/healthz", timeout=30)[0]
            except Exception as exc:
                code = type(exc).__name__
            health.record(code, time.monotonic() - started)
            stop.wait(0.5)

    threads = [threading.Thread(target=sign_in_loop, daemon=True), threading.Thread(target=health_loop, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def reset_postgres(url: str, tree: Path, env: dict[str, str]) -> None:
    code = ("import sys; from sqlalchemy import create_engine, text; e = create_engine(sys.argv[1])\n"
            "with e.begin() as c:\n c.execute(text('DROP SCHEMA IF EXISTS public CASCADE')); c.execute(text('CREATE SCHEMA public'))")
    subprocess.run([str(VENV_BIN / "python"), "-c", code, url], cwd=tree, env=env, check=True)


def _exercise(server: subprocess.Popen[bytes], base: str, ref: str, bomb: bytes, tree: Path,
              env: dict[str, str]) -> tuple[int | str, float, subprocess.CompletedProcess[str], float, Probe, Probe]:
    """Upload the bomb and run the job runner while the prober signs in and checks health; stop the server."""
    try:
        for _ in range(100):
            try:
                if Client(base).get("/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        uploader = Client(base)
        assert uploader.login("rep@ledger.example") in (200, 302), "the uploader could not sign in"
        signins, health, stop = Probe(), Probe(), threading.Event()
        probe = threading.Thread(target=prober, args=(base, stop, signins, health), daemon=True)
        probe.start()
        time.sleep(2)
        token = uploader.token(f"/requests/{ref}/documents/new")
        body, ctype = multipart({"csrf_token": token}, [("files", "bomb.pdf", bomb)])
        started = time.monotonic()
        try:
            code: int | str = uploader.post(f"/requests/{ref}/documents/new", body, ctype)
        except Exception as exc:
            code = type(exc).__name__
        upload_s = time.monotonic() - started
        started = time.monotonic()
        extract = subprocess.run([str(VENV_BIN / "flask"), "foia", "documents", "extract"], cwd=tree, env=env,
                                 capture_output=True, text=True)
        extract_s = time.monotonic() - started
        time.sleep(2)
        stop.set()
        probe.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return code, upload_s, extract, extract_s, signins, health


def run_mode(mode: str, tree: Path, work: Path, bomb: bytes, database_url: str | None) -> dict[str, object]:
    inst = work / mode
    inst.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tree), "FOIA_SECRET_KEY": "bench", "FOIA_STORAGE_DIR": str(inst / "storage"),
           "FOIA_OUTBOX_DIR": str(inst / "outbox"), "FOIA_DATABASE_URL": database_url or f"sqlite:///{inst / 'foia.sqlite3'}",
           "FOIA_REQUIRE_2FA_ROLES": "", "FLASK_APP": "app.py"}
    env.pop("FOIA_PDFTOTEXT", None)
    if mode == "after-pypdf":
        env["FOIA_PDFTOTEXT"] = ""
    if database_url:
        reset_postgres(database_url, tree, env)
    python = str(VENV_BIN / "python")
    seeded = subprocess.run([python, "-c", SEED.replace("PW", repr(PASSWORD))], cwd=tree, env=env, check=True,
                            capture_output=True, text=True)
    ref = json.loads(seeded.stdout.strip().splitlines()[-1])["ref"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(inst / "gunicorn.log", "wb") as log:
        server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", "2", "-t", "30", "-b", f"127.0.0.1:{port}",
                                   "app:app"], cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=log)
        code, upload_s, extract, extract_s, signins, health = _exercise(server, base, ref, bomb, tree, env)
    status = subprocess.run([python, "-c", STATUS], cwd=tree, env=env, check=True, capture_output=True, text=True)
    timeouts = (inst / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
    return {"mode": mode, "upload": f"HTTP {code} in {upload_s:.1f} s", "worker timeouts": timeouts,
            "extraction run": f"{extract_s:.1f} s: {(extract.stdout or extract.stderr).strip().splitlines()[-1:]}",
            "document": json.loads(status.stdout.strip().splitlines()[-1]) or "none: the upload was rolled back",
            "sign-ins": str(signins), "healthz": str(health)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before-commit", default="ce026d9", help="the code before the fix (default ce026d9)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database of its own (default: SQLite)")
    parser.add_argument("--modes", default="before,after,after-pypdf")
    parser.add_argument("--pages", type=int, default=6, help="pages sharing the stream (default 6, the review's)")
    parser.add_argument("--megabytes", type=int, default=8, help="MB of operators in the stream (default 8)")
    args = parser.parse_args()
    bomb = content_stream_bomb(args.pages, args.megabytes)
    print(f"bomb: {len(bomb):,} bytes, {args.pages} pages sharing one {args.megabytes} MB content stream; pdftotext: "
          f"{shutil.which('pdftotext') or 'not installed'}; database: {args.database_url or 'SQLite'}")
    with tempfile.TemporaryDirectory(prefix="pdfbomb-") as tmp:
        work = Path(tmp)
        before_tree = work / "before-tree"
        for mode in args.modes.split(","):
            tree = ROOT
            if mode == "before":
                if not before_tree.exists():  # an export of the old code (no worktree is registered)
                    before_tree.mkdir()
                    archive = subprocess.run(["git", "archive", args.before_commit], cwd=ROOT, check=True,
                                             capture_output=True).stdout
                    subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
                tree = before_tree
            result = run_mode(mode, tree, work, bomb, args.database_url)
            for key, value in result.items():
                print(f"  {key:15} {value}")
            print(flush=True)


if __name__ == "__main__":
    main()
