"""A runner's start: when they set off, where they stood, and when that brought them to the line.

Steps or the watch's own speed date setting off to a fraction of a second;
positions alone (GPX without cadence) are fitted as a sprint start from
standing (SPRINT_SHAPES). For each depth behind the line the runner might have
stood at (DEPTH_GRID_M), these give the moment they reached the line; how deep
they stood is weighed with the field in run.py.
"""

from __future__ import annotations

import numpy as np

from retrotrack.race.gates import GateGeometry
from retrotrack.race.pace import MIN_PACE_FIXES, MOVING_SPEED_MPS, fit_weights
from retrotrack.race.progress import DEPTH_GRID_M

STAND_S = 30.0
"""The standing position is the mean of the fixes in the last this-many seconds before setting off."""
MIN_STAND_FIXES = 3
STILL_SPEED_MPS = 0.5
STILL_CADENCE_SPM = 60.0
QUIET_WINDOWS_S = (STAND_S, 20.0, 10.0)
"""Without steps or the watch's own speed, standing is judged on the drift of the fixes over the longest of
these windows before setting off that shows none."""
BASELINE_FIXES = 5
"""Without a watch distance, progress from standing is measured from the mean of this many last fixes."""
START_FIT_BEFORE_S = 15.0
START_FIT_AFTER_S = 12.0
START_FIT_REACH_M = 40.0
"""Without a watch distance, the start is fitted over this long standing and this long (and far) running."""
ONSET_SHIFT_S = tuple(np.round(np.arange(-1.0, 1.01, 0.1), 1))
"""Setting-off moments tried around the detected onset."""
ONSET_SD_S = 0.3
"""How well an onset from steps or the watch's speed is known: half a record either way at 1 Hz."""
DEPARTURE_SHIFT_S = tuple(np.round(np.arange(-3.0, 1.01, 0.1), 1))
"""...and around one found from positions alone (departure_s), which jitter and a slow first stride can
put a second or two late."""
DEPARTURE_SD_S = 2.0
"""How far a setting-off moment found from positions alone is typically out (for the field's depth model)."""


def _furusawa(tau_s: float):
    return lambda u: u - tau_s * (1.0 - np.exp(-u / tau_s))


def _steady(top_s: float):
    return lambda u: np.where(u < top_s, u * u / (2.0 * top_s), u - top_s / 2.0)


SPRINT_SHAPES = (tuple((_furusawa(tau), tau) for tau in (0.3, 0.6, 1.0, 1.5, 2.2))
                 + tuple((_steady(top), top) for top in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)))
"""(shape, rise_s): distance covered u seconds after setting off, per metre a second of top speed v,
with speed v(1 - exp(-u / tau)) or at a steady acceleration reaching v in `top` seconds; either way
the first acceleration is v / rise_s."""
MAX_START_ACCEL_MPS2 = 8.0
"""No runner leaves a standing start faster than this (elite sprinters out of blocks manage 8-10 m/s^2;
a standing backward start far less): a fit needing more takes GPS noise for a start."""


def motion_onset_s(t_gun: np.ndarray, speed: np.ndarray, cadence: np.ndarray, after_s: float, *,
                   reliable_speed: bool = True) -> float | None:
    """When the runner sets off after `after_s`: sustained speed (or steps), traced back to where it began.

    Without a speed of the watch's own (`reliable_speed` False: speed from the
    positions, which jitters by a metre a second around a standing runner),
    steps decide wherever the watch counts them.
    """
    n = t_gun.size
    cad = np.asarray(cadence, dtype=float)
    has_cad = np.isfinite(cad)
    fast = np.isfinite(speed) & (speed >= MOVING_SPEED_MPS)
    if reliable_speed:
        moving = fast | (has_cad & (cad >= 120))
    else:
        moving = np.where(has_cad, cad >= 120, fast)
    idx = np.flatnonzero(moving & (t_gun >= after_s))
    for i in idx.tolist():
        j_end = min(i + 3, n)
        if not (moving[i:j_end].all() or j_end - i < 2):
            continue
        # Walk back to the last record that was still (nearly) standing.
        k = i
        while k - 1 >= 0 and t_gun[k - 1] >= after_s and _setting_off(speed, cad, k - 1, reliable_speed):
            k -= 1
        if k == 0:
            return float(t_gun[0])
        if t_gun[k - 1] < after_s:
            return max(float(t_gun[k]) - 0.5, after_s)
        if not reliable_speed:
            return max(float(0.5 * (t_gun[k - 1] + t_gun[k])), after_s)
        # Interpolate where the speed rose through 0.4 m/s.
        v0 = speed[k - 1] if np.isfinite(speed[k - 1]) else 0.0
        v1 = speed[k] if np.isfinite(speed[k]) else MOVING_SPEED_MPS
        f = (0.4 - v0) / (v1 - v0) if v1 > v0 else 0.0
        f = float(np.clip(f, 0.0, 1.0))
        return max(float(t_gun[k - 1] + f * (t_gun[k] - t_gun[k - 1])), after_s)
    return None


def _setting_off(speed, cad, i: int, reliable_speed: bool) -> bool:
    """Record i is already part of setting off (some speed, or some steps)."""
    if reliable_speed or not np.isfinite(cad[i]):
        return bool(np.isfinite(speed[i]) and speed[i] >= 0.4)
    return bool(cad[i] >= 30.0)


def stand_position(geom: GateGeometry, x, y, stand: np.ndarray) -> tuple[float, float]:
    """Mean (along, across) of the standing fixes relative to a gate."""
    return float(np.mean(geom.along(x[stand], y[stand]))), float(np.mean(geom.across(x[stand], y[stand])))


def standing_fixes(t, x, y, speed, cad, onset: float | None, *, reliable_speed: bool) -> np.ndarray | None:
    """Indices of the fixes where the runner stood still just before setting off (the last STAND_S of it)."""
    if onset is None:
        return None
    i = int(np.searchsorted(t, onset, side="left")) - 1
    if not reliable_speed and not np.isfinite(cad[(t >= onset - STAND_S) & (t < onset)]).any():
        return _quiet_fixes(t, x, y, onset)
    still = still_records(t, x, y, speed, cad, reliable_speed)
    out = []
    while i >= 0 and still[i] and onset - t[i] <= STAND_S:
        if np.isfinite(x[i]) and np.isfinite(y[i]):
            out.append(i)
        i -= 1
    if len(out) < MIN_STAND_FIXES:
        return None
    return np.array(out[::-1])


DEPARTURE_LOOK_S = (-5.0, 20.0)
"""Positions alone: setting off is looked for this long either side of where the speed first says so."""


def departure_s(t, x, y, coarse_s: float) -> float:
    """Positions alone: when the runner left where they stood, near `coarse_s` (the first sustained speed).

    With a few metres of GPS error that changes from fix to fix, the speed over
    a few seconds reads a metre a second around a runner standing deep in a
    field, so the first "moving" can come seconds before they set off. Their
    progress from where they stood is flat (jitter) and then grows as a sprint
    start does (SPRINT_SHAPES): every candidate moment (DEPARTURE_LOOK_S around
    `coarse_s`) and shape is fitted, and the best at a running speed wins.
    Progress is the distance from where they stood, which jitter keeps a few
    metres off zero, so the moment found is rather late than early: the start
    fit looks up to 3 s before it (DEPARTURE_SHIFT_S). Never before the gun.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    before = ok & (t >= coarse_s - STAND_S) & (t < coarse_s)
    if before.sum() < MIN_STAND_FIXES:
        return coarse_s
    cx, cy = float(np.mean(x[before])), float(np.mean(y[before]))
    when = _rise_onset(t, np.hypot(x - cx, y - cy), ok, coarse_s)
    return coarse_s if when is None else max(when, 0.0)


def _rise_onset(t, progress, ok, coarse_s: float) -> float | None:
    """When `progress` stops being flat and rises as a sprint start does (the best fit of SPRINT_SHAPES
    at a running speed, over DEPARTURE_LOOK_S around `coarse_s`); None when too few fixes say."""
    use = ok & (t >= coarse_s - 15.0) & (t <= coarse_s + DEPARTURE_LOOK_S[1] + 10.0) & (np.abs(progress) <= 80.0)
    if use.sum() < 2 * MIN_PACE_FIXES:
        return None
    tt, pc = t[use], progress[use] - float(np.mean(progress[use]))
    onsets = np.arange(coarse_s + DEPARTURE_LOOK_S[0], coarse_s + DEPARTURE_LOOK_S[1] + 1e-9, 0.25)
    u = np.maximum(tt[None, :] - onsets[:, None], 0.0)
    best, best_rss = None, np.inf
    for shape, rise_s in SPRINT_SHAPES:
        # progress = a + v * shape(u), by least squares for every onset at once.
        g = shape(u)
        gc = g - g.mean(axis=1, keepdims=True)
        var = np.einsum("ij,ij->i", gc, gc)
        v = np.divide(gc @ pc, var, out=np.zeros_like(var), where=var > 1e-9)
        resid = pc[None, :] - v[:, None] * gc
        ok = (v >= MOVING_SPEED_MPS) & (v <= MAX_START_ACCEL_MPS2 * rise_s)
        rss = np.where(ok, np.einsum("ij,ij->i", resid, resid), np.inf)
        i = int(np.argmin(rss))
        if rss[i] < best_rss:
            best, best_rss = float(onsets[i]), float(rss[i])
    return best


def _quiet_fixes(t, x, y, onset: float) -> np.ndarray | None:
    """Positions alone: the fixes before setting off whose straight-line trend is slower than walking.

    Speed from fix to fix jitters by a metre a second with a few metres of GPS
    error (more where the error changes quickly), and just before setting off
    a centred window takes in the first strides: a trend fitted over the last
    tens of seconds averages the jitter away and stops at the onset.
    """
    ok = np.isfinite(x) & np.isfinite(y) & (t < onset)
    for window_s in QUIET_WINDOWS_S:
        sel = np.flatnonzero(ok & (t >= onset - window_s))
        if sel.size < MIN_STAND_FIXES:
            continue
        tc = t[sel] - t[sel].mean()
        spread = float(tc @ tc)
        if spread <= 0.0:
            continue
        vx = float(tc @ (x[sel] - x[sel].mean())) / spread
        vy = float(tc @ (y[sel] - y[sel].mean())) / spread
        if np.hypot(vx, vy) < STILL_SPEED_MPS:
            return sel
    return None


def still_records(t, x, y, speed, cad, reliable_speed: bool) -> np.ndarray:
    """Per record: the runner is standing (no steps; no speed where the watch measures it).

    `speed` is the watch's own, or (not `reliable_speed`) displacement speed
    over a few seconds, so that GPS jitter does not look like motion.
    """
    c = np.asarray(cad, dtype=float)
    has_cad = np.isfinite(c)
    slow = ~(np.asarray(speed) >= STILL_SPEED_MPS)
    return np.where(has_cad, (c < STILL_CADENCE_SPM) & (slow | ~reliable_speed), slow)


def sprint_start_times(geom: GateGeometry, t, x, y, stand: np.ndarray, onset: float,
                       shifts: tuple[float, ...] = ONSET_SHIFT_S, shift_sd_s: float | None = ONSET_SD_S) -> np.ndarray | None:
    """Without a watch distance: for each depth behind the line, when the runner got there from standing.

    The fixes from standing through the first seconds of running are fitted as
    where they stood, plus their progress, plus a GPS error that drifts (a
    straight line in time) and jitters from fix to fix. Progress is a sprint
    start, u seconds after setting off near the detected onset: speed
    v(1 - exp(-u/tau)) (the Furusawa-Hill model) or steady acceleration to v
    (see SPRINT_SHAPES). Each (setting-off moment, shape) is solved by least
    squares for the rest, and each depth's time is the fits' weighted by how
    well they explain the fixes and, with `shift_sd_s`, by how far the moment
    is from the onset (GPS cannot place it to a second; steps can). A drifting
    error and a jittering one are both averaged away, where reading progress
    off the fixes themselves takes jitter for progress. None where too few
    fixes say so.
    """
    a = geom.along(x, y)
    ok = np.isfinite(a)
    standing = np.zeros(t.size, dtype=bool)
    standing[stand] = True
    before = standing & ok & (t >= onset - START_FIT_BEFORE_S) & (t <= onset)
    after = ok & (t > onset) & (t <= onset + START_FIT_AFTER_S)
    if before.sum() < MIN_STAND_FIXES or after.sum() < MIN_PACE_FIXES:
        return None
    first_far = np.flatnonzero(after & (a > START_FIT_REACH_M))
    if first_far.size:
        after &= t < t[first_far[0]]
    use = before | after
    if after.sum() < MIN_PACE_FIXES:
        return None
    tc = t[use] - onset
    aa = a[use]
    u_grid = np.linspace(0.0, 60.0, 1201)
    rss, times, moved = [], [], []
    for shift in shifts:
        u = np.maximum(tc - shift, 0.0)
        for shape, rise_s in SPRINT_SHAPES:
            design = np.column_stack((np.ones(tc.size), tc, shape(u)))
            coef, *_ = np.linalg.lstsq(design, aa, rcond=None)
            v = coef[2]
            if not (MOVING_SPEED_MPS <= v <= min(12.0, MAX_START_ACCEL_MPS2 * rise_s)):
                continue
            rss.append(float(np.sum((design @ coef - aa) ** 2)))
            times.append(onset + shift + np.interp(DEPTH_GRID_M, v * shape(u_grid), u_grid))
            moved.append(shift)
    if not rss:
        return None
    w = fit_weights(rss, tc.size)
    if shift_sd_s is not None:
        w = w * np.exp(-0.5 * (np.asarray(moved) / shift_sd_s) ** 2)
    return (w[:, None] * np.asarray(times)).sum(axis=0) / w.sum()


def gps_progress_times(geom: GateGeometry, t, x, y, stand: np.ndarray, onset: float) -> np.ndarray:
    """Without a watch distance: for each depth, when the GPS progress since standing reached it.

    Over the few seconds from standing to the line the GPS error barely moves,
    so the fixes' progress from their own standing mean is good to a metre or so.
    """
    grid = DEPTH_GRID_M
    # Progress is measured from where the GPS had them just before they set off: the error wanders,
    # and the last few seconds of standing share most of it with the first few of running.
    z_stand = float(np.mean(geom.along(x[stand[-BASELINE_FIXES:]], y[stand[-BASELINE_FIXES:]])))
    i0 = int(stand[-1]) + 1
    sel = np.flatnonzero((np.arange(t.size) >= i0) & (t <= onset + 90.0) & np.isfinite(x) & np.isfinite(y))
    if sel.size == 0:
        return np.full(grid.size, onset)
    prog = np.maximum.accumulate(np.concatenate(([0.0], geom.along(x[sel], y[sel]) - z_stand)))
    tt = np.concatenate(([onset], np.maximum(t[sel], onset)))
    keep = np.concatenate(([True], np.diff(prog) > 1e-6))
    prog, tt = prog[keep], tt[keep]
    if prog.size < 2:
        return np.full(grid.size, onset)
    out = np.interp(grid, prog, tt)
    # Beyond the fixes used: carry on at the last pace.
    beyond = grid > prog[-1]
    if beyond.any():
        v = max((prog[-1] - prog[-2]) / max(tt[-1] - tt[-2], 1e-6), 0.5)
        out[beyond] = tt[-1] + (grid[beyond] - prog[-1]) / v
    return out
