"""Fixtures for the mail tests: a real aiosmtpd server on 127.0.0.1, and a throwaway TLS certificate."""

from __future__ import annotations

import shutil
import subprocess

import pytest
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
    """A self-signed certificate for 127.0.0.1 made with the openssl CLI at test time."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl CLI not installed: it makes the certificate for the TLS tests (apt-get install openssl; .ci/run does)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return TLSFiles(str(cert), str(key))
