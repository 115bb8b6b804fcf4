"""Whole simulated training sessions with per-second truth, recorded the way a watch records them.

`simulate_activity(seed, ...)` plans a session (warm-up, backward reps,
recoveries, shuttles on an out-and-back path, short bursts, walks, stops),
moves a runner along a route at 10 Hz, and samples what a watch writes: GPS
positions with correlated error, the device's speed and distance, Garmin-style
cadence, a wrist compass (arm swing, slowly varying bias), heart rate, laps,
pauses, smart recording. The result can be written as FIT or GPX, or read back
in memory through the readers into an `Activity`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from retrotrack.geo import LocalProjection, position_distance_m
from retrotrack.model import Activity, Direction, Lap, Session, empty_channels
from retrotrack.motion import paused_intervals
from retrotrack.simulate.gait import Gait, Runner, make_runner
from retrotrack.simulate.gps import correlated_gps_error, gauss_markov
from retrotrack.simulate.routes import Route, loop_route, out_and_back_route, track_route
from retrotrack.simulate.truth import Truth, TruthSegment

DT_SIM_S = 0.1
PLACES = ((53.3558, -6.3298), (51.5313, -0.1570), (40.7812, -73.9665), (-33.8915, 151.2767), (48.8462, 2.3372),
          (37.7694, -122.4862), (59.3293, 18.0686), (-37.8304, 144.9796))
HILL_M = 4.0
"""The ground rises and falls this much around a route (one sine wave per route length)."""
HILL_CADENCE_PER_GRADE = 0.64
"""Running step rate at a given speed rises this much per unit of uphill grade and falls as much downhill:
+4.5 % at 7 % incline (Padulo et al. 2012, J Strength Cond Res 26:1331)."""
SCENARIOS = ("intervals", "shuttle", "bursts", "walk_mix", "fartlek", "pure_forward", "pure_backward")
WALK_ROUND_SCENARIOS = ("backward_race", "backward_reps")
"""Backward running with forward walking round it: a race file (walk to the start, race, walk off) and reps
with walks between. Asked for by name only, so the SCENARIOS sets keep their draws."""


@dataclass
class Phase:
    """One stretch of a plan: a gait (None = standing) held for a time."""

    gait: Gait | None
    duration_s: float
    speed_mps: float = 0.0
    sense: int = 1
    """+1 or -1: which way along the route (out-and-back legs alternate)."""
    pause: bool = False
    """A stop with the watch's timer paused."""
    lap: bool = False
    """The runner presses the lap button as this phase starts."""


@dataclass(frozen=True)
class Recording:
    """How the watch records: sampling, sensors present, noise levels."""

    smart: bool = False
    gps_sigma_m: float = 2.5
    gps_tau_s: float = 80.0
    gps_smooth_s: float = 5.0
    """The receiver's own smoothing: fixes drift, they do not jump."""
    swing_deg: float = 22.0
    compass_bias_deg: float = 10.0
    compass_tau_s: float = 300.0
    manual_laps: bool = True
    auto_laps: bool = False
    dynamics: bool = False
    """Running dynamics present (step length from an HRM-Pro style sensor)."""


@dataclass
class SimulatedActivity:
    """One simulated session: the truth and what the watch recorded, per record."""

    name: str
    seed: int
    scenario: str
    difficulty: str
    runner: Runner
    route: Route
    recording: Recording
    start_time: datetime
    truth: Truth
    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    distance_m: np.ndarray
    speed_mps: np.ndarray
    cadence_spm: np.ndarray
    heading_deg: np.ndarray
    heart_rate_bpm: np.ndarray
    altitude_m: np.ndarray
    step_length_m: np.ndarray
    laps: list[tuple[float, float, float]] = field(default_factory=list)
    pauses: list[tuple[float, float]] = field(default_factory=list)
    sport: str = "running"
    stance_time_ms: np.ndarray | None = None
    """Ground contact time per step, where running dynamics were recorded (FIT only)."""

    def _channels(self, heading: bool, cadence: bool) -> dict:
        return {
            "cadence_spm": self.cadence_spm if cadence else None,
            "heading_deg": self.heading_deg if heading else None,
            "step_length_m": self.step_length_m if cadence and np.isfinite(self.step_length_m).any() else None,
            "stance_time_ms": (self.stance_time_ms if cadence and self.stance_time_ms is not None
                               and np.isfinite(self.stance_time_ms).any() else None),
        }

    def write_fit(self, target: str | Path | None, *, heading: bool = True, cadence: bool = True, **kwargs) -> bytes:
        """The session as a Garmin-style FIT file (heading as a developer field)."""
        from retrotrack.simulate.fitwriter import write_activity_fit

        ch = self._channels(heading, cadence)
        return write_activity_fit(
            target, start_time=self.start_time, t_s=self.t_s, lat_deg=self.lat_deg, lon_deg=self.lon_deg,
            distance_m=self.distance_m, speed_mps=self.speed_mps, cadence_spm=ch["cadence_spm"],
            heart_rate_bpm=self.heart_rate_bpm, altitude_m=self.altitude_m, heading_deg=ch["heading_deg"],
            step_length_m=ch["step_length_m"], stance_time_ms=ch["stance_time_ms"], laps=self.laps,
            sport=self.sport, pauses=self.pauses, **kwargs,
        )

    def write_gpx(self, target: str | Path | None, *, heading: bool = True, cadence: bool = True) -> str:
        """The session as a Garmin Connect-style GPX (positions, hr, cad, bearing)."""
        from retrotrack.simulate.gpxwriter import write_activity_gpx

        ch = self._channels(heading, cadence)
        return write_activity_gpx(
            target, start_time=self.start_time, t_s=self.t_s, lat_deg=self.lat_deg, lon_deg=self.lon_deg,
            cadence_spm=ch["cadence_spm"], heart_rate_bpm=self.heart_rate_bpm, altitude_m=self.altitude_m,
            heading_deg=ch["heading_deg"], name=self.name, sport=self.sport,
        )

    def write(self, target: str | Path, *, heading: bool = True, cadence: bool = True) -> Path:
        """Write FIT or GPX by the target's suffix."""
        target = Path(target)
        if target.suffix.lower() == ".gpx":
            self.write_gpx(target, heading=heading, cadence=cadence)
        else:
            self.write_fit(target, heading=heading, cadence=cadence)
        return target

    def to_activity(self, fmt: str = "fit", *, heading: bool = True, cadence: bool = True) -> Activity:
        """The Activity the readers make of this session written as FIT or GPX (in memory, no file)."""
        from retrotrack.readers import read_data

        name = f"{self.name}.{fmt}"
        if fmt == "gpx":
            return read_data(self.write_gpx(None, heading=heading, cadence=cadence).encode("utf-8"), name)
        return read_data(self.write_fit(None, heading=heading, cadence=cadence), name)


def activity_from_arrays(
    *, file: str = "simulated.fit", fmt: str = "fit", start_time: datetime | None = None, t_s,
    lat_deg=None, lon_deg=None, distance_m=None, speed_mps=None, cadence_spm=None, heading_deg=None,
    heart_rate_bpm=None, altitude_m=None, step_length_m=None, stance_time_ms=None, laps=(), pauses=(),
    sport: str = "running", sessions: list[Session] | None = None,
) -> Activity:
    """An Activity straight from per-record arrays (for hand-made cases), quantised as the format stores it.

    Distance comes from the positions (as the readers measure it) when not given, speed from distance.
    """
    t = np.asarray(t_s, dtype=float)
    n = t.size
    ch = empty_channels(n)

    def put(name, values, quantum=None):
        if values is not None:
            arr = np.asarray(values, dtype=float).copy()
            if quantum:
                arr = np.round(arr / quantum) * quantum
            ch[name] = arr

    put("lat_deg", lat_deg)
    put("lon_deg", lon_deg)
    put("heart_rate_bpm", heart_rate_bpm, 1.0)
    put("altitude_m", altitude_m, 0.2)
    put("heading_deg", None if heading_deg is None else np.mod(heading_deg, 360.0), 0.1)
    put("cadence_spm", cadence_spm, 2.0 if fmt == "gpx" else 1.0 / 64.0)
    put("step_length_m", step_length_m, 0.001)
    put("stance_time_ms", stance_time_ms, 0.1)
    source = "none"
    if distance_m is not None:
        put("distance_m", distance_m, 0.01)
        source = "device"
    elif np.isfinite(ch["lat_deg"]).any():
        ch["distance_m"] = position_distance_m(ch["lat_deg"], ch["lon_deg"], paused_intervals(t, pauses), t)
        source = "positions"
    if speed_mps is not None:
        put("speed_mps", speed_mps, 0.001)
    elif np.isfinite(ch["distance_m"]).sum() >= 2:
        ch["speed_mps"] = np.gradient(ch["distance_m"], t) if n > 1 else np.zeros(n)
    if not np.isfinite(ch["step_length_m"]).any() and np.isfinite(ch["cadence_spm"]).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            ch["step_length_m"] = np.where(ch["cadence_spm"] > 0, 60.0 * ch["speed_mps"] / ch["cadence_spm"], np.nan)
    start = start_time or datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
    if sessions is None:
        sessions = [Session(sport, 0.0, float(t[-1] - t[0]) if n else 0.0)]
    return Activity(
        file=file, format=fmt, start_time=start, t_s=t - (t[0] if n else 0.0), sport=sport, device="simulator",
        laps=[Lap(a, b, d) for a, b, d in laps], sessions=sessions, pauses=[(float(a), float(b)) for a, b in pauses],
        distance_source=source, **ch,
    )


def activity_from_truth(sim: SimulatedActivity, fmt: str = "fit", *, heading: bool = True, cadence: bool = True) -> Activity:
    """The Activity the readers make of `sim` written as `fmt` (in memory, no file)."""
    return sim.to_activity(fmt, heading=heading, cadence=cadence)


# --- plans ---------------------------------------------------------------------------------------


def _speed(rng: np.random.Generator, runner: Runner, gait: Gait, scale: float = 1.0, spread: float = 0.05) -> float:
    return float(runner.cruise_speed_mps(gait) * scale * rng.normal(1.0, spread))


def _stop(rng: np.random.Generator, lo: float, hi: float, pause_p: float) -> Phase:
    dur = float(rng.uniform(lo, hi))
    return Phase(None, dur, pause=bool(dur >= 8.0 and rng.random() < pause_p))


def _with_transitions(phases: list[Phase], rng: np.random.Generator, stop_p: float, pause_p: float, lap_p: float) -> list[Phase]:
    """Insert stops at some direction changes and mark lap presses."""
    out: list[Phase] = []
    for ph in phases:
        prev = out[-1] if out else None
        if (prev is not None and prev.gait is not None and ph.gait is not None
                and prev.gait.direction != ph.gait.direction and rng.random() < stop_p):
            out.append(_stop(rng, 3.0, 20.0, pause_p))
        if ph.gait is not None and prev is not None and (prev.gait is None or prev.gait.direction != ph.gait.direction):
            ph.lap = bool(rng.random() < lap_p)
        out.append(ph)
    return out


def plan_session(rng: np.random.Generator, runner: Runner, scenario: str, hard: bool) -> list[Phase]:
    """A training session of the given scenario, as phases."""
    FR, BR, FW, BW = Gait.FORWARD_RUN, Gait.BACKWARD_RUN, Gait.FORWARD_WALK, Gait.BACKWARD_WALK
    ph: list[Phase] = []
    if scenario == "intervals":
        ph.append(Phase(FR, rng.uniform(240, 600), _speed(rng, runner, FR)))
        for _ in range(int(rng.integers(4, 9))):
            dur = rng.uniform(10, 40) if hard and rng.random() < 0.4 else rng.uniform(30, 300)
            ph.append(Phase(BR, dur, _speed(rng, runner, BR)))
            rec = rng.choice(["FR", "FW", "BW", "stop"], p=[0.4, 0.25, 0.15, 0.2] if hard else [0.5, 0.3, 0.0, 0.2])
            if rec == "stop":
                ph.append(_stop(rng, 10, 60, 0.4))
            else:
                g = {"FR": FR, "FW": FW, "BW": BW}[rec]
                ph.append(Phase(g, rng.uniform(20 if hard else 30, 120), _speed(rng, runner, g, 0.9)))
        ph.append(Phase(FR, rng.uniform(180, 480), _speed(rng, runner, FR)))
    elif scenario == "shuttle":
        sense = 1
        ph.append(Phase(FR, rng.uniform(120, 300), _speed(rng, runner, FR), sense=sense))
        for _ in range(int(rng.integers(8, 20))):
            sense = -sense
            g = rng.choice([FR, BR, BR, FW, BW] if hard else [FR, BR, BR])
            ph.append(Phase(g, rng.uniform(15 if hard else 25, 90), _speed(rng, runner, g), sense=sense))
            if rng.random() < 0.25:
                ph.append(_stop(rng, 3, 12, 0.0))
        ph.append(Phase(FR, rng.uniform(60, 240), _speed(rng, runner, FR), sense=-sense))
    elif scenario == "bursts":
        ph.append(Phase(FR, rng.uniform(180, 420), _speed(rng, runner, FR)))
        for _ in range(int(rng.integers(6, 14))):
            ph.append(Phase(BR, rng.uniform(10, 25) if hard else rng.uniform(20, 45), _speed(rng, runner, BR, 1.1)))
            ph.append(Phase(FR, rng.uniform(45, 150), _speed(rng, runner, FR)))
    elif scenario == "walk_mix":
        for _ in range(int(rng.integers(6, 14))):
            g = rng.choice([FR, BR, FW, BW])
            if ph and ph[-1].gait == g:
                continue
            ph.append(Phase(g, rng.uniform(30, 240), _speed(rng, runner, g)))
    elif scenario == "fartlek":
        for _ in range(int(rng.integers(8, 16))):
            r = rng.random()
            if r < 0.15:
                ph.append(Phase(FW, rng.uniform(30, 90), _speed(rng, runner, FW)))
            elif r < 0.25:
                ph.append(_stop(rng, 5, 40, 0.3))
            else:
                ph.append(Phase(FR, rng.uniform(40, 240), _speed(rng, runner, FR, rng.uniform(0.75, 1.35))))
    elif scenario == "backward_race":
        ph.append(Phase(FW, rng.uniform(90, 300), _speed(rng, runner, FW)))
        ph.append(Phase(BR, rng.uniform(300, 1800), _speed(rng, runner, BR)))
        ph.append(Phase(FW, rng.uniform(90, 300), _speed(rng, runner, FW)))
    elif scenario == "backward_reps":
        ph.append(Phase(FW, rng.uniform(90, 300), _speed(rng, runner, FW)))
        for _ in range(int(rng.integers(3, 7))):
            ph.append(Phase(BR, rng.uniform(60, 300), _speed(rng, runner, BR)))
            ph.append(Phase(FW, rng.uniform(40, 150), _speed(rng, runner, FW)))
        ph.append(Phase(FW, rng.uniform(60, 240), _speed(rng, runner, FW)))
    elif scenario in ("pure_forward", "pure_backward"):
        g = FR if scenario == "pure_forward" else BR
        for _ in range(int(rng.integers(1, 5))):
            ph.append(Phase(g, rng.uniform(240, 900), _speed(rng, runner, g, rng.uniform(0.85, 1.15))))
            ph.append(_stop(rng, 5, 40, 0.3))
        ph.pop()
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    stop_p = 0.3 if hard else 0.5
    return _with_transitions(ph, rng, stop_p=stop_p if scenario not in ("shuttle", "bursts") else 0.1, pause_p=0.3,
                             lap_p=float(rng.choice([0.0, 0.9])))


# --- motion --------------------------------------------------------------------------------------


def _smooth(x: np.ndarray, tau_s: float, dt_s: float = DT_SIM_S) -> np.ndarray:
    """Causal first-order lag with time constant tau_s (an exponential kernel)."""
    k = int(max(5 * tau_s / dt_s, 1))
    w = np.exp(-np.arange(k) * dt_s / tau_s)
    w /= w.sum()
    padded = np.concatenate((np.full(k - 1, x[0]), x))
    return np.convolve(padded, w, mode="valid")


def _speed_profile(phases: list[Phase], rng: np.random.Generator, hard: bool) -> tuple[np.ndarray, np.ndarray]:
    """Knots (time, speed) of a piecewise-linear speed profile through the phases."""
    knots_t, knots_v = [0.0], [0.0]
    t = 0.0
    for j, ph in enumerate(phases):
        end = t + ph.duration_s
        if ph.gait is None:
            knots_t.append(end)
            knots_v.append(0.0)
            t = end
            continue
        prev = phases[j - 1] if j > 0 else None
        nxt = phases[j + 1] if j + 1 < len(phases) else None

        def boundary(other: Phase | None) -> float:
            if other is None or other.gait is None or other.sense != ph.sense:
                return 0.0
            if other.gait.direction != ph.gait.direction:
                return float(rng.uniform(1.0, 1.8) if hard else rng.uniform(0.5, 1.2))
            return min(other.speed_mps, ph.speed_mps)

        a = knots_v[-1] if prev is not None and prev.gait is not None and prev.sense == ph.sense else boundary(prev)
        b = boundary(nxt)
        acc = 1.2 if ph.gait.running else 0.8
        r_in, r_out = abs(ph.speed_mps - a) / acc, abs(ph.speed_mps - b) / acc
        if r_in + r_out > 0.8 * ph.duration_s:
            scale = 0.8 * ph.duration_s / (r_in + r_out)
            r_in, r_out = r_in * scale, r_out * scale
        knots_t[-1] = t
        knots_v[-1] = a
        knots_t += [t + r_in, end - r_out, end]
        knots_v += [ph.speed_mps, ph.speed_mps, b]
        t = end
    return np.array(knots_t), np.array(knots_v)


@dataclass
class _Motion:
    t: np.ndarray
    v: np.ndarray
    u: np.ndarray
    phase: np.ndarray
    facing: np.ndarray
    travel: np.ndarray
    cadence: np.ndarray
    stance_ms: np.ndarray


def _altitude_m(route: Route, u: np.ndarray, hill_m: float) -> np.ndarray:
    """Height of the ground at route position `u`."""
    return 20.0 + hill_m * np.sin(2 * np.pi * u / max(route.length_m, 1.0))


def _altitude_slope(route: Route, u: np.ndarray, hill_m: float) -> np.ndarray:
    """Rise per metre of route at `u`, in the direction of increasing `u`."""
    k = 2 * np.pi / max(route.length_m, 1.0)
    return hill_m * k * np.cos(k * u)


def _move(phases: list[Phase], runner: Runner, route: Route, rng: np.random.Generator, hard: bool,
          hill_m: float = HILL_M) -> _Motion:
    total = sum(p.duration_s for p in phases)
    t = np.arange(0.0, total + 1e-9, DT_SIM_S)
    kt, kv = _speed_profile(phases, rng, hard)
    v = np.interp(t, kt, kv)
    v *= 1.0 + gauss_markov(t.size, DT_SIM_S, 0.04, 20.0, rng)
    v = np.maximum(v, 0.0)
    bounds = np.cumsum([0.0] + [p.duration_s for p in phases])
    phase = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, len(phases) - 1)
    sense = np.array([p.sense for p in phases])[phase]
    u0 = route.length_m / 2 if not route.closed else float(rng.uniform(0, route.length_m))
    u = u0 + np.concatenate(([0.0], np.cumsum(sense[:-1] * v[:-1] * DT_SIM_S)))
    travel = (route.bearing_deg(u) + np.where(sense < 0, 180.0, 0.0)) % 360.0
    back = np.array([p.gait is not None and p.gait.direction == Direction.BACKWARD for p in phases])
    moving = np.array([p.gait is not None for p in phases])
    target = (travel + np.where(back[phase], 180.0, 0.0)) % 360.0
    # Standing: keep facing as before the stop for its first half, then turn to face the next phase.
    for j in np.flatnonzero(~moving):
        sel = phase == j
        idx = np.flatnonzero(sel)
        if idx.size == 0:
            continue
        before = target[idx[0] - 1] if idx[0] > 0 else target[idx[-1] + 1] if idx[-1] + 1 < t.size else 0.0
        after = target[idx[-1] + 1] if idx[-1] + 1 < t.size else before
        half = idx[: idx.size // 2]
        target[half] = before
        target[idx[idx.size // 2:]] = after
    facing = np.degrees(_smooth(np.unwrap(np.radians(target)), 0.4)) % 360.0
    cadence = np.zeros(t.size)
    for j, ph in enumerate(phases):
        if ph.gait is None:
            continue
        sel = phase == j
        cadence[sel] = runner.cadence_spm(ph.gait, v[sel])
    running = np.array([p.gait is not None and p.gait.running for p in phases])[phase]
    grade = sense * _altitude_slope(route, u, hill_m)
    cadence *= np.where(running, 1.0 + HILL_CADENCE_PER_GRADE * grade, 1.0)
    cadence *= 1.0 + gauss_markov(t.size, DT_SIM_S, 0.012, 15.0, rng)
    cadence[v < 0.15] = 0.0
    stance = np.full(t.size, np.nan)
    for j, ph in enumerate(phases):
        if ph.gait is not None:
            sel = phase == j
            stance[sel] = runner.stance_time_ms(ph.gait, v[sel], cadence[sel])
    return _Motion(t, v, u, phase, facing, travel, cadence, stance)


def _record_times(m: _Motion, rng: np.random.Generator, smart: bool) -> np.ndarray:
    """Whole seconds at which the watch writes a record (every second, or smart recording)."""
    whole = np.arange(0, int(np.floor(m.t[-1])) + 1)
    if not smart:
        return whole.astype(float)
    idx = (whole / DT_SIM_S).round().astype(int)
    v, trav = m.v[idx], m.travel[idx]
    keep = [0]
    gap = 1 + min(rng.poisson(2.0), 7)
    for k in range(1, whole.size):
        last = keep[-1]
        dv = abs(v[k] - v[last]) > 0.25 * max(v[last], 0.5)
        dturn = abs((trav[k] - trav[last] + 180.0) % 360.0 - 180.0) > 30.0
        if k - last >= gap or dv or dturn:
            keep.append(k)
            gap = 1 + min(rng.poisson(2.0), 7)
    if keep[-1] != whole.size - 1:
        keep.append(whole.size - 1)
    return whole[keep].astype(float)


def _truth(phases: list[Phase]) -> Truth:
    segs, t = [], 0.0
    for ph in phases:
        d = Direction.STOPPED if ph.gait is None else ph.gait.direction
        g = None if ph.gait is None else ph.gait.value
        if segs and segs[-1].direction == d and segs[-1].gait == g:
            segs[-1] = replace(segs[-1], end_s=t + ph.duration_s)
        else:
            segs.append(TruthSegment(t, t + ph.duration_s, d, g))
        t += ph.duration_s
    return Truth(segs)


def difficulty_settings(rng: np.random.Generator, difficulty: str) -> tuple[str, Recording]:
    """A runner kind and recording settings for an easy or hard activity."""
    hard = difficulty == "hard"
    kind = str(rng.choice(["tall", "short", "fast", "slow_backward", "overlap", "typical"])) if hard else "typical"
    rec = Recording(
        smart=bool(rng.random() < (0.5 if hard else 0.2)),
        gps_sigma_m=float(rng.uniform(2.5, 4.5) if hard else rng.uniform(1.5, 3.0)),
        gps_tau_s=float(rng.uniform(40, 150)),
        gps_smooth_s=float(rng.uniform(2.0, 8.0)),
        swing_deg=float(rng.uniform(15, 30)),
        compass_bias_deg=float(rng.uniform(5, 18)),
        compass_tau_s=float(rng.uniform(120, 600)),
        manual_laps=bool(rng.random() < 0.5),
        auto_laps=bool(rng.random() < 0.5),
        dynamics=bool(rng.random() < 0.2),
    )
    return kind, rec


def simulate_activity(
    seed: int,
    *,
    scenario: str | None = None,
    difficulty: str = "easy",
    runner: Runner | None = None,
    route: Route | str | None = None,
    recording: Recording | None = None,
    phases: list[Phase] | None = None,
    hill_m: float = HILL_M,
) -> SimulatedActivity:
    """One deterministic simulated session (same seed and arguments, same activity).

    The ground rises and falls by `hill_m` once per route length, and running step rate follows the slope.
    """
    rng = np.random.default_rng(seed)
    hard = difficulty == "hard"
    kind, rec = difficulty_settings(rng, difficulty)
    recording = recording or rec
    runner = runner or make_runner(rng, kind)
    if scenario is None:
        scenario = str(rng.choice(SCENARIOS, p=[0.3, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1]))
    if phases is None:
        phases = plan_session(rng, runner, scenario, hard)
    if route is None or isinstance(route, str):
        name = route or ("out_and_back" if scenario == "shuttle" else str(rng.choice(["loop", "loop", "track"])))
        route = {"loop": lambda: loop_route(rng), "track": lambda: track_route(rng.uniform(0, 180)),
                 "out_and_back": lambda: out_and_back_route(rng, 3000.0)}[name]()
    m = _move(phases, runner, route, rng, hard, hill_m)
    t_rec = _record_times(m, rng, recording.smart)

    # Pauses: the timer stops a second into a long stop and restarts a second before its end.
    bounds = np.cumsum([0.0] + [p.duration_s for p in phases])
    pauses = []
    for j, ph in enumerate(phases):
        if ph.pause:
            a, b = float(np.ceil(bounds[j] + 1.0)), float(np.floor(bounds[j + 1] - 1.0))
            if b - a >= 4.0:
                pauses.append((a, b))
    for a, b in pauses:
        t_rec = t_rec[(t_rec <= a) | (t_rec >= b)]
        t_rec = np.union1d(t_rec, [a, b])
    idx = np.clip((t_rec / DT_SIM_S).round().astype(int), 0, m.t.size - 1)
    n = t_rec.size

    # Positions with correlated GPS error.
    x, y = route.point(m.u[idx])
    ex, ey = correlated_gps_error(n, t_rec, recording.gps_sigma_m, recording.gps_tau_s, rng,
                                  smooth_s=recording.gps_smooth_s)
    x = x + ex + rng.normal(0, 0.1, n)
    y = y + ey + rng.normal(0, 0.1, n)
    lat0, lon0 = PLACES[int(rng.integers(len(PLACES)))]
    proj = LocalProjection(lat0 + rng.uniform(-0.01, 0.01), lon0 + rng.uniform(-0.01, 0.01))
    lat, lon = proj.to_latlon(x, y)

    # The device's speed (Doppler, smoothed) and its integral, the device distance.
    v_dev = np.maximum(_smooth(m.v, 1.5) + gauss_markov(m.t.size, DT_SIM_S, 0.06, 4.0, rng), 0.0)
    v_dev[m.v < 0.05] = 0.0
    dist_dev = np.concatenate(([0.0], np.cumsum(v_dev[:-1] * DT_SIM_S)))
    speed = v_dev[idx]
    distance = dist_dev[idx]

    # Cadence as the watch's accelerometer reports it: averaged over the last ~2 s.
    cad = _smooth(m.cadence, 1.0)[idx] + rng.normal(0, 0.8, n)
    cad = np.where(m.cadence[idx] > 0, np.maximum(cad, 0.0), 0.0)

    # Wrist compass: facing + arm swing + slowly varying bias + a little noise.
    swing = recording.swing_deg * np.sin(rng.uniform(0, 2 * np.pi, n))
    bias = rng.normal(0, 3.0) + gauss_markov(n, t_rec, recording.compass_bias_deg, recording.compass_tau_s, rng)
    heading = (m.facing[idx] + swing + bias + rng.normal(0, 3.0, n)) % 360.0

    # Heart rate: effort from speed and gait, with a slow response.
    effort = np.zeros(m.t.size)
    gait_factor = {Gait.FORWARD_RUN: 30.0, Gait.BACKWARD_RUN: 45.0, Gait.FORWARD_WALK: 25.0, Gait.BACKWARD_WALK: 35.0}
    for j, ph in enumerate(phases):
        if ph.gait is not None:
            sel = m.phase == j
            effort[sel] = gait_factor[ph.gait] * m.v[sel]
    hr = np.clip(70.0 + _smooth(effort, 25.0)[idx] + rng.normal(0, 1.0, n), 50.0, 200.0)
    alt = _altitude_m(route, m.u[idx], hill_m) + rng.normal(0, 0.3, n)
    step = np.full(n, np.nan)
    stance = np.full(n, np.nan)
    if recording.dynamics:
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(cad > 0, 60.0 * speed / cad * rng.normal(1.0, 0.02, n), np.nan)
        # Ground contact from the same sensor: averaged over a few steps, a slow drift (fatigue, strap
        # position), per-record scatter. Its own generator keeps every other channel's draws as they were.
        own = np.random.default_rng([seed, 41])
        drift = gauss_markov(n, t_rec, 0.02, 300.0, own)
        have = np.isfinite(m.stance_ms)
        averaged = _smooth(np.where(have, m.stance_ms, 0.0), 1.0) / np.maximum(_smooth(have * 1.0, 1.0), 1e-9)
        stance = averaged[idx] * (1.0 + drift + own.normal(0.0, 0.025, n))
        stance = np.where(np.isfinite(m.stance_ms[idx]) & (cad > 0), stance, np.nan)

    # Laps: pressed at marked phase starts (a second or two late), else automatic every km.
    lap_marks = []
    if recording.manual_laps:
        lap_marks = [bounds[j] + rng.uniform(0.0, 2.0) for j, ph in enumerate(phases) if ph.lap]
    elif recording.auto_laps:
        km = np.arange(1000.0, distance[-1], 1000.0)
        lap_marks = list(np.interp(km, distance, t_rec))
    edges = [0.0] + [float(round(s)) for s in lap_marks if 0 < round(s) < t_rec[-1]] + [float(t_rec[-1])]
    edges = sorted(set(edges))
    laps = [(a, b, float(np.interp(b, t_rec, distance) - np.interp(a, t_rec, distance))) for a, b in zip(edges[:-1], edges[1:])]

    start = datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc) + timedelta(days=int(rng.integers(0, 200)),
                                                                        minutes=int(rng.integers(0, 600)))
    return SimulatedActivity(
        name=f"sim-{difficulty}-{seed}-{scenario}",
        seed=seed, scenario=scenario, difficulty=difficulty, runner=runner, route=route, recording=recording,
        start_time=start, truth=_truth(phases), t_s=t_rec, lat_deg=lat, lon_deg=lon, distance_m=distance,
        speed_mps=speed, cadence_spm=cad, heading_deg=heading, heart_rate_bpm=hr, altitude_m=alt,
        step_length_m=step, laps=laps, pauses=pauses, stance_time_ms=stance,
    )

