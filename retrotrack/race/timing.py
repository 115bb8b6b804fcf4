"""One runner's race from their track: start, counted finish crossings, splits and the direction check.

All times here are seconds since the gun. The rules are INTERFACE.md's:

- chip timing starts at the runner's own crossing of `start` after the gun; a
  runner whose GPS already has them across the line at the gun (or who is put
  across it by GPS wander before moving) starts when they start moving, and no
  chip time starts before the gun;
- gun timing starts everyone at the gun;
- counted crossings of `finish` are those after the start except any within
  the first 50 m of the runner's race (measured along their track); the race
  ends at the `finish_crossings`th. Warm-up and cool-down crossings never count;
- checkpoint crossings between start and finish are splits (each lap on a loop);
- the direction check covers start to finish, or to where the track ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from retrotrack.direction import DirectionTrack, detect_direction
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity, Direction
from retrotrack.race.gates import GateCrossing, GateGeometry, find_crossings
from retrotrack.race.model import RaceInfo, RunnerTrace, SplitTime
from retrotrack.race.progress import independent_distance, retime_from_distance, sharpen_crossings

START_EXCLUSION_M = 50.0
"""Finish crossings within this distance of the runner's start are the start itself."""
ACROSS_AT_GUN_M = 25.0
"""A runner standing up to this far past the start line at the gun is taken to be lined up on it (GPS error)."""
UNVERIFIED_BELOW = 0.5
"""The direction check is unverified when less than this share of the moving time has a known direction."""
MOVING_SPEED_MPS = 1.0
"""Faster than this the runner has set off (a backward walk is ~0.8-1.2 m/s, racing is 2-7 m/s)."""


@dataclass
class DirectionCheck:
    """The share of the race run in the required direction, and whether that passes."""

    backward_fraction: float | None
    check: str
    reason: str | None = None
    known_s: float = 0.0
    moving_s: float = 0.0


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
    race_distance_m: float | None = None
    """Distance along the track from the start to `end_s`."""
    start_method: str | None = None
    """"gun", "crossing" or "moving" (across the line at the gun: started on moving off)."""
    warnings: list[str] = field(default_factory=list)
    trace: RunnerTrace | None = None


def fmt_clock(seconds: float, decimals: int = 0) -> str:
    """m:ss or h:mm:ss, with `decimals` decimals of a second."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    scale = 10**decimals
    total = round(seconds * scale)
    whole, frac = divmod(total, scale)
    h, rem = divmod(int(whole), 3600)
    m, s = divmod(rem, 60)
    tail = f".{frac:0{decimals}d}" if decimals else ""
    return f"{sign}{h}:{m:02d}:{s:02d}{tail}" if h else f"{sign}{m}:{s:02d}{tail}"


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


def motion_onset_s(t_gun: np.ndarray, speed: np.ndarray, cadence: np.ndarray, after_s: float) -> float | None:
    """When the runner sets off after `after_s`: sustained speed (or steps), traced back to where it began."""
    n = t_gun.size
    moving = (np.isfinite(speed) & (speed >= MOVING_SPEED_MPS)) | (np.isfinite(cadence) & (cadence >= 120))
    idx = np.flatnonzero(moving & (t_gun >= after_s))
    for i in idx.tolist():
        j_end = min(i + 3, n)
        if moving[i:j_end].all() or j_end - i < 2:
            # Walk back to the last record that was still (nearly) standing.
            k = i
            while k - 1 >= 0 and t_gun[k - 1] >= after_s and np.isfinite(speed[k - 1]) and speed[k - 1] >= 0.4:
                k -= 1
            if k == 0 or t_gun[k - 1] < after_s:
                return max(float(t_gun[k]) - 0.5, after_s) if k > 0 else float(t_gun[k])
            # Interpolate where the speed rose through half the moving threshold.
            v0 = speed[k - 1] if np.isfinite(speed[k - 1]) else 0.0
            v1 = speed[k] if np.isfinite(speed[k]) else MOVING_SPEED_MPS
            target = 0.4
            f = (target - v0) / (v1 - v0) if v1 > v0 else 0.0
            f = float(np.clip(f, 0.0, 1.0))
            return max(float(t_gun[k - 1] + f * (t_gun[k] - t_gun[k - 1])), after_s)
    return None


def _position_at(t_gun, x, y, when: float) -> tuple[float, float] | None:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return None
    tt = t_gun[ok]
    if when < tt[0] or when > tt[-1]:
        return None
    return float(np.interp(when, tt, x[ok])), float(np.interp(when, tt, y[ok]))


def direction_check(
    t_gun: np.ndarray,
    labels: np.ndarray,
    start_s: float,
    end_s: float,
    race: RaceInfo,
    race_dist_m: np.ndarray,
) -> DirectionCheck:
    """Share of the known-direction moving time in [start_s, end_s] run in `race.direction`."""
    if t_gun.size < 2 or end_s <= start_s:
        return DirectionCheck(None, "unverified", "no track over the race")
    lo = np.clip(t_gun[:-1], start_s, end_s)
    hi = np.clip(t_gun[1:], start_s, end_s)
    dur = hi - lo
    want = Direction.BACKWARD if race.direction == "backward" else Direction.FORWARD
    other = Direction.FORWARD if want == Direction.BACKWARD else Direction.BACKWARD
    good = float(dur[labels == want].sum())
    bad = float(dur[labels == other].sum())
    unknown = float(dur[labels == Direction.UNKNOWN].sum())
    moving = good + bad + unknown
    known = good + bad
    frac = good / known if known > 0 else None
    if moving <= 0 or known < UNVERIFIED_BELOW * moving:
        share = f"{100 * known / moving:.0f} %" if moving > 0 else "none"
        return DirectionCheck(frac, "unverified", f"direction known for {share} of the moving time", known, moving)
    if frac is not None and frac >= race.min_backward_fraction:
        return DirectionCheck(frac, "pass", None, known, moving)
    where = _wrong_stretches(t_gun, labels == other, start_s, end_s, race_dist_m)
    other_word = other.label
    reason = f"ran {other_word} {fmt_clock(bad)} of {fmt_clock(known)} ({100 * bad / known:.0f} %)"
    if where:
        reason += " " + " and ".join(where)
    return DirectionCheck(frac, "fail", reason, known, moving)


def _wrong_stretches(t_gun, wrong: np.ndarray, start_s, end_s, dist) -> list[str]:
    """Where the wrong-direction running was, as "between 400 m and 700 m" phrases (the main stretches)."""
    inside = (t_gun[:-1] >= start_s - 1) & (t_gun[1:] <= end_s + 1)
    w = wrong & inside
    if not w.any():
        return []
    runs = []
    edges = np.diff(np.concatenate(([0], w.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    for a, b in zip(starts.tolist(), stops.tolist()):
        if runs and t_gun[a] - t_gun[runs[-1][1]] <= 20.0:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    total = sum(t_gun[b] - t_gun[a] for a, b in runs)
    keep = [r for r in runs if t_gun[r[1]] - t_gun[r[0]] >= max(10.0, 0.15 * total)][:3]
    if not keep:
        keep = sorted(runs, key=lambda r: t_gun[r[1]] - t_gun[r[0]], reverse=True)[:1]
    out = []
    for a, b in keep:
        d0 = _round_m(dist[a])
        d1 = _round_m(dist[min(b, dist.size - 1)])
        out.append(f"between {d0} m and {d1} m")
    return out


def _round_m(d: float) -> int:
    step = 10 if d < 1000 else 50
    return int(step * round(max(d, 0.0) / step))


def time_activity(activity: Activity, race: RaceInfo, directions: DirectionTrack | None = None,
                  *, with_trace: bool = True) -> RunnerTiming:
    """Time one runner's race from their watch export."""
    warnings: list[str] = []
    t_rec = np.asarray(activity.t_s, dtype=float)
    if t_rec.size < 2 or not activity.has_position:
        damaged = bool(activity.warnings)
        return RunnerTiming(
            status="error" if damaged else "dns",
            reason="the track has no positions" if not damaged else f"track damaged: {activity.warnings[0]}",
            direction=DirectionCheck(None, "unverified", "no positions"),
        )
    t = t_rec + _gun_offset_s(activity, race.gun_time)
    proj = LocalProjection(race.finish.lat_deg, race.finish.lon_deg)
    x, y = proj.to_xy(activity.lat_deg, activity.lon_deg)
    dist = smoothed_distance_m(t, x, y)
    speed = speed_profile_mps(activity, x, y)
    cad = np.asarray(activity.cadence_spm, dtype=float)
    if directions is None:
        directions = detect_direction(activity)
    labels = directions.direction
    damaged = bool(activity.warnings)

    if t[-1] < 0:
        return RunnerTiming(
            status="error" if damaged else "dns",
            reason=(f"track damaged before the gun: {activity.warnings[0]}" if damaged
                    else f"the track ends {fmt_clock(-t[-1])} before the gun"),
            direction=DirectionCheck(None, "unverified", "no track over the race"),
            warnings=warnings,
        )

    # The start.
    start_method = "gun"
    if race.timing == "gun":
        start = 0.0
        after = t >= 0
        moved = float(dist[after][-1] - dist[after][0]) if after.sum() >= 2 else 0.0
        if moved < 20.0 and motion_onset_s(t, speed, cad, 0.0) is None:
            status = "error" if damaged else "dns"
            return RunnerTiming(status=status,
                                reason=("track damaged: " + activity.warnings[0]) if damaged
                                else "no movement along the course after the gun",
                                direction=DirectionCheck(None, "unverified", "did not start"), warnings=warnings)
    else:
        sg = GateGeometry.from_gate(race.start, proj)
        crossings = find_crossings(sg, t, x, y)
        onset = motion_onset_s(t, speed, cad, 0.0)
        start = None
        at_gun = _position_at(t, x, y, 0.0)
        if at_gun is not None:
            a0 = float(sg.along(np.array(at_gun[0]), np.array(at_gun[1])))
            c0 = float(sg.across(np.array(at_gun[0]), np.array(at_gun[1])))
            ix = int(np.searchsorted(t, 0.0))
            still = ix >= t.size or not np.isfinite(speed[ix]) or speed[max(ix - 1, 0)] < MOVING_SPEED_MPS
            if 0 < a0 <= ACROSS_AT_GUN_M and abs(c0) <= sg.half_width_m and still:
                if onset is not None:
                    start, start_method = onset, "moving"
        if start is None:
            post = [c for c in crossings if c.t_interp_s >= 0.0 or c.t_s >= 0.0]
            if post:
                first = post[0]
                dev = watch_distance(activity, t, x, y)
                if dev is not None:
                    retime_from_distance(sg, t, x, y, dev, first)
                start, start_method = max(first.t_s, 0.0), "crossing"
                if onset is not None and onset > start and onset - start < 10.0:
                    # The GPS put them across before they moved: they start on moving off.
                    start, start_method = onset, "moving"
        if start is None:
            status = "error" if damaged else "dns"
            if damaged:
                reason = f"track damaged before the start: {activity.warnings[0]}"
            elif t[-1] < 0:
                reason = "the track ends before the gun"
            else:
                reason = "no crossing of the start line after the gun"
            return RunnerTiming(status=status, reason=reason,
                                direction=DirectionCheck(None, "unverified", "did not start"), warnings=warnings)
        if start > 120.0:
            warnings.append(f"crossed the start line {fmt_clock(start)} after the gun")

    start_dist = float(np.interp(start, t, dist))
    race_dist = dist - start_dist

    # Counted crossings of the finish.
    fg = GateGeometry.from_gate(race.finish, proj)
    counted: list[GateCrossing] = []
    for c in find_crossings(fg, t, x, y):
        if c.t_s <= start:
            continue
        if float(np.interp(c.t_s, t, race_dist)) < START_EXCLUSION_M:
            continue
        counted.append(c)
        if len(counted) == race.finish_crossings:
            break
    finished = len(counted) == race.finish_crossings
    end = counted[-1].t_s if finished else float(t[-1])
    cp_passes = []
    for cp in race.checkpoints:
        g = GateGeometry.from_gate(cp, proj)
        cp_passes.append((g, [c for c in find_crossings(g, t, x, y) if start < c.t_s <= end]))

    # Where the watch has its own distance, average the GPS offsets over every pass of each gate.
    dev = watch_distance(activity, t, x, y)
    if dev is not None and counted:
        passes = {"finish": (fg, counted, list(range(1, len(counted) + 1)))}
        for g, cps in cp_passes:
            passes[g.name] = (g, cps, list(range(1, len(cps) + 1)))
        sharpen_crossings(passes, t, x, y, dev)
    finish = counted[-1].t_s if finished else None
    end = finish if finished else float(t[-1])

    # Splits: lap crossings of the finish and checkpoint crossings, in time order.
    events: list[tuple[float, str, float | None]] = []
    n_laps = race.finish_crossings
    for k, c in enumerate(counted, start=1):
        last = finished and k == n_laps
        name = "finish" if last else f"lap {k}"
        d = race.distance_m if last else (race.distance_m - (n_laps - k) * race.lap_m if race.lap_m else None)
        events.append((c.t_s, name, d))
    for g, cps in cp_passes:
        for k, c in enumerate(cps, start=1):
            events.append((c.t_s, g.name if len(cps) == 1 else f"{g.name} ({k})", None))
    events.sort(key=lambda e: (e[0], e[1] != "finish"))
    if finished:
        # The finish is the last split whatever the rounding.
        events = [e for e in events if e[0] < finish or e[1] == "finish"]
    splits = []
    prev = 0.0
    for when, name, d in events:
        el = when - start
        splits.append(SplitTime(name=name, elapsed_s=el, split_s=el - prev, distance_m=d))
        prev = el

    check = direction_check(t, labels, start, end, race, race_dist)
    covered = float(np.interp(end, t, race_dist))
    if finished:
        status, reason = "finished", None
    else:
        where = f"{covered / 1000:.2f} km" if covered >= 1000 else f"{covered:.0f} m"
        laps = f" ({len(counted)} of {n_laps} finish-line crossings)" if n_laps > 1 else ""
        if damaged:
            status = "error"
            reason = f"track damaged before the finish, readable to {where}{laps}: {activity.warnings[0]}"
        else:
            status = "dnf"
            reason = f"track ends after {where} without reaching the finish{laps}"

    trace = _trace(activity, t, start, end, speed, labels) if with_trace else None
    return RunnerTiming(
        status=status,
        reason=reason,
        start_s=start,
        finish_s=finish,
        time_s=(finish - start) if finished else None,
        splits=splits,
        direction=check,
        end_s=end,
        race_distance_m=covered,
        start_method=start_method,
        warnings=warnings,
        trace=trace,
    )


def watch_distance(activity: Activity, t: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The watch's own distance channel, when the file has one (GPX does not: readers derive it from positions)."""
    if activity.format == "gpx":
        return None
    return independent_distance(t, activity.distance_m, x, y)


def _trace(activity: Activity, t: np.ndarray, start: float, end: float, speed: np.ndarray, labels: np.ndarray) -> RunnerTrace:
    sel = np.flatnonzero((t >= start - 1e-9) & (t <= end + 1e-9))
    if sel.size == 0:
        sel = np.array([int(np.clip(np.searchsorted(t, start), 0, t.size - 1))])
    lab = labels[sel[:-1]] if sel.size > 1 and labels.size >= sel[-1] else np.zeros(max(sel.size - 1, 0), np.uint8)
    return RunnerTrace(
        t_s=t[sel] - start,
        lat_deg=np.asarray(activity.lat_deg, dtype=float)[sel],
        lon_deg=np.asarray(activity.lon_deg, dtype=float)[sel],
        speed_mps=speed[sel],
        cadence_spm=np.asarray(activity.cadence_spm, dtype=float)[sel],
        direction=np.asarray(lab, dtype=np.uint8),
    )
