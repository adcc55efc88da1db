"""Realistic example contexts for every law and letter kind (tests, previews, benchmark).

The agencies, addresses and people are illustrative; dates are computed with a
simple Monday-to-Friday count that skips the 2025 federal holidays in the window,
which is good enough for sample data (the real clocks come from foia/deadlines).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any, Final

from foia.deadlines import law_slugs, load_law
from foia.letters.render.templating import LETTER_KINDS, law_text

_HOLIDAYS_2025: Final[frozenset[date]] = frozenset(
    {date(2025, 6, 19), date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13)}
)

_SENT: Final[date] = date(2025, 6, 20)
_FOLLOW_UP: Final[date] = date(2025, 8, 4)
_DETERMINATION: Final[date] = date(2025, 7, 25)
_APPEAL: Final[date] = date(2025, 8, 1)


def _is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _HOLIDAYS_2025


def _add_workdays(start: date, count: int) -> date:
    day = start
    while count > 0:
        day += timedelta(days=1)
        if _is_workday(day):
            count -= 1
    return day


def _workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        if _is_workday(day):
            count += 1
    return count


# slug -> (clock: (count, "working"|"calendar") or None, agency, appeal authority,
#          appeal window: (count, unit) or None, appeal decision: (count, unit) or None)
_AGENCIES: Final[dict[str, dict[str, Any]]] = {
    "us-foia": {
        "clock": (20, "working"),
        "agency": {
            "name": "U.S. Department of Homeland Security",
            "slug": "dhs",
            "department": "Privacy Office, FOIA Division",
            "foia_email": "foia@hq.dhs.gov",
            "portal_url": "https://www.dhs.gov/foia",
            "address": ["2707 Martin Luther King Jr. Ave SE", "Washington, DC 20528-0655"],
            "appeal_authority": "Office of the General Counsel",
            "appeal_address": [
                "U.S. Department of Homeland Security",
                "2707 Martin Luther King Jr. Ave SE",
                "Washington, DC 20528-0485",
            ],
            "appeal_email": "foia.appeals@hq.dhs.gov",
        },
        "appeal_window": (90, "calendar"),
        "appeal_decision": (20, "working"),
        "exemptions": [
            "Exemption 5, 5 U.S.C. § 552(b)(5)",
            "Exemption 7(E), 5 U.S.C. § 552(b)(7)(E)",
        ],
    },
    "ca-cpra": {
        "clock": (10, "calendar"),
        "agency": {
            "name": "City of Oakland",
            "slug": "oakland",
            "department": "Oakland Police Department",
            "foia_email": "publicrecords@oaklandca.gov",
            "portal_url": "https://oaklandca.nextrequest.com",
            "address": ["1 Frank H. Ogawa Plaza", "Oakland, CA 94612"],
            "appeal_authority": "Office of the City Attorney",
            "appeal_address": [
                "City of Oakland",
                "1 Frank H. Ogawa Plaza, 6th Floor",
                "Oakland, CA 94612",
            ],
            "appeal_email": "cityattorney@oaklandcityattorney.org",
        },
        "appeal_window": None,
        "appeal_decision": (10, "calendar"),
        "exemptions": [
            "Gov. Code § 7923.600 (law enforcement investigatory files)",
            "Gov. Code § 7922.000 (public interest balancing)",
        ],
    },
    "ny-foil": {
        "clock": (5, "working"),
        "agency": {
            "name": "New York City Police Department",
            "slug": "nypd",
            "department": "Legal Bureau, FOIL Unit",
            "foia_email": "foil@nypd.org",
            "portal_url": "https://a860-openrecords.nyc.gov",
            "address": ["One Police Plaza, Room 110-C", "New York, NY 10038"],
            "appeal_authority": "Records Access Appeals Officer",
            "appeal_address": [
                "New York City Police Department",
                "One Police Plaza, Room 1406",
                "New York, NY 10038",
            ],
            "appeal_email": "foil.appeals@nypd.org",
        },
        "appeal_window": (30, "calendar"),
        "appeal_decision": (10, "working"),
        "exemptions": ["Public Officers Law § 87(2)(e)(iv)", "Public Officers Law § 87(2)(g)"],
    },
    "tx-pia": {
        "clock": (10, "working"),
        "agency": {
            "name": "City of Houston",
            "slug": "houston",
            "department": "Houston Police Department, Office of Public Affairs",
            "foia_email": "publicinformation@houstontx.gov",
            "portal_url": "",
            "address": ["1200 Travis Street", "Houston, TX 77002"],
            "appeal_authority": "Harris County District Attorney",
            "appeal_address": ["1310 Prairie Street", "Houston, TX 77002"],
            "appeal_email": "",
        },
        "appeal_window": None,
        "appeal_decision": (31, "calendar"),  # a reply date the requester asks for
        "exemptions": ["Tex. Gov't Code § 552.108 (law enforcement)", "Tex. Gov't Code § 552.101"],
    },
    "il-foia": {
        "clock": (5, "working"),
        "agency": {
            "name": "Chicago Police Department",
            "slug": "cpd",
            "department": "Freedom of Information Section",
            "foia_email": "foia@chicagopolice.org",
            "portal_url": "",
            "address": ["3510 South Michigan Avenue", "Chicago, IL 60653"],
            "appeal_authority": "Public Access Counselor",
            "appeal_address": [
                "Office of the Illinois Attorney General",
                "500 South Second Street",
                "Springfield, IL 62701",
            ],
            "appeal_email": "publicaccess@ilag.gov",
        },
        "appeal_window": (60, "calendar"),
        "appeal_decision": None,
        "exemptions": ["5 ILCS 140/7(1)(d)(i)", "5 ILCS 140/7(1)(f)"],
    },
    "wa-pra": {
        "clock": (5, "working"),
        "agency": {
            "name": "Seattle Police Department",
            "slug": "spd",
            "department": "Public Disclosure Unit",
            "foia_email": "spd_pdu@seattle.gov",
            "portal_url": "https://seattle.govqa.us",
            "address": ["P.O. Box 34986", "Seattle, WA 98124-4986"],
            "appeal_authority": "Public Records Officer",
            "appeal_address": [
                "Seattle Police Department",
                "P.O. Box 34986",
                "Seattle, WA 98124-4986",
            ],
            "appeal_email": "spd_pdu@seattle.gov",
        },
        "appeal_window": None,
        "appeal_decision": (2, "working"),
        "exemptions": ["RCW 42.56.240(1)", "RCW 42.56.290"],
    },
    "fl-prl": {
        "clock": (10, "working"),  # no statutory clock: a date the requester asks for
        "agency": {
            "name": "Miami-Dade County",
            "slug": "miami-dade",
            "department": "Miami-Dade Police Department, Public Records Unit",
            "foia_email": "publicrecords@mdpd.com",
            "portal_url": "",
            "address": ["9105 NW 25th Street", "Doral, FL 33172"],
            "appeal_authority": "County Attorney",
            "appeal_address": [
                "Miami-Dade County Attorney's Office",
                "111 NW 1st Street, Suite 2810",
                "Miami, FL 33128",
            ],
            "appeal_email": "",
        },
        "appeal_window": None,
        "appeal_decision": (5, "working"),
        "exemptions": ["Fla. Stat. § 119.071(2)(c)1. (active criminal intelligence)"],
    },
    "ma-prl": {
        "clock": (10, "working"),
        "agency": {
            "name": "Boston Police Department",
            "slug": "bpd",
            "department": "Office of the Legal Advisor",
            "foia_email": "publicrecords@pd.boston.gov",
            "portal_url": "",
            "address": ["1 Schroeder Plaza", "Boston, MA 02120"],
            "appeal_authority": "Supervisor of Records",
            "appeal_address": [
                "Division of Public Records",
                "One Ashburton Place, Room 1719",
                "Boston, MA 02108",
            ],
            "appeal_email": "pre@sec.state.ma.us",
        },
        "appeal_window": (90, "calendar"),
        "appeal_decision": (10, "working"),
        "exemptions": ["G.L. c. 4, § 7(26)(f)", "G.L. c. 4, § 7(26)(c)"],
    },
    "pa-rtkl": {
        "clock": (5, "working"),
        "agency": {
            "name": "City of Philadelphia",
            "slug": "philadelphia",
            "department": "Philadelphia Police Department, Right-to-Know Office",
            "foia_email": "ppd.righttoknow@phila.gov",
            "portal_url": "",
            "address": ["400 North Broad Street", "Philadelphia, PA 19130"],
            "appeal_authority": "Office of Open Records",
            "appeal_address": ["333 Market Street, 16th Floor", "Harrisburg, PA 17101-2234"],
            "appeal_email": "openrecords@pa.gov",
        },
        "appeal_window": (15, "working"),
        "appeal_decision": (30, "calendar"),
        "exemptions": [
            "65 P.S. § 67.708(b)(16) (criminal investigative records)",
            "65 P.S. § 67.708(b)(17)",
        ],
    },
    "nj-opra": {
        "clock": (7, "working"),
        "agency": {
            "name": "City of Newark",
            "slug": "newark",
            "department": "Office of the City Clerk",
            "foia_email": "opra@ci.newark.nj.us",
            "portal_url": "",
            "address": ["920 Broad Street, Room 306", "Newark, NJ 07102"],
            "appeal_authority": "Government Records Council",
            "appeal_address": ["P.O. Box 819", "Trenton, NJ 08625-0819"],
            "appeal_email": "grc@dca.nj.gov",
        },
        "appeal_window": (60, "calendar"),
        "appeal_decision": None,
        "exemptions": [
            "N.J.S.A. 47:1A-1.1 (criminal investigatory records)",
            "N.J.S.A. 47:1A-3(a)",
        ],
    },
}

_REQUESTER: Final[dict[str, Any]] = {
    "name": "Jordan A. Rivera",
    "title": "Staff Attorney",
    "email": "jrivera@civicrecords.org",
    "phone": "(510) 555-0142",
    "address": ["1736 Franklin Street, Suite 400", "Oakland, CA 94612"],
}

_ORGANIZATION: Final[dict[str, Any]] = {
    "name": "Civic Records Law Clinic",
    "address": ["1736 Franklin Street, Suite 400", "Oakland, CA 94612"],
    "phone": "(510) 555-0100",
    "email": "records@civicrecords.org",
    "website": "civicrecords.org",
}


def _shift(start: date, spec: tuple[int, str] | None) -> date | None:
    if spec is None:
        return None
    count, unit = spec
    return _add_workdays(start, count) if unit == "working" else start + timedelta(days=count)


_UNIT_WORD: Final[dict[str, str]] = {"business_days": "working", "calendar_days": "calendar"}


def _generic_spec(law: str) -> dict[str, Any]:
    """A sample agency for a law without a hand-written entry above (e.g. a newly added one)."""
    rules = load_law(law)

    def spec(kind: str, default: tuple[int, str] | None) -> tuple[int, str] | None:
        rule = rules.clock(kind)
        if rule is None or rule.length is None:
            return default
        return rule.length, _UNIT_WORD[rule.unit]

    return {
        "clock": spec("response", (10, "working")),
        "agency": {
            "name": f"Department of Records, {rules.jurisdiction}",
            "slug": "records",
            "department": "Public Records Office",
            "foia_email": "records@example.gov",
            "portal_url": "",
            "address": ["1 Civic Center Plaza", "Capital City"],
            "appeal_authority": "",
            "appeal_address": [],
            "appeal_email": "",
        },
        "appeal_window": spec("appeal_filing", None),
        "appeal_decision": spec("appeal_decision", (10, "working")),
        "exemptions": [label for _code, label in rules.exemptions[:2]],
    }


def sample_context(law: str = "us-foia", kind: str = "request") -> dict[str, Any]:
    """A complete, realistic context for ``law`` and ``kind`` (raises ValueError if unknown)."""
    if kind not in LETTER_KINDS:
        raise ValueError(f"unknown letter kind {kind!r}")
    if law not in law_slugs():
        raise ValueError(f"unknown law {law!r}")
    spec = _AGENCIES.get(law) or _generic_spec(law)
    texts = law_text(law)
    federal = law == "us-foia"
    _count, unit = spec["clock"]
    response_due = _shift(_SENT, spec["clock"])
    assert response_due is not None
    deadlines: dict[str, Any] = {
        "response_due": response_due.isoformat(),
        "days_late": None,
        "days_late_unit": f"{unit} days",
        "appeal_due": None,
    }
    letter_date = _SENT
    determination: dict[str, Any] | None = None
    if kind == "follow-up":
        letter_date = _FOLLOW_UP
        deadlines["days_late"] = (
            _workdays_between(response_due, _FOLLOW_UP)
            if unit == "working"
            else (_FOLLOW_UP - response_due).days
        )
    elif kind == "appeal":
        letter_date = _APPEAL
        appeal_due = _shift(_DETERMINATION, spec["appeal_window"])
        decision_due = _shift(_APPEAL, spec["appeal_decision"])
        deadlines = {
            "response_due": decision_due.isoformat() if decision_due else None,
            "days_late": None,
            "days_late_unit": deadlines["days_late_unit"],
            "appeal_due": appeal_due.isoformat() if appeal_due else None,
        }
        determination = {
            "date": _DETERMINATION.isoformat(),
            "summary": (
                "The agency located 412 pages of responsive records. It released 37 pages "
                "in part and withheld 375 pages in full, stating that the records are "
                '"internal deliberations and investigative techniques".\n\n'
                "It did not describe the withheld records or explain why no further "
                "portion could be released."
            ),
            "exemptions": list(spec["exemptions"]),
        }
    context: dict[str, Any] = {
        "ref": "FT-2025-0042",
        "letter_date": letter_date.isoformat(),
        "law": {
            "slug": law,
            "name": texts["name"],
            "citation": texts["citation"],
            "response_period": texts.get("response_period") or "",
            "response_citation": texts.get("response_citation") or "",
        },
        "requester": copy.deepcopy(_REQUESTER),
        "organization": copy.deepcopy(_ORGANIZATION),
        "agency": copy.deepcopy(spec["agency"]),
        "request": {
            "title": "Use of automated license plate readers, 2023–2025",
            "records_sought": (
                "1. Contracts, amendments and invoices with any vendor of automated "
                "license plate reader (ALPR) systems or ALPR data.\n"
                "2. Policies, training materials and audit reports governing the "
                "retention, sharing and use of ALPR data.\n"
                "3. Records sufficient to show every outside agency with which ALPR "
                "data was shared, and the number of queries made by each.\n\n"
                "This request does not seek the underlying plate scans or any "
                "individual's location history."
            ),
            "date_from": "2023-01-01",
            "date_to": "2025-05-31",
            "preferred_format": (
                "searchable PDF, with spreadsheets in their native format (.xlsx or .csv)"
            ),
            "fee_category": "educational, noncommercial scientific or news media"
            if federal
            else "",
            "fee_ceiling": "250.00",
            "fee_waiver": federal,
            "fee_waiver_justification": (
                "The Civic Records Law Clinic is a nonprofit that publishes the records it "
                "obtains, with analysis, on its website at no charge. How license plate "
                "data is kept and shared is the subject of active public debate, and the "
                "requested records are not otherwise public."
                if federal
                else ""
            ),
            "expedited": federal,
            "expedited_justification": (
                "Congress is considering limits on federal access to commercial ALPR "
                "databases this session; there is an urgency to inform the public about "
                "actual federal government activity, and the Clinic is primarily engaged "
                "in disseminating information."
                if federal
                else ""
            ),
            "tracking_number": ""
            if kind == "request"
            else f"{spec['agency']['slug'].upper()}-2025-00817",
            "sent_date": _SENT.isoformat(),
        },
        "deadlines": deadlines,
        "determination": determination,
        "custom": {
            "intro": "",
            "closing": "",
            "appeal_grounds": (
                "The response withholds 375 pages in full without describing them. "
                "Contracts and invoices with a vendor, and the policies that govern a "
                "program, are not deliberative and reveal no investigative technique that "
                "is not already publicly known.\n\n"
                "At a minimum, the names of the agencies with which data was shared, the "
                "contract prices and the audit results can be released."
                if kind == "appeal"
                else ""
            ),
        },
    }
    return context
