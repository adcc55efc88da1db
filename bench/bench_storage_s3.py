"""Benchmark: the S3 document store against boto3 alone, on moto's standalone S3 server (loopback HTTP).

    .venv/bin/python bench/bench_storage_s3.py [--size-mb 64] [--rounds 5]

Builds its own data (a ``--size-mb`` file of random bytes, written 1 MiB at a time) and starts its own
``python -m moto.server``. Each round, interleaved in the same run:

- floor upload: boto3 ``upload_file`` of the file (the same multipart settings);
- app upload: ``S3BlobStore.put_stream(stage=True)`` (stream into a local temp file, sha256, size cap),
  ``promote`` (the multipart upload) and ``confirm`` (HEAD, drop the temp file);
- floor download: ``get_object`` body read in 1 MiB chunks;
- app download: ``open_blob`` read in 1 MiB chunks.

Prints min/median/max seconds of each and the RATIO of the app's median to its floor's median. Then, in fresh
child processes, the peak RSS above idle of the floor upload and of the app upload (the file is never held
in memory: both stay at a few multipart chunks).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1 << 20
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_DEFAULT_REGION": "us-east-1"}


def _hwm_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def start_moto(log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with open(log, "ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=sink, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"http://127.0.0.1:{port}", proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto's S3 server did not start (install moto[server])")


def child(kind: str, endpoint: str, bucket: str, source: str, staging: str) -> None:
    """Fresh interpreter: one upload, peak RSS above idle as JSON."""
    import boto3

    from foia.documents.storage_s3 import TRANSFER, S3BlobStore

    client = boto3.session.Session().client("s3", endpoint_url=endpoint)
    store = S3BlobStore(bucket, "child", staging_dir=staging, endpoint_url=endpoint, client=client)
    client.head_bucket(Bucket=bucket)  # connections and imports warm before the idle mark
    idle = _hwm_kb()
    with open(source, "rb") as fh:
        if kind == "floor":
            client.upload_file(source, bucket, f"floor/{kind}", Config=TRANSFER)
        else:
            blob = store.put_stream(fh, max_bytes=os.path.getsize(source), stage=True)
            store.confirm(store.promote(blob))
    print(json.dumps({"above_idle_mb": (_hwm_kb() - idle) / 1024}))


def stats(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=5)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    os.environ.update(ENV)
    import boto3

    from foia.documents.storage_s3 import TRANSFER, S3BlobStore

    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        work = Path(tmp)
        endpoint, proc = start_moto(work / "moto.log")
        try:
            client = boto3.session.Session().client("s3", endpoint_url=endpoint)
            bucket = "bench"
            client.create_bucket(Bucket=bucket)
            store = S3BlobStore(bucket, "docs", staging_dir=work / "staging", endpoint_url=endpoint, client=client)
            source = work / "source.bin"
            with open(source, "wb") as out:
                for _ in range(args.size_mb):
                    out.write(os.urandom(MIB))
            size = source.stat().st_size
            times: dict[str, list[float]] = {"floor upload": [], "app upload": [], "floor download": [],
                                             "app download": []}
            sha = None
            for _ in range(args.rounds):
                t = time.perf_counter()
                client.upload_file(str(source), bucket, "floor/object", Config=TRANSFER)
                times["floor upload"].append(time.perf_counter() - t)
                if sha:
                    client.delete_object(Bucket=bucket, Key=store.key_for(sha))  # a real upload each round
                t = time.perf_counter()
                with open(source, "rb") as fh:
                    blob = store.put_stream(fh, max_bytes=size, stage=True)
                store.confirm(store.promote(blob))
                times["app upload"].append(time.perf_counter() - t)
                sha = blob.sha256
                t = time.perf_counter()
                body = client.get_object(Bucket=bucket, Key="floor/object")["Body"]
                while body.read(MIB):
                    pass
                times["floor download"].append(time.perf_counter() - t)
                t = time.perf_counter()
                with store.open_blob(sha) as fh:
                    while fh.read(MIB):
                        pass
                times["app download"].append(time.perf_counter() - t)
            print(f"S3 store on moto's server, {args.size_mb} MB file, {args.rounds} interleaved rounds")
            for name, values in times.items():
                print(f"  {name:15s} {stats(values)}")
            for op in ("upload", "download"):
                ratio = statistics.median(times[f"app {op}"]) / statistics.median(times[f"floor {op}"])
                print(f"  RATIO app/floor {op}: {ratio:.2f}x")
            for kind in ("floor", "app"):
                out = subprocess.run([sys.executable, __file__, "--child", kind, endpoint, bucket, str(source),
                                      str(work / "staging")], check=True, capture_output=True, text=True, cwd=ROOT)
                mem = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"  peak RSS above idle, {kind} upload: {mem['above_idle_mb']:.1f} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
