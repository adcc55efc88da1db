"""Benchmark letter rendering: the app API against bare WeasyPrint, and cached re-downloads.

Usage:  .venv/bin/python bench/bench_letters.py [--runs 30] [--law nj-opra] [--kind follow-up]

Reports min / median / max wall-clock times, INTERLEAVED round by round (each round times app, bare and bare+ua
once, in a rotating order), so a noisy neighbour slows all three alike and cannot decide the ratio:
  * app:   render_html(kind, law, context) + render_pdf(html, title=...)  (sandboxed
           Jinja, restricted URL fetcher, PDF/UA-1 tags, reproducible metadata)
  * bare:  weasyprint.HTML(string=<the same final HTML>, base_url=letters/, url_fetcher=<the app's
           caching letters fetcher>).write_pdf() with nothing around it (default options: untagged)
  * bare+ua: the same bare call with pdf_variant="pdf/ua-1" (same output options as the app): the floor
  * cache hit: PdfCache.get_or_render() for a letter already rendered (a re-download)
The ratio app / bare+ua is given per round (min / median / max) and of the medians.
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
from foia.letters.render.pdf import LettersURLFetcher, _weasyprint_fetcher_class


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def spread(samples: list[float]) -> str:
    return f"{min(samples) * 1000:8.2f} / {statistics.median(samples) * 1000:8.2f} / {max(samples) * 1000:8.2f} ms"


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

    fetcher = LettersURLFetcher()  # the app's fetcher (its class-level byte cache is shared with the app's)

    def bare() -> object:
        return weasyprint.HTML(string=html, base_url=base_url,
                               url_fetcher=_weasyprint_fetcher_class()(fetcher)).write_pdf()

    def bare_ua() -> object:
        return weasyprint.HTML(string=html, base_url=base_url,
                               url_fetcher=_weasyprint_fetcher_class()(fetcher)).write_pdf(pdf_variant="pdf/ua-1")

    def template_only() -> str:
        return render_html(args.kind, args.law, context)

    candidates: dict[str, Callable[[], object]] = {"app": app, "bare": bare, "bare+ua": bare_ua}
    for func in candidates.values():  # warm-up: fonts, fontconfig, caches
        func()
        func()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for rnd in range(args.runs):
        order = names[rnd % 3:] + names[: rnd % 3]
        for name in order:
            samples[name].append(timed(candidates[name]))
    ratios = [a / b for a, b in zip(samples["app"], samples["bare+ua"], strict=True)]
    ratios_bare = [a / b for a, b in zip(samples["app"], samples["bare"], strict=True)]
    template_t = median_seconds(template_only, args.runs * 5)

    with tempfile.TemporaryDirectory() as folder:
        cache = PdfCache(folder)
        cache.get_or_render(html, title=title)

        def cache_hit() -> bytes:
            pdf, _, hit = cache.get_or_render(html, title=title)
            assert hit
            return pdf

        hit_t = median_seconds(cache_hit, args.runs * 10)

    print(
        f"letter: {args.law} {args.kind}, {pages} page(s), {len(html)} bytes of HTML, "
        f"WeasyPrint {weasyprint.__version__}, {args.runs} interleaved rounds (min / median / max)"
    )
    print(f"  {'app: render_html + render_pdf':<36} {spread(samples['app'])}")
    print(f"  {'  of which render_html (Jinja)':<36} {template_t * 1000:8.2f} ms (median)")
    print(f"  {'bare WeasyPrint, same HTML+fetcher':<36} {spread(samples['bare'])}")
    print(f"  {'bare WeasyPrint + pdf/ua-1 (floor)':<36} {spread(samples['bare+ua'])}")
    print(f"  {'cached re-download (hit)':<36} {hit_t * 1000:8.2f} ms (median)")
    app_t, floor_t = statistics.median(samples["app"]), statistics.median(samples["bare+ua"])
    ratio = app_t / floor_t
    print(f"  app / bare+pdf/ua-1 per round    = {min(ratios):.2f} / {statistics.median(ratios):.2f} / "
          f"{max(ratios):.2f}x; of the medians {ratio:.2f}x (target <= 1.20x) {'OK' if ratio <= 1.2 else 'MISS'}")
    print(f"  app / bare (untagged) per round  = {min(ratios_bare):.2f} / {statistics.median(ratios_bare):.2f} / "
          f"{max(ratios_bare):.2f}x")
    speedup = app_t / hit_t
    print(f"  render / cache hit    = {speedup:.0f}x   (target >= 20x) {'OK' if speedup >= 20 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
