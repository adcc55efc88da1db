"""The child side of the extraction sandbox (security review M5): run as a script by
``foia.documents.sandbox``, never imported by the app.

It lowers its own limits first (CPU seconds, address space, no core files, no files written), then
writes one header line ``FOIA-EXTRACT {"pages": n}`` to stdout and the document's text after it.
For a PDF with poppler's ``pdftotext`` available it counts the pages with pypdf, writes the header
and *execs* pdftotext, which keeps the limits; otherwise it extracts with ``foia.documents.extract``
(pypdf for PDFs) itself. Exit status 3 means "out of memory" and 4 "too many pages"; the parent
turns signals (SIGXCPU, SIGKILL) and these codes into a reason shown to people.

Usage: python -I sandbox_child.py '<json: path, mime, max_chars, max_pages, cpu_seconds, memory_bytes, pdftotext>'
"""

from __future__ import annotations

import json
import os
import resource
import sys

HEADER = b"FOIA-EXTRACT "
EXIT_MEMORY = 3
EXIT_PAGES = 4


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        _soft, hard = resource.getrlimit(kind)  # cannot raise past the hard limit: lower the soft one only
        if hard == resource.RLIM_INFINITY or value <= hard:
            resource.setrlimit(kind, (value, hard))


def _apply_limits(cpu_seconds: int, memory_bytes: int) -> None:
    # SIGXCPU at the soft limit, SIGKILL one second later if the signal is caught or ignored.
    soft = max(1, int(cpu_seconds))
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    except (ValueError, OSError):
        _limit(resource.RLIMIT_CPU, soft)
    if memory_bytes > 0:
        _limit(resource.RLIMIT_AS, int(memory_bytes))
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, 0)  # write nothing to disk (stdout is a pipe, not a file)


def _write_header(pages: int | None) -> None:
    out = sys.stdout.buffer
    out.write(HEADER + json.dumps({"pages": pages}).encode() + b"\n")
    out.flush()


def main(argv: list[str]) -> int:
    job = json.loads(argv[1])
    _apply_limits(int(job["cpu_seconds"]), int(job["memory_bytes"]))
    # Import the app's extraction code from this checkout (never an installed copy): foia/documents/ -> root.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        from foia.documents.extract import extract_text, pdf_page_count

        path, mime, max_pages = job["path"], job["mime"], int(job["max_pages"])
        is_pdf = mime.split(";", 1)[0].strip().lower() == "application/pdf"
        pages = pdf_page_count(path) if is_pdf else None
        _write_header(pages)  # first, so the parent knows the page count even if a limit stops what follows
        if pages is not None and pages > max_pages:
            return EXIT_PAGES
        if is_pdf and job.get("pdftotext"):
            last = str(max(1, min(pages or max_pages, max_pages)))  # poppler may read what pypdf could not count
            os.execv(job["pdftotext"], [job["pdftotext"], "-q", "-enc", "UTF-8", "-l", last, path, "-"])
        text = extract_text(path, mime, max_chars=int(job["max_chars"]))
        sys.stdout.buffer.write(text.encode("utf-8", errors="replace"))
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
