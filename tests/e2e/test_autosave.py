"""The review's Major 1: a filed request came back as "the request you were writing" because an autosave that was
still in flight when the form was filed re-created the draft. Reproduced here with a 1-second network latency
(Chrome DevTools network emulation), then with a late autosave of the filed form arriving after the filing."""

from __future__ import annotations

import re

from tests.e2e.conftest import sign_in

TITLE = "Autosave regression: LAPD overtime records"


def _slow_network(page, latency_ms: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})


def test_a_filed_request_does_not_come_back_as_the_draft(page):
    sign_in(page, "reporter@newsroom.example")
    page.goto("/requests/new")
    _slow_network(page, 1000)
    page.get_by_label("Short title").fill(TITLE)
    page.wait_for_timeout(1500)  # the autosave of the title is on its way (1 s each way)
    page.locator("label[for=agency-lapd]").click()
    page.locator("#records_sought").fill("All overtime records of the LAPD Metropolitan Division for June 2025.")
    # Keep what the form would autosave, to replay it late (as a request still in flight would arrive).
    stale = page.evaluate("() => { const f = document.getElementById('filing-form');"
                          " return {url: f.getAttribute('data-autosave'),"
                          " body: new URLSearchParams(new FormData(f)).toString()}; }")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_url(re.compile(r"/requests/FT-\d{4}-\d{4}"), timeout=30000)
    ref = re.search(r"FT-\d{4}-\d{4}", page.url).group(0)

    late = page.evaluate("""async ({url, body}) => {
        const r = await fetch(url, {method: 'POST', body: body, credentials: 'same-origin',
                                    headers: {'Content-Type': 'application/x-www-form-urlencoded'}});
        return await r.json(); }""", stale)
    assert late["saved"] is False, late  # the server refuses to keep a form that was filed

    page.wait_for_timeout(2500)  # let anything the page still had in flight land
    page.goto("/requests/new")
    assert page.get_by_label("Short title").input_value() == ""
    assert page.locator("#records_sought").input_value() == ""
    assert page.locator("input[name=agencies]:checked").count() == 0
    assert TITLE not in page.content()

    page.goto("/requests")
    assert page.locator("table.requests-table tbody tr", has_text=TITLE).count() == 1, "filed exactly once"
    assert f"/requests/{ref}" in page.content()
