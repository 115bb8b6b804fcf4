"""Synthetic race tracks with known truth for the start, pass and crossing tests.

Positions in a local frame, a GPS error that is a slowly wandering offset (what a watch's error is
over a few seconds), and for FIT-like files a watch distance of the runner's true path.
"""

from datetime import datetime, timedelta, timezone

import numpy as np

from retrotrack.direction import DirectionTrack
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity, Direction, empty_channels
from retrotrack.race.model import Gate

GUN = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
PROJ = LocalProjection(53.34, -6.26)


def gate(name, x, y=0.0, bearing=90.0, width=30.0):
    lat, lon = PROJ.to_latlon(x, y)
    return Gate(name, float(lat), float(lon), bearing, width)


def activity(t_gun, x, y, *, true_path_m=None, fmt="fit", heading=None, cadence=None):
    """An activity from positions at times since the gun; a watch distance of the true path when given."""
    t_gun = np.asarray(t_gun, dtype=float)
    n = t_gun.size
    ch = empty_channels(n)
    lat, lon = PROJ.to_latlon(np.asarray(x, float), np.asarray(y, float))
    ch["lat_deg"], ch["lon_deg"] = lat, lon
    if true_path_m is not None:
        ch["distance_m"] = np.asarray(true_path_m, float)
        ch["speed_mps"] = np.gradient(ch["distance_m"], t_gun)
    if cadence is not None:
        ch["cadence_spm"] = np.asarray(cadence, float)
    if heading is not None:
        ch["heading_deg"] = np.asarray(heading, float)
    return Activity(file=f"t.{fmt}", format=fmt, start_time=GUN + timedelta(seconds=float(t_gun[0])),
                    t_s=t_gun - t_gun[0], warnings=[], **ch)


def backward(act):
    """Every interval labelled backward (the tests here are about timing, not direction)."""
    n = act.t_s.size - 1
    return DirectionTrack(np.full(n, Direction.BACKWARD, np.uint8), np.ones(n), "test")


def sprint_from(depth_m, accel=3.0, v_max=5.0, react_s=0.3, t0=-40.0, t1=60.0):
    """1 Hz times and progress (metres past the start line) of a runner standing depth_m behind it."""
    t = np.arange(t0, t1 + 0.5, 1.0)
    tt = np.maximum(t - react_s, 0.0)
    t_top = v_max / accel
    s = np.where(tt < t_top, 0.5 * accel * tt**2, 0.5 * accel * t_top**2 + v_max * (tt - t_top))
    s = np.where(t > react_s, s, 0.0) - depth_m
    # The true crossing of the line (s = 0).
    fine = np.linspace(react_s, react_s + 10.0, 20001)
    ff = fine - react_s
    sf = np.where(ff < t_top, 0.5 * accel * ff**2, 0.5 * accel * t_top**2 + v_max * (ff - t_top)) - depth_m
    true_start = float(fine[np.searchsorted(sf, 0.0)])
    return t, s, true_start


def circle_track(laps, lap_m=400.0, v=4.0, t_go=0.0, extra_s=30.0):
    """1 Hz times, path (metres past the line, from half a metre behind it) and radius of `laps` laps of
    a circle at `v` from `t_go`."""
    R = lap_m / (2 * np.pi)
    t = np.arange(-30.0, t_go + laps * lap_m / v + extra_s, 1.0)
    s = np.where(t <= t_go, -0.5, -0.5 + v * (t - t_go))
    return t, s, R
