"""Maps and charts drawn as SVG: thinning, geometry, escaping, determinism."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from htmltree import parse

from retrotrack import svg
from retrotrack.geo import LocalProjection, destination
from retrotrack.model import Direction

B, F, S, U = Direction.BACKWARD, Direction.FORWARD, Direction.STOPPED, Direction.UNKNOWN


def test_num_is_short_and_never_negative_zero():
    assert svg.num(12.0) == "12" and svg.num(12.04) == "12" and svg.num(12.06) == "12.1"
    assert svg.num(-0.04) == "0" and svg.num(-3.25) == "-3.2"


def test_short_tracks_keep_every_point():
    t = np.arange(100.0)
    d = np.full(99, B, dtype=np.uint8)
    assert np.array_equal(svg.select_indices(t, d, 2500), np.arange(100))


def test_long_tracks_are_thinned_but_keep_every_direction_change():
    n = 30_000
    t = np.arange(n, dtype=float)
    d = np.full(n - 1, B, dtype=np.uint8)
    d[(np.arange(n - 1) // 150) % 2 == 1] = F  # a change every 150 s: 199 changes
    d[5000:5003] = S  # a 3-second stop must survive too
    idx = svg.select_indices(t, d, 2500)
    assert idx.size < 3000
    assert idx[0] == 0 and idx[-1] == n - 1
    changes = np.flatnonzero(np.diff(d.astype(int))) + 1
    assert np.isin(changes, idx).all()
    pieces = svg.piece_directions(t, d, idx)
    # Each drawn piece has one direction, and the stop is its own piece.
    assert (pieces == S).sum() >= 1
    runs = 1 + np.count_nonzero(np.diff(pieces.astype(int)))
    assert runs == 1 + changes.size


def test_too_many_changes_fall_back_to_majority_direction():
    n = 20_000
    t = np.arange(n, dtype=float)
    d = np.where(np.arange(n - 1) % 4 == 0, F, B).astype(np.uint8)  # flickers every second
    idx = svg.select_indices(t, d, 1000)
    assert idx.size <= 1100
    pieces = svg.piece_directions(t, d, idx)
    assert (pieces == B).all()  # three seconds backward in every four


def test_chart_thinning_keeps_peaks():
    n = 50_000
    t = np.arange(n, dtype=float)
    v = np.sin(t / 500.0)
    v[31_337] = 9.0
    idx = svg.select_indices(t, np.full(n - 1, B, dtype=np.uint8), 900, values=v)
    assert 31_337 in idx
    assert idx.size <= 1000


def test_polylines_break_at_missing_points():
    x = np.array([0.0, 1, 2, np.nan, 4, 5])
    y = np.array([0.0, 1, 2, 3, 4, 5])
    lines = svg.polylines(x, y, np.array([B, B, B, B, F], dtype=np.uint8))
    assert [(ln.direction, len(ln.points)) for ln in lines] == [(B, 3), (F, 2)]


@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)), min_size=2, max_size=30),
       st.lists(st.integers(0, 3), min_size=29, max_size=29))
def test_path_data_writes_every_point_as_num_does(points, dirs):
    x, y = (np.array(v) for v in zip(*points))
    lines = svg.polylines(x, y, np.array(dirs[: len(points) - 1], dtype=np.uint8))
    d = svg._path_d(lines)
    expected = [svg.num(v) for line in lines for p in line.points for v in p]
    assert re.findall(r"-?[\d.]+", d) == expected
    assert d.count("M") == len(lines)


def _gate_line(svg_text: str, label: str) -> tuple[float, float, float, float]:
    doc = parse(str(svg_text))
    for g in doc.find_all("g", cls="gate"):
        if g.find("text").text() == label:
            ln = g.find("line")
            return tuple(float(ln.get(k)) for k in ("x1", "y1", "x2", "y2"))
    raise AssertionError(label)


def _straight(lat0, lon0, bearing, metres, n=200):
    pts = [destination(lat0, lon0, bearing, metres * i / (n - 1)) for i in range(n)]
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def test_gates_are_drawn_across_the_travel_bearing():
    lat, lon = _straight(53.34, -6.26, 45.0, 300.0)
    d = np.full(lat.size - 1, B, dtype=np.uint8)
    start = svg.MapGate("Start", float(lat[10]), float(lon[10]), 45.0, 30.0)
    east = svg.MapGate("East", float(lat[150]), float(lon[150]), 90.0, 30.0)
    out = svg.route_map(lat, lon, d, gates=[start, east])
    x1, y1, x2, y2 = _gate_line(out, "Start")
    # Travel at 45° (north-east, up-right on screen): the gate runs north-west to south-east.
    assert (x2 - x1) * (y2 - y1) > 0  # screen y grows downward
    assert abs(abs(x2 - x1) - abs(y2 - y1)) < 0.5
    ex1, ey1, ex2, ey2 = _gate_line(out, "East")
    assert abs(ex1 - ex2) < 0.2  # travel east: the gate is a vertical line
    # Both gates are 30 m wide, drawn to the same scale.
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(abs(ey2 - ey1), abs=0.3)
    # The track itself, 300 m, is longer than the gate by about 10x.
    doc = parse(str(out))
    coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", doc.find("path", cls="dir-backward").get("d"))]
    xs, ys = coords[0::2], coords[1::2]
    assert math.hypot(max(xs) - min(xs), max(ys) - min(ys)) == pytest.approx(10 * abs(ey2 - ey1), rel=0.05)


def test_map_is_north_up_and_keeps_its_aspect():
    proj = LocalProjection(53.0, -6.0)
    lat, lon = proj.to_latlon(np.array([0.0, 200.0, 200.0]), np.array([0.0, 0.0, 100.0]))
    out = str(svg.route_map(lat, lon, np.array([F, F], dtype=np.uint8)))
    coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", parse(out).find("path", cls="dir-forward").get("d"))]
    (ax, ay), (bx, by), (cx, cy) = zip(coords[0::2], coords[1::2])
    assert bx > ax and by == pytest.approx(ay, abs=0.2)  # east is right
    assert cy < by and cx == pytest.approx(bx, abs=0.2)  # north is up
    assert (bx - ax) == pytest.approx(2 * (by - cy), rel=0.01)  # metres are square


def test_map_without_positions_is_none_and_titles_are_escaped():
    nan = np.full(10, np.nan)
    assert svg.route_map(nan, nan, np.full(9, U, dtype=np.uint8)) is None
    lat, lon = _straight(53.34, -6.26, 0.0, 100.0, n=20)
    out = str(svg.route_map(lat, lon, np.full(19, B, dtype=np.uint8), title="<script>x</script> & co",
                            gates=[svg.MapGate("<b>gate</b>", float(lat[5]), float(lon[5]), 0.0, 20.0)]))
    assert "<script>" not in out and "<b>" not in out
    doc = parse(out)
    assert doc.find("title").text() == "<script>x</script> & co"
    assert doc.find("g", cls="gate").find("text").text() == "<b>gate</b>"


def test_chart_panels_axes_and_data():
    t = np.arange(0.0, 1800.0, 1.0)
    d = np.where((t[:-1] // 300) % 2 == 0, B, F).astype(np.uint8)
    speed = np.where(np.concatenate((d, d[-1:])) == B, 2.5, 3.2) * 3.6
    cad = np.full(t.size, np.nan)
    out, data = svg.time_chart(t, d, [svg.Series("Speed (km/h)", speed, 0, floor_zero=True), svg.Series("Cadence", cad)], title="T", chart_id="c1")
    doc = parse(str(out))
    # The empty cadence panel is left out rather than drawn flat.
    assert [x.text() for x in doc.find_all("text", cls="svg-label")] == ["Speed (km/h)"]
    ticks = [x.text() for x in doc.find_all("text", cls="svg-small")]
    assert "0:00" in ticks and "10:00" in ticks and "25:00" in ticks
    assert "0" in ticks  # the speed axis starts at zero
    assert len(doc.find("g", cls="strip").find_all("rect")) == 6
    assert data["t"][0] == 0.0 and data["t"][-1] == 1799.0
    assert set(data["dir"]) == {"backward", "forward"}
    assert max(v for v in data["series"][0]["v"] if v is not None) == pytest.approx(11.52, abs=0.05)
    assert svg.time_chart(t[:1], d[:0], [svg.Series("Speed", speed[:1])]) is None


def test_drawing_is_deterministic():
    lat, lon = _straight(53.34, -6.26, 10.0, 2000.0, n=3000)
    d = np.where(np.arange(2999) % 700 < 500, B, F).astype(np.uint8)
    a = svg.route_map(lat, lon, d, max_points=500)
    b = svg.route_map(lat.copy(), lon.copy(), d.copy(), max_points=500)
    assert str(a) == str(b)


def test_smooth_ignores_gaps():
    t = np.arange(10.0)
    v = np.array([1.0, 1, 1, np.nan, 5, 5, 5, 5, 5, 5])
    s = svg.smooth(t, v, 3.0)
    assert np.isnan(s[3]) and s[0] == 1.0 and s[8] == 5.0
    assert s[4] == pytest.approx(5.0)  # the gap is not averaged in as zero


def test_share_bar():
    doc = parse(str(svg.share_bar([(B, 30.0), (F, 10.0), (U, 0.0), (S, 0.0)])))
    rects = [r for r in doc.find_all("rect") if r.get("class")]  # (the hatch pattern has its own rect)
    assert [r.get("class") for r in rects] == ["dir-backward", "dir-forward"]
    assert float(rects[0].get("width")) == pytest.approx(3 * float(rects[1].get("width")), rel=0.01)
    assert svg.share_bar([(B, 0.0)]) is None
