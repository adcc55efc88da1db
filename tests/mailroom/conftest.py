"""A real IMAP server for the mailbox tests: Dovecot with a throwaway configuration.

One Dovecot per test session, listening on a free loopback port, plaintext login allowed (loopback only),
one user with a maildir in a temporary folder. Each test gets its own folder in that mailbox (`mailbox`),
so tests never see each other's messages. The server can be stopped and started again on the same port
and maildir (`dovecot.stop()` / `dovecot.start()`) to test a mailbox that is down.

Dovecot refuses to give mail access to root: when the tests run as root, the mail processes run as the
unprivileged `dovecot` user (and the login processes as `dovenull`), and the maildir belongs to it. Run as
an ordinary user, everything runs as that user. Dovecot's log is `<tmp>/dovecot.log` (shown on failure to start).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from foia.core.paths import blob_root, letter_cache_dir
from foia.letters.service import finalize, new_draft
from foia.mail import SMTPMailer
from foia.mailroom.outbound import SendSettings
from foia.models import LetterVersion, Request
from tests.conftest import NOW
from tests.mail.conftest import QueueingHandler

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER = "foia-inbox"
IMAP_PASSWORD = "p@ss word/with%odd#chars"  # percent-encoded in the URL: exercises the decoding


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    def __init__(self) -> None:
        # Not under pytest's tmp folder: that is private to the test user (0700), and Dovecot's
        # unprivileged processes must be able to reach their sockets and the maildir.
        self.root = Path(tempfile.mkdtemp(prefix="foia-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.root / "dovecot.log"
        if os.geteuid() == 0:
            mail_user, login_user = "dovecot", "dovenull"
        else:
            mail_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
        mail_pw = pwd.getpwnam(mail_user)
        home = self.root / "home"
        home.mkdir()
        if os.geteuid() == 0:
            os.chown(home, mail_pw.pw_uid, mail_pw.pw_gid)
        passwd = self.root / "passwd"
        passwd.write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
        passwd.chmod(0o644)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_login_user = {login_user}
first_valid_uid = {mail_pw.pw_uid}
last_valid_uid = {mail_pw.pw_uid}
first_valid_gid = {mail_pw.pw_gid}
last_valid_gid = {mail_pw.pw_gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_pw.pw_uid} gid={mail_pw.pw_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    def url(self, folder: str = "INBOX") -> str:
        from urllib.parse import quote

        return f"imap://{quote(IMAP_USER, safe='')}:{quote(IMAP_PASSWORD, safe='')}@127.0.0.1:{self.port}/{folder}"

    def start(self) -> None:
        assert self.proc is None
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}\n{self._log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start on port {self.port}\n{self._log_text()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()  # the master stops its children and removes its sockets
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        # the listening socket is gone once the master has exited
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.login(IMAP_USER, IMAP_PASSWORD)
        return c

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot():
    if not Path(DOVECOT).exists():
        pytest.fail("Dovecot is not installed: the mail tests need a real IMAP server (apt-get install dovecot-imapd; .ci/run does it)")
    server = Dovecot()
    server.start()
    yield server
    server.cleanup()


class Mailbox:
    """One IMAP folder of the test server, private to a test."""

    def __init__(self, server: Dovecot, folder: str) -> None:
        self.server, self.folder = server, folder

    @property
    def url(self) -> str:
        return self.server.url(self.folder)

    def append(self, raw: bytes) -> int:
        """APPEND a raw message; returns its UID."""
        with self.server.client() as c:
            reply = c.append(self.folder, raw)
        # b'[APPENDUID <validity> <uid>] Append completed.'
        return int(reply.split(b"]")[0].split()[-1])

    def flags(self) -> dict[int, tuple[bytes, ...]]:
        with self.server.client() as c:
            c.select_folder(self.folder, readonly=True)
            return {uid: d[b"FLAGS"] for uid, d in c.fetch("1:*", ["FLAGS"]).items()} if c.search() else {}


@pytest.fixture
def mailbox(dovecot):
    if dovecot.proc is None:  # a test that stopped it failed before starting it again
        dovecot.start()
    folder = f"t{uuid.uuid4().hex[:12]}"
    with dovecot.client() as c:
        c.create_folder(folder)
    return Mailbox(dovecot, folder)


# ---------------------------------------------------------------- mail the tests receive

REPLY_BASE = "records@lacity.example"


def reply_eml(subject: str = "Your records request", body: str = "We have received your request.", *,
              message_id: str | None = "<reply-1@ice.example>", in_reply_to: str | None = None,
              to: str = "clerk@lacity.example", attachment: tuple[str, bytes] | None = None,
              extra: dict[str, str] | None = None) -> bytes:
    from email.message import EmailMessage
    from email.utils import format_datetime

    from tests.conftest import NOW

    msg = EmailMessage()
    msg["From"] = "ICE FOIA Office <ice-foia@ice.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(NOW)
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body)
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(msg)


def make_delivery(session, req, user, *, message_id: str = "<letter-1@lacity.example>", sent_on=None,
                  kind: str = "request"):
    """A letter mailed to the agency (as the sending side records it) and, for a request letter, its
    "sent" ledger event."""
    from datetime import date

    from foia.models import Delivery
    from foia.requests.service import log_event
    from tests.conftest import NOW

    event = None
    if kind == "request":
        event = log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=sent_on or date(2026, 1, 15),
                          notes="Request letter emailed")
    d = Delivery(request_id=req.id, organization_id=req.organization_id, kind=kind, message_id=message_id,
                 to_addr="ice-foia@ice.example", from_addr="clerk@lacity.example", status="accepted",
                 sent_at=NOW, event_id=event.id if event else None, sent_by_id=user.id, created_at=NOW,
                 updated_at=NOW, subject=f"Public records request {req.ref}")
    session.add(d)
    session.commit()
    return d


@pytest.fixture
def fetch(ctx, session, mailbox):
    """Poll the test mailbox once, as the scheduler would (bounce notices go to the .eml outbox)."""
    from foia.core.paths import blob_root
    from foia.mail import OutboxMailer
    from foia.mailroom.bounces import BounceNotifier
    from foia.mailroom.fetch import fetch_mail
    from tests.conftest import NOW

    def _fetch(url: str | None = None, now=NOW, **options):
        notify = BounceNotifier(OutboxMailer(ctx.config["FOIA_OUTBOX_DIR"]), "FOIA Tracker <foia@lacity.example>",
                                "https://foia.lacity.example")
        return fetch_mail(session, now=now, imap_url=url or mailbox.url, reply_base=REPLY_BASE,
                          storage_root=blob_root(ctx.config), max_bytes=10 * 1024 * 1024, notify=notify, **options)
    return _fetch


# ---------------------------------------------------------------- sending (aiosmtpd) and bounces

SENDER = "FOIA Tracker <foia@tracker.example.org>"


@pytest.fixture
def smtp():
    """smtp(handler, port=None) -> SMTPMailer for a started aiosmtpd; all stopped afterwards."""
    controllers: list[Controller] = []

    def start(handler, port: int | None = None) -> SMTPMailer:
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), ready_timeout=10)
        controller.start()
        controllers.append(controller)
        return SMTPMailer("127.0.0.1", controller.port, timeout=5)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def settings(app):
    return SendSettings(sender=SENDER, reply_base="records@city.example", storage_root=blob_root(app.config),
                        letter_cache=letter_cache_dir(app.config))


@pytest.fixture
def smtp_app(app, monkeypatch):
    """Point the app at an aiosmtpd server: returns (handler, port) per call."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(handler=None, port=None):
        handler = handler or QueueingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), ready_timeout=10)
        controller.start()
        controllers.append(controller)
        monkeypatch.setitem(app.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
        return handler

    monkeypatch.setitem(app.config, "FOIA_MAIL_FROM", "FOIA Tracker <foia@tracker.example.org>")
    monkeypatch.setitem(app.config, "FOIA_REPLY_ADDRESS", "records@city.example")
    yield start
    for controller in controllers:
        controller.stop()


def final_letter(session, app, req: Request, actor, kind: str = "request") -> LetterVersion:
    version = new_draft(session, actor=actor, now=NOW, req=req, kind=kind, custom={"intro": "Please send these."})
    finalize(session, actor=actor, now=NOW, version=version, cache_dir=letter_cache_dir(app.config))
    session.commit()
    return version


def parsed(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


ORIGINAL = "<letter-9@lacity.example>"


def dsn(message_id: str = ORIGINAL, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    """An RFC 3464 report as Postfix writes them."""
    return f"""From: MAILER-DAEMON@mx.lacity.example (Mail Delivery System)
To: clerk@lacity.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{action}@mx.lacity.example>
Date: Thu, 15 Jan 2026 17:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.lacity.example
Arrival-Date: Thu, 15 Jan 2026 16:59:00 +0000

Final-Recipient: rfc822; foia@ice.example
Original-Recipient: rfc822;foia@ice.example
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <foia@ice.example>: Recipient address rejected:
    User unknown

--B1
Content-Type: text/rfc822-headers

From: clerk@lacity.example
To: foia@ice.example
Subject: Public records request
Message-ID: {message_id}

--B1--
""".replace("\n", "\r\n").encode()
