"""HTML pages: race results (index and one page per runner) and the activity report.

Pages are jinja2 templates from the package `retrotrack.templates`, rendered with
autoescape on for every template, so organiser and runner text (names, clubs,
bibs, reasons) always shows as text. Each page is self-contained — CSS, the
little JavaScript and the SVG drawings are inline — so a results folder works
from any web host or straight from disk, offline. Output is deterministic: the
same data gives byte-identical pages (a timestamp only when `generated_at` is
given).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import unicodedata
from collections import Counter
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
from markupsafe import Markup

from retrotrack import __version__, svg
from retrotrack.atomic import write_atomic
from retrotrack.model import Activity, Direction
from retrotrack.race.model import STATUSES
from retrotrack.text import fmt_clock as clock_text
from retrotrack.text import half_up, method_words

if TYPE_CHECKING:
    from retrotrack.analysis import Analysis, LapSummary, Segment, Split, Summary
    from retrotrack.race.model import RaceInfo, RunnerResult

STATUS_ORDER = STATUSES
STATUS_LABELS = {"finished": "Finished", "dq": "DQ", "dnf": "DNF", "dns": "DNS", "error": "Error"}
STATUS_TITLES = {
    "finished": "Finished",
    "dq": "Disqualified",
    "dnf": "Did not finish",
    "dns": "Did not start",
    "error": "Track could not be used",
}
CHECK_SYMBOLS = {"pass": "✓", "fail": "✗", "unverified": "?"}
CHECK_LABELS = {k: f"{v} {k}" for k, v in CHECK_SYMBOLS.items()}
DISTANCE_SOURCE_WORDS = {"device": "watch", "positions": "GPS track", "speed": "speed channel"}
"""How the report says where the distance came from (Activity.distance_source)."""


# --------------------------------------------------------------------------- templates


class _ResourceLoader(jinja2.BaseLoader):
    """Loads templates through importlib.resources, so installed (even zipped) packages work."""

    def __init__(self, package: str = "retrotrack.templates") -> None:
        self.package = package

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        parts = [p for p in template.split("/") if p]
        if not parts or any(p in (".", "..") or "\\" in p for p in parts):
            raise jinja2.TemplateNotFound(template)
        node = files(self.package)
        for part in parts:
            node = node.joinpath(part)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), f"retrotrack/templates/{template}", lambda: True


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one jinja2 environment: autoescape for every template, whatever its name."""
    env = jinja2.Environment(
        loader=_ResourceLoader(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["time"] = fmt_time
    env.filters["clock"] = fmt_clock
    env.filters["pace"] = fmt_pace
    env.filters["distance"] = fmt_distance
    env.filters["pct"] = fmt_pct
    env.filters["num"] = fmt_num
    env.globals["swatch"] = svg.legend_swatch
    env.globals["Direction"] = Direction
    env.globals["version"] = __version__
    return env


@lru_cache(maxsize=1)
def _scripts() -> tuple[dict[str, Markup], str]:
    """The pages' inline scripts and the CSP source list that allows exactly them (by hash)."""
    scripts, hashes = {}, []
    for name in ("boot", "table", "chart"):
        text = files("retrotrack.templates").joinpath(f"{name}.js").read_text(encoding="utf-8")
        if "</" in text:
            raise ValueError(f"{name}.js must not contain '</'")
        scripts[name] = Markup(text)
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    return scripts, " ".join(hashes)


def _render(template: str, **context: Any) -> str:
    scripts, csp = _scripts()
    return environment().get_template(template).render(scripts=scripts, csp_scripts=csp, **context)


def json_script(data: Any) -> Markup:
    """JSON safe inside <script type="application/json">: <, >, & and line separators escaped."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


# --------------------------------------------------------------------------- formatting


def fmt_time(seconds: float | None) -> str:
    """A race time to 0.1 s: 13.6, 17:03.4, 1:02:03.4; '–' when there is none."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    neg = seconds < 0
    tenths = int(half_up(abs(seconds), "0.1") * 10)
    whole, frac = divmod(tenths, 10)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    if h:
        text = f"{h}:{m:02d}:{s:02d}.{frac}"
    elif m:
        text = f"{m}:{s:02d}.{frac}"
    else:
        text = f"{s}.{frac}"
    return ("-" if neg else "") + text


def fmt_clock(seconds: float | None) -> str:
    """A duration to the second: 45:07 or 1:02:03."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    return clock_text(max(seconds, 0.0))


def fmt_pace(s_per_km: float | None) -> str:
    """Pace as m:ss/km."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0 or s_per_km >= 3600:
        return "–"
    whole = int(half_up(s_per_km, "1"))
    m, s = divmod(whole, 60)
    return f"{m}:{s:02d}/km"


def fmt_distance(metres: float | None) -> str:
    """850 m, 5 km, 8.12 km, 21.1 km."""
    if metres is None or not math.isfinite(metres):
        return "–"
    if metres < 1000:
        return f"{half_up(metres, '1')} m"
    km = metres / 1000
    if abs(km - round(km)) < 1e-9:
        return f"{int(round(km))} km"
    return f"{half_up(km, '0.01').normalize():f} km" if km < 10 else f"{half_up(km, '0.1').normalize():f} km"


def fmt_pct(fraction: float | None) -> str:
    """A share as a percentage, truncated to 0.1 % so a failing share never reads as the threshold."""
    if fraction is None or not math.isfinite(fraction):
        return "–"
    return f"{math.floor(fraction * 1000 + 1e-6) / 10:.1f}%"


def fmt_num(value: float | None, decimals: int = 0, unit: str = "") -> str:
    """A plain number with an optional unit; '–' when there is none."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{decimals}f}{(' ' + unit) if unit else ''}"


def fmt_date(text: str) -> str:
    """An ISO date as 'Sunday 14 June 2026' (English, locale-independent); other text as given."""
    try:
        d = date.fromisoformat(str(text))
    except ValueError:
        return str(text)
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
    return f"{days[d.weekday()]} {d.day} {months[d.month - 1]} {d.year}"


def _generated(generated_at: str | datetime | None) -> str | None:
    if generated_at is None:
        return None
    if isinstance(generated_at, datetime):
        return generated_at.isoformat(timespec="seconds")
    return str(generated_at)


def _fold(text: str) -> str:
    """Lower case without accents, for the search box (Ní Bhriain matches 'ni bhriain')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _natural(text: str) -> tuple:
    """Sort key that puts bib 9 before bib 10."""
    return tuple((0, int(p), "") if p.isdecimal() else (1, 0, p.casefold()) for p in re.split(r"(\d+)", text or "") if p)


# --------------------------------------------------------------------------- file names


_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10)), "index"}


def runner_filenames(bibs: list[str]) -> list[str]:
    """A safe, unique file name (no folders, no dots, ASCII) for each bib, in the given order.

    Bibs are organiser text: '12', 'A-7', '../x', 'Ω 3'. A bib that is already
    safe keeps its name ('12.html'); any other gets its safe part plus a short
    hash of the original, so different bibs never share a page, even on a
    case-insensitive file system.
    """
    def digest(bib: str) -> str:
        return hashlib.sha256((bib or "").encode("utf-8")).hexdigest()[:8]

    bases = []
    for bib in bibs:
        safe = _SAFE.sub("_", bib or "").strip("_-")[:40]
        if safe != bib or not safe or safe.casefold() in _RESERVED:
            safe = f"{safe}-{digest(bib)}" if safe else f"runner-{digest(bib)}"
        bases.append(safe)
    # 'a1' and 'A1' would share a file on a case-insensitive disk: tell them apart by hash.
    distinct: dict[str, set[str]] = {}
    for b, bib in zip(bases, bibs):
        distinct.setdefault(b.casefold(), set()).add(bib)
    bases = [f"{b}-{digest(bib)}" if len(distinct[b.casefold()]) > 1 and b == bib else b for b, bib in zip(bases, bibs)]
    # The same bib entered twice: number the repeats in order.
    names, seen = [], {}
    for base in bases:
        key = base.casefold()
        seen[key] = seen.get(key, 0) + 1
        names.append(base if seen[key] == 1 else f"{base}-{seen[key]}")
    return [f"{n}.html" for n in names]


# --------------------------------------------------------------------------- race pages


def _category_key(cat: str) -> tuple:
    """F before M before X; U20, SEN, then masters bands in age order."""
    sex, band = (cat[:1], cat[1:]) if cat else ("", "")
    sex_rank = {"F": 0, "M": 1, "X": 2}.get(sex.upper(), 3)
    if band.upper() == "U20":
        band_rank = (0, 0)
    elif band.upper() == "SEN":
        band_rank = (1, 0)
    elif band.isdigit():
        band_rank = (2, int(band))
    else:
        band_rank = (3, 0)
    return (sex_rank, band_rank, cat)


def _speed_kmh(t: np.ndarray, speed: np.ndarray, lat: np.ndarray | None = None, lon: np.ndarray | None = None, dist: np.ndarray | None = None) -> np.ndarray:
    """Speed in km/h from the speed channel, or from distance when the file has none."""
    v = np.asarray(speed, dtype=float)
    if np.isfinite(v).sum() >= 2:
        return v * 3.6
    if dist is None and lat is not None and lon is not None:
        from retrotrack.geo import cumulative_distance_m

        dist = cumulative_distance_m(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    if dist is not None and t.size >= 2 and np.isfinite(dist).sum() >= 2:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.gradient(np.asarray(dist, dtype=float), t) * 3.6
    return np.full(t.size, np.nan)


def _steps_only(cadence) -> np.ndarray:
    """Cadence for charting: standing still (no steps) is a gap, not a plunge to zero."""
    c = np.asarray(cadence, dtype=float)
    return np.where(c >= 40.0, c, np.nan)


def _unverified_reason(r) -> str:
    if not r.track:
        return "Direction not checked: no GPS track for this runner."
    if r.direction_reason:
        return f"Direction not checked: {r.direction_reason}."
    return "Direction not checked: the track has no cadence or heading to tell backward from forward."


def _splits_rows(splits) -> tuple[list[dict], bool]:
    rows, prev_d, any_d = [], 0.0, False
    for i, sp in enumerate(splits):
        lap_d = None
        if sp.distance_m is not None and math.isfinite(sp.distance_m):
            any_d = True
            lap_d = sp.distance_m - prev_d
            prev_d = sp.distance_m
        rows.append(
            {
                "n": i + 1,
                "name": sp.name,
                "elapsed": fmt_time(sp.elapsed_s),
                "elapsed_sort": _sortnum(sp.elapsed_s),
                "lap": fmt_time(sp.split_s),
                "lap_sort": _sortnum(sp.split_s),
                "distance": fmt_distance(sp.distance_m) if sp.distance_m is not None else "",
                "pace": fmt_pace(sp.split_s / lap_d * 1000) if lap_d and lap_d > 0 else "",
            }
        )
    return rows, any_d


def _sortnum(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _results_order(results: list[RunnerResult]) -> tuple[list[RunnerResult], list[RunnerResult]]:
    """Finishers by place (then time, bib, name), and everyone else by status (then bib, name)."""
    finished = [r for r in results if r.status == "finished"]
    others = [r for r in results if r.status != "finished"]
    finished.sort(key=lambda r: (r.place if r.place is not None else 10**9, r.time_s if r.time_s is not None else math.inf, _natural(r.bib), r.name))
    others.sort(key=lambda r: (STATUS_ORDER.index(r.status) if r.status in STATUS_ORDER else 9, _natural(r.bib), r.name))
    return finished, others


def _shared_places(finished: list[RunnerResult]) -> tuple[set, set]:
    """The places, and the (category, place)s, that more than one finisher holds: ties, shown as '3='."""
    places = Counter(r.place for r in finished if r.place is not None)
    cat_places = Counter((r.category, r.category_place) for r in finished if r.category_place is not None)
    return {p for p, n in places.items() if n > 1}, {k for k, n in cat_places.items() if n > 1}


def _check_title(r: RunnerResult, race: RaceInfo) -> str:
    """What the direction check found, in a sentence."""
    if r.direction_check == "pass":
        return f"{fmt_pct(r.backward_fraction)} of the race run {race.direction} (minimum {fmt_pct(race.min_backward_fraction)})."
    if r.direction_check == "fail":
        return f"Only {fmt_pct(r.backward_fraction)} of the race run {race.direction}; the minimum is {fmt_pct(race.min_backward_fraction)}."
    return _unverified_reason(r)


def _race_rows(result) -> tuple[list[dict], list[dict]]:
    """Display rows for every runner, in results order, and the numbered notes they refer to."""
    race = result.race
    finished, others = _results_order(result.results)
    ordered = finished + others
    index_of = {id(r): i for i, r in enumerate(result.results)}
    files_ = runner_filenames([r.bib for r in result.results])
    tied, cat_tied = _shared_places(finished)
    notes: list[dict] = []
    rows = []
    for r in ordered:
        finished_ = r.status == "finished"
        flags = []
        if finished_ and r.direction_check == "unverified":
            notes.append({"n": len(notes) + 1, "kind": "unverified", "bib": r.bib, "name": r.name, "text": _unverified_reason(r)})
            flags.append(notes[-1])
        if r.review:
            notes.append({"n": len(notes) + 1, "kind": "review", "bib": r.bib, "name": r.name, "text": f"Flagged for review: {r.review}"})
            flags.append(notes[-1])
        tie = finished_ and r.place in tied
        cat_tie = finished_ and (r.category, r.category_place) in cat_tied
        pace = r.time_s / (race.distance_m / 1000) if finished_ and r.time_s and race.distance_m else None
        frac = r.backward_fraction
        club_cat = " · ".join(x for x in (f"#{r.bib}" if r.bib else "", r.club, r.category) if x)
        rows.append(
            {
                "bib": r.bib,
                "name": r.name,
                "club": r.club,
                "category": r.category,
                "status": r.status,
                "status_label": STATUS_LABELS.get(r.status, r.status),
                "status_title": STATUS_TITLES.get(r.status, r.status),
                "reason": r.reason,
                "finished": finished_,
                "place": (f"{r.place}=" if tie else str(r.place)) if finished_ and r.place is not None else STATUS_LABELS.get(r.status, r.status),
                "place_sort": str(r.place) if finished_ and r.place is not None else str(100000 + STATUS_ORDER.index(r.status) if r.status in STATUS_ORDER else 100009),
                "tie": tie,
                "category_place": (f"{r.category_place}=" if cat_tie else str(r.category_place)) if finished_ and r.category_place is not None else "",
                "category_place_sort": str(r.category_place) if finished_ and r.category_place is not None else "",
                "time": fmt_time(r.time_s) if finished_ else "",
                "time_sort": _sortnum(r.time_s) if finished_ else "",
                "pace": fmt_pace(pace),
                "pace_sort": _sortnum(pace),
                "fraction": fmt_pct(frac),
                "fraction_sort": _sortnum(frac),
                "check": r.direction_check,
                "check_label": CHECK_LABELS.get(r.direction_check, r.direction_check),
                "check_symbol": CHECK_SYMBOLS.get(r.direction_check, "?"),
                "check_title": _check_title(r, race),
                "flags": flags,
                "flag_title": " ".join(f["text"] for f in flags),
                "splits": _splits_rows(r.splits)[0],
                "href": "runners/" + files_[index_of[id(r)]],
                "file": files_[index_of[id(r)]],
                "search": _fold(" ".join((r.bib or "", r.name or "", r.club or ""))),
                "subline": club_cat,
                "time_source": r.time_source,
                "result": r,
            }
        )
    return rows, notes


def _race_meta(result) -> dict:
    race = result.race
    counts = {s: 0 for s in STATUS_ORDER}
    for r in result.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "name": race.name,
        "date": fmt_date(race.date),
        "iso_date": str(race.date),
        "distance": fmt_distance(race.distance_m),
        "venue": race.venue,
        "timing": "Chip timing" if race.timing == "chip" else "Gun timing",
        "direction": race.direction,
        "direction_title": race.direction.capitalize(),
        "min_fraction": fmt_pct(race.min_backward_fraction),
        "entries": len(result.results),
        "starters": result.starters,
        "finishers": result.finishers,
        "counts": counts,
        "others": [(label, counts[s]) for s, label in (("dq", "DQ"), ("dnf", "DNF"), ("dns", "DNS"), ("error", "error")) if counts.get(s)],
        "warnings": list(result.warnings),
    }


def render_race_index(result, generated_at: str | datetime | None = None) -> str:
    """The results page: overall and per-category tables, search, filters, splits and notes."""
    return _race_index(result, *_race_rows(result), generated_at)


def _race_index(result, rows: list[dict], notes: list[dict], generated_at) -> str:
    cats = sorted({r["category"] for r in rows if r["category"]}, key=_category_key)
    categories = []
    for c in cats:
        mine = [r for r in rows if r["category"] == c]
        fin = [r for r in mine if r["finished"]]
        fin.sort(key=lambda r: (r["result"].category_place or 10**9, float(r["time_sort"] or "inf")))
        categories.append({"code": c, "slug": "cat-" + _SAFE.sub("_", c), "rows": fin + [r for r in mine if not r["finished"]], "finishers": len(fin)})
    return _render(
        "race_index.html",
        race=_race_meta(result),
        rows=rows,
        notes=notes,
        categories=categories,
        generated_at=_generated(generated_at),
    )


def _runner_page(result, runner, rows: list[dict], notes: list[dict], generated_at) -> str:
    race = result.race
    row = next(r for r in rows if r["result"] is runner)
    splits, has_distance = _splits_rows(runner.splits)
    of_cat = sum(1 for r in result.results if r.status == "finished" and r.category == runner.category)
    trace = runner.trace
    map_svg = chart_svg = chart_data = None
    order = (Direction.UNKNOWN, Direction.STOPPED, Direction.BACKWARD, Direction.FORWARD)
    if race.direction == "forward":
        order = (Direction.UNKNOWN, Direction.STOPPED, Direction.FORWARD, Direction.BACKWARD)
    if trace is not None and np.asarray(trace.t_s).size >= 2:
        gates = []
        if race.start is not None:
            gates.append(svg.MapGate("Start", race.start.lat_deg, race.start.lon_deg, race.start.bearing_deg, race.start.width_m))
        if race.finish is not None:
            gates.append(svg.MapGate("Finish", race.finish.lat_deg, race.finish.lon_deg, race.finish.bearing_deg, race.finish.width_m))
        for g in race.checkpoints:
            gates.append(svg.MapGate(g.name, g.lat_deg, g.lon_deg, g.bearing_deg, g.width_m))
        t = np.asarray(trace.t_s, dtype=float)
        map_svg = svg.route_map(trace.lat_deg, trace.lon_deg, trace.direction, t_s=t, title=f"Route of {runner.name} ({runner.bib})", gates=gates, order=order)
        series = [svg.Series("Speed (km/h)", _speed_kmh(t, trace.speed_mps, trace.lat_deg, trace.lon_deg), 0, floor_zero=True)]
        series.append(svg.Series("Cadence (steps/min)", _steps_only(trace.cadence_spm), 0))
        drawn = svg.time_chart(t, trace.direction, series, title=f"Speed and cadence of {runner.name} over the race", chart_id="race-chart")
        if drawn is not None:
            chart_svg, chart_data = drawn
    has_cadence = trace is not None and bool(np.isfinite(np.asarray(trace.cadence_spm, dtype=float)).any())
    return _render(
        "runner.html",
        race=_race_meta(result),
        row=row,
        r=runner,
        notes=[n for n in notes if n in row["flags"]],
        splits=splits,
        has_distance=has_distance,
        finishers=result.finishers,
        category_finishers=of_cat,
        map_svg=map_svg,
        chart_svg=chart_svg,
        chart_json=json_script(chart_data) if chart_data else None,
        has_trace=trace is not None,
        show_direction=runner.status != "dns" or runner.backward_fraction is not None,
        has_cadence=has_cadence,
        time_source={"gps": "GPS track", "hand": "hand timing", "import": "timing system"}.get(runner.time_source or "", runner.time_source),
        generated_at=_generated(generated_at),
    )


def write_race_pages(result, out_dir: str | Path, generated_at: str | datetime | None = None) -> list[Path]:
    """Write index.html and runners/<bib>.html into `out_dir`; return the paths written."""
    out = Path(out_dir)
    written = [out / "index.html"]
    rows, notes = _race_rows(result)
    write_atomic(written[0], _race_index(result, rows, notes, generated_at))
    names = runner_filenames([r.bib for r in result.results])
    for runner, name in zip(result.results, names):
        path = out / "runners" / name
        write_atomic(path, _runner_page(result, runner, rows, notes, generated_at))
        written.append(path)
    _remove_stale_pages(out / "runners", {p.name for p in written[1:]})
    return written


def _remove_stale_pages(folder: Path, keep: set[str]) -> None:
    """Runner pages left from an earlier run (a bib since removed) would still be published: remove them."""
    if not folder.is_dir():
        return
    for page in folder.glob("*.html"):
        if page.name not in keep and page.is_file():
            try:
                page.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------- activity report


def render_activity_report(analysis: Analysis) -> str:
    """The report of one activity: summary, map, charts, segments, splits and laps."""
    act = analysis.activity
    s = analysis.summary
    t = np.asarray(act.t_s, dtype=float) - (float(act.t_s[0]) if act.t_s.size else 0.0)
    dirs = np.asarray(analysis.directions.direction, dtype=np.uint8)
    map_svg = None
    if act.has_position:
        map_svg = svg.route_map(act.lat_deg, act.lon_deg, dirs, t_s=t, title=f"Route of {Path(act.file).name}")
    chart_svg = chart_data = None
    drawn = _activity_chart(act, t, dirs)
    if drawn is not None:
        chart_svg, chart_data = drawn
    share = svg.share_bar(
        [(Direction.BACKWARD, s.backward.time_s), (Direction.FORWARD, s.forward.time_s), (Direction.UNKNOWN, s.unknown.time_s), (Direction.STOPPED, s.stopped_s)],
        title="Elapsed time by direction",
    )
    overall_pace = s.moving_s / (s.distance_m / 1000) if s.distance_m > 1 else None
    start = act.start_time.astimezone(timezone.utc) if act.clock != "power-on" else None
    zone = "UTC" if act.clock == "utc" else "watch's local time"
    return _render(
        "activity.html",
        file=Path(act.file).name,
        # HTML's <time> takes a local date and time without an offset: the watch's own clock.
        start_iso=act.start_time_iso if act.clock == "utc" else act.start_time_iso.removesuffix("Z"),
        start_date=fmt_date(start.date().isoformat()) if start else "",
        start_clock=f"{start:%H:%M} {zone}" if start else "",
        sport=act.sport,
        device=act.device,
        method=method_words(analysis.directions.method),
        warnings=list(analysis.warnings),
        summary={
            "distance": fmt_distance(s.distance_m),
            "distance_from": DISTANCE_SOURCE_WORDS.get(act.distance_source, ""),
            "elapsed": fmt_clock(s.elapsed_s),
            "moving": fmt_clock(s.moving_s),
            "stopped": fmt_clock(s.stopped_s),
            "pace": fmt_pace(overall_pace),
        },
        direction_rows=_direction_rows(s),
        share_svg=share,
        map_svg=map_svg,
        has_position=act.has_position,
        has_cadence=act.has_cadence,
        chart_svg=chart_svg,
        chart_json=json_script(chart_data) if chart_data else None,
        segments=_segment_rows(analysis.segments),
        splits=_split_rows(analysis.splits),
        split_label=fmt_distance(analysis.split_m),
        laps=_lap_rows(analysis.laps),
        generated_at=None,
    )


def _activity_chart(act: Activity, t: np.ndarray, dirs: np.ndarray) -> tuple[Markup, dict] | None:
    """Speed, and cadence and step length where the file has them, over the activity's time `t`."""
    series = [svg.Series("Speed (km/h)", _speed_kmh(t, act.speed_mps, dist=act.distance_m), 0, floor_zero=True)]
    if act.has_cadence:
        series.append(svg.Series("Cadence (steps/min)", _steps_only(act.cadence_spm), 0))
    if np.isfinite(act.step_length_m).any():
        series.append(svg.Series("Step length (m)", act.step_length_m, 2))
    return svg.time_chart(t, dirs, series, title="Speed, cadence and step length over time", chart_id="activity-chart")


def _direction_rows(s: Summary) -> list[dict]:
    """The summary's table of time, distance, pace and gait per direction."""
    rows = []
    for name, total in (("backward", s.backward), ("forward", s.forward), ("unknown", s.unknown)):
        rows.append(
            {
                "direction": Direction[name.upper()],
                "name": name,
                "distance": fmt_distance(total.distance_m),
                "time": fmt_clock(total.time_s),
                "share": fmt_pct(total.time_s / s.moving_s) if s.moving_s > 0 else "–",
                "pace": fmt_pace(total.pace_s_per_km),
                "cadence": fmt_num(total.avg_cadence_spm, 0),
                "step": fmt_num(total.step_length_m, 2, "m"),
                "empty": total.time_s <= 0,
            }
        )
    return rows


def _segment_rows(segments: list[Segment]) -> list[dict]:
    """One row per segment of one direction, with sort keys for the sortable table."""
    return [
        {
            "n": i + 1,
            "direction": g.direction,
            "start": fmt_clock(g.start_s),
            "start_sort": _sortnum(g.start_s),
            "duration": fmt_clock(g.duration_s),
            "duration_sort": _sortnum(g.duration_s),
            "distance": fmt_distance(g.distance_m),
            "distance_sort": _sortnum(g.distance_m),
            "pace": fmt_pace(1000 / g.avg_speed_mps) if g.avg_speed_mps and g.direction != "stopped" else "–",
            "pace_sort": _sortnum(1000 / g.avg_speed_mps) if g.avg_speed_mps and g.direction != "stopped" else "",
            "cadence": fmt_num(g.avg_cadence_spm, 0),
            "step": fmt_num(g.step_length_m, 2),
            "confidence": fmt_pct(g.confidence),
        }
        for i, g in enumerate(segments)
    ]


def _split_rows(splits: list[Split]) -> list[dict]:
    """One row per distance split: its own time and pace, the elapsed time, and its backward share."""
    rows = []
    prev_d = 0.0
    for sp in splits:
        d = sp.distance_m - prev_d
        prev_d = sp.distance_m
        rows.append(
            {
                "n": sp.n,
                "distance": fmt_distance(sp.distance_m),
                "split": fmt_time(sp.split_s),
                "elapsed": fmt_time(sp.elapsed_s),
                "pace": fmt_pace(sp.split_s / d * 1000) if d > 0 else "–",
                "fraction": fmt_pct(sp.backward_fraction),
            }
        )
    return rows


def _lap_rows(laps: list[LapSummary]) -> list[dict]:
    """One row per device lap."""
    return [
        {
            "n": lp.n,
            "start": fmt_clock(lp.start_s),
            "duration": fmt_time(lp.end_s - lp.start_s),
            "distance": fmt_distance(lp.distance_m),
            "pace": fmt_pace((lp.end_s - lp.start_s) / lp.distance_m * 1000) if lp.distance_m else "–",
            "fraction": fmt_pct(lp.backward_fraction),
        }
        for lp in laps
    ]
