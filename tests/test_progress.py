"""Marks on the watch's own distance, fitted together, and the field's depth prior
(retrotrack.race.progress)."""

import numpy as np
import pytest

from retrotrack.race import progress
from retrotrack.race.gates import GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo
from retrotrack.race.progress import (
    DEPTH_GRID_M,
    GPS_CORR_S,
    GPS_SD_M,
    MarkObs,
    ProgressClock,
    error_model,
    field_depth_priors,
    fit_marks,
    gps_error_model,
    lingering_share,
    pass_mark,
    running_median,
)
from retrotrack.race.timing import time_activity
from retrotrack.simulate.gps import gauss_markov

from race_tracks import GUN, PROJ, activity, backward, circle_track, gate, sprint_from


def test_deep_field_puts_later_starters_further_back():
    g = DEPTH_GRID_M
    rng = np.random.default_rng(5)
    depths = rng.uniform(0.5, 12.0, 60)
    onsets = 0.2 + depths / 3.0  # the start moves back through the crowd at 3 m/s
    lls = [-0.5 * ((g - (d + rng.normal(0, 3.5))) / 3.5) ** 2 for d in depths]
    priors = field_depth_priors(lls, list(onsets), field_size=60)
    means = [float((p * np.gradient(g)) @ g / (p * np.gradient(g)).sum()) for p in priors]
    # The prior follows when a runner set off: the first away are at the front.
    assert np.corrcoef(means, depths)[0, 1] > 0.8
    assert min(means) < 3.0 and max(means) > 8.0
    assert field_depth_priors(lls[:2], list(onsets[:2])) is None


def test_a_field_clearing_at_two_and_a_half_metres_a_second_is_placed_by_its_own_wave():
    # 80 runners up to 18 m back, the start moving back through them at 2.5 m/s, each runner's own GPS
    # good to 3.5 m: a wave between the candidates of a coarse grid (2 or 3 m/s) misplaces the field.
    g = DEPTH_GRID_M
    rms = []
    for seed in (1, 2, 3):
        rng = np.random.default_rng(seed)
        depths = np.sort(rng.uniform(0.5, 18.0, 80))
        lls = [-0.5 * ((g - (d + rng.normal(0, 3.5))) / 3.5) ** 2 for d in depths]
        priors = field_depth_priors(lls, list(0.2 + depths / 2.5), field_size=80)
        post = [p * np.exp(ll - ll.max()) * np.gradient(g) for p, ll in zip(priors, lls)]
        means = np.array([float(q @ g / q.sum()) for q in post])
        rms.append(float(np.sqrt(np.mean((means - depths) ** 2))))
    assert max(rms) < 0.75  # a coarse grid of waves: 0.7-1.25 m


def test_a_setting_off_known_only_roughly_does_not_pull_a_runner_to_the_front():
    # A deep field (the start moves back at 3 m/s); one runner's setting off, judged from positions alone,
    # reads 3 s early (as if near the front) while their own GPS puts them 12 m back.
    g = DEPTH_GRID_M
    rng = np.random.default_rng(6)
    depths = rng.uniform(0.5, 15.0, 40)
    onsets = list(0.2 + depths / 3.0)
    lls = [-0.5 * ((g - (d + rng.normal(0, 1.0))) / 3.5) ** 2 for d in depths]
    lls[0] = -0.5 * ((g - 12.0) / 3.5) ** 2
    onsets[0] = 0.2 + 12.0 / 3.0 - 3.0

    def depth_of_first(onset_sd):
        prior = field_depth_priors(lls, onsets, field_size=40, onset_sd_s=onset_sd)[0]
        post = prior * np.exp(lls[0] - lls[0].max()) * np.gradient(g)
        return float(post @ g / post.sum())

    trusted, unsure = depth_of_first(None), depth_of_first([2.0] + [0.0] * 39)
    assert trusted < 6.0  # taken at its word, the early reading puts them near the front
    assert unsure > trusted + 3.0 and unsure > 8.0


def test_laps_longer_on_the_watch_than_the_course_are_numbered_in_order():
    # 25 laps; the runner's line (and so the watch) measures each lap 10 m longer than the course's 400 m.
    t, s, R = circle_track(25, lap_m=410.0, v=4.0)
    th = s / R
    x, y = R * np.sin(th), R - R * np.cos(th)
    rng = np.random.default_rng(2)
    # A GPS offset that wanders: a new value every 40 s, smoothly.
    knots = np.arange(t[0], t[-1] + 41, 40.0)
    ox = np.interp(t, knots, rng.normal(0, 3.0, knots.size))
    oy = np.interp(t, knots, rng.normal(0, 3.0, knots.size))
    act = activity(t, x + ox, y + oy, true_path_m=s - s[0], cadence=np.where(t > 0, 180, 0))
    race = RaceInfo(name="T", date="2026-06-14", distance_m=10000.0, gun_time=GUN, timing="gun",
                    start=None, finish=gate("finish", 0.0, y=0.0, bearing=90.0, width=30.0),
                    finish_crossings=25, lap_m=400.0)
    r = time_activity(act, race, backward(act), with_trace=False)
    assert r.status == "finished"
    true_finish = (25 * 410.0 + 0.5) / 4.0
    assert r.finish_s == pytest.approx(true_finish, abs=1.0)
    laps = [sp.elapsed_s for sp in r.splits]
    assert np.all(np.diff(laps) > 90)


def test_fit_of_many_passes_beats_the_last_pass_alone():
    # Marks of 13 passes of one line, each off by its own GPS error; the lap is 405 m.
    rng = np.random.default_rng(11)
    true = 100.0 + 405.0 * np.arange(13)
    errs_fit, errs_raw = [], []
    for _ in range(200):
        e = rng.normal(0, 3.5, 13)
        obs = [MarkObs(0, k, 100.0 * k, float(true[k] + e[k]), 1.0, 0.0, float(true[k] - 100.0), ("f", k)) for k in range(13)]
        fit = fit_marks(obs)
        errs_fit.append(abs(fit.marks[("f", 12)][0] - true[12]))
        errs_raw.append(abs(e[12]))
    assert np.median(errs_fit) < 0.7 * np.median(errs_raw)


def test_a_watch_distance_that_drifts_lap_by_lap_is_learnt_from_the_passes(monkeypatch):
    # 13 passes of one line, each mark off by 2 m of GPS error; the watch's distance drifts from the
    # course as a random walk (a foot pod, or a watch that smooths its positions into its distance):
    # 11 m a lap here. Held to the usual 3 m a lap, the fit pulls the last pass towards a smooth drift.
    def median_error(walk_m2_per_m):
        rng = np.random.default_rng(4)
        errs = []
        for _ in range(200):
            course = 100.0 + 405.0 * np.arange(13)
            seen = course + np.concatenate(([0.0], np.cumsum(rng.normal(0.0, np.sqrt(walk_m2_per_m * 405.0), 12))))
            e = rng.normal(0.0, 2.0, 13)
            obs = [MarkObs(0, k, 100.0 * k, float(seen[k] + e[k]), 1.0, 0.0, float(course[k] - 100.0), ("f", k))
                   for k in range(13)]
            errs.append(abs(fit_marks(obs, sd_m=2.0, corr_s=2.0).marks[("f", 12)][0] - seen[12]))
        return float(np.median(errs))

    drifting, steady = median_error(0.3), median_error(0.0)
    monkeypatch.setattr(progress, "PATH_WALK_GRID", (progress.PATH_WALK_M2_PER_M,))
    assert drifting < 0.75 * median_error(0.3)
    assert steady == pytest.approx(median_error(0.0), rel=0.02)  # a steady watch is not taken to drift


def test_the_last_pass_follows_where_the_watch_has_drifted_to():
    # 13 passes, a lap every 120 s; each mark off by 3.5 m of GPS error wandering over a minute, and
    # the watch's distance drifting from the course as the default random walk (2.8 m a lap). The true
    # mark of the last pass is where the course is on the watch by then: neither a straight line
    # through the laps (drift ignored) nor the last pass alone (its GPS error) gets as close as both.
    rng = np.random.default_rng(12)
    rate = progress.PATH_WALK_M2_PER_M
    laps = np.arange(13)
    fitted, straight, alone = [], [], []
    for _ in range(300):
        course = 100.0 + 405.0 * laps
        seen = course + np.concatenate(([0.0], np.cumsum(rng.normal(0.0, np.sqrt(rate * 405.0), 12))))
        e = gauss_markov(13, 120.0, 3.5, 60.0, rng)
        obs = [MarkObs(0, k, 120.0 * k, float(seen[k] + e[k]), 1.0, 0.0, float(course[k] - 100.0), ("f", k))
               for k in laps]
        fitted.append(abs(fit_marks(obs, sd_m=3.5, corr_s=60.0).marks[("f", 12)][0] - seen[12]))
        straight.append(abs(np.polyval(np.polyfit(laps, seen + e, 1), 12) - seen[12]))
        alone.append(abs(e[12]))
    assert np.median(fitted) < 0.85 * min(np.median(straight), np.median(alone))


def test_the_gps_error_is_learnt_as_jitter_or_as_a_slow_wander():
    # 30 passes of 40 fixes each at 1 Hz, their true marks unknown.
    rng = np.random.default_rng(5)
    ft = np.arange(40.0)

    def windows(sd, corr):
        return [(ft, 1000.0 * k + gauss_markov(ft.size, 1.0, sd, corr, rng)) for k in range(30)]

    sd, corr = error_model(windows(3.0, 1.5))
    assert corr <= 4.0 and abs(sd - 3.0) < 0.4
    # A wander over a minute shows only its rate within 40 s: the typical size and time are kept.
    sd, corr = error_model(windows(2.0, 90.0))
    assert corr >= GPS_CORR_S and sd >= GPS_SD_M
    # With a pace to fit as well.
    sd, corr = error_model([(ft, 3.2 * ft + e) for _, e in windows(4.0, 1.0)], trend=1)
    assert corr <= 2.0 and abs(sd - 4.0) < 0.5


def test_a_watch_that_jitters_keeps_each_pass_mark_it_measured_well():
    # Four passes of a line; what a lap measures on the watch wanders by a metre or two (the runner's
    # line), and each fix is off by 3.5 m of its own, so 40 fixes pin a pass to half a metre. The fit
    # with the error learnt from the fixes keeps each pass near its own mark; one that takes the error
    # for a slow wander pulls the last pass towards the laps before it.
    rng = np.random.default_rng(8)
    ft = np.arange(-20.0, 20.0)
    learnt, assumed = [], []
    for _ in range(150):
        true = 800.0 + np.cumsum(np.concatenate(([0.0], 400.0 + rng.normal(0.0, 1.5, 3))))
        obs = []
        for k, m in enumerate(true):
            fixes = m + rng.normal(0.0, 3.5, ft.size)
            obs.append(MarkObs(0, k, 150.0 * k, float(fixes.mean()), 1.0, 0.0, float(m - true[0]), ("f", k),
                               150.0 * k + ft, fixes))
        sd, corr = gps_error_model(obs)
        learnt.append(abs(fit_marks(obs, sd_m=sd, corr_s=corr).marks[("f", 3)][0] - true[3]))
        assumed.append(abs(fit_marks(obs).marks[("f", 3)][0] - true[3]))
    assert np.median(learnt) < np.median(assumed)
    assert np.median(learnt) < 0.45


def test_running_median_is_the_median_of_the_usable_neighbours():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n, half = int(rng.integers(1, 30)), int(rng.integers(0, 4))
        values, ok = rng.normal(size=n), rng.random(n) > 0.3
        want = [np.median(values[max(i - half, 0):i + half + 1][ok[max(i - half, 0):i + half + 1]])
                if ok[max(i - half, 0):i + half + 1].any() else np.nan for i in range(n)]
        np.testing.assert_allclose(running_median(values, ok, half), want)


def test_a_pass_through_jittery_fixes_is_measured_over_the_whole_straight():
    # 3.5 m/s along a straight through the line, 4.5 m of fix-to-fix noise per axis: single fixes
    # stray 8 m and more across the straight, but the runner does not, so the pass is measured over
    # all of the straight within reach, not just the fixes before the first stray one.
    g = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    rng = np.random.default_rng(12)
    t = np.arange(-60.0, 60.0)
    run = 3.5 * (t + 60.0)
    clock = ProgressClock(t, run)
    used, errs = [], []
    for _ in range(100):
        x, y = 3.5 * t + rng.normal(0.0, 4.5, t.size), rng.normal(0.0, 4.5, t.size)
        cr = find_crossings(g, t, x, y)[0]
        seen = pass_mark(g, t, x, y, clock, cr.index, cr.t_s)
        mark, fix_t = seen.mark_m, seen.fix_t_s
        used.append(fix_t.size)
        errs.append(abs(mark - 3.5 * 60.0))
    assert np.median(used) >= 60
    assert np.median(errs) < 0.6


def test_the_watch_clock_runs_on_past_either_end_at_the_pace_there():
    # Standing 5 s, then 3 m/s for 10 s: a mark before the first record or after the last is reached at
    # the pace of the nearest seconds (a watch started or stopped at a line).
    clock = ProgressClock(np.arange(15.0), np.r_[np.zeros(5), 3.0 * np.arange(1, 11)])
    assert clock.time_at(33.0) == pytest.approx(15.0)
    assert clock.time_at(0.0) == 0.0
    short = ProgressClock(np.array([0.0, 1.0, 2.0]), np.array([10.0, 13.0, 16.0]))
    assert short.time_at(7.0) == pytest.approx(-1.0)
    assert list(short.time_at(np.array([7.0, 14.5, 19.0]))) == pytest.approx([-1.0, 1.5, 3.0])


def test_a_watch_recording_every_few_seconds_is_read_between_records_by_its_speed():
    # Smart recording through a sprint start: records 4 s apart. A straight line between them has the
    # runner cover the first metres too soon; the cubic through each record's distance at its speed
    # follows the acceleration.
    t_fine, s_fine, _ = sprint_from(0.0, accel=2.0, v_max=4.0, react_s=0.3, t0=-8.0, t1=30.0)
    t = t_fine[::4]
    run = np.maximum(s_fine[::4], 0.0)
    speed = np.gradient(np.maximum(np.interp(np.arange(-8.0, 30.5, 0.01), t_fine, s_fine), 0.0), 0.01)
    speed = np.interp(t, np.arange(-8.0, 30.5, 0.01), speed)
    marks = np.array([1.0, 2.0, 3.5])
    true = 0.3 + np.sqrt(2.0 * marks / 2.0)  # steady 2 m/s2 from setting off at 0.3 s
    linear = np.abs(ProgressClock(t, run).time_at(marks) - true).max()
    cubic = np.abs(ProgressClock(t, run, speed).time_at(marks) - true).max()
    assert cubic < 0.4 and cubic < 0.5 * linear
    assert ProgressClock(t_fine, np.maximum(s_fine, 0.0), np.gradient(s_fine, t_fine)).time_at(3.0) == \
        pytest.approx(ProgressClock(t_fine, np.maximum(s_fine, 0.0)).time_at(3.0))  # at 1 Hz, as before


def test_how_much_gps_error_lingers_is_learnt_from_standing_fixes():
    # Half a minute standing still at 1 Hz: an error that jitters from fix to fix is soon gone, a slow
    # wander is mostly still there 20 s later, and nothing of either is left after several minutes.
    rng = np.random.default_rng(11)
    ft = np.arange(30.0)
    lags = np.array([0.0, 20.0, 600.0])

    def mean_share(corr_s):
        return np.mean([lingering_share([(ft, gauss_markov(ft.size, 1.0, 3.0, corr_s, rng))], lags)
                        for _ in range(20)], axis=0)

    jitter, wander = mean_share(1.5), mean_share(300.0)
    assert jitter[0] == pytest.approx(1.0) and wander[0] == pytest.approx(1.0)
    assert jitter[1] < 0.2 < 0.4 < wander[1]
    assert jitter[2] < 0.05 and wander[2] < 0.1
    # Fixes that never move: the error has not changed at all while standing.
    assert lingering_share([(ft, np.full(ft.size, 2.0))], lags)[1] > 0.8
    assert lingering_share([(ft[:8], np.zeros(8))], lags) is None
