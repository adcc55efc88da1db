def test_fixture(mailbox):
    uid = mailbox.append(b"Subject: hi\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n")
    assert mailbox.flags() == {uid: (b"\\Recent",)}
    mailbox.server.stop()
    mailbox.server.start()
    assert uid in mailbox.flags()
