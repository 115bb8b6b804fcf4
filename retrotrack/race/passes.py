"""Which crossings of a line count: one per pass, laps in order, the start's own and the warm-up's left out.

GPS jitter takes a track back and forth over a line within a few metres; a runner's first
crossing of the finish can be the start itself (start and finish on one line); a lap's
crossing can fall just outside the gate's width. And a watch stopped at the finish line,
or started at the start line, leaves the track ending (or beginning) just short of it.
"""

from __future__ import annotations

import numpy as np

from retrotrack.motion import true_runs
from retrotrack.race.gates import GateCrossing, GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo
from retrotrack.race.pace import MOVING_SPEED_MPS, displacement_speed_mps

START_EXCLUSION_M = 50.0
"""Finish crossings within this distance of the runner's start are the start itself."""
NEAR_MISS_M = 5.0
"""A crossing this far beyond a gate's width still counts where the lap count expects one (GPS error)."""
FINISH_REACH_M = 20.0
FINISH_REACH_S = 8.0
"""A track that stops this close before the finish line (and this soon before reaching it at its pace)
was stopped at the line: GPS error of a few metres, and a second or so to press the button. The same
for a track that begins this close past the start line."""
STOP_REACH_M = FINISH_REACH_M
STANDSTILL_S = 3.0
"""A runner whose GPS has them come to a standstill (for this long) this close to the finish line, either
side of it, after reaching it at race pace, stopped just past it (see standstill_at_line): the same reach
as for a watch stopped at the line, and the result says so."""
TRACK_END_FIT_S = 8.0
"""Where a track ends at a line, its distance past the line is fitted over this long of its fixes."""


def distinct_passes(crossings: list[GateCrossing], t: np.ndarray, dist: np.ndarray) -> list[GateCrossing]:
    """One crossing per pass of a line: GPS jitter can take a track back and forth over it within a few
    metres, and a crossing less than START_EXCLUSION_M (along the track) after the last kept one is the same pass."""
    kept: list[GateCrossing] = []
    prev_d = None
    for c in crossings:
        d = float(np.interp(c.t_s, t, dist))
        if prev_d is not None and d - prev_d < START_EXCLUSION_M:
            continue
        kept.append(c)
        prev_d = d
    return kept


def _line_from_track_end(geom: GateGeometry, t, x, y, index: int,
                         speed: np.ndarray | None = None) -> tuple[float, float, float] | None:
    """(distance past the line, pace towards it, across) at the track's first or last fix (`index` 0 or
    -1), from a straight line fitted to the fixes of its first or last seconds: one fix can be metres
    out. The watch's own speed, where it has one, is the line's slope."""
    a = geom.along(x, y)
    c = geom.across(x, y)
    near = (np.abs(t - t[index]) <= TRACK_END_FIT_S) & np.isfinite(a)
    if near.sum() < 4:
        return None
    dt = t[near] - t[index]
    own = speed[near] if speed is not None else np.zeros(0)
    if own.size and np.isfinite(own).all():
        pace = float(np.median(own))
        at_end = float(np.mean(a[near] - pace * dt))
    else:
        pace, at_end = (float(v) for v in np.polyfit(dt, a[near], 1))
    return at_end, pace, float(np.median(c[near]))


def start_at_track_begin(sg: GateGeometry, t, x, y, speed: np.ndarray | None = None) -> GateCrossing | None:
    """The chip start of a track that begins just past the start line, already running, after the gun.

    A runner who starts their watch as they cross the line leaves no crossing
    in the track (the first one would be a lap later). Where the track begins
    within FINISH_REACH_M past the start line, after the gun, moving away from
    it at a run, the start is where their pace over the first seconds carries
    them back to the line (the caller keeps it after the gun).
    """
    if t.size < 5 or t[0] < -1.0:
        return None
    fit = _line_from_track_end(sg, t, x, y, 0, speed)
    if fit is None:
        return None
    past_m, pace, across_m = fit
    if not (-NEAR_MISS_M <= past_m <= FINISH_REACH_M and abs(across_m) <= sg.half_width_m + NEAR_MISS_M
            and pace >= MOVING_SPEED_MPS and past_m / pace <= FINISH_REACH_S):
        return None
    when = float(t[0]) - past_m / pace
    return GateCrossing(sg.name, when, when, 0, across_m, pace, abs(past_m) / pace)


def finish_at_track_end(fg: GateGeometry, t, x, y, race_dist: np.ndarray, counted: list[GateCrossing],
                        race: RaceInfo, speed: np.ndarray | None = None) -> GateCrossing | None:
    """The last finish pass of a track that stops just short of the line, still running at it.

    Many runners stop their watch at the line; a GPS a few metres behind them
    then never takes the track across it. Where the track ends within
    FINISH_REACH_M of the line, still closing on it at a run, a lap (or the
    race distance) after the last counted pass, the runner finished: the
    crossing is where their pace over the last seconds carries them.
    """
    if t.size < 5:
        return None
    fit = _line_from_track_end(fg, t, x, y, -1, speed)
    if fit is None:
        return None
    past_m, pace, across_m = fit
    if not (-FINISH_REACH_M <= past_m <= NEAR_MISS_M and abs(across_m) <= fg.half_width_m + NEAR_MISS_M
            and pace >= MOVING_SPEED_MPS and -past_m / pace <= FINISH_REACH_S):
        return None
    lap = race.lap_m
    if counted and not lap:
        return None
    if counted:
        due = float(np.interp(counted[-1].t_s, t, race_dist)) + lap
        gap = lap
    else:
        due = gap = race.distance_m - (race.finish_crossings - 1) * (lap or 0.0)
    if race_dist[-1] < due - max(30.0, gap / 6.0):
        return None
    when = float(t[-1]) - past_m / pace
    return GateCrossing(fg.name, when, when, t.size - 1, across_m, pace, abs(past_m) / pace)


def standstill_at_line(geom: GateGeometry, t, x, y, cr: GateCrossing, still: np.ndarray) -> float | None:
    """When a runner who reached the finish at race pace slowed to a standstill within STOP_REACH_M of
    the line (either side, by the GPS): the moment they slowed through half their race pace. None otherwise.

    Finishers run through the line, so such a runner crossed it before they
    stopped. A GPS a few metres behind them puts the crossing later, when they
    walk on; and at a standstill a metre of error in where the line was
    reached is many seconds. The finish is no later than this. `still` marks
    the records where the runner stood (see `still_records`).
    """
    a = geom.along(x, y)
    n = t.size
    near = np.isfinite(a) & (np.abs(a) <= STOP_REACH_M)
    i = min(max(cr.index, 0), n - 1)
    if not near[i]:
        return None
    lo, hi = next((s, e) for s, e in true_runs(near) if s <= i < e)
    v = displacement_speed_mps(t, x, y, half_window_s=2.0)
    before = (t >= t[lo] - 15.0) & (t < t[lo]) & np.isfinite(v)
    if before.sum() < 3:
        return None
    pace = float(np.median(v[before]))
    if pace < 1.5:
        return None
    seg = np.arange(lo, hi)
    still = still[seg]
    first_still = next((s for s, e in true_runs(still) if t[seg[e - 1]] - t[seg[s]] >= STANDSTILL_S), None)
    if first_still is None:
        return None
    half = 0.5 * pace
    # Slowed through half pace, or already standing (steps stop before a speed over a few seconds drops).
    slow = np.flatnonzero((v[seg[:first_still + 1]] < half) | still[:first_still + 1])
    j = int(seg[slow[0]])
    if j == 0 or not np.isfinite(v[j - 1]) or v[j - 1] <= half or not v[j] < half:
        return float(t[j])
    f = (v[j - 1] - half) / (v[j - 1] - v[j])
    return float(t[j - 1] + f * (t[j] - t[j - 1]))


def counted_finishes(fg: GateGeometry, t, x, y, start: float, race_dist: np.ndarray, race: RaceInfo) -> list[GateCrossing]:
    """The counted crossings of the finish: after the start, past its first 50 m, up to the last one needed.

    GPS jitter can take a track back and forth over the line within a few
    metres: a crossing less than START_EXCLUSION_M (along the track) after the
    last counted one is the same pass. A crossing just beyond the gate's width
    (GPS error, NEAR_MISS_M) counts only where the lap count expects one: a lap
    (or, first, the start's part lap) after the last counted crossing, give or
    take a sixth of it.
    """
    n_laps = race.finish_crossings
    cands = []
    for c in find_crossings(fg, t, x, y, include_outside=True):
        if c.t_s <= start:
            continue
        d = float(np.interp(c.t_s, t, race_dist))
        if d < START_EXCLUSION_M:
            continue
        if abs(c.across_m) <= fg.half_width_m:
            cands.append((c, d, True))
        elif abs(c.across_m) <= fg.half_width_m + NEAR_MISS_M:
            cands.append((c, d, False))
    # A lap as this track measures it: the config's, on the track's own scale where it has laps to show it.
    lap = race.lap_m
    ds = [d for _, d, ok in cands if ok]
    measured = float(np.median(np.diff(ds))) if n_laps > 1 and len(ds) >= 2 else None
    scale = 1.0
    if lap is None:
        lap = measured
    elif measured is not None and 0.8 * lap <= measured <= 1.3 * lap:
        scale = measured / lap
        lap = measured
    counted: list[GateCrossing] = []
    prev_d = 0.0
    for c, d, ok in cands:
        if counted and d - prev_d < START_EXCLUSION_M:
            continue
        if not ok:
            if counted:
                gap = lap
            else:
                gap = (scale * race.distance_m - (n_laps - 1) * lap if lap
                       else (race.distance_m if n_laps == 1 else None))
            if gap is None or gap <= 0 or abs(d - prev_d - gap) > max(30.0, gap / 6.0):
                continue
        counted.append(c)
        prev_d = d
        if len(counted) == n_laps:
            break
    return counted
