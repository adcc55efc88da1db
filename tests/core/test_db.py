"""insert_with_retry: a number another writer took is allocated again, in a savepoint."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from foia.models import Request
from foia.requests import service
from foia.requests.service import RequestInput, create_request
from tests.conftest import NOW


def test_a_taken_reference_is_allocated_again(world, session, monkeypatch) -> None:
    taken = world["requests"][("staff", "private")]
    real = service.next_reference
    calls: list[int] = []

    def collide_once(sess, year):
        calls.append(year)
        if len(calls) == 1:  # as if another writer committed this number first
            return taken.ref_seq, taken.ref
        return real(sess, year)

    monkeypatch.setattr(service, "next_reference", collide_once)
    before = session.scalar(select(func.count()).select_from(Request))
    next_free = session.scalar(select(func.max(Request.ref_seq))) + 1
    req = create_request(session, actor=world["users"]["staff"], now=NOW, data=RequestInput(
        title="Retry", records_sought="Records of the retry.", agency_slug="dhs-ice"))
    session.commit()
    assert len(calls) == 2
    assert req.ref != taken.ref and req.ref_seq == next_free
    assert session.scalar(select(func.count()).select_from(Request)) == before + 1
    assert session.get(Request, taken.id).title == taken.title  # the other writer's row is untouched


def test_gives_up_after_the_attempts(world, session, monkeypatch) -> None:
    taken = world["requests"][("staff", "private")]
    monkeypatch.setattr(service, "next_reference", lambda sess, year: (taken.ref_seq, taken.ref))
    with pytest.raises(RuntimeError, match="could not allocate a request reference after 5 attempts"):
        create_request(session, actor=world["users"]["staff"], now=NOW, data=RequestInput(
            title="Never", records_sought="All records about the retry, please.", agency_slug="dhs-ice"))
