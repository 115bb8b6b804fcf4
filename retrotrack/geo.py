"""Pure geodesy on numpy arrays: distances, bearings, a local metric projection.

Distances are 2-D great-circle (haversine on a sphere of the mean Earth radius):
over the few kilometres of a run the difference from the ellipsoid is far below
GPS error, and vertical distance is deliberately left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (broadcasts)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def initial_bearing_deg(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Bearing from point 1 towards point 2, degrees clockwise from true north in [0, 360)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dlmb) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlmb)
    return np.degrees(np.arctan2(y, x)) % 360.0


def angle_diff_deg(a, b) -> np.ndarray:
    """Signed smallest difference a - b in degrees, in [-180, 180)."""
    return (np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0


def destination(lat_deg: float, lon_deg: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from a start along a great circle with the given initial bearing."""
    d = distance_m / EARTH_RADIUS_M
    th = np.radians(bearing_deg)
    p1, l1 = np.radians(lat_deg), np.radians(lon_deg)
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(th))
    l2 = l1 + np.arctan2(np.sin(th) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return float(np.degrees(p2)), float((np.degrees(l2) + 540.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection to metres east/north of an origin.

    Accurate to well under a centimetre per kilometre near the origin, which is
    all a race course or a gate needs.
    """

    lat0_deg: float
    lon0_deg: float

    @property
    def _kx(self) -> float:
        return np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0_deg))

    @property
    def _ky(self) -> float:
        return np.radians(1.0) * EARTH_RADIUS_M

    def to_xy(self, lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray]:
        """Metres east and north of the origin."""
        dlon = (np.asarray(lon_deg, dtype=float) - self.lon0_deg + 540.0) % 360.0 - 180.0
        x = dlon * self._kx
        y = (np.asarray(lat_deg, dtype=float) - self.lat0_deg) * self._ky
        return x, y

    def to_latlon(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of `to_xy`."""
        lat = np.asarray(y_m, dtype=float) / self._ky + self.lat0_deg
        lon = np.asarray(x_m, dtype=float) / self._kx + self.lon0_deg
        return lat, lon


def bearing_to_unit(bearing_deg: float) -> tuple[float, float]:
    """Unit vector (east, north) of a compass bearing."""
    th = np.radians(bearing_deg)
    return float(np.sin(th)), float(np.cos(th))


def cumulative_distance_m(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Cumulative 2-D distance along a track; NaN positions add nothing."""
    n = lat_deg.size
    out = np.zeros(n)
    if n < 2:
        return out
    ok = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return out
    step = haversine_m(lat_deg[idx[:-1]], lon_deg[idx[:-1]], lat_deg[idx[1:]], lon_deg[idx[1:]])
    out[idx[1:]] = np.cumsum(step)
    return np.maximum.accumulate(out)


def displacement_speed_mps(t_s: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, at_s: np.ndarray,
                           half_window_s: float, min_span_s=0.0) -> np.ndarray:
    """Straight-line distance covered over a window centred on each of `at_s`, per second of the window
    (at least `min_span_s`, where a gap between records is longer than the window).

    Standing still, GPS jitter adds path length but hardly any displacement.
    NaN without two positions.
    """
    at_s = np.asarray(at_s, dtype=float)
    ok = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    if ok.sum() < 2:
        return np.full(at_s.size, np.nan)
    proj = LocalProjection(float(lat_deg[ok][0]), float(lon_deg[ok][0]))
    x, y = proj.to_xy(lat_deg[ok], lon_deg[ok])
    tk = t_s[ok]
    lo = np.maximum(at_s - half_window_s, tk[0])
    hi = np.minimum(at_s + half_window_s, tk[-1])
    dx = np.interp(hi, tk, x) - np.interp(lo, tk, x)
    dy = np.interp(hi, tk, y) - np.interp(lo, tk, y)
    return np.hypot(dx, dy) / np.maximum(np.maximum(hi - lo, min_span_s), 1e-9)


SMOOTH_KERNEL = (0.25, 0.5, 0.25)
"""Centred weighted mean on positions before measuring distance: damps jitter, barely cuts corners
(on 1 Hz Garmin rides it changes distance by under 0.3 %)."""
SMOOTH_FULL_S = 1.5
SMOOTH_NONE_S = 3.0
"""A neighbour this close in time (or closer) takes its full weight in the mean, one this far (or further)
none: fixes seconds apart (smart recording, a handheld) are already far apart on the ground, and
averaging them cuts every bend (5 s apart, 3-4 % off a run's distance)."""


def smoothed_positions(lat: np.ndarray, lon: np.ndarray, t: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A centred weighted mean over the known positions (the ends kept as they are).

    With times `t`, each neighbour's weight fades from full at SMOOTH_FULL_S away to none at
    SMOOTH_NONE_S, and the fix itself takes what they leave.
    """
    ok = np.isfinite(lat) & np.isfinite(lon)
    idx = np.flatnonzero(ok)
    if idx.size <= len(SMOOTH_KERNEL):
        return lat, lon
    side = SMOOTH_KERNEL[0] / float(np.sum(SMOOTH_KERNEL))
    w_prev = np.full(idx.size - 2, side)
    w_next = np.full(idx.size - 2, side)
    if t is not None:
        gap = np.diff(t[idx])
        fade = np.clip((SMOOTH_NONE_S - gap) / (SMOOTH_NONE_S - SMOOTH_FULL_S), 0.0, 1.0)
        w_prev *= fade[:-1]
        w_next *= fade[1:]
    out_lat, out_lon = lat.copy(), lon.copy()
    for src, dst in ((lat, out_lat), (lon, out_lon)):
        v = src[idx]
        dst[idx[1:-1]] = w_prev * v[:-2] + (1.0 - w_prev - w_next) * v[1:-1] + w_next * v[2:]
    return out_lat, out_lon


def position_distance_m(lat: np.ndarray, lon: np.ndarray, paused: np.ndarray | None = None,
                        t: np.ndarray | None = None) -> np.ndarray:
    """Cumulative distance along smoothed positions (at times `t`, see smoothed_positions), adding
    nothing over the `paused` intervals.

    Each stretch between pauses is smoothed and measured on its own: the straight line from the last
    fix before a pause to the first after it is no distance run, and smoothing across it would pull
    the fixes on either side towards each other (tens of metres of invented running at each end).
    """
    n = lat.size
    cuts = np.flatnonzero(paused) + 1 if paused is not None else np.zeros(0, dtype=np.int64)
    out = np.zeros(n)
    offset = 0.0
    for a, b in zip(np.concatenate(([0], cuts)).tolist(), np.concatenate((cuts, [n])).tolist()):
        out[a:b] = offset + cumulative_distance_m(*smoothed_positions(lat[a:b], lon[a:b], None if t is None else t[a:b]))
        offset = float(out[b - 1])
    return out
