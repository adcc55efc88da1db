"""The agency picker of the filing form and the request edit form: every agency in the directory with what a
person needs to choose it (name and abbreviation, parent department, how it takes requests, whether its
contact details were confirmed, its own reported headline), built in two queries whatever the directory's
size (one for the agencies with their parent's name, one for each agency's newest reported year)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from foia.agencies.directory import methods_text, reported_headline
from foia.models import Agency, AgencyReportedStat


@dataclass(frozen=True)
class PickerOption:
    slug: str
    name: str
    abbreviation: str
    parent: str          # the parent department's name (or the agency's own department text), '' for none
    law: str
    methods: str         # 'Email, Web portal or Mail' ('' when the directory has no way in)
    verified: bool
    headline: str        # 'ICE reported a median of 203 days for complex requests in FY2024' or ''

    @property
    def label(self) -> str:
        """'U.S. Immigration and Customs Enforcement (ICE) — U.S. Department of Homeland Security'."""
        name = self.name
        if self.abbreviation and self.abbreviation.lower() not in name.lower():
            name += f" ({self.abbreviation})"
        return f"{name} — {self.parent}" if self.parent and self.parent != self.name else name

    @property
    def search_text(self) -> str:
        """What the picker's search box matches (lower case): name, abbreviation, parent and short name."""
        return " ".join((self.name, self.abbreviation, self.parent, self.slug)).lower()


def picker_options(session: Session) -> list[PickerOption]:
    """Every agency, by name, as the picker shows it (two queries)."""
    parent = aliased(Agency)
    rows = session.execute(
        select(Agency.id, Agency.slug, Agency.name, Agency.abbreviation, Agency.department, Agency.law,
               Agency.foia_email, Agency.portal_url, Agency.mailing_address, Agency.fax, Agency.filing_methods,
               Agency.verified_at, parent.name)
        .outerjoin(parent, parent.id == Agency.parent_id)
        .order_by(Agency.name, Agency.id)).all()
    newest = (select(AgencyReportedStat.agency_id, func.max(AgencyReportedStat.fiscal_year).label("fy"))
              .group_by(AgencyReportedStat.agency_id).subquery())
    stats: dict[int, AgencyReportedStat] = {}
    for stat in session.scalars(select(AgencyReportedStat).join(
            newest, (newest.c.agency_id == AgencyReportedStat.agency_id)
            & (newest.c.fy == AgencyReportedStat.fiscal_year)).order_by(AgencyReportedStat.source)):
        stats.setdefault(stat.agency_id, stat)
    out = []
    for row in rows:
        contact = SimpleNamespace(foia_email=row.foia_email, portal_url=row.portal_url,
                                  mailing_address=row.mailing_address, fax=row.fax, filing_methods=row.filing_methods)
        who = SimpleNamespace(abbreviation=row.abbreviation, name=row.name)
        out.append(PickerOption(
            slug=row.slug, name=row.name, abbreviation=row.abbreviation or "", parent=row[12] or row.department or "",
            law=row.law, methods=methods_text(contact), verified=row.verified_at is not None,
            headline=reported_headline(who, stats.get(row.id)),  # type: ignore[arg-type]
        ))
    return out
