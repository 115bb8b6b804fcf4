"""Hints that make a switch of direction likelier at a moment: stops, lap presses, sharp slow-downs
and turning back the way one came (a shuttle's turn)."""

from __future__ import annotations

import numpy as np

from retrotrack.direction.track import MAX_BASELINE_S, chords, fixes_xy, run_peaks
from retrotrack.model import Activity

CHANGE_SWITCH_P = 0.1
"""Chance that a clear change of pace or step rate (no stop, lap or slow-down) is a change of direction."""
MEAN_DWELL_S = 300.0
SPEED_HINT_P = 0.1
STOP_SWITCH_P = 0.3
LAP_SWITCH_P = 0.1
REVERSAL_SWITCH_P = 0.5
SHUTTLE_LEG_M = 100.0
"""Turning back after a short leg (or before one) is a switch as often as not: a backward shuttle drill runs
out forward and comes back backward, still facing the same way (or turns round and runs back forward)."""
TURN_SWITCH_P = 0.1
"""Turning back at the end of a longer leg (an out-and-back route) is mostly just that, as at a lap press."""
REVERSAL_M = 12.0
REVERSAL_COS = 0.8
REVERSAL_CHORD = 0.6
"""A turn back: chords over REVERSAL_M of path either side of a record more than ~145 degrees apart, each
at least REVERSAL_CHORD of its path long."""
TURN_SPEED_HALF_S = 1.5
"""The moment of a turn is where the positions move least over this long either side."""


def _speed_hint(t: np.ndarray, dist: np.ndarray | None) -> np.ndarray:
    """0..1 per interval: a sharp slow-down or a change of pace here, as at a switch of gait."""
    if dist is None:
        return np.zeros(t.size - 1)
    mid = 0.5 * (t[:-1] + t[1:])

    def speed(a, b):
        return (np.interp(mid + b, t, dist) - np.interp(mid + a, t, dist)) / (b - a)

    here = speed(-1.5, 1.5)
    before, after = speed(-12.0, -4.0), speed(4.0, 12.0)
    dip = 1.0 - here / np.maximum(np.minimum(before, after), 0.5)
    level = np.abs(np.log((after + 0.3) / (before + 0.3)))
    return np.maximum(np.clip((dip - 0.2) / 0.3, 0.0, 1.0), np.clip((level - 0.15) / 0.2, 0.0, 1.0))


def reversals(activity: Activity, dist: np.ndarray | None) -> np.ndarray:
    """Records where the runner turns back the way they came (an out-and-back drill's end).

    The path's chord over REVERSAL_M before a record points against the chord
    over REVERSAL_M after it, both nearly as long as the path (GPS jitter
    around a slow or standing runner makes short chords point anywhere). One
    record per turn: the slowest (by the positions) within REVERSAL_M / 2 of
    path of where the two chords are longest, since the runner covers little
    ground while turning and the path alone cannot say when.
    """
    if dist is None or (np.isfinite(activity.lat_deg) & np.isfinite(activity.lon_deg)).sum() < 2:
        return np.zeros(0, dtype=int)
    t = activity.t_s
    fixes = tp, x, y = fixes_xy(activity)
    *_, bx, by = chords(t, dist, fixes, -REVERSAL_M, 0.0)
    *_, ax, ay = chords(t, dist, fixes, 0.0, REVERSAL_M)
    before, after = np.hypot(bx, by), np.hypot(ax, ay)
    shorter = np.minimum(before, after)
    cos = (bx * ax + by * ay) / np.maximum(before * after, 1e-9)
    turned = (cos <= -REVERSAL_COS) & (shorter >= REVERSAL_CHORD * REVERSAL_M)
    h = TURN_SPEED_HALF_S
    moved = np.hypot(np.interp(t + h, tp, x) - np.interp(t - h, tp, x),
                     np.interp(t + h, tp, y) - np.interp(t - h, tp, y))
    out = []
    for r in run_peaks(shorter, turned).tolist():
        near = (np.abs(dist - dist[r]) <= REVERSAL_M / 2) & (np.abs(t - t[r]) <= MAX_BASELINE_S / 2)
        out.append(int(np.flatnonzero(near)[np.argmin(moved[near])]))
    return np.unique(np.asarray(out, dtype=int))


def switch_probability(activity: Activity, dt: np.ndarray, inactive: np.ndarray, dist: np.ndarray | None) -> np.ndarray:
    """Chance of a direction switch between interval i-1 and i: rare, likelier at stops, laps, slow-downs
    and where the runner turns back."""
    p = 1.0 - np.exp(-dt / MEAN_DWELL_S)
    p = np.maximum(p, SPEED_HINT_P * _speed_hint(activity.t_s, dist))
    at = reversals(activity, dist)
    if at.size:
        legs = np.diff(dist[at])
        shuttle = np.minimum(np.append(legs, np.inf), np.insert(legs, 0, np.inf)) <= SHUTTLE_LEG_M
        turn_p = np.where(shuttle, REVERSAL_SWITCH_P, TURN_SWITCH_P)
        keep = at < p.size
        p[at[keep]] = np.maximum(p[at[keep]], turn_p[keep])
    prev_inactive = np.concatenate(([False], inactive[:-1]))
    p = np.where(inactive | prev_inactive, np.maximum(p, STOP_SWITCH_P), p)
    t = activity.t_s
    for lap in activity.laps:
        i = int(np.searchsorted(t, t[0] + lap.start_s, side="right")) - 1
        if 0 < i < p.size:
            p[i] = max(p[i], LAP_SWITCH_P)
            p[i - 1] = max(p[i - 1], LAP_SWITCH_P)
    p[0] = 0.5
    return p
