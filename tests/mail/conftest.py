"""Fixtures for the mail tests: a real aiosmtpd server on 127.0.0.1, and a throwaway TLS certificate."""

from __future__ import annotations

import pytest
import trustme
from aiosmtpd.controller import Controller
from mailkit import CollectingHandler, TLSFiles, free_port


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
