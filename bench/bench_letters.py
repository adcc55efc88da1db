"""Benchmark letter rendering: the app API against bare WeasyPrint, and cached re-downloads.

Usage:  .venv/bin/python bench/bench_letters.py [--runs 30] [--law nj-opra] [--kind follow-up]

Reports median wall-clock times for
  * app:   render_html(kind, law, context) + render_pdf(html, title=...)  (sandboxed
           Jinja, restricted URL fetcher, PDF/UA-1 tags, reproducible metadata)
  * bare:  weasyprint.HTML(string=<the same final HTML>, base_url=letters/).write_pdf()
           with nothing around it (default options: untagged)
  * bare+ua: the same bare call with pdf_variant="pdf/ua-1" (same output options as the app)
  * cache hit: PdfCache.get_or_render() for a letter already rendered (a re-download)
Targets: app <= 1.2 x bare, cache hit >= 20 x faster than app rendering.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pypdf
import weasyprint

from foia.letters.render import (
    LETTERS_DIR,
    PdfCache,
    letter_title,
    render_html,
    render_pdf,
    sample_context,
)


def median_seconds(func: Callable[[], object], runs: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--law", default="nj-opra")
    parser.add_argument("--kind", default="follow-up")
    args = parser.parse_args()

    context = sample_context(args.law, args.kind)
    title = letter_title(args.kind, args.law, context)
    html = render_html(args.kind, args.law, context)
    base_url = LETTERS_DIR.as_uri() + "/"

    pages = len(pypdf.PdfReader(io.BytesIO(render_pdf(html, title=title))).pages)

    def app() -> bytes:
        return render_pdf(render_html(args.kind, args.law, context), title=title)

    def bare() -> object:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    def bare_ua() -> object:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/ua-1")

    def template_only() -> str:
        return render_html(args.kind, args.law, context)

    with tempfile.TemporaryDirectory() as folder:
        cache = PdfCache(folder)
        cache.get_or_render(html, title=title)

        def cache_hit() -> bytes:
            pdf, _, hit = cache.get_or_render(html, title=title)
            assert hit
            return pdf

        # Measure app and bare twice and keep the better median of each, so a noisy
        # neighbour during one pass does not decide the ratio.
        app_t = median_seconds(app, args.runs)
        bare_t = median_seconds(bare, args.runs)
        bare_ua_t = median_seconds(bare_ua, args.runs)
        app_t = min(app_t, median_seconds(app, args.runs, warmup=0))
        bare_t = min(bare_t, median_seconds(bare, args.runs, warmup=0))
        template_t = median_seconds(template_only, args.runs * 5)
        hit_t = median_seconds(cache_hit, args.runs * 10)

    print(
        f"letter: {args.law} {args.kind}, {pages} page(s), {len(html)} bytes of HTML, "
        f"WeasyPrint {weasyprint.__version__}, median of {args.runs} runs"
    )
    rows = [
        ("app: render_html + render_pdf", app_t),
        ("  of which render_html (Jinja)", template_t),
        ("bare WeasyPrint, same HTML", bare_t),
        ("bare WeasyPrint + pdf/ua-1", bare_ua_t),
        ("cached re-download (hit)", hit_t),
    ]
    for label, seconds in rows:
        print(f"  {label:<34} {seconds * 1000:9.2f} ms")
    ratio = app_t / bare_t
    ratio_ua = app_t / bare_ua_t
    speedup = app_t / hit_t
    verdict = "OK" if ratio <= 1.2 else "MISS"
    print(f"  app / bare            = {ratio:.2f}x   (target <= 1.20x) {verdict}")
    print(f"  app / bare+pdf/ua-1   = {ratio_ua:.2f}x")
    verdict = "OK" if speedup >= 20 else "MISS"
    print(f"  render / cache hit    = {speedup:.0f}x   (target >= 20x) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
