#!/usr/bin/env python3
"""Write the ready-made race configs: every standard distance on the example track, and a road loop.

    python race_configs/make_configs.py

The example track's finish line meets the inside kerb at 53.305100, -6.218200,
and the home straight runs on a bearing of 352 degrees. For your own track, run
`retrotrack track-config --finish LAT,LON --bearing DEG --distance METRES`.
Each config has a small entries file (hand times only) so it can be tried at once.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from retrotrack.atomic import write_atomic  # noqa: E402
from retrotrack.race.config import race_to_toml  # noqa: E402
from retrotrack.race.trackconfig import STANDARD_DISTANCES_M, StandardTrack, track_config_toml  # noqa: E402
from retrotrack.simulate.race import road_loop_course  # noqa: E402

TRACK = StandardTrack(53.3051, -6.2182, 352.0)
GUN = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)

# Plausible club hand times (seconds) per distance for three runners; a fourth did not start.
PACE_S_PER_M = {100: 0.19, 200: 0.2, 400: 0.23, 800: 0.27, 1500: 0.3, 3000: 0.31, 5000: 0.32, 10000: 0.33}
PEOPLE = [("1", "Aoife Byrne", "F", 1988, "Riverside AC", 1.0),
          ("2", "Sean Murphy", "M", 1975, "Harbour Harriers", 1.08),
          ("3", "Róisín Ní Bhriain", "F", 2008, "", 1.15),
          ("4", "Cian Kelly", "M", 1999, "Retro Runners", None)]


def entries_csv(distance: float) -> str:
    pace = PACE_S_PER_M.get(int(distance), 0.32)
    lines = ["bib,name,sex,birth_year,club,track,time"]
    for bib, name, sex, by, club, factor in PEOPLE:
        time = f"{distance * pace * factor:.2f}" if factor else ""
        lines.append(f"{bib},{name},{sex},{by},{club},,{time}")
    return "\n".join(lines) + "\n"


def main() -> None:
    for d in STANDARD_DISTANCES_M:
        stem = f"track_{d}m"
        write_atomic(HERE / f"{stem}.toml", track_config_toml(TRACK, d, gun_time=GUN, name=f"Riverside Retro {d} m",
                                                              entries_file=f"entries/{stem}.csv"))
        write_atomic(HERE / "entries" / f"{stem}.csv", entries_csv(d))
    stem = "track_800m_lanes"
    write_atomic(HERE / f"{stem}.toml", track_config_toml(TRACK, 800, gun_time=GUN, name="Riverside Retro 800 m (lanes)",
                                                          entries_file=f"entries/{stem}.csv", lane_start=True))
    write_atomic(HERE / "entries" / f"{stem}.csv", entries_csv(800))
    course = road_loop_course(53.3032, -6.2101, 5000.0, GUN, lap_m=1000.0, name="Riverside Retro Road 5 km")
    comments = [
        "5 km: five laps of a 1 km road loop; start and finish share one line, and the race ends at the fifth",
        "counted crossing of it (the start itself, within the first 50 m, does not count). A checkpoint halfway round.",
    ]
    write_atomic(HERE / "road_loop_5k.toml", race_to_toml(course.race, "entries/road_loop_5k.csv", comments))
    write_atomic(HERE / "entries" / "road_loop_5k.csv", entries_csv(5000))


if __name__ == "__main__":
    main()
