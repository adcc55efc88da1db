"""Demo data modelled on the Los Angeles case, with dates relative to `today` so the app looks alive.

`load_demo` is idempotent: agencies are upserted by slug, accounts by email, and each demo
request is keyed by its title, so running it twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.accounts.service import create_user, get_or_create_organization
from foia.agencies.importer import import_shipped
from foia.clauses.service import create_clause
from foia.clocks.service import refresh
from foia.communications.service import TO_CLASSIFY, log_communication
from foia.models import Agency, Clause, Event, Organization, Request, User
from foia.reminders.planner import plan
from foia.requests.service import (
    RequestInput,
    create_request,
    log_event,
    update_request,
)

DEMO_PASSWORD = "foia-demo"

AGENCIES: list[dict[str, str]] = [
    dict(slug="dhs-ice", name="U.S. Immigration and Customs Enforcement", department="U.S. Department of Homeland Security",
         jurisdiction="United States (federal)", law="us-foia", foia_email="ice-foia@ice.dhs.gov",
         portal_url="https://www.ice.gov/foia",
         mailing_address="U.S. Immigration and Customs Enforcement\nFreedom of Information Act Office\n500 12th Street SW, Stop 5009\nWashington, DC 20536-5009",
         phone="(866) 633-1182", appeal_authority="ICE Office of the Principal Legal Advisor, Government Information Law Division",
         appeal_address="U.S. Immigration and Customs Enforcement\nOffice of the Principal Legal Advisor\nU.S. Department of Homeland Security\n500 12th Street SW, Mail Stop 5900\nWashington, DC 20536-5900",
         appeal_email="ICE-FOIA-Appeals@ice.dhs.gov", timezone="America/New_York"),
    dict(slug="dhs-cbp", name="U.S. Customs and Border Protection", department="U.S. Department of Homeland Security",
         jurisdiction="United States (federal)", law="us-foia", foia_email="", portal_url="https://www.cbp.gov/site-policy-notices/foia",
         mailing_address="U.S. Customs and Border Protection\nFOIA Division\n90 K Street NE, 9th Floor\nWashington, DC 20229-1181",
         phone="(202) 325-0150", appeal_authority="CBP FOIA Appeals, Policy and Litigation Branch",
         appeal_address="U.S. Customs and Border Protection\nFOIA Appeals, Policy and Litigation Branch\n90 K Street NE, 10th Floor\nWashington, DC 20229-1177",
         timezone="America/New_York"),
    dict(slug="dhs-privacy", name="DHS Privacy Office", department="U.S. Department of Homeland Security",
         jurisdiction="United States (federal)", law="us-foia", foia_email="foia@hq.dhs.gov", portal_url="https://www.dhs.gov/foia",
         mailing_address="Chief Privacy Officer/Chief FOIA Officer\nThe Privacy Office\nU.S. Department of Homeland Security\n2707 Martin Luther King Jr. Ave SE\nWashington, DC 20528-0655",
         phone="(202) 343-1743", appeal_authority="DHS Office of the General Counsel",
         appeal_address="Office of the General Counsel\nU.S. Department of Homeland Security\n2707 Martin Luther King Jr. Ave SE\nWashington, DC 20528-0485",
         timezone="America/New_York"),
    dict(slug="doj-oip", name="Office of Information Policy", department="U.S. Department of Justice",
         jurisdiction="United States (federal)", law="us-foia", foia_email="", portal_url="https://www.justice.gov/oip",
         mailing_address="Office of Information Policy\nU.S. Department of Justice\n441 G Street NW, 6th Floor\nWashington, DC 20530",
         phone="(202) 514-3642", appeal_authority="Office of Information Policy (Administrative Appeals)",
         appeal_address="Director, Office of Information Policy\nU.S. Department of Justice\n441 G Street NW, 6th Floor\nWashington, DC 20530",
         timezone="America/New_York"),
    dict(slug="lasd", name="Los Angeles County Sheriff's Department", department="County of Los Angeles",
         jurisdiction="California — Los Angeles County", law="ca-cpra", foia_email="",
         portal_url="https://lasd.org/transparency/",
         mailing_address="Los Angeles County Sheriff's Department\nPublic Records Act Unit\n211 West Temple Street\nLos Angeles, CA 90012",
         phone="(213) 229-1700", appeal_authority="", appeal_address="", timezone="America/Los_Angeles"),
    dict(slug="lapd", name="Los Angeles Police Department", department="City of Los Angeles",
         jurisdiction="California — City of Los Angeles", law="ca-cpra", foia_email="",
         portal_url="https://lacity.nextrequest.com/",
         mailing_address="Los Angeles Police Department\nDiscovery Section, Public Records Act Unit\n100 West First Street\nLos Angeles, CA 90012",
         phone="(213) 486-8730", appeal_authority="", appeal_address="", timezone="America/Los_Angeles"),
    dict(slug="la-county-oig", name="Los Angeles County Office of Inspector General", department="County of Los Angeles",
         jurisdiction="California — Los Angeles County", law="ca-cpra", foia_email="",
         portal_url="https://oig.lacounty.gov/",
         mailing_address="Office of Inspector General\n312 South Hill Street, 3rd Floor\nLos Angeles, CA 90013",
         phone="(213) 974-6100", appeal_authority="", appeal_address="", timezone="America/Los_Angeles"),
    dict(slug="la-city", name="City of Los Angeles (City Clerk)", department="City of Los Angeles",
         jurisdiction="California — City of Los Angeles", law="ca-cpra", foia_email="",
         portal_url="https://lacity.nextrequest.com/",
         mailing_address="Office of the City Clerk\n200 North Spring Street, Room 360\nLos Angeles, CA 90012",
         phone="(213) 978-1020", appeal_authority="", appeal_address="", timezone="America/Los_Angeles"),
]

CITY = dict(name="City of Los Angeles", address="200 North Spring Street\nLos Angeles, CA 90012",
            phone="(213) 473-3231", email="", website="https://lacity.gov")
NEWSROOM = dict(name="Los Angeles Ledger", address="1200 South Broadway\nLos Angeles, CA 90015",
                phone="", email="newsroom@newsroom.example", website="")

USERS = [
    ("clerk@lacity.example", "Maria Alvarez", "staff", "city"),
    ("reporter@newsroom.example", "Jordan Lee", "reporter", "newsroom"),
    ("admin@lacity.example", "Sam Okafor", "admin", "city"),
]


def _ts(day: date, hour: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour, 0), ZoneInfo(tz)).astimezone(UTC)


def upsert_agencies(session: Session, now: datetime) -> dict[str, Agency]:
    out: dict[str, Agency] = {}
    for data in AGENCIES:
        agency = session.scalar(select(Agency).where(Agency.slug == data["slug"]))
        if agency is None:
            agency = Agency(created_at=now, updated_at=now, source="demo", **data)
            session.add(agency)
        out[data["slug"]] = agency
    session.flush()
    return out


def load_demo(session: Session, *, now: datetime, tz: str = "America/Los_Angeles",
              directory: bool = True) -> dict[str, Any]:
    """Create (or leave alone) the demo organizations, accounts, agencies and requests; with `directory`,
    then import the shipped agency directory (18F federal offices, NYC agencies, FOIA.gov figures) through
    `foia.agencies.importer`, which adopts the demo's federal agencies by slug and keeps their demo values.
    The directory takes about 2-3 s the first time and 1-2 s on a re-run (SQLite); tests that do not need
    it pass directory=False. `counts["directory"]` is the import report (None without it)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    upsert_agencies(session, now)
    report = import_shipped(session, now=now) if directory else None

    def org(spec: dict[str, str]) -> Organization:
        return get_or_create_organization(session, spec["name"], now=now, address=spec["address"],
                                          phone=spec["phone"], email=spec["email"], website=spec["website"])

    orgs = {"city": org(CITY), "newsroom": org(NEWSROOM)}
    users: dict[str, User] = {}
    for email, name, role, org_key in USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session, email=email, name=name, role=role, organization=orgs[org_key],
                               password=DEMO_PASSWORD, now=now)
        users[email] = user

    clerk, reporter = users["clerk@lacity.example"], users["reporter@newsroom.example"]
    created = 0
    for spec in _demo_requests(today):
        if session.scalar(select(Request.id).where(Request.title == spec["input"].title)) is not None:
            continue
        actor = clerk if spec["who"] == "clerk" else reporter

        req = create_request(session, actor=actor, now=now, data=spec["input"], timezone=tz)
        first_day = min(day for _kind, day, *_ in spec["events"])
        for ev in session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "created")):
            ev.occurred_on = first_day  # drafted before it was sent
        agency_tz = req.agency.timezone
        for kind, day, notes, extra in spec["events"]:
            log_event(session, actor=actor, now=now, req=req, kind=kind, occurred_on=day,
                      occurred_at=_ts(day, 10, agency_tz) if kind in ("sent", "received") else None,
                      notes=notes, data=extra)
        changes = dict(status=spec["status"], tracking_number=spec.get("tracking", ""))
        update_request(session, actor=actor, now=now, req=req, **changes)
        sent = next((day for kind, day, *_ in spec["events"] if kind == "sent"), None)
        if sent:
            req.sent_at = _ts(sent, 10, agency_tz)
            req.received_at = _ts(sent, 10, agency_tz)
        plan(session, req, now=now, clocks=refresh(session, req, now=now))
        for subject, body, suggested, day in spec.get("replies", ()):
            # An agency reply fetched from the mailbox, waiting for someone to confirm what it is.
            log_communication(session, actor=None, now=now, req=req, direction="incoming", kind="note",
                              occurred_on=day, subject=subject, body=body, from_addr=req.agency.foia_email,
                              message_id=f"demo-{req.ref}-{day.isoformat()}@{req.agency.slug}.example",
                              review_status=TO_CLASSIFY, suggested_kind=suggested)
        created += 1
    _demo_clauses(session, clerk, now)
    session.flush()
    return {"agencies": len(AGENCIES), "users": len(users), "requests_created": created, "directory": report}


DEMO_CLAUSES: tuple[tuple[str, str, list[str]], ...] = (
    ("Fee waiver: public interest", "Disclosure of these records is in the public interest: it is likely to "
     "contribute significantly to public understanding of the operations of the government, and it is not "
     "primarily in our commercial interest.", ["us-foia"]),
    ("Format: searchable electronic copies", "Please provide the records in electronic form, as searchable PDFs "
     "or in their native format, by email or a download link.", []),
)


def _demo_clauses(session: Session, clerk: User, now: datetime) -> None:
    """The city's clause library (issue 19): two clauses, one limited to federal FOIA. Left alone if present."""
    for title, body, laws in DEMO_CLAUSES:
        if session.scalar(select(Clause.id).where(Clause.organization_id == clerk.organization_id,
                                                  Clause.title == title)) is None:
            create_clause(session, actor=clerk, now=now, title=title, body=body, laws=laws)


def _demo_requests(today: date) -> list[dict]:
    d = lambda n: today - timedelta(days=n)  # noqa: E731 - n days ago
    return [
        dict(who="clerk", status="acknowledged", tracking="2025-ICFO-41231", input=RequestInput(
            title="ICE enforcement operations in Los Angeles since June 6, 2025",
            agency_slug="dhs-ice",
            records_sought=(
                "Records of U.S. Immigration and Customs Enforcement enforcement operations in the City of Los Angeles "
                "from June 6, 2025 to the date of the search, showing:\n"
                "1. where each person detained in those operations was taken (facility names and locations);\n"
                "2. the reasons for each detention, including any warrant, charging document or other basis recorded;\n"
                "3. the costs of those operations, including personnel, overtime, travel, vehicles, aircraft and detention."),
            records_from=date(2025, 6, 6), preferred_format="Searchable PDF; spreadsheets in native format (.xlsx or .csv)",
            fee_category="other", fee_ceiling="500", fee_waiver=True,
            fee_waiver_justification=("The records concern the operations and activities of the federal government in Los Angeles. "
                                      "The City will publish what it receives so residents can understand how the operations "
                                      "were carried out; the City has no commercial interest in the records."),
            visibility="organization"),
         events=[("sent", d(12), "Emailed to the ICE FOIA Office.", {"method": "email"}),
                 ("acknowledged", d(9), "ICE acknowledged receipt and assigned 2025-ICFO-41231.", {})],
         replies=[("RE: FOIA Request 2025-ICFO-41231 - fee estimate",
                   "Your request 2025-ICFO-41231 falls in the 'all other' fee category. We estimate search and duplication "
                   "fees of $340.00. Please confirm in writing that you agree to pay or narrow the request.",
                   "fee_estimate", d(2))]),
        dict(who="clerk", status="submitted", input=RequestInput(
            title="CBP records of the July 7, 2025 MacArthur Park operation",
            agency_slug="dhs-cbp",
            records_sought=("Operational plans, after-action reports, communications with the Los Angeles Police Department, "
                            "and records of arrests made during the U.S. Customs and Border Protection operation in "
                            "MacArthur Park, Los Angeles, on July 7, 2025."),
            records_from=date(2025, 7, 1), records_to=date(2025, 7, 31), preferred_format="Searchable PDF",
            fee_category="other", fee_ceiling="250", visibility="organization"),
         events=[("sent", d(3), "Submitted through the DHS FOIA portal.", {"method": "portal"})]),
        dict(who="reporter", status="submitted", input=RequestInput(
            title="LASD jail inmates transferred to ICE, May–June 2025",
            agency_slug="lasd",
            records_sought=("Records sufficient to show each person released from Los Angeles County Sheriff's Department "
                            "custody to U.S. Immigration and Customs Enforcement between May 1 and June 30, 2025, the date "
                            "of each transfer, and any judicial warrant or order presented for each transfer."),
            records_from=date(2025, 5, 1), records_to=date(2025, 6, 30), preferred_format="Spreadsheet (.csv)",
            fee_category="news_media", visibility="private"),
         events=[("sent", d(6), "Emailed to the LASD Public Records Act Unit.", {"method": "email"})]),
        dict(who="reporter", status="submitted", input=RequestInput(
            title="LAPD communications about advance notice of June 2025 federal operations",
            agency_slug="lapd",
            records_sought=("Emails, text messages and memoranda between the Los Angeles Police Department and any federal "
                            "agency (DHS, ICE, CBP, FBI) from May 25 to June 30, 2025 giving or discussing advance notice of "
                            "federal immigration enforcement operations in Los Angeles."),
            records_from=date(2025, 5, 25), records_to=date(2025, 6, 30), preferred_format="Emails as .eml or PDF",
            fee_category="news_media", visibility="organization"),
         events=[("sent", d(15), "Submitted through the City's NextRequest portal.", {"method": "portal"})]),
        dict(who="clerk", status="denied", tracking="2025-HQFO-01877", input=RequestInput(
            title="DHS Privacy Office: privacy impact assessments for Los Angeles operations",
            agency_slug="dhs-privacy",
            records_sought=("Privacy impact assessments, privacy threshold analyses and related correspondence covering "
                            "technology used in immigration enforcement operations in Los Angeles since June 2025."),
            records_from=date(2025, 6, 1), preferred_format="Searchable PDF", fee_category="other",
            visibility="public"),
         events=[("sent", d(60), "Emailed to foia@hq.dhs.gov.", {"method": "email"}),
                 ("acknowledged", d(55), "", {}),
                 ("determination", d(20), "Denied in full under exemptions (b)(5) and (b)(7)(E). The appeal window is open.",
                  {"exemptions": ["(b)(5)", "(b)(7)(E)"]})]),
    ]
