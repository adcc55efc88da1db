"""Letters: context (plain dicts) -> sandboxed Jinja over ``letters/`` -> HTML -> PDF.

Public API::

    LETTER_KINDS                      # ("request", "follow-up", "appeal")
    law_texts() / law_text(slug)      # letter wording per law (the law file's [letter] table)
    render_html(kind, law, context) -> str          # ValueError for unknown kind/law
    render_pdf(html, *, title, lang="en", created=None) -> bytes
    letter_title(kind, law, context) -> str         # a good ``title`` for render_pdf
    PdfCache(directory).get_or_render(html, **render_pdf_opts) -> (pdf, sha256, hit)
    sample_context(law="us-foia", kind="request") -> dict

Templates live in the top-level ``letters/`` folder: ``base.html`` (letterhead,
address block, subject, signature), one template per kind (``request.html``,
``follow-up.html``, ``appeal.html``), per-law wording in each law file's ``[letter]``
table (``foia/laws/<slug>.toml``; the laws are ``foia.deadlines.law_slugs()``) and
per-law paragraphs as macros in ``laws/<slug>.html``, or ``laws/_default.html`` for a
law without its own; ``letter.css`` sets the page (US Letter, "Page N of M") and the
bundled fonts in ``letters/fonts/``.

Context schema (a plain dict; dates are ISO strings ``YYYY-MM-DD``; an absent
optional value is None or empty and the sentence that needs it is left out)::

    {
      "ref": "FT-2025-0042",                 # our reference, printed and in the footer
      "letter_date": "2025-06-20",           # also the PDF creation/modification date
      "lang": "en",                          # optional, <html lang>
      "law": {                               # from the deadline engine; non-empty values
        "slug", "name", "citation",          #   override the law's [letter], any key of
        "response_period": "20 working days",#   which may also be given here
        "response_citation",
      },
      "requester": {"name", "title", "email", "phone", "address": [lines]},
      "organization": {"name", "address": [lines], "phone", "email", "website"},
                                             # letterhead; falls back to the requester
      "agency": {"name", "slug", "department", "foia_email", "portal_url", "fax",
                 "address": [lines], "appeal_authority", "appeal_address": [lines],
                 "appeal_email"},
      "request": {"title", "records_sought",             # free text, newlines kept
                  "date_from", "date_to", "preferred_format",
                  "fee_category", "fee_ceiling": "250.00",
                  "fee_waiver": bool, "fee_waiver_justification",
                  "expedited": bool, "expedited_justification",
                  "tracking_number", "sent_date"},
      "deadlines": {"response_due",          # request/follow-up: the agency's answer;
                                             # appeal: when the appeal decision is due
                    "days_late": int | None,
                    "days_late_unit": "working days" | "calendar days",
                    "appeal_due"},           # last day to file the appeal/next step
      "determination": {"date", "summary", "exemptions": [str]} | None,
      "custom": {"intro", "closing", "appeal_grounds"},   # editable free text
      "delivery": {"method": "email"|"portal"|"mail"|"fax"} | None,
                                             # how it goes out: the letter's "Sent by ..."
                                             # line (see letter_delivery); absent: the
                                             # agency's first way in (email, portal, ...)
    }

Safety: templates run in ``jinja2.sandbox.SandboxedEnvironment(autoescape=True)``;
context values are data and are never evaluated or marked safe (free text goes
through the ``paragraphs`` filter, which escapes before adding ``<p>``/``<br>``);
WeasyPrint's URL fetcher serves only regular files under ``letters/`` and refuses
everything else (see :class:`LettersURLFetcher`).
"""

from __future__ import annotations

from foia.letters.render.cache import PdfCache
from foia.letters.render.pdf import (
    PDF_VARIANT,
    FetchRefused,
    LettersURLFetcher,
    render_pdf,
)
from foia.letters.render.templating import (
    DELIVERY_METHODS,
    LETTER_KINDS,
    LETTERS_DIR,
    email_recipient,
    law_text,
    law_texts,
    letter_delivery,
    letter_title,
    render_html,
)
from tests.letters.samples import sample_context

__all__ = [
    "DELIVERY_METHODS",
    "LETTERS_DIR",
    "LETTER_KINDS",
    "PDF_VARIANT",
    "FetchRefused",
    "LettersURLFetcher",
    "PdfCache",
    "email_recipient",
    "law_text",
    "law_texts",
    "letter_delivery",
    "letter_title",
    "render_html",
    "render_pdf",
    "sample_context",
]
