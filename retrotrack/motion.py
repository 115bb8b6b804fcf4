"""Moving versus stopped, per interval between records.

An interval is stopped when the watch's timer was paused over it, or when the
runner's speed, averaged over a few seconds, stays below a slow walk for at
least `MIN_STOP_S`. Speed is taken from cumulative distance (the device's, or
the positions'), which is steadier than instantaneous speed fields. A long slow
stretch that still makes steady progress in a straight line over a couple of
minutes is slow walking (a steep climb, a backward walk), not a stop.
"""

from __future__ import annotations

import numpy as np

from retrotrack import geo
from retrotrack.model import Activity

STOP_SPEED_MPS = 0.5
"""Below this (well under a slow backward walk, ~0.8 m/s) the runner is standing."""
MIN_STOP_S = 3.0
"""A slow-down shorter than this (a turn, a lap button) is not a stop."""
SPEED_WINDOW_S = 3.0
MOVING_CADENCE_SPM = 60.0
"""Steps at this rate or more mean the runner is moving even where speed is unclear."""
STILL_CADENCE_SPM = 20.0
"""The watch counts (almost) no steps: with little progress, the runner is standing."""
STILL_MAX_SPEED_MPS = 1.0
JITTER_MAX_SPEED_MPS = 1.0
"""Path speed this low with almost no displacement is GPS jitter around a standing runner (a U-turn
at a cone keeps a higher path speed)."""
PROGRESS_HALF_WINDOW_S = 60.0
PROGRESS_MIN_SPAN_S = 90.0
PROGRESS_MPS = 0.25
"""A slow stretch that gets this far per second in a straight line, over a window of two minutes (at
least a minute and a half, kept inside the stretch), is slow walking: a steep climb, a backward walk.
GPS error is bounded (a few metres) while progress adds up, so the longer window tells them apart even
where the error wanders quickly."""


def recorded_speed_mps(activity: Activity) -> np.ndarray | None:
    """The speed the device itself recorded (GPS Doppler, a foot pod: steadier than differences of
    positions), gaps filled; None where the file has it for under half its records, or where it is only
    the time derivative of the distance (a reader's fill-in)."""
    t, spd = activity.t_s, activity.speed_mps
    ok = np.isfinite(spd)
    if ok.sum() < max(2, 0.5 * t.size) or _derived_from(spd, activity.distance_m, t):
        return None
    return np.clip(np.interp(t, t[ok], spd[ok]), 0.0, None)


def _derived_from(speed: np.ndarray, dist: np.ndarray, t: np.ndarray) -> bool:
    """Whether the speed channel is only the time derivative of the distance channel."""
    if np.isfinite(dist).sum() < 2 or t.size < 2:
        return False
    ok = np.isfinite(speed) & np.isfinite(dist)
    with np.errstate(invalid="ignore", divide="ignore"):
        grad = np.gradient(np.where(np.isfinite(dist), dist, 0.0), t)
    return bool(np.allclose(speed[ok], grad[ok], rtol=1e-6, atol=1e-6))


def window_speed_mps(activity: Activity, window_s: float = SPEED_WINDOW_S) -> np.ndarray:
    """Speed over each interval from distance gained across a centred window; NaN if unknown."""
    t = activity.t_s
    n = t.size
    if n < 2:
        return np.zeros(0)
    mid = 0.5 * (t[:-1] + t[1:])
    dist = activity.distance_m
    if np.isfinite(dist).sum() >= 2 and np.nanmax(dist) > 0:
        ok = np.isfinite(dist)
        lo = np.interp(mid - window_s / 2, t[ok], dist[ok])
        hi = np.interp(mid + window_s / 2, t[ok], dist[ok])
        span = np.minimum(mid + window_s / 2, t[-1]) - np.maximum(mid - window_s / 2, t[0])
        span = np.maximum(span, t[1:] - t[:-1])
        speed = (hi - lo) / np.maximum(span, 1e-9)
        # A long gap: the average over the gap itself is what we know.
        dt = t[1:] - t[:-1]
        gap = dt > window_s
        if gap.any():
            speed[gap] = (dist[1:][gap] - dist[:-1][gap]) / dt[gap]
        return speed
    spd = activity.speed_mps
    if np.isfinite(spd).any():
        return 0.5 * (spd[:-1] + spd[1:])
    return np.full(n - 1, np.nan)


def displacement_speed_mps(activity: Activity, window_s: float = SPEED_WINDOW_S) -> np.ndarray:
    """Straight-line speed over a centred window from positions, per interval (NaN without them).

    Standing still, GPS jitter adds path distance but hardly any displacement.
    """
    t = activity.t_s
    if t.size < 2:
        return np.zeros(0)
    mid = 0.5 * (t[:-1] + t[1:])
    return geo.displacement_speed_mps(t, activity.lat_deg, activity.lon_deg, mid, window_s / 2, np.diff(t))


def in_spans(t_mid: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Whether each time lies inside any of the (start, end) spans."""
    out = np.zeros(t_mid.shape, dtype=bool)
    for start, end in spans:
        out |= (t_mid > start) & (t_mid < end)
    return out


def paused_intervals(times: np.ndarray, pauses) -> np.ndarray:
    """Whether the watch's timer was paused over each interval between records (length n - 1).

    An interval is paused when its middle lies inside a pause (`in_spans`, the rule the stopped labels
    use), so distance and the stopped labels agree on which intervals they are.
    """
    t = np.asarray(times, dtype=float)
    return in_spans(0.5 * (t[:-1] + t[1:]), pauses)


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs in a boolean array (stop exclusive)."""
    if mask.size == 0:
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def _steady_progress(activity: Activity, slow: np.ndarray) -> np.ndarray:
    """Intervals of the slow stretches `slow` covered by a window that makes steady progress: a
    straight line of PROGRESS_MPS or more per second across it, which the distance channel (a watch's
    odometer says no less) gains too. Windows are kept inside the stretch, so the running either side
    of a stop cannot count; a stretch split by a pause, or with a gap in its records or positions (the
    line across a dropout is no evidence of progress), is left as it is."""
    t = activity.t_s
    out = np.zeros(t.size - 1, dtype=bool)
    has_fix = np.isfinite(activity.lat_deg) & np.isfinite(activity.lon_deg)
    if has_fix.sum() < 2:
        return out
    proj = geo.LocalProjection(float(activity.lat_deg[has_fix][0]), float(activity.lon_deg[has_fix][0]))
    x, y = proj.to_xy(activity.lat_deg, activity.lon_deg)
    dist = activity.distance_m
    has_dist = np.isfinite(dist)
    mid = 0.5 * (t[1:] + t[:-1])
    for start, stop in true_runs(slow & ~in_spans(mid, activity.pauses)):
        t0, t1 = t[start], t[stop]
        fix = np.flatnonzero(has_fix[start:stop + 1]) + start
        if (t1 - t0 < PROGRESS_MIN_SPAN_S or fix.size < 2 or fix[0] != start or fix[-1] != stop
                or np.max(np.diff(t[fix])) > PROGRESS_HALF_WINDOW_S):
            continue
        m = mid[start:stop]
        lo = np.maximum(m - PROGRESS_HALF_WINDOW_S, t0)
        hi = np.minimum(m + PROGRESS_HALF_WINDOW_S, t1)
        tf = t[fix]
        gone = np.hypot(np.interp(hi, tf, x[fix]) - np.interp(lo, tf, x[fix]),
                        np.interp(hi, tf, y[fix]) - np.interp(lo, tf, y[fix]))
        need = PROGRESS_MPS * (hi - lo)
        going = (hi - lo >= PROGRESS_MIN_SPAN_S) & (gone >= need)
        if has_dist.sum() >= 2:
            going &= np.interp(hi, t[has_dist], dist[has_dist]) - np.interp(lo, t[has_dist], dist[has_dist]) >= need
        # Every interval inside a window that made progress was part of it.
        edges = np.zeros(stop - start + 1)
        np.add.at(edges, np.searchsorted(t[start:stop + 1], lo[going], side="right") - 1, 1.0)
        np.add.at(edges, np.searchsorted(t[start:stop + 1], hi[going], side="left"), -1.0)
        out[start:stop] = np.cumsum(edges)[:-1] > 0
    return out


def stopped_intervals(activity: Activity) -> np.ndarray:
    """Boolean per interval (length n - 1): True where the runner was stopped."""
    t = activity.t_s
    n = t.size
    if n < 2:
        return np.zeros(0, dtype=bool)
    mid = 0.5 * (t[:-1] + t[1:])
    dt = t[1:] - t[:-1]
    speed = window_speed_mps(activity)
    cad = activity.cadence_spm
    cad_mid = 0.5 * (cad[:-1] + cad[1:]) if cad.size else np.full(n - 1, np.nan)
    stepping = np.isfinite(cad_mid) & (cad_mid >= MOVING_CADENCE_SPM)
    disp = displacement_speed_mps(activity)
    jitter = np.isfinite(disp) & (disp < STOP_SPEED_MPS) & np.isfinite(speed) & (speed < JITTER_MAX_SPEED_MPS)
    slow = ((np.isfinite(speed) & (speed < STOP_SPEED_MPS)) | jitter) & ~stepping
    # Cadence drops to zero within a second or two of stopping, sooner than a speed average does.
    still = np.isfinite(cad[:-1]) & np.isfinite(cad[1:]) & (np.maximum(cad[:-1], cad[1:]) < STILL_CADENCE_SPM)
    slow |= still & ~(np.isfinite(speed) & (speed >= STILL_MAX_SPEED_MPS))
    if not np.isfinite(speed).any() and np.isfinite(cad_mid).any():
        slow = np.isfinite(cad_mid) & (cad_mid < MOVING_CADENCE_SPM / 2)
    stopped = np.zeros(n - 1, dtype=bool)
    for start, stop in true_runs(slow):
        if t[stop] - t[start] >= MIN_STOP_S:
            stopped[start:stop] = True
    stopped &= ~_steady_progress(activity, stopped)
    stopped |= in_spans(mid, activity.pauses)
    # An interval that is itself a long recording gap with little progress is a pause.
    dist = activity.distance_m
    if np.isfinite(dist).all():
        gap_speed = (dist[1:] - dist[:-1]) / np.maximum(dt, 1e-9)
        stopped |= (dt >= 30.0) & (gap_speed < STOP_SPEED_MPS)
    return stopped
