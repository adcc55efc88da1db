"""Letters in the app: drafts, revisions, finalizing, PDFs from the cache, marking as sent,
access rules, escaping of free text, appeals, comparison and the `flask foia letter` command."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from foia.core.errors import ValidationError
from foia.letters.service import (
    build_context,
    finalize,
    mark_sent,
    new_draft,
    revise_draft,
)
from foia.models import AuditLog, Event, LetterVersion, Request
from foia.requests.service import log_event
from tests.conftest import NOW, csrf_token

SENT_ON = date(2026, 1, 5)  # a Monday; 20 working days later (skipping Jan 19, MLK Day) is Feb 3
PAYLOAD = '{{ 7*7 }} <script>alert(1)</script> <img src="file:///etc/passwd">'


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").split())


def version_id_from(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)
    match = re.search(r"/letters/(\d+)$", resp.headers["Location"])
    assert match, resp.headers["Location"]
    return int(match.group(1))


def cache_files(app) -> list[Path]:
    return sorted(Path(app.config["FOIA_STORAGE_DIR"], "letter-cache").rglob("*.pdf"))


def post(client, url, data, token_page):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_page)})


# ---------------------------------------------------------------------------- the whole flow

def test_draft_revise_finalize_download_and_mark_sent(login_as, world, session, app):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    ref, base = req.ref, f"/requests/{req.ref}/letters"

    page = client.get(f"{base}/new?kind=request")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'for="intro"' in body and 'for="closing"' in body and 'id="intro-hint"' in body
    assert 'for="appeal_grounds"' not in body  # only appeals have grounds
    assert '<iframe name="letter-preview" sandbox="" title="Letter preview"' in body
    live = client.get(f"{base}/preview?kind=request")
    assert live.status_code == 200 and ref in live.get_data(as_text=True)
    assert live.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # the "Update preview" button posts the typed text to the preview frame without saving
    shown = post(client, f"{base}/preview?kind=request", {"intro": "Typed but unsaved."}, f"{base}/new")
    assert "Typed but unsaved." in shown.get_data(as_text=True)
    assert session.scalar(select(func.count(LetterVersion.id))) == 0

    vid = version_id_from(post(client, f"{base}/new?kind=request",
                               {"intro": "We ask for these records for residents.", "closing": ""}, f"{base}/new"))
    version = session.get(LetterVersion, vid)
    assert (version.kind, version.version, version.status) == ("request", 1, "draft")

    page = client.get(f"{base}/{vid}")
    assert page.status_code == 200 and "Finalize version 1" in page.get_data(as_text=True)
    resp = post(client, f"{base}/{vid}", {"intro": "Revised opening.", "closing": "Call me any time."}, f"{base}/{vid}")
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(LetterVersion, vid).custom == {"intro": "Revised opening.", "closing": "Call me any time.",
                                                      "appeal_grounds": ""}
    preview = client.get(f"{base}/{vid}/preview")
    assert "Revised opening." in preview.get_data(as_text=True)
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/letter-assets/letter.css").status_code == 200
    assert client.get("/letter-assets/laws.toml").status_code == 404
    assert client.get(f"{base}/{vid}/pdf").status_code == 404  # no PDF for a draft

    assert post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 302
    session.expire_all()
    version = session.get(LetterVersion, vid)
    assert version.status == "final" and version.finalized_at is not None
    assert version.context["ref"] == ref and "Revised opening." in version.html
    json.dumps(version.context)  # plain data only

    first = client.get(f"{base}/{vid}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.headers["Content-Disposition"].startswith("attachment")
    assert f"{ref}-request-v1.pdf" in first.headers["Content-Disposition"]
    text = pdf_text(first.data)
    for expected in (ref, "U.S. Immigration and Customs Enforcement", "Clerk", "5 U.S.C. § 552", "Revised opening."):
        assert expected in text, expected
    import hashlib

    assert hashlib.sha256(first.data).hexdigest() == version.pdf_sha256
    files = [p for p in cache_files(app) if p.read_bytes() == first.data]
    assert len(files) == 1  # served from the cache written at finalize
    mtime = files[0].stat().st_mtime_ns
    second = client.get(f"{base}/{vid}/pdf")
    assert second.data == first.data
    assert files[0].stat().st_mtime_ns == mtime  # a cache hit: not rendered or written again

    # a final version refuses changes
    refused = post(client, f"{base}/{vid}", {"intro": "Sneaky change."}, f"{base}/{vid}")
    assert refused.status_code == 400 and "is final and cannot be changed" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(LetterVersion, vid).custom["intro"] == "Revised opening."
    assert post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 400

    # bad mark-sent input is explained
    bad = post(client, f"{base}/{vid}/sent", {"method": "pigeon", "sent_on": SENT_ON.isoformat()}, f"{base}/{vid}")
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    future = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    bad = post(client, f"{base}/{vid}/sent", {"method": "email", "sent_on": future}, f"{base}/{vid}")
    assert bad.status_code == 400 and "cannot be in the future" in bad.get_data(as_text=True)

    resp = post(client, f"{base}/{vid}/sent", {"method": "email", "sent_on": SENT_ON.isoformat()}, f"{base}/{vid}")
    assert resp.status_code == 302
    session.expire_all()
    req = session.get(Request, req.id)
    assert req.status == "submitted"
    assert req.response_due == date(2026, 2, 3)  # 20 working days
    assert req.sent_at is not None and req.sent_at.date() == SENT_ON
    sent = session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "sent")).all()
    assert len(sent) == 1 and sent[0].occurred_on == SENT_ON
    assert sent[0].data == {"method": "email", "letter_version": vid, "letter_kind": "request"}
    version = session.get(LetterVersion, vid)
    assert version.sent_method == "email" and version.sent_at is not None
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "letter_versions",
                                                            AuditLog.entity_id == str(vid))).all()
    assert actions == ["create", "update", "finalize", "sent"]
    again = post(client, f"{base}/{vid}/sent", {"method": "email", "sent_on": SENT_ON.isoformat()}, f"{base}/{vid}")
    assert again.status_code == 400 and "already marked as sent" in again.get_data(as_text=True)

    page = client.get(f"/requests/{ref}").get_data(as_text=True)
    assert "Letters" in page and f"{base}/{vid}" in page and "Draft a follow-up" in page

    # a new draft from the final version gets the next number and the same text
    v2 = version_id_from(post(client, f"{base}/{vid}/copy", {}, f"{base}/{vid}"))
    draft = session.get(LetterVersion, v2)
    assert (draft.version, draft.status, draft.custom["intro"]) == (2, "draft", "Revised opening.")


# ---------------------------------------------------------------------------- access

def _draft_and_final(session, world, owner, vis, tmp_path):
    req = world["requests"][(owner, vis)]
    actor = world["users"][owner]
    draft = new_draft(session, actor=actor, now=NOW, req=req, kind="request", custom={"intro": "Draft."})
    final = new_draft(session, actor=actor, now=NOW, req=req, kind="request", custom={"intro": "Final."})
    finalize(session, actor=actor, now=NOW, version=final, cache_dir=tmp_path / "cache")
    session.commit()
    return req, draft.id, final.id


def _routes(ref, draft_id, final_id):
    base = f"/requests/{ref}/letters"
    gets = [f"{base}/new?kind=request", f"{base}/preview?kind=request", f"{base}/{draft_id}", f"{base}/{draft_id}/preview",
            f"{base}/{final_id}/pdf", f"{base}/{final_id}/compare/{draft_id}"]
    posts = [(f"{base}/new?kind=request", {"intro": "x"}), (f"{base}/preview?kind=request", {"intro": "x"}),
             (f"{base}/{draft_id}", {"intro": "changed"}), (f"{base}/{draft_id}/finalize", {}),
             (f"{base}/{final_id}/copy", {}), (f"{base}/{final_id}/sent", {"method": "email", "sent_on": "2026-01-05"})]
    return gets, posts


def test_other_organization_gets_404_everywhere(login_as, world, session, tmp_path):
    req, draft_id, final_id = _draft_and_final(session, world, "staff", "organization", tmp_path)
    client = login_as("outsider")
    token = csrf_token(client, "/requests/new")
    gets, posts = _routes(req.ref, draft_id, final_id)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    # and nothing was created or changed
    assert session.scalar(select(func.count(LetterVersion.id))) == 2


def test_colleague_can_read_but_not_change(login_as, world, session, tmp_path):
    req, draft_id, final_id = _draft_and_final(session, world, "reporter", "organization", tmp_path)
    client = login_as("colleague")
    token = csrf_token(client, "/requests/new")
    base = f"/requests/{req.ref}/letters"
    for url in (f"{base}/{draft_id}", f"{base}/{draft_id}/preview", f"{base}/{final_id}/pdf",
                f"{base}/{final_id}/compare/{draft_id}"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"{base}/{draft_id}").get_data(as_text=True)
    assert "Finalize" not in page and "Save draft" not in page
    request_page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert f"{base}/{final_id}" in request_page and "Draft a follow-up" not in request_page
    assert client.get(f"{base}/new?kind=request").status_code == 403
    audit_before = session.scalar(select(func.count(AuditLog.id)))
    _gets, posts = _routes(req.ref, draft_id, final_id)
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    session.expire_all()
    assert session.get(LetterVersion, draft_id).custom["intro"] == "Draft."
    assert session.get(LetterVersion, draft_id).status == "draft"
    assert session.scalar(select(func.count(LetterVersion.id))) == 2
    assert session.scalar(select(func.count(AuditLog.id))) == audit_before


def test_post_without_csrf_is_refused_and_saves_nothing(login_as, world, session, tmp_path):
    req, draft_id, final_id = _draft_and_final(session, world, "staff", "private", tmp_path)
    client = login_as("staff")
    base = f"/requests/{req.ref}/letters"
    for url, data in _routes(req.ref, draft_id, final_id)[1]:
        assert client.post(url, data=data).status_code == 400, url
    session.expire_all()
    assert session.scalar(select(func.count(LetterVersion.id))) == 2
    assert session.get(LetterVersion, draft_id).status == "draft"
    assert session.get(LetterVersion, final_id).sent_at is None
    assert client.get(f"{base}/{draft_id}").status_code == 200


def test_unknown_kind_and_foreign_version_are_404(login_as, world, session, tmp_path):
    req, draft_id, _final_id = _draft_and_final(session, world, "staff", "private", tmp_path)
    client = login_as("staff")
    assert client.get(f"/requests/{req.ref}/letters/new?kind=complaint").status_code == 404
    other = world["requests"][("staff", "public")]
    assert client.get(f"/requests/{other.ref}/letters/{draft_id}").status_code == 404  # version of another request


# ---------------------------------------------------------------------------- escaping

def test_free_text_is_data_never_markup_or_template(login_as, world, session):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    base = f"/requests/{req.ref}/letters"
    vid = version_id_from(post(client, f"{base}/new?kind=request", {"intro": PAYLOAD}, f"{base}/new"))
    preview = client.get(f"{base}/{vid}/preview").get_data(as_text=True)
    assert "<script>" not in preview and "&lt;script&gt;" in preview
    assert post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 302
    session.expire_all()
    html = session.get(LetterVersion, vid).html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert "{{ 7*7 }}" in html  # literally, not evaluated
    page = client.get(f"{base}/{vid}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    text = pdf_text(client.get(f"{base}/{vid}/pdf").data)
    assert "{{ 7*7 }}" in text and "<script>alert(1)</script>" in text


# ---------------------------------------------------------------------------- appeals

def test_appeal_after_a_denial_names_the_authority_and_exemptions(login_as, world, session):
    req = world["requests"][("staff", "private")]
    clerk = world["users"]["staff"]
    log_event(session, actor=clerk, now=NOW, req=req, kind="sent", occurred_on=SENT_ON, data={"method": "email"})
    log_event(session, actor=clerk, now=NOW, req=req, kind="determination", occurred_on=date(2026, 2, 10),
              notes="ICE withheld 212 pages in full as law-enforcement techniques.",
              data={"exemptions": ["Exemption 7(E), 5 U.S.C. § 552(b)(7)(E)", "Exemption 6, 5 U.S.C. § 552(b)(6)"]})
    session.commit()
    client = login_as("staff")
    base = f"/requests/{req.ref}/letters"
    page = client.get(f"{base}/new?kind=appeal").get_data(as_text=True)
    assert 'for="appeal_grounds"' in page
    vid = version_id_from(post(client, f"{base}/new?kind=appeal",
                               {"appeal_grounds": "The techniques are already publicly known."}, f"{base}/new"))
    assert post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 302
    session.expire_all()
    version = session.get(LetterVersion, vid)
    context = version.context
    assert context["determination"]["date"] == "2026-02-10"
    assert context["deadlines"]["appeal_due"] is not None  # 90 working days for DHS components
    assert date.fromisoformat(context["deadlines"]["appeal_due"]) > date(2026, 6, 1)
    text = pdf_text(client.get(f"{base}/{vid}/pdf").data)
    for expected in ("Office of the Principal Legal Advisor", "552(b)(7)(E)", "552(b)(6)",
                     "ICE withheld 212 pages", "already publicly known", req.ref):
        assert expected in text, expected

    resp = post(client, f"{base}/{vid}/sent", {"method": "email", "sent_on": "2026-02-20"}, f"{base}/{vid}")
    assert resp.status_code == 302
    session.expire_all()
    filed = session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "appeal_filed")).all()
    assert len(filed) == 1 and filed[0].data["letter_kind"] == "appeal"
    assert session.get(Request, req.id).status == "appealing"


# ---------------------------------------------------------------------------- context and services

def test_follow_up_context_counts_days_late_in_working_days(world, session):
    req = world["requests"][("staff", "private")]
    clerk = world["users"]["staff"]
    log_event(session, actor=clerk, now=NOW, req=req, kind="sent", occurred_on=SENT_ON)
    context = build_context(session, req, "follow-up", {"intro": "Still waiting."}, today=date(2026, 2, 10))
    assert json.loads(json.dumps(context)) == context  # plain data only
    assert context["deadlines"]["response_due"] == "2026-02-03"
    assert context["deadlines"]["days_late"] == 5  # Feb 4, 5, 6, 9, 10
    assert context["deadlines"]["days_late_unit"] == "working days"
    assert context["request"]["sent_date"] == "2026-01-05"
    assert context["agency"]["address"][-1] == "Washington, DC 20536-5009"
    assert context["organization"]["name"] == "City of Los Angeles"
    assert context["law"]["response_period"] == "20 working days"
    assert context["custom"] == {"intro": "Still waiting.", "closing": "", "appeal_grounds": ""}
    early = build_context(session, req, "follow-up", {}, today=date(2026, 2, 3))
    assert early["deadlines"]["days_late"] is None


def test_follow_up_sent_is_a_note_and_bad_input_is_refused(world, session, tmp_path):
    req = world["requests"][("staff", "private")]
    clerk = world["users"]["staff"]
    with pytest.raises(ValidationError, match="Unknown letter kind"):
        new_draft(session, actor=clerk, now=NOW, req=req, kind="complaint", custom={})
    with pytest.raises(ValidationError, match="20,000 characters"):
        new_draft(session, actor=clerk, now=NOW, req=req, kind="follow-up", custom={"intro": "x" * 20_001})
    v = new_draft(session, actor=clerk, now=NOW, req=req, kind="follow-up", custom={"intro": "Where is it?"})
    with pytest.raises(ValidationError, match="Finalize the letter"):
        mark_sent(session, actor=clerk, now=NOW, version=v, method="email", sent_on=NOW.date())
    finalize(session, actor=clerk, now=NOW, version=v, cache_dir=tmp_path)
    with pytest.raises(ValidationError, match="final and cannot be changed"):
        revise_draft(session, actor=clerk, now=NOW, version=v, custom={"intro": "changed"})
    with pytest.raises(ValidationError, match="how the letter was sent"):
        mark_sent(session, actor=clerk, now=NOW, version=v, method="carrier-pigeon", sent_on=NOW.date())
    with pytest.raises(ValidationError, match="future"):
        mark_sent(session, actor=clerk, now=NOW, version=v, method="email", sent_on=NOW.date() + timedelta(days=3))
    mark_sent(session, actor=clerk, now=NOW, version=v, method="mail", sent_on=NOW.date() + timedelta(days=1))
    notes = session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "note")).all()
    assert len(notes) == 1 and notes[0].data["letter_kind"] == "follow-up"
    assert req.status == "draft" and req.sent_at is None  # a follow-up does not start the clocks


# ---------------------------------------------------------------------------- compare

def test_compare_marks_insertions_and_escapes(login_as, world, session):
    req = world["requests"][("staff", "private")]
    clerk = world["users"]["staff"]
    one = new_draft(session, actor=clerk, now=NOW, req=req, kind="request", custom={"intro": "Alpha <b>bold</b>."})
    two = new_draft(session, actor=clerk, now=NOW, req=req, kind="request",
                    custom={"intro": "Alpha <b>bold</b>. Bravo inserted.", "closing": "Thanks."})
    other_kind = new_draft(session, actor=clerk, now=NOW, req=req, kind="appeal", custom={})
    session.commit()
    client = login_as("staff")
    base = f"/requests/{req.ref}/letters"
    body = client.get(f"{base}/{two.id}/compare/{one.id}").get_data(as_text=True)
    assert "<ins>Bravo inserted.</ins>" in body or "<ins> Bravo inserted.</ins>" in body
    assert "<ins>Thanks.</ins>" in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "<b>bold</b>" not in body
    # the same comparison whichever way round it is asked for
    assert client.get(f"{base}/{one.id}/compare/{two.id}").get_data(as_text=True).count("<ins>") == body.count("<ins>")
    assert client.get(f"{base}/{one.id}/compare/{other_kind.id}").status_code == 404
    page = client.get(f"{base}/{two.id}").get_data(as_text=True)
    assert f"{base}/{two.id}/compare/{one.id}" in page


# ---------------------------------------------------------------------------- CLI

def test_cli_letter_writes_pdf_and_html(cli, world, session, tmp_path):
    req = world["requests"][("staff", "private")]
    out = tmp_path / "out.pdf"
    result = cli.invoke(args=["foia", "letter", req.ref, "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(str(out))
    assert req.ref in " ".join(page.extract_text() for page in reader.pages)

    html = cli.invoke(args=["foia", "letter", req.ref, "--kind", "follow-up", "--html"])
    assert html.exit_code == 0 and req.ref in html.output and html.output.lstrip().startswith("<!DOCTYPE html>")

    # with a final version, that version is what is printed
    clerk = world["users"]["staff"]
    v = new_draft(session, actor=clerk, now=NOW, req=req, kind="request", custom={"intro": "Frozen wording."})
    finalize(session, actor=clerk, now=NOW, version=v, cache_dir=tmp_path / "cache")
    session.commit()
    assert "Frozen wording." in cli.invoke(args=["foia", "letter", req.ref, "--html"]).output

    missing = cli.invoke(args=["foia", "letter", "FT-2026-9999", "-o", str(tmp_path / "x.pdf")])
    assert missing.exit_code == 1 and "no request with reference" in missing.output
    assert not (tmp_path / "x.pdf").exists()
    assert cli.invoke(args=["foia", "letter", req.ref]).exit_code == 2  # neither -o nor --html


def test_a_follow_up_counts_days_late_as_the_request_page_does():
    """A deadline missed on Friday 2026-06-26: on the Saturday,
    Sunday and Monday after, the response is 1 working day late (as the page and reminders show), 2 on
    Tuesday; not late on the day itself."""
    from datetime import date

    from foia.deadlines import Clock, calendar_for
    from foia.letters.service import _days_late

    cal = calendar_for("us-federal")
    clock = Clock("response", "Determination due", date(2026, 6, 26), "business_days", "5 U.S.C. § 552(a)(6)(A)(i)")
    assert _days_late(clock, date(2026, 6, 26), cal) is None
    assert [_days_late(clock, date(2026, 6, d), cal) for d in (27, 28, 29, 30)] == [1, 1, 1, 2]


def test_letter_kinds_are_the_same_everywhere():
    """The models' labels and the renderer's templates name the same kinds, in the same order."""
    from foia.letters.render import LETTER_KINDS
    from foia.models import LETTER_KIND_LABELS

    assert tuple(LETTER_KIND_LABELS) == LETTER_KINDS
