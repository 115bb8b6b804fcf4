"""Routes as polylines in metres east/north of an origin: a park loop, an out-and-back path, a track.

A runner's place on a route is its route coordinate `u` (metres along the
polyline). Closed routes wrap; open routes clamp (out-and-back drills turn
round well inside them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRACK_STRAIGHT_M = 84.39
TRACK_RADIUS_M = 36.80
"""Lane 1 measured 0.30 m out from the kerb: 2 * 84.39 + 2 * pi * 36.80 = 400.0 m."""


@dataclass(frozen=True)
class Route:
    name: str
    x_m: np.ndarray
    y_m: np.ndarray
    closed: bool

    @property
    def _cum(self) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(self.x_m), np.diff(self.y_m)))))

    @property
    def length_m(self) -> float:
        return float(self._cum[-1])

    def _u(self, u_m) -> np.ndarray:
        u = np.asarray(u_m, dtype=float)
        return np.mod(u, self.length_m) if self.closed else np.clip(u, 0.0, self.length_m)

    def point(self, u_m) -> tuple[np.ndarray, np.ndarray]:
        """Position (east, north) at route coordinate `u_m`."""
        u, cum = self._u(u_m), self._cum
        return np.interp(u, cum, self.x_m), np.interp(u, cum, self.y_m)

    def bearing_deg(self, u_m) -> np.ndarray:
        """Direction of increasing `u` at `u_m`, degrees clockwise from north."""
        u, cum = self._u(u_m), self._cum
        seg = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, cum.size - 2)
        dx = self.x_m[seg + 1] - self.x_m[seg]
        dy = self.y_m[seg + 1] - self.y_m[seg]
        return np.degrees(np.arctan2(dx, dy)) % 360.0


def _resample(x: np.ndarray, y: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    cum = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    u = np.linspace(0.0, cum[-1], max(int(cum[-1] / spacing_m), 2) + 1)
    return np.interp(u, cum, x), np.interp(u, cum, y)


def track_route(rotation_deg: float = 0.0) -> Route:
    """A 400 m track, lane 1, run anticlockwise from the west end of the south straight."""
    bend1 = np.linspace(-np.pi / 2, np.pi / 2, 91)
    bend2 = np.linspace(np.pi / 2, 3 * np.pi / 2, 91)
    # Straights take what the polygonal bends leave of exactly 400 m.
    bend_len = 2 * np.sum(np.hypot(np.diff(np.cos(bend1)), np.diff(np.sin(bend1)))) * TRACK_RADIUS_M
    half = (400.0 - bend_len) / 4
    bottom = np.linspace(-half, half, 20)
    top = np.linspace(half, -half, 20)
    x = np.concatenate((bottom, half + TRACK_RADIUS_M * np.cos(bend1), top, -half + TRACK_RADIUS_M * np.cos(bend2)))
    y = np.concatenate((np.full(20, -TRACK_RADIUS_M), TRACK_RADIUS_M * np.sin(bend1), np.full(20, TRACK_RADIUS_M),
                        TRACK_RADIUS_M * np.sin(bend2)))
    keep = np.concatenate(([True], np.hypot(np.diff(x), np.diff(y)) > 1e-9))
    x, y = x[keep], y[keep]
    c, s = np.cos(np.radians(rotation_deg)), np.sin(np.radians(rotation_deg))
    return Route("track", c * x + s * y, -s * x + c * y, closed=True)


def loop_route(rng: np.random.Generator, length_m: float | None = None) -> Route:
    """A park loop: a wobbly closed curve with a few sharp corners, 0.8-2.5 km round."""
    length = length_m or rng.uniform(800.0, 2500.0)
    k = int(rng.integers(5, 9))
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = rng.uniform(0.6, 1.0, k)
    x, y = rad * np.cos(ang), rad * np.sin(ang)
    x, y = np.append(x, x[0]), np.append(y, y[0])
    # Round some corners: blend each polygon vertex with its neighbours.
    x, y = _resample(x, y, 0.01)
    w = int(rng.integers(1, 8))
    if w > 1:
        kernel = np.ones(w) / w
        x = np.convolve(np.concatenate((x[-w:], x, x[:w])), kernel, "same")[w:-w]
        y = np.convolve(np.concatenate((y[-w:], y, y[:w])), kernel, "same")[w:-w]
        x[-1], y[-1] = x[0], y[0]
    cum = np.sum(np.hypot(np.diff(x), np.diff(y)))
    x, y = x * length / cum, y * length / cum
    x, y = _resample(x, y, 2.0)
    x[-1], y[-1] = x[0], y[0]
    return Route("loop", x, y, closed=True)


def out_and_back_route(rng: np.random.Generator, length_m: float = 2000.0) -> Route:
    """A straight-ish path (a towpath, a pier) for out-and-back drills; runners start mid-way."""
    u = np.linspace(0.0, length_m, int(length_m / 5.0) + 1)
    bearing = np.radians(rng.uniform(0, 360))
    bend = rng.uniform(-0.2, 0.2) * np.sin(2 * np.pi * u / length_m * rng.uniform(0.3, 1.0))
    heading = bearing + bend
    x = np.concatenate(([0.0], np.cumsum(np.sin(heading[:-1]) * np.diff(u))))
    y = np.concatenate(([0.0], np.cumsum(np.cos(heading[:-1]) * np.diff(u))))
    return Route("out_and_back", x, y, closed=False)
