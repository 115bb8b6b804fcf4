"""The track as the detector sees it: distance along the path, fixes in metres, chords over a stretch
of path either side of each record."""

from __future__ import annotations

import numpy as np

from retrotrack.geo import LocalProjection, cumulative_distance_m, position_distance_m
from retrotrack.model import Activity
from retrotrack.motion import paused_intervals

MAX_BASELINE_S = 30.0
"""A chord spans at most this long: half of it either side of its record (a stop stretches no chord)."""


def path_distance(activity: Activity, *, steady: bool = True) -> np.ndarray | None:
    """Cumulative distance per record: the device's, else along the positions; NaN-free or None.

    `steady`: along positions, every fix is smoothed with its neighbours however far apart in time,
    a steady measure of path on which the heading's chords are placed. Otherwise the activity's own
    distance, which keeps the corners that averaging fixes seconds apart would cut: the speeds that the
    gait is judged against are then unbiased wherever the fixes are sparse.
    """
    t = activity.t_s
    if steady and activity.distance_source == "positions" and activity.has_position:
        return position_distance_m(activity.lat_deg, activity.lon_deg, paused_intervals(t, activity.pauses))
    d = activity.distance_m
    if np.isfinite(d).sum() >= 2 and np.nanmax(d) > np.nanmin(d):
        ok = np.isfinite(d)
        out = np.interp(t, t[ok], d[ok])
        return np.maximum.accumulate(out)
    if activity.has_position:
        return cumulative_distance_m(activity.lat_deg, activity.lon_deg)
    spd = activity.speed_mps
    if np.isfinite(spd).sum() >= 2:
        ok = np.isfinite(spd)
        v = np.interp(t, t[ok], spd[ok])
        return np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t))))
    return None


def fixes_xy(activity: Activity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times and local metric positions (east, north) of the records that have a position."""
    lat, lon = activity.lat_deg, activity.lon_deg
    pos = np.isfinite(lat) & np.isfinite(lon)
    x, y = LocalProjection(float(lat[pos][0]), float(lon[pos][0])).to_xy(lat[pos], lon[pos])
    return activity.t_s[pos], x, y


def chords(t: np.ndarray, dist: np.ndarray, fixes: tuple, from_m: float, to_m: float) -> tuple[np.ndarray, ...]:
    """Per record (times `t`), the displacement (dx, dy, metres east and north) of the `fixes` (see
    fixes_xy) between the points `from_m` and `to_m` of path away from it (found on the distance axis,
    at most MAX_BASELINE_S / 2 away in time), and the times (t_from, t_to) of those points."""
    tp, x, y = fixes
    dk = dist + 1e-6 * np.arange(dist.size)
    t_from = np.clip(np.interp(dk + from_m, dk, t), t - MAX_BASELINE_S / 2, t + MAX_BASELINE_S / 2)
    t_to = np.clip(np.interp(dk + to_m, dk, t), t - MAX_BASELINE_S / 2, t + MAX_BASELINE_S / 2)
    dx = np.interp(t_to, tp, x) - np.interp(t_from, tp, x)
    dy = np.interp(t_to, tp, y) - np.interp(t_from, tp, y)
    return t_from, t_to, dx, dy


def run_peaks(score: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Index of the highest score in each run of True in `mask`."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    if starts.size == 0:
        return np.zeros(0, dtype=int)
    # Argmax per run, vectorised: rank by (run, score) and take each run's last.
    run_of = np.cumsum(edges[:-1] == 1) - 1
    idx = np.flatnonzero(mask)
    order = np.lexsort((score[idx], run_of[idx]))
    last = np.concatenate((np.flatnonzero(np.diff(run_of[idx][order])), [idx.size - 1]))
    return idx[order][last]
