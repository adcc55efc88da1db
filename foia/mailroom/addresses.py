"""Per-request reply addresses: ``records+<ref>.<token>@city.example`` on one inbound mailbox.

The token is random (80 bits), stored on the request when its first email is sent, and checked on
receipt: a reply to ``records+FT-2026-0001.<anything else>@...`` is not trusted to belong to that
request. Mail systems may change the case of the local part, so both parts are read case-insensitively.
"""

from __future__ import annotations

import hmac
import re
import secrets
from email.utils import getaddresses

from foia.models import Request

_TOKEN_BYTES = 10  # 20 hex characters


def ensure_reply_token(req: Request) -> str:
    """The request's reply token, made now if it has none (the caller's transaction stores it)."""
    if not req.reply_token:
        req.reply_token = secrets.token_hex(_TOKEN_BYTES)
    return req.reply_token


def reply_address(base: str, req: Request) -> str:
    """``records@city.example`` + request FT-2026-0001 -> ``records+FT-2026-0001.<token>@city.example``."""
    local, at, domain = base.strip().rpartition("@")
    if not at or not local or not domain or "+" in local:
        raise ValueError(f"FOIA_REPLY_ADDRESS must be a plain address like records@city.example, not {base!r}")
    return f"{local}+{req.ref}.{ensure_reply_token(req)}@{domain}"


_TAGGED = re.compile(r"^(?P<local>[^+@\s]+)\+(?P<ref>[A-Za-z]{2}-\d{4}-\d{4,6})\.(?P<token>[0-9A-Fa-f]{8,64})@(?P<domain>[^@\s]+)$")


def tagged_references(base: str | None, addresses: list[str]) -> list[tuple[str, str]]:
    """(ref, token) for each address in `addresses` that is our reply address (`base` plus a tag)."""
    if not base or "@" not in base:
        return []
    local, _, domain = base.strip().lower().rpartition("@")
    out = []
    for _name, addr in getaddresses(addresses):
        m = _TAGGED.match(addr.strip())
        if m and m["local"].lower() == local and m["domain"].lower() == domain:
            out.append((m["ref"].upper(), m["token"].lower()))
    return out


def token_matches(req: Request, token: str) -> bool:
    """Constant-time check of a reply address's token against the request's."""
    if not req.reply_token:
        return False
    return hmac.compare_digest(req.reply_token.lower(), token.lower())
