"""The simulator: GPS error process, GPX writer, gaits, whole sessions and their scoring."""

from __future__ import annotations

from datetime import datetime, timezone

import gpxpy
import numpy as np
import pytest

from retrotrack.geo import cumulative_distance_m
from retrotrack.model import Direction
from retrotrack.readers import read_activity
from retrotrack.simulate.gait import Gait, make_runner
from retrotrack.simulate.gps import correlated_gps_error
from retrotrack.simulate.gpxwriter import write_activity_gpx
from retrotrack.simulate.routes import loop_route, out_and_back_route, track_route
from retrotrack.simulate.session import (
    SCENARIOS, WALK_ROUND_SCENARIOS, Phase, Recording, activity_from_truth, simulate_activity)
from retrotrack.simulate.truth import Truth, TruthSegment, predicted_switches, score_track

START = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)


# --- GPS error ---------------------------------------------------------------------------------


def test_gps_error_has_the_asked_spread_and_memory():
    rng = np.random.default_rng(1)
    east, north = correlated_gps_error(200_000, 1.0, 3.0, 60.0, rng)
    assert east.shape == north.shape == (200_000,)
    assert east.std() == pytest.approx(3.0, rel=0.1)
    assert north.std() == pytest.approx(3.0, rel=0.1)
    lag = 60
    corr = np.corrcoef(east[:-lag], east[lag:])[0, 1]
    assert corr == pytest.approx(np.exp(-1.0), abs=0.05)
    assert abs(np.corrcoef(east, north)[0, 1]) < 0.05
    # Consecutive fixes differ by far less than the error itself (not white noise).
    assert np.diff(east).std() < 0.3 * east.std()


def test_gps_error_with_irregular_sampling():
    rng = np.random.default_rng(2)
    gaps = rng.uniform(0.5, 8.0, 99_999)
    east, _ = correlated_gps_error(100_000, gaps, 2.0, 30.0, rng)
    assert east.std() == pytest.approx(2.0, rel=0.1)
    # n sample times work too, and give the same process as their gaps.
    times = np.concatenate(([0.0], np.cumsum(gaps)))
    a, _ = correlated_gps_error(100_000, times, 2.0, 30.0, np.random.default_rng(3))
    b, _ = correlated_gps_error(100_000, gaps, 2.0, 30.0, np.random.default_rng(3))
    assert np.allclose(a, b, rtol=0, atol=1e-9)
    with pytest.raises(ValueError):
        correlated_gps_error(10, np.ones(4), 2.0, 30.0, rng)


def test_gps_error_is_deterministic_given_the_generator():
    a = correlated_gps_error(500, 1.0, 2.5, 45.0, np.random.default_rng(7))
    b = correlated_gps_error(500, 1.0, 2.5, 45.0, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


# --- GPX writer --------------------------------------------------------------------------------


def test_gpx_writer_garmin_extensions(tmp_path):
    t = np.arange(5.0)
    lat = 53.34 + 1e-5 * t
    lon = np.full(5, -6.26)
    lat[2] = np.nan
    cad = np.array([170.0, 171.0, 172.0, np.nan, 166.4])
    heading = np.array([359.97, 10.0, 20.0, 30.0, np.nan])
    text = write_activity_gpx(tmp_path / "a.gpx", start_time=START, t_s=t, lat_deg=lat, lon_deg=lon, cadence_spm=cad,
                              heart_rate_bpm=np.full(5, 150.0), heading_deg=heading, name="a & b")
    assert (tmp_path / "a.gpx").read_text() == text
    assert 'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"' in text
    gpx = gpxpy.parse(text)
    points = gpx.tracks[0].segments[0].points
    assert len(points) == 4  # the point without a position is left out
    assert gpx.tracks[0].name == "a & b"
    assert "<gpxtpx:cad>85</gpxtpx:cad>" in text  # one foot's strides per minute
    assert "<gpxtpx:bearing>0.0</gpxtpx:bearing>" in text
    assert "<gpxtpx:cad>83</gpxtpx:cad>" in text
    assert text.count("<gpxtpx:bearing>") == 3
    assert points[0].time == START


def test_gpx_round_trip_through_the_reader(tmp_path):
    sim = simulate_activity(5, scenario="intervals")
    act = read_activity(sim.write(tmp_path / "s.gpx"))
    assert len(act) == sim.t_s.size
    assert np.allclose(act.t_s, sim.t_s - sim.t_s[0])
    assert np.allclose(act.heading_deg, np.round(sim.heading_deg, 1) % 360.0, atol=0.051)
    assert np.allclose(act.cadence_spm, 2 * np.round(sim.cadence_spm / 2), atol=1e-9)
    assert np.allclose(act.lat_deg, sim.lat_deg, atol=1e-7)


def test_fit_round_trip_through_the_reader(tmp_path):
    sim = simulate_activity(6, scenario="intervals")
    act = read_activity(sim.write(tmp_path / "s.fit"))
    assert len(act) == sim.t_s.size
    assert np.allclose(act.heading_deg, sim.heading_deg % 360.0, atol=0.05)
    assert np.allclose(act.cadence_spm, sim.cadence_spm, atol=1 / 64 + 1e-9)
    assert np.allclose(act.distance_m, sim.distance_m, atol=0.01)
    assert [(p[0], p[1]) for p in act.pauses] == [(a, b) for a, b in sim.pauses]


# --- gaits -------------------------------------------------------------------------------------


def test_backward_steps_are_shorter_and_quicker_at_one_speed():
    rng = np.random.default_rng(0)
    for kind in ("typical", "tall", "short", "fast", "slow_backward", "overlap"):
        r = make_runner(rng, kind)
        v = 2.5
        assert r.cadence_spm(Gait.BACKWARD_RUN, v) > r.cadence_spm(Gait.FORWARD_RUN, v)
        assert r.step_length_m(Gait.BACKWARD_RUN, v) < r.step_length_m(Gait.FORWARD_RUN, v)
        assert r.step_length_m(Gait.BACKWARD_WALK, 1.0) < r.step_length_m(Gait.FORWARD_WALK, 1.0)
        assert r.backward_run_mps <= r.forward_run_mps
        assert np.allclose(r.step_length_m(Gait.FORWARD_RUN, 3.0) * r.cadence_spm(Gait.FORWARD_RUN, 3.0) / 60, 3.0)


def test_contact_is_a_smaller_share_of_a_backward_step():
    """Running dynamics: contact time per step falls with speed, and backward (longer aerial phase) it is
    a smaller share of the step at the same speed; walking records none."""
    rng = np.random.default_rng(2)
    for kind in ("typical", "tall", "overlap"):
        r = make_runner(rng, kind)
        c_f, c_b = r.cadence_spm(Gait.FORWARD_RUN, 2.5), r.cadence_spm(Gait.BACKWARD_RUN, 2.5)
        s_f, s_b = r.stance_time_ms(Gait.FORWARD_RUN, 2.5, c_f), r.stance_time_ms(Gait.BACKWARD_RUN, 2.5, c_b)
        assert 180.0 < s_b < s_f < 330.0
        assert s_b * c_b < s_f * c_f
        assert r.stance_time_ms(Gait.FORWARD_RUN, 4.0, c_f) < s_f
        assert np.isnan(r.stance_time_ms(Gait.FORWARD_WALK, 1.4, 110.0))


def test_running_dynamics_round_trip_through_a_fit_file(tmp_path):
    plan = [Phase(Gait.FORWARD_WALK, 60, 1.4), Phase(Gait.FORWARD_RUN, 120, 3.0), Phase(Gait.BACKWARD_RUN, 120, 2.1)]
    sim = simulate_activity(4, phases=plan, recording=Recording(dynamics=True))
    act = read_activity(sim.write(tmp_path / "s.fit", heading=False))
    assert np.allclose(act.stance_time_ms, sim.stance_time_ms, atol=0.051, equal_nan=True)
    mid = act.t_s
    walk, fwd, back = (mid > 10) & (mid < 55), (mid > 70) & (mid < 175), (mid > 190) & (mid < 295)
    assert np.isnan(act.stance_time_ms[walk]).all()
    assert np.nanmedian(act.stance_time_ms[back]) < 0.95 * np.nanmedian(act.stance_time_ms[fwd])
    assert np.isnan(read_activity(sim.write(tmp_path / "n.fit", cadence=False)).stance_time_ms).all()


def test_runner_kinds():
    rng = np.random.default_rng(1)
    fast = make_runner(rng, "fast")
    assert fast.cadence_spm(Gait.FORWARD_RUN, fast.forward_run_mps) >= 185.0
    tall, short = make_runner(rng, "tall"), make_runner(rng, "short")
    assert tall.step_length_m(Gait.FORWARD_RUN, 3.0) > short.step_length_m(Gait.FORWARD_RUN, 3.0)
    assert make_runner(rng, "slow_backward").backward_run_mps < 1.9


# --- routes ------------------------------------------------------------------------------------


def test_routes():
    track = track_route()
    assert track.length_m == pytest.approx(400.0, abs=0.1)
    x, y = track.point([0.0, 400.0])
    assert x[0] == pytest.approx(x[1]) and y[0] == pytest.approx(y[1])
    loop = loop_route(np.random.default_rng(3), 1500.0)
    assert loop.length_m == pytest.approx(1500.0, rel=0.01)
    path = out_and_back_route(np.random.default_rng(3), 2000.0)
    assert not path.closed and path.length_m == pytest.approx(2000.0, rel=0.01)
    assert track.bearing_deg(10.0) == pytest.approx(90.0)


# --- sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS + WALK_ROUND_SCENARIOS)
def test_sessions_are_consistent(scenario):
    sim = simulate_activity(40, scenario=scenario, difficulty="hard")
    t = sim.t_s
    assert np.all(np.diff(t) > 0) and np.all(t == np.round(t))
    segs = sim.truth.segments
    assert segs[0].start_s == 0.0
    assert all(a.end_s == pytest.approx(b.start_s) for a, b in zip(segs, segs[1:]))
    assert t[-1] <= segs[-1].end_s + 1e-9
    for a, b in sim.pauses:
        assert not np.any((t > a) & (t < b))
    assert np.all(np.diff(sim.distance_m) >= 0)
    # Standing still: no steps.
    mid_stop = sim.truth.direction_at(t) == Direction.STOPPED
    assert np.all(sim.cadence_spm[mid_stop & (np.abs(np.diff(np.concatenate(([0], sim.distance_m)))) == 0)] < 60)
    # Laps tile the activity.
    assert sim.laps[0][0] == 0.0 and sim.laps[-1][1] == t[-1]
    assert all(a[1] == b[0] for a, b in zip(sim.laps, sim.laps[1:]))


@pytest.mark.parametrize("scenario", WALK_ROUND_SCENARIOS)
def test_backward_sessions_walk_forward_round_the_running(scenario):
    gaits = [s.gait for s in simulate_activity(41, scenario=scenario).truth.segments if s.gait is not None]
    assert gaits[0] == gaits[-1] == "forward_walk"
    assert set(gaits) == {"forward_walk", "backward_run"}
    assert gaits.count("backward_run") == 1 if scenario == "backward_race" else gaits.count("backward_run") >= 3


def test_sessions_are_deterministic():
    a, b = simulate_activity(77, difficulty="hard"), simulate_activity(77, difficulty="hard")
    for name in ("t_s", "lat_deg", "lon_deg", "cadence_spm", "heading_deg", "distance_m"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.truth.segments == b.truth.segments
    assert a.write_fit(None) == b.write_fit(None)
    c = simulate_activity(78, difficulty="hard")
    assert not np.array_equal(a.t_s, c.t_s) or not np.array_equal(a.lat_deg, c.lat_deg)


def test_the_compass_faces_away_from_travel_when_backward():
    plan = [Phase(Gait.FORWARD_RUN, 120, 3.0), Phase(Gait.BACKWARD_RUN, 120, 2.1)]
    sim = simulate_activity(9, phases=plan, route="out_and_back")
    act = activity_from_truth(sim)
    x = cumulative_distance_m(act.lat_deg, act.lon_deg)
    assert x[-1] > 400
    lat, lon = act.lat_deg, act.lon_deg
    travel = np.degrees(np.arctan2((lon[10:] - lon[:-10]) * np.cos(np.radians(lat[10:])), lat[10:] - lat[:-10]))
    diff = np.abs((act.heading_deg[5:-5] - travel + 180.0) % 360.0 - 180.0)
    t = act.t_s[5:-5]
    assert np.median(diff[(t > 20) & (t < 110)]) < 30.0
    assert np.median(diff[(t > 140) & (t < 230)]) > 150.0


def test_gps_error_is_a_few_metres():
    sim = simulate_activity(10, scenario="pure_forward")
    truth_dist = sim.distance_m[-1]
    assert cumulative_distance_m(sim.lat_deg, sim.lon_deg)[-1] == pytest.approx(truth_dist, rel=0.1)


# --- scoring -----------------------------------------------------------------------------------


def truth_fbf() -> Truth:
    return Truth([
        TruthSegment(0.0, 100.0, Direction.FORWARD, "forward_run"),
        TruthSegment(100.0, 110.0, Direction.STOPPED),
        TruthSegment(110.0, 200.0, Direction.BACKWARD, "backward_run"),
        TruthSegment(200.0, 300.0, Direction.FORWARD, "forward_run"),
    ])


def test_scoring_perfect_and_abstaining():
    truth = truth_fbf()
    t = np.arange(0.0, 301.0)
    perfect = truth.direction_at(0.5 * (t[1:] + t[:-1]))
    sc = score_track(truth, t, perfect)
    assert sc.accuracy == pytest.approx(1.0)
    assert sc.moving_s == pytest.approx(290.0)
    assert sc.switch_errors_s == [0.0, 0.0]
    unknown = np.full(300, Direction.UNKNOWN, dtype=np.uint8)
    sc = score_track(truth, t, unknown)
    assert sc.accuracy == 0.0 and sc.unknown_share == pytest.approx(1.0)
    assert sc.missed_switches == 2


def test_scoring_late_switches_and_partial_intervals():
    truth = truth_fbf()
    t = np.arange(0.0, 301.0, 3.0)
    mid = 0.5 * (t[1:] + t[:-1])
    late = truth.direction_at(mid - 2.0)
    sc = score_track(truth, t, late)
    assert 0.95 < sc.accuracy < 1.0
    assert all(1.0 <= e <= 4.0 for e in sc.switch_errors_s)
    flipped = np.where(late == Direction.BACKWARD, Direction.FORWARD,
                       np.where(late == Direction.FORWARD, Direction.BACKWARD, late)).astype(np.uint8)
    assert score_track(truth, t, flipped).accuracy < 0.05


def test_predicted_switches_across_unknown_and_stops():
    t = np.arange(0.0, 8.0)
    F, B, U, S = (int(d) for d in (Direction.FORWARD, Direction.BACKWARD, Direction.UNKNOWN, Direction.STOPPED))
    labels = np.array([F, F, U, U, B, S, F], dtype=np.uint8)
    assert predicted_switches(t, labels) == [(3.0, Direction.BACKWARD), (6.0, Direction.FORWARD)]


def test_smoothed_gps_error_drifts_instead_of_jumping():
    rng = np.random.default_rng(4)
    rough, _ = correlated_gps_error(100_000, 1.0, 3.0, 60.0, rng)
    smooth, _ = correlated_gps_error(100_000, 1.0, 3.0, 60.0, rng, smooth_s=5.0)
    assert smooth.std() == pytest.approx(3.0, rel=0.1)
    # A standing runner's apparent speed: well under a slow walk.
    assert np.diff(smooth).std() < 0.25 < np.diff(rough).std()
