"""What every reader does after decoding: from raw records to a clean Activity.

Readers fill a `RawActivity` (absolute times, channels as the file has them,
device laps/sessions/pauses in absolute seconds) and call `finish_activity`,
which drops nonsense records, orders and merges timestamps, and derives what
the file lacks: distance (the device's own where present, else from lightly
smoothed positions), speed from distance, step length from speed and cadence.

A pause (the watch's timer stopped: a FIT timer stop/start, a gap between GPX
<trkseg>s) is not running: a distance the reader derives adds nothing across
it, as Strava and Garmin Connect do (the runner may have moved, walked to the
car or driven home, but that is not distance run), and positions are neither
smoothed nor speed-checked across it. The device's own odometer is its own
figure and is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from retrotrack.errors import ReadError
from retrotrack.geo import displacement_speed_mps, haversine_m, position_distance_m
from retrotrack.model import CHANNELS, FOOT_SPORTS, Activity, Lap, Session
from retrotrack.motion import paused_intervals

MAX_TIME_JUMP_S = 2 * 86400.0
"""Records further than this from the rest of the file (a date decades away) are corruption."""
MAX_FOOT_SPEED_MPS = 15.0
"""Faster than any runner: a record claiming it on foot decoded to nonsense."""
MAX_ANY_SPEED_MPS = 150.0
"""Faster than any car, bike or boat a watch records."""
MAX_BAD_SPEED_SHARE = 0.01
"""Corruption is a few records: more than this share over the limit is a mislabelled sport, kept."""
SURELY_ON_FOOT = frozenset({"running", "walking", "hiking", "trail_running"})
"""Sports whose speed limit is a runner's (generic/unknown may be anything)."""
PLAUSIBLE = {
    "distance_m": (0.0, 1e8),
    "speed_mps": (0.0, 1e3),
    "cadence_spm": (0.0, 400.0),
    "step_length_m": (0.0, 5.0),
    "heading_deg": (-1e6, 1e6),
    "heart_rate_bpm": (0.0, 300.0),
    "altitude_m": (-1000.0, 20000.0),
    "stance_time_ms": (0.0, 5000.0),
    "vertical_oscillation_mm": (0.0, 1000.0),
}
"""Values outside these ranges are corrupt, not measurements: they become NaN."""
REACH_SLACK_M = 100.0
"""GPS and odometer slack on top of the speed limit before a step counts as impossible."""
RESET_MIN_DROP_M = 50.0
"""A device distance falling by more than this (to under half) restarts, as in a new session."""
MAX_STEP_M = 3.0
"""Longer than any stride on foot: a cadence implying it while moving (often 0 from a wrist
sensor while paddling or riding) is not a step rate and becomes NaN."""
MOVING_MPS = 1.0
"""Below this the runner may be standing, and a cadence of 0 is real."""
NON_STEP_MIN_S = 5.0
"""Only a stretch this long is dropped: a record or two at a stop (speed lagging) is real."""


@dataclass
class RawSession:
    """A device session (one sport of a multisport file), in absolute seconds."""

    sport: str
    start: float
    end: float
    distance_m: float | None = None
    elapsed_s: float | None = None
    timer_s: float | None = None


@dataclass
class RawLap:
    """A device lap, in absolute seconds."""

    start: float
    end: float
    distance_m: float | None = None
    timer_s: float | None = None


@dataclass
class RawActivity:
    """A decoded file before clean-up: times are absolute Unix seconds."""

    file: str
    format: str
    times: np.ndarray
    channels: dict[str, np.ndarray]
    sport: str = "unknown"
    device: str | None = None
    laps: list[RawLap] = field(default_factory=list)
    sessions: list[RawSession] = field(default_factory=list)
    pauses: list[tuple[float, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)
    """Those of `warnings` that say the file is damaged (see Activity.damage)."""
    clock: str = "utc"
    """What the times are (see Activity.clock)."""
    device_distance_m: float | None = None
    distance_is_device: bool = True
    """False when the file's distance channel is not the device's own odometer."""

    def note_damage(self, message: str) -> None:
        """A warning that the file itself is damaged."""
        self.warnings.append(message)
        self.damage.append(message)


def on_foot_mask(times: np.ndarray, sessions: list[RawSession], sport: str,
                 foot_sports: frozenset[str] = FOOT_SPORTS) -> np.ndarray:
    """Whether each record lies in an on-foot session (the activity's sport where no session covers it)."""
    mask = np.full(times.shape, sport in foot_sports)
    for sess in sorted(sessions, key=lambda s: s.start):
        inside = (times >= sess.start) & (times <= sess.end)
        mask[inside] = sess.sport in foot_sports
    return mask


def activity_sport(sessions: list[RawSession], fallback: str = "unknown") -> str:
    """The sessions' one sport, "multisport" for several, else the fallback."""
    sports = {s.sport for s in sessions}
    if len(sports) == 1:
        return sports.pop()
    if len(sports) > 1:
        return "multisport"
    return fallback


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _keep(raw: RawActivity, keep: np.ndarray) -> None:
    raw.times = raw.times[keep]
    for name in list(raw.channels):
        raw.channels[name] = raw.channels[name][keep]


def _drop_far_times(raw: RawActivity) -> None:
    """Drop records days away from the activity; the rest is corruption.

    Jumps of days cut the records into runs. The largest run is the activity;
    other runs join it when their times lie within MAX_TIME_JUMP_S of it, so one
    corrupt record in the middle does not cut the good records in two.
    """
    t = raw.times
    if t.size < 2:
        return
    cut = np.flatnonzero(np.abs(np.diff(t)) > MAX_TIME_JUMP_S) + 1
    if cut.size == 0:
        return
    bounds = np.concatenate(([0], cut, [t.size]))
    runs = sorted(zip(bounds[:-1].tolist(), bounds[1:].tolist()), key=lambda r: r[0] - r[1])
    keep = np.zeros(t.size, dtype=bool)
    a, b = runs[0]
    keep[a:b] = True
    lo, hi = float(np.nanmin(t[a:b])), float(np.nanmax(t[a:b]))
    for a, b in runs[1:]:
        rlo, rhi = float(np.nanmin(t[a:b])), float(np.nanmax(t[a:b]))
        if rlo >= lo - MAX_TIME_JUMP_S and rhi <= hi + MAX_TIME_JUMP_S:
            keep[a:b] = True
            lo, hi = min(lo, rlo), max(hi, rhi)
    if keep.all():
        return
    odd = t[~keep]
    example = datetime.fromtimestamp(float(odd[0]), timezone.utc).strftime("%Y-%m-%d") if np.isfinite(odd[0]) else "?"
    raw.note_damage(
        f"dropped {_plural(int((~keep).sum()), 'record')} with timestamps days away from the rest "
        f"(e.g. {example}): corrupt data"
    )
    _keep(raw, keep)


def _longest_non_decreasing(t: np.ndarray) -> np.ndarray:
    """Indices of a longest non-decreasing subsequence (patience sorting)."""
    import bisect

    tails: list[float] = []
    tail_idx: list[int] = []
    prev = np.full(t.size, -1, dtype=np.int64)
    for i, x in enumerate(t.tolist()):
        pos = bisect.bisect_right(tails, x)
        if pos == len(tails):
            tails.append(x)
            tail_idx.append(i)
        else:
            tails[pos] = x
            tail_idx[pos] = i
        prev[i] = tail_idx[pos - 1] if pos else -1
    out = []
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.append(i)
        i = prev[i]
    return np.array(out[::-1], dtype=np.int64)


def _drop_backward_steps(raw: RawActivity) -> None:
    if raw.times.size < 2 or not (np.diff(raw.times) < 0).any():
        return
    # Drop the records that step back; unless one record far ahead would then hide the rest,
    # in which case keep the longest ordered run of records.
    keep = raw.times >= np.maximum.accumulate(raw.times)
    idx = _longest_non_decreasing(raw.times)
    if idx.size > keep.sum():
        keep = np.zeros(raw.times.size, dtype=bool)
        keep[idx] = True
    dropped = int(raw.times.size - keep.sum())
    raw.note_damage(f"dropped {_plural(dropped, 'record')} whose timestamp steps backward")
    _keep(raw, keep)


def _merge_repeats(raw: RawActivity) -> None:
    """Records sharing a timestamp become one: each channel takes the last value present."""
    t = raw.times
    if t.size < 2:
        return
    new = np.concatenate(([True], np.diff(t) > 0))
    if new.all():
        return
    starts = np.flatnonzero(new)
    order = np.arange(t.size)
    for name, values in raw.channels.items():
        last = np.maximum.reduceat(np.where(np.isfinite(values), order, -1), starts)
        merged = np.full(starts.size, np.nan)
        ok = last >= 0
        merged[ok] = values[last[ok]]
        raw.channels[name] = merged
    raw.times = t[starts]


def _drop_implausible_values(raw: RawActivity) -> None:
    odd = []
    for name, (lo, hi) in PLAUSIBLE.items():
        values = raw.channels[name]
        bad = ~np.isfinite(values) & ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            bad |= (values < lo) | (values > hi)
        if bad.any():
            values[bad] = np.nan
            odd.append(name)
    if odd:
        raw.warnings.append(f"ignored impossible values of {', '.join(odd)} (corrupt data)")


def _stretches(raw: RawActivity) -> np.ndarray:
    """Per record, which stretch between the watch's pauses it lies in (0, 1, ...)."""
    return np.concatenate(([0], np.cumsum(paused_intervals(raw.times, raw.pauses))))


def _clean_positions(raw: RawActivity, on_foot: np.ndarray) -> None:
    lat, lon = raw.channels["lat_deg"], raw.channels["lon_deg"]
    known = np.isfinite(lat) | np.isfinite(lon)
    outside = known & (~(np.abs(lat) <= 90.0) | ~(np.abs(lon) <= 180.0))
    if outside.any():
        raw.note_damage(f"ignored {_plural(int(outside.sum()), 'position')} outside the globe (corrupt data)")
    bad = outside | ((lat == 0.0) & (lon == 0.0)) | (np.isfinite(lat) != np.isfinite(lon))
    lat[bad] = np.nan
    lon[bad] = np.nan
    stretch = _stretches(raw)
    idx = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if idx.size < 3:
        _drop_unreachable_positions(raw, on_foot, stretch)
        return
    t = raw.times[idx]
    la, lo = lat[idx], lon[idx]
    limit = np.where(on_foot[idx], MAX_FOOT_SPEED_MPS, MAX_ANY_SPEED_MPS)
    step = haversine_m(la[:-1], lo[:-1], la[1:], lo[1:]) / np.maximum(np.diff(t), 1.0)
    # Over a pause the runner may have gone anywhere (driven to the next trail): no step across one is a glitch.
    step[np.diff(stretch[idx]) != 0] = 0.0
    skip = haversine_m(la[:-2], lo[:-2], la[2:], lo[2:]) / np.maximum(t[2:] - t[:-2], 1.0)
    spike = (step[:-1] > limit[1:-1]) & (step[1:] > limit[1:-1]) & (skip <= limit[1:-1])
    if spike.any():
        where = idx[1:-1][spike]
        lat[where] = np.nan
        lon[where] = np.nan
        raw.warnings.append(f"ignored {_plural(int(spike.sum()), 'position')} far off the track (GPS glitch)")
    _drop_unreachable_positions(raw, on_foot, stretch)


def _drop_unreachable_positions(raw: RawActivity, on_foot: np.ndarray, stretch: np.ndarray | None = None) -> None:
    """Drop runs of fixes that no one could have reached from the fixes around them (corrupt data).

    Each stretch between the watch's pauses is judged on its own: over a pause the runner may have
    gone anywhere. Starting from the fix nearest the middle of a stretch's first few (a corrupt first
    fix must not condemn the rest), each fix is kept only if it is reachable from the last kept one
    within the speed limit; runs of teleported fixes go. Most files have no impossible step at all
    and skip the walk. Two fixes an impossible distance apart, with no third to tell which is
    corrupt, both go.
    """
    lat, lon = raw.channels["lat_deg"], raw.channels["lon_deg"]
    if stretch is None:
        stretch = _stretches(raw)
    ok = np.isfinite(lat) & np.isfinite(lon)
    gone, pair = 0, False
    for k in np.unique(stretch[ok]).tolist():
        idx = np.flatnonzero(ok & (stretch == k))
        dropped = _unreachable(raw, on_foot, idx)
        if idx.size == 2 and dropped:
            pair = True
        else:
            gone += dropped
    if pair:
        raw.note_damage("ignored both positions: they lie an impossible distance apart (corrupt data)")
    if gone:
        raw.note_damage(f"ignored {_plural(gone, 'position')} no one could have reached (corrupt data)")


def _unreachable(raw: RawActivity, on_foot: np.ndarray, idx: np.ndarray) -> int:
    """Drop (NaN) the fixes among `idx` (one stretch) that no one could have reached; how many went."""
    lat, lon = raw.channels["lat_deg"], raw.channels["lon_deg"]
    if idx.size < 2:
        return 0
    t = raw.times[idx]
    limit = np.where(on_foot[idx], MAX_FOOT_SPEED_MPS, MAX_ANY_SPEED_MPS)
    step = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
    if not np.any(step > limit[1:] * np.maximum(np.diff(t), 1.0) + REACH_SLACK_M):
        return 0
    if idx.size == 2:
        lat[idx] = np.nan
        lon[idx] = np.nan
        return 2
    head = idx[: min(idx.size, 15)]
    spread = haversine_m(lat[head][:, None], lon[head][:, None], lat[head][None, :], lon[head][None, :])
    anchor = int(np.argmin(np.median(spread, axis=1)))
    keep = np.zeros(idx.size, dtype=bool)
    keep[anchor] = True
    for order in (range(anchor + 1, idx.size), range(anchor - 1, -1, -1)):
        last = anchor
        for j in order:
            reach = limit[j] * max(abs(t[j] - t[last]), 1.0) + REACH_SLACK_M
            if haversine_m(lat[idx[last]], lon[idx[last]], lat[idx[j]], lon[idx[j]]) <= reach:
                keep[j] = True
                last = j
    gone = idx[~keep]
    lat[gone] = np.nan
    lon[gone] = np.nan
    return int(gone.size)


def _drop_impossible_speed(raw: RawActivity, on_foot: np.ndarray) -> np.ndarray:
    speed = raw.channels["speed_mps"]
    limit = np.where(on_foot, MAX_FOOT_SPEED_MPS, MAX_ANY_SPEED_MPS)
    bad = np.isfinite(speed) & (speed > limit)
    if bad.any() and bad.sum() <= max(1, MAX_BAD_SPEED_SHARE * bad.size):
        raw.note_damage(f"dropped {_plural(int(bad.sum()), 'record')} with an impossible speed (corrupt data)")
        _keep(raw, ~bad)
        return on_foot[~bad]
    return on_foot


def _drop_non_step_cadence(t: np.ndarray, cad: np.ndarray, speed: np.ndarray) -> None:
    """NaN where the cadence cannot be steps: moving, yet steps over MAX_STEP_M, for NON_STEP_MIN_S or more."""
    with np.errstate(invalid="ignore"):
        odd = (speed >= MOVING_MPS) & (cad * MAX_STEP_M / 60.0 < speed)
    if not odd.any():
        return
    edges = np.diff(np.concatenate(([0], odd.astype(np.int8), [0])))
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if t[stop - 1] - t[start] >= NON_STEP_MIN_S:
            cad[start:stop] = np.nan


def _device_distance(raw: RawActivity) -> np.ndarray | None:
    """The device's cumulative distance, gaps interpolated, restarts joined, made non-decreasing."""
    dist = raw.channels["distance_m"]
    ok = np.isfinite(dist)
    if ok.sum() < 2 or ok.sum() < 0.5 * dist.size:
        return None
    t = raw.times
    d = np.interp(t, t[ok], dist[ok])
    d = _without_distance_jumps(raw, t, d)
    drop = np.flatnonzero(np.diff(d) < 0) + 1
    if drop.size:
        starts = np.array([s.start for s in raw.sessions])
        add = np.zeros(d.size)
        for i in drop.tolist():
            at_session = starts.size and bool(np.any((starts > t[i - 1] - 2.0) & (starts <= t[i] + 2.0)))
            restart = d[i - 1] - d[i] > RESET_MIN_DROP_M and d[i] < 0.5 * d[i - 1]
            if at_session or restart:
                add[i] = d[i - 1]
        d = d + np.cumsum(add)
    return np.maximum.accumulate(d)


def _without_distance_jumps(raw: RawActivity, t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """A device distance with corrupt values taken out: no step may outrun MAX_ANY_SPEED_MPS.

    A single record spiking up and back is interpolated over; any other
    impossible step adds nothing.
    """
    limit = MAX_ANY_SPEED_MPS * np.maximum(np.diff(t), 1.0) + REACH_SLACK_M
    inc = np.diff(d)
    # Only jumps forward: a drop is a restart (a multisport leg, a reset), joined by _device_distance.
    if not np.any(inc > limit):
        return d
    spike = np.zeros(d.size, dtype=bool)
    spike[1:-1] = (inc[:-1] > limit[:-1]) & (-inc[1:] > limit[1:])
    good = ~spike
    d = np.interp(t, t[good], d[good])
    inc = np.diff(d)
    jump = inc > limit
    inc[jump] = 0.0
    count = int(spike.sum() + jump.sum())
    raw.warnings.append(f"ignored {_plural(count, 'device distance value')} that jumped impossibly far (corrupt data)")
    return d[0] + np.concatenate(([0.0], np.cumsum(inc)))


def _distance(raw: RawActivity) -> tuple[np.ndarray, str]:
    """The cumulative distance channel and where it came from (see Activity.distance_source)."""
    if raw.distance_is_device:
        device = _device_distance(raw)
        if device is not None:
            return device, "device"
    paused = paused_intervals(raw.times, raw.pauses)
    lat, lon = raw.channels["lat_deg"], raw.channels["lon_deg"]
    if (np.isfinite(lat) & np.isfinite(lon)).sum() >= 2:
        return position_distance_m(lat, lon, paused, raw.times), "positions"
    if not raw.distance_is_device:
        device = _device_distance(raw)
        if device is not None:
            return device, "device"
    speed = raw.channels["speed_mps"]
    if np.isfinite(speed).sum() >= 2:
        ok = np.isfinite(speed)
        v = np.interp(raw.times, raw.times[ok], speed[ok])
        # The speeds either side of a pause say nothing about the time in between.
        steps = np.where(paused, 0.0, 0.5 * (v[1:] + v[:-1]) * np.diff(raw.times))
        return np.concatenate(([0.0], np.cumsum(steps))), "speed"
    return np.zeros(raw.times.size), "none"


def _check_summary_covers_records(raw: RawActivity, t_end: float) -> None:
    """Warn when the device's own summary runs well past the last record (records are missing)."""
    if not raw.sessions:
        return
    summary_end = max(s.end for s in raw.sessions)
    span = summary_end - min(s.start for s in raw.sessions)
    if summary_end - t_end > max(60.0, 0.1 * span):
        raw.note_damage(
            f"the device's summary runs {summary_end - t_end:.0f} s past the last record: "
            "the end of the recording is missing"
        )


def _clip_spans(spans, t0: float, t_end: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        a, b = max(a, t0), min(b, t_end)
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(a - t0, b - t0) for a, b in out]


def finish_activity(raw: RawActivity) -> Activity:
    """Clean a decoded file into an Activity; ReadError if no usable record is left."""
    raw.times = np.asarray(raw.times, dtype=float)
    n = raw.times.size
    for name in CHANNELS:
        values = raw.channels.get(name)
        raw.channels[name] = np.full(n, np.nan) if values is None else np.array(values, dtype=float)
    for name in list(raw.channels):
        if name not in CHANNELS:
            del raw.channels[name]
        elif raw.channels[name].shape != raw.times.shape:
            raise ValueError(f"channel {name} has {raw.channels[name].size} values for {raw.times.size} records")
    finite = np.isfinite(raw.times)
    if not finite.all():
        _keep(raw, finite)
    if raw.times.size == 0:
        raise ReadError(raw.file, "no records with a timestamp")
    _drop_implausible_values(raw)
    _drop_far_times(raw)
    _drop_backward_steps(raw)
    _merge_repeats(raw)
    on_foot = on_foot_mask(raw.times, raw.sessions, raw.sport, SURELY_ON_FOOT)
    on_foot = _drop_impossible_speed(raw, on_foot)
    if raw.times.size == 0:
        raise ReadError(raw.file, "no usable records")
    _clean_positions(raw, on_foot)

    ch = raw.channels
    t = raw.times
    ch["distance_m"], distance_source = _distance(raw)
    speed = ch["speed_mps"]
    missing = ~np.isfinite(speed)
    if missing.any() and t.size >= 2:
        speed[missing] = np.gradient(ch["distance_m"], t)[missing]
    step = ch["step_length_m"]
    cad = ch["cadence_spm"]
    judged = speed
    if missing.any():
        # Speed from positions jitters by metres a second around a standing runner (a few metres of GPS
        # noise from fix to fix): a zero step count there is real, so it is judged on displacement.
        judged = np.where(missing, np.fmin(speed, displacement_speed_mps(t, ch["lat_deg"], ch["lon_deg"], t, 5.0)), speed)
    _drop_non_step_cadence(t, cad, judged)
    derive = ~np.isfinite(step) & np.isfinite(speed) & np.isfinite(cad) & (cad > 0)
    step[derive] = speed[derive] / (cad[derive] / 60.0)

    t0, t_end = float(t[0]), float(t[-1])
    _check_summary_covers_records(raw, t_end)
    # A lap or session the timer began a moment before the first record starts at 0 on our timeline.
    laps = [Lap(max(lap.start - t0, 0.0), max(lap.end - t0, 0.0), lap.distance_m, lap.timer_s) for lap in raw.laps]
    sessions = [Session(s.sport, max(s.start - t0, 0.0), max(s.end - t0, 0.0), s.distance_m, s.elapsed_s, s.timer_s)
                for s in raw.sessions]
    device_distance = raw.device_distance_m
    if device_distance is None and raw.sessions and any(s.distance_m is not None for s in raw.sessions):
        device_distance = float(sum(s.distance_m or 0.0 for s in raw.sessions))
    return Activity(
        file=raw.file,
        format=raw.format,
        start_time=datetime.fromtimestamp(t0, timezone.utc),
        t_s=t - t0,
        sport=raw.sport,
        device=raw.device,
        laps=laps,
        sessions=sessions,
        pauses=_clip_spans(raw.pauses, t0, t_end),
        warnings=list(dict.fromkeys(raw.warnings)),
        damage=list(dict.fromkeys(raw.damage)),
        clock=raw.clock,
        device_distance_m=device_distance,
        distance_source=distance_source,
        **{name: ch[name] for name in CHANNELS},
    )
