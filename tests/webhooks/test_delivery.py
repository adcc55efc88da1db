"""Delivering webhook events to a real receiver on 127.0.0.1: signature, retries, refused addresses, timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from foia.communications.service import log_communication
from foia.core.errors import ValidationError
from foia.models.exchange import Webhook, WebhookAttempt, WebhookDelivery
from foia.webhooks import addresses
from foia.webhooks.delivery import MAX_ATTEMPTS, WebhookSettings, deliver_due
from foia.webhooks.payloads import verify
from foia.webhooks.service import create_webhook, emit
from tests.conftest import NOW

SETTINGS = WebhookSettings(base_url="https://foia.lacity.example")


def acknowledge(session, world, req=None):
    """A status-changing communication (draft → acknowledged), as a person logs it."""
    req = req or world["requests"][("staff", "private")]
    log_communication(session, actor=world["users"]["staff"], now=NOW, req=req, direction="incoming",
                      kind="acknowledgment", occurred_on=NOW.date(), subject="We received your request",
                      tracking_number="2026-ICFO-00042")
    session.commit()
    return req


def attempts_of(session, delivery_id):
    return list(session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                .order_by(WebhookAttempt.id)))


def test_a_status_change_is_posted_signed_with_the_secret(session, world, receiver, hook_for):
    _hook, secret = hook_for(receiver.url)
    req = acknowledge(session, world)
    [delivery] = session.scalars(select(WebhookDelivery)).all()

    result = deliver_due(session, now=NOW, settings=SETTINGS)
    assert (result.delivered, result.retrying, result.failed) == (1, 0, 0)
    [got] = receiver.received
    assert got.path == "/hooks/foia?source=tracker"
    assert got.headers["content-type"].startswith("application/json")
    assert got.headers["user-agent"].startswith("FOIA-Tracker-Webhooks/")
    assert got.headers["x-foia-event"] == "status.changed"
    assert got.headers["x-foia-delivery"] == str(delivery.id)
    signature = got.headers["x-foia-signature"]
    assert signature.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify(secret, signature, got.body, now=NOW)
    assert not verify("another-secret-entirely", signature, got.body)
    assert not verify(secret, signature, got.body.replace(b"acknowledged", b"released"))
    assert not verify(secret, signature, got.body, now=NOW + timedelta(hours=1))  # a replayed old event

    body = got.json()
    assert body["event"] == "status.changed" and body["id"] == delivery.id
    assert body["occurred_at"] == NOW.isoformat()
    assert body["organization"] == {"id": req.organization_id, "name": "City of Los Angeles"}
    assert body["request"] == {"ref": req.ref, "title": req.title, "agency": req.agency.name,
                               "status": "acknowledged", "url": f"https://foia.lacity.example/requests/{req.ref}"}
    assert body["data"] == {"from": "draft", "to": "acknowledged"}

    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery.id)
    assert (delivery.status, delivery.attempts, delivery.delivered_at, delivery.claim_token) == (
        "delivered", 1, delivery.delivered_at, None)
    [attempt] = attempts_of(session, delivery.id)
    assert attempt.status_code == 200 and attempt.error == ""
    assert deliver_due(session, now=NOW + timedelta(hours=1), settings=SETTINGS).attempts == []  # never again
    assert len(receiver.received) == 1


def test_a_500_is_retried_with_backoff_then_delivered(session, world, receiver, hook_for):
    hook_for(receiver.url)
    receiver.answer(500)
    acknowledge(session, world)
    first = deliver_due(session, now=NOW, settings=SETTINGS)
    assert (first.delivered, first.retrying) == (0, 1)
    delivery = session.scalar(select(WebhookDelivery))
    session.refresh(delivery)
    assert delivery.status == "pending" and delivery.attempts == 1
    # 1 minute, with up to 20 % jitter either way
    assert NOW + timedelta(seconds=47) <= delivery.next_attempt_at <= NOW + timedelta(seconds=73)
    assert deliver_due(session, now=NOW + timedelta(seconds=30), settings=SETTINGS).attempts == []  # not yet
    second = deliver_due(session, now=NOW + timedelta(minutes=2), settings=SETTINGS)
    assert second.delivered == 1
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body  # the same event, the same id
    attempts = attempts_of(session, delivery.id)
    assert [a.status_code for a in attempts] == [500, 200]
    assert attempts[0].error.startswith("HTTP 500") and len(attempts[0].error) < 400  # the answer was capped
    assert attempts[1].error == ""
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_after_the_last_retry_the_delivery_fails(session, world, receiver, hook_for):
    hook_for(receiver.url)
    receiver.answer(*[503] * 10)
    acknowledge(session, world)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_due(session, now=at, settings=SETTINGS)
        at += timedelta(hours=8)
    delivery = session.scalar(select(WebhookDelivery))
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.received) == MAX_ATTEMPTS
    assert deliver_due(session, now=at + timedelta(days=1), settings=SETTINGS).attempts == []


def test_a_redirect_is_not_followed(session, world, receiver, hook_for):
    hook_for(receiver.url)
    receiver.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    acknowledge(session, world)
    deliver_due(session, now=NOW, settings=SETTINGS)
    assert len(receiver.received) == 1
    [attempt] = session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code == 302 and "not followed" in attempt.error


def test_a_receiver_that_does_not_answer_in_time_is_cut_off(session, world, receiver, hook_for):
    hook_for(receiver.url)
    receiver.delay = 3
    acknowledge(session, world)
    fast = WebhookSettings(base_url="https://foia.lacity.example", connect_timeout=1, total_timeout=1)
    deliver_due(session, now=NOW, settings=fast)
    [attempt] = session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code is None and attempt.error == "No complete answer within 1 s."
    assert 900 <= attempt.duration_ms < 3000  # cut off at 1 s, not after the receiver's 3 s


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/hooks", "http://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/hooks", "http://localhost:{port}/hooks", "http://[::ffff:127.0.0.1]:{port}/hooks",
    "http://0.0.0.0:{port}/", "http://192.168.1.20/", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://2130706433:{port}/", "http://224.0.0.1/", "ftp://example.com/hooks", "file:///etc/passwd",
    "javascript:alert(1)", "https://user:pass@example.com/hooks", "http:///nohost",
])
def test_refused_addresses_cannot_be_subscribed(session, world, receiver, url):
    url = url.format(port=receiver.port)
    with pytest.raises(ValidationError) as info:
        create_webhook(session, actor=world["users"]["admin"], now=NOW, url=url, events=["status.changed"])
    assert "url" in info.value.errors
    session.rollback()
    assert session.scalar(select(func.count(Webhook.id))) == 0


def test_a_name_resolving_to_loopback_is_refused(session, world, receiver, monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.216.34", "127.0.0.1"])
    with pytest.raises(ValidationError) as info:
        create_webhook(session, actor=world["users"]["admin"], now=NOW, url="https://hooks.example/in",
                       events=["status.changed"])
    assert "127.0.0.1 is a loopback address" in info.value.errors["url"]


@pytest.mark.parametrize("inside", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:127.0.0.1",
                                    "fd12:3456::1", "64:ff9b::7f00:1"])
def test_an_address_that_turned_internal_is_refused_at_delivery_and_nothing_is_sent(
        session, world, receiver, monkeypatch, inside):
    """DNS rebinding: the name was public when subscribed, it points inside when the event goes out."""
    answers = {"hooks.example": ["93.184.216.34"]}
    monkeypatch.setattr(addresses, "resolve", lambda host, port: answers[host])
    hook, _ = create_webhook(session, actor=world["users"]["admin"], now=NOW,
                             url=f"http://hooks.example:{receiver.port}/in", events=["status.changed"])
    session.commit()
    assert hook.allow_private is False
    answers["hooks.example"] = [inside]
    acknowledge(session, world)
    result = deliver_due(session, now=NOW, settings=SETTINGS)
    assert receiver.received == []
    assert (result.delivered, result.retrying) == (0, 1)
    [attempt] = session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code is None and attempt.error.startswith("Not sent: Refused") and "hooks.example" in attempt.error


def test_a_stored_loopback_url_without_allow_private_is_never_posted(session, world, receiver):
    """A row written by other means (an old version, a database edit) is checked at every delivery too."""
    now = NOW
    hook = Webhook(organization_id=world["orgs"]["city"].id, url=receiver.url, secret="s" * 32,
                   events=["status.changed"], format="json", active=True, allow_private=False,
                   created_at=now, updated_at=now)
    session.add(hook)
    session.commit()
    acknowledge(session, world)
    deliver_due(session, now=NOW, settings=SETTINGS)
    assert receiver.received == []
    [attempt] = session.scalars(select(WebhookAttempt)).all()
    assert "127.0.0.1 is a loopback address" in attempt.error


def test_emitting_the_same_event_twice_enqueues_it_once(session, world, receiver, hook_for):
    hook_for(receiver.url)
    hook_for(receiver.url + "&second=1")
    req = world["requests"][("staff", "private")]
    for _ in range(2):
        emit(session, event="status.changed", request=req, now=NOW, details={"from": "a", "to": "b"}, key="k-1")
        session.commit()
    assert session.scalar(select(func.count(WebhookDelivery.id))) == 2  # one per webhook
    deliver_due(session, now=NOW, settings=SETTINGS)
    assert len(receiver.received) == 2


def test_only_subscribed_active_webhooks_of_the_request_organization_get_the_event(session, world, receiver,
                                                                                   hook_for):
    hook_for(receiver.url, events=["reply.received"])
    paused, _ = hook_for(receiver.url + "&paused=1")
    paused.active = False
    session.commit()
    news_req = world["requests"][("reporter", "private")]  # another organization's request
    assert emit(session, event="status.changed", request=news_req, now=NOW, details={}, key="x") == []
    assert emit(session, event="status.changed", request=world["requests"][("staff", "private")], now=NOW,
                details={}, key="y") == []
    assert session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_slack_format_is_a_text_message(session, world, receiver, hook_for):
    _, secret = hook_for(receiver.url, fmt="slack")
    req = acknowledge(session, world)
    deliver_due(session, now=NOW, settings=SETTINGS)
    [got] = receiver.received
    body = got.json()
    assert list(body) == ["text"]
    assert req.ref in body["text"] and "draft → acknowledged" in body["text"]
    assert f"<https://foia.lacity.example/requests/{req.ref}|Open {req.ref}>" in body["text"]
    assert verify(secret, got.headers["x-foia-signature"], got.body)


def test_the_scheduler_job_delivers(app, session, world, receiver, hook_for):
    from foia.scheduler import deliver_webhooks

    hook_for(receiver.url)
    real_now = datetime.now(UTC)
    emit(session, event="status.changed", request=world["requests"][("staff", "private")], now=real_now,
         details={"from": "draft", "to": "submitted"}, key="scheduler-test")
    session.commit()
    result = deliver_webhooks(app)
    assert result is not None and result.delivered == 1
    assert len(receiver.received) == 1 and receiver.received[0].json()["data"]["to"] == "submitted"
