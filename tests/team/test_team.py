"""Issue 19, team work: a request's assignee (audited, emailed through a real SMTP server by the scheduler, never in
the web request: issue 18), tags, saved list views, and the list's bulk actions with their all-or-nothing access
rule."""

from __future__ import annotations

import io
import json
import re
import socket
import zipfile
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from foia.core.clock import utcnow
from foia.mail import SMTPMailer
from foia.models import AssignmentNotice, AuditLog, Request, RequestTag, SavedView, SearchEntry, Tag, User, Watcher
from foia.requests.service import RequestInput, create_request
from tests.conftest import NOW, csrf_token, login

ROW_RE = re.compile(r'id="select-(\d+)"')


@pytest.fixture
def mail_to(ctx, smtp, monkeypatch):
    monkeypatch.setitem(ctx.config, "FOIA_SMTP_URL", smtp.url)
    monkeypatch.setitem(ctx.config, "FOIA_BASE_URL", "https://foia.example")
    return smtp


@pytest.fixture
def as_user(client, world):
    """Sign the test client in as `role` (signing out whoever was signed in): several people in one test."""
    signed_in = []

    def _as(role: str):
        if signed_in:
            client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
        assert login(client, world["users"][role].email).status_code == 302
        signed_in.append(role)
        return client
    return _as


def audits(session, req, action):
    return list(session.scalars(select(AuditLog).where(AuditLog.request_id == req.id, AuditLog.action == action)
                                .order_by(AuditLog.id)))


def post(client, path, data, page="/requests"):
    return client.post(path, data=dict(data, csrf_token=csrf_token(client, page)))


def notices(session):
    session.expire_all()
    return list(session.scalars(select(AssignmentNotice).order_by(AssignmentNotice.id)))


def send_notices(session, url, *, minutes=0):
    """One pass of the scheduler's assignment-mail job at now + `minutes`, through the SMTP server at `url`."""
    from foia.team.mail import AssignmentSettings, send_assignment_mail

    result = send_assignment_mail(session, now=utcnow() + timedelta(minutes=minutes), mailer=SMTPMailer.from_url(url),
                                  settings=AssignmentSettings(base_url="https://foia.example",
                                                              sender="FOIA Tracker <tracker@foia.example>"))
    session.expire_all()
    return result


def listed_ids(client, query=""):
    return [int(i) for i in ROW_RE.findall(client.get("/requests" + query).get_data(as_text=True))]


# ---------------------------------------------------------------------------- assignee

def test_assigning_is_audited_and_emails_the_new_assignee(as_user, world, session, mail_to):
    client = as_user("news_staff")
    req = world["requests"][("reporter", "organization")]
    colleague = world["users"]["colleague"]
    resp = post(client, f"/requests/{req.ref}/assignee", {"user_id": colleague.id}, f"/requests/{req.ref}")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#team")
    session.expire_all()
    assert session.get(Request, req.id).assignee_id == colleague.id
    [row] = audits(session, req, "assign")
    assert row.before == {"assignee": None} and row.after == {"assignee": colleague.email}
    assert row.actor_id == world["users"]["news_staff"].id
    # The email is queued with the assignment and sent by the scheduler's job, not by the web request.
    assert mail_to.inbox.messages == []
    [notice] = notices(session)
    assert (notice.user_id, notice.request_ids, notice.status) == (colleague.id, [req.id], "pending")
    assert "Colleague, who will get an email about it" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert send_notices(session, mail_to.url).sent == 1
    mail_to.inbox.wait_for(1)
    [msg] = mail_to.inbox.messages
    assert msg["To"] == colleague.email
    assert req.ref in msg["Subject"]
    body = msg.get_content()
    assert f"https://foia.example/requests/{req.ref}" in body and "Editor assigned this request to you" in body
    [notice] = notices(session)
    assert notice.status == "sent" and notice.message_id == msg["Message-ID"]
    assert send_notices(session, mail_to.url).sent == 0  # sent once
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert re.search(r'class="team-assignee">\s*Colleague', page)

    # Self-assignment: audited, no email to oneself. Unassigning: audited too.
    me = world["users"]["news_staff"]
    post(client, f"/requests/{req.ref}/assignee", {"user_id": me.id}, f"/requests/{req.ref}")
    post(client, f"/requests/{req.ref}/assignee", {"user_id": ""}, f"/requests/{req.ref}")
    session.expire_all()
    assert session.get(Request, req.id).assignee_id is None
    assert [a.after["assignee"] for a in audits(session, req, "assign")] == [colleague.email, me.email, None]
    assert len(notices(session)) == 1  # nothing queued for assigning oneself or for unassigning
    assert send_notices(session, mail_to.url).sent == 0 and len(mail_to.inbox.messages) == 1
    history = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert f"Assigned to {colleague.email}" in history and "Removed the assignee" in history


def test_someone_of_another_organization_cannot_be_assigned(as_user, world, session, mail_to):
    client = as_user("news_staff")
    req = world["requests"][("reporter", "public")]
    outsider = world["users"]["outsider"]
    resp = post(client, f"/requests/{req.ref}/assignee", {"user_id": outsider.id}, f"/requests/{req.ref}")
    assert resp.status_code == 303
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Not assigned: Outsider is not in Los Angeles Ledger" in page
    session.expire_all()
    assert session.get(Request, req.id).assignee_id is None and audits(session, req, "assign") == []
    # A colleague who cannot see a private request cannot own it either.
    private = world["requests"][("reporter", "private")]
    post(client, f"/requests/{private.ref}/assignee", {"user_id": world["users"]["colleague"].id},
         f"/requests/{private.ref}")
    session.expire_all()
    assert session.get(Request, private.id).assignee_id is None
    assert notices(session) == [] and mail_to.inbox.messages == []


def test_only_people_who_may_edit_change_the_assignee(as_user, world, session):
    req = world["requests"][("reporter", "organization")]
    client = as_user("colleague")  # sees it (shared with the organization), may not edit it
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/assignee", data={"user_id": world["users"]["colleague"].id,
                                                              "csrf_token": token}).status_code == 403
    client = as_user("outsider")  # another organization: the request is hidden
    token = csrf_token(client, "/requests")
    assert client.post(f"/requests/{req.ref}/assignee", data={"user_id": world["users"]["outsider"].id,
                                                              "csrf_token": token}).status_code == 404
    public = world["requests"][("reporter", "public")]  # visible to all, but its Team panel is the newsroom's
    assert client.post(f"/requests/{public.ref}/tags", data={"name": "x", "csrf_token": token}).status_code == 404
    assert 'id="team"' not in client.get(f"/requests/{public.ref}").get_data(as_text=True)
    session.expire_all()
    assert session.get(Request, req.id).assignee_id is None


def test_the_list_filters_by_assignee(as_user, world, session):
    client = as_user("news_staff")
    me = world["users"]["news_staff"]
    mine = world["requests"][("reporter", "organization")]
    theirs = world["requests"][("reporter", "public")]
    post(client, f"/requests/{mine.ref}/assignee", {"user_id": me.id}, f"/requests/{mine.ref}")
    post(client, f"/requests/{theirs.ref}/assignee", {"user_id": world["users"]["reporter"].id},
         f"/requests/{theirs.ref}")
    assert listed_ids(client, "?assignee=me") == [mine.id]
    assert listed_ids(client, f"?assignee={world['users']['reporter'].id}") == [theirs.id]
    unassigned = set(listed_ids(client, "?assignee=none&scope=org"))
    assert unassigned == {world["requests"][("reporter", "private")].id}
    page = client.get("/requests?assignee=me").get_data(as_text=True)
    assert re.search(r'class="assignee-cell">Editor<', page)


# ---------------------------------------------------------------------------- tags

def test_tags_are_per_organization_and_filter_the_list(as_user, world, session):
    client = as_user("news_staff")
    a = world["requests"][("reporter", "organization")]
    b = world["requests"][("reporter", "private")]
    post(client, f"/requests/{a.ref}/tags", {"name": "  ICE operations   2025 "}, f"/requests/{a.ref}")
    post(client, f"/requests/{b.ref}/tags", {"name": "ice operations 2025"}, f"/requests/{b.ref}")  # same tag
    [tag] = session.scalars(select(Tag)).all()
    assert tag.name == "ICE operations 2025" and tag.organization_id == world["orgs"]["news"].id
    assert session.scalar(select(func.count()).select_from(RequestTag)) == 2
    assert audits(session, a, "tag")[0].after == {"tag": "ICE operations 2025"}
    assert sorted(listed_ids(client, f"?tag={tag.id}")) == sorted([a.id, b.id])
    page = client.get(f"/requests/{a.ref}").get_data(as_text=True)
    assert '<span class="usa-tag request-tag">ICE operations 2025</span>' in page

    # Tagging twice is refused with a message; removing is audited and the list follows.
    post(client, f"/requests/{a.ref}/tags", {"name": "ICE OPERATIONS 2025"}, f"/requests/{a.ref}")
    assert "already has the tag" in client.get(f"/requests/{a.ref}").get_data(as_text=True)
    post(client, f"/requests/{a.ref}/tags/{tag.id}/remove", {}, f"/requests/{a.ref}")
    assert listed_ids(client, f"?tag={tag.id}") == [b.id]
    assert audits(session, a, "untag")[0].before == {"tag": "ICE operations 2025"}
    # An empty or over-long tag is refused and nothing is written.
    post(client, f"/requests/{a.ref}/tags", {"name": "   "}, f"/requests/{a.ref}")
    post(client, f"/requests/{a.ref}/tags", {"name": "x" * 61}, f"/requests/{a.ref}")
    assert session.scalar(select(func.count()).select_from(Tag)) == 1
    assert "Keep a tag under 61 characters" in client.get(f"/requests/{a.ref}").get_data(as_text=True)

    # The city's clerk tags a city request with the same words: a tag of the city's own.
    clerk = as_user("staff")
    city_req = world["requests"][("staff", "organization")]
    post(clerk, f"/requests/{city_req.ref}/tags", {"name": "ICE operations 2025"}, f"/requests/{city_req.ref}")
    assert session.scalar(select(func.count()).select_from(Tag)) == 2


# ---------------------------------------------------------------------------- saved views

def test_saved_views_are_personal_unless_shared(as_user, world, session):
    client = as_user("reporter")
    resp = post(client, "/saved-views", {"name": "My drafts", "query": "status=draft&scope=mine&page=3&bogus=1"})
    assert resp.status_code == 303
    view = session.scalar(select(SavedView))
    assert parse_qs(view.query) == {"status": ["draft"], "scope": ["mine"]}  # page and unknown keys dropped
    page = client.get("/requests").get_data(as_text=True)
    assert f'href="/requests?{view.query.replace("&", "&amp;")}">My drafts</a>' in page
    assert len(listed_ids(client, "?" + view.query)) == 3
    post(client, "/saved-views", {"name": "Org public", "query": "status=draft&scope=org", "shared": "y"})
    post(client, "/saved-views", {"name": "my drafts", "query": "status=draft"})  # the same name: refused
    post(client, "/saved-views", {"name": "Everything", "query": ""})  # no filter: refused
    assert sorted(session.scalars(select(SavedView.name))) == ["My drafts", "Org public"]
    # Saving is audited, as a row of its own:
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "saved_views")) == 2

    colleague = as_user("colleague")
    page = colleague.get("/requests").get_data(as_text=True)
    assert "Org public" in page and "My drafts" not in page and "(shared by Reporter)" in page
    shared = session.scalar(select(SavedView).where(SavedView.name == "Org public"))
    post(colleague, f"/saved-views/{shared.id}/delete", {})
    assert session.get(SavedView, shared.id) is not None  # only its owner deletes it
    private = session.scalar(select(SavedView).where(SavedView.name == "My drafts"))
    assert post(colleague, f"/saved-views/{private.id}/delete", {}).status_code == 404
    outsider = as_user("outsider")
    assert "Org public" not in outsider.get("/requests").get_data(as_text=True)

    owner = as_user("reporter")
    post(owner, f"/saved-views/{private.id}/delete", {})
    session.expire_all()
    assert session.get(SavedView, private.id) is None


# ---------------------------------------------------------------------------- bulk actions

def bulk(client, ids, **data):
    return client.post("/requests/bulk", data={"request_id": [str(i) for i in ids], "back": "scope=org",
                                               "csrf_token": csrf_token(client, "/requests"), **data})


def test_bulk_assign_three_requests_emails_one_list(as_user, world, session, mail_to):
    client = as_user("news_staff")
    reqs = [world["requests"][("reporter", v)] for v in ("private", "organization", "public")]
    reporter = world["users"]["reporter"]
    resp = bulk(client, [r.id for r in reqs], action="assign", assignee_id=reporter.id)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/requests?scope=org")
    session.expire_all()
    assert [session.get(Request, r.id).assignee_id for r in reqs] == [reporter.id] * 3
    assert all(len(audits(session, r, "assign")) == 1 for r in reqs)
    [notice] = notices(session)  # one email for the whole action
    assert notice.request_ids == [r.id for r in reqs]
    assert send_notices(session, mail_to.url).sent == 1
    mail_to.inbox.wait_for(1)
    [msg] = mail_to.inbox.messages
    assert msg["To"] == reporter.email and msg["Subject"] == "3 requests assigned to you"
    assert all(r.ref in msg.get_content() for r in reqs)
    assert "Assigned 3 requests to Reporter, who will get an email about it." in client.get("/requests").get_data(
        as_text=True)
    # Again: nothing changes, no second email, and the page says so; with one new request, one more email.
    bulk(client, [r.id for r in reqs], action="assign", assignee_id=reporter.id)
    assert "Nothing changed: all 3 were already assigned to Reporter." in client.get("/requests").get_data(as_text=True)
    assert len(notices(session)) == 1
    bulk(client, [reqs[0].id], action="unassign")
    bulk(client, [r.id for r in reqs], action="assign", assignee_id=reporter.id)
    assert ("Assigned 3 requests to Reporter, who will get an email about it. 2 of them already were."
            in client.get("/requests").get_data(as_text=True))
    assert [n.request_ids for n in notices(session)] == [[r.id for r in reqs], [reqs[0].id]]


def test_an_assignment_email_names_only_what_its_person_still_owns_when_it_is_sent(as_user, world, session,
                                                                                  mail_to):
    """Between the assignment and the scheduler's pass, one request was reassigned: the first person's email lists
    only the other one; a person deactivated meanwhile gets nothing (dropped, not retried)."""
    client = as_user("news_staff")
    first, second = (world["requests"][("reporter", v)] for v in ("organization", "public"))
    reporter, colleague = world["users"]["reporter"], world["users"]["colleague"]
    bulk(client, [first.id, second.id], action="assign", assignee_id=reporter.id)
    post(client, f"/requests/{second.ref}/assignee", {"user_id": colleague.id}, f"/requests/{second.ref}")
    session.get(User, colleague.id).active = False
    session.commit()
    result = send_notices(session, mail_to.url)
    assert (result.sent, result.dropped) == (1, 1)
    mail_to.inbox.wait_for(1)
    [msg] = mail_to.inbox.messages
    assert msg["To"] == reporter.email and first.ref in msg["Subject"] and second.ref not in msg.get_content()
    assert [(n.user_id, n.status) for n in notices(session)] == [(reporter.id, "sent"), (colleague.id, "dropped")]


def test_bulk_action_with_one_request_the_actor_cannot_change_refuses_all(as_user, world, session):
    colleague = world["users"]["colleague"]
    own = create_request(session, actor=colleague, now=NOW, data=RequestInput(
        title="Colleague's own request", records_sought="All records about the thing in question.",
        agency_slug="lasd", visibility="organization"))
    session.commit()
    shared = world["requests"][("reporter", "organization")]  # visible to the colleague, not theirs to change
    client = as_user("colleague")
    before = session.scalar(select(func.count()).select_from(AuditLog))
    for action, extra in (("tag", {"tag": "Mine"}), ("visibility", {"visibility": "public"}),
                          ("assign", {"assignee_id": colleague.id}), ("watch", {"watcher_id": colleague.id})):
        resp = bulk(client, [own.id, shared.id], action=action, **extra)
        assert resp.status_code == 303
        page = client.get("/requests").get_data(as_text=True)
        assert f"Nothing was changed: you cannot change {shared.ref}." in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditLog)) == before
    assert session.scalar(select(func.count()).select_from(Tag)) == 0
    assert session.get(Request, own.id).visibility == "organization"
    assert session.get(Request, own.id).assignee_id is None
    assert session.scalar(select(func.count()).select_from(Watcher)) == 0
    # A request hidden from the actor (another organization's private one) refuses the batch unnamed.
    hidden = world["requests"][("staff", "private")]
    bulk(client, [own.id, hidden.id], action="tag", tag="Mine")
    page = client.get("/requests").get_data(as_text=True)
    assert "1 of the selected requests was not found" in page and hidden.ref not in page
    assert session.scalar(select(func.count()).select_from(Tag)) == 0


def test_bulk_form_needs_its_csrf_token(as_user, world, session):
    client = as_user("news_staff")
    req = world["requests"][("reporter", "organization")]
    resp = client.post("/requests/bulk", data={"request_id": [str(req.id)], "action": "tag", "tag": "x"})
    assert resp.status_code == 400
    assert session.scalar(select(func.count()).select_from(Tag)) == 0


def test_bulk_tag_and_visibility_go_through_the_request_paths(as_user, world, session):
    client = as_user("news_staff")
    reqs = [world["requests"][("reporter", "organization")], world["requests"][("reporter", "public")]]
    bulk(client, [r.id for r in reqs], action="tag", tag="ICE operations 2025")
    [tag] = session.scalars(select(Tag)).all()
    assert sorted(listed_ids(client, f"?tag={tag.id}")) == sorted(r.id for r in reqs)
    bulk(client, [r.id for r in reqs], action="visibility", visibility="private")
    session.expire_all()
    assert [session.get(Request, r.id).visibility for r in reqs] == ["private", "private"]
    # The search index's copy of who may read the text follows (requests.service.update_request).
    assert set(session.scalars(select(SearchEntry.visibility).where(
        SearchEntry.request_id.in_([r.id for r in reqs])))) == {"private"}
    assert [a.after for a in audits(session, reqs[1], "update")] == [{"visibility": "private"}]
    # The colleague (a reporter) no longer sees them.
    colleague = as_user("colleague")
    assert not set(listed_ids(colleague)) & {r.id for r in reqs}
    bad = as_user("news_staff")
    bulk(bad, [reqs[0].id], action="visibility", visibility="everyone")
    assert "Choose who can see the requests from the list." in bad.get("/requests").get_data(as_text=True)


def test_bulk_watch_adds_watchers_in_the_organization_only(as_user, world, session):
    client = as_user("news_staff")
    reqs = [world["requests"][("reporter", "organization")], world["requests"][("reporter", "public")]]
    bulk(client, [r.id for r in reqs], action="watch", watcher_id=world["users"]["outsider"].id)
    page = client.get("/requests").get_data(as_text=True)
    assert f"Outsider cannot be added as a watcher on {reqs[0].ref}, {reqs[1].ref}" in page
    assert session.scalar(select(func.count()).select_from(Watcher)) == 0
    colleague = world["users"]["colleague"]
    bulk(client, [r.id for r in reqs], action="watch", watcher_id=colleague.id)
    assert sorted(session.scalars(select(Watcher.request_id).where(Watcher.user_id == colleague.id))) == \
        sorted(r.id for r in reqs)
    assert len(audits(session, reqs[0], "watch")) == 1


def test_bulk_export_is_one_zip_of_evidence_bundles(as_user, world, session):
    client = as_user("news_staff")
    reqs = [world["requests"][("reporter", "organization")], world["requests"][("reporter", "public")]]
    resp = bulk(client, [r.id for r in reqs], action="export")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(["requests.csv"] + [f"{r.ref}-evidence.zip" for r in reqs])
        table = zf.read("requests.csv").decode("utf-8-sig").splitlines()
        assert table[0].startswith("Reference,Title")
        assert sorted(line.split(",")[0] for line in table[1:]) == sorted(r.ref for r in reqs)
        for r in reqs:
            with zipfile.ZipFile(io.BytesIO(zf.read(f"{r.ref}-evidence.zip"))) as inner:
                manifest = json.loads(inner.read("manifest.json"))
                assert manifest["request"] == r.ref and manifest["title"] == r.title
                assert inner.read("timeline.pdf").startswith(b"%PDF")
    # Only requests the person may view: another organization's private request refuses the download.
    hidden = world["requests"][("staff", "private")]
    resp = bulk(client, [reqs[0].id, hidden.id], action="export")
    assert resp.status_code == 303 and urlsplit(resp.headers["Location"]).path == "/requests"


def test_assigning_never_waits_for_the_mail_server_and_an_outage_is_retried(as_user, world, session, ctx,
                                                                            monkeypatch, mail_to):
    """The web request does not connect to the mail server at all (a server that takes connections and never
    answers would otherwise hold the person's page for its timeouts: issue 18); the scheduler's pass that finds the
    server down keeps the email and tries again later, with the same Message-ID."""
    from tests.reminders.conftest import free_port

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    silent.setblocking(False)
    try:
        monkeypatch.setitem(ctx.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{silent.getsockname()[1]}")
        client = as_user("news_staff")
        req = world["requests"][("reporter", "organization")]
        resp = post(client, f"/requests/{req.ref}/assignee", {"user_id": world["users"]["colleague"].id},
                    f"/requests/{req.ref}")
        assert resp.status_code == 303
        with pytest.raises(BlockingIOError):  # nobody connected to the mail server
            silent.accept()
    finally:
        silent.close()
    session.expire_all()
    assert session.get(Request, req.id).assignee_id == world["users"]["colleague"].id

    down = send_notices(session, f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    assert (down.sent, down.retrying) == (0, 1)
    [notice] = notices(session)
    assert (notice.status, notice.attempts) == ("pending", 1) and notice.last_error
    assert send_notices(session, mail_to.url, minutes=1).sent == 0  # not due again yet
    assert send_notices(session, mail_to.url, minutes=6).sent == 1
    mail_to.inbox.wait_for(1)
    [notice] = notices(session)
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 2, "")
    assert mail_to.inbox.messages[0]["Message-ID"] == notice.message_id


def test_the_scheduler_job_sends_the_queued_assignment_emails(as_user, world, session, app, monkeypatch, mail_to):
    import foia.scheduler as scheduler_module

    client = as_user("news_staff")
    req = world["requests"][("reporter", "organization")]
    post(client, f"/requests/{req.ref}/assignee", {"user_id": world["users"]["colleague"].id}, f"/requests/{req.ref}")
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", mail_to.url)
    result = scheduler_module.send_assignments(app)
    assert result is not None and result.sent == 1
    mail_to.inbox.wait_for(1)
    assert mail_to.inbox.messages[0]["To"] == world["users"]["colleague"].email

    started = {}
    monkeypatch.setattr(scheduler_module.BlockingScheduler, "start",
                        lambda self: started.update({job.id: job for job in self.get_jobs()}))
    monkeypatch.setattr(scheduler_module.signal, "signal", lambda *args: None)
    monkeypatch.setattr(scheduler_module.logging, "basicConfig", lambda **kwargs: None)
    scheduler_module.run_scheduler(app, interval=60)
    assert started["assignment-mail"].func is scheduler_module.send_assignments


def test_history_keeps_the_organizations_internal_work_from_everyone_else(as_user, world, session):
    """A public request's History is readable by everyone; its assignments, tags and tasks are not (issue 19:
    internal work is visible only inside the organization, admins of other organizations included)."""
    from foia.tasks.service import TaskInput, add_task
    from foia.team.service import add_tag, assign

    req = world["requests"][("reporter", "public")]
    editor, colleague = world["users"]["news_staff"], world["users"]["colleague"]
    assign(session, actor=editor, now=NOW, req=req, assignee=colleague)
    add_tag(session, actor=editor, now=NOW, req=req, name="ICE operations 2025")
    add_task(session, actor=editor, now=NOW, req=req,
             data=TaskInput(title="Chase ICE by phone", assignee_id=colleague.id, due="2026-02-02"))
    session.commit()
    internal = (f"Assigned to {colleague.email}", "Tagged \u201cICE operations 2025\u201d",
                "Added the task \u201cChase ICE by phone\u201d")
    inside = as_user("news_staff").get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert all(line in inside for line in internal)
    for role in ("outsider", "admin"):
        resp = as_user(role).get(f"/requests/{req.ref}/history")
        assert resp.status_code == 200  # the request is public: its History is readable...
        page = resp.get_data(as_text=True)
        assert not [line for line in internal if line in page], role  # ...but not its internal work
        # Nor can the list be filtered by the newsroom's tag or assignee to learn which public requests carry them.
        client = as_user(role)
        tag = session.scalar(select(Tag).where(Tag.name == "ICE operations 2025"))
        assert req.id in listed_ids(client)  # the public request is listed...
        assert req.id not in listed_ids(client, f"?tag={tag.id}")  # ...but not found by the newsroom's labels
        assert req.id not in listed_ids(client, f"?assignee={colleague.id}")
    assert req.id in listed_ids(as_user("news_staff"), f"?tag={tag.id}")  # (the newsroom finds it by them)


def test_the_admin_reminders_page_lists_the_emails_to_colleagues_that_did_not_go_out(as_user, world, session,
                                                                                    mail_to):
    """An assignment email that failed is retried, and one that gave up is not: the administrator sees both on
    /admin/reminders, with the request and the server's error; once it is sent it leaves the list."""
    from foia.core.mailrows import MAX_ATTEMPTS
    from foia.requests.mentions import MentionSettings, send_mention_mail
    from tests.reminders.conftest import free_port

    client = as_user("news_staff")
    first, second = (world["requests"][("reporter", v)] for v in ("organization", "public"))
    for req, who in ((first, "colleague"), (second, "reporter")):
        post(client, f"/requests/{req.ref}/assignee", {"user_id": world["users"][who].id}, f"/requests/{req.ref}")
    assert post(client, f"/requests/{first.ref}/notes", {"body": "@reporter can you chase this?"},
                f"/requests/{first.ref}").status_code == 303
    assert as_user("admin").get("/admin/reminders").get_data(as_text=True).count("Assignment</td>") == 0
    dead = f"smtp://127.0.0.1:{free_port()}"
    assert send_notices(session, dead).retrying == 2
    mentions = send_mention_mail(session, now=utcnow(), mailer=SMTPMailer.from_url(dead), settings=MentionSettings(
        base_url="https://foia.example", sender="FOIA Tracker <tracker@foia.example>"))
    assert mentions.retrying == 1
    gave_up = notices(session)[1]
    gave_up.attempts = MAX_ATTEMPTS - 1
    session.commit()
    assert send_notices(session, dead, minutes=30).failed == 1  # its fifth failure: given up
    page = as_user("admin").get("/admin/reminders").get_data(as_text=True)
    assert page.count("Assignment</td>") == 2 and "gave up" in page and page.count("Mention in a note</td>") == 1
    assert first.ref in page and second.ref in page and world["users"]["colleague"].email in page
    assert "could not send mail via 127.0.0.1" in page
    assert send_notices(session, mail_to.url, minutes=60).sent == 1  # the one still retrying goes out
    page = as_user("admin").get("/admin/reminders").get_data(as_text=True)
    assert page.count("Assignment</td>") == 1 and first.ref not in page.split("Emails to colleagues")[1].split(
        "<h2>")[0]
    assert as_user("news_staff").get("/admin/reminders").status_code == 403
