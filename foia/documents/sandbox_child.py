"""The child side of the extraction sandbox (security review M5): run as a script by
``foia.documents.sandbox``, never imported by the app.

It lowers its own limits first (CPU seconds, address space, no core files, no files written), then
writes one header line ``FOIA-EXTRACT {"pages": n}`` to stdout and the document's text after it.

Text: PDFs are counted and read with pypdfium2 (``engine`` "pdfium"; "pypdf" is the old, slower path,
kept for the bench). With ``pdftotext`` set it counts the pages, writes the header and *execs* poppler's
pdftotext instead, which keeps the limits. Other types are read by ``foia.documents.extract``.

OCR (``mode`` "ocr"): of the pages asked for, those that show an image (a scan; others have nothing for OCR
to read) go to ocrmypdf (Tesseract, Ghostscript), run as its own child, which inherits the
limits (each process its own CPU seconds and address space; files may be written, up to ``file_bytes``
each, in the private TMPDIR the parent made and removes), with the recognised text ("sidecar") going
straight to stdout and the OCR'd PDF itself discarded.

Exit status 3 means "out of memory", 4 "too many pages", 5 "OCR tools missing", 6 "CPU time limit" (of
a grandchild) and 7 "OCR failed"; the parent turns signals (SIGXCPU, SIGKILL) and these codes into a
reason shown to people.

Usage: python -I sandbox_child.py '<json: path, mime, max_chars, max_pages, cpu_seconds, memory_bytes, pdftotext,
engine, mode, ocr_pages, file_bytes, language>'
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

HEADER = b"FOIA-EXTRACT "
EXIT_MEMORY = 3
EXIT_PAGES = 4
EXIT_OCR_MISSING = 5
EXIT_CPU = 6
EXIT_OCR_FAILED = 7

# ocrmypdf's exit codes (ocrmypdf.ExitCode) that say something to a person.
_OCRMYPDF_MISSING_DEPENDENCY = 3


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        _soft, hard = resource.getrlimit(kind)  # cannot raise past the hard limit: lower the soft one only
        if hard == resource.RLIM_INFINITY or value <= hard:
            resource.setrlimit(kind, (value, hard))


def _apply_limits(cpu_seconds: int, memory_bytes: int, file_bytes: int = 0) -> None:
    # SIGXCPU at the soft limit, SIGKILL one second later if the signal is caught or ignored.
    soft = max(1, int(cpu_seconds))
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    except (ValueError, OSError):
        _limit(resource.RLIMIT_CPU, soft)
    if memory_bytes > 0:
        _limit(resource.RLIMIT_AS, int(memory_bytes))
    _limit(resource.RLIMIT_CORE, 0)
    # Text: write nothing to disk (stdout is a pipe, not a file). OCR: its temp files, each at most this big.
    _limit(resource.RLIMIT_FSIZE, max(0, int(file_bytes)))


def _write_header(pages: int | None) -> None:
    out = sys.stdout.buffer
    out.write(HEADER + json.dumps({"pages": pages}).encode() + b"\n")
    out.flush()


def _image_dpi(path: str) -> float:
    """The resolution an image claims (0 if none); reads the header only."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            dpi = im.info.get("dpi") or (0, 0)
            return float(dpi[0] or 0)
    except Exception:
        return 0.0


def _ocr(job: dict, is_pdf: bool) -> int:
    """Run ocrmypdf with the text going to our stdout; our exit status for what happened."""
    path = job["path"]
    argv = [sys.executable, "-I", "-m", "ocrmypdf", "--quiet", "--jobs", "1", "--output-type", "none",
            "--sidecar", "-", "--language", job.get("language") or "eng"]
    if is_pdf:
        from foia.documents.extract import pages_with_images

        # Only pages that show an image (a scan): a blank or vector-only page has nothing more to read.
        pages = pages_with_images(path, [int(n) for n in job["ocr_pages"]] if job.get("ocr_pages") else None)
        if not pages:
            return 0
        argv += ["--force-ocr", "--pages", ",".join(map(str, pages))]  # rasterise those, whatever text they have
    elif _image_dpi(path) < 70:  # a scan that does not say its resolution (or says 72 "screen" dpi)
        argv += ["--image-dpi", "300"]
    argv += [path, os.devnull]
    sys.stdout.flush()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=sys.stdout.fileno(), stderr=subprocess.PIPE,
                          check=False)
    code = proc.returncode
    if code == 0:
        return 0
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return EXIT_CPU
    if code == _OCRMYPDF_MISSING_DEPENDENCY:
        return EXIT_OCR_MISSING
    detail = proc.stderr.decode("utf-8", errors="replace").strip()
    if "MemoryError" in detail or "std::bad_alloc" in detail or code in (-signal.SIGABRT, -signal.SIGSEGV):
        return EXIT_MEMORY
    last = detail.splitlines()[-1] if detail else ""
    sys.stderr.write(f"ocrmypdf exit {code}: {last}"[:500])
    return EXIT_OCR_FAILED


def main(argv: list[str]) -> int:
    job = json.loads(argv[1])
    mode = job.get("mode") or "text"
    _apply_limits(int(job["cpu_seconds"]), int(job["memory_bytes"]),
                  int(job.get("file_bytes") or 0) if mode == "ocr" else 0)
    # Import the app's extraction code from this checkout (never an installed copy): foia/documents/ -> root.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        from foia.documents.extract import extract_text, pdf_page_count

        path, mime, max_pages = job["path"], job["mime"], int(job["max_pages"])
        engine = job.get("engine") or "pdfium"
        is_pdf = mime.split(";", 1)[0].strip().lower() == "application/pdf"
        pages = pdf_page_count(path, engine) if is_pdf else None
        _write_header(pages)  # first, so the parent knows the page count even if a limit stops what follows
        if pages is not None and pages > max_pages:
            return EXIT_PAGES
        if mode == "ocr":
            if job.get("ocr_pages") and len(job["ocr_pages"]) > max_pages:
                return EXIT_PAGES
            return _ocr(job, is_pdf)
        if is_pdf and job.get("pdftotext"):
            last = str(max(1, min(pages or max_pages, max_pages)))  # poppler may read what PDFium could not count
            os.execv(job["pdftotext"], [job["pdftotext"], "-q", "-enc", "UTF-8", "-l", last, path, "-"])
        text = extract_text(path, mime, max_chars=int(job["max_chars"]), engine=engine, max_pages=max_pages)
        sys.stdout.buffer.write(text.encode("utf-8", errors="replace"))
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
