"""An administrator uploads the review's PDF bomb (M5): the upload answers at once, the job runner marks the
file "Text not extracted (CPU time limit)", and the admin Jobs page lists it with a Retry button. The
request page and the Jobs page (failed and queued tables) have no accessibility violations."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.documents.test_extract_sandbox import content_stream_bomb
from tests.e2e.conftest import ROOT, axe_violations, sign_in


def test_admin_sees_a_hostile_pdf_fail_and_retries_it(page, live_server, tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(content_stream_bomb())
    sign_in(page, "admin@lacity.example")
    page.goto("/requests")
    ref = sorted(set(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())))[0]
    page.goto(f"/requests/{ref}/documents/new")
    page.locator("#upload-files").set_input_files(str(bomb))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert "Text not searchable yet" in page.content()

    env = dict(live_server["env"], FOIA_EXTRACT_CPU_SECONDS="1")
    run = subprocess.run([sys.executable, "-m", "flask", "foia", "documents", "extract"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "1 not extracted" in run.stdout, run.stdout + run.stderr

    page.goto(f"/requests/{ref}")
    assert "Text not extracted (CPU time limit)" in page.content()
    assert axe_violations(page) == []

    page.goto("/admin/jobs")
    assert "Text not extracted (CPU time limit)" in page.content()
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile(r"Retry job \d+ \(bomb\.pdf\)")).click()
    page.wait_for_load_state()
    assert "queued again" in page.content() and "No failures." in page.content()
    assert axe_violations(page) == []  # the queued table
