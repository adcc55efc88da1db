"""render_message: the bulk path's message written straight to bytes must read exactly as build_message's."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from foia.mail import build_message
from foia.mail.outgoing import render_message
from foia.mail.receipts import message_bytes

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)


def _args(**overrides):
    args = dict(
        sender="FOIA Tracker <foia@tracker.example.org>",
        to=["clerk@agency.example.gov"],
        subject="Reminder: FT-2026-0042 response due",
        text="Plain body",
        html="<p>HTML body</p>",
        message_id="<abc123@tracker.example.org>",
        date=NOW,
        headers={"X-FOIA-Tracker-Reminder": "42"},
    )
    args.update(overrides)
    return args


def _parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


CASES = {
    "plain ascii": {},
    "text only": {"html": None},
    "non-ascii everywhere": {
        "sender": '"Smith, Jo" <foia@tracker.example.org>',
        "to": ["José Núñez <jose@example.org>", "b@example.org"],
        "subject": "Déjà vu: FT-2026-0042 — response due in 5 working days",
        "text": "Hello José,\r\nline with trailing space \n\tindented\nFrom the clerk\n.dot line\n" + "é" * 300,
        "html": "<p>a=b &amp; c</p>\n<p>" + "ü" * 200 + "</p>",
    },
    "long lines and a long subject": {
        "subject": "Reminder " + "word " * 150,
        "text": "x" * 2000 + "\n" + "y " * 600,
        "html": "<p>" + "z" * 3000 + "</p>",
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_bytes_read_like_build_message(case):
    args = _args(**CASES[case])
    fast = render_message(**args)
    slow = _parse(message_bytes(build_message(**args)))
    got = _parse(fast.data)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "X-FOIA-Tracker-Reminder", "MIME-Version"):
        assert got[name] == slow[name], name
    assert got.get_content_type() == slow.get_content_type()
    for subtype in ("plain", "html"):
        ours, theirs = got.get_body((subtype,)), slow.get_body((subtype,))
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.get_content() == theirs.get_content()
            assert ours.get_content_charset() == "utf-8"
    assert all(not part.defects for part in got.walk())
    # On the wire: CRLF only, and no line over RFC 5322's 998 characters.
    lines = fast.data.split(b"\r\n")
    assert b"\n" not in fast.data.replace(b"\r\n", b"") and b"\r" not in fast.data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 998
    assert fast.mail_from == "foia@tracker.example.org"
    assert fast.rcpt_to == [a.rsplit("<", 1)[-1].rstrip(">") for a in args["to"]]
    assert fast.message_id == args["message_id"]


def test_same_checks_as_build_message():
    for bad in ({"subject": "x\r\nBcc: victim@example.org"}, {"to": ["not an address"]},
                {"headers": {"Bad Name": "x"}}, {"headers": {"From": "x@example.org"}},
                {"message_id": "no-brackets@example.org"}, {"date": datetime(2026, 1, 1)},
                {"headers": {"X-Note": "a\nb"}}):
        with pytest.raises(ValueError):
            build_message(**_args(**bad))
        with pytest.raises(ValueError):
            render_message(**_args(**bad))


def test_each_message_gets_its_own_boundary():
    a, b = render_message(**_args()), render_message(**_args())
    assert _parse(a.data).get_boundary() != _parse(b.data).get_boundary()
