"""Finding the directory's agency for a name as a spreadsheet writes it.

1. Normalise: lower case, "&" -> "and", punctuation and "U.S." dropped, "Dept" -> "department",
   "LA" -> "Los Angeles", possessives ("Sheriff's" -> "sheriff").
2. Exact: the normalised text is an agency's name, abbreviation (ICE), short name (dhs-ice, or its last
   part "ice"), or parent and abbreviation together ("DHS ICE"). One agency: matched; several: asked.
3. Similar: a token-set score (the words both share, compared with difflib, as rapidfuzz's token_set_ratio
   does) blended with how many of the spreadsheet's words the agency's name covers; a misspelt word is
   first corrected to the closest word of the directory (difflib.get_close_matches). One clear winner
   (>= MATCH and ahead of the next by MARGIN) is matched; close runners-up, or a best score under MATCH but
   over ASK, make a question (the person chooses among the candidates); below ASK it is unmatched.

Never a guess between two agencies: ties are always asked."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher, get_close_matches

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.models import Agency

MATCH = 0.85
MARGIN = 0.1
ASK = 0.6
MAX_CANDIDATES = 5

_EXPAND = {"dept": "department", "depts": "department", "dep": "department", "la": "los angeles",
           "nyc": "new york city", "sf": "san francisco", "co": "county", "cnty": "county", "govt": "government",
           "gov": "government", "natl": "national", "intl": "international", "admin": "administration",
           "svc": "service", "svcs": "services", "sheriffs": "sheriff", "pd": "police department",
           "st": "state"}
#: Words too common to tell agencies apart (kept for the exact step, left out of the similarity).
_WEAK = frozenset({"the", "of", "and", "for", "on", "in", "us", "united", "states", "department", "office", "agency",
                   "a", "an", "s"})


def normalise(text: str) -> str:
    text = (text or "").lower().replace("&", " and ").replace("’", "'")
    text = re.sub(r"\bu\.?\s?s\.?(?=\s|$)", " us ", text)  # U.S. / U. S. / US
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = []
    for w in text.split():
        words.extend(_EXPAND.get(w, w).split())
    if words and words[0] == "us":
        words = words[1:]
    return " ".join(words)


def _tokens(norm: str) -> frozenset[str]:
    words = frozenset(norm.split())
    strong = words - _WEAK
    return strong or words


def token_set_score(a: frozenset[str], b: frozenset[str]) -> float:
    """rapidfuzz's token_set_ratio, with difflib: 1.0 when one set of words holds the other."""
    inter = a & b
    if not inter:
        return 0.0
    sect = " ".join(sorted(inter))
    with_a = " ".join([sect, *sorted(a - b)]).strip()
    with_b = " ".join([sect, *sorted(b - a)]).strip()
    return max(SequenceMatcher(None, sect, with_a).ratio(), SequenceMatcher(None, sect, with_b).ratio(),
               SequenceMatcher(None, with_a, with_b).ratio())


@dataclass(frozen=True)
class Candidate:
    id: int
    slug: str
    name: str
    score: float


@dataclass
class Match:
    """status: "matched" (agency), "ask" (candidates to choose from) or "unmatched"."""

    text: str
    status: str
    agency: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    method: str = ""


class AgencyMatcher:
    """The directory, indexed once for an import (about 500 agencies: a few milliseconds); each distinct
    text is matched once."""

    def __init__(self, session: Session):
        rows = session.execute(select(Agency.id, Agency.slug, Agency.name, Agency.abbreviation, Agency.parent_id)).all()
        by_id = {r.id: r for r in rows}
        self.agencies: dict[int, Candidate] = {r.id: Candidate(r.id, r.slug, r.name, 1.0) for r in rows}
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.forms: dict[int, list[frozenset[str]]] = defaultdict(list)
        self.index: dict[str, set[int]] = defaultdict(set)
        for r in rows:
            parent = by_id.get(r.parent_id) if r.parent_id else None
            short = r.slug.split("-", 1)[1] if parent is not None and "-" in r.slug else ""
            names = [r.name, r.abbreviation or "", r.slug, r.slug.replace("-", " "), short]
            if parent is not None:
                for p in (parent.abbreviation, parent.slug):
                    if p:
                        names += [f"{p} {r.abbreviation}" if r.abbreviation else "", f"{p} {short}" if short else ""]
                names.append(f"{parent.name} {r.name}")
            for text in names:
                norm = normalise(text)
                if norm:
                    self.exact[norm].add(r.id)
            for text in (r.name, f"{parent.name} {r.name}" if parent is not None else ""):
                norm = normalise(text)
                if norm:
                    toks = _tokens(norm)
                    self.forms[r.id].append(toks)
                    for t in toks:
                        self.index[t].add(r.id)
        self.vocabulary = sorted(self.index)
        self._cache: dict[str, Match] = {}

    def match(self, text: str) -> Match:
        key = normalise(text)
        if key not in self._cache:
            self._cache[key] = self._match(text, key)
        return self._cache[key]

    def _match(self, text: str, key: str) -> Match:
        if not key:
            return Match(text, "unmatched", method="empty")
        ids = self.exact.get(key)
        if ids and len(ids) == 1:
            return Match(text, "matched", agency=self.agencies[next(iter(ids))], method="exact")
        if ids:
            cands = sorted((self.agencies[i] for i in ids), key=lambda c: c.name)[:MAX_CANDIDATES]
            return Match(text, "ask", candidates=cands, method="exact")
        words = []
        for w in _tokens(key):
            if w not in self.index and len(w) >= 4:
                nearest = get_close_matches(w, self.vocabulary, n=1, cutoff=0.85)
                w = nearest[0] if nearest else w
            words.append(w)
        toks = frozenset(words)
        pool: set[int] = set()
        for t in toks:
            pool |= self.index.get(t, set())
        scored: list[Candidate] = []
        for aid in pool:
            best = 0.0
            for form in self.forms[aid]:
                coverage = len(toks & form) / len(toks)
                best = max(best, 0.5 * token_set_score(toks, form) + 0.5 * coverage)
            if best >= ASK:
                a = self.agencies[aid]
                scored.append(Candidate(a.id, a.slug, a.name, round(best, 3)))
        scored.sort(key=lambda c: (-c.score, c.name))
        if not scored:
            return Match(text, "unmatched", method="similar")
        top = scored[0]
        close = [c for c in scored if c.score >= top.score - MARGIN]
        if top.score >= MATCH and len(close) == 1:
            return Match(text, "matched", agency=top, candidates=scored[:MAX_CANDIDATES], method="similar")
        return Match(text, "ask", candidates=scored[:MAX_CANDIDATES], method="similar")
