"""The plain data a race produces: what results.json, results.csv and the pages are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

STATUSES = ("finished", "dq", "dnf", "dns", "error")
"""Every status, in the order results list them (JSON, CSV and pages alike): an `error` is no outcome of
the race but a track the officials must look at, at the bottom."""


@dataclass(frozen=True)
class Gate:
    """A line across the course, perpendicular to the runners' travel `bearing_deg`."""

    name: str
    lat_deg: float
    lon_deg: float
    bearing_deg: float
    width_m: float


@dataclass
class RaceInfo:
    name: str
    date: str
    distance_m: float
    gun_time: datetime
    timing: str = "chip"
    direction: str = "backward"
    min_backward_fraction: float = 0.9
    venue: str | None = None
    start: Gate | None = None
    finish: Gate | None = None
    finish_crossings: int = 1
    checkpoints: list[Gate] = field(default_factory=list)
    lap_m: float | None = None
    """Length of one lap where the finish is crossed more than once (optional `[course] lap_m`): gives lap splits a distance."""

    @property
    def gates(self) -> list[Gate]:
        """Every gate of the course: the start (where there is one), the finish, the checkpoints."""
        return [g for g in (self.start, self.finish, *self.checkpoints) if g is not None]


@dataclass
class SplitTime:
    """Time since the runner's start at a counted gate crossing."""

    name: str
    elapsed_s: float
    split_s: float
    distance_m: float | None = None
    """Race distance at this split where the course defines it (laps of a known length)."""


@dataclass
class RunnerTrace:
    """A runner's track over their race, for maps and charts on the runner page.

    Arrays are sampled at the track's records from the runner's start (or the gun)
    to their finish (or the end of the track). `direction` holds Direction codes
    per interval (length n - 1).
    """

    t_s: np.ndarray
    """Seconds since the runner's start."""
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    speed_mps: np.ndarray
    cadence_spm: np.ndarray
    direction: np.ndarray


@dataclass
class RunnerResult:
    bib: str
    name: str
    sex: str
    birth_year: int | None
    category: str
    club: str
    status: str
    reason: str | None = None
    time_s: float | None = None
    place: int | None = None
    category_place: int | None = None
    backward_fraction: float | None = None
    """Null unless the direction check could judge it (pass or fail)."""
    direction_check: str = "unverified"
    direction_reason: str | None = None
    """Why the check failed or could not judge (the detector's evidence in words)."""
    splits: list[SplitTime] = field(default_factory=list)
    review: str | None = None
    """Why officials should look at this result (e.g. faster than the world best), or None."""
    time_source: str | None = None
    """"gps", "hand" (the entries' time column) or "import" (--times)."""
    track: str | None = None
    warnings: list[str] = field(default_factory=list)
    trace: RunnerTrace | None = None
    start_s: float | None = None
    """The runner's start in seconds after the gun (0 for gun timing), when their track shows it."""


@dataclass
class RaceResult:
    race: RaceInfo
    results: list[RunnerResult]
    warnings: list[str] = field(default_factory=list)

    @property
    def starters(self) -> int:
        """Everyone but `dns`: an `error` runner's track was named, so they are taken to have started."""
        return sum(1 for r in self.results if r.status != "dns")

    @property
    def finishers(self) -> int:
        return sum(1 for r in self.results if r.status == "finished")
