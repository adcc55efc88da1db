"""A first guess at what an agency's reply is, from its subject and text.

The guess is only a suggestion shown beside a reply "to classify": nothing moves a clock until a
person confirms a kind. Rules are checked in order and the first that matches wins, so the more
decisive outcomes (a denial, a release) are checked before the routine ones (an acknowledgment).
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
    ("no_records", r"\bno (responsive )?records\b|\bunable to locate any\b|\bdid not locate any\b"
                   r"|\bno documents responsive\b"),
    ("partial_denial", r"\b(withheld|redact(ed|ions?))\b.*\b(in part|portions?|exempt)|\bpartial(ly)? (denial|denied)\b"
                       r"|\bgranted in part\b|\bdenied in part\b"),
    ("full_denial", r"\b(request|it) (is|has been) denied\b|\bdeny(ing)? your request\b|\bdenial of your request\b"
                    r"|\bwithheld in (its|their) entirety\b"),
    ("final_release", r"\bfinal (release|response|production)\b|\bcompletes? (our|the) (response|production)\b"
                      r"|\bthis (request )?is (now )?closed\b"),
    ("interim_release", r"\b(interim|partial|first|rolling) (release|production|response)\b"
                        r"|\binstallment\b"),
    ("extension_notice", r"\bextension\b|\bextend(ed|ing)? (the|our) (time|deadline|response)\b"
                         r"|\badditional (\d+|ten|fourteen) (working |business )?days\b|\bunusual circumstances\b"),
    ("fee_estimate", r"\bfee estimate\b|\bestimated (fees?|cost)\b|\b(fees?|costs?) (of|will be|totaling|estimated)\b"
                     r"|\badvance payment\b"),
    ("clarification_request", r"\bclarif(y|ication)\b|\bnarrow (the|your) (scope|request)\b"
                              r"|\bplease (specify|confirm what)\b"),
    ("acknowledgment", r"\backnowledge?(ment|s|d)?\b|\bwe (have )?received your\b|\bhas been received\b"
                       r"|\bassigned (tracking|request|control) (number|no\.?)\b"),
))


def suggest_kind(subject: str, text: str) -> str:
    """The communication kind the reply most likely is (`note` when no rule matches)."""
    haystack = f"{subject or ''}\n{text or ''}"[:20_000]
    haystack = re.sub(r"\s+", " ", haystack)
    for kind, pattern in _RULES:
        if pattern.search(haystack):
            return kind
    return "note"
