"""What the help page explains: statuses, communication kinds, each law's exemptions, and terms (several
from the FOIA.gov glossary, copied into foia/help/data/foiagov/ with its licence; see the README there).

Anchors are stable, so any page can link a word to its explanation:
`status-<key>`, `kind-<key>`, `exemption-<law slug>-<slug of the code>`, `term-<slug of the term>`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from foia.communications.effects import EFFECTS
from foia.core.names import exemption_anchor, slug
from foia.deadlines import law_slugs, load_law
from foia.models import COMMUNICATION_KINDS, STATUSES

DATA = Path(__file__).resolve().parent / "data"

#: One sentence per request status (foia.models.STATUSES), in the same order.
STATUS_HELP: dict[str, str] = {
    "draft": "Written in FOIA Tracker but not yet sent to the agency: no clock runs yet.",
    "submitted": "The letter was sent; the agency's response clock runs from the day the law says it was received.",
    "acknowledged": "The agency confirmed it received the request, often with its own tracking number.",
    "processing": "The agency is searching for and reviewing the records, for example after invoking an extension.",
    "awaiting_requester": "The agency asked you a question or for a fee decision; where the law allows, the clock "
                          "is paused (tolled) until you answer.",
    "partially_released": "Some records were released while the agency keeps working on the rest.",
    "released": "All records were released; the request is closed.",
    "partially_denied": "Records were released with some withheld under exemptions; you can usually appeal.",
    "denied": "Everything asked for was withheld; you can usually appeal.",
    "no_records": "The agency says it found no records; this is an adverse determination you can usually appeal.",
    "appealing": "You appealed the agency's determination; the appeal-decision clock runs.",
    "in_litigation": ("The request is in court (its litigation ledger records the complaint and court dates); "
                      "follow-up reminders stop while the case is open."),
    "withdrawn": "You withdrew the request; every clock stops.",
    "closed": "The request is closed for another reason; every clock stops.",
}
assert list(STATUS_HELP) == list(STATUSES)


@dataclass(frozen=True)
class Term:
    title: str
    text: str
    source: str = ""       # "FOIA.gov glossary" when the text is theirs
    also: str = ""         # a sentence of our own after a FOIA.gov text

    @property
    def anchor(self) -> str:
        return "term-" + slug(self.title)


def _foiagov(name: str) -> tuple[str, str]:
    """(term, text) of one copied FOIA.gov entry (a YAML front matter with `term:`, then the text)."""
    raw = (DATA / "foiagov" / f"{name}.md").read_text(encoding="utf-8")
    _, front, body = raw.split("---", 2)
    term = front.split("term:", 1)[1].strip().strip('"')
    return term, " ".join(body.split())


#: (our title or "" for FOIA.gov's, FOIA.gov file or "", our text or a sentence added after theirs)
_TERMS: list[tuple[str, str, str]] = [
    ("Appeal", "administrative-foia-appeal",
     "Under the federal FOIA and most state laws with an appeal, the window to file it is a clock of its own; "
     "FOIA Tracker shows it and reminds you before it closes. Some laws (the California Public Records Act) "
     "have no administrative appeal: the remedy is a suit."),
    ("Fee category", "requester-category",
     "On a new request, the fee category is the one you claim; the agency decides it. State laws mostly have "
     "no categories: choose \"All other requesters\"."),
    ("Fee waiver", "fee-waiver", ""),
    ("Expedited processing", "expedited-processing",
     "A federal agency must decide whether to expedite within 10 calendar days (5 U.S.C. § 552(a)(6)(E)(ii)); "
     "FOIA Tracker shows that decision as its own clock."),
    ("Compelling need", "compelling-need", ""),
    ("Unusual circumstances", "unusual-circumstances",
     "When the agency invokes them in writing, log an Extension notice: the response date moves by the "
     "extension the law allows."),
    ("Tolling", "",
     "Pausing a response clock. Some laws let the agency stop the clock once while it waits for the requester "
     "to clarify the request or to agree to fees; the clock resumes when the requester answers. Log the "
     "agency's question as a Clarification request and your answer as a Clarification reply, and FOIA Tracker "
     "pauses and resumes the clock where the law allows it."),
    ("Tracking number", "",
     "The number the agency gives your request, usually in its acknowledgment (for example 2026-ICFO-10492). "
     "It is the agency's reference, not ours: quote it in every message to the agency. FOIA Tracker shows it "
     "beside our own reference (FT-…) and matches imported email by it."),
    ("Perfected request", "perfected-request", ""),
    ("Simple and complex requests", "simple-and-complex-requests", ""),
    ("Multi-track processing", "multi-track-processing", ""),
    ("Commercial use requester", "commercial-use-requester", ""),
    ("Representative of the news media", "representative-of-the-news-media", ""),
    ("Educational institutions", "educational-institutions", ""),
    ("Noncommercial scientific institution", "noncommercial-scientific-institution", ""),
    ("Search fees", "search-fees", ""),
    ("Review fees", "review-fees", ""),
    ("Duplication fees", "duplication-fees", ""),
    ("Full grant", "full-grant", ""),
    ("Partial grant/partial denial", "partial-grant-partial-denial", ""),
    ("Full denial", "full-denial", ""),
    ("Exemptions", "exemptions", ""),
    ("Exclusions", "exclusions", ""),
    ("Redaction", "redaction", ""),
    ("Referral", "referral", ""),
    ("Consultation", "consultation", ""),
    ("Agency component", "agency-component", ""),
    ("FOIA Public Liaison", "foia-public-liaison", ""),
    ("Backlog", "backlog", ""),
    ("First-party request", "first-party-request", ""),
    ("Third-party request", "third-party-request", ""),
]


@cache
def terms() -> tuple[Term, ...]:
    out = []
    for title, source, ours in _TERMS:
        if source:
            their_title, text = _foiagov(source)
            out.append(Term(title or their_title, text, "FOIA.gov glossary", ours))
        else:
            out.append(Term(title, ours))
    return tuple(sorted(out, key=lambda t: t.title.lower()))


@dataclass(frozen=True)
class KindHelp:
    key: str
    label: str
    text: str
    status: str   # the status key it moves the request to, or ""


def kinds() -> list[KindHelp]:
    return [KindHelp(k, label, EFFECTS[k].help, EFFECTS[k].status or "")
            for k, label in COMMUNICATION_KINDS.items()]


@dataclass(frozen=True)
class LawExemptions:
    slug: str
    name: str
    citation: str
    exemptions: list[tuple[str, str, str]]   # (anchor, code, label)


def exemptions_by_law() -> list[LawExemptions]:
    out = []
    for s in law_slugs():
        law = load_law(s)
        out.append(LawExemptions(s, law.name, law.citation,
                                 [(exemption_anchor(s, code), code, label) for code, label in law.exemptions]))
    return sorted(out, key=lambda x: (x.slug != "us-foia", x.name))
