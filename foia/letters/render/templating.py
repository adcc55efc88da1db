"""Letter HTML: per-law data + sandboxed Jinja templates under the top-level ``letters/``.

The laws are the law files (``foia.deadlines.law_slugs()``): each one's letter wording is
its ``[letter]`` table, and its paragraphs come from ``letters/laws/<slug>.html`` when that
file exists, else from the generic ``letters/laws/_default.html``.

Nothing in here evaluates requester text: every context value is data, autoescaped on
output; the only filters that return markup (``paragraphs``, ``nbsp``) escape first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

from jinja2 import ChainableUndefined, FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from foia.agencies.directory import filing_methods
from foia.deadlines import law_slugs, load_law

#: Folder holding templates, letter.css, per-law macros and fonts (repository root / letters).
LETTERS_DIR: Final[Path] = Path(__file__).resolve().parents[3] / "letters"

#: Letter kinds, in the order a request usually needs them.
LETTER_KINDS: Final[tuple[str, ...]] = ("request", "follow-up", "appeal")

_TEMPLATE_FOR_KIND: Final[dict[str, str]] = {
    "request": "request.html",
    "follow-up": "follow-up.html",
    "appeal": "appeal.html",
}

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


# --------------------------------------------------------------------------- filters


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def longdate(value: object) -> str:
    """``"2025-06-20"`` -> ``"June 20, 2025"``; unparseable text is returned as is."""
    parsed = _as_date(value)
    if parsed is not None:
        return f"{parsed:%B}\u00a0{parsed.day}, {parsed.year}"  # "June 20" stays on one line
    if value is None or _is_undefined(value):
        return ""
    return str(value)


def isodate(value: object) -> str:
    """ISO date (``YYYY-MM-DD``) or ``""`` when the value is not a date."""
    parsed = _as_date(value)
    return parsed.isoformat() if parsed is not None else ""


def money(value: object) -> str:
    """``"250"`` / ``250.0`` -> ``"$250.00"``; other text is returned unchanged."""
    if value is None or _is_undefined(value) or value == "":
        return ""
    try:
        amount = Decimal(str(value).replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return str(value)
    return f"${amount:,.2f}"


def paragraphs(value: object) -> Markup:
    """Free text -> ``<p>`` paragraphs (blank line) and ``<br>`` (single newline).

    The text is escaped before any markup is added, so requester input such as
    ``<script>`` or ``{{ 7*7 }}`` is shown literally.
    """
    if value is None or _is_undefined(value):
        return Markup("")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return Markup("")
    parts = [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
    line_break = Markup("<br>\n")
    return Markup("\n").join(
        Markup("<p>%s</p>") % line_break.join(escape(line) for line in part.split("\n"))
        for part in parts
    )


def nbsp(value: object) -> Markup:
    """Keep "§ 552", "ch. 119", "c. 66" together on one line (escapes first)."""
    if value is None or _is_undefined(value):
        return Markup("")
    escaped = str(escape(str(value)))
    escaped = re.sub(r"(§§?|\b(?:ch|c|No|Stat)\.) ", "\\1\u00a0", escaped)
    return Markup(escaped)


_NEEDS_ARTICLE = re.compile(
    r"\b(Department|Office|Division|Bureau|Agency|Authority|Board|Commission|Council"
    r"|Committee|University|District|Administration|Service)\b"
    r"|^(City|Town|County|Village|Borough|Township|State|Commonwealth|Port) of\b",
    re.IGNORECASE,
)
_ORGANISATION = re.compile(
    r"^(Office|Division|Department|Bureau|City|County|Town|Village|Borough|Township"
    r"|State|Commonwealth)\b",
    re.IGNORECASE,
)
_COLLEGIAL = re.compile(r"\b(Council|Board|Commission|Committee)$", re.IGNORECASE)


def with_article(value: object, capital: bool = False) -> str:
    """ "City of Oakland" -> "the City of Oakland"; "Miami-Dade County" unchanged.

    A heuristic for agency names used mid-sentence: names built on Department,
    Office, City of, ... take "the"; plain proper names do not.
    """
    if value is None or _is_undefined(value):
        return ""
    text = str(value).strip()
    if not text:
        return ""
    article = "The " if capital else "the "
    if text.lower().startswith("the "):
        return article + text[4:]
    return article + text if _NEEDS_ARTICLE.search(text) else text


def salutation(value: object) -> str:
    """Whom "Dear ...:" addresses: a role as is, an office as "Sir or Madam"."""
    if value is None or _is_undefined(value) or not str(value).strip():
        return "Sir or Madam"
    text = str(value).strip()
    if _COLLEGIAL.search(text):
        return "Members of the " + text.removeprefix("the ").removeprefix("The ")
    if _ORGANISATION.match(text):
        return "Sir or Madam"
    return text


def cite(value: object) -> Markup:
    """A citation kept on one line: ``<span class="cite">5 U.S.C. § 552(b)</span>``.

    Long lists of citations (over 48 characters) may still wrap, at spaces only.
    """
    text = nbsp(value)
    if not text:
        return text
    css = "cite" if len(value if isinstance(value, str) else str(value)) <= 48 else "cite long"
    return Markup('<span class="%s">%s</span>') % (css, text)


def _is_undefined(value: object) -> bool:
    return isinstance(value, ChainableUndefined)


# ----------------------------------------------------------------------- environment


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(LETTERS_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        longdate=longdate,
        isodate=isodate,
        money=money,
        paragraphs=paragraphs,
        nbsp=nbsp,
        cite=cite,
        the=with_article,
        salutation=salutation,
    )
    return env


#: Generic per-law macros for a law without its own ``letters/laws/<slug>.html``.
DEFAULT_LAW_MACROS: Final[str] = "laws/_default.html"


def law_text(law: str, agency_slug: str | None = None) -> dict[str, Any]:
    """Letter wording for ``law``: its law file's ``[letter]`` table over its name and citation, with
    the ``[agencies."<glob>".letter]`` overrides for ``agency_slug`` (e.g. a DHS appeal window)."""
    data = load_law(law).for_agency(agency_slug)
    return {"slug": law, "name": data.name, "citation": data.citation, **data.letter}


def law_texts() -> dict[str, dict[str, Any]]:
    """Letter wording of every law (slug -> dict), see :func:`law_text`."""
    return {slug: law_text(slug) for slug in law_slugs()}


def law_macros(law: str) -> str:
    """The macro template for ``law``: its own ``laws/<slug>.html`` or the generic default."""
    own = f"laws/{law}.html"
    return own if (LETTERS_DIR / own).is_file() else DEFAULT_LAW_MACROS


def _check(kind: str, law: str) -> None:
    if kind not in LETTER_KINDS:
        raise ValueError(f"unknown letter kind {kind!r}; expected one of {LETTER_KINDS}")
    known = law_slugs()
    if law not in known:
        raise ValueError(f"unknown law {law!r}; expected one of {tuple(known)}")


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def merged_law(law: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Letter wording for ``law`` (and the context's agency), overridden by non-empty values in
    ``context["law"]``."""
    agency_slug = _mapping(context.get("agency")).get("slug")
    merged = law_text(law, str(agency_slug) if agency_slug else None)
    for key, value in _mapping(context.get("law")).items():
        if value not in (None, "", [], {}):
            merged[key] = value
    merged["slug"] = law
    return merged


def letter_title(kind: str, law: str, context: Mapping[str, Any]) -> str:
    """Document title, e.g. "FOIA request FT-2025-0042 to U.S. Department of State"."""
    _check(kind, law)
    law_data = merged_law(law, context)
    short = str(law_data.get("short") or law_data.get("name") or law)
    agency = _mapping(context.get("agency"))
    if kind == "appeal":
        target = agency.get("appeal_authority") or agency.get("name")
        label = str(law_data.get("appeal_label") or "appeal")
    else:
        target = agency.get("name")
        label = kind
    parts = [f"{short} {label}"]
    if context.get("ref"):
        parts.append(str(context["ref"]))
    title = " ".join(parts)
    if target:
        title += f" to {target}"
    return title


#: How a letter can reach an agency (the keys of foia.models.SEND_METHODS).
DELIVERY_METHODS: Final[tuple[str, ...]] = ("email", "portal", "mail", "fax")


def email_recipient(kind: str, agency: Mapping[str, Any]) -> str:
    """Where a letter of ``kind`` is emailed: an appeal to the appeal address when the agency has one,
    else (and every other letter) to its FOIA address; ``""`` when the agency has no email."""
    if kind == "appeal" and str(agency.get("appeal_email") or "").strip():
        return str(agency["appeal_email"]).strip()
    return str(agency.get("foia_email") or "").strip()


def _ways_in(agency: Mapping[str, Any]) -> list[str]:
    """The agency's ways in, best first, as the directory says (`foia.agencies.directory.filing_methods`:
    the methods its data declares that it has an address for, else every method it has an address for)."""
    address = agency.get("address")
    lines = "\n".join(str(x) for x in address) if isinstance(address, (list, tuple)) else str(address or "")
    return filing_methods(SimpleNamespace(
        foia_email=str(agency.get("foia_email") or "").strip(), portal_url=str(agency.get("portal_url") or "").strip(),
        mailing_address=lines.strip(), fax=str(agency.get("fax") or "").strip(),
        filing_methods=str(agency.get("filing_methods") or "")))


def letter_delivery(kind: str, agency: Mapping[str, Any], method: str | None = None) -> dict[str, str] | None:
    """How the letter goes out: ``{"method": "email"|"portal"|"mail"|"fax", "to": address, URL, fax or ""}``.

    With ``method`` (the way it is, or will be, sent) the line names that way; without, the agency's first
    way in as the directory lists them (``agency["filing_methods"]``, declared order first, e.g.
    "portal,mail"; else email, portal, mail, fax), except that an appeal goes to the appeal email when
    there is one, and by mail to the appeal address before any portal or fax.
    None when the agency lists no way at all (the letter then says nothing about delivery).
    """
    email = email_recipient(kind, agency)
    portal = str(agency.get("portal_url") or "").strip()
    fax = str(agency.get("fax") or "").strip()
    if method in DELIVERY_METHODS:
        to = {"email": email, "portal": portal, "fax": fax, "mail": ""}[method]
        if method == "email" and not to:
            return None  # never claim an email that has no address
        return {"method": method, "to": to}
    ways = _ways_in(agency)
    if kind == "appeal":
        if str(agency.get("appeal_email") or "").strip() or (ways and ways[0] == "email"):
            return {"method": "email", "to": email}
        if agency.get("appeal_address"):
            return {"method": "mail", "to": ""}
    if not ways:
        return None
    first = ways[0]
    return {"method": first, "to": {"email": email, "portal": portal, "fax": fax, "mail": ""}[first]}


def render_html(kind: str, law: str, context: Mapping[str, Any]) -> str:
    """Render the letter of ``kind`` for ``law`` as an HTML string.

    Raises ValueError for an unknown kind or law. Missing context keys render as
    empty text, so a partial context still produces a letter.
    """
    _check(kind, law)
    values: dict[str, Any] = {
        key: context.get(key)
        for key in (
            "ref",
            "letter_date",
            "requester",
            "organization",
            "agency",
            "request",
            "deadlines",
            "determination",
            "custom",
        )
    }
    for key in ("requester", "agency", "request", "deadlines", "custom"):
        values[key] = _mapping(values[key])
    values["organization"] = _mapping(values["organization"])
    if not isinstance(values["determination"], Mapping) or not values["determination"]:
        values["determination"] = None
    planned = _mapping(context.get("delivery"))
    values.update(
        delivery=letter_delivery(kind, values["agency"], str(planned.get("method") or "") or None),
        kind=kind,
        law=merged_law(law, context),
        law_macros=law_macros(law),
        lang=str(context.get("lang") or "en"),
        title=letter_title(kind, law, context),
    )
    template = _environment().get_template(_TEMPLATE_FOR_KIND[kind])
    return template.render(values)
