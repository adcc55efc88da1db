"""Exemptions an agency may cite, per law: `exemptions_for(law_slug) -> [(code, label)]`.

The lists are data in each law's file (`foia/laws/<slug>.toml`, `[[exemptions]]` tables with
`code` and `label`, in statute order); this module is the small API the rest of the app uses.

A communication's `exemptions` stores the codes. Codes are what the agency's letter cites
("(b)(6)", "§ 7922.000", "§ 87(2)(b)"); `resolve(law, text)` also accepts the same code typed
without spaces, parentheses or "§" ("b7c", "7922.000"), for the CLI.

The lists are the common exemptions, not every confidentiality statute each law incorporates
(those are cited through the "other statute" entry of each law). Entries marked
"[unverified]" in a comment in the law file were written from memory and not checked against
the current code; check them before relying on their wording in a letter.
"""

from __future__ import annotations

import re

from foia.deadlines import law_slugs, load_law


def _table(law_slug: str) -> tuple[tuple[str, str], ...]:
    if law_slug not in law_slugs():
        return ()
    return load_law(law_slug).exemptions


def exemptions_for(law_slug: str) -> list[tuple[str, str]]:
    """(code, label) for each exemption of this law, in statute order; [] for an unknown law."""
    return list(_table(law_slug))


def _key(code: str) -> str:
    return re.sub(r"[\s()§]", "", code).lower()


def resolve(law_slug: str, text: str) -> str | None:
    """The code of the exemption `text` names under this law (exact or typed loosely), or None."""
    text = (text or "").strip()
    key = _key(text)
    for code, _label in _table(law_slug):
        if text == code or (key and _key(code) == key):
            return code
    return None


def label_for(law_slug: str, code: str) -> str:
    return dict(_table(law_slug)).get(code, code)
