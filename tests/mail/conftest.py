"""Fixtures for the mail tests: a real aiosmtpd server on 127.0.0.1, and a throwaway TLS certificate."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@pytest.fixture
def smtp_server():
    """Start aiosmtpd servers: ``start(**smtp_kwargs) -> (controller, handler)``; all are stopped afterwards."""
    controllers: list[Controller] = []

    def start(**kwargs):
        handler = CollectingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10, **kwargs)
        controller.start()
        controllers.append(controller)
        return controller, handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TLSFiles:
    """A throwaway CA and a certificate it signed for 127.0.0.1, made in Python with trustme (no openssl CLI)."""
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert, key, ca = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    server.cert_chain_pems[0].write_to_path(str(cert))
    for pem in server.cert_chain_pems[1:]:
        pem.write_to_path(str(cert), append=True)
    server.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    return TLSFiles(str(cert), str(key), str(ca))


# ---------------------------------------------------------------- helpers (imported by the tests)

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None


@dataclass
class CollectingHandler:
    """Stores every envelope the server accepts."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data if session.authenticated else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login))
        return "250 OK"


class Credentials:
    """An aiosmtpd authenticator accepting exactly one user name and password."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username, password
        self.attempts: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append((login, password))
        ok = (login, password) == (self.username, self.password)
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


@dataclass(frozen=True)
class TLSFiles:
    cert: str  # the server's certificate chain (PEM)
    key: str  # its private key (PEM)
    ca: str  # the certificate authority that signed it: the only one the client trusts

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """Trusts only the test CA, with host name checking on (as in production)."""
        return ssl.create_default_context(cafile=self.ca)


class QueueingHandler(CollectingHandler):
    """Answers DATA the way Postfix does, with a queue id."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        return "250 2.0.0 Ok: queued as 4F3A2B"
