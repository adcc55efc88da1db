"""Names, not codes: the template filters that turn the app's keys into what people read.

Registered once on the app (`register_name_filters`, called by foia.blueprints) and usable on every page:
`{{ req.law|law_name }}`, `{{ cal_id|calendar_name }}`, `{{ row.rule|reminder_rule }}`,
`{{ key|status_label }}`, `{{ text|slug }}`."""

from __future__ import annotations

import re

from flask import Flask

from foia.deadlines import calendar_name, law_slugs, load_law
from foia.models import REMINDER_RULES, STATUSES


def law_name(slug: str | None) -> str:
    """The law's name ("California Public Records Act" for ``ca-cpra``); an unknown slug as given."""
    if not slug:
        return ""
    if slug not in law_slugs():
        return slug
    return load_law(slug).name


def law_short(slug: str | None) -> str:
    """The law's short name from its letter wording ("CPRA"), else its name."""
    if not slug or slug not in law_slugs():
        return slug or ""
    law = load_law(slug)
    return str(law.letter.get("short") or law.name)


def reminder_rule(rule: str | None) -> str:
    """When a reminder goes out ("5 working days before" for ``before_5``)."""
    text = REMINDER_RULES.get(rule or "", rule or "")
    return text[:1].upper() + text[1:]


def status_label(status: str | None) -> str:
    return STATUSES.get(status or "", status or "")


def slug(text: str | None) -> str:
    """Lowercase words joined by hyphens: the help page's anchors (`term-fee-waiver`)."""
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")


def humanize(key: str | None) -> str:
    """A key as words: ``appeal_filing`` → "Appeal filing"."""
    text = (key or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def register_name_filters(app: Flask) -> None:
    for fn in (law_name, law_short, reminder_rule, status_label, slug, humanize):
        app.add_template_filter(fn)
    app.add_template_filter(calendar_name)
    app.add_template_global(exemption_anchor)


def exemption_anchor(law: str, code: str) -> str:
    """The help page's anchor for one exemption: `exemption-us-foia-b-7-c` for (b)(7)(C)."""
    return f"exemption-{law}-{slug(code)}"
