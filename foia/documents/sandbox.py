"""Text extraction in a separate, limited process (security review M5).

A 9 KB PDF whose pages share one 8 MB content stream kept pypdf busy for minutes inside a web
request that held the SQLite write lock. Extraction now runs in a child process
(``sandbox_child.py``) that lowers its own CPU-time and address-space limits before it reads the
file, with a page cap, an output cap and a wall-clock timeout enforced here. PDFs go to poppler's
``pdftotext`` (Debian poppler-utils) when it is installed; otherwise pypdfium2 (PDFium, a wheel from PyPI)
reads them in the child. Pages are counted with pypdfium2 either way. Measured by bench/bench_extract.py on a
busy 2-core machine (300 text-dense pages, medians): pdftotext in the sandbox 217 pages/s (1.47x bare
pdftotext), pypdfium2 126 pages/s, the old pypdf path 44 pages/s. pdftotext wins on ordinary files, hence the
default; pypdfium2 needs no system package and reads the review's PDF bomb in a quarter of pdftotext's time
(5 s against 21 s), so either is a sound choice and FOIA_PDFTOTEXT="" picks it. Nothing here touches the database: callers run
it between transactions.

``ocr_in_sandbox`` runs ocrmypdf (Tesseract) the same way, for scanned PDFs and images: see ``OcrLimits``.

A file that hits a limit gets ``Extraction.error`` = the limit ("CPU time limit", "memory limit",
...); a file that is merely damaged gives whatever text could be read and no error, as before.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foia.documents.sandbox_child import (
    EXIT_CPU,
    EXIT_MEMORY,
    EXIT_OCR_FAILED,
    EXIT_OCR_MISSING,
    EXIT_PAGES,
    HEADER,
)

__all__ = ["OCR_MISSING", "Extraction", "ExtractionLimits", "OcrLimits", "extract_in_sandbox", "find_tesseract",
           "limits_from_config", "ocr_in_sandbox", "ocr_limits_from_config"]

_CHILD = str(Path(__file__).with_name("sandbox_child.py"))


@dataclass(frozen=True)
class ExtractionLimits:
    cpu_seconds: int = 60
    memory_bytes: int = 1 << 30
    wall_seconds: float = 120.0
    max_pages: int = 5000
    max_output_bytes: int = 16 << 20
    #: Path of poppler's pdftotext; None finds it on PATH; "" reads PDFs in the child with ``engine``.
    pdftotext: str | None = None
    #: The child's PDF reader when pdftotext is not used: "pdfium" (pypdfium2), or "pypdf" (the old path).
    engine: str = "pdfium"


def limits_from_config(config: Mapping[str, Any]) -> ExtractionLimits:
    """FOIA_EXTRACT_CPU_SECONDS, _MEMORY_MB, _WALL_SECONDS, _MAX_PAGES, _MAX_OUTPUT_MB, FOIA_PDFTOTEXT.

    FOIA_PDFTOTEXT unset: poppler's pdftotext if it is on PATH (bench/bench_extract.py: 1.7x pypdfium2 on
    text-dense pages), else pypdfium2 in the child; empty: always pypdfium2; a path: that pdftotext."""
    d = ExtractionLimits()
    return ExtractionLimits(
        cpu_seconds=int(config.get("FOIA_EXTRACT_CPU_SECONDS") or d.cpu_seconds),
        memory_bytes=int(config.get("FOIA_EXTRACT_MEMORY_MB") or (d.memory_bytes >> 20)) << 20,
        wall_seconds=float(config.get("FOIA_EXTRACT_WALL_SECONDS") or d.wall_seconds),
        max_pages=int(config.get("FOIA_EXTRACT_MAX_PAGES") or d.max_pages),
        max_output_bytes=int(config.get("FOIA_EXTRACT_MAX_OUTPUT_MB") or (d.max_output_bytes >> 20)) << 20,
        pdftotext=config.get("FOIA_PDFTOTEXT"),
    )


@dataclass(frozen=True)
class Extraction:
    text: str
    pages: int | None
    #: "" when the text was read; else the limit that stopped it ("CPU time limit", ...).
    error: str
    seconds: float


def _pdftotext(limits: ExtractionLimits) -> str:
    if limits.pdftotext is not None:
        return limits.pdftotext
    return shutil.which("pdftotext") or ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child leads its own group: nothing it started survives
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def extract_in_sandbox(path: str | Path, mime: str, limits: ExtractionLimits | None = None) -> Extraction:
    """The text of the file at ``path`` (of type ``mime``), read by a limited child process."""
    limits = limits or ExtractionLimits()
    # One character more than the cap: text that long is over it (a text file is not silently cut short).
    job = {"path": str(path), "mime": mime, "max_chars": limits.max_output_bytes + 1, "max_pages": limits.max_pages,
           "cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes, "pdftotext": _pdftotext(limits),
           "engine": limits.engine, "mode": "text"}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    return _run_child(job, env, wall_seconds=limits.wall_seconds, max_output_bytes=limits.max_output_bytes,
                      max_pages=limits.max_pages)


def _run_child(job: dict[str, Any], env: dict[str, str], *, wall_seconds: float, max_output_bytes: int,
               max_pages: int, stderr_path: Path | None = None) -> Extraction:
    started = time.monotonic()
    stderr_file = open(stderr_path, "wb") if stderr_path is not None else None  # noqa: SIM115 - closed below
    try:
        proc = subprocess.Popen(  # a fixed command: this interpreter, our script, a JSON argument
            [sys.executable, "-I", _CHILD, json.dumps(job)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=stderr_file if stderr_file is not None else subprocess.DEVNULL, close_fds=True,
            start_new_session=True, env=env)
    finally:
        if stderr_file is not None:
            stderr_file.close()
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    error = ""
    deadline = started + wall_seconds
    cap = max_output_bytes + 64  # plus the header line (a few dozen bytes)
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                error = "time limit"
                break
            if not sel.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                error = "output size limit"
                break
    if error:
        _kill(proc)
    else:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill(proc)
            error = "time limit"
    proc.stdout.close()
    raw = b"".join(chunks)
    pages: int | None = None
    if raw.startswith(HEADER):
        line, _, raw = raw.partition(b"\n")
        try:
            pages = json.loads(line[len(HEADER):]).get("pages")
        except ValueError:
            pages = None
    if not error:
        error = _reason(proc.returncode, max_pages)
    if error == _OCR_FAILED and stderr_path is not None:
        detail = stderr_path.read_bytes()[:500].decode("utf-8", errors="replace").strip()
        error = f"OCR failed ({detail})" if detail else "OCR failed"
    if not error and len(raw) > max_output_bytes:
        error = "output size limit"
    text = "" if error else raw.decode("utf-8", errors="replace").rstrip("\f\n")
    return Extraction(text=text, pages=pages, error=error, seconds=time.monotonic() - started)


# --------------------------------------------------------------------------- OCR

#: Shown (and recorded on the job) when the OCR tools are not installed; the fix is one command.
OCR_MISSING = "OCR needs tesseract-ocr: apt-get install tesseract-ocr tesseract-ocr-eng ghostscript"
_OCR_FAILED = "OCR failed"
_SKIPPED = re.compile(r"\[OCR skipped on page\(s\) [0-9, -]+\]")


@dataclass(frozen=True)
class OcrLimits:
    """Limits of one OCR run (ocrmypdf, Tesseract and Ghostscript each get the CPU seconds and memory)."""

    cpu_seconds: int = 1800
    memory_bytes: int = 2 << 30
    wall_seconds: float = 1800.0
    max_pages: int = 1000
    max_output_bytes: int = 16 << 20
    #: The largest temp file it may write (a page image at 300 dpi is a few tens of MB).
    file_bytes: int = 512 << 20
    language: str = "eng"
    #: Path of tesseract; None finds it on PATH.
    tesseract: str | None = None


def ocr_limits_from_config(config: Mapping[str, Any]) -> OcrLimits:
    """FOIA_OCR_CPU_SECONDS, _MEMORY_MB, _WALL_SECONDS, _MAX_PAGES, _LANGUAGE, FOIA_TESSERACT."""
    d = OcrLimits()
    return OcrLimits(
        cpu_seconds=int(config.get("FOIA_OCR_CPU_SECONDS") or d.cpu_seconds),
        memory_bytes=int(config.get("FOIA_OCR_MEMORY_MB") or (d.memory_bytes >> 20)) << 20,
        wall_seconds=float(config.get("FOIA_OCR_WALL_SECONDS") or d.wall_seconds),
        max_pages=int(config.get("FOIA_OCR_MAX_PAGES") or d.max_pages),
        language=str(config.get("FOIA_OCR_LANGUAGE") or d.language),
        tesseract=config.get("FOIA_TESSERACT"),
    )


def find_tesseract(limits: OcrLimits) -> str:
    """The tesseract to run, or "" when it is not installed (the job then fails with ``OCR_MISSING``)."""
    path = limits.tesseract if limits.tesseract is not None else (shutil.which("tesseract") or "")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else ""


def ocr_in_sandbox(path: str | Path, mime: str, pages: list[int] | None = None,
                   limits: OcrLimits | None = None) -> Extraction:
    """The text Tesseract reads on ``pages`` (1-based; None: all) of the PDF or image at ``path``, by ocrmypdf
    in a limited child process with a private temp directory that is removed afterwards, whatever happens."""
    limits = limits or OcrLimits()
    tesseract = find_tesseract(limits)
    if not tesseract:
        return Extraction(text="", pages=None, error=OCR_MISSING, seconds=0.0)
    job = {"path": str(path), "mime": mime, "max_chars": limits.max_output_bytes + 1, "max_pages": limits.max_pages,
           "cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes, "pdftotext": "",
           "engine": "pdfium", "mode": "ocr", "ocr_pages": sorted(set(pages)) if pages else None,
           "file_bytes": limits.file_bytes, "language": limits.language}
    search_path = os.pathsep.join(dict.fromkeys([os.path.dirname(tesseract),
                                                 *os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)]))
    with tempfile.TemporaryDirectory(prefix="foia-ocr-") as tmp:
        env = {"PATH": search_path, "LC_ALL": "C.UTF-8", "TMPDIR": tmp, "HOME": tmp,
               "OMP_THREAD_LIMIT": "1"}  # one Tesseract thread: the limits are per process, the cores shared
        result = _run_child(job, env, wall_seconds=limits.wall_seconds, max_output_bytes=limits.max_output_bytes,
                            max_pages=limits.max_pages, stderr_path=Path(tmp) / "stderr.txt")
    if result.error:
        return result
    text = _SKIPPED.sub("", result.text)
    return Extraction(text=text.strip("\f\n "), pages=result.pages, error="", seconds=result.seconds)


def _reason(code: int | None, max_pages: int) -> str:
    """Why the child's exit means no text ("" when it finished, even with a damaged file)."""
    if code is None or code == 0:
        return ""
    if code in (-signal.SIGXCPU, -signal.SIGKILL, EXIT_CPU):
        return "CPU time limit"
    if code in (EXIT_MEMORY, -signal.SIGABRT, -signal.SIGSEGV):
        # poppler aborts (std::bad_alloc) and Python raises MemoryError when the address-space limit bites.
        return "memory limit"
    if code == EXIT_PAGES:
        return f"page limit: more than {max_pages:,} pages"
    if code == EXIT_OCR_MISSING:
        return OCR_MISSING
    if code == EXIT_OCR_FAILED:
        return _OCR_FAILED
    if code < 0:
        return f"the extractor stopped on signal {-code}"
    # pdftotext exits 1 (cannot open), 3 (permissions) or 99 on a damaged file: treated as "no text", like pypdf.
    return ""
