"""An S3-compatible server for the storage tests: moto's standalone server, a real HTTP server on loopback
started as its own process (never moto's in-process mocks), and a fresh bucket per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

S3_ENV = {"AWS_ACCESS_KEY_ID": "foia-test", "AWS_SECRET_ACCESS_KEY": "foia-test-secret",
          "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.endpoint_url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto(log: Path, port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ``python -m moto.server`` on loopback and wait until it answers; fail with a hint if it cannot.
    Its request log goes to ``log`` (a pipe nobody reads would fill up and stall the server)."""
    port = port or _free_port()
    with open(log, "ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log.read_text(errors="replace")
            pytest.fail(f"moto's S3 server did not start (install moto[server]): {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"http://127.0.0.1:{port}", proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("moto's S3 server did not answer within 30 s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    saved = {k: os.environ.get(k) for k in S3_ENV}
    os.environ.update(S3_ENV)
    endpoint, proc = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield S3Server(endpoint, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the moto server."""
    name = f"foia-{uuid.uuid4().hex[:16]}"
    s3_server.client().create_bucket(Bucket=name)
    return name
