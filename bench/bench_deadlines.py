"""Benchmark: clock computations per second on one core (not a timed test).

    .venv/bin/python bench/bench_deadlines.py [--seconds 2]

Reports, per scenario, how many ``compute_clocks`` calls and how many individual clocks
per second the engine computes, with explanations left unrendered (they are built lazily
when read) and with every explanation rendered.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from foia.deadlines import (
    AgencyRules,
    Closure,
    LedgerEvent,
    compute_clocks,
    law_slugs,
    load_law,
)


def _requests(n: int, seed: int = 7) -> list[tuple]:
    rng = random.Random(seed)
    laws = [load_law(s) for s in law_slugs()]
    out = []
    for _ in range(n):
        law = rng.choice(laws)
        r = date(2024, 1, 1) + timedelta(days=rng.randrange(365 * 4))
        events = [LedgerEvent("received", r)]
        if rng.random() < 0.3:
            events.append(LedgerEvent("extension", r + timedelta(days=3)))
        if rng.random() < 0.2:
            s = r + timedelta(days=rng.randrange(1, 10))
            events += [LedgerEvent("toll_start", s), LedgerEvent("toll_end", s + timedelta(days=rng.randrange(1, 15)))]
        if rng.random() < 0.3:
            events.append(LedgerEvent("determination", r + timedelta(days=rng.randrange(5, 40))))
        out.append((law, events))
    return out


def _run(label: str, work: list[tuple], seconds: float, render: bool, **kw: object) -> None:
    calls = clocks = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for law, events in work:
            result = compute_clocks(law, events, **kw)  # type: ignore[arg-type]
            if render:
                for c in result:
                    _ = c.explanation  # render the explanation text (it is lazy)
            calls += 1
            clocks += len(result)
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {calls / elapsed:>10,.0f} calls/s {clocks / elapsed:>10,.0f} clocks/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    mixed = _requests(2000)
    simple = [(load_law("us-foia"), [LedgerEvent("received", date(2026, 1, 5) + timedelta(days=i % 300))])
              for i in range(2000)]
    for law, events in mixed + simple:  # warm the law and holiday caches
        compute_clocks(law, events)
    print(f"python {sys.version.split()[0]}; one process, one core")
    _run("us-foia response only (1 clock/call)", simple, args.seconds, render=False)
    _run("us-foia response only, explanation rendered", simple, args.seconds, render=True)
    _run("mixed laws/events (ext, tolls, appeals)", mixed, args.seconds, render=False)
    _run("mixed, explanations rendered", mixed, args.seconds, render=True)
    closures = [Closure(date(2026, 3, 10), "Storm"), Closure(date(2026, 12, 24), "EO")]
    _run("mixed, with 2 ad-hoc closures", mixed, args.seconds, render=False, closures=closures)
    _run("mixed, agency override lookup (dhs-ice)", mixed, args.seconds, render=False,
         agency=AgencyRules(slug="dhs-ice"))


if __name__ == "__main__":
    main()
