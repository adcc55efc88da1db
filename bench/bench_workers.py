"""Benchmark: which gunicorn worker class keeps the app answering while slow clients upload?

Starts the app twice with the project's gunicorn.conf.py on one migrated SQLite database, at the same time on two
ports: `sync` workers and `gthread` workers (FOIA_WORKER_CLASS / FOIA_THREADS; gevent is not installed, so it is not
measured). Round by round, alternating which server goes first, it

  * times GET /healthz?checks=database with nobody else connected (the floor), then
  * starts N slow clients that each POST a form body of --kb KB to /login at --rate KB/s (a phone uploading a
    document on a slow link) and, half a second later, while they trickle, times GET /healthz again (new slow
    clients for each such probe).

Prints min / median / max of each, and the ratio of /healthz under slow clients to its floor, per worker class.

    .venv/bin/python bench/bench_workers.py [--workers 2] [--threads 8] [--clients 2] [--kb 300] [--rate 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serve import base_env, flask, free_port, start_gunicorn, stop, summary


def slow_upload(port: int, size: int, rate: int, stop_at: float) -> None:
    """POST `size` bytes of form body to /login at `rate` bytes per second, in 10 KB pieces."""
    body_piece = b"x" * 10_240
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall((f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                       f"Content-Length: {size + 5}\r\nConnection: close\r\n\r\nnote=").encode())
            sent = 0
            while sent < size and time.monotonic() < stop_at:
                piece = body_piece[: min(len(body_piece), size - sent)]
                s.sendall(piece)
                sent += len(piece)
                time.sleep(len(piece) / rate)
            if sent >= size:
                s.recv(1024)
    except OSError:
        pass


def healthz(port: int, timeout: float = 120) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?checks=database", timeout=timeout) as resp:
        resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--clients", type=int, default=2, help="slow clients at once (default: as many as workers)")
    ap.add_argument("--kb", type=int, default=300, help="size of each slow upload")
    ap.add_argument("--rate", type=int, default=100, help="KB/s of each slow client")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--probes", type=int, default=2, help="/healthz timings per phase and round")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = base_env(f"sqlite:///{tmp / 'workers.sqlite3'}", tmp)
        flask(env, "db", "upgrade")
        classes = {"sync": {"FOIA_WORKER_CLASS": "sync", "FOIA_THREADS": "1"},  # threads > 1 would make it gthread
                   "gthread": {"FOIA_WORKER_CLASS": "gthread", "FOIA_THREADS": str(args.threads)}}
        ports = {name: free_port() for name in classes}
        servers = {name: start_gunicorn(env, ports[name], WEB_CONCURRENCY=str(args.workers), **settings)
                   for name, settings in classes.items()}
        idle: dict[str, list[float]] = {name: [] for name in classes}
        loaded: dict[str, list[float]] = {name: [] for name in classes}
        try:
            for rnd in range(args.rounds):
                order = list(classes) if rnd % 2 == 0 else list(reversed(classes))
                for name in order:
                    port = ports[name]
                    healthz(port)  # warm
                    idle[name] += [healthz(port) for _ in range(args.probes)]
                    for _ in range(args.probes):
                        # New slow clients for each probe: once an upload ends a sync worker is free again,
                        # so a probe after the first would not be measured while they hold the workers.
                        stop_at = time.monotonic() + args.kb / args.rate + 30
                        clients = [threading.Thread(target=slow_upload, daemon=True,
                                                    args=(port, args.kb * 1024, args.rate * 1024, stop_at))
                                   for _ in range(args.clients)]
                        for c in clients:
                            c.start()
                        time.sleep(0.5)  # the uploads have started and hold their connections
                        loaded[name].append(healthz(port))
                        for c in clients:
                            c.join()
        finally:
            for proc in servers.values():
                stop(proc)

    print(f"{args.workers} workers; {args.clients} slow clients each uploading {args.kb} KB at {args.rate} KB/s "
          f"(about {args.kb / args.rate:.0f} s); {args.rounds} rounds x {args.probes} probes, interleaved")
    print(f"{'worker class':22} {'/healthz idle (floor)':>32} {'/healthz during slow uploads':>32} {'ratio':>8}")
    for name in classes:
        label = name if name == "sync" else f"gthread x {args.threads}"
        ratio = sorted(loaded[name])[len(loaded[name]) // 2] / sorted(idle[name])[len(idle[name]) // 2]
        print(f"{label:22} {summary(idle[name]):>32} {summary(loaded[name]):>32} {ratio:7.1f}x")
    med = {name: sorted(loaded[name])[len(loaded[name]) // 2] for name in classes}
    print(f"during slow uploads, sync / gthread (medians): {med['sync'] / med['gthread']:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
