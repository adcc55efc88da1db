"""Administrators manage people and organizations: invitations through real mail, role and organization,
deactivation; every change audited; nobody else gets in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from foia.accounts.sessions import start_session
from foia.models import AccountToken, AuditLog, Organization, User, UserSession
from tests.accounts.conftest import STRONG
from tests.conftest import NOW, PASSWORD, csrf_token, login


def _audits(session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _user(session, email: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


@pytest.mark.parametrize("role", ["staff", "reporter"])
def test_non_admins_get_403_on_every_user_and_organization_page(login_as, world, session, role):
    client = login_as(role)
    token = csrf_token(client, "/settings")
    target = world["users"]["colleague"].id
    org = world["orgs"]["news"].id
    for path in ("/admin/users", f"/admin/users/{target}", "/admin/organizations"):
        assert client.get(path).status_code == 403, path
    posts = {"/admin/users/invite": {"email": "x@y.example", "role": "admin", "organization": org},
             f"/admin/users/{target}": {"role": "admin", "organization": org},
             f"/admin/users/{target}/deactivate": {}, f"/admin/users/{target}/reactivate": {},
             f"/admin/users/{target}/reinvite": {}, "/admin/organizations": {"name": "Mine now"},
             f"/admin/organizations/{org}/rename": {"name": "Mine now"}}
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _user(session, "x@y.example") is None
    assert _user(session, world["users"]["colleague"].email).role == "reporter"
    assert session.scalar(select(Organization).where(Organization.name == "Mine now")) is None


def test_every_account_form_carries_a_csrf_token_and_needs_it(login_as, client, world, session, inbox):
    admin = login_as("admin")
    pages = ["/admin/users", f"/admin/users/{world['users']['staff'].id}", "/admin/organizations", "/settings/password"]
    for path in pages:
        html = admin.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert forms, path
        for form in forms:
            assert 'name="csrf_token"' in form, (path, form[:200])
    posts = ["/admin/users/invite", f"/admin/users/{world['users']['staff'].id}",
             f"/admin/users/{world['users']['staff'].id}/deactivate", "/admin/organizations",
             f"/admin/organizations/{world['orgs']['city'].id}/rename", "/settings/password"]
    for path in posts:
        resp = admin.post(path, data={"email": "a@b.example", "role": "admin", "name": "X"})
        assert resp.status_code == 400 and "security token" in resp.get_data(as_text=True), path
    assert _user(session, "a@b.example") is None and _user(session, "clerk@lacity.example").active
    admin.post("/logout", data={"csrf_token": csrf_token(admin, "/settings")})
    for path in ("/forgot", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert 'name="csrf_token"' in html, path


def _invite(admin, world, email="new.person@lacity.example", role="staff", org="city"):
    token = csrf_token(admin, "/admin/users")
    return admin.post("/admin/users/invite", data={"csrf_token": token, "email": email, "name": "New Person",
                                                   "role": role, "organization": world["orgs"][org].id})


def test_invitation_mail_sets_a_password_and_the_person_signs_in(login_as, world, session, inbox):
    admin = login_as("admin")
    resp = _invite(admin, world)
    assert resp.status_code == 302
    person = _user(session, "new.person@lacity.example")
    assert person.role == "staff" and person.organization.name == "City of Los Angeles"
    assert "<td>invited</td>" in admin.get("/admin/users").get_data(as_text=True)
    assert not person.check_password("") and person.password_changed_at is None
    [msg] = inbox.messages(to=person.email)
    assert msg["Subject"] == "You are invited to FOIA Tracker (City of Los Angeles)"
    path = inbox.link(person.email, "invite")
    row = session.scalar(select(AccountToken).where(AccountToken.user_id == person.id))
    assert row.purpose == "invite" and row.expires_at == row.created_at + timedelta(hours=72)
    assert row.created_by_id == world["users"]["admin"].id
    [audit] = _audits(session, "invite")
    assert audit.actor_id == world["users"]["admin"].id and audit.after["role"] == "staff"

    admin.post("/logout", data={"csrf_token": csrf_token(admin, "/settings")})
    page = admin.get(path)
    assert page.status_code == 200 and "new.person@lacity.example" in page.get_data(as_text=True)
    csrf = csrf_token(admin, path)
    weak = admin.post(path, data={"csrf_token": csrf, "password": "password1234!", "confirm": "password1234!"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    done = admin.post(path, data={"csrf_token": csrf, "password": STRONG, "confirm": STRONG})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert admin.get(path).status_code == 410  # used
    signed_in = login(admin, person.email, STRONG)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/dashboard"


def test_reinvite_ends_the_old_link_and_an_invite_expires_after_72_hours(login_as, world, session, inbox, monkeypatch):
    admin = login_as("admin")
    _invite(admin, world)
    person = _user(session, "new.person@lacity.example")
    first = inbox.link(person.email, "invite")
    resp = admin.post(f"/admin/users/{person.id}/reinvite", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert resp.status_code == 302
    second = inbox.link(person.email, "invite")
    assert first != second and len(inbox.messages(to=person.email)) == 2
    assert [a.entity_id for a in _audits(session, "reinvite")] == [str(person.id)]
    assert admin.get(first).status_code == 410
    assert admin.get(second).status_code == 200

    import foia.accounts.password_views as views
    monkeypatch.setattr(views, "utcnow", lambda: NOW + timedelta(days=400))  # well past 72 hours
    expired = admin.get(second)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


def test_invite_refuses_an_existing_address_and_bad_input(login_as, world, session, inbox):
    admin = login_as("admin")
    taken = _invite(admin, world, email="Clerk@lacity.example")
    assert taken.status_code == 400 and "already an account" in taken.get_data(as_text=True)
    bad = admin.post("/admin/users/invite", data={"csrf_token": csrf_token(admin, "/admin/users"), "email": "nope",
                                                  "role": "boss", "organization": "999"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "valid email" in body and "Choose a role" in body and "organization" in body
    assert inbox.messages() == [] and _audits(session, "invite") == []
    # someone who set a password is not "invited": no new link for them
    staff = world["users"]["staff"]
    resp = admin.post(f"/admin/users/{staff.id}/reinvite", data={"csrf_token": csrf_token(admin, "/admin/users")},
                      follow_redirects=True)
    assert "Only people who have not set a password yet" in resp.get_data(as_text=True)


def test_role_and_organization_changes_are_audited(login_as, world, session):
    admin = login_as("admin")
    reporter = world["users"]["reporter"]
    token = csrf_token(admin, "/admin/users")
    resp = admin.post(f"/admin/users/{reporter.id}", data={"csrf_token": token, "role": "staff",
                                                           "organization": world["orgs"]["other"].id})
    assert resp.status_code == 302
    person = _user(session, reporter.email)
    assert person.role == "staff" and person.organization.name == "Other Newsroom"
    [audit] = _audits(session, "update")
    assert audit.actor_id == world["users"]["admin"].id and audit.entity_type == "users"
    assert audit.before == {"role": "reporter", "organization": "Los Angeles Ledger"}
    assert audit.after == {"role": "staff", "organization": "Other Newsroom"}
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "Other Newsroom" in listing and "never" in listing


def test_the_last_admin_cannot_demote_or_deactivate_themselves(login_as, world, session):
    admin = login_as("admin")
    me = world["users"]["admin"]
    token = csrf_token(admin, "/admin/users")
    demote = admin.post(f"/admin/users/{me.id}", data={"csrf_token": token, "role": "staff",
                                                      "organization": world["orgs"]["city"].id})
    assert demote.status_code == 400 and "last active administrator" in demote.get_data(as_text=True)
    deactivate = admin.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert "last active administrator" in deactivate.get_data(as_text=True)
    me = _user(session, me.email)
    assert me.role == "admin" and me.active
    # with a second admin it is allowed
    admin.post(f"/admin/users/{world['users']['staff'].id}", data={"csrf_token": token, "role": "admin",
                                                                   "organization": world["orgs"]["city"].id})
    ok = admin.post(f"/admin/users/{me.id}", data={"csrf_token": token, "role": "staff",
                                                  "organization": world["orgs"]["city"].id})
    assert ok.status_code == 302 and _user(session, me.email).role == "staff"


def test_deactivation_ends_every_session_and_reactivation_restores_sign_in(login_as, world, session):
    reporter = world["users"]["reporter"]
    start_session(session, user=reporter, now=NOW)
    start_session(session, user=reporter, now=NOW)
    start_session(session, user=world["users"]["staff"], now=NOW)
    session.commit()
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/users")
    resp = admin.post(f"/admin/users/{reporter.id}/deactivate", data={"csrf_token": token})
    assert resp.status_code == 302
    person = _user(session, reporter.email)
    assert not person.active and person.deactivated_at is not None
    rows = list(session.scalars(select(UserSession).where(UserSession.user_id == reporter.id)))
    assert len(rows) == 2 and all(r.ended_at is not None and r.ended_reason == "deactivated" for r in rows)
    assert all(r.ended_at is None for r in
               session.scalars(select(UserSession).where(UserSession.user_id == world["users"]["staff"].id)))
    [audit] = _audits(session, "deactivate")
    assert audit.actor_id == world["users"]["admin"].id and audit.after == {"active": False, "sessions_ended": 2}
    assert "<td>deactivated</td>" in admin.get("/admin/users").get_data(as_text=True)

    admin.post("/logout", data={"csrf_token": csrf_token(admin, "/settings")})
    assert login(admin, reporter.email, PASSWORD).status_code == 401

    assert login(admin, world["users"]["admin"].email).status_code == 302
    resp = admin.post(f"/admin/users/{reporter.id}/reactivate", data={"csrf_token": csrf_token(admin, "/settings")})
    assert resp.status_code == 302
    person = _user(session, reporter.email)
    assert person.active and person.deactivated_at is None
    [audit] = _audits(session, "reactivate")
    assert audit.before == {"active": False} and audit.after == {"active": True}


def test_organizations_are_created_and_renamed_with_an_audit_trail(login_as, world, session):
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/organizations")
    created = admin.post("/admin/organizations", data={"csrf_token": token, "name": "  Pasadena   Star-News "})
    assert created.status_code == 302
    org = session.scalar(select(Organization).where(Organization.name == "Pasadena Star-News"))
    assert org is not None
    duplicate = admin.post("/admin/organizations", data={"csrf_token": token, "name": "pasadena star-news"})
    assert duplicate.status_code == 400 and "already an organization" in duplicate.get_data(as_text=True)
    empty = admin.post("/admin/organizations", data={"csrf_token": token, "name": " "})
    assert empty.status_code == 400
    renamed = admin.post(f"/admin/organizations/{org.id}/rename", data={"csrf_token": token, "name": "Pasadena Now"})
    assert renamed.status_code == 302
    session.expire_all()
    assert session.get(Organization, org.id).name == "Pasadena Now"
    clash = admin.post(f"/admin/organizations/{org.id}/rename", data={"csrf_token": token,
                                                                      "name": "City of Los Angeles"},
                       follow_redirects=True)
    assert "already an organization" in clash.get_data(as_text=True)
    session.expire_all()
    assert session.get(Organization, org.id).name == "Pasadena Now"
    creates = [a for a in _audits(session, "create") if a.entity_type == "organizations" and a.actor_id]
    assert [a.after for a in creates] == [{"name": "Pasadena Star-News"}]
    [rename] = _audits(session, "rename")
    assert rename.before == {"name": "Pasadena Star-News"} and rename.after == {"name": "Pasadena Now"}
    page = admin.get("/admin/organizations").get_data(as_text=True)
    assert "Pasadena Now" in page


def test_admin_navigation_links_to_users(login_as):
    assert 'href="/admin/users"' in login_as("admin").get("/dashboard").get_data(as_text=True)


def test_unknown_user_and_organization_ids_are_404(login_as):
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/users")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/users/99999999999999999999999").status_code == 404
    assert admin.post("/admin/organizations/99999999999999999999999/rename",
                      data={"csrf_token": token, "name": "x"}).status_code == 404
