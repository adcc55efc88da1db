"""`flask foia send`, `show --json` deliveries and the evidence bundle, against a real aiosmtpd."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from sqlalchemy import func, select

from foia.core.paths import blob_root
from foia.documents.storage import BlobStore
from foia.models import Delivery, LetterVersion
from tests.mail.conftest import free_port
from tests.mailroom.conftest import QueueingHandler, final_letter, parsed


def test_send_finalize_json_show_and_no_resend(cli, world, session, smtp_app):
    handler = smtp_app(QueueingHandler())
    ref = world["requests"][("staff", "private")].ref

    refused = cli.invoke(args=["foia", "send", ref])
    assert refused.exit_code == 2 and "no final request letter" in refused.stderr and "--finalize" in refused.stderr
    assert handler.messages == []

    result = cli.invoke(args=["foia", "send", ref, "--finalize", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["to"] == "ice-foia@ice.dhs.gov" and out["message_id"].startswith("<")
    record = out["delivery"]
    assert (record["status"], record["smtp_code"], record["queue_id"]) == ("accepted", 250, "4F3A2B")
    assert record["smtp_reply"] == "2.0.0 Ok: queued as 4F3A2B" and record["sent_at"]
    assert len(handler.messages) == 1 and parsed(handler.messages[0].data)["Message-ID"] == out["message_id"]
    assert session.scalar(select(func.count(LetterVersion.id)).where(LetterVersion.status == "final")) == 1

    shown = json.loads(cli.invoke(args=["foia", "show", ref, "--json"]).output)
    assert shown["status"] == "submitted" and shown["sent_at"]
    assert shown["deliveries"] == [{"message_id": out["message_id"], "to": "ice-foia@ice.dhs.gov", "kind": "request",
                                    "sent_at": record["sent_at"], "status": "accepted", "smtp_code": 250,
                                    "smtp_reply": "2.0.0 Ok: queued as 4F3A2B", "queue_id": "4F3A2B"}]
    assert "emailed letters" in cli.invoke(args=["foia", "show", ref]).output

    again = cli.invoke(args=["foia", "send", ref])
    assert again.exit_code == 2 and "never sent twice" in again.stderr
    assert len(handler.messages) == 1


def test_send_failure_exits_1_with_the_reason(cli, world, session, app, monkeypatch, smtp_app):
    req = world["requests"][("staff", "private")]
    final_letter(session, app, req, world["users"]["staff"])
    port = free_port()
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{port}")
    result = cli.invoke(args=["foia", "send", req.ref, "--json"])
    assert result.exit_code == 1
    assert "not sent" in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert json.loads(result.stdout)["delivery"]["status"] == "failed"


@pytest.mark.parametrize(("args", "words"), [
    ([], "portal"),
    (["--to", "nobody"], "not an email address"),
])
def test_unsendable_exits_2(cli, world, session, app, smtp_app, args, words):
    handler = smtp_app()
    req = world["requests"][("reporter", "private")]  # LASD: no email
    final_letter(session, app, req, world["users"]["reporter"])
    result = cli.invoke(args=["foia", "send", req.ref, *args])
    assert result.exit_code == 2 and words in result.stderr
    assert handler.messages == [] and session.scalar(select(func.count(Delivery.id))) == 0


def test_evidence_bundle_holds_each_delivery(cli, world, session, app, tmp_path, smtp_app):
    handler = smtp_app(QueueingHandler())
    req = world["requests"][("staff", "private")]
    final_letter(session, app, req, world["users"]["staff"])
    assert cli.invoke(args=["foia", "send", req.ref]).exit_code == 0
    delivery = session.scalar(select(Delivery))
    out = tmp_path / "bundle.zip"
    result = cli.invoke(args=["foia", "export", req.ref, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        (eml_name,) = [n for n in names if n.startswith("deliveries/") and n.endswith(".eml")]
        (json_name,) = [n for n in names if n.startswith("deliveries/") and n.endswith(".json")]
        eml = zf.read(eml_name)
        record = json.loads(zf.read(json_name))
        manifest = json.loads(zf.read("manifest.json"))
        sums = zf.read("manifest.sha256").decode()
    stored = BlobStore(blob_root(app.config)).path_for(delivery.raw_sha256).read_bytes()
    assert eml == stored and eml.rstrip(b"\r\n") == handler.messages[0].data.rstrip(b"\r\n")
    assert record["message_id"] == delivery.message_id and record["eml"] == eml_name
    assert (record["status"], record["smtp_code"], record["smtp_reply"], record["queue_id"]) == (
        "accepted", 250, "2.0.0 Ok: queued as 4F3A2B", "4F3A2B")
    assert record["sent_at"] and record["raw_sha256"] == hashlib.sha256(eml).hexdigest()
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed[eml_name] == hashlib.sha256(eml).hexdigest() and json_name in listed
    assert f"{hashlib.sha256(eml).hexdigest()}  {eml_name}" in sums
    assert manifest["deliveries"][0]["message_id"] == delivery.message_id
