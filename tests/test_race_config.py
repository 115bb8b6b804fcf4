"""The race config: a good one parses; every mistake is one line naming the key or line."""

import math
import tempfile
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrotrack.errors import ConfigError
from retrotrack.race.config import load_race_config, race_to_toml
from retrotrack.race.model import Gate, RaceInfo

GOOD = """\
[race]
name = "Riverside Retro 5000"
date = "2026-06-14"
distance_m = 5000
gun_time = "2026-06-14T10:00:00+01:00"
timing = "chip"
min_backward_fraction = 0.85

[course]
start  = { at = [53.340120, -6.260110], bearing = 90.0,  width_m = 30 }
finish = { at = [53.340110, -6.259000], bearing = 270.0, width_m = 30 }
finish_crossings = 13

[[course.checkpoints]]
name = "2 km"
gate = { at = [53.3410, -6.2610], bearing = 0.0, width_m = 30 }

[entries]
file = "entries.csv"
"""


def write(tmp_path, text):
    p = tmp_path / "race.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_config(tmp_path):
    cfg = load_race_config(write(tmp_path, GOOD))
    r = cfg.race
    assert r.name == "Riverside Retro 5000" and r.distance_m == 5000
    assert r.gun_time == datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
    assert r.timing == "chip" and r.direction == "backward" and r.min_backward_fraction == 0.85
    assert r.start.bearing_deg == 90.0 and r.finish.lat_deg == pytest.approx(53.34011)
    assert r.finish_crossings == 13
    assert [c.name for c in r.checkpoints] == ["2 km"]
    assert cfg.entries_path == tmp_path / "entries.csv"
    assert cfg.warnings == []


@pytest.mark.parametrize("line,expected", [
    ("date = 2026-06-14\n", "2026-06-14"),    # a TOML date
    (' date = " 2026-06-14 "\n', "2026-06-14"),
    ("", "2026-06-14"),                       # none: the gun's date
])
def test_the_race_date_is_given_or_the_guns(tmp_path, line, expected):
    cfg = load_race_config(write(tmp_path, GOOD.replace('date = "2026-06-14"\n', line, 1)))
    assert cfg.race.date == expected


@pytest.mark.parametrize("gun,expected", [
    ('"2027-01-01T00:30:00+01:00"', "2027-01-01"),   # 2026-12-31 in UTC: the race year is 2027
    ('"2026-06-13T21:00:00-05:00"', "2026-06-13"),   # 2026-06-14 in UTC
    ("2027-01-01T00:30:00+01:00", "2027-01-01"),     # a TOML date-time
    ('"2026-06-14T23:30:00Z"', "2026-06-14"),
])
def test_the_default_date_is_the_guns_local_date(tmp_path, gun, expected):
    text = GOOD.replace('date = "2026-06-14"\n', "").replace('"2026-06-14T10:00:00+01:00"', gun)
    r = load_race_config(write(tmp_path, text)).race
    assert r.date == expected
    assert r.gun_time.tzinfo == timezone.utc


def test_a_date_that_is_not_the_guns_is_an_error(tmp_path):
    text = GOOD.replace('"2026-06-14T10:00:00+01:00"', '"2026-06-14T09:00:00Z"').replace('"2026-06-14"', '"2026-06-15"')
    with pytest.raises(ConfigError, match=r"line 3: \[race\] date: 2026-06-15 is not the gun's date, 2026-06-14"):
        load_race_config(write(tmp_path, text))
    # The gun's local date, not its UTC date: 00:30 on New Year's Day in Paris is still 2026 in UTC.
    text = GOOD.replace('"2026-06-14T10:00:00+01:00"', '"2027-01-01T00:30:00+01:00"')
    with pytest.raises(ConfigError, match="2026-06-14 is not the gun's date, 2027-01-01"):
        load_race_config(write(tmp_path, text))
    text = text.replace('"2026-06-14"', '"2027-01-01"')
    assert load_race_config(write(tmp_path, text)).race.date == "2027-01-01"


@pytest.mark.parametrize("gun,expected", [
    ('"at ten"', 'line 5: [race] gun_time: must be a date and time like "2026-06-14T09:00:00Z", got \'at ten\''),
    ('"2026-06-14"', 'must be a date and time like "2026-06-14T09:00:00Z", got \'2026-06-14\' (a date without the time'),
    ('"2026-02-30T09:00:00Z"', "got '2026-02-30T09:00:00Z' (day is out of range for month)"),
    ("2026-06-14", 'line 5: [race] gun_time: must be a date and time like "2026-06-14T09:00:00Z"'),
])
def test_a_bad_gun_time_says_what_is_expected(tmp_path, gun, expected):
    with pytest.raises(ConfigError) as err:
        load_race_config(write(tmp_path, GOOD.replace('"2026-06-14T10:00:00+01:00"', gun)))
    assert expected in err.value.message and "isoformat" not in err.value.message


def test_round_trip_through_toml(tmp_path):
    r = load_race_config(write(tmp_path, GOOD)).race
    again = load_race_config(write(tmp_path, race_to_toml(r, "entries.csv"))).race
    assert again == r


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ('name = "Riverside Retro 5000"\n', "", "[race] has no `name`"),
        ('gun_time = "2026-06-14T10:00:00+01:00"', 'gun_time = "2026-06-14T10:00:00"', "line 5: [race] gun_time: needs a time zone"),
        ('gun_time = "2026-06-14T10:00:00+01:00"', 'gun_time = "at ten"', "line 5: [race] gun_time"),
        ('timing = "chip"', 'timing = "stopwatch"', "line 6: [race] timing: unknown timing mode 'stopwatch'"),
        ("distance_m = 5000", "distance_m = -5", "line 4: [race] distance_m: must be more than 0"),
        ("min_backward_fraction = 0.85", "min_backward_fraction = 85", "[race] min_backward_fraction: must be between 0 and 1"),
        ("at = [53.340120, -6.260110]", "at = [153.340120, -6.260110]", "line 10: [course] start.at: latitude 153.34"),
        ("at = [53.340120, -6.260110]", "at = [53.340120]", "[course] start.at: must be [latitude, longitude]"),
        ("bearing = 90.0,", 'bearing = "east",', "[course] start.bearing: must be a number"),
        ("width_m = 30 }\nfinish", "width_m = 0 }\nfinish", "[course] start.width_m: must be more than 0"),
        ("finish_crossings = 13", "finish_crossings = 0", "line 12: [course] finish_crossings: must be a whole number"),
        ('file = "entries.csv"', "file = 3", "[entries] file: must name the entries CSV"),
        ('name = "2 km"', 'name = ""', "[[course.checkpoints]] number 1: name must be a non-empty text"),
        ("bearing = 0.0, width_m = 30 }", "bearing = 0.0 }", "[[course.checkpoints]] number 1 (2 km) gate: the gate has no `width_m`"),
        ("[entries]", "[entries", "is not valid TOML"),
        ('date = "2026-06-14"', 'date = "14/06/2026"', "line 3: [race] date: must be a date like \"2026-06-14\", got '14/06/2026'"),
        ('date = "2026-06-14"', "date = 20260614", "line 3: [race] date: must be a date like"),
        ('date = "2026-06-14"', "date = 2026-06-14T10:00:00Z", "line 3: [race] date: must be a date like"),
    ],
)
def test_mistakes_are_one_line_config_errors(tmp_path, old, new, expected):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_race_config(path)
    msg = err.value.message
    assert expected in msg, msg
    assert str(path) in msg and "\n" not in msg


def test_chip_timing_needs_a_start(tmp_path):
    text = GOOD.replace("start  = { at = [53.340120, -6.260110], bearing = 90.0,  width_m = 30 }\n", "")
    with pytest.raises(ConfigError, match="chip timing needs"):
        load_race_config(write(tmp_path, text))
    load_race_config(write(tmp_path, text.replace('timing = "chip"', 'timing = "gun"')))


def test_missing_config_and_unknown_keys(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_race_config(tmp_path / "nope.toml")
    cfg = load_race_config(write(tmp_path, GOOD.replace("[course]", "[course]\nsurface = \"tartan\"")))
    assert cfg.warnings == ["race.toml: unknown key [course] surface ignored"]


def test_keys_a_newer_version_might_add_are_warnings(tmp_path):
    text = (GOOD.replace("[course]", 'timing_mode = "x"\nstart_time = "x"\n\n[course]\nlaps = 13')
            .replace('name = "2 km"', 'name = "2 km"\ndistance_m = 2000')
            .replace("[entries]", "[results]\nurl = \"x\"\n\n[entries]\nencoding = \"utf-8\""))
    assert load_race_config(write(tmp_path, text)).warnings == [
        "race.toml: unknown table [results] ignored",
        "race.toml: unknown key [race] start_time ignored",
        "race.toml: unknown key [race] timing_mode ignored",
        "race.toml: unknown key [course] laps ignored",
        "race.toml: unknown key [entries] encoding ignored",
        "race.toml: unknown key [[course.checkpoints]] number 1 distance_m ignored",
    ]


@pytest.mark.parametrize("old,new,expected", [
    ("finish_crossings = 13", "finish_crossing = 13",
     "line 12: unknown key [course] finish_crossing (did you mean finish_crossings?)"),
    ("min_backward_fraction = 0.85", "min_backwards_fraction = 0.85",
     "line 7: unknown key [race] min_backwards_fraction (did you mean min_backward_fraction?)"),
    ("finish_crossings = 13", "Finish-Crossings = 13", "line 12: unknown key [course] Finish-Crossings (did you mean finish_crossings?)"),
    ("distance_m = 5000", "distance = 5000", "line 4: unknown key [race] distance (did you mean distance_m?)"),
    ('timing = "chip"', 'timings = "chip"', "line 6: unknown key [race] timings (did you mean timing?)"),
    ("[race]", "[races]", "line 1: unknown table [races] (did you mean race?)"),
    ("[entries]", "[entry]", "line 18: unknown table [entry] (did you mean entries?)"),
    ("[[course.checkpoints]]", "[[course.checkpoint]]", "line 14: unknown key [course] checkpoint (did you mean checkpoints?)"),
    ('file = "entries.csv"', 'files = "entries.csv"', "line 19: unknown key [entries] files (did you mean file?)"),
    ("gate = { at", "gates = { at", "line 16: unknown key [[course.checkpoints]] number 1 gates (did you mean gate?)"),
    ("bearing = 90.0,  width_m = 30 }", "bearing = 90.0,  widht_m = 30 }",
     "line 10: [course] start: unknown gate key(s) widht_m (did you mean width_m? a gate has at, bearing and width_m)"),
])
def test_a_misspelt_key_is_an_error_not_a_default(tmp_path, old, new, expected):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_race_config(path)
    assert err.value.message == f"{path}: {expected}"


LAPS = GOOD.replace("finish_crossings = 13", "finish_crossings = 13\nlap_m = 400")


@pytest.mark.parametrize("distance,crossings,lap", [
    (5000, 13, 400), (1500, 4, 400), (800, 2, 400), (10000, 25, 400), (400, 1, 400), (100, 1, 400),
    (5000, 5, 1000),     # a road loop, start and finish on one line
    (5020, 5, 1000),     # the start 20 m before the finish: its first crossing is the start itself
    (1500, 4, 399.5),    # a lap a little off
])
def test_a_distance_that_fits_its_laps(tmp_path, distance, crossings, lap):
    text = (LAPS.replace("distance_m = 5000", f"distance_m = {distance}")
            .replace("finish_crossings = 13", f"finish_crossings = {crossings}").replace("lap_m = 400", f"lap_m = {lap}"))
    r = load_race_config(write(tmp_path, text)).race
    assert (r.distance_m, r.finish_crossings, r.lap_m) == (distance, crossings, lap)


@pytest.mark.parametrize("distance,crossings,expected", [
    (5000, 4, "line 4: [race] distance_m: 5000 m does not fit finish_crossings = 4 with lap_m = 400: those time a race "
              "of 1250 m to under 1650 m (the first counted crossing 50 m to under 450 m after the start, then one a lap); "
              "5000 m is finish_crossings = 13"),
    (5000, 14, "those time a race of 5250 m to under 5650 m"),
    (1200, 4, "1200 m is finish_crossings = 3"),     # the start on the finish line: that crossing does not count
    (1500, 1, "1500 m is finish_crossings = 4"),     # finish_crossings left out
])
def test_a_distance_that_does_not_fit_its_laps(tmp_path, distance, crossings, expected):
    text = (LAPS.replace("distance_m = 5000", f"distance_m = {distance}")
            .replace("finish_crossings = 13", f"finish_crossings = {crossings}"))
    with pytest.raises(ConfigError) as err:
        load_race_config(write(tmp_path, text))
    assert expected in err.value.message and "\n" not in err.value.message


def test_a_distance_is_checked_against_laps_only_with_a_lap(tmp_path):
    # Without lap_m the lap is measured on each track: finish_crossings alone is trusted.
    assert load_race_config(write(tmp_path, GOOD.replace("finish_crossings = 13", "finish_crossings = 4"))).race.lap_m is None


def test_awkward_names_and_numbers_are_written_as_they_read(tmp_path):
    r = load_race_config(write(tmp_path, GOOD)).race
    r.name = 'Club\nChamps "A" \\ \t\x7f\x01'
    r.distance_m = 123456.7
    r.min_backward_fraction = 0.1 + 0.2
    r.start = Gate("start", 53.30515912345678, -6.219342000000001, 196.31234, 30.25)
    r.lap_m = 400.123456789
    r.finish_crossings = 309
    text = race_to_toml(r, "entries.csv")
    tomllib.loads(text)
    assert load_race_config(write(tmp_path, text)).race == r
    assert "bearing = 270.0" in text and "width_m = 30 }" in text and "at = [53.340110, -6.259000]" in text
    assert "distance_m = 123456.7\n" in text


def test_a_race_on_another_day_than_in_utc_is_written_on_its_day(tmp_path):
    text = GOOD.replace('"2026-06-14T10:00:00+01:00"', '"2027-01-01T00:30:00+01:00"').replace('"2026-06-14"', '"2027-01-01"')
    r = load_race_config(write(tmp_path, text)).race
    written = race_to_toml(r, "entries.csv")
    assert 'gun_time = "2027-01-01T00:30:00+01:00"' in written
    assert load_race_config(write(tmp_path, written)).race == r


def _names():
    return st.text(min_size=1, max_size=20).map(str.strip).filter(bool)


@st.composite
def _races(draw):
    gate = lambda name: st.builds(  # noqa: E731
        Gate, st.just(name), st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 360, exclude_max=True),
        st.floats(0, 200, exclude_min=True))
    distance = draw(st.one_of(st.integers(1, 100_000).map(float), st.floats(1e-3, 1e6)))
    crossings, lap = draw(st.integers(1, 30)), None
    if draw(st.booleans()):
        lap = draw(st.floats(1.0, 1e5))
        crossings = math.floor((distance - 50) / lap) + 1
        first = distance - (crossings - 1) * lap
        if crossings < 1 or not 50 <= first < lap + 50:
            crossings, lap = draw(st.integers(1, 30)), None
    gun = draw(st.datetimes(datetime(1970, 1, 2), datetime(2100, 1, 1), timezones=st.just(timezone.utc)))
    offset = timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60)))
    cp_names = draw(st.lists(_names(), max_size=2, unique_by=str.lower).filter(
        lambda ns: not {n.lower() for n in ns} & {"start", "finish"}))
    return RaceInfo(
        name=draw(_names()),
        date=(gun + offset).date().isoformat(),
        distance_m=distance,
        gun_time=gun,
        timing=draw(st.sampled_from(["chip", "gun"])),
        direction=draw(st.sampled_from(["backward", "forward"])),
        min_backward_fraction=draw(st.floats(0, 1)),
        venue=draw(st.one_of(st.none(), _names())),
        start=draw(gate("start")),
        finish=draw(gate("finish")),
        finish_crossings=crossings,
        checkpoints=[draw(gate(n)) for n in cp_names],
        lap_m=lap,
    )


@settings(max_examples=300, deadline=None)
@given(_races())
def test_race_to_toml_reads_back_the_same_race(race):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "race.toml"
        path.write_text(race_to_toml(race, "entries.csv"), encoding="utf-8")
        assert load_race_config(path).race == race
