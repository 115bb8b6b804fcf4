#!/usr/bin/env python3
"""Make the demo race: 1500 m on the example track, 15 entries, simulated with a fixed seed.

    .venv/bin/python examples/demo_race/make_demo.py
    retrotrack race examples/demo_race/race.toml --out site

Among the entries: two runners who ran forward for part of the race (dq), one
who dropped out (dnf), one who never came (dns), one whose watch only has the
warm-up (dns), one whose FIT file was cut off mid-race (error), one with a hand
time as well as a track, and one with a hand time and no watch. Tracks are FIT,
with every third as GPX. truth.json holds what really happened, for checking.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from retrotrack.race.trackconfig import StandardTrack  # noqa: E402
from retrotrack.simulate.race import simulate_race, track_course, utc, write_race_folder  # noqa: E402

SEED = 2026
KINDS = ["finish", "finish", "cheat", "finish", "dnf", "finish", "hand", "finish", "dns",
         "error", "finish", "cheat", "dns_track", "nowatch", "finish"]


def main() -> None:
    track = StandardTrack(53.3051, -6.2182, 352.0)
    course = track_course(track, 1500, utc(2026, 6, 14, 9, 0), name="Riverside Retro Mile-ish (1500 m)")
    course.race.venue = "Riverside Park track"
    runners = simulate_race(course, len(KINDS), seed=SEED, kinds=KINDS, warmup_s=(120.0, 200.0))
    for old in (HERE / "tracks").glob("*"):
        old.unlink()
    write_race_folder(course, runners, HERE)


if __name__ == "__main__":
    main()
