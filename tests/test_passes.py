"""Which crossings of a line count: GPS jitter, near misses, a standstill just past the finish
(retrotrack.race.passes)."""

import numpy as np
import pytest

from retrotrack.race.gates import GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo
from retrotrack.race.passes import counted_finishes, standstill_at_line
from retrotrack.race.timing import smoothed_distance_m, time_activity

from race_tracks import GUN, PROJ, activity, backward, circle_track, gate


def test_gps_jitter_over_the_line_is_one_pass():
    # A straight course; the GPS puts the runner back and forth over the finish line within a second.
    t = np.arange(0.0, 60.0, 1.0)
    x = -100.0 + 4.0 * t
    x[25:28] = [-0.5, 0.4, -0.3]  # jitter at the line
    x[28] = 0.6
    y = np.zeros_like(x)
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=100.0, gun_time=GUN, finish=gate("finish", 0.0),
                    finish_crossings=2, lap_m=50.0)
    dist = smoothed_distance_m(t, x, y)
    counted = counted_finishes(fg, t, x, y, 0.0, dist, race)
    assert len(counted) == 1


def test_a_crossing_just_outside_the_gate_counts_where_a_lap_is_due():
    # Three laps of a 100 m circle; on lap 2 the GPS puts the crossing 17 m from a 30 m gate's centre.
    t, s, R = circle_track(3, lap_m=100.0)
    th = s / R
    x, y = R * np.sin(th), R - R * np.cos(th)
    lap2 = (t > 40) & (t < 60)
    y = np.where(lap2, y - 17.0, y)
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=300.0, gun_time=GUN, finish=gate("finish", 0.0),
                    finish_crossings=3, lap_m=100.0)
    dist = smoothed_distance_m(t, x, y)
    counted = counted_finishes(fg, t, x, y, 0.0, dist - np.interp(0.0, t, dist), race)
    assert [round(c.t_s) for c in counted] == [25, 50, 75]
    # The same crossing far from where any lap is due (a stray pass) does not count.
    race_short = RaceInfo(name="T", date="2026-06-14", distance_m=300.0, gun_time=GUN, finish=gate("finish", 0.0),
                          finish_crossings=3, lap_m=150.0)
    counted = counted_finishes(fg, t, x, y, 0.0, dist - np.interp(0.0, t, dist), race_short)
    assert 50 not in [round(c.t_s) for c in counted]


@pytest.mark.parametrize("fmt", ["gpx", "fit"])
def test_stopping_just_past_the_finish_is_timed_at_the_pace_into_the_line(fmt):
    """4 m/s to the line, a stop 1.5 m past it, 15 s standing, then a walk on; the GPS 3.5 m behind.
    The GPS crossing comes during the walk (or, with a watch distance, the metres of offset fall in the
    standstill): 10-20 s late (kept: independent race simulator, stop-dead finishers)."""
    race = RaceInfo(name="T", date="2026-06-14", distance_m=400.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 400.0))
    rng = np.random.default_rng(8)
    t = np.arange(-40.0, 170.0, 1.0)
    t_fin = 100.3
    after = np.maximum(t - t_fin, 0.0)
    walk = np.maximum(after - 16.0, 0.0)
    s = np.where(t <= 0.0, -1.0, np.minimum(4.0 * t - 1.0, 399.0))
    s = np.where(t <= t_fin, s, 400.0 + 1.5 * (1.0 - np.exp(-2.5 * after)) + 1.2 * walk)
    x = s - 3.5 + rng.normal(0.0, 0.3, t.size)
    y = rng.normal(0.0, 0.3, t.size)
    steps = np.concatenate(([0.0], np.diff(s)))
    cad = np.where(steps > 0.2, 170.0, 0.0)
    if fmt == "fit":
        act = activity(t, x, y, true_path_m=s - s[0], cadence=cad, fmt="fit")
    else:
        act = activity(t, x, y, cadence=cad, fmt="gpx")
    tm = time_activity(act, race, backward(act), with_trace=False)
    assert tm.status == "finished"
    assert tm.finish_s == pytest.approx(t_fin, abs=1.2)
    if fmt == "gpx":
        assert any("stopped at the finish line" in w for w in tm.warnings)


def test_a_standstill_the_steps_show_before_the_speed_drops_is_found():
    # The watch counts no steps from the second the runner stops 3 m past the line, while the speed
    # over a few seconds still carries the run-in: the stop is when the steps stopped (this once
    # raised an IndexError and lost the runner's result).
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    t = np.arange(0.0, 70.0, 1.0)
    a = np.where(t <= 40.0, 4.0 * (t - 40.0), 3.0)
    cr = find_crossings(fg, t, a, np.zeros_like(a))[0]
    assert standstill_at_line(fg, t, a, np.zeros_like(a), cr, t >= 40.0) == pytest.approx(40.0, abs=0.5)
