"""Table-driven statute cases, each worked out by hand against the statute and a printed
calendar (``python -c 'import calendar; print(calendar.month(2026, 1))'``).

Convention in the comments: "(n)" is the n-th counted day; "skip" names why a day does
not count; "+N" is a calendar-day addition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from foia.deadlines import AgencyRules, Closure, LedgerEvent, compute_clocks, load_law

ET = timezone(timedelta(hours=-5))  # Eastern Standard Time offset (winter dates)
EDT = timezone(timedelta(hours=-4))
PST = timezone(timedelta(hours=-8))
PDT = timezone(timedelta(hours=-7))


def D(s: str) -> date:
    return date.fromisoformat(s)


def ev(kind: str, on: str | date | datetime, **data: object) -> LedgerEvent:
    return LedgerEvent(kind, D(on) if isinstance(on, str) else on, dict(data))


def rcv(on: str | datetime) -> LedgerEvent:
    return ev("received", on)


@dataclass
class Case:
    id: str
    law: str
    events: list[LedgerEvent]
    kind: str
    due: date | None
    agency: AgencyRules | None = None
    closures: tuple[Closure, ...] = ()
    expedited: bool = False
    status: str | None = None
    mentions: tuple[str, ...] = field(default=())
    options: tuple[str, ...] = ()


CASES: list[Case] = [
    # ------------------------------------------------------------------ US FOIA
    # Received Mon 2026-01-05, 20 working days, day 1 = Tue Jan 6: Jan 6-9 (4), 12-16 (9),
    # Jan 19 MLK Day skip, 20-23 (13), 26-30 (18), Feb 2 (19), Feb 3 (20).
    Case("us-basic", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-03"),
         mentions=("Martin Luther King Jr. Day", "5 U.S.C. § 552(a)(6)(A)(i)")),
    # Received Sat 2026-01-03. § 552(a)(6)(A)(i) counts "20 days (excepting Saturdays, Sundays, and
    # legal public holidays) after the receipt" and defers nothing: day 1 = Mon Jan 5: Jan 5-9 (5),
    # 12-16 (10), 19 MLK skip, 20-23 (14), 26-30 (19), Feb 2 (20). (Deferring to Monday gave Feb 3.)
    Case("us-saturday-receipt", "us-foia", [rcv("2026-01-03")], "response", D("2026-02-02")),
    # Received Thu 2026-01-01 (New Year's Day), not deferred: day 1 Fri Jan 2 (1), Jan 5-9 (6),
    # 12-16 (11), 19 skip, 20-23 (15), 26-30 (20).
    Case("us-holiday-receipt", "us-foia", [rcv("2026-01-01")], "response", D("2026-01-30")),
    # 17:30 Eastern: no after-hours cut-off in the statute -> received Mon Jan 5 -> as us-basic, Feb 3.
    Case("us-after-hours", "us-foia", [rcv(datetime(2026, 1, 5, 17, 30, tzinfo=ET))], "response", D("2026-02-03")),
    # 16:59 Eastern is within hours -> received Jan 5 -> Feb 3.
    Case("us-before-hours", "us-foia", [rcv(datetime(2026, 1, 5, 16, 59, tzinfo=ET))], "response", D("2026-02-03")),
    # 22:30 UTC = 14:30 Pacific: an agency in Los Angeles received it within hours -> Feb 3.
    Case("us-tz-la-agency", "us-foia", [rcv(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))], "response",
         D("2026-02-03"), agency=AgencyRules(slug="doj-oip", timezone="America/Los_Angeles")),
    # Same instant, agency in New York: 17:30 Eastern, still Mon Jan 5 there (no cut-off) -> Feb 3.
    Case("us-tz-ny-agency", "us-foia", [rcv(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))], "response",
         D("2026-02-03"), agency=AgencyRules(slug="doj-oip", timezone="America/New_York")),
    # Same instant, agency in Honolulu: 12:30 local on Mon Jan 5 -> Feb 3; in Guam (UTC+10) it is
    # already 08:30 Tue Jan 6 -> received Jan 6, day 1 Jan 7 -> one working day later, Feb 4.
    Case("us-tz-guam-agency", "us-foia", [rcv(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))], "response",
         D("2026-02-04"), agency=AgencyRules(slug="doj-oip", timezone="Pacific/Guam")),
    # Received Fri 2025-12-19, day 1 Mon Dec 22: 22 (1), 23 (2), 24 (3), Dec 25 skip, 26 (4),
    # 29-31 (7), Jan 1 skip, Jan 2 (8), 5-9 (13), 12-16 (18), 19 skip, 20 (19), 21 (20).
    Case("us-year-boundary", "us-foia", [rcv("2025-12-19")], "response", D("2026-01-21")),
    # Same, with the executive-order closures of Dec 24 and Dec 26, 2025 passed as closures: they are
    # not legal public holidays (5 U.S.C. § 6103(a)), so § 552(a)(6)(A) still counts them: Jan 21.
    Case("us-eo-closures", "us-foia", [rcv("2025-12-19")], "response", D("2026-01-21"),
         closures=(Closure(D("2025-12-24"), "Executive order closure"),
                   Closure(D("2025-12-26"), "Executive order closure")),
         mentions=("Office closure(s) not counted", "Wed 2025-12-24 (Executive order closure)", "6103(a)")),
    # ...and they do not lengthen the requester's appeal window either: Mon 2025-12-01 + 90 calendar
    # days = Dec 31 (30), Jan 31 (61), Feb 28 (89), Sun Mar 1 2026 (90), no roll.
    Case("us-eo-closures-appeal-window", "us-foia", [rcv("2025-11-03"), ev("determination", "2025-12-01")],
         "appeal_filing", D("2026-03-01"),
         closures=(Closure(D("2025-12-24"), "Executive order closure"),
                   Closure(D("2025-12-26"), "Executive order closure")),
         mentions=("not counted",)),
    # Expedited decision: 10 calendar days, not extended by a closure either: Mon 2025-12-22 + 10 =
    # Thu Jan 1 2026 (no roll; see us-expedited).
    Case("us-eo-closures-expedited", "us-foia", [rcv("2025-12-22")], "expedited_decision", D("2026-01-01"),
         expedited=True, closures=(Closure(D("2025-12-24"), "Executive order closure"),),
         mentions=("not counted",)),
    # New Year's Day 2022 fell on Saturday: observed Fri 2021-12-31 (5 U.S.C. § 6103(b)).
    # Received Thu 2021-12-23: Dec 24 skip (Christmas observed), 27-30 (4), Dec 31 skip,
    # Jan 3-7 (9), 10-14 (14), Jan 17 MLK skip, 18-21 (18), 24 (19), 25 (20).
    Case("us-new-year-observed-dec31", "us-foia", [rcv("2021-12-23")], "response", D("2022-01-25"),
         mentions=("New Year's Day (observed: 5 U.S.C. § 6103(b))",)),
    # 2027: Christmas Sat -> Fri Dec 24 observed; New Year's 2028 Sat -> Fri Dec 31 observed.
    # Received Thu 2027-12-23: 24 skip, 27-30 (4), 31 skip, Jan 3-7 (9), 10-14 (14),
    # Jan 17 MLK skip, 18-21 (18), 24 (19), 25 (20).
    Case("us-2027-double-observed", "us-foia", [rcv("2027-12-23")], "response", D("2028-01-25")),
    # Juneteenth Fri 2026-06-19 and Independence Day observed Fri Jul 3. Received Wed Jun 17:
    # 18 (1), 19 skip, 22-26 (6), 29-30 (8), Jul 1-2 (10), 3 skip, 6-10 (15), 13-17 (20).
    Case("us-juneteenth-july3", "us-foia", [rcv("2026-06-17")], "response", D("2026-07-17"),
         mentions=("Juneteenth National Independence Day", "Independence Day (observed: 5 U.S.C. § 6103(b))")),
    # Thanksgiving Thu 2026-11-26 (the Friday after is a federal working day). Received Fri
    # Nov 20: 23-25 (3), 26 skip, 27 (4), 30 (5), Dec 1-4 (9), 7-11 (14), 14-18 (19), 21 (20).
    Case("us-thanksgiving", "us-foia", [rcv("2026-11-20")], "response", D("2026-12-21")),
    # Extension +10 working days after Feb 3: Feb 4-6 (3), 9-13 (8), Feb 16 Washington's
    # Birthday skip, 17 (9), 18 (10).
    Case("us-extension", "us-foia", [rcv("2026-01-05"), ev("extension", "2026-01-26")], "response",
         D("2026-02-18"), mentions=("5 U.S.C. § 552(a)(6)(B)(i)",)),
    # A shorter extension in data (days=3): Feb 4, 5, 6.
    Case("us-extension-3-days", "us-foia", [rcv("2026-01-05"), ev("extension", "2026-01-26", days=3)],
         "response", D("2026-02-06")),
    # days=30 is capped at the statutory 10 -> as us-extension.
    Case("us-extension-capped", "us-foia", [rcv("2026-01-05"), ev("extension", "2026-01-26", days=30)],
         "response", D("2026-02-18")),
    # Toll Thu Jan 8 (question; counts) to Mon Jan 12 (answer): Jan 6-8 (3), 9-12 paused,
    # 13-16 (7), 19 skip, 20-23 (11), 26-30 (16), Feb 2-5 (20).
    Case("us-toll", "us-foia", [rcv("2026-01-05"), ev("toll_start", "2026-01-08"), ev("toll_end", "2026-01-12")],
         "response", D("2026-02-05"), mentions=("Paused", "552(a)(6)(A)(ii)")),
    # Toll Fri Jan 9 (counts, day 4) to Mon Jan 12: only Mon 12 is a lost working day -> Feb 4.
    Case("us-toll-over-weekend", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-01-09"), ev("toll_end", "2026-01-12")], "response", D("2026-02-04")),
    # Toll plus extension: us-toll gives Feb 5; +10: Feb 6 (1), 9-13 (6), 16 skip, 17-20 (10).
    Case("us-toll-and-extension", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-01-08"), ev("toll_end", "2026-01-12"), ev("extension", "2026-01-30")],
         "response", D("2026-02-20")),
    # 5 U.S.C. § 552(a)(6)(A)(ii)(I): one toll for information. A second one (Jan 14 -> 16) is
    # ignored: as us-toll, Feb 5.
    Case("us-second-information-toll", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-01-08"), ev("toll_end", "2026-01-12"),
          ev("toll_start", "2026-01-14", reason="information"), ev("toll_end", "2026-01-16")],
         "response", D("2026-02-05"), mentions=("allows only one toll for information",)),
    # (ii)(II): fee tolls are unlimited. Two fee tolls (Jan 8 -> 12, Jan 14 -> 16) lose Fri 9, Mon 12,
    # Thu 15, Fri 16: us-basic Feb 3 + Feb 4, 5, 6, 9 = Mon Feb 9.
    Case("us-two-fee-tolls", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-01-08", reason="fees"), ev("toll_end", "2026-01-12"),
          ev("toll_start", "2026-01-14", reason="fees"), ev("toll_end", "2026-01-16")],
         "response", D("2026-02-09")),
    # One information toll then one fee toll both count: as us-two-fee-tolls, Feb 9.
    Case("us-information-then-fee-toll", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-01-08"), ev("toll_end", "2026-01-12"),
          ev("toll_start", "2026-01-14", reason="fees"), ev("toll_end", "2026-01-16")],
         "response", D("2026-02-09")),
    # Open toll: clock stopped, no date.
    Case("us-open-toll", "us-foia", [rcv("2026-01-05"), ev("toll_start", "2026-01-08")], "response", None,
         status="paused"),
    # A toll that starts after the deadline passed changes nothing.
    Case("us-toll-after-deadline", "us-foia",
         [rcv("2026-01-05"), ev("toll_start", "2026-02-10"), ev("toll_end", "2026-02-20")], "response", D("2026-02-03")),
    # Federal FOIA pauses, it does not restart: the restart is ignored with a note.
    Case("us-restart-ignored", "us-foia", [rcv("2026-01-05"), ev("restart", "2026-01-20")], "response",
         D("2026-02-03"), mentions=("ignored",)),
    # Agreed date replaces the deadline.
    Case("us-agreed-date", "us-foia", [rcv("2026-01-05"), ev("agreed_date", "2026-01-20", date="2026-03-31")],
         "response", D("2026-03-31")),
    # Expedited: 10 calendar days after the request, Wed Jan 7 + 10 = Sat Jan 17 (no roll).
    Case("us-expedited", "us-foia", [rcv("2026-01-07")], "expedited_decision", D("2026-01-17"), expedited=True,
         mentions=("552(a)(6)(E)(ii)(I)", "28 C.F.R. § 16.5(e)(4)")),
    # Received Sat 2026-01-10: "within 10 days after the date of the request", no deferral to Monday:
    # + 10 = Tue Jan 20 (deferring gave Jan 22).
    Case("us-expedited-saturday", "us-foia", [rcv("2026-01-10")], "expedited_decision", D("2026-01-20"),
         expedited=True),
    # DHS: its own regulation is cited, 6 C.F.R. § 5.5(e)(4); Wed Jan 7 + 10 = Sat Jan 17.
    Case("dhs-expedited", "us-foia", [rcv("2026-01-07")], "expedited_decision", D("2026-01-17"), expedited=True,
         agency=AgencyRules(slug="dhs-uscis"), mentions=("6 C.F.R. § 5.5(e)(4)", "552(a)(6)(E)(ii)(I)")),
    # Appeal window: Mon 2026-03-02 + 90 calendar days = Mar 31 (29), Apr 30 (59), May 31 (90),
    # a Sunday; no roll-forward (conservative).
    Case("us-appeal-filing", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-05-31")),
    # An agency without an override (DOJ) uses the law's default.
    Case("us-appeal-no-override", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")],
         "appeal_filing", D("2026-05-31"), agency=AgencyRules(slug="doj-oip")),
    # DHS components: 90 working days (6 C.F.R. § 5.8(a)(1)) from Mon Mar 2: Mar 3-31 (21),
    # April 22 working days (43), May 21 weekdays less Memorial Day May 25 (63), June 22
    # weekdays less Juneteenth (84), Jul 1-2 (86), Jul 3 observed skip, Jul 6-9 (90).
    Case("dhs-ice-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs-ice"),
         mentions=("6 C.F.R. § 5.8(a)(1)", "postmarked or, if submitted electronically, transmitted")),
    Case("dhs-cbp-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs-cbp")),
    Case("dhs-privacy-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs-privacy")),
    # The department itself (slug "dhs", the 18F directory's headquarters row) takes the DHS rules too, and
    # an imported component keeps them by its parent's prefix (dhs-uscis from the 18F data).
    Case("dhs-parent-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs"), mentions=("6 C.F.R. § 5.8(a)(1)",)),
    # A slug that merely starts with the letters (dhsa-...) is not DHS: the default 90 calendar days,
    # Mar 2 + 90 = May 31 (as doj-oip above).
    Case("not-dhs-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-05-31"), agency=AgencyRules(slug="dhsa-office")),
    # DHS has no response-clock override: as us-basic.
    Case("dhs-response-default", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-03"),
         agency=AgencyRules(slug="dhs-ice")),
    # Interior counts the receipt day (43 C.F.R. § 2.16(a)): Jan 5 (1) ... Jan 30 (19), Feb 2 (20).
    Case("interior-receipt-day", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="interior-blm"), mentions=("43 C.F.R. § 2.16(a)",)),
    # The 18F directory's Interior slugs (doi, doi-<bureau>) take the same rules by their parent.
    Case("doi-receipt-day", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="doi-bureau-of-land-management"), mentions=("43 C.F.R. § 2.16(a)",)),
    Case("doi-parent-receipt-day", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="doi"), mentions=("43 C.F.R. § 2.16(a)",)),
    # Interior, received Saturday Jan 3 -> counts as received Mon Jan 5 -> day 1 = Jan 5 -> Feb 2.
    Case("interior-saturday", "us-foia", [rcv("2026-01-03")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="interior-nps")),
    # Interior: 43 C.F.R. § 2.58(a), the appeal must be received "no later than 90 workdays from the
    # date of the final response" (the calendar-day default gave May 31). Same count as dhs-ice-appeal:
    # Mar 3-31 (21), Apr (43), May less Memorial Day (63), Jun less Juneteenth (84), Jul 1-2 (86),
    # Jul 3 observed skip, Jul 6-9 (90).
    Case("interior-appeal-90-workdays", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")],
         "appeal_filing", D("2026-07-09"), agency=AgencyRules(slug="interior-blm"), mentions=("43 C.F.R. § 2.58(a)",)),
    # Mon 2025-12-01: Dec 2-5 (4), 8-12 (9), 15-19 (14), 22-24 (17), 25 skip, 26 (18), 29-31 (21),
    # Jan 1 skip, 2 (22), 5-9 (27), 12-16 (32), 19 MLK skip, 20-23 (36), 26-30 (41), Feb 2-6 (46),
    # 9-13 (51), 16 skip, 17-20 (55), 23-27 (60), Mar 2-6 (65), 9-13 (70), 16-20 (75), 23-27 (80),
    # 30-31 (82), Apr 1-3 (85), 6-10 (90). The Dec 24/26 executive-order closures change nothing.
    Case("interior-appeal-over-new-year", "us-foia", [rcv("2025-11-03"), ev("determination", "2025-12-01")],
         "appeal_filing", D("2026-04-10"), agency=AgencyRules(slug="interior-fws"),
         closures=(Closure(D("2025-12-24"), "Executive order closure"),
                   Closure(D("2025-12-26"), "Executive order closure"))),
    # Appeal decision: appeal received Mon 2026-06-01: Jun 2-5 (4), 8-12 (9), 15-18 (13),
    # 19 skip, 22-26 (18), 29 (19), 30 (20).
    Case("us-appeal-decision", "us-foia",
         [rcv("2026-01-05"), ev("determination", "2026-05-20"), ev("appeal_filed", "2026-06-01")],
         "appeal_decision", D("2026-06-30")),
    # ------------------------------------------------------------------ California CPRA
    # Mon 2026-02-02 + 10 = Thu Feb 12, Lincoln's Birthday (CCP § 135) -> Fri Feb 13.
    Case("ca-lincoln", "ca-cpra", [rcv("2026-02-02")], "response", D("2026-02-13"),
         mentions=("Lincoln's Birthday", "Roll-forward: Code Civ. Proc. §§ 12a, 135")),
    # Tue 2026-09-15 + 10 = Fri Sep 25, Native American Day -> Sat, Sun -> Mon Sep 28.
    Case("ca-native-american-day", "ca-cpra", [rcv("2026-09-15")], "response", D("2026-09-28"),
         mentions=("Native American Day", "Saturday")),
    # Mon 2026-11-16 + 10 = Thu Nov 26 Thanksgiving, Fri 27 day after, Sat, Sun -> Mon Nov 30.
    Case("ca-thanksgiving", "ca-cpra", [rcv("2026-11-16")], "response", D("2026-11-30")),
    # Fri 2026-10-02 + 10 = Mon Oct 12, Columbus Day: not a judicial holiday -> Oct 12.
    Case("ca-columbus-not-holiday", "ca-cpra", [rcv("2026-10-02")], "response", D("2026-10-12")),
    # Tue 2026-06-23 + 10 = Fri Jul 3 (Independence Day observed by the courts) -> Mon Jul 6.
    Case("ca-july3-observed", "ca-cpra", [rcv("2026-06-23")], "response", D("2026-07-06"),
         mentions=("Independence Day (observed: Cal. Rules of Court, rule 1.11)",)),
    # Tue 2028-03-21 + 10 = Fri Mar 31 2028, Cesar Chavez Day -> Mon Apr 3 2028.
    Case("ca-cesar-chavez", "ca-cpra", [rcv("2028-03-21")], "response", D("2028-04-03")),
    # "within 10 days from receipt" (§ 7922.535(a)); CCP § 12 excludes only the day of receipt and
    # nothing defers a Saturday receipt: Sat 2026-01-10 + 10 = Tue Jan 20, a court day (MLK Day is
    # Mon Jan 19) -> Jan 20. (Deferring to Monday gave Jan 22.)
    Case("ca-saturday-receipt", "ca-cpra", [rcv("2026-01-10")], "response", D("2026-01-20")),
    # Sat 2026-03-21 + 10 = Tue Mar 31, Cesar Chavez Day (not a court day) -> Wed Apr 1.
    Case("ca-saturday-receipt-rolls", "ca-cpra", [rcv("2026-03-21")], "response", D("2026-04-01"),
         mentions=("Cesar Chavez Day",)),
    # Fri 2026-11-20 18:00 Pacific: no after-hours cut-off -> received Fri Nov 20; + 10 = Mon Nov 30,
    # a court day. (Deferring to Monday Nov 23 gave Dec 3.)
    Case("ca-after-hours-friday", "ca-cpra", [rcv(datetime(2026, 11, 20, 18, 0, tzinfo=PST))], "response",
         D("2026-11-30")),
    # Tue 2026-12-22 + 10 = Fri Jan 1 2027 -> Sat, Sun -> Mon Jan 4 2027.
    Case("ca-new-year", "ca-cpra", [rcv("2026-12-22")], "response", D("2027-01-04")),
    # Mon 2026-12-21 + 10 = Thu Dec 31 2026, a court day.
    Case("ca-dec31-open", "ca-cpra", [rcv("2026-12-21")], "response", D("2026-12-31")),
    # Mon 2026-03-09 + 10 = Thu Mar 19, office closed (CCP § 12b) -> Fri Mar 20.
    Case("ca-closure", "ca-cpra", [rcv("2026-03-09")], "response", D("2026-03-20"),
         closures=(Closure(D("2026-03-19"), "Storm"),), mentions=("Closure: Storm",)),
    # Extension: the period is lengthened to 24 days and rolled once: Mon Nov 16 + 24 = Thu
    # Dec 10 (rolling first, Nov 30 + 14, would give Dec 14).
    Case("ca-extension-rolls-once", "ca-cpra", [rcv("2026-11-16"), ev("extension", "2026-11-20")], "response",
         D("2026-12-10"), mentions=("7922.535(b)",)),
    # No expedited processing, no appeal.
    Case("ca-no-expedited", "ca-cpra", [rcv("2026-02-02")], "expedited_decision", None, expedited=True, status="n/a"),
    Case("ca-no-appeal", "ca-cpra", [rcv("2026-02-02"), ev("determination", "2026-02-10")], "appeal_filing", None,
         status="n/a"),
    # ------------------------------------------------------------------ New York FOIL
    # Mon 2026-02-09: 10 (1), 11 (2), Feb 12 Lincoln's Birthday skip, 13 (3), Feb 16 skip, 17 (4), 18 (5).
    Case("ny-lincoln", "ny-foil", [rcv("2026-02-09")], "response", D("2026-02-18")),
    # Wed 2026-07-01: Jul 2 (1); Jul 3 is a NY working day (GCL § 24: no Saturday shift) (2);
    # 6-8 (5).
    Case("ny-no-saturday-shift", "ny-foil", [rcv("2026-07-01")], "response", D("2026-07-08")),
    # Thu 2027-12-23: Christmas Sat is not moved in NY: Dec 24 (1), 27-30 (5).
    Case("ny-christmas-saturday", "ny-foil", [rcv("2027-12-23")], "response", D("2027-12-30")),
    # Election Day Tue 2026-11-03. Fri Oct 30: Nov 2 (1), 3 skip, 4-6 (4), 9 (5).
    Case("ny-election-day", "ny-foil", [rcv("2026-10-30")], "response", D("2026-11-09"), mentions=("Election Day",)),
    # Agency whose day ends at 4 pm (AO-17063): 16:30 Mon Feb 9 -> received Tue Feb 10:
    # 11 (1), 12 skip, 13 (2), 16 skip, 17 (3), 18 (4), 19 (5).
    Case("ny-4pm-agency", "ny-foil", [rcv(datetime(2026, 2, 9, 16, 30, tzinfo=ET))], "response", D("2026-02-19"),
         agency=AgencyRules(slug="nyc-nypd", timezone="America/New_York", business_hours_end=time(16, 0))),
    # FOIL has no tolling: the toll is ignored (as ny-lincoln).
    Case("ny-toll-ignored", "ny-foil", [rcv("2026-02-09"), ev("toll_start", "2026-02-10"), ev("toll_end", "2026-02-13")],
         "response", D("2026-02-18"), mentions=("ignored",)),
    # No fixed extension: ignored.
    Case("ny-extension-ignored", "ny-foil", [rcv("2026-02-09"), ev("extension", "2026-02-10")], "response",
         D("2026-02-18")),
    # Date certain agreed.
    Case("ny-date-certain", "ny-foil", [rcv("2026-02-09"), ev("agreed_date", "2026-02-13", date="2026-03-16")],
         "response", D("2026-03-16")),
    # Appeal: Fri 2026-10-02 + 30 = Sun Nov 1 -> Mon Nov 2 (GCL § 25-a).
    Case("ny-appeal-roll", "ny-foil", [rcv("2026-09-01"), ev("determination", "2026-10-02")], "appeal_filing",
         D("2026-11-02")),
    # Sun 2026-10-04 + 30 = Tue Nov 3, Election Day -> Wed Nov 4.
    Case("ny-appeal-election-day", "ny-foil", [rcv("2026-09-01"), ev("determination", "2026-10-04")],
         "appeal_filing", D("2026-11-04")),
    # Appeal received Mon Nov 2: Nov 3 skip, 4-6 (3), 9-10 (5), 11 Veterans Day skip, 12-13 (7), 16-18 (10).
    Case("ny-appeal-decision", "ny-foil",
         [rcv("2026-09-01"), ev("determination", "2026-10-02"), ev("appeal_filed", "2026-11-02")],
         "appeal_decision", D("2026-11-18")),
    # ------------------------------------------------------------------ Texas PIA
    # Mon 2026-02-23: 24-27 (4), Mar 2 Texas Independence Day skip, 3-6 (8), 9 (9), 10 (10).
    Case("tx-independence-day", "tx-pia", [rcv("2026-02-23")], "response", D("2026-03-10"),
         mentions=("Texas Independence Day",)),
    # 15th business day (§ 552.301(e)): Mar 11-13 (13), 16 (14), 17 (15).
    Case("tx-ag-arguments", "tx-pia", [rcv("2026-02-23")], "ag_arguments", D("2026-03-17")),
    # Cesar Chavez Day and Good Friday are optional holidays (count unless the body observes
    # them): Mon 2026-03-30: 31 (1), Apr 1-3 (4), 6-10 (9), 13 (10).
    Case("tx-optional-holidays-count", "tx-pia", [rcv("2026-03-30")], "response", D("2026-04-13")),
    # ...unless the office observes them (§ 552.0031(c)): closures on Mar 31 and Apr 3:
    # Apr 1-2 (2), 6-10 (7), 13-15 (10).
    Case("tx-optional-holidays-observed", "tx-pia", [rcv("2026-03-30")], "response", D("2026-04-15"),
         closures=(Closure(D("2026-03-31"), "Cesar Chavez Day (optional, observed)"),
                   Closure(D("2026-04-03"), "Good Friday (optional, observed)"))),
    # Restart on Wed Mar 11 (clarification answered): Mar 12-13 (2), 16-20 (7), 23-25 (10).
    Case("tx-restart", "tx-pia", [rcv("2026-02-23"), ev("restart", "2026-03-11")], "response", D("2026-03-25"),
         mentions=("City of Dallas v. Abbott",)),
    # Restart on Sat Mar 14, not deferred: day 1 Mon Mar 16: 16-20 (5), 23-27 (10).
    Case("tx-restart-saturday", "tx-pia", [rcv("2026-02-23"), ev("restart", "2026-03-14")], "response",
         D("2026-03-27")),
    # Toll events are not the Texas model: ignored (as tx-independence-day).
    Case("tx-toll-ignored", "tx-pia", [rcv("2026-02-23"), ev("toll_start", "2026-02-24"), ev("toll_end", "2026-03-05")],
         "response", D("2026-03-10")),
    # Fri 2026-12-18: 21-23 (3), Dec 24 Christmas Eve and Dec 25 skip, 28-31 (7), Jan 1 skip,
    # Jan 4-6 (10).
    Case("tx-christmas", "tx-pia", [rcv("2026-12-18")], "response", D("2027-01-06")),
    # Independence Day Sat Jul 4: Fri Jul 3 is a business day (§ 552.0031(e)) unless the body
    # observes it. Mon Jun 22: 23-26 (4), 29-30 (6), Jul 1-3 (9), 6 (10).
    Case("tx-july3-business-day", "tx-pia", [rcv("2026-06-22")], "response", D("2026-07-06")),
    # LBJ Day Thu Aug 27: Mon Aug 24: 25-26 (2), 27 skip, 28 (3), 31 (4), Sep 1-4 (8),
    # Sep 7 Labor Day skip, 8-9 (10).
    Case("tx-lbj-day", "tx-pia", [rcv("2026-08-24")], "response", D("2026-09-09")),
    Case("tx-no-appeal", "tx-pia", [rcv("2026-02-23"), ev("determination", "2026-03-01")], "appeal_filing", None,
         status="n/a"),
    # ------------------------------------------------------------------ Illinois FOIA
    # Mon 2026-02-09: 10-11 (2), Lincoln's Birthday skip, 13 (3), 16 skip, 17-18 (5).
    Case("il-lincoln", "il-foia", [rcv("2026-02-09")], "response", D("2026-02-18")),
    # Thu 2026-02-26: 27 (1), Mar 2 Casimir Pulaski Day skip, 3-6 (5).
    Case("il-pulaski", "il-foia", [rcv("2026-02-26")], "response", D("2026-03-06")),
    # Mon 2026-03-30: 31 (1), Apr 1-2 (3), Apr 3 Good Friday skip, 6-7 (5).
    Case("il-good-friday", "il-foia", [rcv("2026-03-30")], "response", D("2026-04-07")),
    # June 19 2027 is a Saturday: 5 ILCS 490/63, "neither the preceding Friday nor the following
    # Monday" is a holiday. Mon 2027-06-14: 15-17 (3), Fri 18 counts (4), 21 (5). (Package: Jun 22.)
    Case("il-juneteenth-no-friday", "il-foia", [rcv("2027-06-14")], "response", D("2027-06-21")),
    # July 4 2026 is a Saturday; no statute makes Fri Jul 3 an Illinois holiday (5 ILCS 70/1.11).
    # Mon 2026-06-29: 30 (1), Jul 1-2 (3), Fri 3 counts (4), 6 (5). (Package: Jul 7.)
    Case("il-july3-counts", "il-foia", [rcv("2026-06-29")], "response", D("2026-07-06")),
    # Christmas 2027 is a Saturday: Fri Dec 24 counts. Mon 2027-12-20: 21-24 (4), 27 (5).
    Case("il-christmas-eve-counts", "il-foia", [rcv("2027-12-20")], "response", D("2027-12-27")),
    # Extension +5 business days after Feb 18: 19-20 (2), 23-25 (5).
    Case("il-extension", "il-foia", [rcv("2026-02-09"), ev("extension", "2026-02-13")], "response", D("2026-02-25")),
    # PAC review: Fri 2026-09-04 + 60 = Sep 30 (26), Oct 31 (57), Nov 3 (60), Election Day ->
    # Wed Nov 4.
    Case("il-appeal-roll", "il-foia", [rcv("2026-08-20"), ev("determination", "2026-09-04")], "appeal_filing",
         D("2026-11-04")),
    # PAC decision: received Mon 2026-11-02 + 60 = Nov 30 (28), Dec 31 (59), Jan 1 2027 (60),
    # a holiday -> Mon Jan 4 2027.
    Case("il-pac-decision", "il-foia",
         [rcv("2026-08-20"), ev("determination", "2026-09-04"), ev("appeal_filed", "2026-11-02")],
         "appeal_decision", D("2027-01-04")),
    # ------------------------------------------------------------------ Washington PRA
    # Mon 2026-11-23: 24-25 (2), Thanksgiving and Native American Heritage Day skip, 30 (3), Dec 1-2 (5).
    Case("wa-thanksgiving", "wa-pra", [rcv("2026-11-23")], "response", D("2026-12-02"),
         mentions=("Native American Heritage Day",)),
    # Fri 2026-10-09 17:05 Pacific: the Act has no cut-off -> received Fri Oct 9. Day 1 Mon Oct 12
    # (Columbus Day is not a WA holiday): 12-16 (5).
    Case("wa-after-hours", "wa-pra", [rcv(datetime(2026, 10, 9, 17, 5, tzinfo=PDT))], "response", D("2026-10-16")),
    # Thu 2026-07-02: Jul 3 observed skip, 6-10 (5).
    Case("wa-july3", "wa-pra", [rcv("2026-07-02")], "response", D("2026-07-10")),
    # Internal review deemed complete at the end of the 2nd business day after the denial:
    # Wed Nov 25: 26, 27 skip, 30 (1), Dec 1 (2).
    Case("wa-review-complete", "wa-pra", [rcv("2026-11-10"), ev("determination", "2026-11-25")], "appeal_decision",
         D("2026-12-01")),
    Case("wa-no-filing-deadline", "wa-pra", [rcv("2026-11-10"), ev("determination", "2026-11-25")], "appeal_filing",
         None, status="n/a"),
    # ------------------------------------------------------------------ Florida
    Case("fl-no-fixed-period", "fl-prl", [rcv("2026-02-09")], "response", None, status="n/a",
         mentions=("119.07(1)(c)",)),
    Case("fl-no-appeal", "fl-prl", [rcv("2026-02-09"), ev("determination", "2026-02-20")], "appeal_filing", None,
         status="n/a"),
    # ------------------------------------------------------------------ Massachusetts
    # Mon 2026-04-13: 14-17 (4), Apr 20 Patriots' Day skip, 21-24 (8), 27-28 (10).
    Case("ma-patriots-day", "ma-prl", [rcv("2026-04-13")], "response", D("2026-04-28"), mentions=("Patriots' Day",)),
    # Sat 2026-04-18 -> Mon Apr 20 is Patriots' Day -> counts as received Tue Apr 21; day 1
    # Wed Apr 22: 22-24 (3), 27-30 (7), May 1 (8), 4-5 (10).
    Case("ma-weekend-then-holiday", "ma-prl", [rcv("2026-04-18")], "response", D("2026-05-05")),
    # Arrival on a day the office is closed (950 CMR 32.06(2)(e)): storm closure Wed 2026-03-11 ->
    # received Thu Mar 12; day 1 Fri Mar 13 (1), 16-20 (6), 23-26 (10).
    Case("ma-closed-day-receipt", "ma-prl", [rcv("2026-03-11")], "response", D("2026-03-26"),
         closures=(Closure(D("2026-03-11"), "Storm"),), mentions=("950 CMR 32.06(2)(e)",)),
    # No after-hours cut-off (the 4 pm rule was struck in 2021): 17:30 Mon 2026-03-09 -> received
    # Mar 9; day 1 Tue Mar 10: 10-13 (4), 16-20 (9), 23 (10).
    Case("ma-after-hours-same-day", "ma-prl", [rcv(datetime(2026, 3, 9, 17, 30, tzinfo=EDT))], "response",
         D("2026-03-23")),
    # Extension +15 business days after Apr 28: 29-30 (2), May 1 (3), 4-8 (8), 11-15 (13), 18-19 (15).
    Case("ma-extension", "ma-prl", [rcv("2026-04-13"), ev("extension", "2026-04-20")], "response", D("2026-05-19")),
    # Supervisor petition: Tue 2026-03-03 + 90 = Mar 31 (28), Apr 30 (58), May 31 (89), Jun 1 (90).
    Case("ma-appeal-filing", "ma-prl", [rcv("2026-02-02"), ev("determination", "2026-03-03")], "appeal_filing",
         D("2026-06-01")),
    # Appeal received Fri Jul 3 2026 (a MA working day: Jul 4 Saturday is not moved):
    # Jul 6-10 (5), 13-17 (10).
    Case("ma-appeal-decision", "ma-prl",
         [rcv("2026-05-01"), ev("determination", "2026-06-01"), ev("appeal_filed", "2026-07-03")],
         "appeal_decision", D("2026-07-17")),
    # ------------------------------------------------------------------ Pennsylvania RTKL
    # Mon 2026-11-23: 24-25 (2), Thanksgiving and Day After Thanksgiving skip, 30 (3), Dec 1-2 (5).
    Case("pa-thanksgiving", "pa-rtkl", [rcv("2026-11-23")], "response", D("2026-12-02")),
    # Extension: 30 calendar days after the 5th business day (Mon Mar 9): Mar 31 (22), Apr 8 (30).
    Case("pa-extension", "pa-rtkl", [rcv("2026-03-02"), ev("extension", "2026-03-05")], "response", D("2026-04-08"),
         mentions=("65 P.S. § 67.902(b)(2)", "ceiling", "written notice within the five business days")),
    # 1 Pa.C.S. § 1908 rolls past Good Friday (44 P.S. § 11), though State offices are open:
    # Wed 2026-02-25: 26 (1), 27 (2), Mar 2-4 (5); + 30 = Fri Apr 3, Good Friday -> Sat, Sun ->
    # Mon Apr 6. (The office calendar alone gave Apr 3.)
    Case("pa-extension-good-friday", "pa-rtkl", [rcv("2026-02-25"), ev("extension", "2026-02-27")], "response",
         D("2026-04-06"), mentions=("Good Friday (44 P.S. § 11)", "1 Pa.C.S. § 1908")),
    # Dec 2 + 30 = Fri Jan 1 2027, a holiday -> Mon Jan 4 2027 (1 Pa.C.S. § 1908).
    Case("pa-extension-new-year", "pa-rtkl", [rcv("2026-11-23"), ev("extension", "2026-11-30")], "response",
         D("2027-01-04")),
    # OOR appeal, 15 business days from Mon Nov 23: 24-25 (2), 30 (3), Dec 1-4 (7), 7-11 (12), 14-16 (15).
    Case("pa-appeal-filing", "pa-rtkl", [rcv("2026-11-10"), ev("determination", "2026-11-23")], "appeal_filing",
         D("2026-12-16")),
    # OOR decision, 30 days from Mon 2028-05-15: Wed Jun 14, Flag Day (44 P.S. § 11) -> Thu Jun 15.
    Case("pa-oor-decision-flag-day", "pa-rtkl",
         [rcv("2028-04-03"), ev("determination", "2028-04-10"), ev("appeal_filed", "2028-05-15")],
         "appeal_decision", D("2028-06-15"), mentions=("Flag Day",)),
    # 30 days from Sun 2027-10-03: Tue Nov 2, Election Day (44 P.S. § 11) -> Wed Nov 3.
    Case("pa-oor-decision-election-day", "pa-rtkl",
         [rcv("2027-09-01"), ev("determination", "2027-09-10"), ev("appeal_filed", "2027-10-03")],
         "appeal_decision", D("2027-11-03"), mentions=("Election Day (44 P.S. § 11)",)),
    # OOR decision, 30 days from Wed Dec 2: Jan 1 2027 (holiday) -> Mon Jan 4 2027.
    Case("pa-appeal-decision", "pa-rtkl",
         [rcv("2026-11-10"), ev("determination", "2026-11-23"), ev("appeal_filed", "2026-12-02")],
         "appeal_decision", D("2027-01-04")),
    # ------------------------------------------------------------------ New Jersey OPRA
    # Mon 2026-03-30: 31 (1), Apr 1-2 (3), Good Friday skip, 6-9 (7).
    Case("nj-good-friday", "nj-opra", [rcv("2026-03-30")], "response", D("2026-04-09")),
    # Lincoln's Birthday is not a State office holiday (N.J.S.A. 36:1-1(d)). Mon 2026-02-09: 10-11 (2),
    # Thu 12 counts (3), 13 (4), 16 Presidents Day skip, 17-19 (7).
    Case("nj-lincoln", "nj-opra", [rcv("2026-02-09")], "response", D("2026-02-19")),
    # A county office that closes on Lincoln's Birthday adds a closure: 10-11 (2), 12 closed, 13 (3),
    # 16 skip, 17-20 (7).
    Case("nj-county-lincoln-closure", "nj-opra", [rcv("2026-02-09")], "response", D("2026-02-20"),
         closures=(Closure(D("2026-02-12"), "County offices closed: Lincoln's Birthday"),),
         mentions=("Closure: County offices closed",)),
    # Juneteenth Day is the third Friday in June (Fri 2028-06-16), not Mon June 19. Wed 2028-06-07:
    # 8-9 (2), 12-15 (6), 16 skip, Mon 19 counts (7). (June 19 as the holiday gave Jun 16.)
    Case("nj-juneteenth-third-friday", "nj-opra", [rcv("2028-06-07")], "response", D("2028-06-19"),
         mentions=("Juneteenth Day (third Friday in June)",)),
    # General election day in an odd year: Tue 2027-11-02. Thu 2027-10-28: 29 (1), Nov 1 (2), 2 skip,
    # 3-5 (5), 8-9 (7). (Even-year-only gave Nov 8.)
    Case("nj-election-day-odd-year", "nj-opra", [rcv("2027-10-28")], "response", D("2027-11-09"),
         mentions=("General Election Day",)),
    # Commercial request, 14 business days (N.J.S.A. 47:1A-5(i); (i)(2) is the state-of-emergency
    # paragraph, so the citation no longer says (i)(2)): Mon 2026-03-30: 31 (1), Apr 1-2 (3),
    # Good Friday skip, 6-10 (8), 13-17 (13), 20 (14).
    Case("nj-commercial-14-days", "nj-opra", [rcv("2026-03-30")], "response", D("2026-04-20"),
         options=("commercial",), mentions=("47:1A-5(i) (14 business days", "Commercial request")),
    # An option the law does not have changes nothing (as nj-good-friday).
    Case("nj-unknown-option-ignored", "nj-opra", [rcv("2026-03-30")], "response", D("2026-04-09"),
         options=("news_media",)),
    # Thu 2026-10-29: 30 (1), Nov 2 (2), Election Day skip, 4-6 (5), 9-10 (7).
    Case("nj-election-day", "nj-opra", [rcv("2026-10-29")], "response", D("2026-11-10")),
    # GRC complaint: 45 calendar days since P.L.2024, c.16 (N.J.S.A. 47:1A-6, complaints filed on or
    # after 2024-09-03; the old 60 days of N.J.A.C. 5:105-2.1 gave a date 15 days too late), rolled to
    # the next business day. Wed 2026-03-04 + 45 = Mar 31 (27), Apr 18 (45) is a Saturday -> Sun ->
    # Mon Apr 20.
    Case("nj-grc-weekend-roll", "nj-opra", [rcv("2026-02-02"), ev("determination", "2026-03-04")], "appeal_filing",
         D("2026-04-20"), mentions=("47:1A-6",)),
    # Tue 2026-11-10 + 45 = Nov 30 (20), Dec 25 (45) Christmas Day (Fri) -> Sat, Sun -> Mon Dec 28.
    Case("nj-grc-holiday-roll", "nj-opra", [rcv("2026-10-26"), ev("determination", "2026-11-10")], "appeal_filing",
         D("2026-12-28"), mentions=("Christmas Day",)),
    # GRC complaint: Mon 2026-03-02 + 45 = Mar 31 (29), Thu Apr 16 (45). (60 days gave Fri May 1.)
    Case("nj-grc-filing", "nj-opra", [rcv("2026-02-02"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-04-16")),
    # Same rule across a year end: Fri 2027-11-19 + 45 = Nov 30 (11), Dec 31 (42), Mon 2028-01-03 (45).
    # 2027-12-31 is the observed New Year's Day (Jan 1, 2028 a Saturday) but day 45 is Jan 3, a business day.
    Case("nj-grc-45-days-year-end", "nj-opra", [rcv("2027-11-01"), ev("determination", "2027-11-19")],
         "appeal_filing", D("2028-01-03")),
    Case("nj-grc-no-decision-deadline", "nj-opra",
         [rcv("2026-02-02"), ev("determination", "2026-03-02"), ev("appeal_filed", "2026-03-10")],
         "appeal_decision", None, status="n/a"),
]


def _clock(case: Case):  # type: ignore[no-untyped-def]
    clocks = compute_clocks(
        load_law(case.law), case.events, agency=case.agency, closures=case.closures, expedited=case.expedited,
        options=case.options,
    )
    found = [c for c in clocks if c.kind == case.kind]
    assert len(found) == 1, f"expected one {case.kind} clock, got {[c.kind for c in clocks]}"
    return found[0]


def test_case_table_covers_every_law() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    from foia.deadlines import law_slugs
    from tests.deadlines.test_law_cases import data_case_laws

    assert {c.law for c in CASES} | data_case_laws() == set(law_slugs()), "every law has hand-checked cases"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_statute_case(case: Case) -> None:
    clock = _clock(case)
    assert clock.due == case.due, "\n".join(clock.explanation)
    if case.status is not None:
        assert clock.status == case.status
    text = "\n".join(clock.explanation)
    assert clock.explanation, "every clock explains itself"
    for needle in case.mentions:
        assert needle in text, f"{needle!r} not in explanation:\n{text}"
    if clock.due is not None:
        assert clock.citation and clock.citation in text
