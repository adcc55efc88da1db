"""A real webhook receiver for the tests: an http.server thread on 127.0.0.1 that records every request and
answers with the status codes it is given (then 200)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from foia.webhooks.service import create_webhook
from tests.conftest import NOW
from tests.mailroom.conftest import settings, smtp  # noqa: F401  (fixtures used by the trigger tests)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/foia?source=tracker"

    def answer(self, *codes: int, headers: dict[str, str] | None = None) -> None:
        self.answers.extend((c, headers or {}) for c in codes)


@pytest.fixture
def receiver():
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            rec = holder["r"]
            length = int(self.headers.get("Content-Length") or 0)
            rec.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                         self.rfile.read(length)))
            if rec.delay:
                threading.Event().wait(rec.delay)
            code, headers = rec.answers.pop(0) if rec.answers else (200, {})
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            body = b"ok" if code < 400 else b"receiver error " * 1000  # longer than the cap the sender reads
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["r"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_for(session, world):
    """hook_for(url, **options) -> (webhook, secret): subscribed by the City's administrator. A receiver on
    127.0.0.1 needs allow_private, set as an administrator would."""
    def make(url: str, *, events=None, fmt: str = "json", allow_private: bool = True, actor=None):
        hook, secret = create_webhook(session, actor=actor or world["users"]["admin"], now=NOW, url=url,
                                      events=events or ("deadline.approaching", "deadline.missed", "reply.received",
                                                        "status.changed", "delivery.failed"),
                                      fmt=fmt, allow_private=allow_private)
        session.commit()
        return hook, secret
    return make
