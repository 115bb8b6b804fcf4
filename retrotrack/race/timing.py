"""One runner's race from their track: start, counted finish crossings, splits and the direction check.

All times here are seconds since the gun. The rules are INTERFACE.md's:

- chip timing starts at the runner's own crossing of `start` after the gun. A
  runner lined up behind the line (standing still there before setting off)
  is timed from the moment they set off (steps, speed: far sharper than
  positions) plus the time their progress took to reach the line; how far
  behind it they stood is the one thing their own GPS cannot tell to better
  than its error, so it is weighed with what the field shows (starts.py fits
  the moment, run.py the depth). A runner the GPS already has across the line
  starts when they start moving, and no chip time starts before the gun.
  Anyone else starts at their GPS crossing;
- gun timing starts everyone at the gun;
- counted crossings of `finish` are those after the start except any within
  the first 50 m of the runner's race (measured along their track), and
  except GPS jitter back and forth over the line (a new pass needs 50 m of
  running since the last); the race ends at the `finish_crossings`th. Warm-up
  and cool-down crossings never count (passes.py);
- checkpoint crossings between start and finish are splits (each lap on a loop);
- the direction check (check.py) covers start to finish, or to where the
  track ends.

Crossing times come from every pass of every line fitted together where the
watch has a distance of its own (progress.py), else from the runner's pace
through each line (pace.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from retrotrack.direction import DirectionTrack, detect_direction
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity
from retrotrack.motion import recorded_speed_mps, true_runs
from retrotrack.race.check import DirectionCheck, direction_check, facing_evidence
from retrotrack.race.gates import GateCrossing, GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo, RunnerTrace, SplitTime
from retrotrack.race.pace import (
    MIN_PACE_FIXES,
    MOVING_SPEED_MPS,
    PacePass,
    displacement_speed_mps,
    held_to_pace,
    pace_window_s,
    race_pace_crossing,
    race_pace_mps,
)
from retrotrack.race.passes import (
    NEAR_MISS_M,
    STANDSTILL_S,
    START_EXCLUSION_M,
    counted_finishes,
    distinct_passes,
    finish_at_track_end,
    standstill_at_line,
    start_at_track_begin,
)
from retrotrack.race.progress import (
    DEPTH_CELL_M,
    DEPTH_GRID_M,
    GPS_SD_M,
    DistanceRule,
    MarkFit,
    MarkObs,
    ProgressClock,
    StartAnchor,
    aligned_with,
    depth_prior,
    fit_marks,
    gps_error_model,
    independent_distance,
    lingering_share,
    pass_mark,
    smoothed_across,
)
from retrotrack.race.starts import (
    DEPARTURE_SD_S,
    DEPARTURE_SHIFT_S,
    ONSET_SD_S,
    ONSET_SHIFT_S,
    STAND_S,
    departure_s,
    gps_progress_times,
    motion_onset_s,
    sprint_start_times,
    stand_position,
    standing_fixes,
    still_records,
)
from retrotrack.text import far_text, fmt_clock, round_m

ACROSS_AT_GUN_M = 40.0
"""A runner standing up to this far past the start line at the gun is taken to be lined up on it: GPS error,
or a lane ahead of a waterfall line (lane 8 of an 800 m start in lanes stands 27 m past lane 1)."""
RACE_PACE_SHARE = 0.6
PACE_HELD_S = 5.0
"""A runner who does not finish stopped racing when they last held this share of their race pace this long."""
MAX_MARK_SHIFT_M = 15.0
"""A fitted mark further than this from the pass's own is not trusted (the pass's own is used)."""
GUN_REACTION_MAX_S = 10.0
"""Setting off this soon after the gun, having stood still before it, is reacting to the gun."""
MAX_DEPTH_M = 40.0
"""Standing this far behind the start line (the back of a deep field) still counts as lined up on it."""
PAST_LINE_M = 10.0
"""A lined-up runner has gone through the start when the GPS puts them this far past it."""
LANE_DEPTH_M = 1.0
"""Where the config has no start line (lanes), a runner standing still at the gun is this close behind their own."""
UP_TO_PACE_S = 5.0
"""A runner is up to race pace this long after their start: earlier fixes (standing, the first strides)
are no part of the pace carried through a line (the finish of a 100 m is 13-20 s from the gun)."""
RULE_SD_M = 0.5
RULE_SD_LANES = 0.0075
"""How far a runner's race from their standing start to the finish may measure from the race distance
on their watch: their own line and the watch's scale. Used for gun timing (races in lanes, where the
line is the measured one give or take a few tenths of a metre a bend); in an open race runners run
wide on every bend (a metre out is 6 m a lap), so the rule would pull every finish early."""
TRACE_POINTS = 600
"""A runner page's map and chart are a few hundred pixels wide: more records than this add bytes, not detail."""
FAR_FROM_COURSE_M = 2000.0
"""A track that never comes this close to any gate was run somewhere else (or the gates are wrong)."""
GPX_SPEED_GAP_S = 10.0
"""Records further apart than this (a pause, a lost signal) are not joined by the speed at either end."""
GPX_SPEED_SCALE = (0.5, 1.6)
"""A GPX speed must integrate to this share of the smoothed positions' distance; outside it, it is taken
to be in other units (km/h, mph, knots, ft/s: 1.9 times m/s or more) and not used. The positions' distance
grows while a runner stands (GPS wander): for a sprint's track, mostly standing, m/s gives 0.7."""


@dataclass
class RunnerTiming:
    """What one track says about a runner's race (seconds since the gun)."""

    status: str
    """"finished", "dnf", "dns" or "error" (the direction check is separate)."""
    reason: str | None = None
    start_s: float | None = None
    finish_s: float | None = None
    time_s: float | None = None
    splits: list[SplitTime] = field(default_factory=list)
    direction: DirectionCheck | None = None
    end_s: float | None = None
    """Where the direction check stops: the finish, or the end of the track."""
    start_method: str | None = None
    """"gun"; "standing" (lined up behind the start line: timed from setting off, to the line);
    "moving" (the GPS had them across the line before they set off); "crossing" (the GPS crossing); or
    "track start" (the track begins just past the line: the watch was started there)."""
    warnings: list[str] = field(default_factory=list)
    trace: RunnerTrace | None = None
    depth: "DepthModel | None" = None
    """How the times depend on the runner's depth behind the start line, where that is unknown."""
    depth_m: float | None = None
    """The depth behind the start line the times assume (its posterior mean)."""
    nearest_gate_m: dict[str, float] = field(default_factory=dict)
    """How close the track comes to the centre of each gate, by gate name (a gate no track comes near is
    in the wrong place)."""


def _gun_offset_s(activity: Activity, gun_time: datetime) -> float:
    """Seconds from the gun to the activity's first record."""
    start = activity.start_time
    if start.tzinfo is None:
        from datetime import timezone

        start = start.replace(tzinfo=timezone.utc)
    return (start - gun_time).total_seconds()


def smoothed_distance_m(t_s: np.ndarray, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Cumulative distance along a track after a short moving average of the positions.

    The average keeps a standing runner's GPS wander from adding up to tens of metres.
    """
    n = t_s.size
    out = np.zeros(n)
    ok = np.flatnonzero(np.isfinite(x_m) & np.isfinite(y_m))
    if ok.size < 2:
        return out
    k = min(5, ok.size)
    ker = np.ones(k) / k
    xs = np.convolve(np.pad(x_m[ok], (k // 2, k - 1 - k // 2), mode="edge"), ker, mode="valid")
    ys = np.convolve(np.pad(y_m[ok], (k // 2, k - 1 - k // 2), mode="edge"), ker, mode="valid")
    step = np.hypot(np.diff(xs), np.diff(ys))
    cum = np.concatenate(([0.0], np.cumsum(step)))
    out[ok] = cum
    # Fixes without a position carry the distance of the last one with.
    filled = np.maximum.accumulate(np.where(np.isin(np.arange(n), ok), out, 0.0))
    return filled


def speed_profile_mps(activity: Activity, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Speed at each record: the device's where it has one, else from positions over +-1 s."""
    spd = np.asarray(activity.speed_mps, dtype=float)
    t = activity.t_s
    n = t.size
    if n < 2:
        return np.zeros(n)
    pos = np.full(n, np.nan)
    ok = np.isfinite(x_m) & np.isfinite(y_m)
    if ok.sum() >= 2:
        ii = np.flatnonzero(ok)
        d = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x_m[ii]), np.diff(y_m[ii])))))
        dist = np.interp(t, t[ii], d)
        lo = np.interp(t - 1.0, t, dist)
        hi = np.interp(t + 1.0, t, dist)
        span = np.minimum(t + 1.0, t[-1]) - np.maximum(t - 1.0, t[0])
        pos = (hi - lo) / np.maximum(span, 1e-9)
    return np.where(np.isfinite(spd), spd, pos)


def stopped_racing_s(t_gun: np.ndarray, speed: np.ndarray, start_s: float, end_s: float) -> float:
    """A runner who did not finish: when they last held RACE_PACE_SHARE of their race pace for PACE_HELD_S.

    After that they walked off the course or stood about (facing any way), which
    is no part of their race: neither its direction nor its distance. `end_s`
    where they never slowed for good (the track simply ends).
    """
    inside = (t_gun >= start_s) & (t_gun <= end_s) & np.isfinite(speed)
    moving = np.flatnonzero(inside & (speed >= MOVING_SPEED_MPS))
    if moving.size < MIN_PACE_FIXES:
        return end_s
    # Race pace: the median over distance, not time (a long walk off covers little ground).
    order = np.argsort(speed[moving])
    v = speed[moving][order]
    ground = np.cumsum(v * np.gradient(t_gun)[moving][order])
    pace = float(v[np.searchsorted(ground, 0.5 * ground[-1])])
    fast = inside & (speed >= RACE_PACE_SHARE * pace)
    held = [b - 1 for a, b in true_runs(fast) if t_gun[b - 1] - t_gun[a] >= PACE_HELD_S]
    return float(t_gun[held[-1]]) if held else end_s


def _nearest_gate_m(race: RaceInfo, proj: LocalProjection, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """How close the track comes to the centre of each gate."""
    gates = race.gates
    gx, gy = proj.to_xy(np.array([g.lat_deg for g in gates]), np.array([g.lon_deg for g in gates]))
    ok = np.isfinite(x) & np.isfinite(y)
    d = np.hypot(x[ok][:, None] - gx[None, :], y[ok][:, None] - gy[None, :]).min(axis=0)
    return {g.name: float(m) for g, m in zip(gates, d)}


@dataclass
class DepthModel:
    """How a runner's times depend on how far behind the start line they stood (DEPTH_GRID_M).

    The depth is the one thing a single track cannot pin down to better than
    the GPS error; the field can (run.py fits a prior to every runner's depth
    likelihood and calls `apply_depth_prior`).
    """

    loglik: np.ndarray
    """Log-likelihood of each depth from this runner's own track."""
    start_s: np.ndarray
    """The start (seconds since the gun) for each depth."""
    event_s: np.ndarray
    """Each split event's time for each depth, shape (events, depths)."""
    events: list["SplitEvent"]
    onset_s: float | None
    """When the runner set off (seconds after the gun)."""
    kind: str
    """"line" (stood at the config's start line) or "lane" (stood still at the gun, no line in the config)."""
    onset_sd_s: float = 0.0
    """How uncertain `onset_s` is: from positions alone (departure_s), a second or two."""


@dataclass
class SplitEvent:
    """A counted crossing that becomes a split."""

    name: str
    distance_m: float | None
    finish: bool = False


@dataclass
class _Track:
    """One runner's records on the race's clock (seconds since the gun) and plane (metres), with what
    their start is read from: when they set off, and where they stood before."""

    activity: Activity
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    dist: np.ndarray
    """Distance along the (lightly smoothed) positions."""
    speed: np.ndarray
    cad: np.ndarray
    labels: np.ndarray
    """The direction detector's label per interval."""
    direction_method: str
    """Which evidence the detector had (DirectionTrack.method)."""
    dev: np.ndarray | None
    """The watch's own distance, where the file has one."""
    clock: ProgressClock | None
    device_speed: bool
    """The watch measures its own speed: setting off is judged on it, not on jittery positions."""
    go_speed: np.ndarray
    onset: float | None
    shifts: tuple[float, ...]
    onset_sd: float
    stand: np.ndarray | None

    @property
    def damaged(self) -> bool:
        return bool(self.activity.damage)


@dataclass
class _Start:
    """Where a runner's race began, before their depth behind the line is weighed."""

    start_s: float
    method: str
    anchor_kind: str | None = None
    """"line": stood at the start line; "lane": stood still at the gun, no line to measure from."""
    z_stand: float | None = None
    """Where the GPS had them standing, along the start line's bearing."""
    start_pass: GateCrossing | None = None
    """The GPS crossing of the start line that started the race (crossing and track starts)."""


@dataclass(frozen=True)
class _Crossings:
    """The crossings a runner's race is made of after their start: the counted finish crossings and each
    checkpoint's distinct crossings, up to the end of the race."""

    finish_gate: GateGeometry
    finishes: list[GateCrossing]
    """The counted finish crossings in order: laps, then the finish where they reached it."""
    checkpoints: list[tuple[GateGeometry, list[GateCrossing]]]
    """Each checkpoint's gate with its crossings between the start and `end_s`, in the config's order."""
    finished: bool
    """All of the race's `finish_crossings` were counted."""
    end_s: float
    """The end of the race: the last finish crossing, else the end of the track."""
    stop_s: float | None
    """When the runner came to a standstill at the finish line after finishing, if they did: the finish is
    no later."""


def time_activity(activity: Activity, race: RaceInfo, directions: DirectionTrack | None = None,
                  *, with_trace: bool = True) -> RunnerTiming:
    """Time one runner's race from their watch export: where it starts, the crossings that count, their
    times for each depth behind the start line, then the depth, the direction check and the verdict."""
    if activity.t_s.size < 2 or not activity.has_position:
        return _untimed(activity, "the track has no positions", "no positions", damage_is_why="track damaged")
    if activity.clock != "utc":
        # A watch without a GPS fix keeps its own clock: the track cannot be placed against the gun.
        why = ("its times are the watch's local time, with no offset from UTC" if activity.clock == "local"
               else "its times count from the watch's power-on, with no date or time of day")
        return RunnerTiming(status="error", reason=f"the track cannot be placed against the gun: {why}",
                            direction=DirectionCheck(None, "unverified", "track not timed"))
    t = np.asarray(activity.t_s, dtype=float) + _gun_offset_s(activity, race.gun_time)
    proj = LocalProjection(race.finish.lat_deg, race.finish.lon_deg)
    x, y = proj.to_xy(activity.lat_deg, activity.lon_deg)
    nearest_by_gate = _nearest_gate_m(race, proj, x, y)
    nearest_m = min(nearest_by_gate.values())
    if nearest_m > FAR_FROM_COURSE_M:
        return _untimed(activity, f"the track never comes within {far_text(nearest_m)} of the course's gates: "
                        "run somewhere else?", "no track on the course", nearest_gate_m=nearest_by_gate)
    if t[-1] < 0:
        return _untimed(activity, f"the track ends {fmt_clock(-t[-1])} before the gun", "no track over the race",
                        damage_is_why="track damaged before the gun")
    tr = _read_track(activity, t, x, y, directions)

    warnings: list[str] = []
    sg = GateGeometry.from_gate(race.start, proj) if race.start is not None else None
    st = _gun_start(tr, sg) if race.timing == "gun" else _chip_start(tr, sg, warnings)
    if isinstance(st, RunnerTiming):
        return st
    crossings = _counted_crossings(tr, race, proj, st.start_s, warnings)
    if tr.clock is None:
        _cross_at_race_pace(tr, race, st, crossings)
    model = _depth_model(tr, race, st, sg, crossings)

    timing = RunnerTiming(status="finished" if crossings.finished else "dnf", start_method=st.method,
                          warnings=warnings, depth=model, nearest_gate_m=nearest_by_gate)
    # Before the field is known: the most likely depth at a line (the GPS crossing, kept behind the line);
    # in lanes the prior is a proper one, and its median is the answer.
    _settle(timing, default_depth_prior(st.anchor_kind), median=st.anchor_kind == "lane")
    if st.anchor_kind is None:
        timing.depth = None
    _check_and_verdict(timing, tr, race, len(crossings.finishes), crossings.finished)
    if with_trace:
        timing.trace = _trace(activity, t, timing.start_s, timing.end_s, tr.speed, tr.labels)
    return timing


def _untimed(activity: Activity, reason: str, check_reason: str, *, damage_is_why: str | None = None,
             **extra) -> RunnerTiming:
    """A track with no race in it: `dns`, or `error` where the file is damaged (and then, given
    `damage_is_why`, the damage is the reason: "<damage_is_why>: <what the reader found>")."""
    damaged = bool(activity.damage)
    if damaged and damage_is_why is not None:
        reason = f"{damage_is_why}: {activity.damage[0]}"
    return RunnerTiming(status="error" if damaged else "dns", reason=reason,
                        direction=DirectionCheck(None, "unverified", check_reason), **extra)


def _read_track(activity: Activity, t: np.ndarray, x: np.ndarray, y: np.ndarray,
                directions: DirectionTrack | None) -> _Track:
    """The channels a race is timed from, and when and where the runner set off."""
    dist = smoothed_distance_m(t, x, y)
    speed = speed_profile_mps(activity, x, y)
    if directions is None:
        directions = detect_direction(activity)
    if activity.format == "gpx":
        gpx_speed = recorded_speed_mps(activity)
        dev = gpx_speed_distance(t, x, y, gpx_speed, dist) if gpx_speed is not None else None
        device_speed = gpx_speed is not None
    else:
        dev = watch_distance(activity, t, x, y)
        device_speed = np.isfinite(np.asarray(activity.speed_mps, dtype=float)).mean() > 0.5
    clock = ProgressClock(t, dev, activity.speed_mps) if dev is not None else None
    # Without the watch's own speed, GPS jitter around a standing runner looks like a metre a second:
    # setting off is judged on displacement over a few seconds instead.
    go_speed = speed if device_speed else displacement_speed_mps(t, x, y)
    cad = fill_short_gaps(t, np.asarray(activity.cadence_spm, dtype=float))
    onset = motion_onset_s(t, go_speed, cad, 0.0, reliable_speed=device_speed)
    shifts, onset_sd = ONSET_SHIFT_S, 0.0
    if onset is not None and not device_speed and not np.isfinite(cad[(t >= onset - STAND_S) & (t <= onset + 30.0)]).any():
        onset, shifts, onset_sd = departure_s(t, x, y, onset), DEPARTURE_SHIFT_S, DEPARTURE_SD_S
    stand = standing_fixes(t, x, y, go_speed, cad, onset, reliable_speed=device_speed)
    return _Track(activity, t, x, y, dist, speed, cad, directions.direction, directions.method, dev, clock,
                  device_speed, go_speed, onset, shifts, onset_sd, stand)


def _lined_up(line: GateGeometry, z: float, c: float) -> bool:
    """Standing at (along z, across c) of the start line is lined up on it (GPS error allowed)."""
    return -MAX_DEPTH_M <= z <= ACROSS_AT_GUN_M and abs(c) <= line.half_width_m + NEAR_MISS_M


def _gun_start(tr: _Track, line: GateGeometry | None) -> _Start | RunnerTiming:
    """Gun timing: everyone starts at the gun; a runner who stood still at it, reacting to it, is anchored
    where they stood (their line, or their lane where the config has no line there)."""
    after = tr.t >= 0
    moved = float(tr.dist[after][-1] - tr.dist[after][0]) if after.sum() >= 2 else 0.0
    if moved < 20.0 and tr.onset is None:
        return _untimed(tr.activity, "no movement along the course after the gun", "did not start",
                        damage_is_why="track damaged")
    st = _Start(0.0, "gun")
    if (tr.stand is not None and tr.onset is not None and tr.onset <= GUN_REACTION_MAX_S
            and tr.t[tr.stand[-1]] >= -2.0):
        st.anchor_kind = "lane"
        if line is not None:
            z, c = stand_position(line, tr.x, tr.y, tr.stand)
            if _lined_up(line, z, c):
                st.anchor_kind, st.z_stand = "line", z
    return st


def _chip_start(tr: _Track, sg: GateGeometry, warnings: list[str]) -> _Start | RunnerTiming:
    """Chip timing: lined up and then through the line (timed from setting off), a track begun at the line,
    or the first GPS crossing after the gun (from moving off, where the GPS had them across before)."""
    t, x, y, onset = tr.t, tr.x, tr.y, tr.onset
    st = None
    if tr.stand is not None and onset is not None:
        z, c = stand_position(sg, x, y, tr.stand)
        # They must then go through: well past the line soon after setting off.
        soon = np.flatnonzero((t >= onset) & (t <= onset + 15.0 + max(-z, 0.0) / 2.0) & (sg.along(x, y) > PAST_LINE_M))
        if _lined_up(sg, z, c) and soon.size:
            st = _Start(onset, "moving" if z > 0 else "standing", "line", z)
            if z > PAST_LINE_M:
                warnings.append(f"stood about {round_m(z)} m past the start line at the gun (more than GPS "
                                "error: a lane ahead of it?): timed from setting off, over a short race")
    if st is None:
        began = start_at_track_begin(sg, t, x, y, tr.go_speed if tr.device_speed else None)
        if began is not None:
            st = _Start(max(began.t_s, 0.0), "track start", start_pass=began)
            warnings.append("the track begins at the start line, already running (watch started there?): "
                            "the start is where its pace carries it back to the line")
    if st is None:
        crossings = find_crossings(sg, t, x, y)
        post = [c for c in crossings if c.t_interp_s >= 0.0 or c.t_s >= 0.0]
        if post:
            st = _Start(max(post[0].t_s, 0.0), "crossing", start_pass=post[0])
            if onset is not None and onset > st.start_s and onset - st.start_s < 10.0:
                # The GPS put them across before they moved: they start on moving off.
                st = _Start(onset, "moving")
        else:
            st = _running_through_the_gun(tr, crossings, warnings)
    if st is None:
        last = max((c.t_s for c in crossings), default=-np.inf)
        why = "no crossing of the start line after the gun"
        if last > -60.0:
            why += f" (the last was {fmt_clock(-last)} before it: is the gun_time right?)"
        return _untimed(tr.activity, why, "did not start", damage_is_why="track damaged before the start",
                        warnings=warnings)
    if st.start_s > 120.0:
        warnings.append(f"crossed the start line {fmt_clock(st.start_s)} after the gun")
    return st


def _running_through_the_gun(tr: _Track, crossings: list[GateCrossing], warnings: list[str]) -> _Start | None:
    """A runner who crossed the start line running, in the last seconds before the gun, and ran on: a
    false start, or a gun_time set a little late. A chip time never starts before the gun: from the gun."""
    early = [c for c in crossings if -GUN_REACTION_MAX_S <= c.t_s < 0.0]
    if not early:
        return None
    through = (tr.t >= early[-1].t_s) & (tr.t <= 3.0)
    if not np.nanmin(tr.go_speed[through], initial=np.inf) >= MOVING_SPEED_MPS:
        return None
    warnings.append(f"crossed the start line {-early[-1].t_s:.1f} s before the gun, running: timed from the gun "
                    "(a false start, or the config's gun_time a little late?)")
    return _Start(0.0, "crossing", start_pass=early[-1])


def _counted_crossings(tr: _Track, race: RaceInfo, proj: LocalProjection, start_s: float,
                       warnings: list[str]) -> _Crossings:
    """The finish crossings that count (`_finish_passes`), and each checkpoint's distinct crossings between
    the start and the end of the race."""
    t, x, y = tr.t, tr.x, tr.y
    # Passes are counted along the watch's own distance where it has one: the positions' path length
    # grows with GPS noise (by a tenth with a few metres from fix to fix).
    count_dist = tr.dev if tr.dev is not None else tr.dist
    race_dist = count_dist - float(np.interp(start_s, t, count_dist))
    fg = GateGeometry.from_gate(race.finish, proj)
    counted, stop_s = _finish_passes(tr, race, fg, start_s, race_dist, warnings)
    finished = len(counted) == race.finish_crossings
    end_s = counted[-1].t_s if finished else float(t[-1])
    checkpoints = []
    for cp in race.checkpoints:
        g = GateGeometry.from_gate(cp, proj)
        checkpoints.append((g, distinct_passes([c for c in find_crossings(g, t, x, y) if start_s < c.t_s <= end_s],
                                               t, race_dist)))
    return _Crossings(fg, counted, checkpoints, finished, end_s, stop_s)


def _finish_passes(tr: _Track, race: RaceInfo, fg: GateGeometry, start: float, race_dist: np.ndarray,
                   warnings: list[str]) -> tuple[list[GateCrossing], float | None]:
    """The counted crossings of the finish (the last one where a track ends at the line, or where the runner
    stood still just short of it), and when they came to a standstill at it after finishing, if they did."""
    t, x, y = tr.t, tr.x, tr.y
    counted = counted_finishes(fg, t, x, y, start, race_dist, race)
    if len(counted) == race.finish_crossings - 1:
        last = finish_at_track_end(fg, t, x, y, race_dist, counted, race, tr.go_speed if tr.device_speed else None)
        if last is not None:
            counted.append(last)
            warnings.append("the track ends at the finish line, still running (watch stopped there?): "
                            "the finish is where its pace carries it to the line")
    if len(counted) != race.finish_crossings:
        return counted, None
    stop_s = standstill_at_line(fg, t, x, y, counted[-1], still_records(t, x, y, tr.go_speed, tr.cad, tr.device_speed))
    if stop_s is not None and stop_s < counted[-1].t_s - STANDSTILL_S:
        walked = counted[-1].t_s - stop_s
        at = int(np.searchsorted(t, stop_s, side="right")) - 1
        counted[-1] = replace(counted[-1], t_s=stop_s, t_interp_s=stop_s, index=at)
        short = float(np.median(fg.along(x[at:at + 5], y[at:at + 5])))
        where = f" {-short:.0f} m short of it" if short < -NEAR_MISS_M else ""
        warnings.append(f"stopped at the finish line, where the GPS had them{where} and put them across it "
                        f"{fmt_clock(walked)} later, walking: timed at their pace into the line")
    return counted, stop_s


def _at_pace_s(tr: _Track, st: _Start) -> float:
    """From when the runner is up to race pace: their start (or setting off) and UP_TO_PACE_S."""
    return max(st.start_s, tr.onset if tr.onset is not None else st.start_s) + UP_TO_PACE_S


def _cross_at_race_pace(tr: _Track, race: RaceInfo, st: _Start, crossings: _Crossings) -> None:
    """Positions alone: each crossing from the runner's pace through the line (see race_pace_crossing)."""
    t, x, y = tr.t, tr.x, tr.y
    n_laps = race.finish_crossings
    gates = [(crossings.finish_gate, c, crossings.finished and k == n_laps)
             for k, c in enumerate(crossings.finishes, start=1)]
    gates += [(g, c, False) for g, cps in crossings.checkpoints for c in cps]
    aligned = {id(g): aligned_with(g, x, y) for g in {id(g): g for g, _, _ in gates}.values()}
    passes = [PacePass(g, c, last, aligned[id(g)]) for g, c, last in gates]
    at_pace_s = _at_pace_s(tr, st)
    window_s = pace_window_s(passes, t, x, y, from_s=at_pace_s)
    for p in passes:
        p.crossing.t_s = race_pace_crossing(p.geom, t, x, y, p.crossing, finish=p.finish, window_s=window_s,
                                            aligned=p.aligned, from_s=at_pace_s)


def _stand_error_carried(tr: _Track, st: _Start, sg: GateGeometry, gates: list[GateGeometry],
                         times_s: list[float]) -> np.ndarray:
    """Seconds each crossing (positions alone) moves per metre of GPS error where the runner stood at the
    start line, in the order of `gates` and `times_s`.

    Standing still just behind the start line, a runner shows the GPS error there: where it had them, less
    where they stood (their depth). Much of that error may still be there at a line crossed soon after
    (the finish of a 100 m is 15-25 s from the gun), how much depending on how the fixes scattered while
    they stood (progress.lingering_share); its part along that line's bearing puts the GPS crossing early
    or late by that many metres at the runner's pace. The watch-distance fit does the same with its
    standing mark (progress.py)."""
    t_stand = tr.t[tr.stand]
    lingers = lingering_share([(t_stand, sg.along(tr.x[tr.stand], tr.y[tr.stand]))],
                              np.asarray(times_s) - float(np.mean(t_stand)))
    out = np.zeros(len(gates))
    if lingers is None:
        return out
    at_pace_s = _at_pace_s(tr, st)
    for i, (g, when) in enumerate(zip(gates, times_s)):
        if lingers[i] < 0.01:
            continue
        pace = race_pace_mps(tr.t, tr.x, tr.y, when, at_pace_s)
        if pace is not None and pace >= MOVING_SPEED_MPS:
            out[i] = lingers[i] * (sg.ux * g.ux + sg.uy * g.uy) / pace
    return out


def _depth_model(tr: _Track, race: RaceInfo, st: _Start, sg: GateGeometry | None,
                 crossings: _Crossings) -> DepthModel:
    """The start and each split's time for each depth behind the start line (DEPTH_GRID_M), and how likely
    each depth is from the runner's own track. Times are sharpest from the watch distance (every pass
    fitted together), else they are the GPS crossings', less what the GPS error where the runner stood at
    the start line still adds to them."""
    events, gps_times, gates = _split_events(race, crossings)
    event_s = np.repeat(np.asarray(gps_times, dtype=float).reshape(-1, 1), DEPTH_GRID_M.size, axis=1)
    fitted = _fit_passes(tr, race, st, sg, crossings) if tr.clock is not None else None
    fit = fitted.fit if fitted is not None else None
    if fit is not None:
        finish_clock = held_to_pace(tr.clock, crossings.finishes[-1].t_s) if crossings.finished else tr.clock
        event_s = _fitted_event_times(tr.clock, finish_clock, fitted, events, gps_times)
    elif st.z_stand is not None and sg is not None and tr.stand is not None:
        carried = _stand_error_carried(tr, st, sg, gates, gps_times)
        event_s = event_s + np.outer(carried, st.z_stand + DEPTH_GRID_M)
    if crossings.stop_s is not None:
        last = len(crossings.finishes) - 1
        event_s[last] = np.minimum(event_s[last], crossings.stop_s)
    start_s = _start_times(tr, race, st, sg, fitted)
    loglik = np.zeros(DEPTH_GRID_M.size)
    if fit is not None and fit.depth_loglik is not None:
        loglik = fit.depth_loglik
    elif st.z_stand is not None:
        loglik = -0.5 * ((DEPTH_GRID_M + st.z_stand) / GPS_SD_M) ** 2
    return DepthModel(loglik, start_s, event_s, events, tr.onset, st.anchor_kind or "none", tr.onset_sd)


def _split_events(race: RaceInfo, crossings: _Crossings
                  ) -> tuple[list[SplitEvent], list[float], list[GateGeometry]]:
    """Each counted finish crossing (a lap, or the finish) and checkpoint crossing, with its GPS time and
    its line."""
    n_laps = race.finish_crossings
    events: list[SplitEvent] = []
    gps_times: list[float] = []
    gates: list[GateGeometry] = []
    for k, c in enumerate(crossings.finishes, start=1):
        last = crossings.finished and k == n_laps
        d = race.distance_m if last else (race.distance_m - (n_laps - k) * race.lap_m if race.lap_m else None)
        events.append(SplitEvent("finish" if last else f"lap {k}", d, last))
        gps_times.append(c.t_s)
        gates.append(crossings.finish_gate)
    for g, cps in crossings.checkpoints:
        for k, c in enumerate(cps, start=1):
            events.append(SplitEvent(g.name if len(cps) == 1 else f"{g.name} ({k})", None))
            gps_times.append(c.t_s)
            gates.append(g)
    return events, gps_times, gates


def _fitted_event_times(clock: ProgressClock, finish_clock: ProgressClock, fitted: _PassFit,
                        events: list[SplitEvent], gps_times: list[float]) -> np.ndarray:
    """Each event's time for each depth (DEPTH_GRID_M), from the marks fitted on the watch's distance."""
    grid = DEPTH_GRID_M
    event_s = np.empty((len(events), grid.size))
    for i, key in enumerate(fitted.event_keys):
        base, slope = fitted.fit.marks.get(key, (np.nan, 0.0))
        seen = fitted.seen_mark_m.get(key)
        if np.isfinite(base):
            marks = base + slope * grid
            tt = (finish_clock if events[i].finish else clock).time_at(marks)
            # A fit that strays far from what the pass itself says speaks of noise, not of the runner.
            ok = np.abs(marks - seen) <= MAX_MARK_SHIFT_M if seen is not None else np.abs(tt - gps_times[i]) <= 5.0
            event_s[i] = np.where(ok, tt, clock.time_at(seen) if seen is not None else gps_times[i])
        else:
            event_s[i] = gps_times[i]
    return event_s


def _start_times(tr: _Track, race: RaceInfo, st: _Start, sg: GateGeometry | None,
                 fitted: _PassFit | None) -> np.ndarray:
    """The start for each depth behind the line (DEPTH_GRID_M); `fitted` is there where the watch has a
    distance of its own."""
    grid = DEPTH_GRID_M
    if race.timing == "gun":
        return np.zeros(grid.size)
    if st.anchor_kind == "line":
        if tr.clock is not None:
            start_s = tr.clock.time_at(fitted.anchor_mark_m + grid)
        else:
            start_s = sprint_start_times(sg, tr.t, tr.x, tr.y, tr.stand, tr.onset, tr.shifts,
                                         None if tr.onset_sd else ONSET_SD_S)
            if start_s is None:
                start_s = gps_progress_times(sg, tr.t, tr.x, tr.y, tr.stand, tr.onset)
        # Not before they set off, as far as that is known (from positions alone, to a few seconds).
        return np.maximum(start_s, max(tr.onset + (tr.shifts[0] if tr.onset_sd else 0.0), 0.0))
    fit = fitted.fit if fitted is not None else None
    if st.start_pass is not None and fit is not None and ("start", 0) in fit.marks:
        tt = float(tr.clock.time_at(fit.marks[("start", 0)][0]))
        return np.full(grid.size, max(tt, 0.0) if abs(tt - st.start_s) <= 3.0 else st.start_s)
    return np.full(grid.size, st.start_s)


def _check_and_verdict(timing: RunnerTiming, tr: _Track, race: RaceInfo, n_counted: int, finished: bool) -> None:
    """The direction check over the runner's race, and why a runner who did not finish did not."""
    t = tr.t
    start = timing.start_s
    # A damaged track's direction check covers all that is readable (INTERFACE.md).
    if finished:
        end = timing.finish_s
    elif tr.damaged:
        end = float(t[-1])
    else:
        end = stopped_racing_s(t, tr.go_speed, start, float(t[-1]))
    timing.end_s = end
    race_dist = tr.dist - float(np.interp(start, t, tr.dist))
    timing.direction = direction_check(t, tr.labels, start, end, race, race_dist,
                                       facing_evidence(tr.activity, tr.x, tr.y, race.direction), tr.direction_method)
    covered = float(np.interp(end, t, race_dist))
    if finished:
        return
    where = f"{covered / 1000:.2f} km" if covered >= 1000 else f"{covered:.0f} m"
    n_laps = race.finish_crossings
    laps = f" ({n_counted} of {n_laps} finish-line crossings)" if n_laps > 1 else ""
    if tr.damaged:
        timing.status = "error"
        timing.reason = f"track damaged before the finish, readable to {where}{laps}: {tr.activity.damage[0]}"
    elif end < t[-1] - PACE_HELD_S:
        timing.status = "dnf"
        timing.reason = f"stopped racing after {where}{laps}, without reaching the finish"
    else:
        timing.status = "dnf"
        timing.reason = f"track ends after {where} without reaching the finish{laps}"


def _settle(timing: RunnerTiming, prior: np.ndarray | None, *, median: bool = False) -> None:
    """Start, finish, time and splits from the depth model at one depth.

    The depth is the most likely one under `prior` or, with `median` (a prior
    learnt from the field, which can be trusted as a distribution), the
    posterior median: the depth that minimises the expected absolute error.
    """
    dm = timing.depth
    grid = DEPTH_GRID_M
    if prior is None:
        d = 0.0
    else:
        logp = dm.loglik + np.log(np.maximum(prior, 1e-300))
        if median:
            w = np.exp(logp - logp.max()) * DEPTH_CELL_M
            cw = np.cumsum(w) / w.sum()
            d = float(np.interp(0.5, cw, grid))
        else:
            i = int(np.argmax(logp))
            d = float(grid[i])
            if 0 < i < grid.size - 1:
                # The peak between grid points (a parabola through three).
                l0, l1, l2 = logp[i - 1], logp[i], logp[i + 1]
                den = l0 - 2 * l1 + l2
                if den < 0:
                    off = 0.5 * (l0 - l2) / den
                    d = float(np.interp(i + np.clip(off, -1, 1), np.arange(grid.size), grid))
        timing.depth_m = d
    start = float(np.interp(d, grid, dm.start_s))
    ev = np.array([np.interp(d, grid, row) for row in dm.event_s]) if len(dm.events) else np.zeros(0)
    events = dm.events
    order = sorted(range(len(events)), key=lambda i: (ev[i], not events[i].finish))
    finish = next((float(ev[i]) for i in order if events[i].finish), None)
    if finish is not None:
        # The finish is the last split whatever the rounding.
        order = [i for i in order if ev[i] < finish or events[i].finish]
    splits = []
    prev = 0.0
    for i in order:
        el = float(ev[i]) - start
        splits.append(SplitTime(name=events[i].name, elapsed_s=el, split_s=el - prev, distance_m=events[i].distance_m))
        prev = el
    timing.start_s = start
    timing.splits = splits
    if finish is not None:
        timing.finish_s = finish
        timing.time_s = finish - start


def apply_depth_prior(timing: RunnerTiming, prior: np.ndarray) -> None:
    """Re-time a runner under a depth prior learnt from the field (run.py); the direction check stands."""
    if timing.depth is None or timing.start_s is None:
        return
    old = timing.start_s
    _settle(timing, prior, median=True)
    if timing.finish_s is not None:
        timing.end_s = timing.finish_s
    if timing.trace is not None:
        timing.trace.t_s = timing.trace.t_s - (timing.start_s - old)


def default_depth_prior(kind: str | None) -> np.ndarray | None:
    """The depth prior before the field is known: anywhere up to MAX_DEPTH_M at a line; just behind it in lanes."""
    if kind is None:
        return None
    return depth_prior(LANE_DEPTH_M if kind == "lane" else MAX_DEPTH_M)


def fill_short_gaps(t: np.ndarray, values: np.ndarray, max_gap_s: float = 5.0) -> np.ndarray:
    """A channel with its short gaps (a record or two without a value) filled from the nearest record."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if ok.all() or not ok.any():
        return v
    idx = np.flatnonzero(ok)
    pos = np.searchsorted(t[idx], t)
    left = idx[np.clip(pos - 1, 0, idx.size - 1)]
    right = idx[np.clip(pos, 0, idx.size - 1)]
    nearest = np.where(np.abs(t[left] - t) <= np.abs(t[right] - t), left, right)
    fill = ~ok & (np.abs(t[nearest] - t) <= max_gap_s)
    out = v.copy()
    out[fill] = v[nearest[fill]]
    return out


def _same_line(a: GateGeometry, b: GateGeometry) -> bool:
    """Two gates on one line: within a few metres and bearings within 30 degrees."""
    close = np.hypot(a.x0_m - b.x0_m, a.y0_m - b.y0_m) <= 5.0
    return bool(close and a.ux * b.ux + a.uy * b.uy >= np.cos(np.radians(30.0)))


@dataclass(frozen=True)
class _LinePass:
    """One pass of a line, to be fitted with the others."""

    key: tuple[str, int]
    """The fit's handle for it: ("finish", k), (checkpoint name, k) or ("start", k) for the kth counted pass
    of that gate; ("start", 0) is the crossing that started the race."""
    line: int
    """Which line, as an index into `_PassesByLine.lines`."""
    crossing: GateCrossing


@dataclass(frozen=True)
class _PassesByLine:
    """Every pass to fit, and the distinct lines they are passes of (gates that share a line are one)."""

    lines: list[GateGeometry]
    """Each line's geometry (that of its first gate), by line index."""
    passes: list[_LinePass]
    start_line: int | None
    """The start line's index; None where the config has no start line."""


@dataclass(frozen=True)
class _PassFit:
    """Every pass's mark fitted together (`_fit_passes`), with what the split times are read from."""

    fit: MarkFit | None
    """The fitted marks by pass key (None: nothing to fit)."""
    anchor_mark_m: float | None
    """The watch distance where the runner set off from standing (None: no standing start)."""
    event_keys: list[tuple[str, int]]
    """The pass key of each split event, in `_split_events`' order."""
    seen_mark_m: dict[tuple[str, int], float]
    """Each pass's own mark, by key: a fitted mark too far from it is not trusted."""


def _passes_by_line(tr: _Track, st: _Start, start_gate: GateGeometry | None, crossings: _Crossings) -> _PassesByLine:
    """Every pass to fit, and the distinct lines they are passes of.

    Gates that share a line (a start on the finish line) are one line. The start
    line's own later passes count as laps, except within START_EXCLUSION_M of the
    race's start or of a finish pass on the same line.
    """
    t, clock = tr.t, tr.clock
    lines: list[GateGeometry] = []

    def line_of(g: GateGeometry) -> int:
        for i, h in enumerate(lines):
            if _same_line(g, h):
                return i
        lines.append(g)
        return len(lines) - 1

    finish_line = line_of(crossings.finish_gate)
    passes = [_LinePass(("finish", k), finish_line, c) for k, c in enumerate(crossings.finishes, start=1)]
    for g, cps in crossings.checkpoints:
        line = line_of(g)
        passes += [_LinePass((g.name, k), line, c) for k, c in enumerate(cps, start=1)]
    start_line = None
    if start_gate is not None:
        start_line = line_of(start_gate)
        race_d = clock.mark_at(t)
        d0 = float(clock.mark_at(st.start_s))
        laps = distinct_passes([c for c in find_crossings(start_gate, t, tr.x, tr.y)
                                if st.start_s < c.t_s <= crossings.end_s], t, race_d)
        for k, c in enumerate(laps, start=1):
            if race_d[min(c.index + 1, t.size - 1)] - d0 < START_EXCLUSION_M:
                continue
            if start_line == finish_line and any(abs(race_d[c.index] - race_d[p.crossing.index]) < START_EXCLUSION_M
                                                 for p in passes if p.line == finish_line):
                continue
            passes.append(_LinePass(("start", k), start_line, c))
        if st.start_pass is not None:
            passes.append(_LinePass(("start", 0), start_line, st.start_pass))
    return _PassesByLine(lines, passes, start_line)


def _median_lap_m(obs: list[MarkObs]) -> float | None:
    """The lap length the marks show: the median gap between successive passes of one line."""
    by_line: dict[int, list[float]] = {}
    for o in obs:
        by_line.setdefault(o.line, []).append(o.mark_m)
    diffs = [np.diff(sorted(v)) for v in by_line.values() if len(v) >= 2]
    return float(np.median(np.concatenate(diffs))) if diffs else None


def _lap_numbers(obs: list[MarkObs], lap_m: float | None, anchored_line: int | None,
                 anchor_mark_m: float | None) -> dict[tuple[str, int], int]:
    """Each observation's lap, by key: each line's passes numbered in order of mark (the line the runner
    stood on at the start counts from lap 0 at `anchor_mark_m`). A gap of about n laps between two passes
    (a pass the GPS missed) skips n - 1. Numbering by distance alone would drift: a runner's lap on their
    watch is a few metres longer than the course's."""
    lap_no: dict[tuple[str, int], int] = {}
    for line in {o.line for o in obs}:
        mine = sorted((o for o in obs if o.line == line), key=lambda o: o.mark_m)
        if line == anchored_line:
            prev_m, j = anchor_mark_m, 0
        else:
            prev_m, j = None, None
        for o in mine:
            if o.key == ("stand", 0):
                lap_no[o.key] = 0
                continue
            if prev_m is None:
                j = 0
            else:
                j += max(1, int(round((o.mark_m - prev_m) / lap_m))) if lap_m else 1
            lap_no[o.key] = j
            prev_m = o.mark_m
    return lap_no


def _observed_marks(tr: _Track, st: _Start, by_line: _PassesByLine, anchor_mark_m: float | None) -> list[MarkObs]:
    """Each pass's own mark (pass_mark), then, for a runner who stood at the start line, their GPS
    position there as a mark of that line. Laps are left at 0: `_lap_numbers` numbers them from all
    the marks at once."""
    t, x, y, clock = tr.t, tr.x, tr.y, tr.clock
    lines = by_line.lines
    # How far into the race a mark is: from where they set off standing, else from their start.
    base_mark_m = anchor_mark_m if anchor_mark_m is not None else float(clock.mark_at(st.start_s))
    aligned = [aligned_with(g, x, y) for g in lines]
    across = [smoothed_across(g, x, y) for g in lines]
    obs: list[MarkObs] = []
    for p in by_line.passes:
        g = lines[p.line]
        seen = pass_mark(g, t, x, y, clock, p.crossing.index, p.crossing.t_s, aligned[p.line], across[p.line])
        if seen is not None:
            obs.append(MarkObs(p.line, 0, seen.t_s, seen.mark_m, g.ux, g.uy, max(seen.mark_m - base_mark_m, 0.0), p.key,
                               seen.fix_t_s, seen.fix_marks_m))
    # The GPS position while standing at the start line is a mark of that line at lap 0.
    if st.anchor_kind == "line" and st.z_stand is not None and by_line.start_line is not None:
        g = lines[by_line.start_line]
        mark_m = anchor_mark_m - st.z_stand
        obs.append(MarkObs(by_line.start_line, 0, float(np.mean(t[tr.stand])), mark_m, g.ux, g.uy,
                           max(mark_m - base_mark_m, 0.0), ("stand", 0), t[tr.stand], None))
    return obs


def _fit_passes(tr: _Track, race: RaceInfo, st: _Start, start_gate: GateGeometry | None,
                crossings: _Crossings) -> _PassFit:
    """Marks of every pass of every line between the start and the end of the race, fitted together
    (see progress.py): the track's `clock` must be there."""
    by_line = _passes_by_line(tr, st, start_gate, crossings)
    anchor_mark_m = float(tr.clock.mark_at(tr.onset)) if st.anchor_kind is not None else None
    obs = _observed_marks(tr, st, by_line, anchor_mark_m)
    lap_m = race.lap_m if race.lap_m is not None else _median_lap_m(obs)
    anchored_line = by_line.start_line if st.anchor_kind == "line" else None
    lap_no = _lap_numbers(obs, lap_m, anchored_line, anchor_mark_m)
    obs = [replace(o, lap=lap_no[o.key]) for o in obs]
    anchor = None
    rule = None
    if st.anchor_kind is not None:
        anchor = StartAnchor(anchor_mark_m, anchored_line)
        fin = [o for o in obs if o.key == ("finish", race.finish_crossings)] if crossings.finished else []
        if fin and race.timing == "gun" and race.finish_crossings == 1:
            sd = RULE_SD_M + RULE_SD_LANES * race.distance_m
            rule = DistanceRule(fin[0].line, fin[0].lap, race.distance_m, sd)
    error = gps_error_model(obs)
    fit = fit_marks(obs, anchor, rule, **({} if error is None else {"sd_m": error[0], "corr_s": error[1]}))
    if fit is not None and rule is not None and fit.rule_mark is not None:
        fit.marks[("finish", race.finish_crossings)] = fit.rule_mark
    event_keys = [("finish", k) for k in range(1, len(crossings.finishes) + 1)]
    for g, cps in crossings.checkpoints:
        event_keys += [(g.name, k) for k in range(1, len(cps) + 1)]
    return _PassFit(fit, anchor_mark_m, event_keys, {o.key: o.mark_m for o in obs})


def watch_distance(activity: Activity, t: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The watch's own distance, when the file has one: FIT's distance channel; for GPX (whose readers
    derive distance from positions), the integral of a speed the device recorded (Garmin's
    TrackPointExtension v2 and Apple Health exports carry one). A speed that is only the positions'
    steps over time is no second sensor, and nor is a distance the reader measured along the fixes."""
    if activity.format != "gpx":
        return independent_distance(t, activity.distance_m, x, y) if activity.distance_source == "device" else None
    v = recorded_speed_mps(activity)
    if v is None:
        return None
    return gpx_speed_distance(t, x, y, v, smoothed_distance_m(t, x, y))


def gpx_speed_distance(t: np.ndarray, x: np.ndarray, y: np.ndarray, v: np.ndarray,
                       path_m: np.ndarray) -> np.ndarray | None:
    """A GPX file's recorded speed `v` integrated to a distance, unless it is no second sensor (the
    positions' own steps over time) or is in other units than m/s; `path_m` is smoothed_distance_m."""
    dt = np.diff(t)
    ok = np.isfinite(x) & np.isfinite(y)
    steps = np.hypot(np.diff(x), np.diff(y))
    pair = ok[1:] & ok[:-1]
    # A speed that is each fix's step over its time (either way round) integrates back to the path itself.
    for rule in (v[1:], v[:-1]):
        if independent_distance(t, np.concatenate(([0.0], np.cumsum(rule * dt))), x, y) is None:
            return None
    step = 0.5 * (v[1:] + v[:-1]) * dt
    # Across a pause or a gap in the recording the speed says nothing: the straight line between the fixes.
    gap = dt > GPX_SPEED_GAP_S
    step[gap] = np.where(pair[gap], steps[gap], 0.0)
    d = np.concatenate(([0.0], np.cumsum(step)))
    # GPX leaves units to the writer: a speed in km/h or knots is no measure of the distance run.
    if not GPX_SPEED_SCALE[0] <= d[-1] / max(float(path_m[-1] - path_m[0]), 1.0) <= GPX_SPEED_SCALE[1]:
        return None
    return independent_distance(t, d, x, y)


def _trace(activity: Activity, t: np.ndarray, start: float, end: float, speed: np.ndarray, labels: np.ndarray) -> RunnerTrace:
    """The runner's race for the page's map and chart, thinned to about TRACE_POINTS records.

    Every record where the direction changes is kept, so each thinned interval
    still has one direction (that of its first record).
    """
    sel = np.flatnonzero((t >= start - 1e-9) & (t <= end + 1e-9))
    if sel.size == 0:
        sel = np.array([int(np.clip(np.searchsorted(t, start), 0, t.size - 1))])
    if sel.size > TRACE_POINTS and labels.size >= sel[-1]:
        step = int(np.ceil(sel.size / TRACE_POINTS))
        keep = np.zeros(sel.size, bool)
        keep[::step] = True
        keep[-1] = True
        change = np.flatnonzero(np.diff(labels[sel[:-1]].astype(np.int16))) + 1
        if change.size <= TRACE_POINTS:
            keep[change] = True
        sel = sel[keep]
    lab = labels[sel[:-1]] if sel.size > 1 and labels.size >= sel[-1] else np.zeros(max(sel.size - 1, 0), np.uint8)
    return RunnerTrace(
        t_s=t[sel] - start,
        lat_deg=np.asarray(activity.lat_deg, dtype=float)[sel],
        lon_deg=np.asarray(activity.lon_deg, dtype=float)[sel],
        speed_mps=speed[sel],
        cadence_spm=np.asarray(activity.cadence_spm, dtype=float)[sel],
        direction=np.asarray(lab, dtype=np.uint8),
    )
