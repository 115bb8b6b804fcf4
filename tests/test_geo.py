"""Pure geodesy: known distances, and properties that must hold anywhere on Earth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrotrack import geo

lat = st.floats(min_value=-80, max_value=80)
lon = st.floats(min_value=-180, max_value=180)
bearing = st.floats(min_value=0, max_value=360, exclude_max=True)
dist = st.floats(min_value=0.5, max_value=20_000)


def test_one_degree_of_latitude_is_about_111_km():
    assert geo.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, rel=1e-4)


def test_dublin_to_london_matches_published_great_circle():
    # Dublin Spire to Charing Cross, 463-464 km by great circle.
    d = geo.haversine_m(53.34980, -6.26031, 51.50735, -0.12776)
    assert 462_000 < d < 465_000


@given(lat, lon, bearing, dist)
def test_destination_then_distance_round_trips(la, lo, b, d):
    la2, lo2 = geo.destination(la, lo, b, d)
    assert geo.haversine_m(la, lo, la2, lo2) == pytest.approx(d, rel=1e-6, abs=1e-3)


@given(lat, lon, bearing, st.floats(min_value=5, max_value=20_000))
def test_bearing_of_destination_is_the_bearing_we_set_out_on(la, lo, b, d):
    la2, lo2 = geo.destination(la, lo, b, d)
    assert abs(geo.angle_diff_deg(geo.initial_bearing_deg(la, lo, la2, lo2), b)) < 1e-3


@given(st.floats(-720, 720), st.floats(-720, 720))
def test_angle_diff_is_the_smallest_signed_turn(a, b):
    d = float(geo.angle_diff_deg(a, b))
    assert -180 <= d < 180
    assert np.isclose((b + d - a) % 360.0, 0.0, atol=1e-6) or np.isclose((b + d - a) % 360.0, 360.0, atol=1e-6)


@given(lat, lon, st.floats(-2000, 2000), st.floats(-2000, 2000))
def test_local_projection_inverts_and_keeps_metres(la, lo, x, y):
    proj = geo.LocalProjection(la, lo)
    la2, lo2 = proj.to_latlon(x, y)
    x2, y2 = proj.to_xy(la2, lo2)
    assert x2 == pytest.approx(x, abs=1e-6) and y2 == pytest.approx(y, abs=1e-6)
    # Over 2 km the flat projection agrees with the sphere to a few decimetres.
    assert geo.haversine_m(la, lo, la2, lo2) == pytest.approx(np.hypot(x, y), rel=2e-3, abs=0.05)


def test_local_projection_across_the_antimeridian():
    proj = geo.LocalProjection(-17.0, 179.9999)
    x, _ = proj.to_xy(-17.0, -179.9999)
    assert 15 < x < 25


def test_cumulative_distance_skips_missing_positions_and_never_decreases():
    la = np.array([53.0, np.nan, 53.001, 53.002, np.nan])
    lo = np.array([-6.0, np.nan, -6.0, -6.0, np.nan])
    d = geo.cumulative_distance_m(la, lo)
    assert d[0] == 0 and d[1] == 0
    assert d[2] == pytest.approx(111.2, abs=0.5)
    assert d[3] == pytest.approx(222.4, abs=1.0)
    assert d[4] == d[3]
    assert np.all(np.diff(d) >= 0)


def test_bearing_to_unit():
    assert geo.bearing_to_unit(90.0) == pytest.approx((1.0, 0.0), abs=1e-12)
    assert geo.bearing_to_unit(180.0) == pytest.approx((0.0, -1.0), abs=1e-12)


def test_smoothing_damps_jitter_but_keeps_a_square_lap():
    rng = np.random.default_rng(7)
    side = 100
    east = np.concatenate([np.arange(side), np.full(side, side), np.arange(side, 0, -1), np.zeros(side)])
    north = np.concatenate([np.zeros(side), np.arange(side), np.full(side, side), np.arange(side, 0, -1)])
    lat = 53.34 + north / 111195.0
    lon = -6.26 + east / (111195.0 * np.cos(np.radians(53.34)))
    true = float(np.sum(geo.haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])))
    assert true == pytest.approx(399.0, rel=0.01)
    smooth = geo.smoothed_positions(lat, lon)
    clean = float(np.sum(geo.haversine_m(smooth[0][:-1], smooth[1][:-1], smooth[0][1:], smooth[1][1:])))
    assert clean == pytest.approx(true, rel=0.01)  # corners barely cut
    noisy_lat = lat + rng.normal(0, 0.3 / 111195.0, lat.size)
    noisy_lon = lon + rng.normal(0, 0.3 / 66000.0, lon.size)
    raw_len = float(np.sum(geo.haversine_m(noisy_lat[:-1], noisy_lon[:-1], noisy_lat[1:], noisy_lon[1:])))
    s_lat, s_lon = geo.smoothed_positions(noisy_lat, noisy_lon)
    smooth_len = float(np.sum(geo.haversine_m(s_lat[:-1], s_lon[:-1], s_lat[1:], s_lon[1:])))
    assert abs(smooth_len - true) < abs(raw_len - true)


def _square_lap_fixes(every_s: float):
    """Fixes every `every_s` seconds of someone at 3 m/s round a 100 m square, as (t, lat, lon)."""
    t = np.arange(0.0, 400.0 / 3.0, every_s)
    s = 3.0 * t
    side = np.minimum(s // 100.0, 3.0)
    along = s - 100.0 * side
    east = np.choose(side.astype(int), [along, np.full_like(s, 100.0), 100.0 - along, np.zeros_like(s)])
    north = np.choose(side.astype(int), [np.zeros_like(s), along, np.full_like(s, 100.0), 100.0 - along])
    lat, lon = geo.LocalProjection(53.34, -6.26).to_latlon(east, north)
    return t, lat, lon


def test_fixes_seconds_apart_are_not_averaged_into_cut_corners():
    """Every 5 s (smart recording, a handheld) the fixes are 15 m apart: the time-aware mean leaves them as
    they are, where the plain kernel cuts every corner; a second apart, both smooth alike."""
    t, lat, lon = _square_lap_fixes(5.0)
    raw = geo.cumulative_distance_m(lat, lon)[-1]
    assert geo.position_distance_m(lat, lon, t=t)[-1] == pytest.approx(raw)
    assert geo.position_distance_m(lat, lon)[-1] < raw - 3.0
    t1, lat1, lon1 = _square_lap_fixes(1.0)
    assert geo.position_distance_m(lat1, lon1, t=t1)[-1] == pytest.approx(geo.position_distance_m(lat1, lon1)[-1])


def test_a_neighbour_fades_out_of_the_mean_with_its_distance_in_time():
    lat = np.array([0.0, 1.0, 0.0, 1.0, 0.0]) * 1e-4
    lon = np.zeros(5)
    for gap_s, middle in ((1.0, 0.5e-4), (1.5, 0.5e-4), (2.25, 0.75e-4), (3.0, 1e-4), (8.0, 1e-4)):
        t = np.arange(5) * gap_s
        s_lat, _ = geo.smoothed_positions(lat, lon, t)
        assert s_lat[1] == pytest.approx(middle), gap_s
        assert s_lat[0] == lat[0] and s_lat[-1] == lat[-1]
