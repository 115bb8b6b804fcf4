"""Segments, totals, splits and laps from per-interval direction labels."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from retrotrack import analysis
from retrotrack.direction import DirectionTrack
from retrotrack.model import Activity, Direction, Lap, empty_channels


def make_activity(t_s, distance_m, cadence_spm=None, pauses=(), laps=()) -> Activity:
    t = np.asarray(t_s, dtype=float)
    ch = empty_channels(t.size)
    ch["distance_m"] = np.asarray(distance_m, dtype=float)
    if cadence_spm is not None:
        ch["cadence_spm"] = np.asarray(cadence_spm, dtype=float)
    return Activity(
        file="synthetic.fit",
        format="fit",
        start_time=datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc),
        t_s=t,
        sport="running",
        laps=list(laps),
        pauses=list(pauses),
        **ch,
    )


def labels(*runs: tuple[Direction, int]) -> DirectionTrack:
    codes = np.concatenate([np.full(n, d, dtype=np.uint8) for d, n in runs])
    return DirectionTrack(direction=codes, confidence=np.full(codes.size, 0.9), method="test")


def steady(seconds: int, speed: float) -> Activity:
    t = np.arange(seconds + 1, dtype=float)
    return make_activity(t, speed * t, cadence_spm=np.full(t.size, 180.0))


def test_splits_are_interpolated_between_records():
    act = steady(1000, 2.5)
    track = labels((Direction.FORWARD, 1000))
    splits = analysis.compute_splits(act, track, 1000.0)
    assert [s.n for s in splits] == [1, 2]
    assert splits[0].elapsed_s == pytest.approx(400.0)
    assert splits[1].split_s == pytest.approx(400.0)
    # Records every 7 s do not move the interpolated split time.
    t = np.arange(0, 1001, 7.0)
    sparse = make_activity(t, 2.5 * t)
    assert analysis.compute_splits(sparse, labels((Direction.FORWARD, t.size - 1)), 1000.0)[0].elapsed_s == pytest.approx(400.0)


def test_mile_and_lap_splits():
    act = steady(1000, 2.5)
    track = labels((Direction.FORWARD, 1000))
    miles = analysis.compute_splits(act, track, 1609.344)
    assert len(miles) == 1 and miles[0].elapsed_s == pytest.approx(1609.344 / 2.5)
    laps = analysis.compute_splits(act, track, 400.0)
    assert len(laps) == 6 and all(s.split_s == pytest.approx(160.0) for s in laps)


def test_split_backward_fraction_comes_from_the_labels():
    act = steady(800, 2.5)
    # First 200 s backward, then 200 s forward: split 1 (0-400 s) is half backward.
    track = labels((Direction.BACKWARD, 200), (Direction.FORWARD, 200), (Direction.BACKWARD, 400))
    splits = analysis.compute_splits(act, track, 1000.0)
    assert splits[0].backward_fraction == pytest.approx(0.5)
    assert splits[1].backward_fraction == pytest.approx(1.0)


def test_stopped_time_is_left_out_of_backward_fraction():
    act = steady(400, 2.5)
    track = labels((Direction.BACKWARD, 100), (Direction.STOPPED, 200), (Direction.FORWARD, 100))
    assert analysis.backward_fraction(act, track, 0.0, 400.0) == pytest.approx(0.5)
    assert analysis.backward_fraction(act, labels((Direction.UNKNOWN, 400)), 0.0, 400.0) is None


def test_segments_cover_the_activity_and_add_up():
    act = steady(600, 2.0)
    track = labels((Direction.FORWARD, 120), (Direction.STOPPED, 30), (Direction.BACKWARD, 300), (Direction.UNKNOWN, 150))
    segs = analysis.build_segments(act, track)
    assert [s.direction for s in segs] == ["forward", "stopped", "backward", "unknown"]
    assert segs[0].start_s == 0.0 and segs[-1].end_s == 600.0
    assert all(a.end_s == b.start_s for a, b in zip(segs, segs[1:]))
    assert segs[2].distance_m == pytest.approx(600.0)
    assert segs[2].avg_speed_mps == pytest.approx(2.0)
    assert segs[2].avg_cadence_spm == pytest.approx(180.0)
    assert segs[2].step_length_m == pytest.approx(2.0 / 3.0)
    assert segs[1].avg_cadence_spm is None
    summary = analysis.summarize(act, track)
    assert summary.backward.time_s == 300.0 and summary.forward.time_s == 120.0
    assert summary.unknown.time_s == 150.0 and summary.stopped_s == 30.0
    assert summary.moving_s == 570.0
    assert summary.distance_m == pytest.approx(1200.0)


def test_pause_with_no_records_is_a_stopped_segment_and_counts_in_elapsed():
    t = np.concatenate([np.arange(0, 301.0), np.arange(420, 721.0)])
    d = np.concatenate([3.0 * np.arange(0, 301.0), 900 + 3.0 * np.arange(0, 301.0)])
    act = make_activity(t, d, cadence_spm=np.full(t.size, 170.0), pauses=[(300.0, 420.0)])
    result = analysis.analyze_activity(act)
    assert result.summary.elapsed_s == 720.0
    assert result.summary.moving_s == pytest.approx(600.0)
    stopped = [s for s in result.segments if s.direction == "stopped"]
    assert len(stopped) == 1 and stopped[0].start_s == 300.0 and stopped[0].end_s == 420.0


def _gpx(*segments: tuple[float, int, int]) -> bytes:
    """A GPX run with one <trkseg> per (start latitude, start second, points): 1 s and ~3 m apart, northward."""
    base = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc).timestamp()
    body = []
    for lat0, start_s, n in segments:
        pts = []
        for i in range(n):
            when = datetime.fromtimestamp(base + start_s + i, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            pts.append(f'<trkpt lat="{lat0 + i * 2.7e-5:.7f}" lon="-6.26"><time>{when}</time></trkpt>')
        body.append("<trkseg>" + "".join(pts) + "</trkseg>")
    return ('<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<trk><type>running</type>{"".join(body)}</trk></gpx>').encode()


def test_a_gap_between_gpx_segments_is_a_stopped_segment_with_no_distance():
    from retrotrack.readers import read_data

    # Paused for 170 s; the second segment starts ~560 m north of where the first ended.
    act = read_data(_gpx((53.34, 0, 31), (53.345, 200, 31)), "two-segments.gpx")
    result = analysis.analyze_activity(act)
    segs = result.segments
    stopped = [s for s in segs if s.direction == "stopped"]
    assert [(s.start_s, s.end_s, s.distance_m, s.avg_speed_mps) for s in stopped] == [(30.0, 200.0, 0.0, 0.0)]
    for s in segs:
        assert s.avg_speed_mps is None or s.avg_speed_mps < 3.5, s
    assert result.summary.distance_m == pytest.approx(2 * 30 * 3.0, rel=0.01)
    assert sum(s.distance_m for s in segs) == pytest.approx(result.summary.distance_m)
    assert result.summary.stopped_s == pytest.approx(170.0)
    assert analysis.analysis_to_dict(result)["distance_source"] == "positions"


def test_real_apple_watch_run_pauses_are_stopped_segments_with_no_distance():
    from conftest import DATA
    from retrotrack.readers import read_activity

    result = analysis.analyze_activity(read_activity(DATA / "real" / "togeojson__Friday-Evening-Run.gpx"))
    segs = result.segments
    stopped = [s for s in segs if s.direction == "stopped"]
    assert [(round(s.start_s, 1), round(s.end_s, 1)) for s in stopped] == [(10.5, 227.3), (234.3, 2551.3)]
    assert all(s.distance_m == 0.0 for s in stopped)
    # The file's own points cover ~19 m in its first 10.5 s, ~24 m and ~45 m in the others (gpxpy: 87.7 m).
    moving = [s for s in segs if s.direction != "stopped"]
    assert [s.distance_m for s in moving] == pytest.approx([19.4, 23.6, 44.6], rel=0.1)
    assert max(s.avg_speed_mps for s in moving) < 4.0
    assert max(s.step_length_m for s in moving) < 2.0


def test_one_record_is_one_token_stopped_segment():
    act = make_activity([0.0], [0.0], cadence_spm=[170.0])
    result = analysis.analyze_activity(act)
    doc = analysis.analysis_to_dict(result)
    assert [(s["direction"], s["start_s"], s["distance_m"]) for s in doc["segments"]] == [("stopped", 0.0, 0.0)]
    assert 0.0 < doc["segments"][0]["end_s"] <= 0.01
    assert doc["summary"]["elapsed_s"] == 0.0 and doc["summary"]["moving_s"] == 0.0
    json.dumps(doc, allow_nan=False)


def test_standing_still_for_a_while_is_stopped_but_a_brief_slowdown_is_not():
    t = np.arange(0, 301.0)
    speed = np.full(t.size, 3.0)
    speed[100:160] = 0.0  # a minute standing at a drinks table
    speed[200:202] = 0.3  # a turn
    d = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    act = make_activity(t, d)
    result = analysis.analyze_activity(act)
    assert result.summary.stopped_s == pytest.approx(60.0, abs=6.0)
    assert not any(s.direction == "stopped" and 195 < s.start_s < 205 for s in result.segments)


def test_device_laps_keep_their_own_start_and_distance():
    act = steady(1000, 2.5)
    act.laps = [Lap(0.0, 400.0, 1000.0), Lap(400.0, 1000.0, 1500.0)]
    laps = analysis.device_laps(act, labels((Direction.BACKWARD, 1000)))
    assert [(lp.n, lp.source, lp.start_s, lp.distance_m) for lp in laps] == [(1, "device", 0.0, 1000.0), (2, "device", 400.0, 1500.0)]
    assert laps[0].backward_fraction == 1.0


def test_json_document_is_strict_json_with_the_interface_fields():
    act = steady(2500, 2.5)
    act.laps = [Lap(0.0, 2500.0, 6250.0)]
    doc = analysis.analysis_to_dict(analysis.analyze_activity(act))
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    for key in ("file", "format", "start_time", "warnings", "summary", "segments", "splits", "laps"):
        assert key in back
    assert back["start_time"] == "2026-06-14T09:00:00Z"
    assert set(back["summary"]) >= {"distance_m", "elapsed_s", "moving_s", "backward", "forward", "unknown"}
    assert [s["n"] for s in back["splits"]] == [1, 2, 3, 4, 5, 6]
    assert back["laps"][0]["source"] == "device"
    assert back["distance_source"] == "device"


def test_without_direction_signals_moving_time_is_unknown_not_guessed():
    t = np.arange(0, 601.0)
    act = make_activity(t, 2.8 * t)  # positions/distance only: no cadence, no heading
    result = analysis.analyze_activity(act)
    assert result.summary.backward.time_s == 0.0 and result.summary.forward.time_s == 0.0
    assert result.summary.unknown.time_s == pytest.approx(600.0)
