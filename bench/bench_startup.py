"""Benchmark: start-up of `flask foia ...` commands and of the web app, against a Python floor, interleaved.

Each round runs, in turn and each in a fresh process:
  * the floor: `python -c "import flask"` (the interpreter and Flask, nothing of the app), and `flask --help` in
    an empty folder (Flask's CLI and its plugins' commands, no app);
  * `flask foia --help` and `flask foia reminders --help` (commands that do not render);
  * `python -c "import app"` (what gunicorn's master imports once with preload_app);
for this checkout and for every --tree given (e.g. an export of the commit before, to print before -> after in the
same run). Prints min / median / max wall time of each and its ratio to the floor's median.

    git archive 5207f68 | (mkdir -p /tmp/foia-before && tar -x -C /tmp/foia-before)
    .venv/bin/python bench/bench_startup.py [--runs 10] [--tree /tmp/foia-before]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {
    "flask foia --help": ["-m", "flask", "foia", "--help"],
    "flask foia reminders --help": ["-m", "flask", "foia", "reminders", "--help"],
    "import app (web app, create_app)": ["-c", "import app"],
}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--tree", action="append", default=[], help="another checkout to measure the same way")
    args = ap.parse_args()
    trees = {"this tree": ROOT} | {t: Path(t).resolve() for t in args.tree}
    # Byte-compile every tree first, as an installed app is (pip compiles what it installs): where
    # PYTHONDONTWRITEBYTECODE is set (it is on this machine) a checkout's modules would otherwise be compiled again
    # from source on every start, and the bench would time the compiler (1.5 s of `import app` here).
    for tree in trees.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "foia"),
                        str(tree / "app.py")], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)

        def env_for(tree: Path) -> dict[str, str]:
            return dict(os.environ, PYTHONPATH=str(tree), FLASK_APP="app.py", FOIA_SECRET_KEY="bench",
                        FOIA_DATABASE_URL=f"sqlite:///{tmp / 'startup.sqlite3'}", FOIA_STORAGE_DIR=str(tmp / "s"),
                        FOIA_OUTBOX_DIR=str(tmp / "o"))

        samples: dict[tuple[str, str], list[float]] = {}
        floor: list[float] = []
        flask_cli: list[float] = []
        empty = tmp / "empty"
        empty.mkdir()
        bare_env = {k: v for k, v in env_for(ROOT).items() if k not in ("FLASK_APP", "PYTHONPATH")}
        for _ in range(args.runs):
            floor.append(run(["-c", "import flask"], ROOT, env_for(ROOT)))
            # Flask's own CLI with its plugins' commands (Flask-Migrate's `db`, Flask-Limiter's `limiter`) and no
            # app: what any `flask ...` command pays before the app is imported.
            flask_cli.append(run(["-m", "flask", "--help"], empty, bare_env))
            for tree_name, tree in trees.items():
                for label, cmd in COMMANDS.items():
                    samples.setdefault((tree_name, label), []).append(run(cmd, tree, env_for(tree)))
    floor_median = statistics.median(floor)

    def row(label: str, xs: list[float]) -> str:
        return (f"{label:52} {min(xs):7.3f} / {statistics.median(xs):7.3f} / {max(xs):7.3f} s "
                f"{statistics.median(xs) / floor_median:6.1f}x")

    print(f"{args.runs} rounds, interleaved; each a fresh process; Python {sys.version.split()[0]}; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"{'':52} {'min / median / max':>27} {'ratio to floor':>6}")
    print(row('floor: python -c "import flask"', floor))
    print(row("flask --help with no app (Flask CLI + plugins)", flask_cli))
    for (tree_name, label), xs in samples.items():
        print(row(f"[{tree_name}] {label}", xs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
