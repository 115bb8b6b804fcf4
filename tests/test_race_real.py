"""`retrotrack race` on real watch exports: gates laid across real runs at points the runner passed.

The people in ../shared/fixtures/real ran forward, so a backward race laid over
their runs must time them where their own fixes pass the gates, count a loop's
earlier pass of the finish first, and never certify their running as backward.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import needs_real, real_file
from retrotrack.cli import cli
from retrotrack.geo import LocalProjection
from retrotrack.motion import recorded_speed_mps
from retrotrack.race.timing import watch_distance
from retrotrack.readers import read_activity

pytestmark = needs_real


def gate_on_the_track(act, at_s: float) -> tuple[list[float], str]:
    """A 30 m gate through the fix nearest `at_s`, square to the runner's travel there: the times the raw
    fixes pass it in that direction (straight lines between fixes), and the gate as TOML."""
    t = np.asarray(act.t_s)
    ok = np.isfinite(act.lat_deg)
    i = int(np.argmin(np.where(ok, np.abs(t - at_s), np.inf)))
    proj = LocalProjection(act.lat_deg[i], act.lon_deg[i])
    x, y = proj.to_xy(act.lat_deg[ok], act.lon_deg[ok])
    j = int(np.searchsorted(t[ok], t[i]))
    b = math.atan2(x[j + 5] - x[j - 5], y[j + 5] - y[j - 5])
    along, across = x * math.sin(b) + y * math.cos(b), x * math.cos(b) - y * math.sin(b)
    k = np.where((along[:-1] < 0) & (along[1:] >= 0))[0]
    f = -along[k] / (along[k + 1] - along[k])
    near = np.abs(across[k] + f * (across[k + 1] - across[k])) < 15.0
    passes = [float(v) for v in (t[ok][k] + f * np.diff(t[ok])[k])[near]]
    gate = f"{{ at = [{act.lat_deg[i]:.7f}, {act.lon_deg[i]:.7f}], bearing = {math.degrees(b) % 360.0:.1f}, width_m = 30 }}"
    return passes, gate


def race_over(tmp_path, name: str, start_at_s: float, finish_at_s: float, finish_crossings: int = 1):
    """Time one real export in a chip-timed backward race whose gun is the activity's start."""
    src = real_file(name)
    act = read_activity(src)
    start_passes, start = gate_on_the_track(act, start_at_s)
    finish_passes, finish = gate_on_the_track(act, finish_at_s)
    (tmp_path / "tracks").mkdir()
    shutil.copy(src, tmp_path / "tracks" / name)
    (tmp_path / "race.toml").write_text(f"""[race]
name = "Retro over a real run"
date = "{act.start_time.date()}"
distance_m = 1000
gun_time = "{act.start_time.strftime('%Y-%m-%dT%H:%M:%SZ')}"
timing = "chip"

[course]
start = {start}
finish = {finish}
finish_crossings = {finish_crossings}

[entries]
file = "entries.csv"
""")
    (tmp_path / "entries.csv").write_text(f"bib,name,sex,birth_year,club,track,time\n7,Real Runner,F,1980,,tracks/{name},\n")
    out = tmp_path / "site"
    res = CliRunner().invoke(cli, ["race", str(tmp_path / "race.toml"), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads((out / "results.json").read_text())["results"]
    return row, start_passes, finish_passes


@pytest.mark.parametrize("name, start_at_s, finish_at_s, signals", [
    ("fitparse__activity-small-fenix2-run.fit", 120, 2600, "gait"),      # fenix 2, 1 s records, cadence
    ("tormoder__mornindew-broken.fit", 120, 5178, "gait"),               # paused, Stryd developer fields
    ("saf__fit_format_test_File.FIT", 122, 1126, "gait"),                # vivoactive HR, smart recording
    ("georust__garmin-activity.gpx", 120, 3298, "gait"),                 # Garmin Connect GPX, smart recording
    ("fitparse__2013-02-06-12-11-14.fit", 118, 1574, "none"),            # FR110: no cadence
    ("gpsbabel__garmin-forerunner-10.fit", 119, 1017, "none"),           # FR10: GPS only
])
def test_a_real_run_is_timed_where_its_fixes_pass_the_gates(tmp_path, name, start_at_s, finish_at_s, signals):
    row, start_passes, finish_passes = race_over(tmp_path, name, start_at_s, finish_at_s)
    assert len(start_passes) == len(finish_passes) == 1  # points the runner passed once
    assert row["status"] == "finished", row
    # Within GPS error of the raw fixes' passes: the timing also reads the watch's own distance, and
    # smart recording leaves seconds between fixes.
    assert row["time_s"] == pytest.approx(finish_passes[0] - start_passes[0], abs=1.5)
    assert row["splits"][-1]["elapsed_s"] == pytest.approx(row["time_s"])
    # Forward running is never certified as backward: without a second gait in the race to compare
    # with, the population's say alone is not enough to disqualify, so the check is left to officials.
    assert row["direction_check"] == "unverified"
    assert row["backward_fraction"] is None
    if signals == "gait":
        assert "calls 100 % of the race forward" in row["direction_reason"]
    else:
        assert row["direction_reason"].startswith("nothing in the track tells backward from forward")


def test_a_loop_counts_the_earlier_pass_of_the_finish_first(tmp_path):
    # The fenix 2 runner passes the fix at 1700 s once before, running the same way.
    first, again = tmp_path / "first", tmp_path / "again"
    first.mkdir()
    again.mkdir()
    row, (t_start,), (t_earlier, t_finish) = race_over(first, "fitparse__activity-small-fenix2-run.fit", 120, 1700)
    assert 900 < t_earlier < 960
    assert row["time_s"] == pytest.approx(t_earlier - t_start, abs=1.5)
    row, _, _ = race_over(again, "fitparse__activity-small-fenix2-run.fit", 120, 1700, finish_crossings=2)
    assert row["time_s"] == pytest.approx(t_finish - t_start, abs=1.5)
    assert [s["elapsed_s"] for s in row["splits"]] == pytest.approx([t_earlier - t_start, row["time_s"]], abs=1.5)


def test_an_apple_health_gpx_speed_is_the_watch_distance():
    """Apple Health's GPX export carries the watch's own speed per point: integrated, it is a distance
    beside the positions (as a FIT file's distance channel is), and agrees with their path."""
    act = read_activity(real_file("togeojson__apple_watch_route.gpx"))
    assert recorded_speed_mps(act) is not None
    x, y = LocalProjection(act.lat_deg[0], act.lon_deg[0]).to_xy(act.lat_deg, act.lon_deg)
    dev = watch_distance(act, act.t_s, x, y)
    assert dev is not None
    assert dev[-1] - dev[0] == pytest.approx(float(np.sum(np.hypot(np.diff(x), np.diff(y)))), rel=0.02)
