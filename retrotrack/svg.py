"""Inline SVG maps and charts drawn from plain arrays: no map tiles, no fonts, no network.

Everything here is a pure function from numbers to an SVG string (a
`markupsafe.Markup`, so templates embed it as is). Any text that comes from
people — runner names, gate names — goes through `escape` before it lands in
the markup, including `<title>` elements. Coordinates are written with one
decimal and a fixed format, so the same input always gives the same bytes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape

from retrotrack.geo import LocalProjection, bearing_to_unit
from retrotrack.model import Direction
from retrotrack.text import fmt_clock

MAX_POINTS = 2500
"""Points drawn per map or chart line at most: enough for the eye, small enough for a phone."""

DIRECTION_COLOURS = {
    Direction.BACKWARD: "#0072B2",  # Okabe-Ito blue
    Direction.FORWARD: "#E69F00",  # Okabe-Ito orange
    Direction.STOPPED: "#7f7f7f",
    Direction.UNKNOWN: "#b9b9c8",
}
"""Colour-blind safe (Okabe-Ito): blue against orange, grey for stopped; unknown is also dashed/hatched."""


def num(x: float) -> str:
    """A coordinate with at most one decimal, never '-0'."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


# --------------------------------------------------------------------------- downsampling


def select_indices(t: np.ndarray, direction: np.ndarray, max_points: int = MAX_POINTS, values: np.ndarray | None = None) -> np.ndarray:
    """Indices of the records worth drawing: all of them, or a time-bucketed subset.

    Long activities are thinned to about `max_points`: the first record of each
    time bucket (and, for a chart, the bucket's lowest and highest value so peaks
    survive), the first and last record, and every record where the direction
    changes — unless changes alone are too many, in which case each drawn piece
    takes its majority direction (see `piece_directions`).
    """
    n = int(t.size)
    if n <= max_points:
        return np.arange(n)
    keep = [np.array([0, n - 1])]
    changes = np.flatnonzero(np.diff(direction.astype(np.int16))) + 1 if direction.size > 1 else np.zeros(0, dtype=int)
    budget = max_points
    if changes.size <= max_points // 2:
        keep.append(changes)
        budget = max(max_points - changes.size, 16)
    per_bucket = 3 if values is not None else 1
    buckets = max(budget // per_bucket, 8)
    edges = np.linspace(t[0], t[-1], buckets + 1)
    bucket = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, buckets - 1)
    _, first = np.unique(bucket, return_index=True)
    keep.append(first)
    if values is not None:
        v = np.asarray(values, dtype=float)
        ok = np.isfinite(v)
        if ok.any():
            lo = np.lexsort((np.where(ok, v, np.inf), bucket))
            hi = np.lexsort((np.where(ok, -v, np.inf), bucket))
            starts = np.searchsorted(bucket[lo], np.unique(bucket))
            keep.append(lo[starts])
            keep.append(hi[np.searchsorted(bucket[hi], np.unique(bucket))])
    return np.unique(np.concatenate(keep)).astype(int)


def piece_directions(t: np.ndarray, direction: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Direction of each piece between consecutive selected records: the time-weighted majority."""
    if idx.size < 2:
        return np.zeros(0, dtype=np.uint8)
    dt = np.diff(t)
    weights = np.stack([np.add.reduceat(np.where(direction == d, dt, 0.0), idx[:-1]) for d in range(4)])
    out = np.argmax(weights, axis=0).astype(np.uint8)
    # reduceat gives a single element for an empty range; pieces are never empty since idx is strictly increasing.
    return out


@dataclass
class Polyline:
    direction: Direction
    points: list[tuple[float, float]]


def polylines(x: np.ndarray, y: np.ndarray, piece_dir: np.ndarray) -> list[Polyline]:
    """Join consecutive pieces of one direction into polylines; a NaN point breaks the line."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    m = piece_dir.size
    if m == 0:
        return []
    finite = np.isfinite(x[: m + 1]) & np.isfinite(y[: m + 1])
    drawn = finite[:-1] & finite[1:]
    # Piece k and piece k + 1 are one line where both are drawn and go the same way.
    joined = drawn[:-1] & drawn[1:] & (piece_dir[1:] == piece_dir[:-1])
    starts = np.flatnonzero(drawn & ~np.concatenate(([False], joined)))
    ends = np.flatnonzero(drawn & ~np.concatenate((joined, [False])))
    return [Polyline(Direction(int(piece_dir[a])), list(zip(x[a:b + 2].tolist(), y[a:b + 2].tolist())))
            for a, b in zip(starts.tolist(), ends.tolist())]


_LABELS = {int(d): d.label for d in Direction}
_POINT_ZERO = re.compile(r"\.0(?=[ ML]|$)")
_NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(?=[ ML]|$)")


def _path_d(lines: list[Polyline]) -> str:
    """SVG path data for `lines`, every coordinate as `num` writes it."""
    parts = []
    for line in lines:
        (x0, y0), rest = line.points[0], line.points[1:]
        parts.append(f"M{x0:.1f} {y0:.1f}L" + " ".join(f"{px:.1f} {py:.1f}" for px, py in rest))
    return _NEGATIVE_ZERO.sub("0", _POINT_ZERO.sub("", "".join(parts)))


def _direction_paths(lines: list[Polyline], order: tuple[Direction, ...], width: float) -> list[str]:
    """One <path> per direction, drawn in `order` (last on top)."""
    out = []
    for d in order:
        mine = [ln for ln in lines if ln.direction == d]
        if not mine:
            continue
        dash = ' stroke-dasharray="5 4"' if d == Direction.UNKNOWN else ""
        out.append(
            f'<path class="dir-{d.label}" d="{_path_d(mine)}" fill="none" stroke="{DIRECTION_COLOURS[d]}" '
            f'stroke-width="{num(width)}" stroke-linejoin="round" stroke-linecap="round"{dash}/>'
        )
    return out


def hatch_pattern(pid: str) -> str:
    """A diagonal hatch for `unknown`, so it reads without colour."""
    return (
        f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#eeeef3"/><line x1="0" y1="0" x2="0" y2="6" stroke="{DIRECTION_COLOURS[Direction.UNKNOWN]}" stroke-width="3"/>'
        "</pattern>"
    )


# --------------------------------------------------------------------------- map


@dataclass(frozen=True)
class MapGate:
    """A gate to draw: centre, travel bearing, width, and a label ('Start', 'Finish', a checkpoint name)."""

    label: str
    lat_deg: float
    lon_deg: float
    bearing_deg: float
    width_m: float


def _nice_step(span: float, target: int) -> float:
    """A 1-2-5 step giving about `target` divisions of `span`."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _scale_bar_m(width_m: float) -> float:
    """A round length about a quarter of the map's width."""
    target = width_m / 4
    for m in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000):
        if m >= target:
            return float(m)
    return 100000.0


@dataclass(frozen=True)
class _MapFrame:
    """Metres on the ground to the map's pixels: centre (cx, cy), pixels per metre, picture size."""

    width: float
    height: float
    pad: float
    inner_h: float
    scale: float
    cx: float
    cy: float

    def sx(self, v):
        return self.width / 2 + (np.asarray(v) - self.cx) * self.scale

    def sy(self, v):
        return self.pad + self.inner_h / 2 - (np.asarray(v) - self.cy) * self.scale


@dataclass(frozen=True)
class _GatePlace:
    """A gate in the map's metres: centre, unit vector of travel, unit vector along the line, half width."""

    gate: MapGate
    x: float
    y: float
    ex: float
    ey: float
    px: float
    py: float
    half: float


def route_map(
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    direction: np.ndarray,
    *,
    t_s: np.ndarray | None = None,
    title: str = "Route",
    gates: tuple[MapGate, ...] | list[MapGate] = (),
    order: tuple[Direction, ...] = (Direction.UNKNOWN, Direction.FORWARD, Direction.BACKWARD, Direction.STOPPED),
    max_points: int = MAX_POINTS,
    width: float = 480.0,
) -> Markup | None:
    """The route as an SVG map coloured by direction, with gates; None when there are no positions.

    `direction` holds Direction codes per interval (length n - 1). `order` says
    which direction is drawn on top where laps overlap (last wins).
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if ok.sum() < 2:
        return None
    n = lat.size
    t = np.asarray(t_s, dtype=float) if t_s is not None else np.arange(n, dtype=float)
    dirs = np.asarray(direction, dtype=np.uint8)
    if dirs.size != n - 1:
        dirs = np.full(n - 1, Direction.UNKNOWN, dtype=np.uint8)
    proj = LocalProjection(float(np.median(lat[ok])), float(np.median(lon[ok])))
    x, y = proj.to_xy(lat, lon)
    places = []
    for g in gates:
        gx, gy = proj.to_xy(g.lat_deg, g.lon_deg)
        ex, ey = bearing_to_unit(g.bearing_deg)
        places.append(_GatePlace(g, float(gx), float(gy), ex, ey, ey, -ex, g.width_m / 2))
    frame, span_x = _map_frame(x[ok], y[ok], places, width)
    sx, sy = frame.sx, frame.sy

    idx = select_indices(t, dirs, max_points)
    pdir = piece_directions(t, dirs, idx)
    X = np.where(ok[idx], sx(x[idx]), np.nan)
    Y = np.where(ok[idx], sy(y[idx]), np.nan)
    lines = polylines(X, Y, pdir)

    out = [
        f'<svg class="map" viewBox="0 0 {num(width)} {num(frame.height)}" role="img" aria-labelledby="map-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<rect width="{num(width)}" height="{num(frame.height)}" fill="#f7f8fa"/>',
    ]
    out += _direction_paths(lines, order, 3.5)
    # Start and end of the track.
    i0, i1 = np.flatnonzero(ok)[[0, -1]]
    out.append(
        f'<circle class="track-start" cx="{num(float(sx(x[i0])))}" cy="{num(float(sy(y[i0])))}" r="5" fill="#fff" stroke="#111" stroke-width="2">'
        "<title>Start of track</title></circle>"
    )
    out.append(
        f'<rect class="track-end" x="{num(float(sx(x[i1])) - 4.5)}" y="{num(float(sy(y[i1])) - 4.5)}" width="9" height="9" fill="#111">'
        "<title>End of track</title></rect>"
    )
    for i, place in enumerate(places):
        shared = any(math.hypot(place.x - other.x, place.y - other.y) < 5.0 for other in places[:i])
        out.append(_gate_svg(frame, place, shared))
    out += _scale_and_north(frame, span_x)
    out.append("</svg>")
    return Markup("".join(out))


def _map_frame(x: np.ndarray, y: np.ndarray, places: list[_GatePlace], width: float) -> tuple[_MapFrame, float]:
    """A frame that holds the track and every gate's ends, and the span it covers east to west (m)."""
    xs = [x] + [np.array([p.x - p.px * p.half, p.x + p.px * p.half]) for p in places]
    ys = [y] + [np.array([p.y - p.py * p.half, p.y + p.py * p.half]) for p in places]
    allx, ally = np.concatenate(xs), np.concatenate(ys)
    x0, x1, y0, y1 = float(allx.min()), float(allx.max()), float(ally.min()), float(ally.max())
    span_x, span_y = max(x1 - x0, 20.0), max(y1 - y0, 20.0)
    pad = 22.0
    inner_w = width - 2 * pad
    height = float(np.clip(inner_w * span_y / span_x + 2 * pad, 220.0, width * 1.25))
    inner_h = height - 2 * pad - 18  # room for the scale bar
    scale = min(inner_w / span_x, inner_h / span_y)
    return _MapFrame(width, height, pad, inner_h, scale, (x0 + x1) / 2, (y0 + y1) / 2), span_x


def _gate_svg(frame: _MapFrame, place: _GatePlace, shared: bool) -> str:
    """A gate: its line, an arrow along the travel bearing and its label.

    The label sits just beyond the gate's outer end (away from the middle of the
    track); a gate `shared` with an earlier one (start = finish line) takes the
    other end. It is kept inside the picture by its estimated width.
    """
    sx, sy, width, height = frame.sx, frame.sy, frame.width, frame.height
    g, gx, gy, ex, ey, px, py, half = place.gate, place.x, place.y, place.ex, place.ey, place.px, place.py, place.half
    ax, ay = float(sx(gx - px * half)), float(sy(gy - py * half))
    bx, by = float(sx(gx + px * half)), float(sy(gy + py * half))
    mx, my = float(sx(gx)), float(sy(gy))
    # Arrow along the travel bearing (screen y points down).
    alen = 16.0
    tx, ty = mx + ex * alen, my - ey * alen
    hx, hy = ex * 5, -ey * 5
    wx, wy = -hy * 0.8, hx * 0.8
    mid_x, mid_y = width / 2, frame.pad + frame.inner_h / 2
    outer = (ax, ay) if math.hypot(ax - mid_x, ay - mid_y) >= math.hypot(bx - mid_x, by - mid_y) else (bx, by)
    inner = (bx, by) if outer == (ax, ay) else (ax, ay)
    text = g.label if len(g.label) <= 24 else g.label[:23] + "…"
    est = 8.2 * len(text) + 4

    def place_at(end):
        ex_, ey_ = end
        seg = max(math.hypot(ex_ - mx, ey_ - my), 1e-6)
        ox, oy = ex_ + (ex_ - mx) / seg * 6, ey_ + (ey_ - my) / seg * 6
        left = ox - est if ox < mx - 3 else (ox - est / 2 if abs(ox - mx) <= 3 else ox)
        x = min(max(left, 4.0), max(width - 4.0 - est, 4.0))
        return abs(x - left), x, min(max(oy + 5, 16.0), height - 24.0)

    pick, spare = (inner, outer) if shared else (outer, inner)
    shift, lx, ly = place_at(pick)
    if shift > 4:
        other = place_at(spare)
        if other[0] < shift:
            shift, lx, ly = other
    return (
        f'<g class="gate"><title>{escape(g.label)}: gate {num(g.width_m)} m wide, runners travel at {num(g.bearing_deg % 360)}°</title>'
        f'<line x1="{num(ax)}" y1="{num(ay)}" x2="{num(bx)}" y2="{num(by)}" stroke="#111" stroke-width="3" stroke-linecap="round"/>'
        f'<path d="M{num(mx)} {num(my)}L{num(tx)} {num(ty)}M{num(tx - hx + wx)} {num(ty - hy + wy)}L{num(tx)} {num(ty)}L{num(tx - hx - wx)} {num(ty - hy - wy)}" '
        'fill="none" stroke="#111" stroke-width="1.5"/>'
        f'<text x="{num(lx)}" y="{num(ly)}" text-anchor="start" class="svg-label">{escape(text)}</text></g>'
    )


def _scale_and_north(frame: _MapFrame, span_x: float) -> list[str]:
    """A scale bar (bottom left) and a north arrow (top right)."""
    bar_m = _scale_bar_m(span_x)
    bar_px = bar_m * frame.scale
    pad, by0 = frame.pad, frame.height - 12
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    nx = frame.width - 16
    return [
        f'<g class="scale"><path d="M{num(pad)} {num(by0 - 5)}V{num(by0)}H{num(pad + bar_px)}V{num(by0 - 5)}" fill="none" stroke="#333" stroke-width="1.5"/>'
        f'<text x="{num(pad + bar_px + 6)}" y="{num(by0)}" class="svg-small">{label}</text></g>',
        f'<g class="north"><path d="M{num(nx)} 10L{num(nx + 5)} 24L{num(nx)} 21L{num(nx - 5)} 24Z" fill="#333"/>'
        f'<text x="{num(nx)}" y="36" text-anchor="middle" class="svg-small">N</text></g>',
    ]


# --------------------------------------------------------------------------- charts


@dataclass
class Series:
    """One panel of a chart: a value per record, its label and how to write its axis numbers."""

    label: str
    values: np.ndarray
    decimals: int = 0
    floor_zero: bool = False
    """Start the axis at zero (speed) rather than near the smallest value (cadence)."""


def smooth(t: np.ndarray, values: np.ndarray, window_s: float) -> np.ndarray:
    """Mean of the finite values within ±window/2 of each record; NaN stays NaN."""
    v = np.asarray(values, dtype=float)
    if v.size == 0 or window_s <= 0:
        return v
    ok = np.isfinite(v)
    cs = np.concatenate(([0.0], np.cumsum(np.where(ok, v, 0.0))))
    cc = np.concatenate(([0], np.cumsum(ok)))
    lo = np.searchsorted(t, t - window_s / 2, side="left")
    hi = np.searchsorted(t, t + window_s / 2, side="right")
    count = cc[hi] - cc[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (cs[hi] - cs[lo]) / count
    return np.where(ok & (count > 0), out, np.nan)


def _time_ticks(t0: float, t1: float) -> list[float]:
    span = t1 - t0
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if span / step <= 6:
            break
    first = math.ceil(t0 / step) * step
    return [float(v) for v in np.arange(first, t1 + 1e-9, step)]


def _value_range(v: np.ndarray, floor_zero: bool) -> tuple[float, float]:
    ok = v[np.isfinite(v)]
    if ok.size == 0:
        return 0.0, 1.0
    lo = 0.0 if floor_zero else float(np.percentile(ok, 1))
    hi = float(np.percentile(ok, 99.5))
    if hi - lo < 1e-9:
        hi = lo + 1.0
    step = _nice_step(hi - lo, 3)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    if not floor_zero and lo < 0 <= float(ok.min()):
        lo = 0.0
    return lo, hi


_CHART_LEFT, _CHART_RIGHT, _CHART_TOP = 46.0, 10.0, 6.0
_PANEL_TITLE_H, _PANEL_GAP, _STRIP_H, _AXIS_H = 18.0, 8.0, 12.0, 24.0


@dataclass(frozen=True)
class _ChartFrame:
    """The plot area's left edge and width, and the time span drawn across it."""

    left: float
    plot_w: float
    t0: float
    t1: float

    @property
    def right(self) -> float:
        return self.left + self.plot_w

    def x(self, t_s) -> np.ndarray:
        return self.left + (np.asarray(t_s, dtype=float) - self.t0) / (self.t1 - self.t0) * self.plot_w


def time_chart(
    t_s: np.ndarray,
    direction: np.ndarray,
    series: list[Series],
    *,
    title: str = "Chart",
    chart_id: str = "chart",
    max_points: int = MAX_POINTS,
    width: float = 480.0,
    panel_h: float = 84.0,
    smooth_s: float = 5.0,
) -> tuple[Markup, dict] | None:
    """Stacked panels over time, lines coloured by direction, with a direction strip below.

    Returns the SVG and the drawn points as plain data (for the page's hover
    read-out), or None when there is nothing to draw.
    """
    t = np.asarray(t_s, dtype=float)
    n = t.size
    series = [s for s in series if np.isfinite(np.asarray(s.values, dtype=float)).sum() >= 2]
    if n < 2 or not series or t[-1] <= t[0]:
        return None
    dirs = np.asarray(direction, dtype=np.uint8)
    if dirs.size != n - 1:
        dirs = np.full(n - 1, Direction.UNKNOWN, dtype=np.uint8)
    frame = _ChartFrame(_CHART_LEFT, width - _CHART_LEFT - _CHART_RIGHT, float(t[0]), float(t[-1]))
    window = max(smooth_s, (t[-1] - t[0]) / max_points * 2)
    smoothed = [smooth(t, np.asarray(s.values, dtype=float), window) for s in series]
    idx = select_indices(t, dirs, max_points, values=smoothed[0])
    pdir = piece_directions(t, dirs, idx)
    ts = t[idx]
    X = frame.x(ts)
    height = _CHART_TOP + len(series) * (_PANEL_TITLE_H + panel_h + _PANEL_GAP) + _STRIP_H + _AXIS_H
    pid = f"{chart_id}-hatch"
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {num(width)} {num(height)}" role="img" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f"<defs>{hatch_pattern(pid)}</defs>",
    ]
    data: dict = {
        "x0": frame.left,
        "x1": frame.right,
        "t0": round(frame.t0, 1),
        "t1": round(frame.t1, 1),
        "t": [round(v, 1) for v in ts.tolist()],
        "dir": [_LABELS[d] for d in np.concatenate((pdir, pdir[-1:])).tolist()],
        "series": [],
    }
    ticks = _time_ticks(frame.t0, frame.t1)
    y = _CHART_TOP
    for s, v in zip(series, smoothed):
        out += _chart_panel(frame, s, v, idx, X, pdir, ticks, y, panel_h)
        data["series"].append({"label": s.label, "decimals": s.decimals, "v": [round(a, s.decimals + 1) if math.isfinite(a) else None for a in v[idx].tolist()]})
        y = y + _PANEL_TITLE_H + panel_h + _PANEL_GAP
    out += _direction_strip(X, ts, pdir, y, pid)
    out += _time_axis(frame, ticks, y + _STRIP_H)
    out.append("</svg>")
    return Markup("".join(out)), data


def _chart_panel(frame: _ChartFrame, s: Series, v: np.ndarray, idx: np.ndarray, X: np.ndarray, pdir: np.ndarray,
                 ticks: list[float], y: float, panel_h: float) -> list[str]:
    """One series' panel from height `y`: its label, grid lines for the range of its smoothed values `v`
    and for time, and the drawn values `v[idx]` at `X` as lines coloured by direction."""
    lo, hi = _value_range(v, s.floor_zero)
    py0, py1 = y + _PANEL_TITLE_H, y + _PANEL_TITLE_H + panel_h

    def sy(val):
        return py1 - (np.clip(val, lo, hi) - lo) / (hi - lo) * (py1 - py0)

    out = [f'<g class="panel"><text x="{num(frame.left)}" y="{num(y + 13)}" class="svg-label">{escape(s.label)}</text>']
    step = _nice_step(hi - lo, 3)
    for tick in np.arange(lo, hi + step * 1e-6, step):
        ty = float(sy(tick))
        out.append(
            f'<line x1="{num(frame.left)}" y1="{num(ty)}" x2="{num(frame.right)}" y2="{num(ty)}" stroke="#e3e5ea" stroke-width="1"/>'
            f'<text x="{num(frame.left - 5)}" y="{num(ty + 4)}" text-anchor="end" class="svg-small">{tick:.{s.decimals}f}</text>'
        )
    for tick in ticks:
        tx = float(frame.x(tick))
        out.append(f'<line x1="{num(tx)}" y1="{num(py0)}" x2="{num(tx)}" y2="{num(py1)}" stroke="#eef0f3" stroke-width="1"/>')
    Y = np.where(np.isfinite(v[idx]), sy(v[idx]), np.nan)
    out += _direction_paths(polylines(X, Y, pdir), (Direction.UNKNOWN, Direction.STOPPED, Direction.FORWARD, Direction.BACKWARD), 2.0)
    out.append("</g>")
    return out


def _direction_strip(X: np.ndarray, ts: np.ndarray, pdir: np.ndarray, y: float, hatch_id: str) -> list[str]:
    """The strip under the panels from height `y`: what the runner did when, stops and unknown stretches
    included, one rectangle per run of one direction."""
    runs = []
    for k in range(pdir.size):
        if runs and runs[-1][0] == pdir[k]:
            runs[-1][2] = k + 1
        else:
            runs.append([int(pdir[k]), k, k + 1])
    out = ['<g class="strip">']
    for code, a, b in runs:
        d = Direction(code)
        fill = f"url(#{hatch_id})" if d == Direction.UNKNOWN else DIRECTION_COLOURS[d]
        xa, xb = float(X[a]), float(X[b])
        out.append(
            f'<rect class="dir-{d.label}" x="{num(xa)}" y="{num(y)}" width="{num(max(xb - xa, 0.3))}" height="{num(_STRIP_H)}" fill="{fill}">'
            f"<title>{d.label} {fmt_clock(ts[a])}–{fmt_clock(ts[b])}</title></rect>"
        )
    out.append("</g>")
    return out


def _time_axis(frame: _ChartFrame, ticks: list[float], ay: float) -> list[str]:
    """The time axis at height `ay` with its clock labels, and the hover cursor over the whole chart."""
    out = [f'<line x1="{num(frame.left)}" y1="{num(ay)}" x2="{num(frame.right)}" y2="{num(ay)}" stroke="#888" stroke-width="1"/>']
    for tick in ticks:
        tx = float(frame.x(tick))
        out.append(
            f'<line x1="{num(tx)}" y1="{num(ay)}" x2="{num(tx)}" y2="{num(ay + 4)}" stroke="#888"/>'
            f'<text x="{num(tx)}" y="{num(ay + 17)}" text-anchor="middle" class="svg-small">{fmt_clock(tick)}</text>'
        )
    out.append(
        f'<line class="cursor" x1="0" y1="{num(_CHART_TOP)}" x2="0" y2="{num(ay)}" stroke="#222" stroke-width="1" visibility="hidden"/>'
        f'<rect class="hover" x="{num(frame.left)}" y="{num(_CHART_TOP)}" width="{num(frame.plot_w)}" height="{num(ay - _CHART_TOP)}" fill="transparent"/>'
    )
    return out


def share_bar(parts: list[tuple[Direction, float]], *, title: str = "Time by direction", bar_id: str = "share") -> Markup | None:
    """A horizontal bar split by each direction's share (e.g. of moving time)."""
    total = sum(v for _, v in parts if v > 0)
    if total <= 0:
        return None
    width, height = 480.0, 18.0
    pid = f"{bar_id}-hatch"
    out = [
        f'<svg class="share" viewBox="0 0 {num(width)} {num(height)}" role="img" aria-label="{escape(title)}" preserveAspectRatio="none">',
        f"<defs>{hatch_pattern(pid)}</defs>",
    ]
    x = 0.0
    for d, v in parts:
        if v <= 0:
            continue
        w = v / total * width
        fill = f"url(#{pid})" if d == Direction.UNKNOWN else DIRECTION_COLOURS[d]
        out.append(
            f'<rect class="dir-{d.label}" x="{num(x)}" y="0" width="{num(w)}" height="{num(height)}" fill="{fill}">'
            f"<title>{d.label}: {v / total * 100:.1f}%</title></rect>"
        )
        x += w
    out.append("</svg>")
    return Markup("".join(out))


def legend_swatch(d: Direction, swatch_id: str) -> Markup:
    """A small line sample in a direction's style, for the HTML legend."""
    colour = DIRECTION_COLOURS[d]
    if d == Direction.UNKNOWN:
        pid = f"{swatch_id}-hatch"
        return Markup(
            f'<svg class="swatch" viewBox="0 0 28 12" aria-hidden="true"><defs>{hatch_pattern(pid)}</defs>'
            f'<rect x="0" y="1" width="28" height="10" fill="url(#{pid})"/></svg>'
        )
    return Markup(f'<svg class="swatch" viewBox="0 0 28 12" aria-hidden="true"><rect x="0" y="1" width="28" height="10" rx="2" fill="{colour}"/></svg>')
