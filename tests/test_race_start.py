"""Chip starts from standing, the field's depth, pass counting, the watch-distance fit, easing up, the sprint check.

Synthetic tracks with known truth: positions in a local frame, a GPS error that
is a slowly wandering offset (what a watch's error is over a few seconds), and
for FIT-like files a watch distance of the runner's true path.
"""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from retrotrack.direction import DirectionTrack
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity, Direction, empty_channels
from retrotrack.race import progress
from retrotrack.race.gates import GateGeometry, find_crossings
from retrotrack.race.model import Gate, RaceInfo
from retrotrack.race.pace import (
    LONG_PACE_WINDOW_S,
    PACE_WINDOW_S,
    displacement_speed_mps,
    pace_window_s,
    race_pace_crossing,
)
from retrotrack.race.passes import counted_finishes, standstill_at_line
from retrotrack.race.progress import (
    DEPTH_GRID_M,
    GPS_CORR_S,
    GPS_SD_M,
    MarkObs,
    ProgressClock,
    aligned_with,
    error_model,
    field_depth_priors,
    fit_marks,
    gps_error_model,
    pass_mark,
    running_median,
)
from retrotrack.race.run import settle_starts
from retrotrack.race.starts import departure_s, motion_onset_s, sprint_start_times
from retrotrack.race.timing import TRACE_POINTS, smoothed_distance_m, time_activity
from retrotrack.simulate.gps import gauss_markov

GUN = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
PROJ = LocalProjection(53.34, -6.26)


def gate(name, x, y=0.0, bearing=90.0, width=30.0):
    lat, lon = PROJ.to_latlon(x, y)
    return Gate(name, float(lat), float(lon), bearing, width)


def activity(t_gun, x, y, *, true_path_m=None, fmt="fit", heading=None, cadence=None):
    """An activity from positions at times since the gun; a watch distance of the true path when given."""
    t_gun = np.asarray(t_gun, dtype=float)
    n = t_gun.size
    ch = empty_channels(n)
    lat, lon = PROJ.to_latlon(np.asarray(x, float), np.asarray(y, float))
    ch["lat_deg"], ch["lon_deg"] = lat, lon
    if true_path_m is not None:
        ch["distance_m"] = np.asarray(true_path_m, float)
        ch["speed_mps"] = np.gradient(ch["distance_m"], t_gun)
    if cadence is not None:
        ch["cadence_spm"] = np.asarray(cadence, float)
    if heading is not None:
        ch["heading_deg"] = np.asarray(heading, float)
    return Activity(file=f"t.{fmt}", format=fmt, start_time=GUN + timedelta(seconds=float(t_gun[0])),
                    t_s=t_gun - t_gun[0], warnings=[], **ch)


def backward(act):
    n = act.t_s.size - 1
    return DirectionTrack(np.full(n, Direction.BACKWARD, np.uint8), np.ones(n), "test")


def sprint_from(depth_m, accel=3.0, v_max=5.0, react_s=0.3, t0=-40.0, t1=60.0):
    """1 Hz times and progress (metres past the start line) of a runner standing depth_m behind it."""
    t = np.arange(t0, t1 + 0.5, 1.0)
    tt = np.maximum(t - react_s, 0.0)
    t_top = v_max / accel
    s = np.where(tt < t_top, 0.5 * accel * tt**2, 0.5 * accel * t_top**2 + v_max * (tt - t_top))
    s = np.where(t > react_s, s, 0.0) - depth_m
    # The true crossing of the line (s = 0).
    fine = np.linspace(react_s, react_s + 10.0, 20001)
    ff = fine - react_s
    sf = np.where(ff < t_top, 0.5 * accel * ff**2, 0.5 * accel * t_top**2 + v_max * (ff - t_top)) - depth_m
    true_start = float(fine[np.searchsorted(sf, 0.0)])
    return t, s, true_start


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


def circle_track(laps, lap_m=400.0, v=4.0, t_go=0.0, extra_s=30.0):
    R = lap_m / (2 * np.pi)
    t = np.arange(-30.0, t_go + laps * lap_m / v + extra_s, 1.0)
    s = np.where(t <= t_go, -0.5, -0.5 + v * (t - t_go))
    return t, s, R


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
        mark, _, fix_t, _ = pass_mark(g, t, x, y, clock, cr.index, cr.t_s)
        used.append(fix_t.size)
        errs.append(abs(mark - 3.5 * 60.0))
    assert np.median(used) >= 60
    assert np.median(errs) < 0.6


def test_the_pace_fit_reaches_further_where_the_gps_jitters():
    # Three checkpoints on a long straight at 3.3 m/s: fix-to-fix noise is averaged over a longer
    # stretch; a slowly wandering error is not, since the fixes further out share it.
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 400.0)
    x_true = 3.3 * t
    gates = [GateGeometry.from_gate(gate(f"cp{k}", 300.0 * k), PROJ) for k in (1, 2, 3)]
    for noise, want in (("jitter", LONG_PACE_WINDOW_S), ("wander", PACE_WINDOW_S)):
        if noise == "jitter":
            ex, ey = rng.normal(0.0, 3.5, t.size), rng.normal(0.0, 3.5, t.size)
        else:
            ex, ey = gauss_markov(t.size, 1.0, 3.5, 60.0, rng), gauss_markov(t.size, 1.0, 3.5, 60.0, rng)
        x, y = x_true + ex, ey
        passes = [(g, find_crossings(g, t, x, y)[0], False) for g in gates]
        aligned = {id(g): aligned_with(g, x, y) for g in gates}
        assert pace_window_s(passes, t, x, y, aligned) == want, noise


def test_a_finish_through_heavy_fix_to_fix_noise_finds_race_pace_either_side_of_the_line():
    # 2.5 m/s to the line, then easing; 4.5 m per axis of noise on every fix, so the track's own
    # direction of travel swings by tens of degrees from fix to fix and the GPS crossing can come
    # seconds late, once the runner is slow.
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    rng = np.random.default_rng(4)
    errs = []
    for _ in range(60):
        t = np.arange(0.0, 100.0, 1.0) + rng.uniform(0.0, 1.0)
        after = np.maximum(t - 70.0, 0.0)
        x_true = np.where(t <= 70.0, 2.5 * (t - 70.0), 0.8 * after + 3.0 * (1.0 - np.exp(-after / 2.0)))
        x, y = x_true + rng.normal(0.0, 4.5, t.size), rng.normal(0.0, 4.5, t.size)
        crossings = [c for c in find_crossings(fg, t, x, y) if abs(c.t_s - 70.0) < 15.0]
        if not crossings:
            continue
        cr = crossings[-1]
        errs.append(abs(race_pace_crossing(fg, t, x, y, cr, finish=True, window_s=LONG_PACE_WINDOW_S) - 70.0))
    assert len(errs) >= 50
    assert np.median(errs) < 0.5
    assert np.percentile(errs, 90) < 1.2


def test_easing_up_after_the_finish_does_not_stretch_a_gps_offset():
    # At 4 m/s to the line, then walking at 1.2 m/s; the GPS is 8 m behind the runner throughout.
    t = np.arange(0.0, 80.0, 1.0)
    t_fin = 50.0
    x_true = np.where(t <= t_fin, -200.0 + 4.0 * t, 1.2 * (t - t_fin))
    x = x_true - 8.0
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    cr = find_crossings(fg, t, x, np.zeros_like(x))[0]
    assert cr.t_s > t_fin + 5.0  # at walking pace the offset costs ~7 s
    when = race_pace_crossing(fg, t, x, np.zeros_like(x), cr, finish=True)
    assert abs(when - t_fin) < 2.5  # at race pace it costs 2 s


def test_a_finish_through_fix_to_fix_gps_noise_is_timed_at_race_pace():
    # 3.5 m/s to the line, then easing to a walk; every fix off by its own 3 m (per axis) of noise.
    # A single noisy fix must neither end race pace early nor hide the slow-down.
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    rng = np.random.default_rng(1)
    errs, raw = [], []
    for _ in range(100):
        t = np.arange(0.0, 90.0, 1.0) + rng.uniform(0.0, 1.0)
        after = np.maximum(t - 60.0, 0.0)
        x_true = np.where(t <= 60.0, 3.5 * (t - 60.0), 1.2 * after + 4.6 * (1.0 - np.exp(-after / 2.0)))
        x, y = x_true + rng.normal(0.0, 3.0, t.size), rng.normal(0.0, 3.0, t.size)
        cr = next(c for c in find_crossings(fg, t, x, y) if abs(c.t_s - 60.0) < 15.0)
        raw.append(abs(cr.t_s - 60.0))
        errs.append(abs(race_pace_crossing(fg, t, x, y, cr, finish=True) - 60.0))
    assert np.median(errs) < 0.35 < np.median(raw)
    assert np.percentile(errs, 90) < 1.0


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


def test_trace_is_thinned_but_keeps_every_change_of_direction():
    t, s, R = circle_track(12, lap_m=400.0, v=4.0)
    th = s / R
    x, y = R * np.sin(th), R - R * np.cos(th)
    act = activity(t, x, y, true_path_m=s - s[0], cadence=np.where(t > 0, 180, 0))
    lab = np.full(t.size - 1, Direction.BACKWARD, np.uint8)
    lab[400:431] = Direction.FORWARD
    race = RaceInfo(name="T", date="2026-06-14", distance_m=4800.0, gun_time=GUN, timing="gun", start=None,
                    finish=gate("finish", 0.0), finish_crossings=12, lap_m=400.0)
    r = time_activity(act, race, DirectionTrack(lab, np.ones(lab.size), "test"))
    tr = r.trace
    assert tr.t_s.size <= TRACE_POINTS + 4
    assert tr.direction.size == tr.t_s.size - 1
    fwd = tr.t_s[:-1][tr.direction == Direction.FORWARD]
    # The forward stretch is there, whole: from record 400 to 431 (seconds 370-401 of the race).
    assert fwd.size and fwd.min() == pytest.approx(t[400] - r.start_s, abs=1e-6)
    assert fwd.max() < t[431] - r.start_s


def test_the_watch_clock_runs_on_past_either_end_at_the_pace_there():
    # Standing 5 s, then 3 m/s for 10 s: a mark before the first record or after the last is reached at
    # the pace of the nearest seconds (a watch started or stopped at a line).
    clock = ProgressClock(np.arange(15.0), np.r_[np.zeros(5), 3.0 * np.arange(1, 11)])
    assert clock.time_at(33.0) == pytest.approx(15.0)
    assert clock.time_at(0.0) == 0.0
    short = ProgressClock(np.array([0.0, 1.0, 2.0]), np.array([10.0, 13.0, 16.0]))
    assert short.time_at(7.0) == pytest.approx(-1.0)
    assert list(short.time_at(np.array([7.0, 14.5, 19.0]))) == pytest.approx([-1.0, 1.5, 3.0])


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


def test_a_sprint_finish_is_timed_at_the_pace_it_reached_not_the_standing_before_the_gun():
    # A gun-timed 100 m from positions alone, clean GPS: stood still until the gun, reached 6 m/s, then
    # jogs on at 2 m/s. The pace once came from the 30 s before the line, standing and all (2.3 m/s),
    # and the 6 m/s of the run-in was out of range: 3 s late (kept: independent race simulator).
    race = RaceInfo(name="T", date="2026-06-14", distance_m=100.0, gun_time=GUN, timing="gun",
                    start=gate("start", 0.0), finish=gate("finish", 100.0))
    t, s, _ = sprint_from(0.5, accel=2.5, v_max=6.0, react_s=0.3, t0=-40.0, t1=60.0)
    t_fin = float(np.interp(100.0, s, t))
    s = np.where(t <= t_fin, s, 100.0 + 2.0 * (t - t_fin) + 1.0 * (1.0 - np.exp(-(t - t_fin))))
    act = activity(t, s, np.zeros_like(s), fmt="gpx")
    tm = time_activity(act, race, backward(act), with_trace=False)
    assert tm.status == "finished"
    assert tm.finish_s == pytest.approx(t_fin, abs=0.3)


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


def test_a_finish_mark_a_few_metres_out_costs_race_pace_not_walking_pace():
    """With a watch distance: 4 m/s to the line, then a walk at 1.2 m/s; by the finish the GPS has wandered
    to 5 m behind the runner, so the finish mark is up to 5 m too far. Read off the watch at walking pace
    that is 4 s; at race pace, 1.25 s (independent race simulator: finishers easing up, 2-4 s late)."""
    race = RaceInfo(name="T", date="2026-06-14", distance_m=400.0, gun_time=GUN, timing="chip",
                    start=gate("start", 0.0), finish=gate("finish", 400.0))
    t = np.arange(-40.0, 160.0, 1.0)
    t_fin = 100.3
    s = np.where(t <= 0.0, -1.0, np.minimum(4.0 * t - 1.0, 399.0))
    s = np.where(t <= t_fin, s, 400.0 + 1.2 * (t - t_fin))
    wander = -5.0 * np.clip((t - 40.0) / 40.0, 0.0, 1.0)
    steps = np.concatenate(([0.0], np.diff(s)))
    act = activity(t, s + wander, np.zeros_like(s), true_path_m=s - s[0], cadence=np.where(steps > 0.2, 170.0, 0.0))
    tm = time_activity(act, race, backward(act), with_trace=False)
    assert tm.status == "finished"
    assert 0.0 < tm.finish_s - t_fin < 1.6


def test_a_standstill_the_steps_show_before_the_speed_drops_is_found():
    # The watch counts no steps from the second the runner stops 3 m past the line, while the speed
    # over a few seconds still carries the run-in: the stop is when the steps stopped (this once
    # raised an IndexError and lost the runner's result).
    fg = GateGeometry.from_gate(gate("finish", 0.0), PROJ)
    t = np.arange(0.0, 70.0, 1.0)
    a = np.where(t <= 40.0, 4.0 * (t - 40.0), 3.0)
    cr = find_crossings(fg, t, a, np.zeros_like(a))[0]
    assert standstill_at_line(fg, t, a, np.zeros_like(a), cr, t >= 40.0) == pytest.approx(40.0, abs=0.5)


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


def test_speed_from_positions_recorded_every_few_seconds_is_not_zero():
    # Fixes 4 s apart at a steady 3 m/s: a centred 4 s window holds only the fix itself, which once read
    # as standing (and a finisher recorded so sparsely was taken to have stopped before the line).
    t = np.arange(0.0, 120.0, 4.0)
    v = displacement_speed_mps(t, 3.0 * t, np.zeros_like(t), half_window_s=2.0)
    assert v == pytest.approx(np.full(t.size, 3.0))


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
