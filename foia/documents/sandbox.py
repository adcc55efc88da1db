"""Text extraction in a separate, limited process (security review M5).

A 9 KB PDF whose pages share one 8 MB content stream kept pypdf busy for minutes inside a web
request that held the SQLite write lock. Extraction now runs in a child process
(``sandbox_child.py``) that lowers its own CPU-time and address-space limits before it reads the
file, with a page cap, an output cap and a wall-clock timeout enforced here. PDFs go to poppler's
``pdftotext`` (Debian poppler-utils) when it is installed, a dozen times faster than pypdf on such
files; otherwise pypdf runs in the child. Nothing here touches the database: callers run it between
transactions.

A file that hits a limit gets ``Extraction.error`` = the limit ("CPU time limit", "memory limit",
...); a file that is merely damaged gives whatever text could be read and no error, as before.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foia.documents.sandbox_child import EXIT_MEMORY, EXIT_PAGES, HEADER

__all__ = ["Extraction", "ExtractionLimits", "extract_in_sandbox", "limits_from_config"]

_CHILD = str(Path(__file__).with_name("sandbox_child.py"))


@dataclass(frozen=True)
class ExtractionLimits:
    cpu_seconds: int = 60
    memory_bytes: int = 1 << 30
    wall_seconds: float = 120.0
    max_pages: int = 5000
    max_output_bytes: int = 16 << 20
    #: Path of pdftotext, "" to use pypdf in the child; None finds it on PATH.
    pdftotext: str | None = None


def limits_from_config(config: Mapping[str, Any]) -> ExtractionLimits:
    """FOIA_EXTRACT_CPU_SECONDS, _MEMORY_MB, _WALL_SECONDS, _MAX_PAGES, _MAX_OUTPUT_MB, FOIA_PDFTOTEXT."""
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
    started = time.monotonic()
    # One character more than the cap: text that long is over it (a text file is not silently cut short).
    job = {"path": str(path), "mime": mime, "max_chars": limits.max_output_bytes + 1, "max_pages": limits.max_pages,
           "cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes, "pdftotext": _pdftotext(limits)}
    proc = subprocess.Popen(  # a fixed command: this interpreter, our script, a JSON argument
        [sys.executable, "-I", _CHILD, json.dumps(job)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    error = ""
    deadline = started + limits.wall_seconds
    cap = limits.max_output_bytes + 64  # plus the header line (a few dozen bytes)
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
        error = _reason(proc.returncode, limits)
    if not error and len(raw) > limits.max_output_bytes:
        error = "output size limit"
    text = "" if error else raw.decode("utf-8", errors="replace").rstrip("\f\n")
    return Extraction(text=text, pages=pages, error=error, seconds=time.monotonic() - started)


def _reason(code: int | None, limits: ExtractionLimits) -> str:
    """Why the child's exit means no text ("" when it finished, even with a damaged file)."""
    if code is None or code == 0:
        return ""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return "CPU time limit"
    if code in (EXIT_MEMORY, -signal.SIGABRT, -signal.SIGSEGV):
        # poppler aborts (std::bad_alloc) and Python raises MemoryError when the address-space limit bites.
        return "memory limit"
    if code == EXIT_PAGES:
        return f"page limit: more than {limits.max_pages:,} pages"
    if code < 0:
        return f"the extractor stopped on signal {-code}"
    # pdftotext exits 1 (cannot open), 3 (permissions) or 99 on a damaged file: treated as "no text", like pypdf.
    return ""
