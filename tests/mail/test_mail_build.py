from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

import pytest

from foia.mail import build_message, make_message_id

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)


def make(**overrides):
    args = dict(
        sender="FOIA Tracker <foia@tracker.example.org>",
        to=["clerk@agency.example.gov"],
        subject="Reminder: FT-2026-0042 response due",
        text="Plain body",
        html="<p>HTML body</p>",
        message_id="<abc123@tracker.example.org>",
        date=NOW,
    )
    args.update(overrides)
    return build_message(**args)


def test_multipart_alternative_with_both_parts_and_exact_headers():
    msg = make(headers={"Reply-To": "me@example.org", "X-FOIA-Request": "FT-2026-0042"})
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "Plain body"
    assert parts[1].get_content().strip() == "<p>HTML body</p>"
    assert msg["Message-ID"] == "<abc123@tracker.example.org>"
    assert msg["Date"] == "Thu, 15 Jan 2026 18:00:00 +0000"
    assert msg["X-FOIA-Request"] == "FT-2026-0042"
    assert msg["Reply-To"] == "me@example.org"
    # survives serialisation
    again = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    assert again["Message-ID"] == "<abc123@tracker.example.org>"
    assert again["Subject"] == "Reminder: FT-2026-0042 response due"


def test_text_only_and_non_utc_date_and_unicode_subject():
    pacific = timezone(timedelta(hours=-8))
    msg = make(html=None, date=datetime(2026, 1, 15, 10, 0, tzinfo=pacific), subject="Délai – réponse")
    assert msg.get_content_type() == "text/plain"
    assert msg["Date"] == "Thu, 15 Jan 2026 10:00:00 -0800"
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw  # encoded word, not raw 8-bit in the header
    assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"] == "Délai – réponse"


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"subject": "Hello\nBcc: victim@example.com"},
        {"subject": "Hello\rX"},
        {"to": ["clerk@agency.gov\r\nBcc: victim@example.com"]},
        {"sender": "foia@tracker.org\nBcc: victim@example.com"},
        {"headers": {"X-Note": "a\r\nBcc: victim@example.com"}},
        {"headers": {"X-Bad Name": "x"}},
        {"headers": {"X-Bad:Name": "x"}},
        {"headers": {"Message-ID": "<other@x>"}},
        {"headers": {"bcc": "victim@example.com"}},
        {"to": []},
        {"to": "clerk@agency.gov"},
        {"to": ["not an address"]},
        {"to": ["a@b.gov, c@d.gov"]},
        {"message_id": "no-brackets@x"},
        {"message_id": "<ümlaut@x>"},
        {"message_id": "<a\\b@x>"},
        {"message_id": "<a b@x>"},
        {"message_id": "<a@x>\r\nBcc: v@x"},
        {"date": datetime(2026, 1, 15, 18, 0)},
    ],
)
def test_invalid_input_raises_value_error(overrides):
    with pytest.raises(ValueError):
        make(**overrides)


def test_crlf_error_message_names_the_field():
    with pytest.raises(ValueError, match="subject"):
        make(subject="x\r\ny")


def test_make_message_id_is_deterministic():
    first = make_message_id("reminder:17", "tracker.example.org")
    assert first == make_message_id("reminder:17", "tracker.example.org")
    assert first != make_message_id("reminder:18", "tracker.example.org")
    assert first.startswith("<") and first.endswith("@tracker.example.org>")
    local = first[1:].split("@")[0]
    assert len(local) == 32 and all(c in "0123456789abcdef" for c in local)
    # usable as-is in build_message
    assert make(message_id=first)["Message-ID"] == first


@pytest.mark.parametrize("domain", ["", "bad domain", "x>@y", "a\r\nb"])
def test_make_message_id_rejects_bad_domains(domain):
    with pytest.raises(ValueError):
        make_message_id("k", domain)


def test_subject_is_not_folded_into_a_leading_space():
    import email
    import email.policy
    from datetime import datetime

    from foia.mail import build_message

    subject = "[FT-2026-0001] Determination due: Tue Jun 30, 2026 (due in 5 working days)"
    msg = build_message(sender="FOIA Tracker <r@foia.test>", to=["a@b.example"], subject=subject, text="x",
                        html=None, message_id="<a@foia.test>", date=datetime(2026, 6, 1, tzinfo=UTC))
    parsed = email.message_from_bytes(bytes(msg), policy=email.policy.default)
    assert parsed["Subject"] == subject
