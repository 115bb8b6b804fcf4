"""Gate crossings: direction, width, tangents, fixes on the line, refinement."""

import numpy as np
import pytest

from retrotrack.geo import LocalProjection
from retrotrack.race.gates import GateGeometry, find_crossings
from retrotrack.race.model import Gate

PROJ = LocalProjection(53.34, -6.26)


def gate(bearing=90.0, width=30.0, x=0.0, y=0.0):
    lat, lon = PROJ.to_latlon(x, y)
    return GateGeometry.from_gate(Gate("finish", float(lat), float(lon), bearing, width), PROJ)


def straight(v=4.0, x0=-40.0, n=21, y=0.0, t0=0.0):
    t = t0 + np.arange(n, dtype=float)
    return t, x0 + v * (t - t0), np.full(n, y)


def test_crossing_in_course_direction_is_interpolated():
    t, x, y = straight(v=4.0, x0=-41.0)  # crosses x=0 at t=10.25
    cs = find_crossings(gate(), t, x, y)
    assert len(cs) == 1
    assert cs[0].t_interp_s == pytest.approx(10.25)
    assert cs[0].t_s == pytest.approx(10.25, abs=1e-6)
    assert cs[0].speed_mps == pytest.approx(4.0)


def test_crossing_against_the_course_direction_does_not_count():
    t, x, y = straight(v=-4.0, x0=41.0)
    assert find_crossings(gate(), t, x, y) == []
    # The same line with the opposite bearing counts it.
    assert len(find_crossings(gate(bearing=270.0), t, x, y)) == 1


def test_oblique_crossing_within_90_degrees_counts():
    t = np.arange(21, dtype=float)
    x = -40 + 3.0 * t
    y = -40 + 3.5 * t  # heading about 40 degrees off the gate bearing (90)
    cs = find_crossings(gate(width=100), t, x, y)
    assert len(cs) == 1 and cs[0].t_s == pytest.approx(40 / 3.0)


def test_crossing_outside_the_width_does_not_count():
    t, x, y = straight(y=16.0)  # 16 m from the centre of a 30 m gate
    assert find_crossings(gate(width=30.0), t, x, y) == []
    assert len(find_crossings(gate(width=30.0), t, x, y, include_outside=True)) == 1
    t, x, y = straight(y=-14.0)
    assert len(find_crossings(gate(width=30.0), t, x, y)) == 1


def test_tangent_touching_the_line_is_not_a_crossing():
    t = np.arange(11, dtype=float)
    x = -(t - 5.0) ** 2  # comes up to the line at t=5 (exactly on it) and turns back
    y = 2.0 * t
    cs = find_crossings(gate(width=100), t, x, y)
    assert cs == []


def test_fix_exactly_on_the_line_is_the_crossing_time():
    t = np.arange(11, dtype=float)
    x = 4.0 * (t - 6.0)  # fix 6 is exactly on the line
    y = np.zeros(11)
    cs = find_crossings(gate(), t, x, y, refine=False)
    assert len(cs) == 1
    assert cs[0].t_s == pytest.approx(6.0)
    assert cs[0].index == 6


def test_missing_positions_are_bridged():
    t, x, y = straight(v=4.0, x0=-41.0)
    x[10] = np.nan
    cs = find_crossings(gate(), t, x, y)
    assert len(cs) == 1 and cs[0].t_s == pytest.approx(10.25, abs=0.01)
    assert cs[0].gap_s == pytest.approx(2.0)


def test_refinement_uses_the_fixes_near_the_line():
    rng = np.random.default_rng(1)
    errs_raw, errs_fit = [], []
    for _ in range(200):
        t, x, y = straight(v=4.0, x0=-40.0 - rng.uniform(0, 4))
        true = -x[0] / 4.0
        xn = x + rng.normal(0, 1.0, x.size)  # white noise: the fit must beat interpolation
        cs = find_crossings(gate(), t, xn, y)
        if len(cs) != 1:
            continue
        errs_raw.append(abs(cs[0].t_interp_s - true))
        errs_fit.append(abs(cs[0].t_s - true))
    assert np.median(errs_fit) < 0.8 * np.median(errs_raw)


def test_several_laps_give_one_crossing_each():
    t = np.arange(0, 200, 1.0)
    th = 2 * np.pi * t / 50.0  # a 50 s lap of a circle of radius 30 m centred north of the gate
    x = 30 * np.sin(th)
    y = 30 - 30 * np.cos(th)
    cs = find_crossings(gate(bearing=90.0, width=20), t, x, y)
    assert [round(c.t_s) for c in cs] == [50, 100, 150]
