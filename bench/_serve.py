"""Shared by bench_workers.py and bench_load.py: a migrated database and gunicorn with the project's config."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(db_url: str, tmp: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FLASK_APP="app.py", FOIA_DATABASE_URL=db_url,
               FOIA_SECRET_KEY="bench", FOIA_STORAGE_DIR=str(tmp / "storage"), FOIA_OUTBOX_DIR=str(tmp / "outbox"),
               FOIA_BASE_URL="http://127.0.0.1", FOIA_ACCESS_LOG=str(tmp / "access.log"),
               FOIA_REQUIRE_2FA_ROLES="", PYTHONUNBUFFERED="1")
    env.pop("FOIA_SMTP_URL", None)
    return env


def flask(env: Mapping[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=dict(env), check=True,
                         capture_output=True, text=True)
    return out.stdout


def start_gunicorn(env: Mapping[str, str], port: int, **settings: str) -> subprocess.Popen[bytes]:
    """gunicorn -c gunicorn.conf.py app:app on `port`; `settings` are extra environment variables
    (WEB_CONCURRENCY, FOIA_WORKER_CLASS, FOIA_THREADS...). Returns once /healthz answers. Its output goes to
    gunicorn-PORT.log beside the access log (a pipe nobody reads would block it once full)."""
    proc_env = dict(env, PORT=str(port), **settings)
    log_path = Path(proc_env.get("FOIA_ACCESS_LOG", "/tmp/x")).parent / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT,
                                env=proc_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz?checks=database", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text(errors="replace"))


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def summary(samples: list[float]) -> str:
    """min / median / max of seconds, in ms."""
    s = sorted(samples)
    return f"{s[0] * 1000:8.1f} / {s[len(s) // 2] * 1000:8.1f} / {s[-1] * 1000:8.1f} ms"
