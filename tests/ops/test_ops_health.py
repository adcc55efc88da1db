"""/healthz (every check, 503 when one fails) and /metrics (Prometheus text, loopback or token): F7, F11."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from foia.extensions import db
from foia.models import Job, Reminder, WebhookDelivery
from foia.ops.heartbeat import SWEEP_KEY, last_sweep, record_sweep
from foia.ops.schema import head_revisions


def _now() -> datetime:
    return datetime.now(UTC)


def _swept(session, ago: timedelta = timedelta(seconds=5)) -> None:
    record_sweep(session, _now() - ago)
    session.commit()


def _reminder(session, user, *, send_at: datetime, status: str = "pending", attempts: int = 0, seq: int = 0) -> None:
    session.add(Reminder(request_id=None, user_id=user.id, clock_kind="response", due=date(2026, 1, 20) + timedelta(days=seq),
                         rule="digest", seq=0, send_at=send_at, status=status, attempts=attempts,
                         last_error="could not send mail via smtp.secret.example:25" if attempts else "",
                         created_at=_now()))
    session.commit()


def _health(client):
    resp = client.get("/healthz")
    return resp.status_code, resp.get_json()


def test_healthz_is_200_with_every_check_when_all_is_well(client, session, world):
    _swept(session)
    code, body = _health(client)
    assert code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "schema", "scheduler", "reminders", "jobs", "webhooks"}
    assert body["checks"]["schema"] == {"status": "ok", "current": ",".join(head_revisions()),
                                        "head": ",".join(head_revisions())}
    assert body["checks"]["scheduler"]["age_seconds"] < 60
    assert body["checks"]["reminders"] == {"status": "ok", "failing": 0, "late": 0}


def test_no_sweep_ever_recorded_is_503(client, session, world):
    code, body = _health(client)
    assert code == 503 and body["status"] == "fail"
    assert body["checks"]["scheduler"] == {"status": "fail", "last_sweep": None, "max_age_seconds": 300}
    assert body["checks"]["database"]["status"] == "ok"


def test_a_sweep_older_than_the_limit_is_503(client, session, world):
    _swept(session, ago=timedelta(minutes=6))  # the default limit: max(300 s, 3 x 60 s interval)
    code, body = _health(client)
    assert code == 503 and body["checks"]["scheduler"]["status"] == "fail"
    assert body["checks"]["scheduler"]["age_seconds"] >= 360


def test_the_scheduler_sweep_records_its_time(ctx, session, world, monkeypatch):
    from foia import scheduler

    monkeypatch.setattr(scheduler, "dispatch_due", lambda *a, **k: 0)
    before = _now()
    scheduler.sweep(ctx)
    assert last_sweep(db.session()) >= before - timedelta(seconds=1)


def test_a_failed_sweep_records_nothing(ctx, session, world, monkeypatch):
    from foia import scheduler

    def broken(*a, **k):
        raise RuntimeError("no such table: reminders")

    monkeypatch.setattr(scheduler, "dispatch_due", broken)
    scheduler.sweep(ctx)
    assert last_sweep(db.session()) is None


def test_failing_reminders_are_503_and_their_errors_stay_private(client, session, world):
    _swept(session)
    _reminder(session, world["users"]["staff"], send_at=_now() + timedelta(minutes=1), attempts=3)
    code, body = _health(client)
    assert code == 503 and body["checks"]["reminders"] == {"status": "fail", "failing": 1, "late": 0}
    assert "secret.example" not in client.get("/healthz").get_data(as_text=True)


def test_reminders_waiting_past_the_grace_period_are_503(client, session, world):
    _swept(session)
    _reminder(session, world["users"]["staff"], send_at=_now() - timedelta(minutes=20))
    _reminder(session, world["users"]["staff"], send_at=_now() - timedelta(minutes=20), status="sent", seq=1)
    code, body = _health(client)
    assert code == 503 and body["checks"]["reminders"] == {"status": "fail", "failing": 0, "late": 1}


def test_late_jobs_and_failing_webhooks_are_503(client, session, world):
    _swept(session)
    session.add(Job(kind="extract_text", status="queued", run_after=_now() - timedelta(hours=1), created_at=_now()))
    session.commit()
    code, body = _health(client)
    assert code == 503 and body["checks"]["jobs"]["late"] == 1 and body["checks"]["jobs"]["queued"] == 1
    session.execute(text("DELETE FROM jobs"))
    from foia.models import Webhook

    hook = Webhook(organization_id=world["orgs"]["city"].id, url="https://hooks.example/x", secret="s3cret",
                   events=["request.created"], created_at=_now(), updated_at=_now())
    session.add(hook)
    session.flush()
    session.add(WebhookDelivery(webhook_id=hook.id, event="request.created", event_key="k1", payload={},
                                status="pending", attempts=2, next_attempt_at=_now(), created_at=_now()))
    session.commit()
    code, body = _health(client)
    assert code == 503 and body["checks"]["webhooks"] == {"status": "fail", "failing": 1, "failed": 0}
    assert body["checks"]["jobs"]["status"] == "ok"
    assert "s3cret" not in client.get("/healthz").get_data(as_text=True)


@pytest.fixture
def schema_behind(session):
    """The database says it is at 0018 (two revisions behind head), as after deploying new code without
    `flask db upgrade`; put back afterwards."""
    heads = head_revisions()
    session.execute(text("UPDATE alembic_version SET version_num = '0018_agency_directory'"))
    session.commit()
    yield
    session.rollback()
    session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": heads[0]})
    session.commit()


def test_a_schema_behind_is_503(client, session, world, schema_behind):
    _swept(session)
    code, body = _health(client)
    assert code == 503
    assert body["checks"]["schema"] == {"status": "fail", "current": "0018_agency_directory",
                                        "head": ",".join(head_revisions())}


def test_only_the_checks_asked_for(client, session, world):
    resp = client.get("/healthz?checks=database,schema,nonsense")
    assert resp.status_code == 200 and set(resp.get_json()["checks"]) == {"database", "schema"}


def test_heartbeat_row_is_one_row_however_many_sweeps(session, world):
    for _ in range(3):
        _swept(session)
    assert session.execute(text("SELECT count(*) FROM mailbox_cursors WHERE key = :k"), {"k": SWEEP_KEY}).scalar() == 1


# --- /metrics -------------------------------------------------------------------------------------------------

def _families(body: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(body)}


def _value(families, name: str, **labels) -> float:
    for sample in families[name].samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    raise AssertionError(f"no sample {name} {labels}")


def test_metrics_parse_and_count_from_the_database(client, session, world):
    _swept(session, ago=timedelta(seconds=30))
    staff = world["users"]["staff"]
    _reminder(session, staff, send_at=_now() + timedelta(hours=1))
    _reminder(session, staff, send_at=_now() + timedelta(hours=1), attempts=2, seq=1)
    _reminder(session, staff, send_at=_now() - timedelta(days=1), status="sent", seq=2)
    session.add(Job(kind="extract_text", status="queued", run_after=_now(), created_at=_now()))
    session.commit()
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain; version=0.0.4")
    families = _families(resp.get_data(as_text=True))  # raises if the format is wrong
    assert _value(families, "foia_database_up") == 1
    assert _value(families, "foia_reminders", status="pending") == 2
    assert _value(families, "foia_reminders", status="sent") == 1
    assert _value(families, "foia_reminders_failing") == 1
    assert _value(families, "foia_jobs", kind="extract_text", status="queued") == 1
    assert _value(families, "foia_requests_open") == 6  # world: six draft requests
    assert 30 <= _value(families, "foia_last_sweep_age_seconds") < 120
    assert _value(families, "foia_schema_at_head") == 1
    assert "process_cpu_seconds" in families  # prometheus-client's process collector (Linux /proc)


def test_metrics_refuse_other_machines_without_the_token(client, ctx, session, world):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 401
    # A local reverse proxy forwards someone else's request: loopback alone is not enough then.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401
    ctx.config["FOIA_METRICS_TOKEN"] = "t0ken-for-prometheus"
    try:
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer wrong"}).status_code == 401
        resp = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer t0ken-for-prometheus"})
        assert resp.status_code == 200 and "foia_reminders" in resp.get_data(as_text=True)
    finally:
        ctx.config["FOIA_METRICS_TOKEN"] = None


def test_metrics_when_the_schema_is_behind(client, session, world, schema_behind):
    families = _families(client.get("/metrics").get_data(as_text=True))
    assert _value(families, "foia_schema_at_head") == 0
