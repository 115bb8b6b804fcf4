"""The synthetic FIT encoder: everything it writes decodes with fitdecode, CRCs included."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import fitdecode
import numpy as np
import pytest

from retrotrack.simulate.fitwriter import (
    HEADING_OFFSET,
    HEADING_SCALE,
    FitEncoder,
    chain,
    fit_crc,
    fit_seconds,
    write_activity_fit,
)

START = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)


def decode(data: bytes) -> list:
    """All data messages, strictly: any CRC or format problem raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as reader:
            return [f for f in reader if f.frame_type == fitdecode.FIT_FRAME_DATA]


def values(frame) -> dict:
    return {f.name: f.value for f in frame.fields}


def run(n=60, **kw):
    t = np.arange(n, dtype=float)
    args = dict(
        start_time=START, t_s=t, lat_deg=53.34 + t * 2e-5, lon_deg=np.full(n, -6.26),
        distance_m=t * 2.2, speed_mps=np.full(n, 2.2), cadence_spm=np.full(n, 171.0),
        heart_rate_bpm=np.full(n, 151.0), altitude_m=np.full(n, 12.4),
    )
    args.update(kw)
    return write_activity_fit(None, **args)


def test_crc_matches_the_reference_value():
    # CRC-16 as in the FIT SDK (reflected 0xA001 polynomial), on the ASCII digits.
    assert fit_crc(b"123456789") == 0xBB3D


def test_round_trip_records_and_summary():
    frames = decode(run())
    names = [f.name for f in frames]
    assert names[0] == "file_id"
    assert names.count("record") == 60
    assert names.index("session") > names.index("record")
    rec = values(next(f for f in frames if f.name == "record"))
    assert rec["timestamp"] == START
    assert rec["position_lat"] / 2**31 * 180 == pytest.approx(53.34, abs=1e-6)
    assert rec["heart_rate"] == 151
    assert rec["altitude"] == pytest.approx(12.4, abs=0.2)
    session = values(next(f for f in frames if f.name == "session"))
    assert session["sport"] == "running"
    assert session["total_distance"] == pytest.approx(59 * 2.2, abs=0.01)
    assert session["total_elapsed_time"] == 59.0
    assert session["start_time"] == START


def test_cadence_is_written_garmin_style():
    frames = decode(run(cadence_spm=np.full(60, 171.5)))
    rec = values(next(f for f in frames if f.name == "record"))
    assert rec["cadence"] == 85
    assert 2 * (rec["cadence"] + rec["fractional_cadence"]) == pytest.approx(171.5, abs=0.02)


def test_nan_fields_are_left_out():
    hr = np.full(60, 150.0)
    hr[3] = np.nan
    frames = [f for f in decode(run(heart_rate_bpm=hr)) if f.name == "record"]
    assert frames[3].get_value("heart_rate", fallback=None) is None
    assert frames[4].get_value("heart_rate") == 150


def test_heading_is_a_developer_field_with_scale_and_offset():
    frames = decode(run(heading_deg=np.full(60, 181.25), step_length_m=np.full(60, 0.95)))
    desc = values(next(f for f in frames if f.name == "field_description"))
    assert desc["field_name"] == "heading"
    assert (desc["scale"], desc["offset"]) == (HEADING_SCALE, HEADING_OFFSET)
    rec = next(f for f in frames if f.name == "record")
    raw = rec.get_value("heading")
    assert raw / desc["scale"] - desc["offset"] == pytest.approx(181.25)
    assert rec.get_value("step_length") == pytest.approx(950.0)


def test_compressed_timestamps_decode_to_the_same_times():
    t = np.array([0, 1, 2, 5, 40, 41, 75], dtype=float)
    plain = [f.get_value("timestamp") for f in decode(run(len(t), t_s=t, lat_deg=None, lon_deg=None,
                                                             distance_m=t, speed_mps=None)) if f.name == "record"]
    data = run(len(t), t_s=t, lat_deg=None, lon_deg=None, distance_m=t, speed_mps=None, compressed_timestamps=True)
    frames = decode(data)
    packed = [f.get_value("timestamp") for f in frames if f.name == "record"]
    assert packed == plain
    assert any(f.name == "record" and f.time_offset is not None for f in frames)


def test_pauses_become_timer_events_and_laps_carry_timer_time():
    t = np.concatenate([np.arange(30.0), np.arange(90.0, 120.0)])
    frames = decode(run(60, t_s=t, pauses=[(29.0, 90.0)], laps=[(0, 60, 40.0), (60, 119, 60.0)]))
    timer = [(values(f)["event_type"], f.get_value("timestamp")) for f in frames
             if f.name == "event" and f.get_value("event") == "timer"]
    assert [e for e, _ in timer] == ["start", "stop_all", "start", "stop_all"]
    laps = [values(f) for f in frames if f.name == "lap"]
    assert [lap["total_timer_time"] for lap in laps] == [29.0, 29.0]
    assert [lap["total_distance"] for lap in laps] == [40.0, 60.0]


def test_summary_first_puts_session_before_records_stamped_at_the_start():
    frames = decode(run(summary_first=True))
    names = [f.name for f in frames]
    assert names.index("session") < names.index("record")
    session = values(frames[names.index("session")])
    assert session["timestamp"] == START
    assert session["total_elapsed_time"] == 59.0


def test_encoder_chains_files():
    a = run(10)
    b = run(5, start_time=datetime(2026, 6, 14, 10, 0, tzinfo=timezone.utc))
    frames = decode(chain(a, b))
    assert sum(f.name == "record" for f in frames) == 15
    assert sum(f.name == "file_id" for f in frames) == 2


def test_encoder_writes_two_records_per_second_and_odd_timestamps():
    enc = FitEncoder()
    enc.message("file_id", type=4, manufacturer=265, time_created=START)
    t0 = fit_seconds(START)
    for ts in (t0, t0 + 1, t0 + 1, t0, t0 + 2):
        enc.message("record", timestamp=ts, position_lat=53.3, position_long=-6.2, speed=3.0)
        enc.message("record", timestamp=ts, distance=10.0)
    frames = [f for f in decode(enc.to_bytes()) if f.name == "record"]
    assert len(frames) == 10
    assert [f.get_value("timestamp") for f in frames][::2][3] == START


def test_truncated_file_fails_where_it_is_cut():
    data = run(30)
    with pytest.raises(fitdecode.FitError):
        decode(data[: len(data) // 2])
    enc = FitEncoder()
    enc.message("file_id", type=4, manufacturer=1)
    assert decode(enc.to_bytes())[0].name == "file_id"
    with pytest.raises(fitdecode.FitEOFError):
        decode(enc.to_bytes(with_crc=False))


def test_writes_to_a_path(tmp_path):
    target = tmp_path / "run.fit"
    data = run(5)
    assert write_activity_fit(target, start_time=START, t_s=np.arange(5.0), distance_m=np.arange(5.0) * 2.2,
                              speed_mps=np.full(5, 2.2), cadence_spm=np.full(5, 171.0),
                              heart_rate_bpm=np.full(5, 151.0), altitude_m=np.full(5, 12.4),
                              lat_deg=53.34 + np.arange(5.0) * 2e-5, lon_deg=np.full(5, -6.26)) == data
    assert target.read_bytes() == data


def test_architecture_byte_is_written():
    enc = FitEncoder()
    enc.definition(0, 0, [(0, 1, "enum")], architecture=1)
    enc.data(0, b"\x04")
    assert decode(enc.to_bytes())[0].get_value("type") == "activity"
