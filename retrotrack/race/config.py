"""The race config (TOML, INTERFACE.md): read it strictly, write it back.

Every organiser mistake is a ConfigError naming the file, the line (where one
can be found) or the key, and what is wrong, so it can be fixed in one go.
Keys this version does not know are reported as warnings, not errors: configs
written for a newer version still time the race. A key (or table) that is plainly
a misspelling of a known one is an error, though: ignoring it would time the race
with the default.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from retrotrack.errors import ConfigError
from retrotrack.race.model import Gate, RaceInfo
from retrotrack.race.passes import START_EXCLUSION_M

TIMING_MODES = ("chip", "gun")
DIRECTIONS = ("backward", "forward")

RACE_KEYS = {"name", "date", "distance_m", "gun_time", "timing", "direction", "min_backward_fraction", "venue"}
COURSE_KEYS = {"start", "finish", "finish_crossings", "checkpoints", "lap_m"}
GATE_KEYS = {"at", "bearing", "width_m"}
TABLES = {"race", "course", "entries"}
ENTRIES_KEYS = {"file"}
CHECKPOINT_KEYS = {"name", "gate"}
TYPO_CUTOFF = 0.8
"""difflib similarity from which an unknown key is a misspelling of a known one (distance_km and nam are;
timing_mode, start_time and laps are not)."""
GUN_TIME_EXAMPLE = "2026-06-14T09:00:00Z"


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

    def line_in_table_at(self, table_line: int | None, key: str) -> int | None:
        """The line of `key` in the table whose header is on `table_line` (one of several [[tables]]), or None."""
        if table_line is None:
            return None
        for i, raw in enumerate(self.lines[table_line:], start=table_line + 1):
            if re.match(r"^\s*\[", raw):
                return None
            if re.match(r"^\s*" + re.escape(key) + r"\s*=", raw):
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


def _bare(key: str) -> str:
    """A key without case, hyphens and underscores."""
    return key.lower().replace("-", "").replace("_", "").replace(" ", "")


def _singular(key: str) -> str:
    k = _bare(key)
    if k.endswith("ies"):
        return k[:-3] + "y"
    return k[:-1] if k.endswith("s") else k


def misspelt(key: str, known) -> str | None:
    """The known key `key` is plainly a misspelling of (case, plural, hyphen, the unit left out, a typo), or None."""
    for name in sorted(known):
        if _singular(key) == _singular(name) or _bare(key) == _bare(name.removesuffix("_m")):
            return name
    close = difflib.get_close_matches(key.lower(), sorted(known), n=1, cutoff=TYPO_CUTOFF)
    return close[0] if close else None


def _unknown_keys(found, known, label: str, line, path: Path, warnings: list[str]) -> None:
    """Warn about each key of a table this version does not know (a newer version's), but fail on a
    misspelt known key: ignored, it would time the race with the default. `label` names a key ("key [race] {}"),
    `line(key)` finds its line."""
    for k in sorted(set(found) - set(known)):
        meant = misspelt(k, known)
        if meant is None:
            warnings.append(f"{path.name}: unknown {label.format(k)} ignored")
            continue
        at = line(k)
        raise ConfigError(path, f"{f'line {at}: ' if at else ''}unknown {label.format(k)} (did you mean {meant}?)")


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


def _iso_text(when: datetime) -> str:
    """An aware date-time as ISO 8601 in its own offset (Z for UTC), to the microsecond where it has a
    fraction of a second (a timing system's gun is often to the hundredth)."""
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}".rstrip("0")
    offset_s = int(when.utcoffset().total_seconds())
    if offset_s == 0:
        return text + "Z"
    sign, offset_s = ("-", -offset_s) if offset_s < 0 else ("+", offset_s)
    text += f"{sign}{offset_s // 3600:02d}:{offset_s // 60 % 60:02d}"
    return text + (f":{offset_s % 60:02d}" if offset_s % 60 else "")


def gun_time_text(when: datetime) -> str:
    """A gun time in UTC as ISO 8601, to the microsecond where it has a fraction of a second."""
    return _iso_text(when.astimezone(timezone.utc))


def gun_time_as_written(value) -> datetime:
    """An ISO 8601 date-time with a time zone (Z or an offset), aware and in its own offset: its date is
    the race's local date. ValueError saying what is expected otherwise."""
    expected = f"must be a date and time like \"{GUN_TIME_EXAMPLE}\", got {value!r}"
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            date.fromisoformat(text)
        except ValueError:
            pass
        else:
            raise ValueError(f"{expected} (a date without the time of day)")
        try:
            when = datetime.fromisoformat(text)
        except ValueError as exc:
            why = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
            raise ValueError(expected + why) from None
    else:
        raise ValueError(expected)
    if when.tzinfo is None:
        raise ValueError(f"needs a time zone (Z for UTC, or an offset like +01:00): {value!s}")
    return when


def parse_gun_time(value) -> datetime:
    """An ISO 8601 date-time with a time zone (Z or an offset), as a UTC-aware datetime."""
    return gun_time_as_written(value).astimezone(timezone.utc)


def _gate(value, name: str, path: Path, where: _Where, keys: tuple[str, ...]) -> Gate:
    if not isinstance(value, dict):
        raise _fail(path, where, keys, "must be a gate like { at = [53.34012, -6.26011], bearing = 90.0, width_m = 30 }")
    unknown = sorted(set(value) - GATE_KEYS)
    if unknown:
        meant = [m for m in (misspelt(k, GATE_KEYS) for k in unknown) if m]
        hint = f"did you mean {', '.join(meant)}? " if meant else ""
        raise _fail(path, where, keys, f"unknown gate key(s) {', '.join(unknown)} ({hint}a gate has at, bearing and width_m)")
    for k in ("at", "bearing", "width_m"):
        if k not in value:
            raise _fail(path, where, keys, f"the gate has no `{k}`")
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


def _race_date(race_t: dict, gun_local: datetime, path: Path, where: _Where) -> str:
    """[race] date as ISO text: the gun's local date (as gun_time is written, in its own offset), which a
    given date must be. The race's year sets the runners' age categories."""
    gun_day = gun_local.date()
    if "date" not in race_t:
        return gun_day.isoformat()
    d = race_t["date"]
    day = None
    if isinstance(d, date) and not isinstance(d, datetime):
        day = d
    elif isinstance(d, str):
        try:
            day = date.fromisoformat(d.strip())
        except ValueError:
            pass
    if day is None:
        raise _fail(path, where, ("race", "date"), f"must be a date like \"2026-06-14\", got {d!r}")
    if day != gun_day:
        raise _fail(path, where, ("race", "date"),
                    f"{day} is not the gun's date, {gun_day} (gun_time's date as written; for a race on another "
                    "day than in UTC, write gun_time in local time with its offset, like +12:00)")
    return day.isoformat()


def _check_laps(distance_m: float, crossings: int, lap_m: float, path: Path, where: _Where) -> None:
    """distance_m against finish_crossings and lap_m, as the timing counts crossings: the first counted
    crossing of the finish comes at least START_EXCLUSION_M after the start (one sooner is the start
    itself) and less than a lap after that (else one a lap sooner would count), then one each lap, the
    last at distance_m; lap k's split is distance_m - (finish_crossings - k) * lap_m."""
    first_m = distance_m - (crossings - 1) * lap_m
    if START_EXCLUSION_M <= first_m < lap_m + START_EXCLUSION_M:
        return
    low_m = (crossings - 1) * lap_m + START_EXCLUSION_M
    need = math.floor((distance_m - START_EXCLUSION_M) / lap_m) + 1
    hint = f"; {distance_m:g} m is finish_crossings = {need}" if need >= 1 else ""
    raise _fail(path, where, ("race", "distance_m"),
                f"{distance_m:g} m does not fit finish_crossings = {crossings} with lap_m = {lap_m:g}: those time a "
                f"race of {low_m:g} m to under {low_m + lap_m:g} m (the first counted crossing {START_EXCLUSION_M:g} m "
                f"to under {lap_m + START_EXCLUSION_M:g} m after the start, then one a lap){hint}")


def _checkpoints(cps, path: Path, where: _Where, warnings: list[str]) -> list[Gate]:
    """[[course.checkpoints]]: each a unique name and a gate, errors naming the table's line."""
    checkpoints: list[Gate] = []
    if not isinstance(cps, list):
        raise _fail(path, where, ("course", "checkpoints"), "must be [[course.checkpoints]] tables, each with a name and a gate")
    seen = {"start", "finish"}
    for i, cp in enumerate(cps, start=1):
        label = f"[[course.checkpoints]] number {i}"
        line = _checkpoint_line(where, i)
        pre = f"line {line}: " if line else ""
        if isinstance(cp, dict):
            _unknown_keys(cp, CHECKPOINT_KEYS, f"key {label} {{}}", lambda k: where.line_in_table_at(line, k) or line,
                          path, warnings)
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

    _unknown_keys(doc, TABLES, "table [{}]", where.table, path, warnings)
    race_t = doc.get("race")
    if not isinstance(race_t, dict):
        raise ConfigError(path, "has no [race] table")
    course_t = doc.get("course", {})
    if not isinstance(course_t, dict):
        raise ConfigError(path, "[course] must be a table")
    entries_t = doc.get("entries")
    if not isinstance(entries_t, dict):
        raise ConfigError(path, "has no [entries] table (it names the entries file: file = \"entries.csv\")")
    for table, keys, known in (("race", race_t, RACE_KEYS), ("course", course_t, COURSE_KEYS),
                               ("entries", entries_t, ENTRIES_KEYS)):
        line = lambda k, table=table: where.line(table, k) or where.table(f"{table}.{k}")  # noqa: E731 (a sub-table's header)
        _unknown_keys(keys, known, f"key [{table}] {{}}", line, path, warnings)

    for k in ("name", "distance_m", "gun_time"):
        if k not in race_t:
            raise ConfigError(path, f"[race] has no `{k}` (required)")
    name = _string(race_t["name"], path, where, ("race", "name"))
    distance = _number(race_t["distance_m"], path, where, ("race", "distance_m"), positive=True)
    try:
        gun_local = gun_time_as_written(race_t["gun_time"])
    except ValueError as exc:
        raise _fail(path, where, ("race", "gun_time"), str(exc)) from None
    gun_time = gun_local.astimezone(timezone.utc)
    race_date = _race_date(race_t, gun_local, path, where)
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
        _check_laps(distance, crossings, lap_m, path, where)
    checkpoints = _checkpoints(course_t.get("checkpoints", []), path, where, warnings)

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


TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_str(s: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped (a name may hold a newline)."""
    return '"' + "".join(
        TOML_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in s
    ) + '"'


def _num(x: float) -> str:
    """A number that reads back exactly: a whole number as one (1500, 30), else the float's repr."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _float(x: float) -> str:
    """A float that reads back exactly and reads as one (a bearing 352.0, a fraction 0.9)."""
    return repr(float(x))


def _degrees(x: float) -> str:
    """A latitude or longitude to six decimals (53.303200) where that is exact, else the float's repr."""
    text = f"{float(x):.6f}"
    return text if float(text) == float(x) else _float(x)


def _gate_toml(g: Gate) -> str:
    return (f"{{ at = [{_degrees(g.lat_deg)}, {_degrees(g.lon_deg)}], bearing = {_float(g.bearing_deg % 360.0)}, "
            f"width_m = {_num(g.width_m)} }}")


def _gun_time_toml(when: datetime, race_date: str) -> str:
    """gun_time as written for a race on `race_date`, which must be its date as written: in UTC where that is
    the day, else in the gun's own offset, else in the whole-hour offset nearest UTC that is on the day (a
    gun read from a config is kept in UTC). ValueError if none is."""
    day = date.fromisoformat(race_date)
    utc = when.astimezone(timezone.utc)
    for local in [utc, when] + [utc.astimezone(timezone(timedelta(hours=h))) for h in sorted(range(-23, 24), key=abs)]:
        if local.date() == day:
            return _iso_text(local)
    raise ValueError(f"the race's date {race_date} is not its gun's date in any time zone ({gun_time_text(when)})")


def race_to_toml(race: RaceInfo, entries_file: str = "entries.csv", comments: list[str] | None = None,
                 gun_time_comment: str | None = None) -> str:
    """A config file for `race` that load_race_config reads back to the same race (its date must be its
    gun's local date). `gun_time_comment` is a comment line written above gun_time."""
    out = [f"# {c}" for c in (comments or [])]
    if out:
        out.append("")
    out += [
        "[race]",
        f"name = {_toml_str(race.name)}",
        f'date = "{race.date}"',
        f"distance_m = {_num(race.distance_m)}",
    ]
    if gun_time_comment:
        out.append(f"# {gun_time_comment}")
    out += [
        f'gun_time = "{_gun_time_toml(race.gun_time, race.date)}"',
        f'timing = "{race.timing}"',
        f'direction = "{race.direction}"',
        f"min_backward_fraction = {_float(race.min_backward_fraction)}",
    ]
    if race.venue:
        out.append(f"venue = {_toml_str(race.venue)}")
    out += ["", "[course]"]
    if race.start is not None:
        out.append(f"start  = {_gate_toml(race.start)}")
    out.append(f"finish = {_gate_toml(race.finish)}")
    out.append(f"finish_crossings = {race.finish_crossings}")
    if race.lap_m:
        out.append(f"lap_m = {_num(race.lap_m)}")
    for cp in race.checkpoints:
        out += ["", "[[course.checkpoints]]", f"name = {_toml_str(cp.name)}", f"gate = {_gate_toml(cp)}"]
    out += ["", "[entries]", f"file = {_toml_str(entries_file)}", ""]
    return "\n".join(out)
