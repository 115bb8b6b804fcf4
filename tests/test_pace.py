"""Crossing times from positions alone, at the runner's race pace (retrotrack.race.pace)."""

import numpy as np
import pytest

from retrotrack.race.gates import GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo
from retrotrack.race.pace import (
    LONG_PACE_WINDOW_S,
    PACE_WINDOW_S,
    PacePass,
    displacement_speed_mps,
    pace_window_s,
    race_pace_crossing,
)
from retrotrack.race.progress import aligned_with
from retrotrack.race.timing import time_activity
from retrotrack.simulate.gps import gauss_markov

from race_tracks import GUN, PROJ, activity, backward, gate, sprint_from


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
        passes = [PacePass(g, find_crossings(g, t, x, y)[0], False, aligned_with(g, x, y)) for g in gates]
        assert pace_window_s(passes, t, x, y) == want, noise


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


def test_speed_from_positions_recorded_every_few_seconds_is_not_zero():
    # Fixes 4 s apart at a steady 3 m/s: a centred 4 s window holds only the fix itself, which once read
    # as standing (and a finisher recorded so sparsely was taken to have stopped before the line).
    t = np.arange(0.0, 120.0, 4.0)
    v = displacement_speed_mps(t, 3.0 * t, np.zeros_like(t), half_window_s=2.0)
    assert v == pytest.approx(np.full(t.size, 3.0))
