"""Facing against travel: where the watch records which way it faced, compare that with the way the
positions went. About 180 degrees apart is backward."""

from __future__ import annotations

import numpy as np

from retrotrack.direction.track import chords, fixes_xy
from retrotrack.model import Activity

BASELINE_M = 12.0
"""Travel direction is the chord over this much path: short enough for corners, long enough for GPS error."""
GPS_DIFF_ERR_M = 1.5
"""Typical error of the difference of two nearby GPS fixes (one axis)."""
FACING_SD_DEG = 25.0
"""Arm swing, compass noise and residual bias, combined."""
HEADING_OUTLIER = 0.08
HEADING_CORR_S = 2.0
"""Heading samples closer than this share much of their error."""
BIAS_WINDOW_S = 300.0
MAX_BIAS_DEG = 45.0
_KAPPA_GRID = np.linspace(0.0, 60.0, 601)
_LOG_I0 = np.log(np.i0(_KAPPA_GRID))


def heading_llr(activity: Activity, dist: np.ndarray | None) -> np.ndarray | None:
    """Per-record log-likelihood ratio backward:forward from facing versus travel (0 where unusable)."""
    hd = activity.heading_deg
    lat, lon, t = activity.lat_deg, activity.lon_deg, activity.t_s
    pos = np.isfinite(lat) & np.isfinite(lon)
    usable = np.isfinite(hd) & pos
    if usable.sum() < 2 or pos.sum() < 2 or dist is None:
        return None
    t_lo, t_hi, dx, dy = chords(t, dist, fixes_xy(activity), -BASELINE_M / 2, BASELINE_M / 2)
    chord = np.hypot(dx, dy)
    path = np.interp(t_hi, t, dist) - np.interp(t_lo, t, dist)
    travel = np.arctan2(dx, dy)
    # Straight, long baselines are reliable; at a U-turn or standing still they are not.
    straight = np.clip((chord / np.maximum(path, 1e-6) - 0.5) / 0.35, 0.0, 1.0)
    length = np.clip((chord - 2.0) / (0.5 * BASELINE_M), 0.0, 1.0)
    weight = straight * length
    delta = np.radians(np.where(usable, hd, 0.0)) - travel
    # Compass bias: the doubled-angle mean (forward and backward alike) over a running window.
    w = np.where(usable & (weight > 0.5), weight, 0.0)
    cs = np.concatenate(([0.0], np.cumsum(w * np.cos(2 * delta))))
    sn = np.concatenate(([0.0], np.cumsum(w * np.sin(2 * delta))))
    lo = np.searchsorted(t, t - BIAS_WINDOW_S / 2, side="left")
    hi = np.searchsorted(t, t + BIAS_WINDOW_S / 2, side="right")
    bias = 0.5 * np.arctan2(sn[hi] - sn[lo], cs[hi] - cs[lo])
    bias = np.clip(bias, -np.radians(MAX_BIAS_DEG), np.radians(MAX_BIAS_DEG))
    delta = delta - bias
    sd_travel = GPS_DIFF_ERR_M / np.maximum(chord, 1.0)
    kappa = 1.0 / (np.radians(FACING_SD_DEG) ** 2 + sd_travel**2)
    log_norm = -np.log(2 * np.pi) - np.interp(kappa, _KAPPA_GRID, _LOG_I0)
    floor = HEADING_OUTLIER / (2 * np.pi)
    pf = (1 - HEADING_OUTLIER) * np.exp(log_norm + kappa * np.cos(delta)) + floor
    pb = (1 - HEADING_OUTLIER) * np.exp(log_norm - kappa * np.cos(delta)) + floor
    llr = np.log(pb) - np.log(pf)
    return np.where(usable, llr * weight, 0.0)
