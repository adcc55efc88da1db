"""Screenshots of the request page, the filing form and the log-a-response form, on a desktop and a phone.

usage: .venv/bin/python scripts/screenshots.py OUTDIR [ROOT] [--directory]

With --directory it photographs the agency directory instead: the list, the departments, ICE's page with its
reported figures, and the filing form with "ICE" typed in the agency filter.

ROOT is the checkout to photograph (default: this one), so a before/after pair can be taken from two worktrees. It
serves ROOT with the demo data on a free loopback port, signs in as the demo clerk and photographs the first two
demo requests, New request and Log a communication at 1366x900 and 390x844 (full page)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(out: Path, root: Path, directory: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    port, tmp = _free_port(), Path(tempfile.mkdtemp(prefix="foia-shots-"))
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, FLASK_APP="app.py", FOIA_DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
               FOIA_SECRET_KEY="screenshots", FOIA_DEMO="1", FOIA_STORAGE_DIR=str(tmp / "storage"),
               FOIA_OUTBOX_DIR=str(tmp / "outbox"), FOIA_BASE_URL=base, FOIA_REQUIRE_2FA_ROLES="",
               PYTHONPATH=str(root))
    for args in (["db", "upgrade"], ["foia", "demo"]):
        subprocess.run([sys.executable, "-m", "flask", *args], cwd=root, env=env, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "flask", "run", "-p", str(port)], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("FOIA_CHROMIUM", "/usr/bin/chromium"),
                                         args=["--no-sandbox"])
            for name, viewport in VIEWPORTS.items():
                context = browser.new_context(base_url=base, viewport=viewport)
                page = context.new_page()
                page.goto("/login")
                page.get_by_label("Email address").fill("clerk@lacity.example")
                page.get_by_label("Password").fill("foia-demo")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                if directory:
                    for shot, path in (("agencies", "/agencies"), ("departments", "/agencies/departments"),
                                       ("agency-ice", "/agencies/dhs-ice")):
                        page.goto(path)
                        page.screenshot(path=str(out / f"{shot}-{name}.png"), full_page=True)
                    page.goto("/requests/new")
                    page.locator("#agency-filter").fill("ICE")
                    page.screenshot(path=str(out / f"filing-ice-{name}.png"), full_page=False)
                    context.close()
                    continue
                page.goto("/requests")
                refs = sorted(set(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())))
                shots = [(f"request-{ref}", f"/requests/{ref}") for ref in refs[:2]]
                shots += [("filing", "/requests/new"), ("log-response", f"/requests/{refs[0]}/communications/new")]
                for shot, path in shots:
                    page.goto(path)
                    page.screenshot(path=str(out / f"{shot}-{name}.png"), full_page=True)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    for path in sorted(out.iterdir()):
        print(path)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--directory"]
    main(Path(args[0]), Path(args[1]).resolve() if len(args) > 1 else Path(__file__).resolve().parents[1],
         directory="--directory" in sys.argv)
