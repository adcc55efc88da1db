"""Issue 19, team work: a request's assignee (audited, emailed through a real SMTP server), tags, saved list
views, and the list's bulk actions with their all-or-nothing access rule."""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from foia.models import AuditLog, Request, RequestTag, SavedView, SearchEntry, Tag, Watcher
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
    mail_to.inbox.wait_for(1)
    [msg] = mail_to.inbox.messages
    assert msg["To"] == colleague.email
    assert req.ref in msg["Subject"]
    body = msg.get_content()
    assert f"https://foia.example/requests/{req.ref}" in body and "Editor assigned this request to you" in body
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert re.search(r'class="team-assignee">\s*Colleague', page)

    # Self-assignment: audited, no email to oneself. Unassigning: audited too.
    me = world["users"]["news_staff"]
    post(client, f"/requests/{req.ref}/assignee", {"user_id": me.id}, f"/requests/{req.ref}")
    post(client, f"/requests/{req.ref}/assignee", {"user_id": ""}, f"/requests/{req.ref}")
    session.expire_all()
    assert session.get(Request, req.id).assignee_id is None
    assert [a.after["assignee"] for a in audits(session, req, "assign")] == [colleague.email, me.email, None]
    assert len(mail_to.inbox.messages) == 1
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
    assert mail_to.inbox.messages == []


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
    mail_to.inbox.wait_for(1)
    [msg] = mail_to.inbox.messages
    assert msg["To"] == reporter.email and msg["Subject"] == "3 requests assigned to you"
    assert all(r.ref in msg.get_content() for r in reqs)
    assert "Assigned 3 requests to Reporter." in client.get("/requests").get_data(as_text=True)


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


def test_an_unreachable_mail_server_keeps_the_assignment_and_says_so(as_user, world, session, ctx, monkeypatch):
    from tests.reminders.conftest import free_port

    monkeypatch.setitem(ctx.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setitem(ctx.config, "FOIA_SMTP_CONNECT_TIMEOUT", 1)
    client = as_user("news_staff")
    req = world["requests"][("reporter", "organization")]
    post(client, f"/requests/{req.ref}/assignee", {"user_id": world["users"]["colleague"].id}, f"/requests/{req.ref}")
    session.expire_all()
    assert session.get(Request, req.id).assignee_id == world["users"]["colleague"].id
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "The assignment is saved, but the email to Colleague could not be sent." in page


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
