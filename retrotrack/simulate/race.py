"""Simulated races: runners along a course at realistic backward speeds, with ground truth.

Each runner moves along their own line (a lane's running line, or the road with
a few metres of drift) by a progress coordinate q in metres; the race starts
where q passes the start line and finishes where it passes the finish line, so
the true crossing times are exact. Around the race there is a warm-up (jogging
forward along the course, across the lines, before the gun) and a cool-down
(easing to a walk past the finish, or stopping dead just past it). A few of a
chip-timed front row stand on or just over the start line. Fixes are taken once
a second with the correlated GPS error a watch has (retrotrack.simulate.gps),
plus cadence, a Doppler speed whose error persists for a few seconds (so the
distance integrated from it drifts), heart rate and, on some watches, the way
the device faces.

Runner kinds: "finish", "cheat" (runs forward for part of the race), "dnf",
"dns_track" (warm-up only), "dns" (no track, no time), "error" (file cut off
before the finish), "hand" (a hand time and a track), "nowatch" (a hand time
and no track).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from retrotrack.geo import LocalProjection, bearing_to_unit, destination
from retrotrack.model import Activity, empty_channels
from retrotrack.race.model import Gate, RaceInfo
from retrotrack.race.trackconfig import (
    LANE_WIDTH_M,
    StandardTrack,
    computed_gate,
    lane_length_m,
    start_plan,
)
from retrotrack.simulate.gait import Gait, make_runner
from retrotrack.simulate.gps import correlated_gps_error, gauss_markov

FINE_DT_S = 0.05
STOP_DEAD_SHARE = 0.15
"""Finishers who stop dead a few metres past the line instead of easing to a walk."""
OVER_THE_LINE_SHARE = 0.1
"""Front-row runners of a chip start standing on or just over the line at the gun."""
DEVICE_SPEED_SD_MPS = 0.1
DEVICE_SPEED_TAU_S = 3.0
"""The watch's Doppler speed error: a Gauss-Markov process (a receiver's velocity filter)."""
CLUB_PACE_OF_BEST = (0.42, 0.78)
"""A club field's backward race pace as a share of the backward world-best speed for the distance, from the back
of the field to the front: a 1500 m in 12:00 to 6:25, a 5000 m in 45 min to 24 min. Forward club fields span
about the same shares of their world records (a 5 km in 18 to 30 min against 12:35)."""

# Gait codes of the fine simulation.
STAND, WALK, JOG, BACK, FWD = 0, 1, 2, 3, 4


@dataclass
class CoursePath:
    """A line on the ground in local metres, parametrised by distance along it."""

    x_m: np.ndarray
    y_m: np.ndarray
    s_m: np.ndarray
    closed: bool

    @classmethod
    def from_points(cls, x, y, closed: bool) -> "CoursePath":
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if closed:
            x, y = np.append(x, x[0]), np.append(y, y[0])
        s = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
        return cls(x, y, s, closed)

    @property
    def length_m(self) -> float:
        return float(self.s_m[-1])

    def at(self, q_m, offset_m=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, travel bearing) at distances q along the line, `offset_m` to the right of it."""
        q = np.asarray(q_m, dtype=float)
        L = self.length_m
        qq = np.mod(q, L) if self.closed else q
        seg = np.clip(np.searchsorted(self.s_m, qq, side="right") - 1, 0, self.s_m.size - 2)
        dx = self.x_m[seg + 1] - self.x_m[seg]
        dy = self.y_m[seg + 1] - self.y_m[seg]
        ds = np.maximum(self.s_m[seg + 1] - self.s_m[seg], 1e-9)
        f = (qq - self.s_m[seg]) / ds
        ux, uy = dx / ds, dy / ds
        x = self.x_m[seg] + f * dx + offset_m * uy
        y = self.y_m[seg] + f * dy - offset_m * ux
        return x, y, np.degrees(np.arctan2(ux, uy)) % 360.0


@dataclass
class SimCourse:
    """Where a simulated race is run: the runners' lines and the race config that times it."""

    race: RaceInfo
    projection: LocalProjection
    paths: list[CoursePath]
    """One line per lane (track) or a single line (road)."""
    start_q_m: list[float]
    """Where each path crosses the start line."""
    in_lanes: bool
    lateral_sd_m: float
    """How far runners drift from their line (a lane: little; a road: a few metres)."""
    lap_m: float | None = None


def track_course(
    track: StandardTrack,
    distance_m: float,
    gun_time: datetime,
    name: str | None = None,
) -> SimCourse:
    """A standard distance on a standard track, with the config `retrotrack track-config` writes."""
    from retrotrack.race.trackconfig import track_race_info

    race = track_race_info(track, distance_m, gun_time=gun_time, name=name)
    plan = start_plan(distance_m)
    proj = track.projection
    paths, starts = [], []
    lanes = range(1, track.lanes + 1) if plan.lanes else [1]
    for lane in lanes:
        L = lane_length_m(lane)
        q = np.arange(0.0, L, 0.5)
        x, y, _ = track.lane_xy(lane, q)
        if plan.straight:
            # The 100 m straight extends the home straight beyond the oval.
            ux, uy = bearing_to_unit(track.bearing_deg)
            out = (lane - 1) * LANE_WIDTH_M + 0.2 + (0.1 if lane == 1 else 0.0)
            d = np.arange(-130.0, 60.0, 0.5)
            x = d * ux + out * uy
            y = d * uy - out * ux
            paths.append(CoursePath.from_points(x, y, closed=False))
            starts.append(130.0 - 100.0)
            continue
        path = CoursePath.from_points(x, y, closed=True)
        paths.append(path)
        if plan.lanes:
            starts.append((L - distance_m) % L)
        else:
            starts.append((400.0 - plan.before_finish_m) % 400.0)
    return SimCourse(race, proj, paths, starts, in_lanes=plan.lanes, lateral_sd_m=0.4,
                     lap_m=None if plan.straight else 400.0)


def road_loop_course(
    lat_deg: float,
    lon_deg: float,
    distance_m: float,
    gun_time: datetime,
    *,
    lap_m: float = 1000.0,
    bearing_deg: float = 75.0,
    name: str | None = None,
    timing: str = "chip",
) -> SimCourse:
    """Laps of a rounded-rectangle road loop; start and finish share a line in the middle of one side."""
    r = 20.0
    long_side = 0.62 * (lap_m + 8 * r - 2 * math.pi * r) / 2
    short_side = (lap_m + 8 * r - 2 * math.pi * r) / 2 - long_side
    a, b = long_side - 2 * r, short_side - 2 * r
    pts = []
    # Anticlockwise in a frame with x along the first side, starting at its middle.
    def arc(cx, cy, a0):
        th = np.linspace(a0, a0 + math.pi / 2, 40)[1:]
        return list(zip(cx + r * np.cos(th), cy + r * np.sin(th)))

    step = 2.0
    for x in np.arange(0.0, a / 2, step):
        pts.append((x, 0.0))
    pts += arc(a / 2, r, -math.pi / 2)
    for y in np.arange(r, r + b, step):
        pts.append((a / 2 + r, y))
    pts += arc(a / 2, r + b, 0.0)
    for x in np.arange(a / 2, -a / 2, -step):
        pts.append((x, 2 * r + b))
    pts += arc(-a / 2, r + b, math.pi / 2)
    for y in np.arange(r + b, r, -step):
        pts.append((-a / 2 - r, y))
    pts += arc(-a / 2, r, math.pi)
    for x in np.arange(-a / 2, 0.0, step):
        pts.append((x, 0.0))
    pts = np.array(pts[:-1])
    th = math.radians(bearing_deg)
    ux, uy = math.sin(th), math.cos(th)
    lx, ly = -uy, ux
    x = pts[:, 0] * ux + pts[:, 1] * lx
    y = pts[:, 0] * uy + pts[:, 1] * ly
    proj = LocalProjection(lat_deg, lon_deg)
    path = CoursePath.from_points(x, y, closed=True)
    # Scale the few centimetres the polygonal corners lose, so a lap is exactly lap_m.
    k = lap_m / path.length_m
    path = CoursePath.from_points(x * k, y * k, closed=True)
    L = lap_m
    laps = distance_m / L
    crossings = int(round(laps)) if abs(laps - round(laps)) < 1e-6 else int(math.floor(laps)) + 1
    fin = Gate("finish", lat_deg, lon_deg, bearing_deg % 360.0, 30.0)
    half_x, half_y, half_b = path.at(L / 2)
    checkpoints = [computed_gate("halfway", *proj.to_latlon(half_x, half_y), half_b, 30.0)]
    start_q = (-distance_m) % L
    sx, sy, sb = path.at(start_q)
    start = computed_gate("start", *proj.to_latlon(sx, sy), sb, 30.0)
    race = RaceInfo(
        name=name or f"Road loop {distance_m / 1000:g} km",
        date=gun_time.date().isoformat(),
        distance_m=float(distance_m),
        gun_time=gun_time,
        timing=timing,
        start=start,
        finish=fin,
        finish_crossings=crossings,
        checkpoints=checkpoints,
        lap_m=L if crossings > 1 else None,
    )
    return SimCourse(race, proj, [path], [start_q], in_lanes=False, lateral_sd_m=1.5, lap_m=L)


@dataclass
class RunnerTruth:
    """What really happened (seconds since the gun)."""

    status: str
    start_s: float | None = None
    finish_s: float | None = None
    time_s: float | None = None
    backward_fraction: float | None = None
    lap_s: list[float] = field(default_factory=list)
    """True times (since the gun) of every counted finish-line crossing."""
    depth_m: float | None = None
    """How far behind the start line they stood at the gun."""
    set_off_s: float | None = None
    """When they set off from standing."""
    finish_one_fix_s: float | None = None
    """The error of reading the finish off the GPS positions alone at that moment: how far their GPS error
    put them short of the line (along the finish bearing), in seconds at their pace there. A single pass
    cannot do better, so it shows how much of a timing error the data left no way to avoid."""


@dataclass
class SimRunner:
    """One simulated entry: the entries row, the watch's records (if any) and the truth."""

    bib: str
    name: str
    sex: str
    birth_year: int
    club: str
    kind: str
    truth: RunnerTruth
    start_time: datetime | None = None
    t_s: np.ndarray | None = None
    lat_deg: np.ndarray | None = None
    lon_deg: np.ndarray | None = None
    speed_mps: np.ndarray | None = None
    distance_m: np.ndarray | None = None
    cadence_spm: np.ndarray | None = None
    heading_deg: np.ndarray | None = None
    heart_rate_bpm: np.ndarray | None = None
    hand_time_s: float | None = None
    cut_at_s: float | None = None
    """For "error": where (seconds since the first record) the file is cut off."""
    gps_sigma_m: float = 0.0
    gps_tau_s: float = 0.0

    @property
    def has_track(self) -> bool:
        return self.t_s is not None

    def activity(self, file: str = "sim") -> Activity:
        """The records as an Activity (what a reader would return), cut where the file is damaged."""
        n = self.t_s.size
        if self.cut_at_s is not None:
            n = int(np.searchsorted(self.t_s, self.cut_at_s))
        ch = empty_channels(n)
        for name in ("lat_deg", "lon_deg", "speed_mps", "distance_m", "cadence_spm", "heading_deg", "heart_rate_bpm"):
            arr = getattr(self, name)
            if arr is not None:
                ch[name] = np.asarray(arr[:n], dtype=float)
        ch["step_length_m"] = np.where(ch["cadence_spm"] > 0, ch["speed_mps"] * 60.0 / np.maximum(ch["cadence_spm"], 1e-9), np.nan)
        warnings = ["file ends part-way (truncated)"] if self.cut_at_s is not None else []
        return Activity(file=file, format="sim", start_time=self.start_time, t_s=self.t_s[:n].astype(float),
                        sport="running", warnings=warnings, damage=list(warnings), **ch)


FIRST = {"F": ["Aoife", "Ciara", "Niamh", "Saoirse", "Orla", "Róisín", "Aisling", "Maeve", "Gráinne", "Eimear", "Clodagh"],
         "M": ["Seán", "Cian", "Darragh", "Eoin", "Fionn", "Pádraig", "Liam", "Conor", "Tadhg", "Oisín", "Colm"],
         "X": ["Sam", "Alex", "Rowan", "Jamie", "Robin", "Riley", "Morgan"]}
"""First names by the entry's sex (X: names worn either way)."""
LAST = ["Byrne", "Murphy", "Kelly", "O'Brien", "Walsh", "Ryan", "Doyle", "Nolan", "Keane", "Brennan",
        "Ó Briain", "Lynch", "Quinn", "Farrell", "Healy", "Duffy", "Moran", "Kavanagh"]
FEMININE_SURNAME = {"Ó Briain": "Ní Bhriain"}
FIRST_NAME_DRAW = 22
"""A first name is picked by a draw below this, whatever the sex: no other draw of a race depends on the names."""
CLUBS = ["Riverside AC", "Harbour Harriers", "Retro Runners", "", "Parkside RC", "Backwards Club"]


def _smooth_noise(n: int, corr: int, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean unit-ish noise smoothed over `corr` samples."""
    w = rng.standard_normal(n + 2 * corr)
    k = np.ones(max(corr, 1)) / max(corr, 1)
    s = np.convolve(w, k, mode="same")[corr:corr + n]
    sd = s.std() if s.size > 1 and s.std() > 0 else 1.0
    return s / sd


def _race_speed_mps(distance_m: float, rng: np.random.Generator, pace_of_best: tuple[float, float]) -> float:
    """A club runner's backward race pace for a distance: the world-best speed times a share drawn from
    `pace_of_best`."""
    # Backward world-best average speeds, interpolated in log distance.
    d = np.array([100, 200, 400, 800, 1500, 3000, 5000, 10000], dtype=float)
    v = np.array([7.35, 6.34, 5.6, 5.1, 4.98, 4.55, 4.4, 4.24])
    best = float(np.interp(np.log(distance_m), np.log(d), v))
    return best * rng.uniform(*pace_of_best)


class _Pieces:
    """Builds a runner's progress q(t) on the fine time grid, piece by piece."""

    def __init__(self, t0: float, q0: float):
        self.t = [np.array([t0])]
        self.q = [np.array([q0])]
        self.g = [np.array([STAND])]

    @property
    def now(self) -> tuple[float, float]:
        return float(self.t[-1][-1]), float(self.q[-1][-1])

    def move(self, duration_s: float, speed_mps: float, gait: int) -> None:
        """Constant speed (negative: back along the line) for a while."""
        t0, q0 = self.now
        n = max(int(round(duration_s / FINE_DT_S)), 1)
        tt = t0 + FINE_DT_S * np.arange(1, n + 1)
        self.t.append(tt)
        self.q.append(q0 + speed_mps * (tt - t0))
        self.g.append(np.full(n, gait))

    def ramp(self, v0: float, v1: float, duration_s: float, gait: int) -> None:
        t0, q0 = self.now
        n = max(int(round(duration_s / FINE_DT_S)), 1)
        dt = FINE_DT_S * np.arange(1, n + 1)
        self.t.append(t0 + dt)
        self.q.append(q0 + v0 * dt + 0.5 * (v1 - v0) / duration_s * dt**2)
        self.g.append(np.full(n, gait))

    def along(self, t_new: np.ndarray, q_new: np.ndarray, g_new: np.ndarray) -> None:
        self.t.append(t_new)
        self.q.append(q_new)
        self.g.append(g_new)

    def arrays(self):
        return np.concatenate(self.t), np.concatenate(self.q), np.concatenate(self.g)


def _race_profile(q_from: float, q_to: float, v_base: float, accel: float, forward: list[tuple[float, float]],
                  rng: np.random.Generator, t0: float, kick_from: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fine (t, q, gait) from standing at q_from to q_to: accelerate, hold a wandering pace, kick."""
    dq = 0.05
    q = np.arange(q_from, q_to + dq / 2, dq)
    if q.size < 2:
        q = np.array([q_from, q_to])
    mid = 0.5 * (q[:-1] + q[1:])
    n = mid.size
    wander = 1.0 + 0.025 * _smooth_noise(n, max(int(60.0 / dq), 1), rng)
    v = v_base * wander
    gait = np.full(n, BACK)
    for a, b in forward:
        m = (mid >= a) & (mid < b)
        v[m] *= 1.3
        gait[m] = FWD
    if kick_from is not None:
        v = np.where(mid > kick_from, v * 1.05, v)
    v = np.minimum(v, np.sqrt(2 * accel * (mid - q_from)) + 1e-3)
    t = t0 + np.concatenate(([0.0], np.cumsum(np.diff(q) / v)))
    # Resample to the fine time grid.
    tt = np.arange(t0 + FINE_DT_S, t[-1], FINE_DT_S)
    qq = np.interp(tt, t, q)
    gg = gait[np.clip(np.searchsorted(q, qq) - 1, 0, n - 1)]
    tt = np.append(tt, t[-1])
    qq = np.append(qq, q[-1])
    gg = np.append(gg, gait[-1])
    return tt, qq, gg


@dataclass(frozen=True)
class _LineUp:
    """Where and how a runner starts: their path (lane), how far behind the start line they stand, when
    they react to the gun, their offset across the path, and their acceleration off the line."""

    path: CoursePath
    lane: int
    depth_m: float
    react_s: float
    lateral_m: float
    accel_mps2: float


def _entrant(race, index: int, kind: str, rng: np.random.Generator) -> SimRunner:
    """An entrant's bib, name, sex, birth year and club; finished until the race says otherwise."""
    sex = str(rng.choice(["F", "M", "M", "F", "X"] if index % 17 else ["X"]))
    birth_year = int(race.gun_time.year - rng.integers(14, 72))
    first = FIRST[sex][int(rng.integers(FIRST_NAME_DRAW)) % len(FIRST[sex])]
    last = LAST[rng.integers(len(LAST))]
    name = f"{first} {FEMININE_SURNAME.get(last, last) if sex == 'F' else last}"
    club = CLUBS[rng.integers(len(CLUBS))]
    return SimRunner(str(101 + index), name, sex, birth_year, club, kind, RunnerTruth(status="finished"))


def _line_up(course: SimCourse, index: int, rng: np.random.Generator) -> _LineUp:
    """In lanes: each in their own, toeing the line. Otherwise rows of six behind a common line, the front
    row sometimes a little over it, the rows behind slower to get going."""
    if course.in_lanes:
        lane = index % len(course.paths)
        depth, react = rng.uniform(0.2, 0.5), rng.uniform(0.15, 0.45)
        lateral, accel = rng.uniform(-0.1, 0.1), rng.uniform(2.5, 3.5)
        return _LineUp(course.paths[lane], lane, depth, react, lateral, accel)
    row = index // 6
    depth = 0.4 + 0.9 * row + rng.uniform(0.0, 0.4)
    if row == 0 and rng.random() < OVER_THE_LINE_SHARE:
        depth = -rng.uniform(0.1, 1.0)  # the outer end of a curved waterfall line, or a toe over it
    react = rng.uniform(0.2, 0.6) + 0.25 * row
    lateral = rng.uniform(-3.0, 3.0) if course.lateral_sd_m > 1 else rng.uniform(-0.2, 1.6)
    accel = rng.uniform(1.5, 2.8)
    return _LineUp(course.paths[0], 0, depth, react, lateral, accel)


def _warm_up(path: CoursePath, q_stand: float, t_watch0: float, warm_s: float, stand_s: float, react_s: float,
             rng: np.random.Generator) -> _Pieces:
    """From starting the watch: a jog that ends at a walk to the line, then standing there until the runner
    reacts to the gun (at 0)."""
    pieces = _Pieces(t_watch0, 0.0)
    jog_v = float(rng.uniform(2.2, 3.0))
    jog_s = warm_s - stand_s - 10.0
    q_w0 = q_stand - jog_v * jog_s - 1.3 * 8.0
    if not path.closed:
        q_w0 = max(q_w0, path.s_m[0] + 1.0)
        jog_v = (q_stand - 1.3 * 8.0 - q_w0) / jog_s
    pieces.q[0][0] = q_w0
    pieces.move(jog_s, jog_v, JOG)
    pieces.ramp(jog_v, 1.3, 2.0, WALK)
    t_now, q_now = pieces.now
    walk_s = max((q_stand - q_now) / 1.3, 0.5)
    pieces.move(walk_s, (q_stand - q_now) / walk_s, WALK)
    t_now, _ = pieces.now
    pieces.move(react_s - t_now, 0.0, STAND)
    return pieces


def _after_the_race(pieces: _Pieces, kind: str, v_base: float, rng: np.random.Generator) -> None:
    """What follows the race: a DNF stops, stands and walks back off the course; a finisher stops dead past
    the line, or eases to a walk, stands, and sometimes jogs a cool-down."""
    if kind == "dnf":
        pieces.ramp(v_base, 0.0, 3.0, WALK)
        pieces.move(float(rng.uniform(60.0, 150.0)), 0.0, STAND)
        pieces.move(40.0, -1.2, WALK)
    elif rng.random() < STOP_DEAD_SHARE:
        pieces.ramp(v_base, 0.0, float(rng.uniform(1.0, 2.0)), BACK)
        pieces.move(float(rng.uniform(10.0, 30.0)), 0.0, STAND)
        pieces.move(float(rng.uniform(15.0, 40.0)), 1.2, WALK)
    else:
        pieces.ramp(v_base, 1.2, 4.0, BACK)
        pieces.move(float(rng.uniform(15.0, 40.0)), 1.2, WALK)
        pieces.move(float(rng.uniform(10.0, 30.0)), 0.0, STAND)
        if rng.random() < 0.3:
            pieces.move(float(rng.uniform(100.0, 200.0)), float(rng.uniform(2.0, 2.8)), JOG)
            pieces.move(10.0, 0.0, STAND)


def simulate_runner(
    course: SimCourse,
    kind: str,
    index: int,
    rng: np.random.Generator,
    *,
    n_runners: int = 1,
    gps_sigma_m: tuple[float, float] = (2.0, 5.0),
    gps_tau_s: tuple[float, float] = (20.0, 120.0),
    heading_share: float = 0.5,
    warmup_s: tuple[float, float] = (150.0, 400.0),
    pace_of_best: tuple[float, float] = CLUB_PACE_OF_BEST,
) -> SimRunner:
    """One runner of `course`: records at 1 Hz and the truth. The gun is at 0. Their race pace is a share of the
    backward world-best speed drawn from `pace_of_best`."""
    race = course.race
    D = race.distance_m
    runner = _entrant(race, index, kind, rng)
    if kind == "dns":
        runner.truth = RunnerTruth(status="dns")
        return runner
    v_base = _race_speed_mps(D, rng, pace_of_best)
    up = _line_up(course, index, rng)
    q_start = course.start_q_m[up.lane]
    q_finish = q_start + D
    q_stand = q_start - up.depth_m
    warm = float(rng.uniform(*warmup_s))
    t_watch0 = -math.floor(warm)
    pieces = _warm_up(up.path, q_stand, t_watch0, warm, float(rng.uniform(25.0, 70.0)), up.react_s, rng)

    def sample(runner: SimRunner, t, q, g) -> SimRunner:
        return _sample(runner, course, up.path, t, q, g, up.lateral_m, q_start, q_finish, rng, gps_sigma_m, gps_tau_s,
                       heading_share)

    if kind == "dns_track":
        # Warmed up, then stopped the watch before the gun.
        t, q, g = pieces.arrays()
        keep = t < -5.0
        runner.truth = RunnerTruth(status="dns")
        return sample(runner, t[keep], q[keep], g[keep])

    forward: list[tuple[float, float]] = []
    if kind == "cheat":
        a = q_start + D * rng.uniform(0.2, 0.5)
        forward.append((a, a + D * rng.uniform(0.2, 0.35)))
    q_end = q_finish + 0.5
    if kind == "dnf":
        q_end = q_start + D * rng.uniform(0.25, 0.85)
    t0, _ = pieces.now
    tt, qq, gg = _race_profile(q_stand, q_end, v_base, up.accel_mps2, forward, rng, t0,
                               kick_from=q_finish - min(200.0, 0.15 * D) if kind != "dnf" else None)
    pieces.along(tt, qq, gg)
    _after_the_race(pieces, kind, float(v_base), rng)
    t, q, g = pieces.arrays()
    _truth_times(runner, course, t, q, g, q_start, q_finish, kind, float(up.react_s))
    runner.truth.depth_m = float(up.depth_m)
    if kind == "hand" and runner.truth.time_s is not None:
        runner.hand_time_s = round(runner.truth.time_s + rng.normal(0.0, 0.15), 2)
    sim = sample(runner, t, q, g)
    if kind == "error":
        # The file is cut off part-way through the race.
        cut = float(rng.uniform(0.3, 0.8)) * (runner.truth.finish_s or 600.0)
        sim.cut_at_s = cut - t_watch0
        sim.truth = RunnerTruth(status="error", start_s=runner.truth.start_s)
    if kind == "nowatch":
        sim.hand_time_s = round(runner.truth.time_s + rng.normal(0.0, 0.15), 2)
        sim.t_s = sim.lat_deg = sim.lon_deg = None
    return sim


def _truth_times(runner: SimRunner, course: SimCourse, t, q, g, q_start, q_finish, kind, set_off_s: float) -> None:
    """The runner's truth from their path q(t): start, lap times, finish, backward fraction and status.
    `set_off_s` is when they moved off after the gun."""
    race = course.race
    if race.timing == "gun":
        start = 0.0
    elif float(np.interp(0.0, t, q)) >= q_start:
        # Over the line at the gun: they start when they move (INTERFACE.md's chip timing).
        start = set_off_s
    else:
        i = int(np.flatnonzero((q >= q_start) & (t >= 0.0))[0])
        start = float(np.interp(q_start, q[i - 1:i + 1], t[i - 1:i + 1]))
    truth = RunnerTruth(status="finished", start_s=start, set_off_s=set_off_s)
    after = t >= 0.0
    lap = course.lap_m
    marks = []
    if lap and race.finish_crossings > 1:
        marks = [q_finish - k * lap for k in range(race.finish_crossings - 1, 0, -1)]
    marks.append(q_finish)
    for m in marks:
        idx = np.flatnonzero(after & (q >= m))
        if idx.size == 0:
            continue
        i = int(idx[0])
        truth.lap_s.append(float(np.interp(m, q[i - 1:i + 1], t[i - 1:i + 1])))
    reached = float(q[after].max()) >= q_finish
    end = truth.lap_s[-1] if reached else float(t[-1])
    sel = (t[:-1] >= start) & (t[:-1] < end)
    moving = sel & (g[:-1] != STAND)
    back = float(np.sum(moving & (g[:-1] == BACK)))
    fwd = float(np.sum(moving & (g[:-1] == FWD)))
    truth.backward_fraction = back / (back + fwd) if back + fwd else None
    if reached:
        truth.finish_s = truth.lap_s[-1]
        truth.time_s = truth.finish_s - start
        if kind == "cheat" and (truth.backward_fraction or 1.0) < race.min_backward_fraction:
            truth.status = "dq"
    else:
        truth.status = "dnf"
    runner.truth = truth


def _sample(runner: SimRunner, course: SimCourse, path: CoursePath, t, q, g, lateral, q_start, q_finish, rng,
            gps_sigma_m, gps_tau_s, heading_share) -> SimRunner:
    """Take 1 Hz fixes and sensor channels from the fine simulation."""
    race = course.race
    ts = np.arange(math.ceil(t[0]), math.floor(t[-1]) + 1, 1.0)
    qs = np.interp(ts, t, q)
    gs = g[np.clip(np.searchsorted(t, ts), 0, g.size - 1)]
    n = ts.size
    drift = lateral + course.lateral_sd_m * 0.5 * _smooth_noise(n, 30, rng)
    if course.lateral_sd_m < 1:
        drift = np.clip(drift, -0.25, 1.8)
    x, y, brg = path.at(qs, drift)
    sigma = float(rng.uniform(*gps_sigma_m))
    tau = float(rng.uniform(*gps_tau_s))
    ex, ey = correlated_gps_error(n, 1.0, sigma, tau, rng)
    lat, lon = course.projection.to_latlon(x + ex, y + ey)
    fin = runner.truth.finish_s
    if fin is not None and n > 1 and ts[0] <= fin <= ts[-1]:
        ux, uy = bearing_to_unit(race.finish.bearing_deg)
        ahead_m = float(np.interp(fin, ts, ex * ux + ey * uy))
        pace_mps = float(np.interp(fin, t, np.gradient(q, t)))
        runner.truth.finish_one_fix_s = -ahead_m / pace_mps if pace_mps > 0.5 else None
    step = np.hypot(np.diff(x), np.diff(y)) / np.maximum(np.diff(ts), 1e-9) if n > 1 else np.zeros(0)
    speed = np.concatenate((step[:1], 0.5 * (step[1:] + step[:-1]), step[-1:])) if n > 2 else np.zeros(n)
    back_dir = np.gradient(qs, ts) < 0 if n > 1 else np.zeros(n, bool)
    gait = make_runner(rng)
    cad = np.zeros(n)
    for code, g in ((BACK, Gait.BACKWARD_RUN), (FWD, Gait.FORWARD_RUN), (JOG, Gait.FORWARD_RUN), (WALK, Gait.FORWARD_WALK)):
        m = gs == code
        if m.any():
            cad[m] = gait.cadence_spm(g, speed[m]) + rng.normal(0.0, 1.5, int(m.sum()))
    cad[speed < 0.3] = 0.0
    facing = np.where(gs == BACK, brg + 180.0, brg)
    facing = np.where(back_dir, facing + 180.0, facing)
    heading = None
    if rng.random() < heading_share:
        heading = (facing + rng.normal(0.0, 12.0, n)) % 360.0
    # The watch's speed is the GPS Doppler speed at each fix: the runner's speed along their own line at
    # that moment (not a difference of fixes a second either side, which moves before the runner does),
    # zero while standing. Its distance is the length of that line, give or take the speed's noise.
    if t.size > 1:
        xf, yf, _ = path.at(q, np.interp(t, ts, drift))
        run_m = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(xf), np.diff(yf)))))
        v_now = (np.interp(ts + 0.1, t, run_m) - np.interp(ts - 0.1, t, run_m)) / 0.2
        walked = np.interp(ts, t, run_m)
    else:
        v_now = walked = np.zeros(n)
    moving = v_now > 0.05
    # The receiver's velocity filter makes its speed error persist for a few seconds: the distance
    # integrated from it drifts from the line run by a metre or three a lap.
    noise = np.where(moving, gauss_markov(n, np.diff(ts) if n > 1 else 1.0, DEVICE_SPEED_SD_MPS,
                                          DEVICE_SPEED_TAU_S, rng), 0.0)
    dev_speed = np.where(moving, np.maximum(v_now + noise, 0.0), 0.0)
    dist = walked - walked[0] + np.concatenate(([0.0], np.cumsum(0.5 * (noise[1:] + noise[:-1]) * np.diff(ts))))
    hr = np.clip(95.0 + 22.0 * speed + 5.0 * _smooth_noise(n, 20, rng), 60, 200)
    runner.start_time = race.gun_time + timedelta(seconds=float(ts[0]))
    runner.t_s = ts - ts[0]
    runner.lat_deg, runner.lon_deg = lat, lon
    runner.speed_mps, runner.distance_m = dev_speed, dist
    runner.cadence_spm = cad
    runner.heading_deg = heading
    runner.heart_rate_bpm = hr
    runner.gps_sigma_m, runner.gps_tau_s = sigma, tau
    return runner


DEFAULT_MIX = {"cheat": 0.06, "dnf": 0.04, "dns": 0.02, "dns_track": 0.02, "error": 0.02, "hand": 0.03, "nowatch": 0.01}


def simulate_race(course: SimCourse, n_runners: int, seed: int, mix: dict[str, float] | None = None,
                  kinds: list[str] | None = None, **kwargs) -> list[SimRunner]:
    """`n_runners` runners of `course`, a realistic share of them cheating, dropping out or not starting.

    `kinds` fixes each runner's kind instead (its length is the number of runners).
    """
    rng = np.random.default_rng(seed)
    if kinds is not None:
        return [simulate_runner(course, k, i, rng, n_runners=len(kinds), **kwargs) for i, k in enumerate(kinds)]
    mix = DEFAULT_MIX if mix is None else mix
    kinds = []
    for kind, share in mix.items():
        kinds += [kind] * int(round(share * n_runners))
    kinds = (kinds + ["finish"] * n_runners)[:n_runners]
    kinds = list(rng.permutation(kinds))
    if course.in_lanes:
        # Everyone in a lane: one heat of at most the number of lanes.
        kinds = kinds[: len(course.paths)] if n_runners > len(course.paths) else kinds
    return [simulate_runner(course, str(k), i, rng, n_runners=n_runners, **kwargs) for i, k in enumerate(kinds)]


def utc(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


__all__ = [
    "CoursePath",
    "RunnerTruth",
    "SimCourse",
    "SimRunner",
    "road_loop_course",
    "simulate_race",
    "simulate_runner",
    "track_course",
    "utc",
    "destination",
]


def write_race_folder(course: SimCourse, runners: list[SimRunner], folder, *, config_name: str = "race.toml",
                      gpx_every: int = 3, heading_in_gpx: bool = True, speed_in_gpx: bool = False) -> dict:
    """Write a complete race folder: config, entries.csv, tracks/ (FIT, every `gpx_every`th GPX) and truth.json.

    GPX tracks carry the watch's speed only with `speed_in_gpx` (Garmin Connect's GPX has none).

    "error" runners get a FIT file cut off part-way (bytes missing from the end).
    Returns the truth document (also written as truth.json).
    """
    import json
    from pathlib import Path

    from retrotrack.atomic import write_atomic
    from retrotrack.race.config import race_to_toml
    from retrotrack.simulate.fitwriter import write_activity_fit
    from retrotrack.simulate.gpxwriter import write_activity_gpx

    folder = Path(folder)
    (folder / "tracks").mkdir(parents=True, exist_ok=True)
    rows = ["bib,name,sex,birth_year,club,track,time"]
    truth = {}
    for i, r in enumerate(runners):
        track = ""
        if r.has_track:
            gpx = gpx_every and i % gpx_every == gpx_every - 1 and r.kind != "error"
            track = f"tracks/{r.bib}.{'gpx' if gpx else 'fit'}"
            if gpx:
                write_activity_gpx(folder / track, start_time=r.start_time, t_s=r.t_s, lat_deg=r.lat_deg,
                                   lon_deg=r.lon_deg, cadence_spm=r.cadence_spm, heart_rate_bpm=r.heart_rate_bpm,
                                   heading_deg=r.heading_deg if heading_in_gpx else None,
                                   speed_mps=r.speed_mps if speed_in_gpx else None, name=f"{course.race.name} {r.bib}")
            else:
                data = write_activity_fit(None, start_time=r.start_time, t_s=r.t_s, lat_deg=r.lat_deg, lon_deg=r.lon_deg,
                                          distance_m=r.distance_m, speed_mps=r.speed_mps, cadence_spm=r.cadence_spm,
                                          heart_rate_bpm=r.heart_rate_bpm, heading_deg=r.heading_deg)
                if r.cut_at_s is not None:
                    keep = int(len(data) * min(max(r.cut_at_s / float(r.t_s[-1]), 0.05), 0.95))
                    data = data[:keep]
                write_atomic(folder / track, data)
        time = f"{r.hand_time_s:.2f}" if r.hand_time_s is not None else ""
        name = f'"{r.name}"' if "," in r.name else r.name
        rows.append(f"{r.bib},{name},{r.sex},{r.birth_year},{r.club},{track},{time}")
        t = r.truth
        truth[r.bib] = {"kind": r.kind, "status": t.status, "start_s": t.start_s, "finish_s": t.finish_s,
                        "time_s": t.time_s, "backward_fraction": t.backward_fraction, "lap_s": t.lap_s,
                        "gps_sigma_m": r.gps_sigma_m, "gps_tau_s": r.gps_tau_s, "track": track or None,
                        "hand_time_s": r.hand_time_s, "depth_m": t.depth_m, "set_off_s": t.set_off_s,
                        "finish_one_fix_s": t.finish_one_fix_s}
    write_atomic(folder / "entries.csv", "\n".join(rows) + "\n")
    write_atomic(folder / config_name, race_to_toml(course.race, "entries.csv"))
    write_atomic(folder / "truth.json", json.dumps(truth, indent=1, sort_keys=True) + "\n")
    return truth
