"""Browser tests: the real app served by gunicorn on loopback, driven by Playwright in Debian's Chromium.

Run with `make test-e2e` (CI runs it too). They are marked `e2e` and left out of `make test`.
Chromium must be installed (`apt-get install chromium`; .ci/run does it): a missing browser is a
failure, not a skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FOIA_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A fresh database with the demo data, served by gunicorn with the project's config."""
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = dict(os.environ, FLASK_APP="app.py", FOIA_DATABASE_URL=f"sqlite:///{tmp / 'e2e.sqlite3'}",
               FOIA_SECRET_KEY="e2e", FOIA_DEMO="1", FOIA_STORAGE_DIR=str(tmp / "storage"),
               FOIA_OUTBOX_DIR=str(tmp / "outbox"), FOIA_BASE_URL=f"http://127.0.0.1:{port}", PORT=str(port),
               WEB_CONCURRENCY="2", FOIA_ACCESS_LOG=str(tmp / "access.log"),
               # The demo admin is not enrolled in two-factor sign-in; test_two_factor.py enrols its own user.
               FOIA_REQUIRE_2FA_ROLES="")
    env.pop("FOIA_SMTP_URL", None)
    for args in (["db", "upgrade"], ["foia", "demo"]):
        subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # preload_app: the port opens once the master has imported the app
    while True:
        try:
            urllib.request.urlopen(base + "/healthz?checks=database,schema", timeout=2)  # no scheduler runs here
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                break
            time.sleep(0.1)
    if proc.poll() is not None or time.monotonic() > deadline:
        proc.kill()
        raise RuntimeError("the app did not start: " + proc.stdout.read().decode(errors="replace"))
    yield {"base": base, "env": env, "tmp": tmp}
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server["base"], viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


# ---------------------------------------------------------------- helpers (imported by the tests)

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def sign_in(page, email: str, password: str = "foia-demo") -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page. axe's source is evaluated through
    the DevTools protocol, which the app's Content-Security-Policy does not govern, so the app needs no
    CSP exception for its tests."""
    # Let transitions finish first (a dialog fading in is measured at full opacity, not half-way).
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    page.evaluate("() => { " + _AXE_SOURCE + "\n; return typeof axe; }")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return result


_AXE_SOURCE = AXE.read_text(encoding="utf-8")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
