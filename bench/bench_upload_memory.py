"""Benchmark: memory and speed of storing a large upload, and of PDF text extraction (not a timed test).

    .venv/bin/python bench/bench_upload_memory.py [--size-mb 500] [--chunk-kb 1024] [--pages 100] [--dir DIR]

1. Writes a ``--size-mb`` file of random bytes (1 MiB blocks, so the bench itself never
   holds it in memory), then stores it with ``BlobStore.put_stream`` in a fresh child
   process and reports the child's peak RSS above its idle peak (``VmHWM`` from
   /proc/self/status after imports vs. after the store; ``ru_maxrss`` as a cross-check)
   and the throughput. Target: under 64 MB above idle.
2. Renders a ``--pages`` page PDF with WeasyPrint and times ``pdf_page_count`` and
   ``extract_text`` on it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1 << 20
TARGET_MB = 64


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(source: str, store_root: str, chunk_size: int) -> None:
    """Runs in a fresh interpreter: store `source`, print measurements as JSON."""
    import resource

    from foia.documents.storage import BlobStore

    store = BlobStore(store_root)
    idle_hwm_kb = _status_kb("VmHWM")
    idle_rss_kb = _status_kb("VmRSS")
    size = os.path.getsize(source)
    started = time.perf_counter()
    with open(source, "rb") as fh:
        blob = store.put_stream(fh, max_bytes=size, chunk_size=chunk_size)
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "size": blob.size,
        "sha256": blob.sha256,
        "seconds": elapsed,
        "idle_rss_kb": idle_rss_kb,
        "idle_hwm_kb": idle_hwm_kb,
        "peak_hwm_kb": _status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


def write_source(path: Path, size_mb: int) -> float:
    started = time.perf_counter()
    with open(path, "wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(MIB))
    return time.perf_counter() - started


def bench_upload(work: Path, size_mb: int, chunk_size: int) -> bool:
    source = work / "source.bin"
    print(f"writing {size_mb} MB of random data ... ", end="", flush=True)
    print(f"{write_source(source, size_mb):.1f} s")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(source), str(work / "store"), str(chunk_size)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    above_idle_mb = (r["peak_hwm_kb"] - r["idle_hwm_kb"]) / 1024
    mb = r["size"] / MIB
    print(f"put_stream: {mb:.0f} MB in {r['seconds']:.2f} s = {mb / r['seconds']:.0f} MB/s "
          f"(chunk {chunk_size // 1024} KiB, includes sha256 and fsync)")
    print(f"  idle RSS {r['idle_rss_kb'] / 1024:.1f} MB, idle peak {r['idle_hwm_kb'] / 1024:.1f} MB, "
          f"peak during store {r['peak_hwm_kb'] / 1024:.1f} MB (ru_maxrss {r['ru_maxrss_kb'] / 1024:.1f} MB)")
    ok = above_idle_mb < TARGET_MB
    print(f"  peak above idle: {above_idle_mb:.1f} MB  [{'OK' if ok else 'OVER'} target < {TARGET_MB} MB]")
    return ok


def bench_pdf(work: Path, pages: int) -> None:
    import weasyprint

    from foia.documents.extract import extract_text, pdf_page_count, sniff

    para = ("Detention records for Adelanto ICE Processing Center: inspection findings, grievances, "
            "medical staffing, use-of-force reports and contract modifications. ") * 12
    body = "".join(f"<h2>Section {i + 1}</h2><p>{para}</p><p>{para}</p>"
                   f"<p style='page-break-after: always'>End of page {i + 1}.</p>" for i in range(pages))
    started = time.perf_counter()
    pdf = work / "multi.pdf"
    pdf.write_bytes(weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf())
    print(f"rendered {pages} sections of dense text as a PDF ({pdf.stat().st_size / 1024:.0f} KB) "
          f"in {time.perf_counter() - started:.1f} s")
    assert sniff(pdf) == "application/pdf"
    started = time.perf_counter()
    count = pdf_page_count(pdf)
    count_s = time.perf_counter() - started
    started = time.perf_counter()
    text = extract_text(pdf, "application/pdf")
    extract_s = time.perf_counter() - started
    print(f"pdf_page_count: {count} pages in {count_s * 1000:.0f} ms")
    print(f"extract_text: {len(text):,} chars from {count} pages in {extract_s:.2f} s "
          f"= {(count or 0) / extract_s:.0f} pages/s, {len(text) / extract_s / 1000:.0f}k chars/s")
    if shutil.which("pdftotext"):  # reference point only: poppler, not what the app uses
        started = time.perf_counter()
        subprocess.run(["pdftotext", str(pdf), str(work / "multi.txt")], check=True)
        print(f"  (reference: poppler pdftotext takes {time.perf_counter() - started:.2f} s on the same file)")


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--chunk-kb", type=int, default=1024)
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--dir", help="scratch folder (default: a new temp folder, removed afterwards)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=args.dir))
    try:
        ok = bench_upload(work, args.size_mb, args.chunk_kb * 1024)
        bench_pdf(work, args.pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
