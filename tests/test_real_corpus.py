"""The readers on every real export in ../shared (skipped in a fresh clone).

Distances must match the devices' own session totals within 1 %, every
device lap must come through, and damaged files must behave as
expectations.json says. Synthetic files in the other reader tests cover the
same code paths for a fresh clone.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import REAL_DIR, needs_real, real_file
from retrotrack.errors import ReadError
from retrotrack.readers import read_activity

pytestmark = needs_real


def _load(name: str) -> dict:
    path = REAL_DIR / name
    return json.loads(path.read_text()) if path.is_file() else {}


ORACLE = _load("oracle.json").get("files", {})
EXPECT = {k: v for k, v in _load("expectations.json").items() if not k.startswith("_")}
EXPORTS = sorted(p.name for p in REAL_DIR.glob("*") if p.suffix.lower() in (".fit", ".gpx", ".xml")) \
    if REAL_DIR.is_dir() else []
SUMMARISED = [n for n in EXPORTS if ORACLE.get(n, {}).get("total_distance_m") and n not in EXPECT]


@pytest.mark.parametrize("name", [n for n in EXPORTS if n not in EXPECT])
def test_every_intact_export_reads_cleanly(name):
    act = read_activity(real_file(name))
    assert len(act) >= 2
    assert np.all(np.diff(act.t_s) > 0)
    assert np.isfinite(act.distance_m).all() and np.all(np.diff(act.distance_m) >= 0)
    for channel in (act.cadence_spm, act.step_length_m):
        ok = np.isfinite(channel)
        assert np.all(channel[ok] >= 0)
    moving = act.cadence_spm[np.isfinite(act.cadence_spm) & (act.cadence_spm > 30)]
    if moving.size > 20:
        assert 100 < np.median(moving) < 220, "cadence must be steps per minute, both feet"


@pytest.mark.parametrize("name", SUMMARISED)
def test_distance_and_laps_match_the_device(name):
    oracle = ORACLE[name]
    act = read_activity(real_file(name))
    total = act.distance_m[-1] - act.distance_m[0]
    assert total == pytest.approx(oracle["total_distance_m"], rel=0.01)
    assert act.device_distance_m == pytest.approx(oracle["total_distance_m"], abs=0.05)
    assert len(act.laps) == len(oracle.get("laps") or [])
    assert [s.sport for s in act.sessions] == [s["sport"] or "unknown" for s in oracle["sessions"]]
    for lap, want in zip(act.laps, oracle.get("laps") or []):
        offset = want.get("start_offset_s", lap.start_s)
        assert lap.start_s == pytest.approx(max(offset, 0.0), abs=1.0)  # a lap begun before the first record starts at 0
        assert lap.end_s == pytest.approx(offset + want["total_elapsed_time_s"], abs=1.0)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_damaged_files_behave_as_expected(name):
    want = EXPECT[name]["expect"]
    try:
        act = read_activity(real_file(name))
    except ReadError as exc:
        assert want in ("error", "partial-or-error"), exc.message
        assert name in exc.message and "\n" not in exc.message
        return
    assert want in ("partial", "partial-or-error", "read")
    if want != "read":
        assert act.warnings
    assert len(act) >= 2


def test_strava_garbage_record_is_dropped():
    act = read_activity(real_file("fitparse__strava-android-app-201.10-b1218918.fit"))
    assert act.start_time.year == 2021 and act.elapsed_s == pytest.approx(314, abs=2)
    assert np.nanmax(act.speed_mps) < 10
    assert np.isfinite(act.lat_deg).mean() > 0.9  # the two records per second were merged
    assert any("2085" in w for w in act.warnings)


def test_summary_first_equals_summary_last():
    first = read_activity(real_file("muktihari__triathlon_summary_first.fit"))
    last = read_activity(real_file("muktihari__triathlon_summary_last.fit"))
    assert [(s.sport, s.start_s, s.end_s) for s in first.sessions] == [(s.sport, s.start_s, s.end_s)
                                                                       for s in last.sessions]
    assert [(lap.start_s, lap.end_s) for lap in first.laps] == [(lap.start_s, lap.end_s) for lap in last.laps]
    assert first.sport == "multisport"
    run = first.sessions[-1]
    in_run = (first.t_s > run.start_s + 60) & (first.t_s < run.end_s - 60)
    in_bike = (first.t_s > first.sessions[2].start_s + 60) & (first.t_s < first.sessions[2].end_s - 60)
    assert 140 < np.nanmedian(first.cadence_spm[in_run]) < 200
    assert np.isnan(first.cadence_spm[in_bike]).all()
    assert np.nanmedian(first.step_length_m[in_run]) == pytest.approx(1.0, abs=0.3)


def test_chained_triathlon_has_its_five_sessions():
    act = read_activity(real_file("fitparse__sample_mulitple_header.fit"))
    assert [s.sport for s in act.sessions] == ["swimming", "transition", "cycling", "transition", "running"]


def test_developer_distance_does_not_replace_the_native_one():
    act = read_activity(real_file("fitparse__developer-types-sample.fit"))
    assert act.distance_m[-1] == pytest.approx(6753.99, abs=1.0)
    assert not act.has_heading


def test_camera_heading_is_course_over_ground_not_facing():
    act = read_activity(real_file("gpsbabel__garmin-virb-ultra-30.fit"))
    assert not act.has_heading
    assert act.start_time.year == 2017  # anchored by timestamp_correlation


def test_foot_pod_run_has_no_positions_but_the_device_distance():
    act = read_activity(real_file("fitparse__compressed-speed-distance.fit"))
    assert not act.has_position and act.distance_m[-1] == pytest.approx(10248.67, rel=0.001)
    assert act.pauses  # the watch was paused once


def test_multisport_distance_restarts_per_session_are_joined():
    act = read_activity(real_file("fitparse__activity-large-fenxi2-multisport.fit"))
    assert act.distance_m[-1] == pytest.approx(69831.36, rel=0.001)
    assert any("backward" in w for w in act.warnings)


@pytest.mark.parametrize("gpx,fit", [
    ("sweatpy__activity_4801048867.gpx", "sweatpy__4801048867.fit"),
    ("sweatpy__4801048867_strava.gpx", "sweatpy__4801048867.fit"),
    ("sweatpy__activity_4078723797.gpx", "sweatpy__4078723797.fit"),
    ("sweatpy__4078723797_strava.gpx", "sweatpy__4078723797.fit"),
])
def test_gpx_distance_from_positions_matches_the_device(gpx, fit):
    from_gpx = read_activity(real_file(gpx))
    device = ORACLE[fit]["total_distance_m"]
    assert from_gpx.distance_m[-1] == pytest.approx(device, rel=0.01)
    assert from_gpx.sport == "cycling" and not from_gpx.has_cadence


def test_garmin_connect_gpx_cadence_is_doubled():
    act = read_activity(real_file("georust__garmin-activity.gpx"))
    assert act.sport == "running"
    assert 140 < np.nanmedian(act.cadence_spm[act.cadence_spm > 0]) < 200


def test_gpx10_course_is_not_heading():
    act = read_activity(real_file("gpsbabel__datalog.gpx"))
    assert not act.has_heading and np.isfinite(act.speed_mps).all()


def test_apple_route_course_is_not_heading():
    act = read_activity(real_file("togeojson__apple_watch_route.gpx"))
    assert not act.has_heading and np.isfinite(act.speed_mps).all()


def test_bad_character_is_not_xml():
    with pytest.raises(ReadError, match="not well-formed XML"):
        read_activity(real_file("georust__badcharacter.xml"))
