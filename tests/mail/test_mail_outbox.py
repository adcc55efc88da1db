"""OutboxMailer writes .eml files; list_outbox / read_outbox show them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from foia.mail import (
    MailError,
    OutboxMailer,
    build_message,
    list_outbox,
    make_message_id,
    outbox_filename,
    parse_eml,
    read_outbox,
)

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)


def message(key="reminder:1", subject="Reminder", date=NOW, text="Body", to=("clerk@agency.example.gov",)):
    return build_message(
        sender="foia@tracker.example.org",
        to=list(to),
        subject=subject,
        text=text,
        html=f"<p>{text}</p>",
        message_id=make_message_id(key, "tracker.example.org"),
        date=date,
    )


def files(folder):
    return sorted(os.listdir(folder))


def test_send_writes_one_eml_named_after_message_id(tmp_path):
    outbox = tmp_path / "outbox"  # created on first send
    msg = message()
    OutboxMailer(outbox).send(msg)
    local = msg["Message-ID"][1:].split("@")[0]
    assert files(outbox) == [f"{local}_tracker.example.org.eml"]
    stored = (outbox / files(outbox)[0]).read_bytes()
    assert b"\r\n" in stored  # RFC 5322 line endings
    parsed = parse_eml(stored)
    assert parsed.message_id == msg["Message-ID"].strip("<>")
    assert parsed.text.strip() == "Body"


def test_same_message_id_twice_gives_one_file_with_latest_content(tmp_path):
    mailer = OutboxMailer(tmp_path)
    mailer.send(message(text="first"))
    mailer.send(message(text="second"))  # re-send after a crash: same key, same Message-ID
    mailer.send(message(key="reminder:2"))
    assert len(files(tmp_path)) == 2
    first = outbox_filename(message()["Message-ID"])
    assert parse_eml((tmp_path / first).read_bytes()).text.strip() == "second"


def test_failed_write_leaves_previous_file_intact_and_no_temp_files(tmp_path, monkeypatch):
    mailer = OutboxMailer(tmp_path)
    mailer.send(message(text="original"))
    before = files(tmp_path)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(MailError) as info:
        mailer.send(message(text="replacement"))
    assert "No space left" in str(info.value) and str(tmp_path) in str(info.value)
    assert files(tmp_path) == before  # no .tmp leftovers, no half-written .eml
    assert parse_eml((tmp_path / before[0]).read_bytes()).text.strip() == "original"


def test_unwritable_outbox_is_mail_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(MailError, match="outbox"):
        OutboxMailer(blocker).send(message())


def test_message_without_message_id_is_refused(tmp_path):
    msg = message()
    del msg["Message-ID"]
    with pytest.raises(MailError, match="Message-ID"):
        OutboxMailer(tmp_path).send(msg)
    assert files(tmp_path) == []


@pytest.mark.parametrize(
    "message_id",
    ["<../../etc/passwd@x>", "<a+b=c$d!e~f@x>", "<x@a/b>", "<.hidden@x>", "<-dash@x>", "<" + "a" * 300 + "@x>"],
)
def test_hostile_message_ids_stay_inside_the_outbox(tmp_path, message_id):
    name = outbox_filename(message_id)
    assert name.endswith(".eml") and not name.startswith(".")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert len(name) < 200
    msg = message()
    msg.replace_header("Message-ID", message_id)
    OutboxMailer(tmp_path / "box").send(msg)
    assert files(tmp_path / "box") == [name]
    assert files(tmp_path) == ["box"]


def test_unencodable_message_is_mail_error(tmp_path):
    msg = message()
    msg.replace_header("Message-ID", "<ümlaut@x>")  # build_message refuses this; a hand-made message might not
    with pytest.raises(MailError, match="serialised"):
        OutboxMailer(tmp_path).send(msg)
    assert files(tmp_path) == []


def test_sanitised_collisions_do_not_share_a_file():
    assert outbox_filename("<a/b@x>") != outbox_filename("<a_b@x>")
    assert outbox_filename("<a/b@x>") == outbox_filename("<a/b@x>")


def test_list_outbox_newest_first_with_fields(tmp_path):
    mailer = OutboxMailer(tmp_path)
    mailer.send(message("k1", "Oldest", NOW - timedelta(days=2)))
    mailer.send(message("k2", "Newest", NOW, to=("a@agency.gov", "b@agency.gov")))
    mailer.send(message("k3", "Middle", NOW - timedelta(days=1)))
    (tmp_path / ".tmp-abc.part").write_bytes(b"partial")  # in-flight temp file: ignored
    (tmp_path / "notes.txt").write_text("ignored")
    entries = list_outbox(tmp_path)
    assert [e.subject for e in entries] == ["Newest", "Middle", "Oldest"]
    newest = entries[0]
    assert newest.to == ["a@agency.gov", "b@agency.gov"]
    assert newest.date == NOW
    assert newest.message_id == make_message_id("k2", "tracker.example.org").strip("<>")
    assert newest.size == (tmp_path / newest.filename).stat().st_size > 0
    assert read_outbox(tmp_path, newest.filename)["Subject"] == "Newest"


def test_list_outbox_missing_folder_is_empty(tmp_path):
    assert list_outbox(tmp_path / "nope") == []


@pytest.mark.parametrize(
    "filename", ["../x.eml", "a/b.eml", "a\\b.eml", "..\\x.eml", "/etc/x.eml", "x.txt", "x.eml/", ".eml", ".hidden.eml", "x\x00.eml", ""]
)
def test_read_outbox_refuses_unsafe_names(tmp_path, filename):
    (tmp_path / "x.txt").write_text("secret")
    with pytest.raises(ValueError):
        read_outbox(tmp_path, filename)


def test_read_outbox_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_outbox(tmp_path, "absent.eml")
