"""Standard 400 m track geometry, and race configs for every standard distance on it.

A standard track (World Athletics, Track and Field Facilities Manual) has two
84.39 m straights joined by semicircular bends whose inside kerb has a 36.5 m
radius. A lane's length is measured along its running line: 0.30 m outside the
kerb in lane 1, 0.20 m outside the lane's inner line in the other lanes (lanes
are 1.22 m wide), so lane 1 is exactly 400 m and each lane further out longer.

Everything here is in a local frame anchored at one point the user can find on
a map: where the finish line meets the inside kerb, with the home straight's
travel bearing. Races run anticlockwise (the infield on the runners' left in the
direction of travel, whichever way they face).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from retrotrack.geo import LocalProjection
from retrotrack.race.model import Gate, RaceInfo

STRAIGHT_M = 84.39
KERB_RADIUS_M = 36.5
LANE_WIDTH_M = 1.22
LANE1_LINE_M = 0.30
"""Lane 1 is measured 0.30 m outside the kerb..."""
LANE_LINE_M = 0.20
"""...the other lanes 0.20 m outside their inner line."""
DEFAULT_LANES = 8
TRACK_GATE_WIDTH_M = 30.0
"""Gates across the track: the lanes plus a generous GPS margin, well short of the infield's far side."""
GATE_DECIMALS = 6
"""Gate positions are to a millionth of a degree (about 0.1 m), as readable configs write them."""
PLACEHOLDER_GUN_TIME = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
"""The gun time a config gets when none is given, marked in the config as one to set."""
PLACEHOLDER_NOTE = "gun_time: set the real gun time before the race (and the date above, if it is another day)"

STANDARD_DISTANCES_M = (100, 200, 400, 800, 1500, 3000, 5000, 10000)


def lane_radius_m(lane: int) -> float:
    """Radius of a lane's running line on the bends."""
    if lane < 1:
        raise ValueError("lanes are numbered from 1")
    if lane == 1:
        return KERB_RADIUS_M + LANE1_LINE_M
    return KERB_RADIUS_M + LANE_WIDTH_M * (lane - 1) + LANE_LINE_M


def lane_length_m(lane: int) -> float:
    """One lap along a lane's running line (400.0 m in lane 1)."""
    return 2 * STRAIGHT_M + 2 * math.pi * lane_radius_m(lane)


@dataclass(frozen=True)
class StandardTrack:
    """A standard 400 m track placed on the map by its finish line and home straight.

    `finish_lat_deg`/`finish_lon_deg`: where the finish line meets the inside kerb.
    `bearing_deg`: the direction runners travel along the home straight.
    """

    finish_lat_deg: float
    finish_lon_deg: float
    bearing_deg: float
    lanes: int = DEFAULT_LANES

    @property
    def projection(self) -> LocalProjection:
        return LocalProjection(self.finish_lat_deg, self.finish_lon_deg)

    def _frame(self) -> tuple[np.ndarray, np.ndarray]:
        th = math.radians(self.bearing_deg)
        u = np.array([math.sin(th), math.cos(th)])  # along the home straight
        left = np.array([-u[1], u[0]])  # towards the infield
        return u, left

    def lane_xy(self, lane: int, q_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Metres east/north (of the finish kerb point) and travel bearing at `q_m` past the finish along a lane's running line.

        The lap starts where the lane's running line meets the finish line; q wraps every lap.
        """
        u, left = self._frame()
        r = lane_radius_m(lane)
        lap = lane_length_m(lane)
        q = np.mod(np.asarray(q_m, dtype=float), lap)
        c1 = KERB_RADIUS_M * left
        c2 = c1 - STRAIGHT_M * u
        bend = math.pi * r
        pts = np.zeros(q.shape + (2,))
        tan = np.zeros(q.shape + (2,))
        # Bend 1, from the finish line.
        m = q < bend
        phi = q[m] / r
        pts[m] = c1 + r * (-np.cos(phi)[:, None] * left + np.sin(phi)[:, None] * u)
        tan[m] = np.sin(phi)[:, None] * left + np.cos(phi)[:, None] * u
        # Back straight.
        m = (q >= bend) & (q < bend + STRAIGHT_M)
        along = q[m] - bend
        pts[m] = c1 + r * left - along[:, None] * u
        tan[m] = -u
        # Bend 2.
        m = (q >= bend + STRAIGHT_M) & (q < 2 * bend + STRAIGHT_M)
        psi = (q[m] - bend - STRAIGHT_M) / r
        pts[m] = c2 + r * (np.cos(psi)[:, None] * left - np.sin(psi)[:, None] * u)
        tan[m] = -np.sin(psi)[:, None] * left - np.cos(psi)[:, None] * u
        # Home straight, up to the finish line.
        m = q >= 2 * bend + STRAIGHT_M
        along = q[m] - 2 * bend - STRAIGHT_M
        pts[m] = c2 - r * left + along[:, None] * u
        tan[m] = u
        bearing = np.degrees(np.arctan2(tan[..., 0], tan[..., 1])) % 360.0
        return pts[..., 0], pts[..., 1], bearing

    def before_finish(self, lane: int, distance_m: float) -> tuple[float, float, float]:
        """(x, y, bearing) of the point `distance_m` before the finish along a lane's running line."""
        x, y, b = self.lane_xy(lane, np.array([-float(distance_m)]))
        return float(x[0]), float(y[0]), float(b[0])

    def gate_across(self, x: float, y: float, bearing_deg: float, lane: int = 1) -> tuple[float, float]:
        """Centre (lat, lon) of a gate across all lanes at a lane's running-line point."""
        th = math.radians(bearing_deg)
        out = np.array([math.cos(th), -math.sin(th)])  # right of travel: away from the infield
        offset = self.lanes * LANE_WIDTH_M / 2 - (lane_radius_m(lane) - KERB_RADIUS_M)
        lat, lon = self.projection.to_latlon(x + offset * out[0], y + offset * out[1])
        return float(lat), float(lon)


@dataclass(frozen=True)
class StartPlan:
    """How a standard distance is started on a 400 m track."""

    distance_m: int
    timing: str
    lanes: bool
    """Run in lanes with a staggered start (gun timing, no single start line)."""
    waterfall: bool
    before_finish_m: float
    """Where lane 1 starts, measured back from the finish along its running line."""
    finish_crossings: int
    straight: bool = False
    """Started on the straight's extension (the 100 m), not on the oval."""


LANE_START_DISTANCES_M = (800,)
"""Distances that may also start in lanes (the 800 m: in lanes round the first bend) instead of a waterfall."""


def start_plan(distance_m: float, *, lane_start: bool = False) -> StartPlan:
    """The usual start for a standard track distance; with `lane_start`, the 800 m in lanes from a
    staggered start (gun timing: runners in the outer lanes stand up to 27 m past a waterfall line)."""
    d = int(round(distance_m))
    if d not in STANDARD_DISTANCES_M or abs(distance_m - d) > 1e-6:
        raise ValueError(f"{distance_m:g} m is not a standard track distance ({', '.join(map(str, STANDARD_DISTANCES_M))})")
    if lane_start and d not in LANE_START_DISTANCES_M:
        raise ValueError(f"only the {' and '.join(f'{x} m' for x in LANE_START_DISTANCES_M)} can start in lanes "
                         f"(the {d} m starts {'in lanes anyway' if d <= 400 else 'from a waterfall line'})")
    if d == 100:
        return StartPlan(d, "gun", True, False, 100.0, 1, straight=True)
    if d in (200, 400):
        return StartPlan(d, "gun", True, False, float(d % 400), 1)
    before = float(d % 400)
    # One counted crossing at the end of the part lap, then one per full lap.
    crossings = d // 400 + (1 if before else 0)
    if lane_start:
        return StartPlan(d, "gun", True, False, before, crossings)
    return StartPlan(d, "chip", False, True, before, crossings)


def _rounded(lat_lon: tuple[float, float]) -> tuple[float, float]:
    return round(lat_lon[0], GATE_DECIMALS), round(lat_lon[1], GATE_DECIMALS)


def computed_gate(name: str, lat_deg: float, lon_deg: float, bearing_deg: float, width_m: float) -> Gate:
    """A gate worked out from a course's geometry, as a readable config writes it: its position to
    GATE_DECIMALS and its bearing to a tenth of a degree."""
    lat, lon = _rounded((float(lat_deg), float(lon_deg)))
    return Gate(name, lat, lon, round(float(bearing_deg), 1) % 360.0, width_m)


def track_race_info(
    track: StandardTrack,
    distance_m: float,
    *,
    gun_time: datetime,
    name: str | None = None,
    direction: str = "backward",
    lane_start: bool = False,
) -> RaceInfo:
    """The race config for a standard distance on `track`: gates, timing and finish crossings. The race's
    date is the gun's in the gun's own time zone (`gun_time` as the organiser gave it)."""
    plan = start_plan(distance_m, lane_start=lane_start)
    fin_lat, fin_lon = _rounded(track.gate_across(0.0, 0.0, track.bearing_deg))
    finish = Gate("finish", fin_lat, fin_lon, track.bearing_deg % 360.0, TRACK_GATE_WIDTH_M)
    start = None
    if plan.straight:
        u = track._frame()[0]
        x, y = -plan.before_finish_m * u[0], -plan.before_finish_m * u[1]
        s_lat, s_lon = _rounded(track.gate_across(float(x), float(y), track.bearing_deg))
        start = Gate("start", s_lat, s_lon, track.bearing_deg % 360.0, 20.0)
    elif not plan.lanes:
        x, y, b = track.before_finish(1, plan.before_finish_m)
        start = computed_gate("start", *track.gate_across(x, y, b), b, TRACK_GATE_WIDTH_M)
    return RaceInfo(
        name=name or f"Retro {plan.distance_m} m",
        date=gun_time.date().isoformat(),
        distance_m=float(plan.distance_m),
        gun_time=gun_time,
        timing=plan.timing,
        direction=direction,
        start=start,
        finish=finish,
        finish_crossings=plan.finish_crossings,
        lap_m=400.0 if plan.finish_crossings > 1 else None,
    )


def track_comments(track: StandardTrack, distance_m: float, *, lane_start: bool = False) -> list[str]:
    """Comment lines saying how the distance is started, for the top of its config."""
    plan = start_plan(distance_m, lane_start=lane_start)
    lines = [
        f"{plan.distance_m} m on a standard 400 m track (finish line at the kerb {track.finish_lat_deg:.6f}, "
        f"{track.finish_lon_deg:.6f}; home straight bearing {track.bearing_deg:.1f}; {track.lanes} lanes).",
        "Written by `retrotrack track-config`.",
    ]
    if plan.straight:
        lines.append("Run in lanes on the straight: gun timing; the start line is there for chip timing if wanted.")
    elif plan.lanes:
        lines.append("Run in lanes from a staggered start: gun timing, so no single start line is needed.")
        stagger = ", ".join(
            f"lane {k} {(lane_length_m(k) - 400.0) if plan.distance_m == 400 else math.pi * (lane_radius_m(k) - lane_radius_m(1)):.2f} m"
            for k in range(2, track.lanes + 1)
        )
        lines.append(f"Starts ahead of lane 1 along the running line: {stagger}"
                     + (" (one bend's stagger; the break line after it adds a little)." if plan.distance_m > 400 else "."))
    else:
        where = "on the finish line" if plan.before_finish_m == 0 else f"{plan.before_finish_m:g} m before the finish along lane 1"
        lines.append(
            f"Waterfall start {where}; the race ends at counted crossing number {plan.finish_crossings} of the finish "
            "line (a crossing within the first 50 m is the start itself and does not count)."
        )
    return lines


def track_config_toml(
    track: StandardTrack,
    distance_m: float,
    *,
    name: str | None = None,
    gun_time: datetime | None = None,
    entries_file: str = "entries.csv",
    direction: str = "backward",
    lane_start: bool = False,
) -> str:
    """A race config (INTERFACE.md's TOML) for a standard distance on `track`. Without a `gun_time` it has
    PLACEHOLDER_GUN_TIME, with a comment above it saying to set the real one: the config is often written
    before the race, and the gun time to the hundredth known only after it."""
    from retrotrack.race.config import race_to_toml

    note = PLACEHOLDER_NOTE if gun_time is None else None
    gun_time = gun_time or PLACEHOLDER_GUN_TIME
    race = track_race_info(track, distance_m, gun_time=gun_time, name=name, direction=direction, lane_start=lane_start)
    return race_to_toml(race, entries_file, comments=track_comments(track, distance_m, lane_start=lane_start),
                        gun_time_comment=note)


def make_track_config(
    finish: str,
    bearing_deg: float,
    distance_m: float,
    *,
    lanes: int = DEFAULT_LANES,
    name: str | None = None,
    gun_time: str | None = None,
    entries_file: str = "entries.csv",
    lane_start: bool = False,
) -> str:
    """`retrotrack track-config`: a config from the finish kerb point "LAT,LON" and the home straight's bearing.

    Raises ConfigError (naming the option) for a bad point, bearing, distance, start or gun time.
    """
    from retrotrack.errors import ConfigError
    from retrotrack.race.config import gun_time_as_written

    parts = [p for p in finish.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise ConfigError("--finish", f"{finish!r} is not LAT,LON in degrees (e.g. 53.305100,-6.218200)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError("--finish", f"{finish!r} is off the globe (latitude first, then longitude)")
    if not math.isfinite(bearing_deg):
        raise ConfigError("--bearing", "must be a number of degrees from true north")
    try:
        plan = start_plan(distance_m)
    except ValueError as exc:
        raise ConfigError("--distance", str(exc)) from None
    try:
        start_plan(distance_m, lane_start=lane_start)
    except ValueError as exc:
        raise ConfigError("--start", str(exc)) from None
    when = None
    if gun_time:
        try:
            when = gun_time_as_written(gun_time)
        except ValueError as exc:
            raise ConfigError("--gun-time", str(exc)) from None
    track = StandardTrack(lat, lon, bearing_deg % 360.0, lanes)
    return track_config_toml(track, plan.distance_m, name=name, gun_time=when, entries_file=entries_file,
                             lane_start=lane_start)
