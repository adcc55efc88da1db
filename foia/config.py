"""Settings from FOIA_* environment variables, with safe local defaults.

Nothing here touches the network or the database; `load_config` reads the
environment, creates the folders the settings name (the instance folder, the
SQLite file's folder, storage and outbox) so a fresh checkout starts whatever is
set, and, when no secret key is configured, creates one under the instance folder
(so sessions survive restarts without a key in the repo).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from foia.core.clock import DEFAULT_TIMEZONE
from foia.core.files import atomic_write

#: Mode for folders created here (as the blob store uses: owner rwx, group r-x).
DIR_MODE = 0o750


def _sqlite_folder(database_url: str) -> Path | None:
    """The folder of a file-backed SQLite database URL, else None (server databases, :memory:)."""
    try:
        url = make_url(database_url)
    except ArgumentError:  # a malformed URL is reported by SQLAlchemy when it is used
        return None
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).parent


def _make_folders(*folders: Path | None) -> None:
    for folder in folders:
        if folder is not None:
            folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def _secret_key(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    # Created once, whole: two processes starting at once agree on the first key written.
    try:
        atomic_write(key_file, key.encode(), mode=0o600, overwrite=False)
    except FileExistsError:
        return key_file.read_text().strip()
    return key


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _roles(value: str | None) -> tuple[str, ...]:
    return tuple(r.strip() for r in (value or "").split(",") if r.strip())


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    inst = Path(instance_path)
    database_url = env.get("FOIA_DATABASE_URL") or f"sqlite:///{inst / 'foia.sqlite3'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; make plain URLs use it.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    max_upload = int(env.get("FOIA_MAX_UPLOAD_BYTES") or 200 * 1024 * 1024)
    storage_dir = env.get("FOIA_STORAGE_DIR") or str(inst / "storage")
    storage_url = (env.get("FOIA_STORAGE_URL") or "").strip() or None
    if storage_url and not (storage_url.startswith("s3://") and len(storage_url) > len("s3://")):
        raise ValueError("FOIA_STORAGE_URL must be s3://bucket/prefix (or unset for FOIA_STORAGE_DIR/blobs)")
    outbox_dir = env.get("FOIA_OUTBOX_DIR") or str(inst / "outbox")
    # Whether or not a secret key is given: SQLite cannot create a missing folder
    # ("unable to open database file"), and the first upload or mail needs the others.
    _make_folders(inst, _sqlite_folder(database_url), Path(storage_dir), Path(outbox_dir))
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": env.get("FOIA_SECRET_KEY") or _secret_key(inst),
        "FOIA_STORAGE_DIR": storage_dir,
        # Document blobs in an S3-compatible bucket instead of FOIA_STORAGE_DIR/blobs (which then holds only
        # uploads being staged); credentials and region from the standard AWS_* variables.
        "FOIA_STORAGE_URL": storage_url,
        "FOIA_S3_ENDPOINT_URL": (env.get("FOIA_S3_ENDPOINT_URL") or "").strip() or None,
        "FOIA_OUTBOX_DIR": outbox_dir,
        "FOIA_SMTP_URL": env.get("FOIA_SMTP_URL") or None,
        "FOIA_MAIL_FROM": env.get("FOIA_MAIL_FROM") or "FOIA Tracker <foia-tracker@localhost>",
        "FOIA_TIMEZONE": env.get("FOIA_TIMEZONE") or DEFAULT_TIMEZONE,
        "FOIA_DEMO": _truthy(env.get("FOIA_DEMO")),
        "FOIA_BASE_URL": env.get("FOIA_BASE_URL") or "http://127.0.0.1:5000",
        "FOIA_REMINDER_LEASE_SECONDS": int(env.get("FOIA_REMINDER_LEASE_SECONDS") or 300),
        "FOIA_SCHEDULER_INTERVAL": int(env.get("FOIA_SCHEDULER_INTERVAL") or 60),
        # Reminder claims: rows are claimed this many at a time and each claim's lease is renewed before
        # every send (leases are compared against the database's clock, never a process's).
        "FOIA_REMINDER_CLAIM_BATCH": int(env.get("FOIA_REMINDER_CLAIM_BATCH") or 50),
        # SMTP: seconds to open a connection, and to wait for each answer (a silent relay stalls a sweep by
        # at most these, once: the sweep probes the relay before sending).
        "FOIA_SMTP_CONNECT_TIMEOUT": float(env.get("FOIA_SMTP_CONNECT_TIMEOUT") or 5),
        "FOIA_SMTP_TIMEOUT": float(env.get("FOIA_SMTP_TIMEOUT") or 10),
        # The mail loop: replies come back to FOIA_REPLY_ADDRESS (plus-addressed per request) and are
        # fetched over IMAP every FOIA_MAIL_POLL_SECONDS by the scheduler.
        "FOIA_REPLY_ADDRESS": (env.get("FOIA_REPLY_ADDRESS") or "").strip() or None,
        "FOIA_IMAP_URL": env.get("FOIA_IMAP_URL") or None,
        "FOIA_MAIL_POLL_SECONDS": int(env.get("FOIA_MAIL_POLL_SECONDS") or 120),
        # Extra folders of law files (<slug>.toml), searched after foia/laws/; os.pathsep-separated.
        "FOIA_LAWS_DIRS": [d for d in (env.get("FOIA_LAWS_DIRS") or "").split(os.pathsep) if d.strip()],
        # Sign-in (see README "Signing in"): server-side sessions end after this long without use, or
        # this long after sign-in, whichever comes first.
        "FOIA_SESSION_IDLE_MINUTES": int(env.get("FOIA_SESSION_IDLE_MINUTES") or 60),
        "FOIA_SESSION_MAX_HOURS": int(env.get("FOIA_SESSION_MAX_HOURS") or 12),
        # Consecutive failed sign-ins before an account is locked (1, 2, 4 ... up to 60 minutes).
        "FOIA_LOGIN_MAX_FAILURES": int(env.get("FOIA_LOGIN_MAX_FAILURES") or 5),
        # Flask-Limiter's counters: memory:// is per process; several gunicorn workers need a shared
        # store (redis://host:6379) for the limits to hold across workers.
        "RATELIMIT_STORAGE_URI": env.get("FOIA_RATELIMIT_STORAGE_URI") or "memory://",
        # The JSON API's rate limits (Flask-Limiter syntax): per personal token, and per address whatever the token.
        "FOIA_API_RATE_LIMIT": env.get("FOIA_API_RATE_LIMIT") or "120 per minute",
        "FOIA_API_ADDRESS_RATE_LIMIT": env.get("FOIA_API_ADDRESS_RATE_LIMIT") or "1200 per minute",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; 0 trusts none.
        "FOIA_TRUSTED_PROXIES": int(env.get("FOIA_TRUSTED_PROXIES") or 0),
        # Roles that must sign in with a second factor (comma-separated; empty: nobody is forced).
        "FOIA_REQUIRE_2FA_ROLES": _roles(env.get("FOIA_REQUIRE_2FA_ROLES", "admin")),
        # Operations (README "Operations"): /metrics is served to loopback or with this bearer token; the
        # schema check at start (auto: gunicorn and `flask run`; 1: whatever loads the app; 0: never); /healthz
        # limits (the last sweep's maximum age defaults to max(300 s, 3 sweep intervals)).
        "FOIA_METRICS_TOKEN": env.get("FOIA_METRICS_TOKEN") or None,
        "FOIA_SCHEMA_CHECK": env.get("FOIA_SCHEMA_CHECK") or "auto",
        "FOIA_HEALTH_SWEEP_MAX_AGE_SECONDS": int(env.get("FOIA_HEALTH_SWEEP_MAX_AGE_SECONDS") or 0) or None,
        "FOIA_HEALTH_GRACE_SECONDS": int(env.get("FOIA_HEALTH_GRACE_SECONDS") or 900),
        "FOIA_HEALTH_MAX_FAILING_REMINDERS": int(env.get("FOIA_HEALTH_MAX_FAILING_REMINDERS") or 0),
        "FOIA_HEALTH_MAX_FAILING_WEBHOOKS": int(env.get("FOIA_HEALTH_MAX_FAILING_WEBHOOKS") or 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _truthy(env.get("FOIA_SECURE_COOKIES")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "FOIA_MAX_UPLOAD_BYTES": max_upload,  # per uploaded document
        # The whole request body: one largest document plus room for the form and multipart framing.
        "MAX_CONTENT_LENGTH": max(16 * 1024 * 1024, max_upload + 1024 * 1024),
        "PAGE_SIZE": 50,
        # Text extraction (a background job, in a child process with these limits; security review M5).
        "FOIA_EXTRACT_CPU_SECONDS": int(env.get("FOIA_EXTRACT_CPU_SECONDS") or 60),
        "FOIA_EXTRACT_MEMORY_MB": int(env.get("FOIA_EXTRACT_MEMORY_MB") or 1024),
        "FOIA_EXTRACT_WALL_SECONDS": float(env.get("FOIA_EXTRACT_WALL_SECONDS") or 120),
        "FOIA_EXTRACT_MAX_PAGES": int(env.get("FOIA_EXTRACT_MAX_PAGES") or 5000),
        "FOIA_EXTRACT_MAX_OUTPUT_MB": int(env.get("FOIA_EXTRACT_MAX_OUTPUT_MB") or 16),
        # poppler's pdftotext (unset: found on PATH; empty: always pypdfium2 in the child).
        "FOIA_PDFTOTEXT": env.get("FOIA_PDFTOTEXT"),
        # OCR of scanned PDFs and images (a background job; ocrmypdf + Tesseract in a limited child process).
        "FOIA_OCR": _truthy(env.get("FOIA_OCR") or "1"),
        "FOIA_OCR_CPU_SECONDS": int(env.get("FOIA_OCR_CPU_SECONDS") or 1800),
        "FOIA_OCR_MEMORY_MB": int(env.get("FOIA_OCR_MEMORY_MB") or 2048),
        "FOIA_OCR_WALL_SECONDS": float(env.get("FOIA_OCR_WALL_SECONDS") or 1800),
        "FOIA_OCR_MAX_PAGES": int(env.get("FOIA_OCR_MAX_PAGES") or 1000),
        "FOIA_OCR_LANGUAGE": env.get("FOIA_OCR_LANGUAGE") or "eng",
        "FOIA_TESSERACT": env.get("FOIA_TESSERACT"),
        "FOIA_JOB_INTERVAL": int(env.get("FOIA_JOB_INTERVAL") or 15),
    }
