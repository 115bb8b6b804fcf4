"""A runner's start: setting off, standing at the line, sprint starts from positions alone, and the
field's depth applied to a race (retrotrack.race.starts)."""

import numpy as np
import pytest

from retrotrack.race.gates import GateGeometry
from retrotrack.race.model import RaceInfo
from retrotrack.race.pace import displacement_speed_mps
from retrotrack.race.progress import DEPTH_GRID_M
from retrotrack.race.run import settle_starts
from retrotrack.race.starts import departure_s, motion_onset_s, sprint_start_times
from retrotrack.race.timing import time_activity
from retrotrack.simulate.gps import gauss_markov

from race_tracks import GUN, PROJ, activity, backward, gate, sprint_from


def test_field_of_front_row_runners_is_timed_from_setting_off():
    # Eight runners 0.4-0.6 m behind the line, each with their own GPS offset of a few metres.
    rng = np.random.default_rng(3)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=200.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 200.0))
    timings, truths, alone = [], [], []
    for _ in range(8):
        depth = rng.uniform(0.4, 0.6)
        t, s, true_start = sprint_from(depth, react_s=rng.uniform(0.15, 0.4))
        off = rng.normal(0.0, 3.5)
        steps = np.concatenate(([0.0], np.diff(s)))  # the watch counts the steps of the second just gone
        act = activity(t, s + off, np.zeros_like(s), true_path_m=s - s[0], cadence=np.where(steps > 0.2, 180, 0))
        tm = time_activity(act, race, backward(act), with_trace=False)
        assert tm.start_method in ("standing", "moving")
        alone.append(abs(tm.start_s - true_start))
        timings.append(tm)
        truths.append(true_start)
    settle_starts(timings, field_size=8)
    errs = [abs(tm.start_s - true) for tm, true in zip(timings, truths)]
    # Alone, each start is as wrong as the depth its GPS offset suggests; the field pins them.
    assert np.median(errs) < 0.3
    assert np.median(errs) < 0.75 * np.median(alone)
    assert all(tm.start_s >= 0.0 for tm in timings)


def test_a_standing_start_from_positions_alone_reads_through_gps_noise():
    # Without a watch distance: stood 0.5-6 m behind the line, then a sprint start; 3 m of noise per fix.
    sg = GateGeometry.from_gate(gate("start", 0.0), PROJ)
    rng = np.random.default_rng(2)
    errs = []
    for _ in range(100):
        depth, react = rng.uniform(0.5, 6.0), rng.uniform(0.2, 1.5)
        t, s, true_start = sprint_from(depth, accel=rng.uniform(1.5, 3.0), v_max=rng.uniform(3.0, 4.5), react_s=react)
        x, y = s + rng.normal(0.0, 3.0, t.size), rng.normal(0.0, 3.0, t.size)
        stand = np.flatnonzero((t >= -30.0) & (t <= 0.0))
        times = sprint_start_times(sg, t, x, y, stand, react + rng.normal(0.0, 0.2))
        errs.append(float(np.interp(depth, DEPTH_GRID_M, times)) - true_start)
    assert abs(np.mean(errs)) < 0.15  # reading progress off the fixes takes noise for progress: 0.5 s early
    # The onset from steps (here to 0.2 s) holds the fit's setting-off moment near it: GPS alone lets it
    # wander a second either way.
    assert np.median(np.abs(errs)) < 0.25
    assert np.percentile(np.abs(errs), 90) < 0.55


def test_a_clean_standing_start_from_positions_alone_is_exact():
    sg = GateGeometry.from_gate(gate("start", 0.0), PROJ)
    t, s, true_start = sprint_from(4.0, accel=2.0, v_max=4.0, react_s=0.6)
    times = sprint_start_times(sg, t, s, np.zeros_like(s), np.flatnonzero((t >= -30.0) & (t <= 0.0)), 0.6)
    assert float(np.interp(4.0, DEPTH_GRID_M, times)) == pytest.approx(true_start, abs=0.1)


def test_standing_on_the_line_is_found_from_positions_alone_through_gps_wander():
    """A GPX track without steps or speed: a runner on the line whose GPS puts them past it (a waterfall's
    outer end, or error) never crosses it after the gun. Jitter looked like walking, so no standing was
    found and the next lap's crossing was taken as the start (kept: independent race simulator)."""
    rng = np.random.default_rng(11)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=200.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 200.0))
    errs = []
    for _ in range(30):
        depth = rng.uniform(-0.5, 1.0)
        t, s, true_start = sprint_from(depth, accel=rng.uniform(2.0, 3.0), v_max=rng.uniform(3.5, 4.5),
                                       react_s=rng.uniform(0.15, 0.4), t0=-60.0)
        sigma, tau = rng.uniform(2.5, 4.5), rng.choice([3.0, 15.0, 60.0])
        ex, ey = (gauss_markov(t.size, 1.0, sigma, tau, rng) for _ in range(2))
        act = activity(t, s + ex + 2.5, ey, fmt="gpx")
        tm = time_activity(act, race, backward(act), with_trace=False)
        assert tm.status == "finished", tm.reason
        errs.append(tm.start_s - max(true_start, 0.0))
    assert np.median(np.abs(errs)) < 0.5
    assert max(np.abs(errs)) < 2.0


def test_a_lane_far_ahead_of_a_waterfall_line_starts_on_setting_off():
    # Lane 8 of an 800 m start in lanes stands 27 m past lane 1's line: timed from setting off, with a warning.
    race = RaceInfo(name="T", date="2026-06-14", distance_m=200.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 200.0))
    t, s, true_start = sprint_from(-27.0, react_s=0.3)
    cad = np.where(np.concatenate(([0.0], np.diff(s))) > 0.2, 180, 0)
    act = activity(t, s, np.zeros_like(s), true_path_m=s - s[0], cadence=cad)
    tm = time_activity(act, race, backward(act), with_trace=False)
    assert tm.status == "finished"
    assert tm.start_method == "moving"
    assert tm.start_s == pytest.approx(0.3, abs=0.6)
    assert any("27 m past the start line" in w or "30 m past the start line" in w for w in tm.warnings)


def test_setting_off_deep_in_a_field_is_found_from_positions_alone_through_jitter():
    # GPX without steps: standing 15 m back, setting off 4-8 s after the gun as the field clears; GPS
    # error of 3.5 m that changes every few seconds, so the speed over a few seconds already reads
    # a metre a second while they stand, and the first "moving" came seconds early.
    rng = np.random.default_rng(12)
    coarse, found = [], []
    for _ in range(40):
        react = rng.uniform(4.0, 8.0)
        t, s, _ = sprint_from(15.0, accel=rng.uniform(1.5, 3.0), v_max=rng.uniform(3.0, 4.0), react_s=react, t0=-60.0)
        x = s + gauss_markov(t.size, 1.0, 3.5, 3.0, rng)
        y = gauss_markov(t.size, 1.0, 3.5, 3.0, rng)
        first = motion_onset_s(t, displacement_speed_mps(t, x, y), np.full(t.size, np.nan), 0.0, reliable_speed=False)
        coarse.append(abs(first - react))
        found.append(abs(departure_s(t, x, y, first) - react))
    assert np.median(found) < 1.5 and np.median(found) < 0.3 * np.median(coarse)
    assert np.percentile(found, 90) < 0.5 * np.percentile(coarse, 90)


def test_a_start_recorded_every_few_seconds_is_not_put_at_the_first_fix_that_moved():
    # Smart recording: GPX fixes 4 s apart around the start, no steps. The first fix that moved comes
    # seconds after setting off, and the search once began only a second before it: 4-5 s late.
    race = RaceInfo(name="T", date="2026-06-14", distance_m=200.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 200.0))
    rng = np.random.default_rng(4)
    errs = []
    for _ in range(10):
        react = rng.uniform(0.3, 1.0)
        t, s, true_start = sprint_from(0.8, accel=2.5, v_max=4.0, react_s=react, t0=-60.0)
        keep = (np.abs(t) > 12.0) | (np.mod(t, 4.0) == 2.0)
        t, s = t[keep], s[keep]
        x, y = s + gauss_markov(t.size, t, 2.0, 30.0, rng), gauss_markov(t.size, t, 2.0, 30.0, rng)
        act = activity(t, x, y, fmt="gpx")
        tm = time_activity(act, race, backward(act), with_trace=False)
        assert tm.status == "finished"
        errs.append(tm.start_s - true_start)
    assert np.median(np.abs(errs)) < 2.0 and max(np.abs(errs)) < 3.0  # fixes 4 s apart: a couple of seconds
