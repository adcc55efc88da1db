"""The administrator's webhook pages and `flask foia webhooks`: the secret shown once, CSRF, test events,
disable and delete, and another organization's webhooks never visible or editable."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from foia.accounts.service import create_user
from foia.models import AuditLog
from foia.models.exchange import Webhook, WebhookAttempt, WebhookDelivery
from foia.webhooks.delivery import WebhookSettings, deliver_due
from foia.webhooks.payloads import verify
from tests.conftest import NOW, PASSWORD, csrf_token, login

SECRET_RE = re.compile(r'id="webhook-secret-value"[^>]*value="([^"]+)"')


def add(client, url, *, events=("status.changed", "reply.received"), fmt="json", allow_private="1", token=None):
    data = {"csrf_token": token or csrf_token(client, "/admin/webhooks"), "url": url, "events": list(events),
            "format": fmt}
    if allow_private:
        data["allow_private"] = allow_private
    return client.post("/admin/webhooks", data=data)


def test_add_shows_the_secret_once_then_test_and_see_every_attempt(session, login_as, receiver):
    client = login_as("admin")
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Allow a private or loopback address" in page and "are refused" in page  # the visible warning
    resp = add(client, receiver.url)
    assert resp.status_code == 201
    html = resp.get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1)
    assert secret.startswith("whsec_") and "only time it is shown" in html
    hook = session.scalar(select(Webhook))
    assert hook.secret == secret and hook.allow_private and hook.events == ["reply.received", "status.changed"]
    show = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert secret not in show and secret not in client.get("/admin/webhooks").get_data(as_text=True)
    audit = session.scalar(select(AuditLog).where(AuditLog.entity_type == "webhooks"))
    assert audit.action == "create" and secret not in str(audit.after)

    token = csrf_token(client, f"/admin/webhooks/{hook.id}")
    assert client.post(f"/admin/webhooks/{hook.id}/test", data={"csrf_token": token}).status_code == 302
    assert receiver.received == []  # never from the web request: the scheduler sends it
    deliver_due(session, now=datetime.now(UTC), settings=WebhookSettings())  # the test event was queued now
    [got] = receiver.received
    assert got.json()["event"] == "test" and verify(secret, got.headers["x-foia-signature"], got.body)
    show = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert "Delivered" in show and "HTTP 200" in show


def test_bad_input_is_refused_with_messages(session, login_as, receiver):
    client = login_as("admin")
    resp = add(client, "http://10.0.0.5/hook", allow_private=None, events=())
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "10.0.0.5 is a private address" in html and "Choose at least one event" in html
    assert session.scalar(select(func.count(Webhook.id))) == 0


def test_every_form_needs_its_csrf_token(session, login_as, receiver, hook_for):
    hook, _ = hook_for(receiver.url)
    client = login_as("admin")
    assert client.post("/admin/webhooks", data={"url": receiver.url, "events": ["status.changed"]}).status_code == 400
    for action in ("test", "disable", "enable", "delete"):
        assert client.post(f"/admin/webhooks/{hook.id}/{action}").status_code == 400
    assert session.scalar(select(func.count(Webhook.id))) == 1
    assert session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_disable_enable_and_delete(session, login_as, receiver, hook_for, world):
    hook, _ = hook_for(receiver.url)
    client = login_as("admin")
    token = csrf_token(client, f"/admin/webhooks/{hook.id}")
    client.post(f"/admin/webhooks/{hook.id}/disable", data={"csrf_token": token})
    session.refresh(hook)
    assert hook.active is False
    client.post(f"/admin/webhooks/{hook.id}/enable", data={"csrf_token": token})
    session.refresh(hook)
    assert hook.active is True
    client.post(f"/admin/webhooks/{hook.id}/test", data={"csrf_token": token})
    deliver_due(session, now=NOW, settings=WebhookSettings())
    assert client.post(f"/admin/webhooks/{hook.id}/delete", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count(Webhook.id))) == 0
    assert session.scalar(select(func.count(WebhookDelivery.id))) == 0
    assert session.scalar(select(func.count(WebhookAttempt.id))) == 0
    assert [a.action for a in session.scalars(select(AuditLog).where(AuditLog.entity_type == "webhooks")
                                              .order_by(AuditLog.id))] == ["create", "disable", "enable", "delete"]


def test_another_organizations_webhooks_are_invisible(session, client, world, receiver, hook_for):
    hook, _ = hook_for(receiver.url)
    create_user(session, email="admin@newsroom.example", name="News admin", role="admin",
                organization=world["orgs"]["news"], password=PASSWORD, now=NOW)
    session.commit()
    assert login(client, "admin@newsroom.example").status_code == 302
    assert receiver.url.split("?")[0] not in client.get("/admin/webhooks").get_data(as_text=True)
    assert client.get(f"/admin/webhooks/{hook.id}").status_code == 404
    token = csrf_token(client, "/admin/webhooks")
    for action in ("test", "disable", "enable", "delete"):
        assert client.post(f"/admin/webhooks/{hook.id}/{action}", data={"csrf_token": token}).status_code == 404
    assert client.get("/admin/webhooks/99999999999999999999").status_code == 404
    session.refresh(hook)
    assert hook.active and session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_staff_and_reporters_cannot_reach_the_pages(session, login_as, receiver, hook_for):
    hook, _ = hook_for(receiver.url)
    for role in ("staff", "reporter"):
        client = login_as(role)
        assert client.get("/admin/webhooks").status_code == 403
        assert client.get(f"/admin/webhooks/{hook.id}").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})


def test_cli_add_list_deliver_remove(cli, session, world, receiver):
    out = cli.invoke(args=["foia", "webhooks", "add", "http://10.9.9.9/x", "--as", "admin@lacity.example"])
    assert out.exit_code == 2 and "private address" in out.output
    out = cli.invoke(args=["foia", "webhooks", "add", receiver.url, "--event", "status.changed", "--format", "slack",
                           "--allow-private", "--as", "admin@lacity.example"])
    assert out.exit_code == 0, out.output
    assert "private and loopback addresses are allowed" in out.output
    secret = re.search(r"Secret \(shown once.*\): (\S+)", out.output).group(1)
    out = cli.invoke(args=["foia", "webhooks", "list", "--as", "admin@lacity.example", "--json"])
    assert secret not in out.output and '"format": "slack"' in out.output
    out = cli.invoke(args=["foia", "webhooks", "list", "--as", "clerk@lacity.example"])
    assert out.exit_code == 2  # staff are not administrators
    hook = session.scalar(select(Webhook))
    session.add(WebhookDelivery(webhook_id=hook.id, event="test", event_key="cli", payload={"data": {"message": "hi"}},
                                status="pending", attempts=0, next_attempt_at=NOW, created_at=NOW))
    session.commit()
    out = cli.invoke(args=["foia", "webhooks", "deliver", "--now", NOW.isoformat()])
    assert out.exit_code == 0 and "Delivered 1" in out.output, out.output
    assert receiver.received[0].json() == {"text": "*Test event* — hi"}
    out = cli.invoke(args=["foia", "webhooks", "remove", str(hook.id), "--as", "admin@lacity.example"])
    assert out.exit_code == 0 and session.scalar(select(func.count(Webhook.id))) == 0
