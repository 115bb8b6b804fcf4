"""The race config (TOML, INTERFACE.md): read it strictly, write it back.

Every organiser mistake is a ConfigError naming the file, the line (where one
can be found) or the key, and what is wrong, so it can be fixed in one go.
Keys this version does not know are reported as warnings, not errors: configs
written for a newer version still time the race.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from retrotrack.errors import ConfigError
from retrotrack.race.model import Gate, RaceInfo

TIMING_MODES = ("chip", "gun")
DIRECTIONS = ("backward", "forward")

RACE_KEYS = {"name", "date", "distance_m", "gun_time", "timing", "direction", "min_backward_fraction", "venue"}
COURSE_KEYS = {"start", "finish", "finish_crossings", "checkpoints", "lap_m"}
GATE_KEYS = {"at", "bearing", "width_m"}


@dataclass
class RaceConfig:
    """A parsed config: the race, where its entries are, and what was odd about it."""

    path: Path
    race: RaceInfo
    entries_path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def race_dir(self) -> Path:
        """The race folder: the config's own folder. Tracks must live inside it."""
        return self.path.parent


class _Where:
    """Finds the line a key is written on, so errors can name it."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line(self, *path: str) -> int | None:
        """Line number of the last key in `path` (a table name then keys), or None."""
        section = None
        want_table = ".".join(path[:-1])
        key = path[-1]
        pat = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        inline = re.compile(r"[{,]\s*" + re.escape(key) + r"\s*=")
        for i, raw in enumerate(self.lines, start=1):
            s = raw.strip()
            m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", s)
            if m:
                section = m.group(1)
                continue
            if section == want_table and pat.match(raw):
                return i
            if len(path) >= 3 and section == ".".join(path[:-2]) and re.match(r"^\s*" + re.escape(path[-2]) + r"\s*=", raw) and inline.search(raw):
                return i
        return None

    def table(self, name: str) -> int | None:
        for i, raw in enumerate(self.lines, start=1):
            if re.match(r"^\s*\[\[?\s*" + re.escape(name) + r"\s*\]\]?", raw):
                return i
        return None


def _fail(path: Path, where: _Where, keys: tuple[str, ...], problem: str) -> ConfigError:
    line = where.line(*keys) if len(keys) > 1 else None
    label = f"[{keys[0]}] " + ".".join(keys[1:]) if len(keys) > 1 else f"[{keys[0]}]"
    prefix = f"line {line}: " if line else ""
    return ConfigError(path, f"{prefix}{label}: {problem}")


def _number(value, path, where, keys, *, positive=False, lo=None, hi=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, where, keys, f"must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise _fail(path, where, keys, f"must be a finite number, got {value!r}")
    if positive and x <= 0:
        raise _fail(path, where, keys, f"must be more than 0, got {value!r}")
    if lo is not None and x < lo or hi is not None and x > hi:
        raise _fail(path, where, keys, f"must be between {lo:g} and {hi:g}, got {value!r}")
    return x


def _string(value, path, where, keys) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, keys, f"must be a non-empty text in quotes, got {value!r}")
    return value.strip()


def gun_time_text(when: datetime) -> str:
    """A gun time in UTC as ISO 8601, to the microsecond where it has a fraction of a second (a timing
    system's gun is often to the hundredth)."""
    utc = when.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_gun_time(value) -> datetime:
    """An ISO 8601 date-time with a time zone (Z or an offset), as a UTC-aware datetime."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        when = datetime.fromisoformat(text)
    else:
        raise ValueError(f"must be a date and time like \"2026-06-14T09:00:00Z\", got {value!r}")
    if when.tzinfo is None:
        raise ValueError(f"needs a time zone (Z for UTC, or an offset like +01:00): {value!s}")
    return when.astimezone(timezone.utc)


def _gate(value, name: str, path: Path, where: _Where, keys: tuple[str, ...]) -> Gate:
    if not isinstance(value, dict):
        raise _fail(path, where, keys, "must be a gate like { at = [53.34012, -6.26011], bearing = 90.0, width_m = 30 }")
    for k in ("at", "bearing", "width_m"):
        if k not in value:
            raise _fail(path, where, keys, f"the gate has no `{k}`")
    unknown = sorted(set(value) - GATE_KEYS)
    if unknown:
        raise _fail(path, where, keys, f"unknown gate key(s) {', '.join(unknown)} (a gate has at, bearing and width_m)")
    at = value["at"]
    if not isinstance(at, list) or len(at) != 2:
        raise _fail(path, where, keys + ("at",), f"must be [latitude, longitude] in degrees, got {at!r}")
    lat = _number(at[0], path, where, keys + ("at",))
    lon = _number(at[1], path, where, keys + ("at",))
    if not -90 <= lat <= 90:
        raise _fail(path, where, keys + ("at",), f"latitude {lat:g} is not between -90 and 90 (is it [latitude, longitude]?)")
    if not -180 <= lon <= 180:
        raise _fail(path, where, keys + ("at",), f"longitude {lon:g} is not between -180 and 180")
    bearing = _number(value["bearing"], path, where, keys + ("bearing",), lo=-360, hi=360)
    width = _number(value["width_m"], path, where, keys + ("width_m",), positive=True)
    if width > 200:
        raise _fail(path, where, keys + ("width_m",), f"{width:g} m is far too wide for a gate (25-40 m on a track)")
    return Gate(name=name, lat_deg=lat, lon_deg=lon, bearing_deg=bearing % 360.0, width_m=width)


def read_organiser_file(path: Path, what: str, *, missing: str | None = None) -> bytes:
    """The bytes of a file the organiser wrote (`what`: "config file", "entries file"...); ConfigError
    naming it when it is missing (`missing`, else "no such <what>"), a folder or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, missing or f"no such {what}") from None
    except IsADirectoryError:
        raise ConfigError(path, f"is a folder, not a {what}") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.strerror})") from None


def _read_toml(path: Path) -> tuple[str, dict]:
    """The config's text and its TOML document; ConfigError if it cannot be read or parsed."""
    raw = read_organiser_file(path, "config file", missing="no such file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text (save the TOML file as UTF-8)") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"is not valid TOML: {exc}") from None
    return text, doc


def _race_date(race_t: dict, gun_time: datetime, path: Path, where: _Where) -> str:
    """[race] date as ISO text; the gun's date when not given."""
    if "date" not in race_t:
        return gun_time.date().isoformat()
    d = race_t["date"]
    if isinstance(d, date) and not isinstance(d, datetime):
        return d.isoformat()
    if isinstance(d, str):
        try:
            return date.fromisoformat(d.strip()).isoformat()
        except ValueError:
            pass
    raise _fail(path, where, ("race", "date"), f"must be a date like \"2026-06-14\", got {d!r}")


def _checkpoints(cps, path: Path, where: _Where) -> list[Gate]:
    """[[course.checkpoints]]: each a unique name and a gate, errors naming the table's line."""
    checkpoints: list[Gate] = []
    if not isinstance(cps, list):
        raise _fail(path, where, ("course", "checkpoints"), "must be [[course.checkpoints]] tables, each with a name and a gate")
    seen = {"start", "finish"}
    for i, cp in enumerate(cps, start=1):
        label = f"[[course.checkpoints]] number {i}"
        line = _checkpoint_line(where, i)
        pre = f"line {line}: " if line else ""
        if not isinstance(cp, dict) or "name" not in cp or "gate" not in cp:
            raise ConfigError(path, f"{pre}{label} needs a `name` and a `gate`")
        cp_name = cp["name"]
        if not isinstance(cp_name, str) or not cp_name.strip():
            raise ConfigError(path, f"{pre}{label}: name must be a non-empty text, got {cp_name!r}")
        cp_name = cp_name.strip()
        if cp_name.lower() in seen:
            raise ConfigError(path, f"{pre}{label}: the name {cp_name!r} is already used")
        seen.add(cp_name.lower())
        try:
            checkpoints.append(_gate(cp["gate"], cp_name, path, _Where(""), ("course", "checkpoints", "gate")))
        except ConfigError as exc:
            problem = exc.problem.replace("[course] checkpoints.gate", f"{label} ({cp_name}) gate")
            raise ConfigError(path, f"{pre}{problem}") from None
    return checkpoints


def load_race_config(config_path: str | Path) -> RaceConfig:
    """Read and check a race config; raise ConfigError on the first mistake."""
    path = Path(config_path)
    text, doc = _read_toml(path)
    where = _Where(text)
    warnings: list[str] = []

    for top in doc:
        if top not in ("race", "course", "entries"):
            warnings.append(f"{path.name}: unknown table [{top}] ignored")
    race_t = doc.get("race")
    if not isinstance(race_t, dict):
        raise ConfigError(path, "has no [race] table")
    course_t = doc.get("course", {})
    if not isinstance(course_t, dict):
        raise ConfigError(path, "[course] must be a table")
    entries_t = doc.get("entries")
    if not isinstance(entries_t, dict):
        raise ConfigError(path, "has no [entries] table (it names the entries file: file = \"entries.csv\")")
    for k in sorted(set(race_t) - RACE_KEYS):
        warnings.append(f"{path.name}: unknown key [race] {k} ignored")
    for k in sorted(set(course_t) - COURSE_KEYS):
        warnings.append(f"{path.name}: unknown key [course] {k} ignored")

    for k in ("name", "distance_m", "gun_time"):
        if k not in race_t:
            raise ConfigError(path, f"[race] has no `{k}` (required)")
    name = _string(race_t["name"], path, where, ("race", "name"))
    distance = _number(race_t["distance_m"], path, where, ("race", "distance_m"), positive=True)
    try:
        gun_time = parse_gun_time(race_t["gun_time"])
    except ValueError as exc:
        raise _fail(path, where, ("race", "gun_time"), str(exc)) from None
    race_date = _race_date(race_t, gun_time, path, where)
    timing = race_t.get("timing", "chip")
    if timing not in TIMING_MODES:
        raise _fail(path, where, ("race", "timing"), f"unknown timing mode {timing!r} (use \"chip\" or \"gun\")")
    direction = race_t.get("direction", "backward")
    if direction not in DIRECTIONS:
        raise _fail(path, where, ("race", "direction"), f"unknown direction {direction!r} (use \"backward\" or \"forward\")")
    min_frac = _number(race_t.get("min_backward_fraction", 0.9), path, where, ("race", "min_backward_fraction"), lo=0.0, hi=1.0)
    venue = race_t.get("venue")
    if venue is not None:
        venue = _string(venue, path, where, ("race", "venue"))

    start = finish = None
    if "start" in course_t:
        start = _gate(course_t["start"], "start", path, where, ("course", "start"))
    if "finish" not in course_t:
        raise ConfigError(path, "[course] has no `finish` gate (required)")
    finish = _gate(course_t["finish"], "finish", path, where, ("course", "finish"))
    if timing == "chip" and start is None:
        raise ConfigError(path, "[course] has no `start` gate, which chip timing needs (or set timing = \"gun\" in [race])")
    crossings = course_t.get("finish_crossings", 1)
    if isinstance(crossings, bool) or not isinstance(crossings, int) or crossings < 1:
        raise _fail(path, where, ("course", "finish_crossings"), f"must be a whole number of 1 or more, got {crossings!r}")
    lap_m = course_t.get("lap_m")
    if lap_m is not None:
        lap_m = _number(lap_m, path, where, ("course", "lap_m"), positive=True)
    checkpoints = _checkpoints(course_t.get("checkpoints", []), path, where)

    file = entries_t.get("file")
    if not isinstance(file, str) or not file.strip():
        raise _fail(path, where, ("entries", "file"), "must name the entries CSV, e.g. file = \"entries.csv\"")
    entries_path = (path.parent / file.strip())
    race = RaceInfo(
        name=name,
        date=race_date,
        distance_m=distance,
        gun_time=gun_time,
        timing=timing,
        direction=direction,
        min_backward_fraction=min_frac,
        venue=venue,
        start=start,
        finish=finish,
        finish_crossings=crossings,
        checkpoints=checkpoints,
        lap_m=lap_m,
    )
    return RaceConfig(path=path, race=race, entries_path=entries_path, warnings=warnings)


def _checkpoint_line(where: _Where, n: int) -> int | None:
    count = 0
    for i, raw in enumerate(where.lines, start=1):
        if re.match(r"^\s*\[\[\s*course\.checkpoints\s*\]\]", raw):
            count += 1
            if count == n:
                return i
    return None


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _gate_toml(g: Gate) -> str:
    return (f"{{ at = [{g.lat_deg:.6f}, {g.lon_deg:.6f}], bearing = {g.bearing_deg % 360.0:.1f}, "
            f"width_m = {g.width_m:g} }}")


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def race_to_toml(race: RaceInfo, entries_file: str = "entries.csv", comments: list[str] | None = None) -> str:
    """A config file for `race` that load_race_config reads back to the same race."""
    out = [f"# {c}" for c in (comments or [])]
    if out:
        out.append("")
    out += [
        "[race]",
        f"name = {_toml_str(race.name)}",
        f'date = "{race.date}"',
        f"distance_m = {_num(race.distance_m)}",
        f'gun_time = "{gun_time_text(race.gun_time)}"',
        f'timing = "{race.timing}"',
        f'direction = "{race.direction}"',
        f"min_backward_fraction = {race.min_backward_fraction:g}",
    ]
    if race.venue:
        out.append(f"venue = {_toml_str(race.venue)}")
    out += ["", "[course]"]
    if race.start is not None:
        out.append(f"start  = {_gate_toml(race.start)}")
    out.append(f"finish = {_gate_toml(race.finish)}")
    out.append(f"finish_crossings = {race.finish_crossings}")
    if race.lap_m:
        out.append(f"lap_m = {_num(round(race.lap_m, 2))}")
    for cp in race.checkpoints:
        out += ["", "[[course.checkpoints]]", f"name = {_toml_str(cp.name)}", f"gate = {_gate_toml(cp)}"]
    out += ["", "[entries]", f"file = {_toml_str(entries_file)}", ""]
    return "\n".join(out)
