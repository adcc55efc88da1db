"""The address block names the agency once, even when its mailing address starts with its name (as the
directory's addresses usually do): every letter used to print it twice."""

from __future__ import annotations

import re

import pytest

from foia.letters.render import render_html
from tests.letters.samples import sample_context


def _recipient(html: str) -> list[str]:
    block = re.search(r'<address class="recipient">(.*?)</address>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", line).strip() for line in block.split("<br>") if line.strip()]


@pytest.mark.parametrize("kind", ["request", "follow-up", "appeal"])
def test_the_agency_name_is_printed_once(kind):
    ctx = sample_context("us-foia", kind)
    name = ctx["agency"]["name"]
    ctx["agency"]["address"] = [name, "500 12th Street SW, Stop 5009", "Washington, DC 20536-5009"]
    ctx["agency"]["appeal_address"] = [name, "Office of the Principal Legal Advisor", "Washington, DC 20536"]
    lines = _recipient(render_html(kind, "us-foia", ctx))
    assert sum(1 for line in lines if line == name) == 1, lines
    assert "Washington, DC 20536-5009" in lines or "Washington, DC 20536" in lines
