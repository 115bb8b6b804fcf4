"""Sharper gate crossings from the watch's own distance, where it has one independent of GPS positions.

GPS position error is a few metres that wanders slowly (tens of seconds), so
near a gate it is close to a constant offset: averaging the fixes near the line
cannot remove it, and a 3 m offset is a second at backward racing pace. A
watch's distance channel (from Doppler speed or a foot pod) does not share that
offset: it tells how far the runner went between two moments to a few
centimetres, though not where they were.

So each crossing becomes a distance mark: the watch distance at which the
runner was level with the line, averaged over every fix near it. Crossings of
the same gate on successive laps are a lap apart in distance; a straight-line
fit of mark against lap number (one offset per gate, one lap length for all)
averages the GPS offsets of all those passes, and each crossing time is read
back from the watch distance at its fitted mark. With one pass per gate there
is nothing to average and the crossing stays as the gates module found it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrotrack.race.gates import GateCrossing, GateGeometry

NEAR_M = 15.0
"""Fixes this close to the line (along the course) give a distance mark."""
MIN_PASSES = 3
"""A gate needs this many passes before lap fits beat the single crossings."""


@dataclass
class LapFit:
    """Watch distance at each gate's lap-0 mark, and one lap's length, from the lap fit."""

    offset_m: dict[str, float]
    lap_m: float


def independent_distance(t_s: np.ndarray, distance_m: np.ndarray, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray | None:
    """The watch's cumulative distance, if it is usable and not just the positions' path length."""
    d = np.asarray(distance_m, dtype=float)
    if d.size < 10 or not np.isfinite(d).all():
        return None
    if np.any(np.diff(d) < -0.01) or d[-1] - d[0] < 50.0:
        return None
    ok = np.isfinite(x_m) & np.isfinite(y_m)
    if ok.sum() < 10:
        return None
    xi, yi = x_m[ok], y_m[ok]
    path = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(xi), np.diff(yi)))))
    dd = d[ok] - d[ok][0]
    # Distance computed from these very positions matches their path length step by step.
    steps_pos = np.diff(path)
    steps_dev = np.diff(dd)
    if np.allclose(steps_pos, steps_dev, atol=0.05, rtol=0.01):
        return None
    return d


def _mark(geom: GateGeometry, t_s, x_m, y_m, dist, cr: GateCrossing) -> float | None:
    """Watch distance at which the runner was level with the line, from the fixes near it."""
    a = geom.along(x_m, y_m)
    n = t_s.size
    lo = cr.index
    while lo - 1 >= 0 and np.isfinite(a[lo - 1]) and abs(a[lo - 1]) <= NEAR_M and cr.t_s - t_s[lo - 1] <= 10.0:
        lo -= 1
    hi = min(cr.index + 1, n - 1)
    while hi + 1 < n and np.isfinite(a[hi + 1]) and abs(a[hi + 1]) <= NEAR_M and t_s[hi + 1] - cr.t_s <= 10.0:
        hi += 1
    sel = np.arange(lo, hi + 1)
    sel = sel[np.isfinite(a[sel]) & (np.abs(a[sel]) <= NEAR_M)]
    if sel.size < 2:
        return None
    # Only fixes while moving through: the watch distance must advance with `along`.
    marks = dist[sel] - a[sel]
    return float(np.median(marks)) if sel.size < 4 else float(np.mean(marks))


def retime_from_distance(geom: GateGeometry, t_s, x_m, y_m, dist, cr: GateCrossing) -> None:
    """Re-time a single crossing from its distance mark (every fix near the line, whatever the pace)."""
    m = _mark(geom, t_s, x_m, y_m, dist, cr)
    if m is None:
        return
    when = _time_at(t_s, dist, m)
    if abs(when - cr.t_s) < 3.0:
        cr.t_s = when
        cr.refined = True


def _time_at(t_s: np.ndarray, dist: np.ndarray, mark: float) -> float:
    """When the watch distance reached `mark` (interpolated on its strictly increasing records)."""
    keep = np.concatenate(([True], np.diff(dist) > 1e-6))
    return float(np.interp(mark, dist[keep], t_s[keep]))


def sharpen_crossings(
    passes: dict[str, tuple[GateGeometry, list[GateCrossing], list[int]]],
    t_s: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    dist: np.ndarray,
) -> bool:
    """Re-time crossings from a lap fit of watch-distance marks. Updates crossings in place.

    `passes` maps a gate name to its geometry, its crossings and each crossing's
    lap number. Returns whether anything was re-timed.
    """
    rows = []  # (gate index, lap, mark, crossing)
    names = list(passes)
    for gi, name in enumerate(names):
        geom, crossings, laps = passes[name]
        for cr, lap in zip(crossings, laps):
            m = _mark(geom, t_s, x_m, y_m, dist, cr)
            if m is not None and abs(_time_at(t_s, dist, m) - cr.t_s) < 5.0:
                rows.append((gi, lap, m, cr))
    counts = np.bincount([r[0] for r in rows], minlength=len(names)) if rows else np.zeros(len(names), int)
    if not rows or counts.max() < MIN_PASSES:
        return None
    rows = [r for r in rows if counts[r[0]] >= 2]
    gates = sorted({r[0] for r in rows})
    col = {g: i for i, g in enumerate(gates)}

    def fit(use: list[int]):
        A = np.zeros((len(use), len(gates) + 1))
        b = np.zeros(len(use))
        for row, i in enumerate(use):
            g, lap, m, _ = rows[i]
            A[row, col[g]] = 1.0
            A[row, -1] = lap
            b[row] = m
        coef, *_ = np.linalg.lstsq(A, b, rcond=None)
        return coef

    use = list(range(len(rows)))
    coef = fit(use)
    # One robust pass: a pass far off the fit (a stumble, a GPS jump) is left out.
    pred = np.array([coef[col[r[0]]] + coef[-1] * r[1] for r in rows])
    resid = np.array([r[2] for r in rows]) - pred
    scale = 1.4826 * np.median(np.abs(resid - np.median(resid))) + 0.5
    keep = [i for i in use if abs(resid[i]) <= 4 * scale]
    if len(keep) >= len(gates) + 2 and len(keep) < len(use):
        coef = fit(keep)
    lap_len = coef[-1]
    if not np.isfinite(lap_len) or lap_len <= 0:
        return None
    for g, lap, m, cr in rows:
        fitted = coef[col[g]] + lap_len * lap
        cr.t_s = _time_at(t_s, dist, fitted)
        cr.refined = True
    return LapFit({names[g]: float(coef[col[g]]) for g in gates}, float(lap_len))
