"""Per-request reply addresses and their tokens."""

from __future__ import annotations

import pytest

from foia.mailroom.addresses import ensure_reply_token, reply_address, tagged_references, token_matches
from foia.models import Request


def test_reply_address_carries_ref_and_a_stable_secret_token() -> None:
    req = Request(ref="FT-2026-0007")
    addr = reply_address("records@city.example", req)
    token = req.reply_token
    assert token and len(token) == 20 and addr == f"records+FT-2026-0007.{token}@city.example"
    assert reply_address("records@city.example", req) == addr  # made once
    assert ensure_reply_token(Request(ref="FT-2026-0008")) != token  # random per request


def test_tagged_references_reads_only_our_mailbox_case_insensitively() -> None:
    found = tagged_references("Records@City.example", [
        "Agency <records+ft-2026-0007.ABCDEF0123456789abcd@city.example>",
        "someone+FT-2026-0009.abcdef0123456789abcd@elsewhere.example",  # another domain
        "other+FT-2026-0010.abcdef0123456789abcd@city.example",  # another mailbox
        "records@city.example",
    ])
    assert found == [("FT-2026-0007", "abcdef0123456789abcd")]
    assert tagged_references(None, ["records+FT-2026-0007.abcdef0123@city.example"]) == []


def test_token_check() -> None:
    req = Request(ref="FT-2026-0007", reply_token="abcdef0123456789abcd")
    assert token_matches(req, "ABCDEF0123456789ABCD")
    assert not token_matches(req, "abcdef0123456789abce")
    assert not token_matches(Request(ref="FT-2026-0008"), "abcdef0123456789abcd")  # no token: never matches


def test_reply_address_refuses_a_tagged_or_broken_base() -> None:
    with pytest.raises(ValueError):
        reply_address("records+x@city.example", Request(ref="FT-2026-0001"))
    with pytest.raises(ValueError):
        reply_address("not-an-address", Request(ref="FT-2026-0001"))
