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


CASES: list[Case] = [
    # ------------------------------------------------------------------ US FOIA
    # Received Mon 2026-01-05, 20 working days, day 1 = Tue Jan 6: Jan 6-9 (4), 12-16 (9),
    # Jan 19 MLK Day skip, 20-23 (13), 26-30 (18), Feb 2 (19), Feb 3 (20).
    Case("us-basic", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-03"),
         mentions=("Martin Luther King Jr. Day", "5 U.S.C. § 552(a)(6)(A)(i)")),
    # Received Sat 2026-01-03 -> counts as received Mon Jan 5 -> same as us-basic
    # (a naive count from Saturday would give Feb 2).
    Case("us-saturday-receipt", "us-foia", [rcv("2026-01-03")], "response", D("2026-02-03")),
    # Received Thu 2026-01-01 (New Year's Day) -> counts as received Fri Jan 2; day 1 Mon Jan 5:
    # Jan 5-9 (5), 12-16 (10), 19 skip, 20-23 (14), 26-30 (19), Feb 2 (20).
    Case("us-holiday-receipt", "us-foia", [rcv("2026-01-01")], "response", D("2026-02-02")),
    # 17:30 Eastern (law default zone for us-foia) is after 5 pm -> received Tue Jan 6,
    # one working day later than us-basic: Feb 4.
    Case("us-after-hours", "us-foia", [rcv(datetime(2026, 1, 5, 17, 30, tzinfo=ET))], "response", D("2026-02-04")),
    # 16:59 Eastern is within hours -> received Jan 5 -> Feb 3.
    Case("us-before-hours", "us-foia", [rcv(datetime(2026, 1, 5, 16, 59, tzinfo=ET))], "response", D("2026-02-03")),
    # 22:30 UTC = 14:30 Pacific: an agency in Los Angeles received it within hours -> Feb 3.
    Case("us-tz-la-agency", "us-foia", [rcv(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))], "response",
         D("2026-02-03"), agency=AgencyRules(slug="doj-oip", timezone="America/Los_Angeles")),
    # Same instant, agency in New York: 17:30 Eastern -> after hours -> Feb 4.
    Case("us-tz-ny-agency", "us-foia", [rcv(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))], "response",
         D("2026-02-04"), agency=AgencyRules(slug="doj-oip", timezone="America/New_York")),
    # Received Fri 2025-12-19, day 1 Mon Dec 22: 22 (1), 23 (2), 24 (3), Dec 25 skip, 26 (4),
    # 29-31 (7), Jan 1 skip, Jan 2 (8), 5-9 (13), 12-16 (18), 19 skip, 20 (19), 21 (20).
    Case("us-year-boundary", "us-foia", [rcv("2025-12-19")], "response", D("2026-01-21")),
    # Same, with the executive-order closures of Dec 24 and Dec 26, 2025 passed as closures:
    # 22 (1), 23 (2), 24 closed, 25 holiday, 26 closed, 29-31 (5), Jan 2 (6), 5-9 (11),
    # 12-16 (16), 19 skip, 20-23 (20).
    Case("us-eo-closures", "us-foia", [rcv("2025-12-19")], "response", D("2026-01-23"),
         closures=(Closure(D("2025-12-24"), "Executive order closure"),
                   Closure(D("2025-12-26"), "Executive order closure")),
         mentions=("Closure: Executive order closure",)),
    # New Year's Day 2022 fell on Saturday: observed Fri 2021-12-31 (5 U.S.C. § 6103(b)).
    # Received Thu 2021-12-23: Dec 24 skip (Christmas observed), 27-30 (4), Dec 31 skip,
    # Jan 3-7 (9), 10-14 (14), Jan 17 MLK skip, 18-21 (18), 24 (19), 25 (20).
    Case("us-new-year-observed-dec31", "us-foia", [rcv("2021-12-23")], "response", D("2022-01-25"),
         mentions=("New Year's Day (observed)",)),
    # 2027: Christmas Sat -> Fri Dec 24 observed; New Year's 2028 Sat -> Fri Dec 31 observed.
    # Received Thu 2027-12-23: 24 skip, 27-30 (4), 31 skip, Jan 3-7 (9), 10-14 (14),
    # Jan 17 MLK skip, 18-21 (18), 24 (19), 25 (20).
    Case("us-2027-double-observed", "us-foia", [rcv("2027-12-23")], "response", D("2028-01-25")),
    # Juneteenth Fri 2026-06-19 and Independence Day observed Fri Jul 3. Received Wed Jun 17:
    # 18 (1), 19 skip, 22-26 (6), 29-30 (8), Jul 1-2 (10), 3 skip, 6-10 (15), 13-17 (20).
    Case("us-juneteenth-july3", "us-foia", [rcv("2026-06-17")], "response", D("2026-07-17"),
         mentions=("Juneteenth National Independence Day", "Independence Day (observed)")),
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
    Case("us-expedited", "us-foia", [rcv("2026-01-07")], "expedited_decision", D("2026-01-17"), expedited=True),
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
         D("2026-07-09"), agency=AgencyRules(slug="dhs-ice"), mentions=("6 C.F.R. § 5.8(a)(1)",)),
    Case("dhs-cbp-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs-cbp")),
    Case("dhs-privacy-appeal", "us-foia", [rcv("2026-01-05"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-07-09"), agency=AgencyRules(slug="dhs-privacy")),
    # DHS has no response-clock override: as us-basic.
    Case("dhs-response-default", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-03"),
         agency=AgencyRules(slug="dhs-ice")),
    # Interior counts the receipt day (43 C.F.R. § 2.16(a)): Jan 5 (1) ... Jan 30 (19), Feb 2 (20).
    Case("interior-receipt-day", "us-foia", [rcv("2026-01-05")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="interior-blm"), mentions=("43 C.F.R. § 2.16(a)",)),
    # Interior, received Saturday Jan 3 -> counts as received Mon Jan 5 -> day 1 = Jan 5 -> Feb 2.
    Case("interior-saturday", "us-foia", [rcv("2026-01-03")], "response", D("2026-02-02"),
         agency=AgencyRules(slug="interior-nps")),
    # Appeal decision: appeal received Mon 2026-06-01: Jun 2-5 (4), 8-12 (9), 15-18 (13),
    # 19 skip, 22-26 (18), 29 (19), 30 (20).
    Case("us-appeal-decision", "us-foia",
         [rcv("2026-01-05"), ev("determination", "2026-05-20"), ev("appeal_filed", "2026-06-01")],
         "appeal_decision", D("2026-06-30")),
    # ------------------------------------------------------------------ California CPRA
    # Mon 2026-02-02 + 10 = Thu Feb 12, Lincoln's Birthday (CCP § 135) -> Fri Feb 13.
    Case("ca-lincoln", "ca-cpra", [rcv("2026-02-02")], "response", D("2026-02-13"), mentions=("Lincoln's Birthday",)),
    # Tue 2026-09-15 + 10 = Fri Sep 25, Native American Day -> Sat, Sun -> Mon Sep 28.
    Case("ca-native-american-day", "ca-cpra", [rcv("2026-09-15")], "response", D("2026-09-28"),
         mentions=("Native American Day", "Saturday")),
    # Mon 2026-11-16 + 10 = Thu Nov 26 Thanksgiving, Fri 27 day after, Sat, Sun -> Mon Nov 30.
    Case("ca-thanksgiving", "ca-cpra", [rcv("2026-11-16")], "response", D("2026-11-30")),
    # Fri 2026-10-02 + 10 = Mon Oct 12, Columbus Day: not a judicial holiday -> Oct 12.
    Case("ca-columbus-not-holiday", "ca-cpra", [rcv("2026-10-02")], "response", D("2026-10-12")),
    # Tue 2026-06-23 + 10 = Fri Jul 3 (Independence Day observed by the courts) -> Mon Jul 6.
    Case("ca-july3-observed", "ca-cpra", [rcv("2026-06-23")], "response", D("2026-07-06")),
    # Tue 2028-03-21 + 10 = Fri Mar 31 2028, Cesar Chavez Day -> Mon Apr 3 2028.
    Case("ca-cesar-chavez", "ca-cpra", [rcv("2028-03-21")], "response", D("2028-04-03")),
    # Sat 2026-01-10 counts as received Mon Jan 12; + 10 = Thu Jan 22.
    Case("ca-saturday-receipt", "ca-cpra", [rcv("2026-01-10")], "response", D("2026-01-22")),
    # Fri 2026-11-20 18:00 Pacific: after hours -> Sat -> counts as received Mon Nov 23; + 10 = Thu Dec 3.
    Case("ca-after-hours-friday", "ca-cpra", [rcv(datetime(2026, 11, 20, 18, 0, tzinfo=PST))], "response",
         D("2026-12-03")),
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
    # Restart on Sat Mar 14 -> counts as Mon Mar 16: 17-20 (4), 23-27 (9), 30 (10).
    Case("tx-restart-saturday", "tx-pia", [rcv("2026-02-23"), ev("restart", "2026-03-14")], "response",
         D("2026-03-30")),
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
    # Fri 2026-10-09 17:05 Pacific: after hours -> Sat -> Mon Oct 12 (Columbus Day is not a WA
    # holiday). Day 1 Tue Oct 13: 13-16 (4), 19 (5).
    Case("wa-after-hours", "wa-pra", [rcv(datetime(2026, 10, 9, 17, 5, tzinfo=PDT))], "response", D("2026-10-19")),
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
    Case("pa-extension", "pa-rtkl", [rcv("2026-03-02"), ev("extension", "2026-03-05")], "response", D("2026-04-08")),
    # Dec 2 + 30 = Fri Jan 1 2027, a holiday -> Mon Jan 4 2027 (1 Pa.C.S. § 1908).
    Case("pa-extension-new-year", "pa-rtkl", [rcv("2026-11-23"), ev("extension", "2026-11-30")], "response",
         D("2027-01-04")),
    # OOR appeal, 15 business days from Mon Nov 23: 24-25 (2), 30 (3), Dec 1-4 (7), 7-11 (12), 14-16 (15).
    Case("pa-appeal-filing", "pa-rtkl", [rcv("2026-11-10"), ev("determination", "2026-11-23")], "appeal_filing",
         D("2026-12-16")),
    # OOR decision, 30 days from Wed Dec 2: Jan 1 2027 (holiday) -> Mon Jan 4 2027.
    Case("pa-appeal-decision", "pa-rtkl",
         [rcv("2026-11-10"), ev("determination", "2026-11-23"), ev("appeal_filed", "2026-12-02")],
         "appeal_decision", D("2027-01-04")),
    # ------------------------------------------------------------------ New Jersey OPRA
    # Mon 2026-03-30: 31 (1), Apr 1-2 (3), Good Friday skip, 6-9 (7).
    Case("nj-good-friday", "nj-opra", [rcv("2026-03-30")], "response", D("2026-04-09")),
    # Mon 2026-02-09: 10-11 (2), Lincoln's Birthday skip, 13 (3), 16 skip, 17-20 (7).
    Case("nj-lincoln", "nj-opra", [rcv("2026-02-09")], "response", D("2026-02-20")),
    # Thu 2026-10-29: 30 (1), Nov 2 (2), Election Day skip, 4-6 (5), 9-10 (7).
    Case("nj-election-day", "nj-opra", [rcv("2026-10-29")], "response", D("2026-11-10")),
    # GRC complaint: Mon 2026-03-02 + 60 = Mar 31 (29), Apr 30 (59), Fri May 1 (60).
    Case("nj-grc-filing", "nj-opra", [rcv("2026-02-02"), ev("determination", "2026-03-02")], "appeal_filing",
         D("2026-05-01")),
    Case("nj-grc-no-decision-deadline", "nj-opra",
         [rcv("2026-02-02"), ev("determination", "2026-03-02"), ev("appeal_filed", "2026-03-10")],
         "appeal_decision", None, status="n/a"),
]


def _clock(case: Case):  # type: ignore[no-untyped-def]
    clocks = compute_clocks(
        load_law(case.law), case.events, agency=case.agency, closures=case.closures, expedited=case.expedited
    )
    found = [c for c in clocks if c.kind == case.kind]
    assert len(found) == 1, f"expected one {case.kind} clock, got {[c.kind for c in clocks]}"
    return found[0]


def test_case_table_covers_every_law() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    from foia.deadlines import law_slugs

    assert {c.law for c in CASES} == set(law_slugs())


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
