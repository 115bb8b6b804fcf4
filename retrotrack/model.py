"""The activity model shared by readers, direction detection, race timing and pages.

One activity is a set of equal-length numpy arrays sampled at the records' times,
plus the device's laps, sessions and pauses. Missing values are NaN. Readers
fill what the file has; `finish_activity` derives the rest (distance from
positions, speed from distance, step length from speed and cadence).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

FOOT_SPORTS = frozenset({"running", "walking", "hiking", "trail_running", "generic", "unknown"})
"""Sports in which backward and forward apply (generic/unknown: we cannot rule it out)."""


class Direction(enum.IntEnum):
    """What the runner was doing over one interval between two records."""

    STOPPED = 0
    FORWARD = 1
    BACKWARD = 2
    UNKNOWN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass
class Lap:
    """A lap as the device recorded it (seconds since the first record)."""

    start_s: float
    end_s: float
    distance_m: float | None = None
    timer_s: float | None = None


@dataclass
class Session:
    """One sport of a (possibly multisport) activity."""

    sport: str
    start_s: float
    end_s: float
    distance_m: float | None = None
    elapsed_s: float | None = None
    timer_s: float | None = None

    @property
    def on_foot(self) -> bool:
        return self.sport in FOOT_SPORTS


@dataclass
class Activity:
    """One watch export, as arrays over its records.

    `t_s` is seconds since the first record, strictly increasing. Every other
    array has the same length; NaN marks a value the file does not have.
    `heading_deg` is the direction the device faces (compass), never the
    direction of travel. `cadence_spm` is steps per minute, both feet.
    """

    file: str
    format: str
    start_time: datetime
    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    distance_m: np.ndarray
    speed_mps: np.ndarray
    cadence_spm: np.ndarray
    step_length_m: np.ndarray
    heading_deg: np.ndarray
    heart_rate_bpm: np.ndarray
    altitude_m: np.ndarray
    stance_time_ms: np.ndarray
    vertical_oscillation_mm: np.ndarray
    sport: str = "unknown"
    device: str | None = None
    laps: list[Lap] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    pauses: list[tuple[float, float]] = field(default_factory=list)
    """(start_s, end_s) spans when the watch's timer was stopped."""
    warnings: list[str] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)
    """Those of `warnings` that say the file itself is damaged: cut off, a failed CRC, records or positions
    dropped as corrupt. A race track that falls short with damage is an `error`, not a `dnf`; a clean-up
    such as a GPS glitch left out is no damage."""
    device_distance_m: float | None = None
    """The device's own session total, when the file has one."""
    distance_source: str | None = None
    """Where `distance_m` came from: "device" (the watch's own odometer: GPS Doppler, a foot pod), "positions"
    (measured along the fixes), "speed" (a speed channel integrated) or "none". Left out, a distance
    channel given is taken to be the device's."""
    clock: str = "utc"
    """What `start_time` is: "utc"; "local" (a watch without a GPS fix that kept its owner's wall clock,
    written as if UTC: the offset is unknown); or "power-on" (seconds since the watch was switched on: the
    time of day and the date are unknown)."""

    def __post_init__(self) -> None:
        if self.distance_source is None:
            self.distance_source = "device" if np.isfinite(np.asarray(self.distance_m, dtype=float)).any() else "none"

    def __len__(self) -> int:
        return int(self.t_s.size)

    @property
    def elapsed_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if self.t_s.size else 0.0

    @property
    def start_time_iso(self) -> str:
        """ISO 8601 in the interface's form (2026-06-14T09:00:03Z). Where `clock` is not "utc" this is the
        watch's own clock written that way, and `clock` says so."""
        return self.start_time.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"

    @property
    def has_position(self) -> bool:
        return bool(np.isfinite(self.lat_deg).any())

    @property
    def has_cadence(self) -> bool:
        return bool(np.isfinite(self.cadence_spm).any())

    @property
    def has_heading(self) -> bool:
        return bool(np.isfinite(self.heading_deg).any())

    def on_foot_at(self, t_s: np.ndarray) -> np.ndarray:
        """Whether each time lies in an on-foot session; without sessions, whether the sport is on foot
        (an unknown sport is taken to be)."""
        on_foot = np.ones(np.shape(t_s), dtype=bool)
        if not self.sessions:
            return on_foot if self.sport in FOOT_SPORTS else ~on_foot
        for sess in self.sessions:
            if not sess.on_foot:
                on_foot &= ~((t_s >= sess.start_s) & (t_s < sess.end_s))
        return on_foot


CHANNELS = (
    "lat_deg",
    "lon_deg",
    "distance_m",
    "speed_mps",
    "cadence_spm",
    "step_length_m",
    "heading_deg",
    "heart_rate_bpm",
    "altitude_m",
    "stance_time_ms",
    "vertical_oscillation_mm",
)
"""The per-record arrays of an Activity, in order."""


def empty_channels(n: int) -> dict[str, np.ndarray]:
    """NaN-filled arrays for every channel, for readers to fill."""
    return {name: np.full(n, np.nan) for name in CHANNELS}
