"""Benchmark text extraction and OCR of documents, each against a floor measured in the same run.

Usage:  .venv/bin/python bench/bench_extract.py [--pages 300] [--rounds 5] [--ocr-pages 2] [--ocr-rounds 3]

Builds its own files in a temp directory:
  * an N-page text PDF (45 lines of Helvetica a page, about 4,000 characters, like a dense memo), and
  * a K-page scanned PDF (300 dpi page images with no text layer) plus one page as a PNG.

Text, interleaved rounds (the order rotates each round), pages/s min/median/max of:
  * app:        extract_in_sandbox() with the app's default limits and engine: poppler's pdftotext when it
                is on PATH, else pypdfium2 in the child (the limited child process, page count included)
  * pdfium:     the same sandbox with pypdfium2 (FOIA_PDFTOTEXT=""; the engine where poppler is missing)
  * before:     the same sandbox with the old pypdf path (what every PDF went through before issue 18)
  * floor:      bare `pdftotext FILE -` with nothing around it (no sandbox, no page count)
and the ratio of each to the floor (time / floor time; 1.00 is the floor), then before -> after.

The review's PDF bomb, interleaved: seconds of pdftotext and of pypdfium2 in the sandbox (no floor: a
comparison of the two engines on a hostile file).

OCR, interleaved: seconds per page of ocr_in_sandbox() (ocrmypdf in the limited child, one page image
rasterised and read by Tesseract) against bare `tesseract page.png -` on the same page (floor).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fault_pdf_bomb import content_stream_bomb  # the same file as the fault script (bench/ is on sys.path)

from foia.documents.sandbox import ExtractionLimits, OcrLimits, extract_in_sandbox, ocr_in_sandbox

WORDS = ["Detention", "roster", "Adelanto", "transfer", "records", "released", "under", "the", "Freedom", "of",
         "Information", "Act", "by", "the", "agency", "office", "of", "records"]


def text_pdf(pages: int) -> bytes:
    """An N-page PDF of text (Helvetica, 45 lines a page), written directly: no renderer in the measurement."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for p in range(pages):
        lines = []
        for ln in range(45):
            words = " ".join(WORDS[(p * 7 + ln * 3 + i) % len(WORDS)] for i in range(11))
            lines.append(f"BT /F1 10 Tf 50 {750 - ln * 15} Td ({words} {p + 1}-{ln + 1}) Tj ET")
        stream = zlib.compress("\n".join(lines).encode())
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def scanned(tmp: Path, pages: int) -> tuple[Path, Path]:
    """A K-page scan (300 dpi images, no text layer) as a PDF, and its first page as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    font = ImageFont.truetype(str(dejavu), 40) if dejavu.is_file() else ImageFont.load_default(size=40)
    images = []
    for p in range(pages):
        image = Image.new("L", (2550, 3300), 255)  # US letter at 300 dpi
        draw = ImageDraw.Draw(image)
        for ln in range(25):
            words = " ".join(WORDS[(p * 5 + ln * 3 + i) % len(WORDS)] for i in range(8))
            draw.text((150, 150 + 120 * ln), f"{words} {p + 1}-{ln + 1}", font=font, fill=0)
        images.append(image)
    pdf, png = tmp / "scan.pdf", tmp / "page.png"
    images[0].save(pdf, save_all=True, append_images=images[1:], resolution=300)
    images[0].save(png, dpi=(300, 300))
    return pdf, png


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def spread(values: list[float], digits: int = 1) -> str:
    return f"{min(values):8.{digits}f} / {statistics.median(values):8.{digits}f} / {max(values):8.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300, help="pages of the text PDF")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of each text extractor")
    ap.add_argument("--ocr-pages", type=int, default=2, help="pages of the scanned PDF (0: no OCR measurement)")
    ap.add_argument("--ocr-rounds", type=int, default=3, help="interleaved rounds of OCR")
    ap.add_argument("--bomb-rounds", type=int, default=2, help="interleaved rounds on the review's PDF bomb")
    args = ap.parse_args()
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        sys.exit("pdftotext (poppler-utils) is the floor of this bench: apt-get install poppler-utils")

    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmpdir:
        tmp = Path(tmpdir)
        pdf = tmp / "text.pdf"
        pdf.write_bytes(text_pdf(args.pages))
        app_limits = ExtractionLimits()  # what the job runner uses by default
        app_engine = "pdftotext" if shutil.which("pdftotext") else "pypdfium2"
        runs: dict[str, Callable[[], object]] = {
            "app": lambda: extract_in_sandbox(pdf, "application/pdf", app_limits),
            "pdfium": lambda: extract_in_sandbox(pdf, "application/pdf", ExtractionLimits(pdftotext="")),
            "before": lambda: extract_in_sandbox(pdf, "application/pdf",
                                                 ExtractionLimits(pdftotext="", engine="pypdf")),
            "floor": lambda: subprocess.run([pdftotext, "-q", "-enc", "UTF-8", str(pdf), "-"], check=True,
                                            stdout=subprocess.DEVNULL),
        }
        # Same text from each, checked once before timing.
        for name in ("app", "pdfium", "before"):
            result = runs[name]()
            assert not result.error and result.pages == args.pages, (name, result)  # type: ignore[attr-defined]
        print(f"text PDF: {args.pages} pages, {pdf.stat().st_size / 1e6:.2f} MB; app engine: {app_engine} "
              f"(in the sandbox); {args.rounds} interleaved rounds")
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        names = list(runs)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                seconds[name].append(timed(runs[name]))
        floor = statistics.median(seconds["floor"])
        print(f"{'':>8}  {'pages/s min / median / max':>28}   time ratio to floor (median; min-max)")
        for name in names:
            rates = [args.pages / s for s in seconds[name]]
            ratios = [s / f for s, f in zip(seconds[name], seconds["floor"], strict=True)]
            print(f"{name:>8}  {spread(rates)}   {statistics.median(seconds[name]) / floor:5.2f}x "
                  f"({min(ratios):.2f}-{max(ratios):.2f}, per round)")
        before = statistics.median(seconds["before"])
        print(f"before -> after (median pages/s): pypdf {args.pages / before:.0f} -> app ({app_engine}) "
              f"{args.pages / statistics.median(seconds['app']):.0f} "
              f"({before / statistics.median(seconds['app']):.1f}x faster); pypdfium2 alone "
              f"{args.pages / statistics.median(seconds['pdfium']):.0f} "
              f"({before / statistics.median(seconds['pdfium']):.1f}x faster)")

        # A hostile file: the review's 9 KB PDF whose six pages share one 8 MB content stream (security M5).
        bomb = tmp / "bomb.pdf"
        bomb.write_bytes(content_stream_bomb())
        generous = {"cpu_seconds": 120, "wall_seconds": 600.0}
        bomb_runs: dict[str, Callable[[], object]] = {
            "pdftotext": lambda: extract_in_sandbox(bomb, "application/pdf",
                                                    ExtractionLimits(pdftotext=pdftotext, **generous)),
            "pdfium": lambda: extract_in_sandbox(bomb, "application/pdf", ExtractionLimits(pdftotext="", **generous)),
        }
        bomb_seconds: dict[str, list[float]] = {name: [] for name in bomb_runs}
        for r in range(args.bomb_rounds):
            for name in list(bomb_runs)[r % 2:] + list(bomb_runs)[:r % 2]:
                bomb_seconds[name].append(timed(bomb_runs[name]))
        if args.bomb_rounds:
            print(f"\nthe review's PDF bomb (9 KB, 6 pages of one 8 MB content stream), seconds in the sandbox, "
                  f"{args.bomb_rounds} interleaved rounds:")
            for name, values in bomb_seconds.items():
                print(f"{name:>10}  {spread(values, 2)}")

        if args.ocr_pages <= 0:
            return
        tesseract = shutil.which("tesseract")
        if not tesseract:
            sys.exit("OCR needs tesseract-ocr: apt-get install tesseract-ocr tesseract-ocr-eng ghostscript")
        scan_pdf, png = scanned(tmp, args.ocr_pages)
        limits = OcrLimits()
        ocr_runs: dict[str, Callable[[], object]] = {
            "app OCR": lambda: ocr_in_sandbox(scan_pdf, "application/pdf", None, limits),
            "floor": lambda: [subprocess.run([tesseract, str(png), "-", "-l", "eng"], check=True,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                             env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
                              for _ in range(args.ocr_pages)],
        }
        check = ocr_runs["app OCR"]()
        assert not check.error and "Adelanto" in check.text, check  # type: ignore[attr-defined]
        print(f"\nOCR: {args.ocr_pages} scanned page(s) at 300 dpi; floor = bare tesseract on each page image "
              f"(one thread, as the app); {args.ocr_rounds} interleaved rounds")
        per_page: dict[str, list[float]] = {name: [] for name in ocr_runs}
        ocr_names = list(ocr_runs)
        for r in range(args.ocr_rounds):
            for name in ocr_names[r % 2:] + ocr_names[:r % 2]:
                per_page[name].append(timed(ocr_runs[name]) / args.ocr_pages)
        ocr_floor = statistics.median(per_page["floor"])
        print(f"{'':>8}  {'s/page min / median / max':>28}   ratio to floor (median)")
        for name in ocr_names:
            print(f"{name:>8}  {spread(per_page[name], 2)}   "
                  f"{statistics.median(per_page[name]) / ocr_floor:5.2f}x")


if __name__ == "__main__":
    main()
