from __future__ import annotations

import json

from sqlalchemy import func, select

from foia.models import Agency, Request, User


def test_demo_is_idempotent_and_modelled_on_the_la_case(cli, session):
    first = cli.invoke(args=["foia", "demo"])
    assert first.exit_code == 0, first.output
    assert "5 new requests" in first.output
    counts = (session.scalar(select(func.count(Request.id))), session.scalar(select(func.count(User.id))),
              session.scalar(select(func.count(Agency.id))))
    second = cli.invoke(args=["foia", "demo"])
    assert second.exit_code == 0 and "0 new requests" in second.output
    assert counts == (session.scalar(select(func.count(Request.id))), session.scalar(select(func.count(User.id))),
                      session.scalar(select(func.count(Agency.id))))
    slugs = set(session.scalars(select(Agency.slug)))
    assert {"dhs-ice", "dhs-cbp", "dhs-privacy", "doj-oip", "lasd", "lapd", "la-county-oig", "la-city"} <= slugs
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    assert "500 12th Street SW, Stop 5009" in ice.mailing_address and "20536-5009" in ice.mailing_address
    roles = dict(session.execute(select(User.email, User.role)).all())
    assert roles == {"clerk@lacity.example": "staff", "reporter@newsroom.example": "reporter",
                     "admin@lacity.example": "admin"}
    assert session.scalar(select(User).where(User.email == "clerk@lacity.example")).check_password("foia-demo")
    data = json.loads(cli.invoke(args=["foia", "requests", "--json"]).output)
    by_agency = {r["agency"]: r for r in data}
    assert {"dhs-ice", "dhs-cbp", "lasd", "lapd"} <= set(by_agency)
    assert "June 6, 2025" in by_agency["dhs-ice"]["title"]
    assert any(r["status"] == "denied" for r in data)


def test_requests_json_shape(cli, world):
    result = cli.invoke(args=["foia", "requests", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 6
    for row in data:
        assert set(row) == {"ref", "title", "agency", "law", "status", "response_due"}
    row = next(r for r in data if r["title"] == "staff private request")
    assert row["agency"] == "dhs-ice" and row["law"] == "us-foia" and row["status"] == "draft"


def test_show_json_has_request_and_events(cli, world):
    ref = world["requests"][("reporter", "private")].ref
    result = cli.invoke(args=["foia", "show", ref, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ref"] == ref and data["agency"] == "lasd" and data["law"] == "ca-cpra"
    assert [e["kind"] for e in data["events"]] == ["created"]
    text = cli.invoke(args=["foia", "show", ref]).output
    assert ref in text and "created" in text


def test_show_unknown_reference_fails_clearly(cli, world):
    result = cli.invoke(args=["foia", "show", "FT-1999-0001"])
    assert result.exit_code == 1
    assert "no request with reference" in result.output


def test_user_create_reads_password_from_stdin(cli, session):
    result = cli.invoke(args=["foia", "user", "create", "New.Person@City.example", "--role", "staff",
                              "--org", "City of Burbank", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "new.person@city.example"))
    assert user.role == "staff" and user.organization.name == "City of Burbank"
    assert user.check_password("a long enough password")


def test_user_create_rejects_bad_input(cli, session):
    short = cli.invoke(args=["foia", "user", "create", "a@b.example", "--role", "staff", "--org", "X",
                             "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    bad_role = cli.invoke(args=["foia", "user", "create", "a@b.example", "--role", "boss", "--org", "X"], input="x" * 10)
    assert bad_role.exit_code == 2 and "boss" in bad_role.output
    bad_email = cli.invoke(args=["foia", "user", "create", "not-an-email", "--role", "staff", "--org", "X",
                                 "--password-stdin"], input="a long enough password\n")
    assert bad_email.exit_code == 2 and "valid email" in bad_email.output
    assert session.scalar(select(func.count(User.id))) == 0


def test_help_lists_the_commands(cli):
    result = cli.invoke(args=["foia", "--help"])
    for name in ("demo", "user", "requests", "show"):
        assert name in result.output
