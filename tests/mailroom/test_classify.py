"""Replies to classify: the suggested kind, confirming it (the kind's effect applied), the page and dashboard."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from foia.communications.service import classify_communication
from foia.core.errors import ValidationError
from foia.dashboard.queries import ToClassify, replies_to_classify
from foia.mailroom.classify import suggest_kind
from foia.models import AuditLog, Communication, Event
from tests.conftest import NOW, csrf_token
from tests.mailroom.conftest import make_delivery, reply_eml


@pytest.mark.parametrize(("subject", "text", "kind"), [
    ("Acknowledgment of your FOIA request", "We have received your request and assigned tracking number 2026-X.",
     "acknowledgment"),
    ("Re: request", "Due to unusual circumstances we are taking an extension of 10 working days.", "extension_notice"),
    ("Fee estimate", "The estimated fees for search and duplication are $125.", "fee_estimate"),
    ("Question", "Could you please clarify which date range you mean?", "clarification_request"),
    ("Response", "Portions of the records were withheld under exemption (b)(6); the rest are enclosed.",
     "partial_denial"),
    ("Response", "Your request is denied in full under exemption 7(A).", "full_denial"),
    ("Final response", "A search found no responsive records.", "no_records"),
    ("Interim release", "Enclosed is our first release of 200 pages.", "interim_release"),
    ("Final response", "This completes our response; the final release is attached.", "final_release"),
    ("Hello", "Just checking in about the meeting on Thursday.", "note"),
])
def test_suggested_kinds(subject, text, kind):
    assert suggest_kind(subject, text) == kind


def _reply_to_classify(session, world, mailbox, fetch, text):
    req = world["requests"][("staff", "private")]  # ICE: federal FOIA
    make_delivery(session, req, world["users"]["staff"], message_id="<letter-5@lacity.example>",
                  sent_on=date(2026, 1, 15))
    mailbox.append(reply_eml("Re: your request", text, in_reply_to="<letter-5@lacity.example>"))
    assert fetch().logged == 1
    return req, session.scalar(select(Communication))


def test_acknowledgment_confirmed_in_one_click_moves_the_status(ctx, login_as, world, session, mailbox, fetch):
    req, comm = _reply_to_classify(session, world, mailbox, fetch, "We acknowledge receipt of your request.")
    assert comm.suggested_kind == "acknowledgment" and req.status != "acknowledged"
    client = login_as("staff")
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Reply to classify" in page and "Confirm: Acknowledgment" in page
    assert f'for="classify-kind-{comm.id}"' in page  # the choice of another kind has its label
    token = csrf_token(client, f"/requests/{req.ref}")
    resp = client.post(f"/requests/{req.ref}/communications/{comm.id}/classify",
                       data={"csrf_token": token, "kind": "acknowledgment"})
    assert resp.status_code == 302
    session.expire_all()
    comm = session.get(Communication, comm.id)
    assert (comm.kind, comm.review_status) == ("acknowledgment", None)
    assert session.get(Event, comm.event_id).kind == "acknowledged"
    assert req.status == "acknowledged"
    assert session.scalar(select(AuditLog.action).where(AuditLog.action == "classify"))
    assert "Reply to classify" not in client.get(f"/requests/{req.ref}").get_data(as_text=True)


def test_extension_moves_the_deadline(world, session, mailbox, fetch):
    req, comm = _reply_to_classify(session, world, mailbox, fetch,
                                   "Due to unusual circumstances we need an extension.")
    assert req.response_due == date(2026, 2, 13)
    classify_communication(session, actor=world["users"]["staff"], now=NOW, comm=comm, kind="extension_notice")
    session.commit()
    # the law's 10 working days after Fri Feb 13: Tue Feb 17 (Presidents' Day skipped) ... Mon Mar 2
    assert req.response_due == date(2026, 3, 2)
    assert req.status == "processing"


def test_details_are_validated_and_classifying_twice_is_refused(world, session, mailbox, fetch):
    _req, comm = _reply_to_classify(session, world, mailbox, fetch, "Extension.")
    staff = world["users"]["staff"]
    with pytest.raises(ValidationError) as err:
        classify_communication(session, actor=staff, now=NOW, comm=comm, kind="extension_notice", days="99")
    assert "days" in err.value.errors
    session.rollback()
    assert session.get(Communication, comm.id).review_status == "to_classify"
    classify_communication(session, actor=staff, now=NOW, comm=comm, kind="extension_notice", days="5")
    session.commit()
    with pytest.raises(ValidationError) as err:
        classify_communication(session, actor=staff, now=NOW, comm=comm, kind="note")
    assert "already been classified" in err.value.errors["kind"]


def test_only_editors_may_classify(ctx, login_as, world, session, mailbox, fetch):
    req, comm = _reply_to_classify(session, world, mailbox, fetch, "We acknowledge receipt.")
    client = login_as("outsider")
    token = csrf_token(client, "/dashboard")
    resp = client.post(f"/requests/{req.ref}/communications/{comm.id}/classify",
                       data={"csrf_token": token, "kind": "acknowledgment"})
    assert resp.status_code == 404
    assert session.get(Communication, comm.id).review_status == "to_classify"


def test_dashboard_counts_replies_to_classify_the_viewer_can_see(ctx, login_as, world, session, mailbox, fetch):
    req, _comm = _reply_to_classify(session, world, mailbox, fetch, "We acknowledge receipt.")
    page = login_as("staff").get("/dashboard").get_data(as_text=True)
    assert re.search(r"Replies to classify <span class=\"count\">\(1\)", page)
    assert f'href="/requests/{req.ref}#communications"' in page
    assert replies_to_classify(session, world["users"]["staff"]).total == 1
    assert replies_to_classify(session, world["users"]["outsider"]) == ToClassify(0, [])


def test_cli_mail_fetch_json(ctx, cli, world, session, mailbox):
    req = world["requests"][("staff", "private")]
    mailbox.append(reply_eml(f"Re: {req.ref}", "Update."))
    ctx.config.update(FOIA_IMAP_URL=mailbox.url, FOIA_REPLY_ADDRESS="records@lacity.example")
    try:
        result = cli.invoke(args=["foia", "mail", "fetch", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"fetched": 1, "logged": 1, "unmatched": 0, "duplicates": 0,
                                             "bounces": 0, "errors": []}
        shown = json.loads(cli.invoke(args=["foia", "show", req.ref, "--json"]).output)
        [reply] = [c for c in shown["communications"] if c["direction"] == "incoming"]
        assert (reply["review_status"], reply["suggested_kind"], reply["kind"]) == ("to_classify", "note", "note")
        result = cli.invoke(args=["foia", "mail", "fetch"])
        assert result.output.strip() == "fetched: 0, logged: 0, unmatched: 0, duplicates: 0, bounces: 0"
        ctx.config["FOIA_IMAP_URL"] = "imap://u:pw@127.0.0.1:1/INBOX"
        result = cli.invoke(args=["foia", "mail", "fetch"])
        assert result.exit_code == 1 and "Cannot reach the mailbox" in result.output
    finally:
        ctx.config.update(FOIA_IMAP_URL=None, FOIA_REPLY_ADDRESS=None)
