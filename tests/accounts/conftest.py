"""Account tests' mail: a real aiosmtpd server on loopback that the app sends through (FOIA_SMTP_URL)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.mail.conftest import CollectingHandler, free_port

#: A password the policy accepts (zxcvbn score 4).
STRONG = "violet tractor lagoon 42"


class Inbox:
    def __init__(self, handler: CollectingHandler):
        self.handler = handler

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        out = []
        for received in self.handler.messages:
            if to is None or to in received.rcpt_tos:
                out.append(message_from_bytes(received.data, policy=policy.default))
        return out

    def link(self, to: str, kind: str) -> str:
        """The path of the last `kind` ("reset" or "invite") link mailed to `to`."""
        msgs = self.messages(to)
        assert msgs, f"no mail to {to}"
        body = msgs[-1].get_body(preferencelist=("plain",)).get_content()
        match = re.search(rf"https?://[^/\s]+(/{kind}\?token=[A-Za-z0-9_-]+)\s", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def inbox(app, monkeypatch):
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    yield Inbox(handler)
    controller.stop()
