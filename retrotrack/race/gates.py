"""Gate crossings: when a track crosses a gate line in the course direction, to a fraction of a second.

A gate is a line `width_m` long centred on `at`, perpendicular to the course
`bearing`. Working in a local metric frame (geo.LocalProjection), each fix gets
its signed distance past the line along the bearing (`along`) and its offset
along the line (`across`). A crossing in the course direction is a change of
`along` from negative to positive (fixes exactly on the line belong to the
crossing, a touch that turns back is not one); travelling within 90 degrees of
the bearing is exactly what makes `along` grow. It counts when the crossing
point lies within width_m / 2 of the centre.

The crossing time is first interpolated between the fixes either side, then
refined with every fix near the gate: a local low-order fit of `along` in time
(GPS error of a few metres moves single fixes; the fit averages what it can)
solved for the moment it reaches zero.

A line and a sign change need no geometry library: numpy finds every crossing
of a whole track at once, where shapely would build and intersect a segment
per pair of fixes to the same end, more slowly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from retrotrack.geo import LocalProjection, bearing_to_unit
from retrotrack.race.model import Gate

FIT_RADIUS_M = 25.0
"""Fixes within this distance of the line (along the bearing) inform the refined crossing."""
FIT_MAX_S = 8.0
"""...and within this many seconds of it."""
ON_LINE_M = 1e-6
ADVANCING_M = 0.3
"""A fix that moved less than this along the course since the last is standing, not passing through."""


@dataclass(frozen=True)
class GateGeometry:
    """A gate in local metres: its centre, course direction and half-width."""

    gate: Gate
    x0_m: float
    y0_m: float
    ux: float
    uy: float

    @classmethod
    def from_gate(cls, gate: Gate, projection: LocalProjection) -> "GateGeometry":
        x0, y0 = projection.to_xy(gate.lat_deg, gate.lon_deg)
        ux, uy = bearing_to_unit(gate.bearing_deg)
        return cls(gate, float(x0), float(y0), ux, uy)

    @property
    def name(self) -> str:
        return self.gate.name

    @property
    def half_width_m(self) -> float:
        return self.gate.width_m / 2.0

    def along(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Signed metres past the gate line in the course direction."""
        return (x_m - self.x0_m) * self.ux + (y_m - self.y0_m) * self.uy

    def across(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Signed metres along the gate line from its centre (positive to the right of travel)."""
        return (x_m - self.x0_m) * self.uy - (y_m - self.y0_m) * self.ux


@dataclass
class GateCrossing:
    """One crossing of a gate in the course direction (times on the clock of the fixes' `t_s`: in a race,
    seconds since the gun)."""

    gate: str
    t_s: float
    """Best estimate of the moment the line was crossed."""
    t_interp_s: float
    """Linear interpolation between the two fixes either side."""
    index: int
    """The last fix before the line (or the fix exactly on it)."""
    across_m: float
    """Where along the gate line it was crossed, from the centre."""
    speed_mps: float
    """Speed through the line along the course bearing."""
    gap_s: float
    """Time between the fixes either side: how much the interpolation had to bridge."""


def find_crossings(
    geom: GateGeometry,
    t_s: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    *,
    refine: bool = True,
    include_outside: bool = False,
) -> list[GateCrossing]:
    """All crossings of `geom` in the course direction, in time order.

    Fixes without a position are skipped (the crossing is interpolated across
    them). With `include_outside`, crossings beyond the gate's width are kept
    too (for diagnostics); normally they do not count.
    """
    ok = np.isfinite(x_m) & np.isfinite(y_m) & np.isfinite(t_s)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return []
    a_all = geom.along(x_m, y_m)
    # Within a micrometre is on the line (projection round trips are not exact).
    a_all = np.where(np.abs(a_all) < ON_LINE_M, 0.0, a_all)
    a = a_all[idx]
    nz = a != 0.0
    k = idx[nz]
    if k.size < 2:
        return []
    s = np.sign(a_all[k])
    j = np.flatnonzero((s[:-1] < 0) & (s[1:] > 0))
    out: list[GateCrossing] = []
    c_all = geom.across(x_m, y_m)
    for jj in j.tolist():
        i0, i1 = int(k[jj]), int(k[jj + 1])
        between = idx[(idx > i0) & (idx < i1)]
        if between.size:
            # Fixes exactly on the line: the crossing is at the first of them.
            on = int(between[0])
            t_c = float(t_s[on])
            c = float(c_all[on])
            i_ref = on
        else:
            a0, a1 = float(a_all[i0]), float(a_all[i1])
            f = -a0 / (a1 - a0)
            t_c = float(t_s[i0] + f * (t_s[i1] - t_s[i0]))
            c = float(c_all[i0] + f * (c_all[i1] - c_all[i0]))
            i_ref = i0
        if not include_outside and abs(c) > geom.half_width_m:
            continue
        gap = float(t_s[i1] - t_s[i0])
        speed = float((a_all[i1] - a_all[i0]) / gap) if gap > 0 else float("nan")
        out.append(GateCrossing(geom.name, t_c, t_c, i_ref, c, speed, gap))
    if refine:
        for cr in out:
            refine_crossing(geom, t_s, x_m, y_m, cr)
    return out


def _contiguous_window(t_s: np.ndarray, a: np.ndarray, ok: np.ndarray, i0: int) -> np.ndarray:
    """Indices of the run of usable fixes around fix `i0` that stay near the line in space and time."""
    n = t_s.size
    t_c = t_s[i0]
    lo = i0
    # Only while moving through: standing before a start or after a finish would bend the fit.
    while (lo - 1 >= 0 and ok[lo - 1] and abs(a[lo - 1]) <= FIT_RADIUS_M and t_c - t_s[lo - 1] <= FIT_MAX_S
           and a[lo] - a[lo - 1] > ADVANCING_M):
        lo -= 1
    hi = i0 + 1
    while (hi + 1 < n and ok[hi + 1] and abs(a[hi + 1]) <= FIT_RADIUS_M and t_s[hi + 1] - t_c <= FIT_MAX_S + 1.0
           and a[hi + 1] - a[hi] > ADVANCING_M):
        hi += 1
    return np.arange(lo, min(hi, n - 1) + 1)


def refine_crossing(geom: GateGeometry, t_s: np.ndarray, x_m: np.ndarray, y_m: np.ndarray, cr: GateCrossing) -> None:
    """Re-estimate a crossing's time from every fix near the line (updates `cr` in place).

    A straight-line fit of `along` against time over the nearby fixes, weighted
    towards the crossing, is solved for along = 0; with enough fixes either side
    a quadratic term takes up a change of pace. The answer is kept only if it
    stays within the fixes either side (give or take a second): a fit that
    strays further is telling us about the noise, not the runner.
    """
    ok = np.isfinite(x_m) & np.isfinite(y_m)
    a = geom.along(x_m, y_m)
    win = _contiguous_window(t_s, a, ok, cr.index)
    if win.size < 4:
        return
    tt = t_s[win] - cr.t_interp_s
    aa = a[win]
    before = int(np.sum(aa < 0))
    after = int(np.sum(aa > 0))
    if before < 2 or after < 2:
        return
    w = 1.0 / (1.0 + (tt / 4.0) ** 2)
    deg = 2 if before >= 3 and after >= 3 and win.size >= 7 else 1
    try:
        coef = np.polyfit(tt, aa, deg, w=np.sqrt(w))
    except (np.linalg.LinAlgError, ValueError):
        return
    root = _root_near_zero(coef)
    if root is None:
        return
    i0 = cr.index
    i1 = min(i0 + 1, t_s.size - 1)
    lo = t_s[max(i0 - 1, 0)] - cr.t_interp_s
    hi = t_s[min(i1 + 1, t_s.size - 1)] - cr.t_interp_s
    if not (lo - 0.5 <= root <= hi + 0.5):
        return
    cr.t_s = float(cr.t_interp_s + root)


def _root_near_zero(coef: np.ndarray) -> float | None:
    """The root of the fitted along(t) nearest t = 0 where along is increasing."""
    if coef.size == 2:
        slope, icpt = coef
        if slope <= 0:
            return None
        return float(-icpt / slope)
    c2, c1, c0 = coef
    if abs(c2) < 1e-9:
        return None if c1 <= 0 else float(-c0 / c1)
    disc = c1 * c1 - 4 * c2 * c0
    if disc < 0:
        return None
    r = math.sqrt(disc)
    roots = [(-c1 - r) / (2 * c2), (-c1 + r) / (2 * c2)]
    good = [x for x in roots if 2 * c2 * x + c1 > 0]
    if not good:
        return None
    return float(min(good, key=abs))
