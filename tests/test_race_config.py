"""The race config: a good one parses; every mistake is one line naming the key or line."""

from datetime import datetime, timezone

import pytest

from retrotrack.errors import ConfigError
from retrotrack.race.config import load_race_config, race_to_toml

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
    ("date = 2026-06-13\n", "2026-06-13"),    # a TOML date
    (' date = " 2026-06-13 "\n', "2026-06-13"),
    ("", "2026-06-14"),                       # none: the gun's date
])
def test_the_race_date_is_given_or_the_guns(tmp_path, line, expected):
    cfg = load_race_config(write(tmp_path, GOOD.replace('date = "2026-06-14"\n', line, 1)))
    assert cfg.race.date == expected


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
