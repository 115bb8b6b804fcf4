"""Moving versus stopped."""

from __future__ import annotations

import numpy as np

from retrotrack.model import Direction
from retrotrack.motion import paused_intervals, stopped_intervals
from retrotrack.readers import read_activity
from retrotrack.simulate.gait import Gait
from retrotrack.simulate.session import Phase, activity_from_arrays, activity_from_truth, simulate_activity
from retrotrack.simulate.truth import confusion_s

FR, BR = Gait.FORWARD_RUN, Gait.BACKWARD_RUN


def stop_scores(sim, act) -> tuple[float, float]:
    """(share of true standing time found, share of true moving time called stopped)."""
    stopped = stopped_intervals(act)
    labels = np.where(stopped, Direction.STOPPED, Direction.FORWARD).astype(np.uint8)
    c = confusion_s(sim.truth, act.t_s, labels)
    return c[0, 0] / c[0].sum(), c[1:3, 0].sum() / c[1:3].sum()


def plan_with_stops() -> list[Phase]:
    return [Phase(FR, 300, 3.0), Phase(None, 12), Phase(BR, 120, 2.1), Phase(None, 6), Phase(FR, 200, 3.0),
            Phase(None, 40), Phase(BR, 120, 2.1), Phase(None, 20), Phase(FR, 200, 3.0)]


def test_stops_are_found_and_running_is_not_a_stop():
    sim = simulate_activity(1, phases=plan_with_stops())
    for fmt in ("fit", "gpx"):
        for cadence in (True, False):
            found, false = stop_scores(sim, activity_from_truth(sim, fmt, cadence=cadence))
            assert found >= 0.8, (fmt, cadence, found)
            assert false <= 0.01, (fmt, cadence, false)


def test_stops_in_files_without_cadence(tmp_path):
    sim = simulate_activity(2, phases=plan_with_stops())
    act = read_activity(sim.write(tmp_path / "s.gpx", cadence=False))
    found, false = stop_scores(sim, act)
    assert found >= 0.75 and false <= 0.01


def test_a_paused_timer_is_a_stop():
    plan = [Phase(FR, 200, 3.0), Phase(None, 60, pause=True), Phase(FR, 200, 3.0)]
    sim = simulate_activity(3, phases=plan)
    assert len(sim.pauses) == 1
    act = activity_from_truth(sim)
    stopped = stopped_intervals(act)
    a, b = sim.pauses[0]
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    assert np.all(stopped[(mid > a) & (mid < b)])


def test_a_u_turn_at_a_cone_is_not_a_stop():
    plan = [Phase(FR, 60, 3.0)] + [Phase(BR if k % 2 else FR, 30, 2.5, sense=-1 if k % 2 == 0 else 1) for k in range(8)]
    sim = simulate_activity(4, phases=plan, route="out_and_back")
    act = activity_from_truth(sim)
    assert not stopped_intervals(act).any()


def test_slow_steps_are_moving():
    """A very slow backward walk (0.45 m/s) is moving while the watch counts steps."""
    t = np.arange(0.0, 60.0)
    act = activity_from_arrays(t_s=t, distance_m=0.45 * t, cadence_spm=np.full(t.size, 95.0))
    assert not stopped_intervals(act).any()
    standing = activity_from_arrays(t_s=t, distance_m=np.where(t < 30, 0.45 * t, 13.5), cadence_spm=np.where(t < 30, 95.0, 0.0))
    stopped = stopped_intervals(standing)
    assert stopped[35:].all() and not stopped[:28].any()


def test_long_gap_without_progress_is_a_stop():
    t = np.array([0.0, 1.0, 2.0, 62.0, 63.0])
    act = activity_from_arrays(t_s=t, distance_m=np.array([0.0, 3.0, 6.0, 8.0, 11.0]))
    assert stopped_intervals(act)[2]


def _handheld_track(speed_mps: float, seconds: float, seed: int):
    """Fixes every 10 s (a handheld's default) of someone heading north-east at `speed_mps`, with a
    receiver's slowly wandering error (3 m each axis, 60 s correlation, smoothed) and no cadence."""
    from retrotrack.geo import LocalProjection
    from retrotrack.simulate.gps import correlated_gps_error

    t = np.arange(0.0, seconds + 1.0, 10.0)
    ex, ey = correlated_gps_error(t.size, 10.0, 3.0, 60.0, np.random.default_rng(seed), smooth_s=5.0)
    s = speed_mps * t / np.sqrt(2.0)
    lat, lon = LocalProjection(47.0, 11.0).to_latlon(s + ex, s + ey)
    return activity_from_arrays(file="hike.gpx", fmt="gpx", t_s=t, lat_deg=lat, lon_deg=lon)


def test_a_steady_slow_climb_is_moving_and_standing_is_not():
    """A steep climb at 0.35 m/s (1.3 km/h) logged by a handheld with no step count is slow walking, not
    twenty minutes stopped; standing with the same GPS wander is a stop."""
    for seed in range(5):
        climb = stopped_intervals(_handheld_track(0.35, 1200.0, seed))
        assert climb.mean() <= 0.1, (seed, climb.mean())
        standing = stopped_intervals(_handheld_track(0.0, 600.0, seed))
        assert standing.mean() >= 0.95, (seed, standing.mean())


def test_a_long_stop_between_runs_is_a_stop_to_its_edges():
    """The running either side of a two-minute stop does not count as progress inside it."""
    plan = [Phase(FR, 200, 3.0), Phase(None, 120), Phase(BR, 150, 2.1), Phase(None, 90), Phase(FR, 200, 3.0)]
    sim = simulate_activity(5, phases=plan)
    for fmt in ("fit", "gpx"):
        for cadence in (True, False):
            found, false = stop_scores(sim, activity_from_truth(sim, fmt, cadence=cadence))
            assert found >= 0.9 and false <= 0.01, (fmt, cadence, found, false)


def _east(t: np.ndarray, speed_mps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative distance and positions of someone heading east at `speed_mps` (per record)."""
    from retrotrack.geo import LocalProjection

    d = np.concatenate(([0.0], np.cumsum(0.5 * (speed_mps[1:] + speed_mps[:-1]) * np.diff(t))))
    lat, lon = LocalProjection(53.3, -6.2).to_latlon(d, np.zeros_like(d))
    return d, lat, lon


def test_a_stop_inside_a_gps_dropout_is_not_progress():
    """Three minutes standing while the GPS is lost: the fixes either side of the dropout are 540 m apart,
    but the line between them is no evidence, and the foot pod's distance does not move."""
    t = np.arange(0.0, 901.0)
    d, lat, lon = _east(t, np.where((t >= 400) & (t < 580), 0.0, 3.0))
    lost = (t > 300) & (t < 700)
    lat[lost] = lon[lost] = np.nan
    stopped = stopped_intervals(activity_from_arrays(t_s=t, distance_m=d, lat_deg=lat, lon_deg=lon))
    mid = 0.5 * (t[1:] + t[:-1])
    assert stopped[(mid > 402) & (mid < 578)].all()


def test_a_watch_odometer_that_stands_still_keeps_the_stop():
    """GPS drifting 0.3 m/s east for four minutes (a bad fix) while the watch's own distance, from its
    wheel or foot pod, stays put: a stop."""
    t = np.arange(0.0, 241.0)
    _, lat, lon = _east(t, np.full(t.size, 0.3))
    stopped = stopped_intervals(activity_from_arrays(t_s=t, distance_m=np.zeros(t.size), lat_deg=lat, lon_deg=lon))
    assert stopped.all()


def test_ground_covered_while_the_watch_was_paused_is_not_progress():
    """Standing a minute, 40 m walked with the timer paused, standing a minute: both stands are stops."""
    t = np.concatenate((np.arange(0.0, 300.0), np.arange(300.0, 360.0), np.arange(410.0, 470.0), np.arange(470.0, 770.0)))
    x = np.concatenate((3.0 * np.arange(0.0, 300.0), np.full(60, 900.0), np.full(60, 940.0), 940.0 + 3.0 * np.arange(300.0)))
    from retrotrack.geo import LocalProjection

    lat, lon = LocalProjection(53.3, -6.2).to_latlon(x, np.zeros_like(x))
    act = activity_from_arrays(t_s=t, lat_deg=lat, lon_deg=lon, pauses=[(359.5, 409.5)])
    stopped = stopped_intervals(act)
    mid = 0.5 * (t[1:] + t[:-1])
    assert stopped[((mid > 302) & (mid < 358)) | ((mid > 412) & (mid < 468))].all()


def test_a_slow_stretch_across_a_long_gap_in_the_recording_is_left_a_stop():
    """Fixes every 10 s at a steady 0.35 m/s, but none for 70 s in the middle: the line across the gap says
    nothing, and the stretch is not rescued on it."""
    t = np.concatenate((np.arange(0.0, 201.0, 10.0), np.arange(270.0, 471.0, 10.0)))
    _, lat, lon = _east(t, np.full(t.size, 0.35))
    act = activity_from_arrays(file="hike.gpx", fmt="gpx", t_s=t, lat_deg=lat, lon_deg=lon)
    assert stopped_intervals(act).all()


def test_paused_intervals_are_those_whose_middle_lies_in_a_pause():
    t = np.array([0.0, 1.0, 2.0, 50.0, 51.0, 80.0, 81.0])
    assert paused_intervals(t, [(2.0, 50.0), (60.0, 70.0)]).tolist() == [False, False, True, False, True, False]
    assert paused_intervals(t[:1], [(0.0, 5.0)]).size == 0
