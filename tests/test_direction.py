"""The direction detector on simulated sessions with known truth, files read back, and real forward runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from retrotrack.analysis import analyze_activity
from retrotrack.direction import detect_direction
from retrotrack.direction.hints import reversals
from retrotrack.direction.hmm import hmm_posterior
from retrotrack.direction.track import path_distance, run_peaks
from retrotrack.direction.windows import GAIT_HALF_WINDOW_S, GAIT_REACH_S, _stretch_windows, gait_features
from retrotrack.model import Direction, Session
from retrotrack.readers import read_activity
from retrotrack.simulate.gait import Gait, Runner, make_runner
from retrotrack.simulate.routes import loop_route
from retrotrack.simulate.session import Phase, Recording, activity_from_truth, simulate_activity
from retrotrack.simulate.truth import score_track
from conftest import DATA, needs_real, real_file

FR, BR, FW, BW = Gait.FORWARD_RUN, Gait.BACKWARD_RUN, Gait.FORWARD_WALK, Gait.BACKWARD_WALK

RUNNER = Runner(
    name="average", height_m=1.74, run_cadence_3mps=168.0, run_cadence_exp=0.18, back_run_cadence_ratio=1.13,
    walk_cadence_1p4mps=112.0, back_walk_step_ratio=0.8, forward_run_mps=3.0, backward_run_mps=2.1,
    forward_walk_mps=1.4, backward_walk_mps=0.9,
)


def stop(seconds: float, pause: bool = False) -> Phase:
    return Phase(None, seconds, pause=pause)


def intervals(runner: Runner = RUNNER) -> list[Phase]:
    """Warm-up, six backward reps with forward recoveries (some after a stop, some rolling), cool-down."""
    plan = [Phase(FR, 420, runner.forward_run_mps)]
    for k in range(6):
        if k % 2:
            plan.append(stop(8))
        plan.append(Phase(BR, 90 + 30 * k, runner.backward_run_mps))
        plan.append(Phase(FR, 100, runner.forward_run_mps * 0.9))
    plan.append(Phase(FR, 300, runner.forward_run_mps))
    return plan


def shares(activity, track) -> dict[Direction, float]:
    """Share of the moving (not stopped) time per label."""
    dt = np.diff(activity.t_s)
    moving = track.direction != Direction.STOPPED
    total = dt[moving].sum()
    return {d: float(dt[moving & (track.direction == d)].sum() / total) for d in Direction}


def simulate(seed: int, phases: list[Phase], runner: Runner = RUNNER, route: str = "loop"):
    return simulate_activity(seed, runner=runner, phases=phases, route=route)


# --- single-gait sessions ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["typical", "tall", "short", "fast"])
def test_a_forward_run_comes_out_forward(kind):
    runner = make_runner(np.random.default_rng(11), kind)
    plan = [Phase(FR, 900, runner.forward_run_mps), stop(20), Phase(FR, 900, runner.forward_run_mps * 1.1)]
    sim = simulate(3, plan, runner)
    for heading in (True, False):
        act = activity_from_truth(sim, heading=heading)
        s = shares(act, detect_direction(act))
        assert s[Direction.BACKWARD] <= 0.01, (kind, heading, s)
        assert s[Direction.FORWARD] >= 0.95, (kind, heading, s)


def test_a_fast_high_cadence_forward_run_is_not_backward():
    runner = make_runner(np.random.default_rng(4), "fast")
    assert runner.cadence_spm(FR, runner.forward_run_mps) >= 185.0
    plan = [Phase(FR, 600, runner.forward_run_mps * 0.8), Phase(FR, 600, runner.forward_run_mps)]
    act = activity_from_truth(simulate(5, plan, runner), heading=False)
    assert shares(act, detect_direction(act))[Direction.BACKWARD] <= 0.01


def test_running_at_backward_world_record_pace_is_not_a_near_tie():
    """4.4 m/s at 200 steps/min with short bursts, no heading: the running alone is one gait that a
    quick-stepping forward runner and a backward one share, but no one runs a session backward faster
    than the world best for 10 km (4.24 m/s), so it is forward, not unknown."""
    runner = replace(RUNNER, run_cadence_3mps=186.0, run_cadence_exp=0.2, back_run_cadence_ratio=1.07,
                     forward_run_mps=4.4, backward_run_mps=3.0)
    plan = [Phase(FR, 300, 4.4)]
    for _ in range(10):
        plan += [Phase(BR, 12, 3.0), Phase(FR, 90, 4.4)]
    sim = simulate(4, plan, runner)
    act = activity_from_truth(sim, heading=False)
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    far = np.ones(mid.size, dtype=bool)
    for seg in sim.truth.segments:
        if seg.direction == Direction.BACKWARD:
            far &= np.abs(mid - 0.5 * (seg.start_s + seg.end_s)) > 20.0
    assert runner.cadence_spm(FR, 4.4) >= 195.0
    assert np.mean(track.direction[far] == Direction.FORWARD) >= 0.95


def test_a_run_entirely_backward_comes_out_backward():
    plan = [Phase(BR, 700, RUNNER.backward_run_mps), stop(15), Phase(BR, 700, RUNNER.backward_run_mps * 0.95)]
    sim = simulate(8, plan)
    gait_only = activity_from_truth(sim, heading=False)
    track = detect_direction(gait_only)
    assert track.method == "gait"
    assert shares(gait_only, track)[Direction.BACKWARD] >= 0.9
    with_heading = activity_from_truth(sim)
    assert shares(with_heading, detect_direction(with_heading))[Direction.BACKWARD] >= 0.98


# --- which evidence ------------------------------------------------------------------------------


def test_no_cadence_and_no_heading_is_unknown():
    sim = simulate(21, intervals())
    act = activity_from_truth(sim, heading=False, cadence=False)
    track = detect_direction(act)
    assert track.method == "none"
    moving = track.direction != Direction.STOPPED
    assert moving.mean() > 0.9
    assert np.all(track.direction[moving] == Direction.UNKNOWN)
    assert np.all(track.confidence[moving] == 0.0)
    assert np.any(track.direction == Direction.STOPPED)


def test_heading_alone_tells_backward_from_forward():
    sim = simulate(22, intervals())
    act = activity_from_truth(sim, cadence=False)
    track = detect_direction(act)
    assert track.method == "heading"
    score = score_track(sim.truth, act.t_s, track.direction)
    assert score.accuracy >= 0.97
    assert score.wrong_s / score.moving_s <= 0.01


def test_cadence_alone_tells_backward_from_forward():
    sim = simulate(23, intervals())
    act = activity_from_truth(sim, heading=False)
    track = detect_direction(act)
    assert track.method == "gait"
    score = score_track(sim.truth, act.t_s, track.direction)
    assert score.accuracy >= 0.9
    assert score.wrong_s / score.moving_s <= 0.03


def test_heading_and_cadence_together_place_switches_to_the_second():
    sim = simulate(24, intervals())
    act = activity_from_truth(sim)
    track = detect_direction(act)
    assert track.method == "heading+gait"
    score = score_track(sim.truth, act.t_s, track.direction)
    assert score.accuracy >= 0.98
    assert score.missed_switches == 0 and score.spurious_switches == 0
    assert np.median(score.switch_errors_s) <= 1.0


def test_short_backward_bursts_are_found():
    plan = [Phase(FR, 240, RUNNER.forward_run_mps)]
    for _ in range(8):
        plan += [Phase(BR, 12, RUNNER.backward_run_mps), Phase(FR, 90, RUNNER.forward_run_mps)]
    sim = simulate(25, plan)
    act = activity_from_truth(sim)
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    bursts = [s for s in sim.truth.segments if s.direction == Direction.BACKWARD]
    assert len(bursts) == 8
    for seg in bursts:
        inside = (mid > seg.start_s + 1) & (mid < seg.end_s - 1)
        assert np.mean(track.direction[inside] == Direction.BACKWARD) >= 0.8, seg
    far = np.ones(mid.size, dtype=bool)
    for seg in bursts:
        far &= np.abs(mid - 0.5 * (seg.start_s + seg.end_s)) > seg.end_s - seg.start_s
    assert np.mean(track.direction[far] == Direction.BACKWARD) <= 0.005


FLAT_CADENCE_BURSTS_S = [(346.775, 360.475), (434.975, 453.275), (579.775, 597.875), (747.275, 758.575),
                         (824.475, 835.275), (929.575, 944.675), (1090.375, 1106.675), (1151.175, 1166.075),
                         (1211.175, 1222.175), (1272.675, 1284.175), (1363.975, 1377.075), (1429.875, 1446.575)]


def test_heading_finds_bursts_whose_step_rate_matches_the_forward_running():
    """A fast runner at 200 steps/min whichever way they run, smart recording, speed only from the fixes
    (tests/data/sessions/README.md): the gait cannot tell the bursts from the forward running and must
    not overrule the compass, which can."""
    act = read_activity(DATA / "sessions" / "flat-cadence-bursts.gpx.gz")
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    inside = np.zeros(mid.size, dtype=bool)
    for a, b in FLAT_CADENCE_BURSTS_S:
        burst = (mid > a + 2.0) & (mid < b - 2.0)
        assert np.mean(track.direction[burst] == Direction.BACKWARD) >= 0.6, (a, b)
        inside |= (mid > a - 3.0) & (mid < b + 3.0)
    assert np.mean(track.direction[~inside] == Direction.BACKWARD) <= 0.005


def test_contact_time_tells_backward_running_at_the_forward_step_rate_apart():
    """Backward reps at 2.05 m/s take 171 steps/min, forward running at 3.2 m/s 170: one step-rate line
    through both explains them as well as two. Running dynamics tell the gaits apart: backward, contact
    is a smaller share of each step. Without heading, the step rate alone misses three of the switches
    in this session (accuracy 0.75); with contact time it finds them all."""
    runner = replace(RUNNER, back_run_cadence_ratio=1.10, run_cadence_exp=0.2, forward_run_mps=3.2,
                     backward_run_mps=2.05, forward_walk_mps=1.45, backward_walk_mps=0.8, back_walk_step_ratio=0.84,
                     run_duty_3mps=0.76, back_run_duty_ratio=0.83)
    assert abs(runner.cadence_spm(BR, 2.05) - runner.cadence_spm(FR, 3.2)) < 2.0
    plan = [Phase(BW, 230, 0.8), Phase(BR, 100, 2.05), Phase(FW, 160, 1.45), Phase(BR, 230, 2.05), Phase(BW, 80, 0.8),
            stop(12), Phase(FR, 190, 3.2), Phase(BW, 40, 0.8), Phase(FW, 70, 1.45), Phase(FR, 180, 3.2), stop(10),
            Phase(BR, 150, 2.05)]
    sim = simulate_activity(1, runner=runner, phases=plan, route="loop", recording=Recording(dynamics=True, manual_laps=False))
    act = activity_from_truth(sim, heading=False)
    assert np.isfinite(act.stance_time_ms).mean() > 0.5
    track = detect_direction(act)
    score = score_track(sim.truth, act.t_s, track.direction)
    assert score.accuracy >= 0.98, score
    assert score.missed_switches == 0 and score.spurious_switches == 0, score
    assert track.method == "gait+contact"
    without = replace(act, stance_time_ms=np.full(act.t_s.size, np.nan))
    assert detect_direction(without).method == "gait"


def test_a_near_tie_of_the_population_priors_is_not_a_confident_label():
    """A 190 steps/min forward runner's intervals without heading (tests/data/sessions/README.md): the
    forward running is a single gait the population can place either way; forward time must not come
    out backward, and whatever is labelled is right far more often than its confidence says it errs."""
    act = read_activity(DATA / "sessions" / "high-cadence-intervals.fit.gz")
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    forward = np.zeros(mid.size, dtype=bool)
    for a, b in [(0, 350), (402, 462), (579, 654), (770, 1170)]:
        forward |= (mid > a + 3) & (mid < b - 3)
    assert np.mean(track.direction[forward] == Direction.BACKWARD) <= 0.02
    sure = forward & (track.confidence >= 0.9)
    assert np.all(track.direction[sure] == Direction.FORWARD)


def test_one_short_backward_rep_says_which_running_is_forward():
    """The same intervals (tests/data/sessions/README.md): the first rep, 43 s of backward running at
    8 % more steps a minute than the forward running at that speed, is under 5 % of the running but a
    second class all the same, so the forward running is no longer a near tie of the population."""
    act = read_activity(DATA / "sessions" / "high-cadence-intervals.fit.gz")
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    forward_running = ((mid > 3) & (mid < 347)) | ((mid > 773) & (mid < 1167))
    first_rep = (mid > 353) & (mid < 390)
    assert np.mean(track.direction[forward_running] == Direction.FORWARD) >= 0.95
    assert np.mean(track.direction[first_rep] == Direction.BACKWARD) >= 0.9


def test_walking_backward_and_forward():
    plan = [Phase(FW, 240, 1.4), Phase(BW, 180, 0.9), stop(6), Phase(FW, 200, 1.45), Phase(BW, 150, 0.85),
            Phase(FR, 300, 3.0), Phase(BR, 200, 2.1)]
    sim = simulate(26, plan)
    act = activity_from_truth(sim)
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.97


def test_forward_walks_between_backward_reps_stay_forward_without_heading():
    # Only the walks are walking: the walk regime has one class, which its backward neighbours must not pick.
    plan = [Phase(FR, 420, RUNNER.forward_run_mps)]
    for _ in range(6):
        plan += [Phase(BR, 150, RUNNER.backward_run_mps), stop(10), Phase(FW, 75, RUNNER.forward_walk_mps), stop(8)]
    plan.append(Phase(FR, 300, RUNNER.forward_run_mps))
    sim = simulate(27, plan)
    act = activity_from_truth(sim, heading=False)
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    walks = [s for s in sim.truth.segments if s.gait == "forward_walk"]
    assert len(walks) == 6
    for seg in walks:
        inside = (mid > seg.start_s + 5) & (mid < seg.end_s - 5)
        assert np.mean(track.direction[inside] == Direction.BACKWARD) <= 0.1, seg
    assert score_track(sim.truth, act.t_s, track.direction).accuracy >= 0.95


@pytest.mark.parametrize("fmt", ["fit", "gpx"])
def test_a_backward_race_between_forward_walks_is_not_called_forward(fmt):
    """A race file without heading: walk to the start, 15 minutes backward, walk off. The walks are clearly
    forward; that must not carry the running with them, as it did when the only one-gait hypotheses were
    'all forward' and 'all backward'."""
    plan = [Phase(FW, 180, RUNNER.forward_walk_mps), Phase(BR, 900, RUNNER.backward_run_mps),
            Phase(FW, 200, RUNNER.forward_walk_mps)]
    for seed in (28, 29):
        sim = simulate(seed, plan)
        act = activity_from_truth(sim, fmt, heading=False)
        track = detect_direction(act)
        mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
        run = next(s for s in sim.truth.segments if s.gait == "backward_run")
        racing = (mid > run.start_s + 5) & (mid < run.end_s - 5)
        walking = np.zeros(mid.size, dtype=bool)
        for seg in sim.truth.segments:
            if seg.gait == "forward_walk":
                walking |= (mid > seg.start_s + 5) & (mid < seg.end_s - 5)
        assert np.mean(track.direction[racing] == Direction.FORWARD) <= 0.05, seed
        assert np.mean(track.direction[walking] == Direction.FORWARD) >= 0.9, seed


@pytest.mark.parametrize("kind", ["typical", "tall", "short", "fast"])
def test_a_forward_run_between_forward_walks_stays_forward(kind):
    runner = make_runner(np.random.default_rng(30), kind)
    plan = [Phase(FW, 180, runner.forward_walk_mps), Phase(FR, 900, runner.forward_run_mps),
            Phase(FW, 200, runner.forward_walk_mps)]
    act = activity_from_truth(simulate(30, plan, runner), heading=False)
    s = shares(act, detect_direction(act))
    assert s[Direction.BACKWARD] <= 0.01, (kind, s)
    assert s[Direction.FORWARD] >= 0.95, (kind, s)


@pytest.mark.parametrize("seed", range(3000, 3004))
def test_backward_sessions_with_forward_walks_round_them(seed):
    """The benchmark's first sessions of backward running with forward walking round it (a race file, reps
    with walks between), various runners, no heading: backward time is almost never called forward, and
    never with confidence."""
    scenario = ("backward_race", "backward_reps")[seed % 2]
    sim = simulate_activity(seed, scenario=scenario)
    act = activity_from_truth(sim, ("fit", "gpx")[seed % 2], heading=False)
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    dt = np.diff(act.t_s)
    backward = sim.truth.direction_at(mid) == Direction.BACKWARD
    called_forward = backward & (track.direction == Direction.FORWARD)
    assert dt[called_forward].sum() <= 0.05 * dt[backward].sum()
    assert dt[called_forward & (track.confidence >= 0.9)].sum() <= 0.01 * dt[backward].sum()


def test_a_tall_runners_slow_jog_under_140_steps_is_judged_as_running():
    """A tall runner jogs forward at 2.4 m/s on about 142 steps/min, at the walk-run step rate; their
    backward reps are clearly running. The jogs still carry gait evidence, so they come out forward."""
    tall = replace(RUNNER, name="tall", height_m=1.92, run_cadence_3mps=149.0, run_cadence_exp=0.2,
                   back_run_cadence_ratio=1.12, forward_run_mps=2.4, backward_run_mps=1.9)
    plan = [Phase(FR, 300, 2.4)]
    for _ in range(5):
        plan += [Phase(BR, 120, 1.9), stop(10), Phase(FR, 150, 2.4), stop(8)]
    sim = simulate(28, plan, runner=tall)
    act = activity_from_truth(sim, "gpx", heading=False)
    jog = act.cadence_spm[(act.t_s > 30) & (act.t_s < 280)]
    assert 134.0 < np.median(jog) < 146.0
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    for seg in (s for s in sim.truth.segments if s.gait == "forward_run"):
        inside = (mid > seg.start_s + 10) & (mid < seg.end_s - 10)
        assert np.mean(track.direction[inside] == Direction.FORWARD) >= 0.9, seg
    assert score_track(sim.truth, act.t_s, track.direction).accuracy >= 0.95


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_hills_shift_step_rate_but_not_the_verdict(seed):
    # A rolling 1 km loop, up to 5 % grade: uphill the step rate at a given speed rises by up to 3 %, as it
    # does backward, where this runner's steps are only 7 % quicker. Without heading, the reps must still
    # come out backward and the rest forward.
    runner = replace(RUNNER, back_run_cadence_ratio=1.07, backward_run_mps=2.3)
    hilly = loop_route(np.random.default_rng(seed), 1000.0)
    sim = simulate_activity(seed, runner=runner, phases=intervals(runner), route=hilly, hill_m=8.0)
    act = activity_from_truth(sim, heading=False)
    grade = np.abs(np.diff(act.altitude_m)) / np.maximum(np.diff(act.distance_m), 1e-9)
    assert np.percentile(grade[np.diff(act.distance_m) > 2.0], 90) > 0.035
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.97
    assert score.wrong_s / score.moving_s <= 0.02


# --- multisport, shape, probability ----------------------------------------------------------------


def test_moving_time_outside_foot_sessions_is_unknown():
    sim = simulate(27, intervals())
    act = activity_from_truth(sim)
    half = float(act.t_s[-1]) / 2
    act.sessions = [Session("cycling", 0.0, half), Session("running", half, float(act.t_s[-1]))]
    act.sport = "multisport"
    track = detect_direction(act)
    mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
    bike = (mid < half) & (track.direction != Direction.STOPPED)
    assert bike.any()
    assert np.all(track.direction[bike] == Direction.UNKNOWN)
    run = (mid >= half) & (track.direction != Direction.STOPPED)
    labelled = np.isin(track.direction[run], [Direction.FORWARD, Direction.BACKWARD])
    assert labelled.mean() >= 0.95


def test_track_shape_and_confidence():
    sim = simulate(28, intervals())
    act = activity_from_truth(sim)
    track = detect_direction(act)
    n = len(act)
    assert track.direction.dtype == np.uint8
    assert track.direction.shape == track.confidence.shape == track.p_backward.shape == (n - 1,)
    assert np.all((track.confidence >= 0.0) & (track.confidence <= 1.0))
    known = np.isin(track.direction, [Direction.FORWARD, Direction.BACKWARD])
    assert np.all(track.confidence[known] >= 0.55)
    back = track.direction == Direction.BACKWARD
    assert np.allclose(track.confidence[back], np.minimum(track.p_backward[back], 0.999))
    assert track.confidence[known].max() < 1.0
    assert np.all(np.isnan(track.p_backward[track.direction == Direction.STOPPED]))
    # Deterministic.
    again = detect_direction(act)
    assert np.array_equal(again.direction, track.direction)


def test_confidence_is_calibrated_on_average():
    """Over labelled intervals, the error rate is no worse than the confidence promises."""
    errors = promised = labelled = 0.0
    for seed in range(30, 40):
        sim = simulate_activity(seed, difficulty="hard")
        act = activity_from_truth(sim, heading=False)
        track = detect_direction(act)
        mid = 0.5 * (act.t_s[1:] + act.t_s[:-1])
        truth = sim.truth.direction_at(mid)
        sel = np.isin(track.direction, [Direction.FORWARD, Direction.BACKWARD]) & np.isin(truth, [1, 2])
        errors += float(np.sum(track.direction[sel] != truth[sel]))
        promised += float(np.sum(1.0 - track.confidence[sel]))
        labelled += float(sel.sum())
    assert labelled > 0
    assert errors / labelled <= promised / labelled + 0.03


def test_tiny_activities():
    act = activity_from_truth(simulate(29, [Phase(FR, 3, 3.0)]))
    track = detect_direction(act)
    assert track.direction.size == len(act) - 1
    one = replace(act, t_s=act.t_s[:1], **{k: getattr(act, k)[:1] for k in (
        "lat_deg", "lon_deg", "distance_m", "speed_mps", "cadence_spm", "step_length_m", "heading_deg",
        "heart_rate_bpm", "altitude_m", "stance_time_ms", "vertical_oscillation_mm")})
    assert detect_direction(one).direction.size == 0


# --- the HMM -------------------------------------------------------------------------------------


def test_hmm_posterior_matches_a_plain_forward_backward():
    rng = np.random.default_rng(0)
    for m in (1, 2, 7, 300, 5000):
        em = rng.normal(0.0, 2.0, (m, 2))
        p = rng.uniform(0.001, 0.3, m)
        post, loglik = hmm_posterior(em, p)
        e = np.exp(em)
        alpha = np.zeros((m, 2))
        a = 0.5 * e[0]
        ll = np.log(a.sum())
        alpha[0] = a / a.sum()
        for i in range(1, m):
            trans = np.array([[1 - p[i], p[i]], [p[i], 1 - p[i]]])
            a = e[i] * (trans.T @ alpha[i - 1])
            ll += np.log(a.sum())
            alpha[i] = a / a.sum()
        beta = np.ones((m, 2))
        for i in range(m - 2, -1, -1):
            trans = np.array([[1 - p[i + 1], p[i + 1]], [p[i + 1], 1 - p[i + 1]]])
            b = trans @ (e[i + 1] * beta[i + 1])
            beta[i] = b / b.sum()
        g = alpha * beta
        assert np.allclose(post, g[:, 1] / g.sum(axis=1), atol=1e-9)
        assert loglik == pytest.approx(ll, rel=1e-9, abs=1e-6)


# --- through files, and into the analysis -------------------------------------------------------


@pytest.mark.parametrize("suffix", [".fit", ".gpx"])
def test_files_round_trip(tmp_path, suffix):
    sim = simulate(31, intervals(), route="track")
    act = read_activity(sim.write(tmp_path / f"session{suffix}"))
    assert act.has_heading and act.has_cadence
    track = detect_direction(act)
    assert track.method == "heading+gait"
    assert score_track(sim.truth, act.t_s, track.direction).accuracy >= 0.97


def test_shuttle_drill_with_u_turns_from_files(tmp_path):
    plan = [Phase(FR, 120, 3.0)]
    sense = 1
    for k in range(8):
        sense = -sense
        plan.append(Phase(BR if k % 2 == 0 else FR, 40, 2.1 if k % 2 == 0 else 3.0, sense=sense))
    sim = simulate(32, plan, route="out_and_back")
    act = read_activity(sim.write(tmp_path / "shuttle.fit"))
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.95
    assert score.missed_switches == 0


def shuttle_plan(leg_s: float, *, u_turns: bool = False) -> list[Phase]:
    """A warm-up, then ten out-and-back shuttles: out forward, back backward facing the same way (or,
    with `u_turns`, every other leg back forward after turning round), then a stop and a cool-down."""
    plan = [Phase(FR, 240, 3.0)]
    sense = 1
    for k in range(10):
        plan.append(Phase(FR, leg_s, 3.0, sense=sense))
        back = FR if u_turns and k % 2 else BR
        plan.append(Phase(back, leg_s * 4 / 3, 2.1 if back == BR else 3.0, sense=-sense))
    plan.append(stop(30))
    plan.append(Phase(FR, 240, 3.0, sense=sense))
    return plan


def test_turning_back_is_found_where_the_runner_turns():

    plan = shuttle_plan(20, u_turns=True)
    ends = np.cumsum([p.duration_s for p in plan])
    turns = np.array([ends[i] for i in range(len(plan) - 1)
                      if None not in (plan[i].gait, plan[i + 1].gait) and plan[i + 1].sense != plan[i].sense])
    # 19 turns from one leg straight into the next; the one during the 30 s stop is the stop's to mark.
    assert turns.size == 19
    for fmt in ("fit", "gpx"):
        act = activity_from_truth(simulate(41, plan, route="out_and_back"), fmt, heading=False)
        found = act.t_s[reversals(act, path_distance(act))]
        assert found.size == turns.size
        assert np.max(np.abs(found - turns)) <= 2.0
    loop = activity_from_truth(simulate(41, intervals()), "fit", heading=False)
    assert reversals(loop, path_distance(loop)).size == 0


@pytest.mark.parametrize("fmt", ["fit", "gpx"])
def test_short_shuttles_without_heading_switch_at_the_turns(tmp_path, fmt):
    """Legs of 18 and 24 s leave few steady windows of gait each; turning back marks where a switch is
    likely, so each leg is labelled whole and each switch falls at its turn."""
    sim = simulate(41, shuttle_plan(18), route="out_and_back")
    act = read_activity(sim.write(tmp_path / f"shuttles.{fmt}", heading=False))
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.97
    assert score.missed_switches == 0 and score.spurious_switches == 0
    assert np.median(score.switch_errors_s) <= 0.5


def test_analysis_totals_follow_the_labels():
    sim = simulate(33, intervals())
    analysis = analyze_activity(activity_from_truth(sim))
    back_truth = sum(s.end_s - s.start_s for s in sim.truth.segments if s.direction == Direction.BACKWARD)
    assert analysis.summary.backward.time_s == pytest.approx(back_truth, rel=0.03)
    assert {g.direction for g in analysis.segments} >= {"forward", "backward", "stopped"}
    assert analysis.summary.backward.step_length_m < analysis.summary.forward.step_length_m
    fractions = [s.backward_fraction for s in analysis.splits]
    assert fractions[0] == pytest.approx(0.0, abs=0.02)  # the warm-up kilometre
    assert max(f for f in fractions if f is not None) > 0.3


# --- real forward runs ---------------------------------------------------------------------------


@needs_real
@pytest.mark.parametrize("name", [
    "fitparse__activity-small-fenix2-run.fit",
    "fitparse__developer-types-sample.fit",
    "fitparse__compressed-speed-distance.fit",
    "tormoder__mornindew-broken.fit",
    "georust__garmin-activity.gpx",
])
def test_real_forward_runs_are_not_called_backward(name):
    act = read_activity(real_file(name))
    track = detect_direction(act)
    s = shares(act, track)
    assert s[Direction.BACKWARD] <= 0.01
    assert s[Direction.FORWARD] >= 0.9


@needs_real
def test_real_run_without_cadence_is_unknown():
    act = read_activity(real_file("fitparse__2013-02-06-12-11-14.fit"))
    track = detect_direction(act)
    assert track.method == "none"
    assert shares(act, track)[Direction.UNKNOWN] == 1.0


# --- change points as switch hints ----------------------------------------------------------------


def test_peaks_picks_the_highest_point_of_each_run():

    score = np.array([0.0, 1.2, 3.0, 1.5, 0.0, 0.0, 2.0, 2.5, 0.1, 4.0])
    assert run_peaks(score, score >= 1.0).tolist() == [2, 7, 9]
    assert run_peaks(score, np.zeros(score.size, dtype=bool)).size == 0


def test_change_points_mark_the_switches_of_gait_without_heading():
    """Every switch between forward and backward running (here with no stop to mark it) shows as a
    clear change of pace or step rate within a few seconds, and a steady run shows almost none."""
    from retrotrack.motion import stopped_intervals

    plan = [Phase(FR, 240, 3.0)]
    for _ in range(4):
        plan += [Phase(BR, 40, 2.1), Phase(FR, 120, 3.0)]
    sim = simulate(21, plan)
    act = activity_from_truth(sim, heading=False)
    active = ~stopped_intervals(act)
    f = gait_features(act, path_distance(act), active)
    t = act.t_s
    mid = 0.5 * (t[:-1] + t[1:])
    found = mid[f.change_at]
    assert np.array_equal(f.change_at, run_peaks(f.change, (f.change >= 1.0) & active))
    switches = [when for when, _ in sim.truth.switches()]
    assert len(switches) == 8
    for when in switches:
        assert np.min(np.abs(found - when)) <= 5.0, (when, found)
    # Steady stretches (away from any switch) are not cut up.
    far = np.array([np.min(np.abs(np.array(switches) - x)) > 20.0 for x in found])
    assert far.sum() <= 3, found[far]


# --- gait windows across steady stretches ---------------------------------------------------------


def test_stretch_windows_reach_across_steady_running_but_not_across_a_change():

    ck = np.arange(0.0, 121.0)
    mid = 0.5 * (ck[:-1] + ck[1:])
    change_at = np.array([60])  # a change point at 60.5 s
    still = np.zeros(mid.size, dtype=bool)
    still[100] = True  # a stop at 100.5 s
    lo, hi = _stretch_windows(mid, ck, change_at, still)
    # In the middle of a steady stretch: the full reach either side.
    assert lo[30] == pytest.approx(mid[30] - GAIT_REACH_S) and hi[30] == pytest.approx(mid[30] + GAIT_REACH_S)
    # Near the change point: the window stops short of it by the short half-window ...
    assert hi[50] == pytest.approx(60.5 - GAIT_HALF_WINDOW_S)
    assert lo[70] == pytest.approx(60.5 + GAIT_HALF_WINDOW_S)
    assert hi[90] == pytest.approx(100.5 - GAIT_HALF_WINDOW_S)
    # ... but is never narrower than the short window, and never leaves the activity.
    assert np.all(hi - mid >= np.minimum(GAIT_HALF_WINDOW_S, ck[-1] - mid) - 1e-9)
    assert np.all(mid - lo >= np.minimum(GAIT_HALF_WINDOW_S, mid - ck[0]) - 1e-9)
    assert hi[98] == pytest.approx(mid[98] + GAIT_HALF_WINDOW_S)
    assert lo[59] == pytest.approx(mid[59] - GAIT_REACH_S) and hi[59] == pytest.approx(mid[59] + GAIT_HALF_WINDOW_S)
    assert lo[0] == ck[0] and hi[-1] == ck[-1]


def test_forward_runs_on_rolling_ground_are_not_split_into_two_gaits(tmp_path):
    """Backward walks with three forward runs between them, on a rolling route, positions only: the hills
    move the runs' step rate enough for EM, started from a split of step rate, to settle on two classes
    of running. Started from 'all forward' as well, the better account wins: walks backward, runs forward."""
    sim = simulate_activity(2005, difficulty="hard")
    assert sim.name.endswith("walk_mix")
    act = read_activity(sim.write(tmp_path / "session.gpx", heading=False))
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.95


@pytest.mark.parametrize("seed, difficulty", [(1003, "easy"), (2025, "hard")])
def test_positions_only_backward_reps_at_the_forward_step_rate_are_found(tmp_path, seed, difficulty):
    """Backward reps at about 0.6x forward speed with the same step rate as the forward running:
    in a GPX file speed comes only from positions, whose noise over a few seconds hides the gait;
    measured over whole steady stretches the backward reps stand out."""
    sim = simulate_activity(seed, difficulty=difficulty)
    act = read_activity(sim.write(tmp_path / "session.gpx", heading=False))
    score = score_track(sim.truth, act.t_s, detect_direction(act).direction)
    assert score.accuracy >= 0.95


def test_gait_speeds_keep_the_corners_that_heading_chords_smooth_away():
    """Smart recording on a loop (fixes 1-8 s apart) read from a GPX: the path the heading's chords
    are placed on smooths every fix with its neighbours, while the gait's speeds come from the
    activity's own distance, which averages only fixes a second or so apart and so keeps the bends."""
    sim = simulate_activity(7, phases=[Phase(Gait.FORWARD_RUN, 600, 3.0)], route="loop",
                            recording=Recording(smart=True))
    act = activity_from_truth(sim, "gpx", heading=False)
    assert act.distance_source == "positions"
    own = path_distance(act, steady=False)
    assert np.allclose(own, act.distance_m)
    assert path_distance(act)[-1] < own[-1] - 5.0
