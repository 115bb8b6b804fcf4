#!/usr/bin/env python3
"""Peak memory of the `retrotrack` command on the largest inputs it meets.

    .venv/bin/python benchmarks/bench_memory.py [--quick]

Every case runs the command in a process of its own, and its peak resident set
size comes from the operating system when it ends (wait4: the largest of the
process and the workers it started). Figures:

- the floor: Python importing the command and everything it imports;
- `retrotrack analyze FILE --json --html` on simulated 1 Hz sessions of
  2 h, 8 h and 24 h (7,200 to 86,400 records) written as FIT and as GPX, and
  on the largest real FIT and GPX exports when ../shared is here; beside each,
  what the analysis holds per record above the floor;
- `retrotrack race` of 150 runners over 10,000 m on a track (about 520,000
  records in all; --quick: 5,000 m): the largest process with the default
  workers, and everything in one process (--jobs 1).

Budget: no process above 1 GB, so a race or a day-long file runs on a small
laptop or a 2 GB CI runner with room to spare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrotrack.race.trackconfig import StandardTrack  # noqa: E402
from retrotrack.readers import read_activity  # noqa: E402
from retrotrack.simulate.gait import Gait, make_runner  # noqa: E402
from retrotrack.simulate.race import simulate_race, track_course, utc, write_race_folder  # noqa: E402
from retrotrack.simulate.session import Phase, simulate_activity  # noqa: E402

REAL = REPO.parent / "shared" / "fixtures" / "real"
REAL_FILES = ("fitparse__activity-large-fenxi2-multisport.fit", "sweatpy__activity_4078723797.gpx")
BUDGET_MB = 1024.0
COMMAND = [sys.executable, "-m", "retrotrack"]


LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""
"""Runs a case and reports its peak. A child's peak counts the image it was forked from until it starts the
command, so cases are started from this small process, not from the benchmark's own (large) one."""


def peak_mb(args: list[str]) -> float:
    """Run `args` to the end; the peak resident set size (MB) of it and the workers it started."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *args], capture_output=True, text=True, cwd=REPO)
    code, peak = (int(v) for v in done.stdout.split())
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}): {done.stderr.strip()}")
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)  # macOS counts bytes, Linux KiB


def long_session(hours: float, seed: int):
    """A 1 Hz session of `hours`: forward and backward running, with walks, from the simulator."""
    rng = np.random.default_rng(seed)
    runner = make_runner(rng)
    phases, total = [], 0.0
    while total < hours * 3600.0:
        for gait, speed, span in ((Gait.FORWARD_RUN, runner.forward_run_mps, (300, 1200)),
                                  (Gait.BACKWARD_RUN, runner.backward_run_mps, (60, 600)),
                                  (Gait.FORWARD_WALK, runner.forward_walk_mps, (60, 300))):
            phases.append(Phase(gait, float(rng.uniform(*span)), speed))
            total += phases[-1].duration_s
    return simulate_activity(seed, runner=runner, phases=phases)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sessions of 2 h and 8 h only, and a 5,000 m race")
    args = ap.parse_args()
    over = []

    def show(label: str, mb: float, extra: str = "") -> None:
        print(f"  {label:66s} {mb:7.1f} MB{extra}")
        if mb > BUDGET_MB:
            over.append(label)

    floor = peak_mb([sys.executable, "-c", "import retrotrack.cli, retrotrack.race, retrotrack.render"])
    print(f"peak resident memory, each case in a process of its own (budget {BUDGET_MB:.0f} MB)")
    show("python importing retrotrack (the floor)", floor)
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp_dir:
        tmp = Path(tmp_dir)
        files = []
        for hours in (2, 8) if args.quick else (2, 8, 24):
            sim = long_session(hours, 40 + hours)
            for fmt in ("fit", "gpx"):
                files.append((sim.write(tmp / f"{hours}h.{fmt}"), f"{hours} h simulated, {fmt.upper()}"))
        for name in REAL_FILES:
            if (REAL / name).is_file():
                files.append((REAL / name, name))
        print("\nretrotrack analyze FILE --json --html")
        for path, label in files:
            records = len(read_activity(path))
            mb = peak_mb([*COMMAND, "analyze", str(path), "--json", str(tmp / "a.json"), "--html", str(tmp / "a.html")])
            show(f"{label} ({records:,} records)", mb, f"   {(mb - floor) * 1024 * 1024 / records:6.0f} bytes/record above the floor")

        distance = 5000.0 if args.quick else 10000.0
        course = track_course(StandardTrack(53.3051, -6.2182, 352.0), distance, utc(2026, 6, 14, 9, 0))
        folder = tmp / "race150"
        write_race_folder(course, simulate_race(course, 150, seed=99), folder)
        print(f"\nretrotrack race: 150 runners over {distance:,.0f} m")
        config = str(folder / "race.toml")
        show(f"largest process, {os.cpu_count()} workers", peak_mb([*COMMAND, "race", config, "--out", str(tmp / "o1")]))
        show("one process (--jobs 1)", peak_mb([*COMMAND, "race", config, "--out", str(tmp / "o2"), "--jobs", "1"]))
    print(f"\ntarget: every process <= {BUDGET_MB:.0f} MB: {'MET' if not over else 'NOT met: ' + ', '.join(over)}")
    return 0 if not over else 1


if __name__ == "__main__":
    sys.exit(main())
