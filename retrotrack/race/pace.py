"""Crossing times from positions alone: the runner's race pace carried through a line.

GPS error wanders by metres over tens of seconds, so the fixes nearest a line
know little more than those further off: a crossing is fitted over the stretch
either side where the course runs straight through the gate, at race pace, and
with the runner's easing up after the finish left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrotrack.race.gates import GateCrossing, GateGeometry
from retrotrack.race.progress import NEAR_M, SLOW_WANDER_S, ProgressClock, aligned_with, error_model

MOVING_SPEED_MPS = 1.0
"""Faster than this the runner has set off (a backward walk is ~0.8-1.2 m/s, racing is 2-7 m/s)."""
MAX_PACE_SHIFT_S = 10.0
PACE_WINDOW_S = 20.0
LONG_PACE_WINDOW_S = 45.0
"""Positions alone: a crossing is fitted over up to this long either side, at race pace, on the straight."""
EASE_LOOKBACK_S = 10.0
"""At the finish, fixes up to this long before the GPS crossing are taken to be at race pace (see race_pace_root)."""
MIN_PACE_FIXES = 5
STRAY_FIXES = 3
"""Up to this many fixes in a row out of line (GPS noise) do not end a straight."""
EASE_FRACTION = 0.8
"""Below this share of their race pace a runner has eased up after the finish."""


def displacement_speed_mps(t, x, y, half_window_s: float = 3.0) -> np.ndarray:
    """Straight-line displacement over a centred window, per second (robust to a metre of GPS jitter).

    The window always reaches the records either side: with fixes further apart than it (smart
    recording), a window holding one record would read a runner as standing."""
    n = t.size
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return np.full(n, np.nan)
    xi = np.interp(t, t[ok], x[ok])
    yi = np.interp(t, t[ok], y[ok])
    idx = np.arange(n)
    lo = np.clip(np.minimum(np.searchsorted(t, t - half_window_s), idx - 1), 0, n - 1)
    hi = np.clip(np.maximum(np.searchsorted(t, t + half_window_s, side="right") - 1, idx + 1), 0, n - 1)
    span = np.maximum(t[hi] - t[lo], 1e-9)
    return np.hypot(xi[hi] - xi[lo], yi[hi] - yi[lo]) / span


def fit_weights(rss: list[float], n_points: int) -> np.ndarray:
    """Relative likelihoods of rival three-parameter least-squares fits to the same `n_points` points,
    from their residual sums of squares, the noise taken from the best of them."""
    rss_a = np.asarray(rss)
    var = max(float(rss_a.min()) / max(n_points - 3, 1), 1e-6)
    return np.exp(-(rss_a - rss_a.min()) / (2.0 * var))


def pace_stretch(geom: GateGeometry, t, x, y, cr: GateCrossing, window_s: float = PACE_WINDOW_S,
                 aligned: np.ndarray | None = None, from_s: float = -np.inf) -> np.ndarray | None:
    """Indices of the fixes around a crossing that measure progress through the line: up to `window_s`
    either side, where the course runs along the gate's bearing (through the odd fix that GPS noise
    knocked out of line), or close enough to the line that the distance past it is progress whichever
    way the fixes jitter (a runner easing up at the finish, GPS noise at a crawl), and none before
    `from_s` (the runner up to race pace). None when too few.
    `aligned` is `aligned_with(geom, x, y)`, where the caller has it."""
    a = geom.along(x, y)
    n = t.size
    aligned = (aligned_with(geom, x, y) if aligned is None else aligned) | (np.abs(a) <= NEAR_M)
    within = (t >= max(cr.t_s - window_s, from_s)) & (t <= cr.t_s + window_s) & np.isfinite(a)

    def reach(way: int) -> int:
        """The last aligned fix from the crossing one way (-1 back, +1 on), over up to STRAY_FIXES out of line."""
        i = cr.index
        while True:
            step = next((k for k in range(1, STRAY_FIXES + 2)
                         if 0 <= i + way * k < n and within[i + way * k] and aligned[i + way * k]), None)
            if step is None or not (within[i + 1:i + step] if way > 0 else within[i - step + 1:i]).all():
                return i
            i += way * step

    sel = np.arange(reach(-1), reach(+1) + 1)
    sel = sel[within[sel] & (aligned[sel] | (sel == cr.index))]
    if sel.size < MIN_PACE_FIXES or float(t[sel[-1]] - t[sel[0]]) < 4.0:
        return None
    return sel


def race_pace_mps(t, x, y, t_line_s: float, from_s: float = -np.inf) -> float | None:
    """The runner's pace into a line crossed at `t_line_s`: the median speed over the 30 s before it (from
    `from_s` on, when they were up to race pace). None with too few fixes to tell."""
    v = displacement_speed_mps(t, x, y, half_window_s=2.0)
    before = (t >= max(t_line_s - 30.0, from_s)) & (t <= t_line_s - 2.0) & np.isfinite(v)
    if before.sum() < 5:
        return None
    return float(np.median(v[before]))


def race_pace_crossing(geom: GateGeometry, t, x, y, cr: GateCrossing, *, finish: bool = False,
                       window_s: float = PACE_WINDOW_S, aligned: np.ndarray | None = None,
                       from_s: float = -np.inf) -> float:
    """A crossing time from positions alone: the runner's pace carried through the line.

    The GPS error is nearly the same offset for tens of seconds, so the fixes
    within a couple of metres of the line know little more than those 20 s
    away: a straight line fitted to the distance past the line over the
    stretch where the course runs straight along the gate's bearing (up to
    `window_s` either side, at race pace) averages more of the wander away.
    Where the error jitters from fix to fix instead, a longer `window_s`
    averages more of it (see `pace_window_s`).

    At the `finish` runners ease up after the line, and a GPS offset of a few
    metres behind them puts their crossing after it, when they are already
    walking (8 m at 1.2 m/s is 7 s): fixes after they eased up are left out
    (see `race_pace_root`), so the offset costs what it costs at race pace,
    either way.

    Only fixes from `from_s` on, when the runner is up to race pace, speak for it.
    """
    pace = race_pace_mps(t, x, y, cr.t_s, from_s)
    if pace is None or pace < 1.5:
        return cr.t_s
    sel = pace_stretch(geom, t, x, y, cr, window_s, aligned, from_s)
    if sel is None:
        return cr.t_s
    a = geom.along(x[sel], y[sel])
    tt = t[sel] - cr.t_s
    if finish:
        settled = max(int(np.sum(tt <= -EASE_LOOKBACK_S)), MIN_PACE_FIXES)
        root = race_pace_root(tt, a, settled, (0.5 * pace, 2.0 * pace))
    else:
        slope, icpt = np.polyfit(tt, a, 1)
        root = -icpt / slope if 0.5 * pace <= slope <= 2.0 * pace else None
    if root is None or abs(root) > MAX_PACE_SHIFT_S:
        return cr.t_s
    return float(cr.t_s + root)


@dataclass(frozen=True)
class PacePass:
    """One crossing of a line to be timed at race pace."""

    geom: GateGeometry
    crossing: GateCrossing
    finish: bool
    """The race's finish: the runner eases up after it."""
    aligned: np.ndarray
    """`aligned_with(geom, x, y)` of the track."""


def pace_window_s(passes: list[PacePass], t, x, y, from_s: float = -np.inf) -> float:
    """How far either side of a line its crossing is fitted over, for this track's kind of GPS error.

    PACE_WINDOW_S where the error wanders slowly; where it jitters from one fix
    to the next (learnt from how the fixes of every pass scatter about a steady
    pace, up to the finish), LONG_PACE_WINDOW_S, which averages more of it."""
    windows = []
    for p in passes:
        cr = p.crossing
        sel = pace_stretch(p.geom, t, x, y, cr, LONG_PACE_WINDOW_S, p.aligned, from_s)
        if sel is None:
            continue
        sel = sel[t[sel] <= cr.t_s - EASE_LOOKBACK_S] if p.finish else sel
        if sel.size >= MIN_PACE_FIXES:
            windows.append((t[sel], p.geom.along(x[sel], y[sel])))
    model = error_model(windows, trend=1)
    return LONG_PACE_WINDOW_S if model is not None and model[1] < SLOW_WANDER_S else PACE_WINDOW_S


def race_pace_root(t_s: np.ndarray, along_m: np.ndarray, settled: int, pace_range: tuple[float, float]) -> float | None:
    """When the race pace of these fixes (in time order) carries them to along = 0; the first `settled`
    fixes are at race pace, later ones may be after the runner eased up.

    Each moment they might have eased gives a "race pace, then slower" hinge
    (two straight lines meeting there) fitted by least squares; so does "never
    eased" (one line). The answer is the mean of their race-pace roots weighted
    by how well each explains the fixes: with noisy fixes no single moment is
    trusted, and one stray fix or a few seconds of GPS wander can neither end
    race pace nor hide a real slow-down. None when no fit runs at `pace_range`.
    """
    n = t_s.size
    rss, roots = [], []
    for k in range(max(settled, 3), n + 1):
        if k == n:
            design = np.column_stack((np.ones(n), t_s))
            coef, *_ = np.linalg.lstsq(design, along_m, rcond=None)
            c0, v1 = coef[0], coef[1]
            root = -c0 / v1 if v1 > 0 else np.nan
        else:
            te = t_s[k - 1]
            design = np.column_stack((np.ones(n), np.minimum(t_s - te, 0.0), np.maximum(t_s - te, 0.0)))
            coef, *_ = np.linalg.lstsq(design, along_m, rcond=None)
            v1 = coef[1]
            if coef[2] >= EASE_FRACTION * v1:
                continue
            root = te - coef[0] / v1 if v1 > 0 else np.nan
        if not (pace_range[0] <= v1 <= pace_range[1]) or not np.isfinite(root):
            continue
        rss.append(float(np.sum((design @ coef - along_m) ** 2)))
        roots.append(float(root))
    if not roots:
        return None
    w = fit_weights(rss, n)
    return float(np.sum(w * np.asarray(roots)) / np.sum(w))


def held_to_pace(clock: ProgressClock, t_line_s: float) -> ProgressClock:
    """The watch clock with the runner's easing up after the finish replaced by their race pace carried on.

    Runners ease to a walk (or a stop) just after the line, so a finish mark a
    few metres too far (GPS error) would be reached seconds late on the watch:
    at race pace it costs what it costs at race pace, either way (the watch's
    counterpart of race_pace_root). Race pace is the watch's median speed over
    the 30 s to 5 s before the GPS crossing at `t_line_s`; easing is the first
    two records in a row, from EASE_LOOKBACK_S before it, slower than
    EASE_FRACTION of it.
    """
    t, d = clock.t_s, clock.d_m
    dt = np.diff(t)
    step_v = np.divide(np.diff(d), dt, out=np.full(dt.size, np.nan), where=dt > 0)
    before = (t[1:] >= t_line_s - 30.0) & (t[1:] <= t_line_s - 5.0) & np.isfinite(step_v)
    if before.sum() < MIN_PACE_FIXES:
        return clock
    pace = float(np.median(step_v[before]))
    if pace < MOVING_SPEED_MPS:
        return clock
    slow = step_v < EASE_FRACTION * pace
    eased = np.flatnonzero((t[:-2] >= t_line_s - EASE_LOOKBACK_S) & slow[:-1] & slow[1:])
    if eased.size == 0:
        return clock
    k = int(eased[0])
    held = np.where(t > t[k], d[k] + pace * (t - t[k]), d)
    speed = None if clock.speed_mps is None else np.where(t > t[k], pace, clock.speed_mps)
    return ProgressClock(t, held, speed)
