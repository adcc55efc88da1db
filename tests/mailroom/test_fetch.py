"""Fetching agency replies from a real IMAP server (Dovecot, see conftest.py)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from foia.mailroom.addresses import reply_address
from foia.mailroom.fetch import PROCESSED, MailboxError, parse_imap_url, synthetic_message_id
from foia.models import Communication, Document, Event, UnmatchedMail
from tests.mailroom.conftest import REPLY_BASE, free_port, make_delivery, reply_eml

TRACKED = PROCESSED.encode()


def _comms(session, req=None):
    stmt = select(Communication)
    if req is not None:
        stmt = stmt.where(Communication.request_id == req.id)
    return list(session.scalars(stmt.order_by(Communication.id)))


def _counts(res):
    return (res.fetched, res.logged, res.unmatched, res.duplicates, res.bounces, res.errors)


def _pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_reply_linked_only_by_in_reply_to_is_logged_to_classify_once(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    make_delivery(session, req, world["users"]["staff"], message_id="<letter-77@lacity.example>")
    status, due = req.status, req.response_due
    uid = mailbox.append(reply_eml("Re: your letter", "We acknowledge receipt of your request.",
                                   in_reply_to="<letter-77@lacity.example>",
                                   attachment=("acknowledgment.pdf", _pdf_bytes())))
    res = fetch()
    assert _counts(res) == (1, 1, 0, 0, 0, [])
    [comm] = _comms(session, req)
    assert (comm.direction, comm.kind, comm.review_status, comm.suggested_kind) == \
        ("incoming", "note", "to_classify", "acknowledgment")
    assert comm.message_id == "reply-1@ice.example" and comm.raw_sha256
    assert [d.filename for d in session.scalars(select(Document).where(Document.communication_id == comm.id))] == \
        ["acknowledgment.pdf"]
    assert (req.status, req.response_due) == (status, due)  # a reply to classify moves nothing
    assert TRACKED in mailbox.flags()[uid]
    assert b"\\Seen" not in mailbox.flags()[uid]  # still unread for people using the mailbox

    again = fetch()
    assert _counts(again) == (0, 0, 0, 0, 0, [])
    assert len(_comms(session)) == 1


def test_unmarked_duplicate_is_recognised_not_relogged(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    raw = reply_eml(f"Re: {req.ref}", "Here is an update.")
    mailbox.append(raw)
    mailbox.append(raw)  # the same message twice in the folder (e.g. copied back by someone)
    res = fetch()
    assert _counts(res) == (2, 1, 0, 1, 0, [])
    assert len(_comms(session)) == 1
    assert all(TRACKED in f for f in mailbox.flags().values())


def test_reply_address_token_matches_its_request(world, session, mailbox, fetch):
    req = world["requests"][("reporter", "private")]
    other = world["requests"][("staff", "private")]
    address = reply_address(REPLY_BASE, req)
    session.commit()
    # the subject names another request: the reply address (rule a) comes first
    mailbox.append(reply_eml(f"About {other.ref}", "Please see below.", to=address))
    assert fetch().logged == 1
    [comm] = _comms(session)
    assert comm.request_id == req.id and comm.organization_id == req.organization_id


def test_delivered_to_header_is_read(world, session, mailbox, fetch):
    req = world["requests"][("reporter", "public")]
    address = reply_address(REPLY_BASE, req)
    session.commit()
    mailbox.append(reply_eml("No subject reference", "Hello.", to="someone-else@lacity.example",
                             extra={"Delivered-To": address.upper()}))
    assert fetch().logged == 1
    assert _comms(session)[0].request_id == req.id


def test_forged_token_does_not_match_that_request(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    reply_address(REPLY_BASE, req)
    session.commit()
    forged = f"records+{req.ref}.{'0' * 20}@lacity.example"
    # even with the reference in the subject, a forged token never puts it on that request
    mailbox.append(reply_eml(f"Re: {req.ref}", "Forged.", to=forged))
    res = fetch()
    assert (res.logged, res.unmatched) == (0, 1)
    assert _comms(session) == []
    assert session.scalar(select(UnmatchedMail.subject)) == f"Re: {req.ref}"


def test_reference_in_subject_matches(world, session, mailbox, fetch):
    req = world["requests"][("reporter", "organization")]
    mailbox.append(reply_eml(f"RE: FOIA {req.ref.lower()}", "We need more time: an extension of 10 working days."))
    assert fetch().logged == 1
    [comm] = _comms(session)
    assert (comm.request_id, comm.suggested_kind) == (req.id, "extension_notice")


def test_tracking_number_matches_only_when_it_names_one_request(world, session, mailbox, fetch):
    a, b = world["requests"][("staff", "private")], world["requests"][("staff", "public")]
    a.tracking_number = "2026-ICFO-12345"
    session.commit()
    mailbox.append(reply_eml("Your request 2026-ICFO-12345", "Update.", message_id="<t1@ice.example>"))
    assert fetch().logged == 1
    assert _comms(session)[0].request_id == a.id
    b.tracking_number = "2026-ICFO-12345"
    session.commit()
    mailbox.append(reply_eml("Your request 2026-ICFO-12345", "Update 2.", message_id="<t2@ice.example>"))
    assert fetch().unmatched == 1


def test_unmatched_mail_is_kept(world, session, mailbox, fetch):
    raw = reply_eml("Hello", "Nothing to go on.", message_id=None)
    mailbox.append(raw)
    res = fetch()
    assert _counts(res) == (1, 0, 1, 0, 0, [])
    row = session.scalar(select(UnmatchedMail))
    assert row.organization_id is None and row.raw_sha256
    assert row.message_id == synthetic_message_id(raw)  # stable: the hash of the bytes
    mailbox.append(raw)  # the same bytes again: the same synthetic Message-ID, so a duplicate
    assert _counts(fetch()) == (1, 0, 0, 1, 0, [])
    assert session.scalar(select(func.count()).select_from(UnmatchedMail)) == 1


def test_imap_down_is_a_clear_error_and_nothing_is_lost(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    mailbox.append(reply_eml(f"Re: {req.ref}", "Update."))
    server = mailbox.server
    server.stop()
    try:
        with pytest.raises(MailboxError) as err:
            fetch()
        assert "Cannot reach the mailbox" in str(err.value) and f":{server.port}/" in str(err.value)
        assert "p@ss" not in str(err.value) and "word" not in str(err.value)
        assert _comms(session) == []
    finally:
        server.start()
    assert _counts(fetch()) == (1, 1, 0, 0, 0, [])
    assert _counts(fetch()) == (0, 0, 0, 0, 0, [])
    assert len(_comms(session)) == 1


def test_nothing_listening_is_a_clear_error(world, session, fetch):
    with pytest.raises(MailboxError, match="Cannot reach the mailbox"):
        fetch(f"imap://u:secret-pw@127.0.0.1:{free_port()}/INBOX")


def test_wrong_password_is_refused_without_showing_it(world, session, mailbox, fetch):
    with pytest.raises(MailboxError) as err:
        fetch(mailbox.url.replace("%40ss", "%40sz"))
    assert "refused" in str(err.value) and "p@sz" not in str(err.value)


def test_crash_between_fetch_and_commit_loses_nothing(world, session, mailbox, fetch, monkeypatch):
    req = world["requests"][("staff", "private")]
    uid = mailbox.append(reply_eml(f"Re: {req.ref}", "Update.", attachment=("a.pdf", _pdf_bytes())))
    real_commit = type(session()).commit
    calls = {"n": 0}

    def crash_once(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("power cut before commit")
        return real_commit(self)

    monkeypatch.setattr(type(session()), "commit", crash_once)
    res = fetch()
    assert (res.fetched, res.logged) == (1, 0) and "power cut" in res.errors[0]
    assert _comms(session) == [] and session.scalar(select(func.count()).select_from(Document)) == 0
    assert TRACKED not in mailbox.flags()[uid]
    monkeypatch.undo()
    assert _counts(fetch()) == (1, 1, 0, 0, 0, [])
    assert len(_comms(session)) == 1 and TRACKED in mailbox.flags()[uid]


def test_crash_between_commit_and_mark_is_recognised_next_time(world, session, mailbox, fetch, monkeypatch):
    from imapclient import IMAPClient

    req = world["requests"][("staff", "private")]
    uid = mailbox.append(reply_eml(f"Re: {req.ref}", "Update."))
    real = IMAPClient.add_flags

    def fail_once(self, *args, **kwargs):
        monkeypatch.setattr(IMAPClient, "add_flags", real)
        raise OSError("connection reset while marking")

    monkeypatch.setattr(IMAPClient, "add_flags", fail_once)
    with pytest.raises(MailboxError, match="Marking message"):
        fetch()
    assert len(_comms(session)) == 1 and TRACKED not in mailbox.flags()[uid]
    assert _counts(fetch()) == (1, 0, 0, 1, 0, [])
    assert len(_comms(session)) == 1 and TRACKED in mailbox.flags()[uid]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "note")) == 1


def test_same_message_id_is_logged_once_per_organization(world, session, mailbox, fetch):
    a = world["requests"][("staff", "private")]       # City of Los Angeles
    b = world["requests"][("reporter", "private")]    # the newsroom
    mailbox.append(reply_eml(f"Re: {a.ref}", "To the city."))
    fetch()
    mailbox.append(reply_eml(f"Re: {b.ref}", "The same message, copied to the newsroom."))
    assert fetch().logged == 1
    assert sorted(c.request_id for c in _comms(session)) == sorted([a.id, b.id])


@pytest.mark.parametrize(("url", "message"), [
    ("imap://u:p@mail.example.org/INBOX", "unencrypted"),
    ("http://u:p@mail.example.org/", "imaps://"),
    ("imaps://mail.example.org/INBOX", "user name and password"),
])
def test_bad_urls_are_refused_clearly(url, message):
    with pytest.raises(MailboxError, match=message):
        parse_imap_url(url)


def test_url_credentials_are_percent_decoded_and_hidden():
    t = parse_imap_url("imaps://records%40city.example:p%40ss%2Fw%20rd@outlook.office365.com/Agency%20replies")
    assert (t.user, t.password, t.host, t.port, t.tls, t.folder) == \
        ("records@city.example", "p@ss/w rd", "outlook.office365.com", 993, True, "Agency replies")
    assert "p@ss" not in repr(t) and "p@ss" not in t.safe_url
    assert parse_imap_url("imap://u:p@localhost:1143").folder == "INBOX"


def test_scheduler_poll_logs_a_down_mailbox_and_takes_the_mail_when_it_is_back(app, world, session, mailbox, caplog,
                                                                              monkeypatch):
    from foia.scheduler import poll_mail

    # Alembic's logging setup (the migrations the test database is built with) disables existing loggers
    monkeypatch.setattr(logging.getLogger("foia.scheduler"), "disabled", False)

    req = world["requests"][("staff", "private")]
    mailbox.append(reply_eml(f"Re: {req.ref}", "Update."))
    app.config.update(FOIA_IMAP_URL=f"imap://u:secret-pw@127.0.0.1:{free_port()}/INBOX")
    try:
        with caplog.at_level(logging.ERROR, logger="foia.scheduler"):
            assert poll_mail(app) is None
        assert "mail fetch failed" in caplog.text and "secret-pw" not in caplog.text
        app.config["FOIA_IMAP_URL"] = mailbox.url
        res = poll_mail(app)
        assert res is not None and (res.fetched, res.logged) == (1, 1)
    finally:
        app.config["FOIA_IMAP_URL"] = None
    assert len(_comms(session)) == 1


# ---------------------------------------------------------------- servers without custom keywords (Microsoft 365)


def _cursor(session):
    from foia.models import MailboxCursor

    session.expire_all()
    return session.scalars(select(MailboxCursor)).one()


def test_a_server_without_keywords_is_read_by_uid(world, session, mailbox, fetch):
    """Exchange refuses custom keywords: the tracker keeps the last UID it took instead, and marks nothing."""
    from foia.mailroom.fetch import _accepts_keywords

    assert not _accepts_keywords({b"PERMANENTFLAGS": (b"\\Seen", b"\\Deleted", b"\\Flagged")})  # Exchange's
    assert _accepts_keywords({b"PERMANENTFLAGS": (b"\\Seen", b"\\*")})
    req = world["requests"][("staff", "private")]
    first = mailbox.append(reply_eml(f"Re: {req.ref}", "One.", message_id="<one@ice.example>"))
    second = mailbox.append(reply_eml(f"Re: {req.ref}", "Two.", message_id="<two@ice.example>"))
    assert _counts(fetch(by_uid=True))[:2] == (2, 2)
    assert _cursor(session).last_uid == second
    assert all(TRACKED not in flags for flags in mailbox.flags().values())  # the mailbox is left as it was
    third = mailbox.append(reply_eml(f"Re: {req.ref}", "Three.", message_id="<three@ice.example>"))
    assert _counts(fetch(by_uid=True))[:2] == (1, 1)
    assert _cursor(session).last_uid == third > first
    assert _counts(fetch(by_uid=True))[:2] == (0, 0)
    assert len(_comms(session, req)) == 3


def test_by_uid_a_crash_before_the_cursor_moved_re_reads_one_message_as_a_duplicate(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    uid = mailbox.append(reply_eml(f"Re: {req.ref}", "Once.", message_id="<once@ice.example>"))
    fetch(by_uid=True)
    cursor = _cursor(session)
    cursor.last_uid = uid - 1  # the state a crash between the message's commit and the cursor's leaves
    session.commit()
    assert _counts(fetch(by_uid=True)) == (1, 0, 0, 1, 0, [])
    assert _cursor(session).last_uid == uid and len(_comms(session, req)) == 1


def test_by_uid_a_message_that_fails_stops_the_poll_and_is_retried_first(world, session, mailbox, fetch, monkeypatch):
    import foia.mailroom.fetch as fetch_module

    req = world["requests"][("staff", "private")]
    mailbox.append(reply_eml(f"Re: {req.ref}", "First.", message_id="<f1@ice.example>"))
    mailbox.append(reply_eml(f"Re: {req.ref}", "Second.", message_id="<f2@ice.example>"))
    real = fetch_module.process_message

    def fail_once(*args, **kwargs):
        monkeypatch.setattr(fetch_module, "process_message", real)
        raise RuntimeError("database went away")

    monkeypatch.setattr(fetch_module, "process_message", fail_once)
    res = fetch(by_uid=True)
    assert res.fetched == 1 and res.logged == 0 and len(res.errors) == 1  # the second was not passed over
    assert _cursor(session).last_uid == 0
    assert _counts(fetch(by_uid=True))[:2] == (2, 2)


def test_by_uid_a_new_uidvalidity_reads_again_without_logging_twice(world, session, mailbox, fetch):
    req = world["requests"][("staff", "private")]
    mailbox.append(reply_eml(f"Re: {req.ref}", "Kept.", message_id="<kept@ice.example>"))
    fetch(by_uid=True)
    cursor = _cursor(session)
    cursor.uidvalidity += 1  # as if the server renumbered the folder
    session.commit()
    assert _counts(fetch(by_uid=True))[:4] == (1, 0, 0, 1)
    assert len(_comms(session, req)) == 1
