"""Analysis of one activity: segments by direction, per-direction totals, splits and laps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrotrack.direction import DirectionTrack, detect_direction
from retrotrack.model import Activity, Direction

DEFAULT_SPLIT_M = 1000.0


@dataclass
class Segment:
    """A contiguous stretch with one direction label."""

    direction: str
    start_s: float
    end_s: float
    distance_m: float
    avg_speed_mps: float | None
    avg_cadence_spm: float | None
    step_length_m: float | None
    confidence: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Split:
    """The moment a multiple of the split distance was reached."""

    n: int
    distance_m: float
    elapsed_s: float
    split_s: float
    backward_fraction: float | None


@dataclass
class LapSummary:
    n: int
    source: str
    start_s: float
    end_s: float
    distance_m: float | None
    backward_fraction: float | None = None


@dataclass
class DirectionTotal:
    distance_m: float = 0.0
    time_s: float = 0.0
    avg_cadence_spm: float | None = None
    step_length_m: float | None = None

    @property
    def pace_s_per_km(self) -> float | None:
        return self.time_s / (self.distance_m / 1000.0) if self.distance_m > 1.0 else None


@dataclass
class Summary:
    distance_m: float
    elapsed_s: float
    moving_s: float
    backward: DirectionTotal
    forward: DirectionTotal
    unknown: DirectionTotal
    stopped_s: float


@dataclass
class Analysis:
    activity: Activity
    directions: DirectionTrack
    summary: Summary
    segments: list[Segment]
    splits: list[Split]
    laps: list[LapSummary]
    split_m: float = DEFAULT_SPLIT_M
    warnings: list[str] = field(default_factory=list)


def _interval_arrays(activity: Activity) -> tuple[np.ndarray, np.ndarray]:
    """Duration and distance of each interval between records."""
    dt = np.diff(activity.t_s)
    dd = np.diff(activity.distance_m)
    dd = np.where(np.isfinite(dd) & (dd > 0), dd, 0.0)
    return dt, dd


def _interval_cadence(cadence_spm: np.ndarray) -> np.ndarray:
    """Per-interval cadence: the value recorded at its end, which watches average over the time before it."""
    a, b = cadence_spm[:-1], cadence_spm[1:]
    return np.where(np.isfinite(b), b, a)


def _weighted(values: np.ndarray, weights: np.ndarray) -> float | None:
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return None
    return float(np.sum(values[ok] * weights[ok]) / np.sum(weights[ok]))


def _gait(dt: np.ndarray, dd: np.ndarray, cad: np.ndarray, sel: np.ndarray) -> tuple[float | None, float | None]:
    """Time-weighted cadence and distance per step over the selected intervals that have steps.

    Intervals where the watch counted no steps (a shuffle, a pause in a stride
    sensor) are left out, as watches leave zeros out of average cadence.
    """
    ok = sel & np.isfinite(cad) & (cad > 0)
    cadence = _weighted(cad[ok], dt[ok])
    steps = float(np.sum(cad[ok] / 60.0 * dt[ok]))
    step_len = float(np.sum(dd[ok]) / steps) if steps > 1.0 else None
    return cadence, step_len


ONE_RECORD_SPAN_S = 1e-3


def build_segments(activity: Activity, track: DirectionTrack) -> list[Segment]:
    """Merge consecutive intervals of one label into segments covering the whole activity.

    A single record spans no time: it gets one `stopped` segment a millisecond long, because consumers of
    the JSON (INTERFACE.md's checks among them) expect at least one segment, each ending after it starts.
    """
    t = activity.t_s
    if t.size < 2:
        return [Segment(Direction.STOPPED.label, 0.0, ONE_RECORD_SPAN_S, 0.0, None, None, None, 1.0)] if t.size else []
    dt, dd = _interval_arrays(activity)
    cad = _interval_cadence(activity.cadence_spm)
    labels = track.direction
    change = np.flatnonzero(np.diff(labels.astype(np.int16))) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [labels.size]))
    segments = []
    for a, b in zip(starts.tolist(), stops.tolist()):
        sel = np.zeros(labels.size, dtype=bool)
        sel[a:b] = True
        label = Direction(int(labels[a]))
        dur = float(np.sum(dt[a:b]))
        dist = float(np.sum(dd[a:b]))
        moving = label != Direction.STOPPED
        cadence, step_len = _gait(dt, dd, cad, sel) if moving else (None, None)
        segments.append(
            Segment(
                direction=label.label,
                start_s=float(t[a] - t[0]),
                end_s=float(t[b] - t[0]),
                distance_m=dist,
                avg_speed_mps=dist / dur if dur > 0 and moving else (0.0 if not moving else None),
                avg_cadence_spm=cadence,
                step_length_m=step_len,
                confidence=float(np.sum(track.confidence[a:b] * dt[a:b]) / dur) if dur > 0 else float(track.confidence[a]),
            )
        )
    return segments


def summarize(activity: Activity, track: DirectionTrack) -> Summary:
    """Totals per direction from the per-interval labels."""
    dt, dd = _interval_arrays(activity)
    cad = _interval_cadence(activity.cadence_spm) if dt.size else dt
    totals = {}
    for d in (Direction.BACKWARD, Direction.FORWARD, Direction.UNKNOWN):
        sel = track.direction == d
        cadence, step_len = _gait(dt, dd, cad, sel)
        totals[d] = DirectionTotal(float(np.sum(dd[sel])), float(np.sum(dt[sel])), cadence, step_len)
    stopped = track.direction == Direction.STOPPED
    distance = float(activity.distance_m[-1] - activity.distance_m[0]) if activity.t_s.size else 0.0
    return Summary(
        distance_m=distance,
        elapsed_s=activity.elapsed_s,
        moving_s=float(np.sum(dt[~stopped])),
        backward=totals[Direction.BACKWARD],
        forward=totals[Direction.FORWARD],
        unknown=totals[Direction.UNKNOWN],
        stopped_s=float(np.sum(dt[stopped])),
    )


def _direction_clocks(activity: Activity, track: DirectionTrack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Record times, and the backward and forward time accumulated up to each of them.

    Within an interval the labelled time grows linearly, so np.interp on these
    gives the time in each direction up to any moment.
    """
    t = activity.t_s - activity.t_s[0]
    dt = np.diff(t)
    back = np.concatenate(([0.0], np.cumsum(np.where(track.direction == Direction.BACKWARD, dt, 0.0))))
    fwd = np.concatenate(([0.0], np.cumsum(np.where(track.direction == Direction.FORWARD, dt, 0.0))))
    return t, back, fwd


def _fractions(clocks, starts_s: np.ndarray, ends_s: np.ndarray) -> list[float | None]:
    t, back, fwd = clocks
    b = np.interp(ends_s, t, back) - np.interp(starts_s, t, back)
    f = np.interp(ends_s, t, fwd) - np.interp(starts_s, t, fwd)
    known = b + f
    return [float(x / k) if k > 1e-9 else None for x, k in zip(b.tolist(), known.tolist())]


def backward_fraction(activity: Activity, track: DirectionTrack, start_s: float, end_s: float) -> float | None:
    """Share of the known-direction moving time in [start_s, end_s] that was backward."""
    if activity.t_s.size < 2 or end_s <= start_s:
        return None
    return _fractions(_direction_clocks(activity, track), np.array([start_s]), np.array([end_s]))[0]


def compute_splits(activity: Activity, track: DirectionTrack, split_m: float) -> list[Split]:
    """Times at each multiple of `split_m`, interpolated on cumulative distance."""
    if activity.t_s.size < 2 or split_m <= 0:
        return []
    t = activity.t_s - activity.t_s[0]
    dist = activity.distance_m - activity.distance_m[0]
    count = int(np.floor(dist[-1] / split_m + 1e-9))
    marks = split_m * np.arange(1, count + 1)
    # The first record at or past each mark, then interpolate within the interval before it.
    idx = np.searchsorted(dist, marks - 1e-9, side="left")
    idx = np.clip(idx, 1, dist.size - 1)
    d0, d1 = dist[idx - 1], dist[idx]
    frac = np.where(d1 > d0, (marks - d0) / np.where(d1 > d0, d1 - d0, 1.0), 1.0)
    elapsed = t[idx - 1] + np.clip(frac, 0.0, 1.0) * (t[idx] - t[idx - 1])
    previous = np.concatenate(([0.0], elapsed[:-1]))
    fractions = _fractions(_direction_clocks(activity, track), previous, elapsed)
    return [
        Split(i + 1, float(mark), float(when), float(when - prev), share)
        for i, (mark, when, prev, share) in enumerate(zip(marks.tolist(), elapsed.tolist(), previous.tolist(), fractions))
    ]


def device_laps(activity: Activity, track: DirectionTrack) -> list[LapSummary]:
    if activity.t_s.size < 2:
        return [LapSummary(i + 1, "device", lap.start_s, lap.end_s, lap.distance_m) for i, lap in enumerate(activity.laps)]
    clocks = _direction_clocks(activity, track)
    shares = _fractions(clocks, np.array([lap.start_s for lap in activity.laps]), np.array([lap.end_s for lap in activity.laps]))
    return [
        LapSummary(i + 1, "device", lap.start_s, lap.end_s, lap.distance_m, share)
        for i, (lap, share) in enumerate(zip(activity.laps, shares))
    ]


def analyze_activity(activity: Activity, split_m: float = DEFAULT_SPLIT_M) -> Analysis:
    """Everything `retrotrack analyze` reports about one activity."""
    return analysis_with(activity, detect_direction(activity), split_m)


def analysis_with(activity: Activity, track: DirectionTrack, split_m: float = DEFAULT_SPLIT_M) -> Analysis:
    """The analysis of `activity` with its directions given as `track`: segments, totals, splits and laps
    follow from the labels alone."""
    return Analysis(
        activity=activity,
        directions=track,
        summary=summarize(activity, track),
        segments=build_segments(activity, track),
        splits=compute_splits(activity, track, split_m),
        laps=device_laps(activity, track),
        split_m=split_m,
        warnings=list(activity.warnings),
    )


def analyze_file(path: str | Path, split_m: float = DEFAULT_SPLIT_M) -> Analysis:
    """Read a watch export and analyse it."""
    from retrotrack.readers import read_activity

    return analyze_activity(read_activity(path), split_m=split_m)


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def analysis_to_dict(analysis: Analysis) -> dict:
    """The JSON document of INTERFACE.md (plus a few extra fields)."""
    act = analysis.activity
    s = analysis.summary

    def total(d: DirectionTotal) -> dict:
        return {
            "distance_m": _r(d.distance_m, 1),
            "time_s": _r(d.time_s, 1),
            "avg_cadence_spm": _r(d.avg_cadence_spm, 1),
            "step_length_m": _r(d.step_length_m, 3),
        }

    return {
        "file": Path(act.file).name,
        "format": act.format,
        "sport": act.sport,
        "device": act.device,
        "start_time": act.start_time_iso,
        "clock": act.clock,
        "distance_source": act.distance_source,
        "warnings": list(analysis.warnings),
        "direction_method": analysis.directions.method,
        "summary": {
            "distance_m": _r(s.distance_m, 1),
            "elapsed_s": _r(s.elapsed_s, 1),
            "moving_s": _r(s.moving_s, 1),
            "stopped_s": _r(s.stopped_s, 1),
            "backward": total(s.backward),
            "forward": total(s.forward),
            "unknown": total(s.unknown),
        },
        "segments": [
            {
                "direction": g.direction,
                "start_s": _r(g.start_s),
                "end_s": _r(g.end_s),
                "distance_m": _r(g.distance_m, 1),
                "avg_speed_mps": _r(g.avg_speed_mps),
                "avg_cadence_spm": _r(g.avg_cadence_spm, 1),
                "step_length_m": _r(g.step_length_m),
                "confidence": _r(g.confidence),
            }
            for g in analysis.segments
        ],
        "splits": [
            {
                "n": sp.n,
                "distance_m": _r(sp.distance_m),
                "elapsed_s": _r(sp.elapsed_s),
                "split_s": _r(sp.split_s),
                "backward_fraction": _r(sp.backward_fraction),
            }
            for sp in analysis.splits
        ],
        "laps": [
            {
                "n": lp.n,
                "source": lp.source,
                "start_s": _r(lp.start_s),
                "end_s": _r(lp.end_s),
                "distance_m": _r(lp.distance_m, 1),
                "backward_fraction": _r(lp.backward_fraction),
            }
            for lp in analysis.laps
        ],
    }
