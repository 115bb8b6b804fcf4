"""Realistic race results and activities, built directly as the project's own data types.

Used by the page tests (test_render, test_browser, test_install): a track 5000 m
with every status, a tie, categories, splits, an unverified runner, a review
flag and hostile names; and an interval session with arrays like a watch's.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np

from retrotrack.analysis import Analysis, analysis_with
from retrotrack.direction import DirectionTrack
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity, Direction, Lap, empty_channels
from retrotrack.race.model import Gate, RaceInfo, RaceResult, RunnerResult, RunnerTrace, SplitTime

SCRIPT_NAME = "<script>alert(1)</script>"
QUOTE_NAME = "O'Brien & Sons \"Fast\""
IMG_NAME = "<img src=x onerror=alert(2)>"
HOSTILE_GATE = "Back straight & <200m>"

TRACK_ORIGIN = LocalProjection(53.33381, -6.22045)  # an athletics track in Dublin
STRAIGHT = 84.39
RADIUS = (400.0 - 2 * STRAIGHT) / (2 * math.pi)
LAP = 400.0  # at the line the runners follow


def track_xy(s: np.ndarray, lateral: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Metres east/north of a point `s` metres along a 400 m oval, run anticlockwise.

    s = 0 is the finish line at the end of the home straight (the east side,
    heading north); `lateral` moves the point outwards (a wider lane).
    """
    s = np.mod(np.asarray(s, dtype=float), LAP)
    lat_off = np.broadcast_to(np.asarray(lateral, dtype=float), s.shape)
    r = RADIUS + lat_off
    x = np.empty_like(s)
    y = np.empty_like(s)
    arc = math.pi * RADIUS
    # top bend (centre (0, STRAIGHT/2)), from east side going north then west
    a = s < arc
    th = s[a] / RADIUS
    x[a], y[a] = r[a] * np.cos(th), STRAIGHT / 2 + r[a] * np.sin(th)
    # back straight, heading south on the west side
    b = (s >= arc) & (s < arc + STRAIGHT)
    x[b], y[b] = -r[b], STRAIGHT / 2 - (s[b] - arc)
    # bottom bend (centre (0, -STRAIGHT/2))
    c = (s >= arc + STRAIGHT) & (s < 2 * arc + STRAIGHT)
    th = math.pi + (s[c] - arc - STRAIGHT) / RADIUS
    x[c], y[c] = r[c] * np.cos(th), -STRAIGHT / 2 + r[c] * np.sin(th)
    # home straight, heading north on the east side
    d = s >= 2 * arc + STRAIGHT
    x[d], y[d] = r[d], -STRAIGHT / 2 + (s[d] - 2 * arc - STRAIGHT)
    return x, y


def gps_noise(rng: np.random.Generator, n: int, sigma: float = 1.2, keep: float = 0.95) -> np.ndarray:
    """GPS error as a receiver makes it: wandering slowly (AR(1)), about `sigma` metres."""
    steps = rng.standard_normal(n) * sigma * math.sqrt(1 - keep**2)
    out = np.empty(n)
    acc = rng.standard_normal() * sigma
    for i in range(n):
        acc = keep * acc + steps[i]
        out[i] = acc
    return out


def _latlon(x, y):
    return TRACK_ORIGIN.to_latlon(x, y)


def race_info() -> RaceInfo:
    """Riverside Retro 5000: 12.5 laps, start on the 200 m line, finish on the home straight."""
    fx, fy = track_xy(np.array([0.0]))
    sx, sy = track_xy(np.array([LAP / 2]))
    cx, cy = track_xy(np.array([math.pi * RADIUS + 40.0]))
    flat, flon = _latlon(fx, fy)
    slat, slon = _latlon(sx, sy)
    clat, clon = _latlon(cx, cy)
    return RaceInfo(
        name="Riverside Retro 5000",
        date="2026-06-14",
        distance_m=5000.0,
        gun_time=datetime(2026, 6, 14, 9, 0, 0, tzinfo=timezone.utc),
        timing="chip",
        direction="backward",
        min_backward_fraction=0.9,
        venue="Irishtown Stadium, Dublin",
        start=Gate("start", float(slat[0]), float(slon[0]), 180.0, 30.0),
        finish=Gate("finish", float(flat[0]), float(flon[0]), 0.0, 30.0),
        finish_crossings=13,
        checkpoints=[Gate(HOSTILE_GATE, float(clat[0]), float(clon[0]), 180.0, 30.0)],
    )


def _splits_from_profile(t: np.ndarray, dist: np.ndarray, finish_time: float | None) -> list[SplitTime]:
    """Crossings of the finish line: at 200 m, then every lap, up to 5000 m or the end of the track."""
    marks = [200.0 + LAP * k for k in range(13)]
    out, prev = [], 0.0
    for k, m in enumerate(marks):
        if m > dist[-1] + 1e-6:
            break
        when = float(np.interp(m, dist, t))
        if k == 12 and finish_time is not None:
            when = finish_time
        out.append(SplitTime(f"lap {k + 1}" if k else "200 m", round(when, 2), round(when - prev, 2), m))
        prev = round(when, 2)
    return out


def runner_trace(seed: int, time_s: float, *, forward_share: float = 0.0, cadence: bool = True, stop_after_m: float | None = None) -> tuple[RunnerTrace, list[SplitTime]]:
    """A 1 Hz track of one runner's 5000 m: GPS noise, pace waves, and forward stretches if asked."""
    rng = np.random.default_rng(seed)
    race_m = 5000.0 if stop_after_m is None else stop_after_m
    mean_v = 5000.0 / time_s
    n = int(time_s * (race_m / 5000.0)) + 1 + (120 if stop_after_m else 0)
    t = np.arange(n, dtype=float)
    wave = 1.0 + 0.06 * np.sin(t / 47.0 + seed) + 0.02 * rng.standard_normal(n)
    v = mean_v * wave
    v[:4] = np.linspace(0.5, mean_v, 4)
    dist = np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]))))
    dist *= race_m / np.interp(time_s * race_m / 5000.0, t, dist)
    if stop_after_m is not None:
        dist = np.minimum(dist, stop_after_m)
    direction = np.full(n - 1, Direction.BACKWARD, dtype=np.uint8)
    if forward_share > 0:
        period = 200
        for start in range(30, n - 1, period):
            direction[start : start + int(period * forward_share)] = Direction.FORWARD
    moved = np.diff(dist)
    direction[moved < 0.3] = Direction.STOPPED
    s = LAP / 2 + dist  # the 5000 m starts on the 200 m line
    lateral = 1.2 + 0.8 * np.sin(t / 90.0 + seed)
    x, y = track_xy(s, lateral)
    x = x + gps_noise(rng, n)
    y = y + gps_noise(rng, n)
    lat, lon = _latlon(x, y)
    speed = np.concatenate(([0.0], np.diff(dist)))
    if cadence:
        cad = np.where(speed > 0.3, 186 + 8 * np.sin(t / 60.0) + 3 * rng.standard_normal(n), 0.0)
        fwd = np.concatenate(([False], direction == Direction.FORWARD))
        cad[fwd] = 168 + 3 * rng.standard_normal(int(fwd.sum()))
    else:
        cad = np.full(n, np.nan)
    trace = RunnerTrace(t_s=t, lat_deg=lat, lon_deg=lon, speed_mps=speed, cadence_spm=cad, direction=direction)
    return trace, _splits_from_profile(t, dist, None if stop_after_m else time_s)


def _assign_places(results: list[RunnerResult]) -> None:
    """Places with ties (1, 2, 2, 4), overall and within each category, for finished runners."""
    fin = sorted((r for r in results if r.status == "finished"), key=lambda r: r.time_s)

    def rank(rows):
        prev_t, prev_p = None, 0
        for i, r in enumerate(rows):
            p = prev_p if r.time_s == prev_t else i + 1
            yield r, p
            prev_t, prev_p = r.time_s, p

    for r, p in rank(fin):
        r.place = p
    for cat in sorted({r.category for r in fin}):
        for r, p in rank([x for x in fin if x.category == cat]):
            r.category_place = p


def race_result(with_traces: bool = True) -> RaceResult:
    """Thirteen entries: every status, a tie, an unverified runner, a review flag, hostile names."""

    def R(bib, name, sex, by, cat, club, status, **kw) -> RunnerResult:
        return RunnerResult(bib=bib, name=name, sex=sex, birth_year=by, category=cat, club=club, status=status, **kw)

    def traced(seed, time_s, **kw):
        if not with_traces:
            return {}
        trace, splits = runner_trace(seed, time_s, **kw)
        return {"trace": trace, "splits": splits}

    results = [
        R("101", "Aoife Ní Bhriain", "F", 1989, "F35", "Riverside AC", "finished", time_s=1834.62, backward_fraction=0.981, direction_check="pass",
          time_source="gps", track="tracks/101.fit", **traced(1, 1834.62)),
        R("102", "Ciarán Ó Súilleabháin", "M", 1998, "MSEN", "Liffey Valley AC", "finished", time_s=1502.1, backward_fraction=0.995, direction_check="pass",
          time_source="gps", track="tracks/102.fit", **traced(2, 1502.1)),
        R("103", SCRIPT_NAME, "M", 1984, "M40", QUOTE_NAME, "finished", time_s=1611.35, backward_fraction=0.952, direction_check="pass",
          time_source="gps", track="tracks/103.gpx", **traced(3, 1611.35, forward_share=0.04)),
        R("104", QUOTE_NAME, "F", 2000, "FSEN", "Rathfarnham WSAF", "finished", time_s=1700.0, backward_fraction=0.97, direction_check="pass",
          time_source="gps", track="tracks/104.fit", **traced(4, 1700.0)),
        R("105", "Siobhán Murphy", "F", 1990, "F35", "Riverside AC", "finished", time_s=1700.0, backward_fraction=0.964, direction_check="pass",
          time_source="gps", track="tracks/105.fit", **traced(5, 1700.0)),
        R("106", "Tomás Kelly", "M", 1974, "M50", "Clonliffe Harriers", "finished", time_s=1905.44, backward_fraction=None, direction_check="unverified",
          time_source="gps", track="tracks/106.gpx", **traced(6, 1905.44, cadence=False)),
        R("107", "Marek Nowak", "M", 1985, "M40", "Dundrum South Dublin AC", "finished", time_s=975.3, backward_fraction=0.99, direction_check="pass",
          time_source="gps", track="tracks/107.fit", review="faster than the backward 5000 m world best (16:32.0): check the track and the gates",
          **traced(7, 975.3)),
        R("108", "Emma Walsh", "F", 2008, "FU20", "", "finished", time_s=2101.0, backward_fraction=None, direction_check="unverified", time_source="hand"),
        R("109", "Liam Byrne", "M", 1996, "MSEN", "Riverside AC", "dq", reason="ran 72.4% of the race backward; at least 90% is required",
          backward_fraction=0.724, direction_check="fail", time_source="gps", track="tracks/109.fit", **traced(9, 1450.0, forward_share=0.28)),
        R("110", "Gráinne Doyle", "F", 1979, "F45", "Clonliffe Harriers", "dnf", reason="the track ends 3.2 km into the race without reaching the finish",
          backward_fraction=0.97, direction_check="pass", time_source="gps", track="tracks/110.fit", **traced(10, 1800.0, stop_after_m=3200.0)),
        R("111", "Noel Quinn", "M", 1964, "M60", "Liffey Valley AC", "dns", reason="no track and no time"),
        R("112", IMG_NAME, "X", 1990, "X35", "Retro Runners <b>Club</b>", "error", reason="tracks/112.fit is damaged before the finish (bad CRC at byte 48213)",
          direction_check="unverified", track="tracks/112.fit", warnings=["damaged at byte 48213: data CRC mismatch"]),
        R("A/7", "Zoë Fitzgerald-Smythe", "F", 1995, "FSEN", "Rathfarnham WSAF", "finished", time_s=1755.06, backward_fraction=0.93, direction_check="pass",
          time_source="import"),
    ]
    _assign_places(results)
    return RaceResult(race=race_info(), results=results, warnings=["2 runners had no cadence: their direction could not be checked"])


def big_field(n: int = 150) -> RaceResult:
    """A big club race without tracks: many rows, for layout and print checks."""
    rng = np.random.default_rng(99)
    first = ["Aoife", "Ciarán", "Siobhán", "Tomás", "Gráinne", "Liam", "Emma", "Noel", "Zoë", "Marek", "Saoirse", "Darragh"]
    last = ["Byrne", "Murphy", "Kelly", "Ó Súilleabháin", "Walsh", "Doyle", "Quinn", "Nowak", "Fitzgerald", "Ní Bhriain"]
    clubs = ["Riverside AC", "Liffey Valley AC", "Clonliffe Harriers", "Rathfarnham WSAF", "Dundrum South Dublin AC"]
    results = []
    for i in range(n):
        sex = "FM"[i % 2]
        by = int(rng.integers(1955, 2008))
        age = 2026 - by
        band = "U20" if age < 20 else "SEN" if age < 35 else str(min(age // 5 * 5, 70))
        status = "finished" if i % 23 else "dnf"
        results.append(
            RunnerResult(
                bib=str(200 + i), name=f"{first[i % len(first)]} {last[(i * 7) % len(last)]}", sex=sex, birth_year=by,
                category=f"{sex}{band}", club=clubs[i % len(clubs)], status=status,
                reason=None if status == "finished" else "the track ends before the finish",
                time_s=round(float(1100 + 900 * rng.random()), 2) if status == "finished" else None,
                backward_fraction=0.95, direction_check="pass", time_source="gps",
            )
        )
    _assign_places(results)
    return RaceResult(race=race_info(), results=results)


# --------------------------------------------------------------------------- activities


LOOP = LocalProjection(53.2752, -6.2702)  # a park loop


def loop_xy(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 1.3 km park loop with a wiggle, position at distance `s` (metres)."""
    L = 1300.0
    th = 2 * np.pi * np.mod(s, L) / L
    r = 190 + 25 * np.sin(3 * th)
    return 1.35 * r * np.cos(th), r * np.sin(th)


def interval_activity(*, positions: bool = True, cadence: bool = True, repeats: int = 8, hz: float = 1.0, seed: int = 11) -> tuple[Activity, np.ndarray]:
    """An interval session: warm-up, repeats of 2 min backward + 1 min forward jog, a pause, cool-down.

    Returns the activity and its true direction per interval.
    """
    rng = np.random.default_rng(seed)
    plan: list[tuple[Direction, float, float]] = [(Direction.FORWARD, 600.0, 2.9)]
    for _ in range(repeats):
        plan += [(Direction.BACKWARD, 120.0, 2.45), (Direction.FORWARD, 60.0, 2.5)]
    plan += [(Direction.STOPPED, 90.0, 0.0), (Direction.FORWARD, 480.0, 2.8)]
    total = sum(p[1] for p in plan)
    n = int(total * hz) + 1
    t = np.arange(n) / hz
    dirs = np.empty(n - 1, dtype=np.uint8)
    v = np.empty(n)
    edges = np.cumsum([0.0] + [p[1] for p in plan])
    for (d, _, speed), a, b in zip(plan, edges[:-1], edges[1:]):
        sel = (t >= a) & (t < b)
        v[sel] = speed
        dirs[(t[:-1] >= a) & (t[:-1] < b)] = d
    v[-1] = v[-2]
    v = np.where(v > 0, v * (1 + 0.04 * rng.standard_normal(n)), 0.0)
    dist = np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t))))
    ch = empty_channels(n)
    ch["distance_m"] = dist
    ch["speed_mps"] = v
    if positions:
        x, y = loop_xy(dist)
        x = x + gps_noise(rng, n, 1.5)
        y = y + gps_noise(rng, n, 1.5)
        ch["lat_deg"], ch["lon_deg"] = LOOP.to_latlon(x, y)
    if cadence:
        pt_dir = np.concatenate((dirs, dirs[-1:]))
        cad = np.where(pt_dir == Direction.BACKWARD, 192.0, 168.0) + 3 * rng.standard_normal(n)
        cad[pt_dir == Direction.STOPPED] = 0.0
        ch["cadence_spm"] = cad
        with np.errstate(divide="ignore", invalid="ignore"):
            ch["step_length_m"] = np.where(cad > 30, v / (cad / 60.0), np.nan)
    laps = [Lap(float(a), float(b), float(np.interp(b, t, dist) - np.interp(a, t, dist))) for a, b in zip(edges[:-1], edges[1:])]
    act = Activity(
        file="/home/runner/exports/2026-06-10-intervals.fit",
        format="fit",
        start_time=datetime(2026, 6, 10, 18, 30, 5, tzinfo=timezone.utc),
        t_s=t,
        sport="running",
        device="Garmin Forerunner 265",
        laps=laps,
        pauses=[(float(edges[-3]), float(edges[-2]))],
        **ch,
    )
    return act, dirs


def analysis_of(act: Activity, dirs: np.ndarray, split_m: float = 1000.0, method: str = "gait") -> Analysis:
    """An Analysis from an activity and known labels (the detector is not needed to draw pages)."""
    conf = np.where(dirs == Direction.STOPPED, 1.0, 0.9)
    track = DirectionTrack(direction=dirs.astype(np.uint8), confidence=conf, method=method)
    return analysis_with(act, track, split_m)


def interval_analysis(**kw) -> Analysis:
    act, dirs = interval_activity(**kw)
    return analysis_of(act, dirs)


def long_analysis(hours: float = 6.0) -> Analysis:
    """An ultra: `hours` at 1 Hz, alternating backward and forward every few minutes."""
    repeats = int(hours * 3600 / 180)
    act, dirs = interval_activity(repeats=repeats, seed=5)
    return analysis_of(act, dirs)

