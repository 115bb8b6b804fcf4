"""Gait windows: step rate, speed, grade and contact time averaged over windows of each activity.

Short windows (a few seconds) place a change of gait; stretch windows reach across a steady
stretch (no change point, no stop) to average out the speed's noise, and are what each
activity's gait lines are fitted to (gait.py). Each window is tagged walking or running.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrotrack.direction.track import run_peaks
from retrotrack.model import Activity
from retrotrack.motion import recorded_speed_mps

GAIT_HALF_WINDOW_S = 4.0
GAIT_REACH_S = 12.0
"""Gait windows reach this far across a steady stretch (no change point, no stop) to average out speed noise."""
GAIT_CORR_S = 10.0
"""Step rate and speed wander on this time scale (pace, terrain, GPS): evidence counts once per it."""
GRADE_WINDOW_M = 80.0
MAX_GRADE = 0.03
GRADE_FADE = 0.06
"""Gait evidence counts fully up to MAX_GRADE and fades to none over GRADE_FADE more: on steep ground the
slope's own effect on gait, and the altitude's error, grow to rival the difference backward makes."""
WALK_RUN_SPM = 140.0
"""Below this step rate a window is walking, above it running (either direction)."""
WALK_RUN_MARGIN_SPM = 6.0
MIN_RUN_MPS = 1.1
MIN_JOG_MPS = 2.3
MAX_STROLL_MPS = 1.0
"""Within WALK_RUN_MARGIN_SPM of WALK_RUN_SPM, faster than MIN_JOG_MPS is running (people break into a
run near 2 m/s: a tall runner's slow jog can be under 140 steps/min) and slower than MAX_STROLL_MPS is
walking (a short-stepped backward walk can reach 140)."""
MAX_WALK_MPS = 2.6
CHANGE_WINDOWS_S = (6.0, 15.0)
"""Pace and step rate are compared over this much moving time either side of a candidate change point
(short for short bursts, long for noisy speeds from positions)."""
CHANGE_SPEED = 0.10
"""A clear change of pace: ~10 %, well above the wander of a steady run's 6 s average."""
CHANGE_CADENCE = 0.03
"""A clear change of step rate: ~3 % (~5 steps/min), several times a steady run's 6 s wander."""
CHANGE_NOISE_FACTOR = 4.0
"""... and at least this many robust standard deviations of the file's own 6 s to 6 s wander."""


@dataclass
class GaitWindows:
    """Per interval, over a window of moving time around it: log speed, log step rate, regime, weight
    (0 = no evidence), the grade of the ground at the interval, and contact time where recorded."""

    log_v: np.ndarray
    log_c: np.ndarray
    walk: np.ndarray
    weight: np.ndarray
    grade: np.ndarray
    log_s: np.ndarray | None = None
    """Log ground contact time (running dynamics), NaN where the window lacks it; None without it."""

    def of_regime(self, regime: str) -> np.ndarray:
        """The windows with evidence that are of `regime` ("run" or "walk")."""
        return (self.weight > 0) & (self.walk == (regime == "walk"))


@dataclass
class GaitFeatures:
    """Gait against speed at two scales, and where pace or step rate change.

    `stretch` windows reach across whole steady stretches, so GPS speed noise
    averages out: the gait models are fitted and the hypotheses weighed on them.
    `short` windows (GAIT_HALF_WINDOW_S either side) place each switch in time.
    """

    stretch: GaitWindows
    short: GaitWindows
    change: np.ndarray
    """How sharply pace or step rate changes at each interval (>= 1: a change point)."""
    change_at: np.ndarray
    """The change points: the peak interval of each run of change >= 1 in moving time."""


@dataclass
class _Running:
    """An activity's running totals on its moving-time clock, from which any window's averages are two lookups."""

    ck: np.ndarray
    """Moving-time clock at each record (stops skipped; made strictly increasing)."""
    mid_clock: np.ndarray
    """... at the middle of each interval."""
    dist: np.ndarray
    steps: np.ndarray
    known: np.ndarray
    """Moving time with step rate on both sides."""
    contact: tuple[np.ndarray, np.ndarray] | None
    """Running sum of log contact time over time, and the time it covers (None without running dynamics)."""
    moving: np.ndarray
    dt: np.ndarray
    slope: np.ndarray
    """Grade of the ground at each interval."""
    level: np.ndarray
    """How fully the ground's grade lets gait count (1 up to MAX_GRADE, fading to 0)."""


def gait_features(activity: Activity, dist: np.ndarray | None, moving: np.ndarray) -> GaitFeatures | None:
    """Speed and step rate over windows of moving time around each interval.

    Weights count independent samples (one per GAIT_CORR_S of moving time) and
    fall to zero where speed or step rate is changing within the window (a turn,
    a start, walk to run) or the ground is steep, where gait and speed are out
    of step for other reasons than direction.
    """
    run = _running_totals(activity, dist, moving)
    if run is None:
        return None
    ck, mid_clock = run.ck, run.mid_clock
    change = np.maximum.reduce([_change_statistic(ck, mid_clock, run.dist, run.steps, w) for w in CHANGE_WINDOWS_S])
    short = _windows(run, np.maximum(mid_clock - GAIT_HALF_WINDOW_S, ck[0]), np.minimum(mid_clock + GAIT_HALF_WINDOW_S, ck[-1]))
    change_at = run_peaks(change, (change >= 1.0) & moving)
    stretch = _windows(run, *_stretch_windows(mid_clock, ck, change_at, ~moving))
    return GaitFeatures(stretch, short, change, change_at)


def _running_totals(activity: Activity, dist: np.ndarray | None, moving: np.ndarray) -> _Running | None:
    """Distance (by the device's own speed where it has one), steps and contact time summed over moving
    time; None without a distance or any step rate (or step length to derive one from)."""
    t = activity.t_s
    n = t.size
    cad = activity.cadence_spm.copy()
    if not np.isfinite(cad).any() and np.isfinite(activity.step_length_m).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            cad = 60.0 * activity.speed_mps / activity.step_length_m
    if dist is None or not np.isfinite(cad).any():
        return None
    dt = np.diff(t)
    v = recorded_speed_mps(activity)
    if v is not None:
        # The device's own speed (GPS Doppler, foot pod) is steadier than differences of its distance. It
        # says nothing of where the runner went while stopped: across a timer pause, the speeds at either
        # end can both be a running pace.
        dist = np.concatenate(([0.0], np.cumsum(np.where(moving, 0.5 * (v[1:] + v[:-1]) * dt, 0.0))))
    have = np.isfinite(cad)
    rate = np.where(have, cad, 0.0) / 60.0
    steps = np.concatenate(([0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * dt)))
    known = np.concatenate(([0.0], np.cumsum((have[1:] & have[:-1]) * dt)))
    stance = activity.stance_time_ms
    has_s = np.isfinite(stance) & (stance > 0)
    both_s = has_s[1:] & has_s[:-1]
    contact = None
    if both_s.sum() >= 10:
        log_s = np.log(np.where(has_s, stance, 1.0))
        contact = (np.concatenate(([0.0], np.cumsum(np.where(both_s, 0.5 * (log_s[1:] + log_s[:-1]) * dt, 0.0)))),
                   np.concatenate(([0.0], np.cumsum(both_s * dt))))
    # Moving-time clock: windows skip stops.
    clock = np.concatenate(([0.0], np.cumsum(np.where(moving, dt, 0.0))))
    ck = clock + 1e-6 * np.arange(n)
    mid_clock = 0.5 * (ck[:-1] + ck[1:])
    slope = _grade(activity, dist, mid_clock, ck)
    level = np.clip(1.0 - (np.abs(slope) - MAX_GRADE) / GRADE_FADE, 0.0, 1.0)
    return _Running(ck, mid_clock, dist, steps, known, contact, moving, dt, slope, level)


def _windows(run: _Running, lo: np.ndarray, hi: np.ndarray) -> GaitWindows:
    """Gait over the moving-time window [lo, hi] of each interval, tagged walking or running and weighted."""
    ck, mid_clock = run.ck, run.mid_clock
    span = hi - lo
    d_lo, d_hi, d_md = np.interp(lo, ck, run.dist), np.interp(hi, ck, run.dist), np.interp(mid_clock, ck, run.dist)
    s_lo, s_hi, s_md = np.interp(lo, ck, run.steps), np.interp(hi, ck, run.steps), np.interp(mid_clock, ck, run.steps)
    k_lo, k_hi = np.interp(lo, ck, run.known), np.interp(hi, ck, run.known)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (d_hi - d_lo) / span
        c = 60.0 * (s_hi - s_lo) / span
        v_left = (d_md - d_lo) / (mid_clock - lo)
        v_right = (d_hi - d_md) / (hi - mid_clock)
        v_change = np.abs(v_right - v_left) / v
        c_change = np.abs((s_hi - s_md) / (hi - mid_clock) - (s_md - s_lo) / (mid_clock - lo)) * 60.0 / c
    complete = (k_hi - k_lo) >= 0.9 * span
    # Near the walk-run step rate, speed tells: nobody walks at a jog's pace or runs at a stroll's.
    near = np.abs(c - WALK_RUN_SPM) < WALK_RUN_MARGIN_SPM
    running = np.where(near, v >= MIN_JOG_MPS, c >= WALK_RUN_SPM)
    # Running steps at a crawl (drills, running on the spot) or walking at a run's speed: no gait to judge.
    plausible = np.where(running, (v >= MIN_RUN_MPS) & (v <= 8.0), (v >= 0.4) & (v <= MAX_WALK_MPS))
    # Otherwise, near the walk-run boundary the regime itself is in doubt.
    clear = ~near | (v >= MIN_JOG_MPS) | (v <= MAX_STROLL_MPS)
    valid = run.moving & complete & (span > 1.0) & plausible & clear & (c > 50.0) & (c < 260.0)
    # Speed or step rate changing within the window (a turn, a start, walk to run): gait and speed out of step.
    steady = np.clip(1.0 - (np.nan_to_num(v_change, nan=1.0) - 0.15) / 0.3, 0.0, 1.0)
    steady *= np.clip(1.0 - (np.nan_to_num(c_change, nan=1.0) - 0.04) / 0.08, 0.0, 1.0)
    weight = np.where(valid, steady * run.level * run.dt / GAIT_CORR_S, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_v = np.where(valid, np.log(v), 0.0)
        log_c = np.where(valid, np.log(c), 0.0)
    log_s = None
    if run.contact is not None:
        sum_s, known_s = (np.interp(hi, ck, a) - np.interp(lo, ck, a) for a in run.contact)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_s = np.where(valid & (known_s >= 0.9 * span), sum_s / known_s, np.nan)
    return GaitWindows(log_v, log_c, valid & ~running, weight, run.slope, log_s)


def _stretch_windows(mid_clock: np.ndarray, ck: np.ndarray, change_at: np.ndarray, still: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per interval, the moving-time window its gait is measured over: GAIT_HALF_WINDOW_S either side,
    reaching out to GAIT_REACH_S as long as no clear change of pace or step rate and no stop lies between.

    Speed from positions is noisy over a few seconds; over a whole steady stretch the noise averages
    out, while windows still never mix two gaits across a change point.
    """
    bounds = np.union1d(mid_clock[change_at], mid_clock[still])
    if bounds.size == 0:
        before, after = np.full(mid_clock.size, -np.inf), np.full(mid_clock.size, np.inf)
    else:
        pos = np.searchsorted(bounds, mid_clock, side="left")
        before = np.where(pos > 0, bounds[np.maximum(pos - 1, 0)], -np.inf)
        pos = np.searchsorted(bounds, mid_clock, side="right")
        after = np.where(pos < bounds.size, bounds[np.minimum(pos, bounds.size - 1)], np.inf)
    # A change point is placed to within a few seconds: keep that far clear of it.
    lo = np.minimum(np.maximum(mid_clock - GAIT_REACH_S, before + GAIT_HALF_WINDOW_S), mid_clock - GAIT_HALF_WINDOW_S)
    hi = np.maximum(np.minimum(mid_clock + GAIT_REACH_S, after - GAIT_HALF_WINDOW_S), mid_clock + GAIT_HALF_WINDOW_S)
    return np.maximum(lo, ck[0]), np.minimum(hi, ck[-1])


def _change_statistic(ck: np.ndarray, mid_clock: np.ndarray, dist: np.ndarray, steps: np.ndarray, w: float) -> np.ndarray:
    """Per interval: the change of pace and of step rate between the CHANGE_WINDOWS_S of moving time
    before and after it, in units of a clear change (CHANGE_SPEED, CHANGE_CADENCE in log terms)."""
    lo = np.maximum(mid_clock - w, ck[0])
    hi = np.minimum(mid_clock + w, ck[-1])
    d_lo, d_md, d_hi = np.interp(lo, ck, dist), np.interp(mid_clock, ck, dist), np.interp(hi, ck, dist)
    s_lo, s_md, s_hi = np.interp(lo, ck, steps), np.interp(mid_clock, ck, steps), np.interp(hi, ck, steps)
    left, right = np.maximum(mid_clock - lo, 0.5), np.maximum(hi - mid_clock, 0.5)
    v_l, v_r = (d_md - d_lo) / left, (d_hi - d_md) / right
    c_l, c_r = 60.0 * (s_md - s_lo) / left, 60.0 * (s_hi - s_md) / right
    dv = np.abs(np.log((v_r + 0.3) / (v_l + 0.3)))
    dc = np.abs(np.log((c_r + 10.0) / (c_l + 10.0)))
    # A change must stand out of this file's own wander (cadence resolution, sparse records), most of
    # whose windows are steady: several times the robust spread of the statistic.
    steady = (v_l > 0.5) & (v_r > 0.5)
    if steady.sum() >= 20:
        dv = dv / max(CHANGE_SPEED, CHANGE_NOISE_FACTOR * 1.4826 * float(np.median(dv[steady])))
        dc = dc / max(CHANGE_CADENCE, CHANGE_NOISE_FACTOR * 1.4826 * float(np.median(dc[steady])))
    else:
        dv, dc = dv / CHANGE_SPEED, dc / CHANGE_CADENCE
    return np.maximum(dv, dc)


def _grade(activity: Activity, dist: np.ndarray, at: np.ndarray, clock: np.ndarray) -> np.ndarray:
    """Slope of the ground (rise per metre, in the direction of travel) over about GRADE_WINDOW_M of path
    around each time (0 if no altitude)."""
    alt = activity.altitude_m
    ok = np.isfinite(alt)
    if ok.sum() < 2:
        return np.zeros(at.size)
    alt = np.interp(clock, clock[ok], alt[ok])
    dk = dist + 1e-6 * np.arange(dist.size)
    here = np.interp(at, clock, dk)
    lo, hi = here - GRADE_WINDOW_M / 2, here + GRADE_WINDOW_M / 2
    rise = np.interp(hi, dk, alt) - np.interp(lo, dk, alt)
    run = np.interp(hi, dk, dk) - np.interp(lo, dk, dk)
    return np.where(run > 0.5 * GRADE_WINDOW_M, rise / np.maximum(run, 1e-9), 0.0)
