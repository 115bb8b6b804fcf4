"""Standard 400 m track geometry and the configs written from it."""

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from retrotrack.errors import ConfigError
from retrotrack.geo import haversine_m
from retrotrack.race.config import load_race_config
from retrotrack.race.trackconfig import (
    STANDARD_DISTANCES_M,
    StandardTrack,
    lane_length_m,
    lane_radius_m,
    make_track_config,
    start_plan,
    track_race_info,
)

TRACK = StandardTrack(53.3051, -6.2182, 352.0)


def test_lane_lengths():
    assert lane_length_m(1) == pytest.approx(400.0, abs=0.01)
    assert lane_radius_m(2) == pytest.approx(36.5 + 1.22 + 0.2)
    assert lane_length_m(2) - lane_length_m(1) == pytest.approx(2 * math.pi * 1.12, abs=0.01)


def test_lane_line_is_continuous_and_a_lap_long():
    q = np.arange(0.0, 400.0, 0.25)
    x, y, b = TRACK.lane_xy(1, q)
    steps = np.hypot(np.diff(x), np.diff(y))
    assert steps.max() < 0.2501 and steps.sum() == pytest.approx(400.0 - 0.25, abs=0.05)
    assert b[0] == pytest.approx(352.0) and b[len(q) // 2] == pytest.approx(172.0, abs=1.0)


@pytest.mark.parametrize("d,timing,crossings", [(100, "gun", 1), (200, "gun", 1), (400, "gun", 1), (800, "chip", 2),
                                                (1500, "chip", 4), (3000, "chip", 8), (5000, "chip", 13), (10000, "chip", 25)])
def test_start_plans(d, timing, crossings):
    p = start_plan(d)
    assert p.timing == timing and p.finish_crossings == crossings


def test_config_from_finish_and_bearing(tmp_path):
    text = make_track_config("53.3051,-6.2182", 352.0, 1500, name="Club 1500", gun_time="2026-06-14T09:00:00Z")
    p = tmp_path / "r.toml"
    p.write_text(text)
    race = load_race_config(p).race
    assert race.timing == "chip" and race.finish_crossings == 4 and race.lap_m == 400
    # The 1500 m start is 300 m before the finish: on the first bend's exit, 73 m across the infield.
    d = haversine_m(race.start.lat_deg, race.start.lon_deg, race.finish.lat_deg, race.finish.lon_deg)
    assert 60 < d < 90
    # Turning left round the end of the first bend, 15.61 m of arc before the back straight (bearing 172).
    assert race.start.bearing_deg == pytest.approx((172.0 + math.degrees(15.61 / 36.8)) % 360, abs=0.2)


def test_an_800_m_in_lanes_is_gun_timed_without_a_start_line(tmp_path):
    # Lane 8 of an 800 m in lanes stands 26.5 m ahead of lane 1: no waterfall line fits the field.
    p = tmp_path / "r.toml"
    p.write_text(make_track_config("53.3051,-6.2182", 352.0, 800, lane_start=True))
    race = load_race_config(p).race
    assert race.timing == "gun" and race.start is None and race.finish_crossings == 2 and race.lap_m == 400
    assert "lane 8 26.52 m" in p.read_text()
    assert start_plan(800).timing == "chip"
    with pytest.raises(ConfigError, match="--start: only the 800 m"):
        make_track_config("53.3051,-6.2182", 352.0, 1500, lane_start=True)


def test_a_gun_time_to_the_hundredth_is_kept(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text(make_track_config("53.3051,-6.2182", 352.0, 400, gun_time="2026-06-14T10:00:03.47+01:00"))
    assert 'gun_time = "2026-06-14T09:00:03.47Z"' in p.read_text()
    assert load_race_config(p).race.gun_time.microsecond == 470000


def test_bad_inputs():
    with pytest.raises(ConfigError, match="--finish"):
        make_track_config("53.3 north", 0.0, 400)
    with pytest.raises(ConfigError, match="not a standard track distance"):
        make_track_config("53.3,-6.2", 0.0, 600)


def test_without_a_gun_time_the_placeholder_says_so(tmp_path):
    lines = make_track_config("53.3051,-6.2182", 352.0, 1500).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("gun_time = "))
    assert lines[at - 1].startswith("# gun_time: set the real gun time before the race")
    given = make_track_config("53.3051,-6.2182", 352.0, 1500, gun_time="2026-06-14T09:00:00Z")
    assert "# gun_time" not in given
    p = tmp_path / "r.toml"
    p.write_text("\n".join(lines))
    assert load_race_config(p).race.finish_crossings == 4


def test_the_date_is_the_guns_local_date(tmp_path):
    # 00:30 on New Year's Day in Paris is 2026 in UTC: the race (and its age categories) is 2027.
    p = tmp_path / "r.toml"
    p.write_text(make_track_config("53.3051,-6.2182", 352.0, 400, gun_time="2027-01-01T00:30:00+01:00"))
    assert 'date = "2027-01-01"' in p.read_text() and 'gun_time = "2027-01-01T00:30:00+01:00"' in p.read_text()
    race = load_race_config(p).race
    assert race.date == "2027-01-01" and race.gun_time == datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("gun", ["tomorrow", "2026-06-14", "2026-06-14 9am"])
def test_a_bad_gun_time_says_what_is_expected(gun):
    with pytest.raises(ConfigError) as err:
        make_track_config("53.3051,-6.2182", 352.0, 400, gun_time=gun)
    msg = err.value.message
    assert msg.startswith('--gun-time: must be a date and time like "2026-06-14T09:00:00Z", got')
    assert "isoformat" not in msg


def test_an_awkward_name_is_written_as_valid_toml(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text(make_track_config("53.3051,-6.2182", 352.0, 800, name='Club\nChamps "24" \\ 1\x7f',
                                   gun_time="2026-06-14T09:00:00Z"))
    assert load_race_config(p).race.name == 'Club\nChamps "24" \\ 1\x7f'


@pytest.mark.parametrize("d", STANDARD_DISTANCES_M)
def test_every_standard_distance_reads_back_as_written(tmp_path, d):
    when = datetime(2026, 6, 14, 9, 0, 3, 470000, tzinfo=timezone.utc)
    race = track_race_info(TRACK, d, gun_time=when)
    p = tmp_path / "r.toml"
    p.write_text(make_track_config("53.3051,-6.2182", 352.0, d, gun_time="2026-06-14T09:00:03.47Z"))
    assert load_race_config(p).race == race
