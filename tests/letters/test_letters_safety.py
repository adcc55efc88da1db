"""Requester text is data: it is shown literally, never evaluated, and fetches nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from foia.letters.render import (
    LETTERS_DIR,
    FetchRefused,
    LettersURLFetcher,
    letter_title,
    render_html,
    render_pdf,
    sample_context,
)
from foia.letters.render.templating import _environment, paragraphs
from tests.letters.conftest import pdf_text

TEMPLATE_CODE = "{{ 7*7 }}"
SCRIPT = "<script>alert('x')</script>"
IMG = '<img src="file:///etc/passwd">'
LINK = '<link rel="stylesheet" href="http://example.com/evil.css">'
STMT = "{% for i in range(3) %}loop{% endfor %}"
DUNDER = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


def hostile_context(law: str, kind: str) -> dict[str, Any]:
    ctx = sample_context(law, kind)
    ctx["requester"]["name"] = f"Pat {TEMPLATE_CODE} Doe"
    ctx["requester"]["title"] = SCRIPT
    ctx["request"]["title"] = IMG
    ctx["request"]["records_sought"] = f"All records.\n{IMG}\n\n{LINK}\n{STMT}\n{DUNDER}"
    ctx["agency"]["name"] = f"Agency {TEMPLATE_CODE}"
    ctx["custom"] = {"intro": SCRIPT, "closing": f"Thanks {TEMPLATE_CODE}", "appeal_grounds": IMG}
    ctx["ref"] = "FT-<b>1</b>"
    return ctx


def letters_uri_prefix() -> str:
    return LETTERS_DIR.resolve().as_uri() + "/"


@pytest.mark.parametrize("kind", ["request", "follow-up", "appeal"])
def test_injection_is_shown_literally_and_fetches_nothing(kind: str) -> None:
    ctx = hostile_context("us-foia", kind)
    html = render_html(kind, "us-foia", ctx)
    # Escaped in the HTML: no live tags from requester data, no evaluation.
    assert (
        "<script" not in html
        and "<img" not in html
        and "http://example.com" not in html.split("</head>")[0]
    )
    assert "&lt;script&gt;" in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "loop" not in html.replace("{% for i in range(3) %}loop{% endfor %}", "")
    assert "<class" not in html
    if kind == "request":  # records_sought is printed in the request only
        assert "__subclasses__()" in html

    fetcher = LettersURLFetcher()
    pdf = render_pdf(html, title=letter_title(kind, "us-foia", ctx), url_fetcher=fetcher)
    text = pdf_text(pdf)
    literals = [TEMPLATE_CODE, SCRIPT, IMG, "FT-<b>1</b>", f"Pat {TEMPLATE_CODE} Doe"]
    if kind == "request":
        literals += [LINK, STMT]
    for literal in literals:
        assert literal in text, literal
    assert not re.search(r"\b49\b", text), "template code in data was evaluated"
    assert "looploop" not in text
    # The fetcher was asked only for the stylesheet and bundled fonts.
    assert fetcher.attempted, "letter.css and fonts are fetched through the fetcher"
    assert all(url.startswith(letters_uri_prefix()) for url in fetcher.attempted), fetcher.attempted
    assert fetcher.refused == []
    assert {Path(url).name for url in fetcher.attempted} >= {
        "letter.css",
        "tinos-latin-400-normal.ttf",
        "tinos-latin-700-normal.ttf",
    }


def test_live_markup_in_html_cannot_reach_outside_letters() -> None:
    """Even HTML that was not made by render_html cannot read files or the network."""
    html = """<!DOCTYPE html><html lang="en"><head><title>x</title>
    <link rel="stylesheet" href="letter.css">
    <link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
    <link rel="stylesheet" href="../pyproject.toml">
    <style>@import url("file:///etc/passwd");
      body { background: url("https://example.com/bg.png") }</style>
    </head><body><p>Hello</p>
    <img src="file:///etc/passwd" alt="a"><img src="data:image/png;base64,iVBORw0KGgo=" alt="b">
    <img src="../foia/letters/__init__.py" alt="c"><img src="fonts/../../pyproject.toml" alt="d">
    <img src="file://remotehost/etc/passwd" alt="e">
    </body></html>"""
    fetcher = LettersURLFetcher()
    pdf = render_pdf(html, title="probe", url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    outside = [url for url in fetcher.attempted if not url.startswith(letters_uri_prefix())]
    traversal = [
        url for url in fetcher.attempted if "/../" in url or url.endswith("pyproject.toml")
    ]
    assert outside or traversal
    assert set(outside) <= set(fetcher.refused)
    assert all(url in fetcher.refused for url in traversal)
    assert any("etc/passwd" in url for url in fetcher.refused)
    assert any(url.startswith("http") for url in fetcher.refused)
    assert "root:" not in pdf_text(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/letter.css",
        "https://example.com/letter.css",
        "ftp://example.com/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://remotehost/etc/passwd",
        "LETTERS/../pyproject.toml",
        "LETTERS/fonts/../../pyproject.toml",
        "LETTERS/laws.toml",  # a file in letters/, but not a servable type
        "LETTERS/no-such-file.css",
        "LETTERS/fonts",  # a folder
    ],
)
def test_fetcher_refuses(url: str) -> None:
    url = url.replace("LETTERS/", letters_uri_prefix())
    fetcher = LettersURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.attempted == [url] and fetcher.refused == [url]


def test_fetcher_serves_letters_files() -> None:
    fetcher = LettersURLFetcher()
    response = fetcher.fetch(letters_uri_prefix() + "letter.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    font = fetcher.fetch(letters_uri_prefix() + "fonts/tinos-latin-400-normal.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"


def test_fetcher_refuses_symlink_escaping_root(tmp_path: Path) -> None:
    root = tmp_path / "letters"
    root.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (root / "link.css").symlink_to(secret)
    (root / "ok.css").write_text("p {}")
    fetcher = LettersURLFetcher(root)
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p {}"
    with pytest.raises(FetchRefused):
        fetcher.fetch((root / "link.css").as_uri())


def test_environment_is_sandboxed_and_autoescaping() -> None:
    env = _environment()
    assert isinstance(env, SandboxedEnvironment)
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    # Even a template (trusted code) cannot reach Python internals through the sandbox.
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_templates_never_mark_data_safe() -> None:
    for path in LETTERS_DIR.rglob("*.html"):
        source = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
        assert "|safe" not in source.replace(" ", ""), path
        assert "autoescape false" not in source, path
        assert "markup(" not in source.lower(), path


def test_paragraphs_filter_escapes_before_adding_markup() -> None:
    out = paragraphs("a <b>&\r\nline two\n\n\n{{ 7*7 }}\n")
    assert str(out) == "<p>a &lt;b&gt;&amp;<br>\nline two</p>\n<p>{{ 7*7 }}</p>"
    assert str(paragraphs(None)) == "" and str(paragraphs("  \n ")) == ""
