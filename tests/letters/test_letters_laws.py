"""Every law file renders every kind of letter: through its own letters/laws/<slug>.html or,
without one, through the generic letters/laws/_default.html."""

from __future__ import annotations

import html

import pytest

from foia.deadlines import law_slugs, load_law
from foia.letters.render import (
    LETTER_KINDS,
    LETTERS_DIR,
    render_html,
    sample_context,
    templating,
)
from foia.letters.render.templating import DEFAULT_LAW_MACROS, law_macros, law_text

LAWS = law_slugs()
ORIGINAL_LAWS = {"ca-cpra", "fl-prl", "il-foia", "ma-prl", "nj-opra", "ny-foil", "pa-rtkl", "tx-pia", "us-foia",
                 "wa-pra"}


def test_the_laws_are_the_law_files() -> None:
    assert len(LAWS) >= 10
    assert not (LETTERS_DIR / "laws.toml").exists()  # wording lives in each law file's [letter]
    assert (LETTERS_DIR / DEFAULT_LAW_MACROS).is_file()


@pytest.mark.parametrize("law", LAWS)
def test_each_law_has_its_own_macros_or_the_default(law: str) -> None:
    own = LETTERS_DIR / "laws" / f"{law}.html"
    assert law_macros(law) == (f"laws/{law}.html" if own.is_file() else DEFAULT_LAW_MACROS)
    if law in ORIGINAL_LAWS:
        assert own.is_file(), "the ten original laws keep their hand-written paragraphs"
    assert law_text(law)["citation"] and law_text(law)["name"]
    assert load_law(law).letter, "every shipped law has a [letter] table"


@pytest.mark.parametrize("kind", LETTER_KINDS)
@pytest.mark.parametrize("law", LAWS)
def test_every_law_also_renders_through_the_default(law: str, kind: str, monkeypatch) -> None:
    monkeypatch.setattr(templating, "law_macros", lambda _law: DEFAULT_LAW_MACROS)
    out = html.unescape(render_html(kind, law, sample_context(law, kind))).replace("\xa0", " ")
    assert f"law-{law}" in out
    assert " ".join(law_text(law)["citation"].split()) in " ".join(out.split())
    assert "{{" not in out and "{%" not in out
