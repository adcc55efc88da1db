"""Helpers for the API tests: a personal token for a world user, and its Authorization header."""

from __future__ import annotations

import pytest

from foia.api.tokens import create_token
from tests.conftest import NOW


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(session, world):
    """token_for("staff") -> a new token (the secret) for that world user."""
    def _make(role: str, name: str = "test token") -> str:
        user = world["users"][role]
        new = create_token(session, actor=user, owner=user, name=name, now=NOW)
        session.commit()
        return new.token
    return _make


@pytest.fixture
def api(client, token_for):
    """api("staff") -> a function calling the API as that user: call("get", "/api/v1/requests", json=...)."""
    def _as(role: str):
        headers = bearer(token_for(role))

        def call(method: str, path: str, **kw):
            kw["headers"] = {**headers, **kw.get("headers", {})}
            return getattr(client, method)(path, **kw)
        return call
    return _as
