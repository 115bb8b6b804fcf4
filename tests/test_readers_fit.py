"""The FIT reader on small synthetic files, one quirk each (written with our fitwriter)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from conftest import DATA
from retrotrack.errors import ReadError
from retrotrack.readers import read_activity, read_data
from retrotrack.readers.fit import crc16
from retrotrack.simulate.fitwriter import FitEncoder, chain, fit_crc, fit_seconds, write_activity_fit

START = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
T0 = fit_seconds(START)


def track(n: int, speed: float = 3.0):
    t = np.arange(float(n))
    lat = 53.34 + t * speed / 111195.0
    lon = np.full(n, -6.26)
    return t, lat, lon, t * speed


def run_fit(n: int = 120, **kw) -> bytes:
    t, lat, lon, dist = track(n)
    args = dict(start_time=START, t_s=t, lat_deg=lat, lon_deg=lon, distance_m=dist, speed_mps=np.full(n, 3.0),
                cadence_spm=np.full(n, 171.5), heart_rate_bpm=np.full(n, 150.0), altitude_m=np.full(n, 20.0))
    args.update(kw)
    return write_activity_fit(None, **args)


def test_a_plain_run():
    act = read_data(run_fit(laps=[(0, 60, 180.0), (60, 119, 177.0)]), "run.fit")
    assert act.format == "fit" and act.sport == "running" and act.device == "garmin"
    assert len(act) == 120 and act.start_time == START
    assert act.t_s[-1] == 119.0
    assert act.lat_deg[10] == pytest.approx(53.34 + 30 / 111195.0, abs=1e-6)
    assert act.distance_m[-1] == pytest.approx(357.0)
    assert act.device_distance_m == pytest.approx(357.0)
    assert act.heart_rate_bpm[0] == 150 and act.altitude_m[0] == pytest.approx(20.0)
    assert [(lap.start_s, lap.end_s, lap.distance_m) for lap in act.laps] == [(0, 60, 180.0), (60, 119, 177.0)]
    assert act.sessions[0].sport == "running" and act.sessions[0].end_s == 119.0
    assert not act.warnings and not act.has_heading


def test_cadence_is_doubled_with_its_fraction_and_step_length_follows():
    act = read_data(run_fit(), "run.fit")
    assert act.cadence_spm[5] == pytest.approx(171.5, abs=0.02)
    assert act.step_length_m[5] == pytest.approx(3.0 / (171.5 / 60), rel=1e-3)


def test_step_length_from_the_record_in_mm():
    act = read_data(run_fit(step_length_m=np.full(120, 0.95)), "run.fit")
    assert act.step_length_m[3] == pytest.approx(0.95)


def test_cycling_cadence_is_not_steps():
    act = read_data(run_fit(sport="cycling", cadence_spm=np.full(120, 180.0)), "ride.fit")
    assert act.sport == "cycling"
    assert not act.has_cadence


def test_heading_comes_from_the_developer_field_with_its_scale_and_offset():
    heading = (np.arange(120) * 3.0) % 360
    act = read_data(run_fit(heading_deg=heading), "run.fit")
    assert act.has_heading
    np.testing.assert_allclose(act.heading_deg, heading, atol=0.01)


def encoder_with_file_id(manufacturer: int = 1) -> FitEncoder:
    enc = FitEncoder()
    enc.message("file_id", type=4, manufacturer=manufacturer, product=2697, time_created=T0)
    return enc


def test_gps_metadata_heading_is_travel_not_facing():
    enc = encoder_with_file_id()
    for i in range(10):
        enc.message("record", timestamp=T0 + i, distance=3.0 * i, speed=3.0)
        enc.message("gps_metadata", timestamp=T0 + i, heading=90.0, utc_timestamp=T0 + i)
    act = read_data(enc.to_bytes(), "cam.fit")
    assert not act.has_heading


def test_developer_fields_named_like_native_ones_do_not_override_them():
    enc = encoder_with_file_id(95)
    enc.developer_data_id(0)
    enc.field_description(0, 0, "Distance", "uint32", units="Meters", native_field_num=5)
    enc.field_description(0, 1, "Speed", "uint16", scale=1000, units="M/S")
    enc.field_description(0, 2, "Cadence", "uint8", units="RPM", native_field_num=4)
    enc.field_description(0, 3, "Heading Accuracy", "uint8")
    for i in range(20):
        enc.message("record", timestamp=T0 + i, distance=2.0 * i, speed=2.0, cadence=80,
                    dev={(0, 0): 5000 + i, (0, 1): 9.0, (0, 2): 200, (0, 3): 7})
    act = read_data(enc.to_bytes(), "stryd.fit")
    assert act.distance_m[-1] == pytest.approx(38.0)
    assert act.speed_mps[4] == pytest.approx(2.0)
    assert act.cadence_spm[4] == pytest.approx(160.0)
    assert not act.has_heading  # "Heading Accuracy" is not a heading


def test_compressed_timestamps():
    t = np.array([0, 1, 2, 3, 10, 20, 50, 51, 52], dtype=float)
    data = run_fit(len(t), t_s=t, lat_deg=None, lon_deg=None, distance_m=t * 3, compressed_timestamps=True)
    act = read_data(data, "fr70.fit")
    assert act.t_s.tolist() == t.tolist()


def test_chained_files_read_as_one_activity():
    a = run_fit(30, heading_deg=np.full(30, 10.0))
    t, lat, lon, dist = track(30)
    b = write_activity_fit(None, start_time=datetime(2026, 6, 14, 9, 1, tzinfo=timezone.utc), t_s=t,
                           lat_deg=lat, lon_deg=lon, distance_m=90.0 + dist, heading_deg=np.full(30, 20.0),
                           cadence_spm=np.full(30, 170.0), sport="running")
    act = read_data(chain(a, b), "chained.fit")
    assert len(act) == 60 and act.t_s[-1] == 89.0
    assert act.distance_m[-1] == pytest.approx(177.0)
    assert act.heading_deg[0] == pytest.approx(10.0) and act.heading_deg[-1] == pytest.approx(20.0)
    assert len(act.sessions) == 2


def test_two_records_per_second_are_merged():
    enc = encoder_with_file_id(265)
    for i in range(10):
        enc.message("record", timestamp=T0 + i, position_lat=53.34 + i * 3e-5, position_long=-6.26,
                    enhanced_speed=3.3)
        enc.message("record", timestamp=T0 + i, distance=3.3 * i)
    act = read_data(enc.to_bytes(), "strava.fit")
    assert len(act) == 10
    assert np.isfinite(act.lat_deg).all()
    assert act.distance_m[-1] == pytest.approx(29.7)
    assert act.device == "strava 2697"


def test_summary_first_uses_start_plus_elapsed():
    act = read_data(run_fit(summary_first=True, laps=[(0, 60, 180.0), (60, 119, 177.0)]), "tri.fit")
    assert act.sessions[0].end_s == 119.0
    assert [lap.end_s for lap in act.laps] == [60.0, 119.0]


def multisport_fit() -> bytes:
    enc = encoder_with_file_id()
    legs = [("running", 0, 100, 3.0, 85), ("transition", 100, 130, 1.0, None), ("cycling", 130, 300, 8.0, 90)]
    for i, (sport, a, b, speed, cad) in enumerate(legs):
        for s in range(a, b):
            enc.message("record", timestamp=T0 + s, distance=speed * (s - a), speed=speed, cadence=cad)
        code = {"running": 1, "transition": 3, "cycling": 2}[sport]
        enc.message("lap", timestamp=T0 + b, start_time=T0 + a, total_elapsed_time=b - a,
                    total_distance=speed * (b - a - 1), sport=code, message_index=i)
        enc.message("session", timestamp=T0 + b, start_time=T0 + a, total_elapsed_time=b - a,
                    total_timer_time=b - a, total_distance=speed * (b - a - 1), sport=code, message_index=i)
    return enc.to_bytes()


def test_multisport_sessions_cadence_and_distance():
    act = read_data(multisport_fit(), "tri.fit")
    assert act.sport == "multisport"
    assert [s.sport for s in act.sessions] == ["running", "transition", "cycling"]
    assert act.cadence_spm[50] == pytest.approx(170.0)
    assert np.isnan(act.cadence_spm[200])  # pedalling rpm is not steps
    assert act.distance_m[-1] == pytest.approx(act.device_distance_m, rel=0.01)
    assert act.device_distance_m == pytest.approx(297 + 29 + 1352)
    assert np.all(np.diff(act.distance_m) >= 0)


def test_sub_sport_trail():
    enc = encoder_with_file_id()
    for i in range(5):
        enc.message("record", timestamp=T0 + i, distance=3.0 * i)
    enc.message("session", timestamp=T0 + 4, start_time=T0, total_elapsed_time=4, sport=1, sub_sport=3,
                total_distance=12.0)
    assert read_data(enc.to_bytes(), "trail.fit").sport == "trail_running"


def test_device_relative_timestamps_are_anchored_by_correlation():
    enc = encoder_with_file_id()
    enc.message("timestamp_correlation", timestamp=T0 + 100, system_timestamp=1000)
    for i in range(10):
        enc.message("record", timestamp=1000 + i, distance=3.0 * i)
    act = read_data(enc.to_bytes(), "virb.fit")
    assert act.start_time == datetime(2026, 6, 14, 9, 1, 40, tzinfo=timezone.utc)
    assert act.t_s[-1] == 9.0 and not act.warnings
    assert act.clock == "utc" and act.start_time_iso == "2026-06-14T09:01:40Z"


def test_device_relative_timestamps_without_anchor_warn():
    enc = encoder_with_file_id()
    for i in range(10):
        enc.message("record", timestamp=5000 + i, distance=3.0 * i)
    act = read_data(enc.to_bytes(), "footpod.fit")
    assert len(act) == 10 and act.t_s[-1] == 9.0
    assert any("power-on" in w for w in act.warnings)
    assert act.clock == "power-on"


def test_foot_pod_without_gps_uses_the_distance_field():
    data = run_fit(60, lat_deg=None, lon_deg=None)
    act = read_data(data, "footpod.fit")
    assert not act.has_position
    assert act.distance_m[-1] == pytest.approx(177.0)


def test_repeated_and_backward_timestamps():
    enc = encoder_with_file_id()
    for i, ts in enumerate([0, 1, 2, 2, 3, 5, 4, 6]):
        enc.message("record", timestamp=T0 + ts, distance=float(i))
    act = read_data(enc.to_bytes(), "odd.fit")
    assert act.t_s.tolist() == [0, 1, 2, 3, 5, 6]
    assert any("backward" in w for w in act.warnings)


def test_timer_events_become_pauses():
    t = np.concatenate([np.arange(0.0, 50.0), np.arange(80.0, 120.0)])
    n = t.size
    data = run_fit(n, t_s=t, lat_deg=None, lon_deg=None, distance_m=np.arange(n) * 3.0, pauses=[(49.0, 80.0)])
    act = read_data(data, "paused.fit")
    assert act.pauses == [(49.0, 80.0)]


def test_garbage_record_at_a_corruption_boundary_is_dropped():
    enc = encoder_with_file_id(265)
    for i in range(30):
        enc.message("record", timestamp=T0 + i, distance=3.0 * i, speed=3.0)
    enc.message("record", timestamp=fit_seconds(datetime(2085, 12, 21, tzinfo=timezone.utc)), distance=95.0,
                speed=38.9)
    data = enc.to_bytes()
    enc.raw(b"\x0b\x00\x01")  # a header for an undefined local message, then the file stops
    act = read_data(enc.to_bytes(with_crc=False), "strava.fit")
    assert len(act) == 30 and act.t_s[-1] == 29.0
    assert any("2085" in w for w in act.warnings)
    assert any("damaged" in w or "truncated" in w for w in act.warnings)
    assert len(read_data(data, "ok.fit")) == 30


def test_truncated_file_is_read_up_to_the_damage():
    data = run_fit(200)
    act = read_data(data[: len(data) // 2], "cut.fit")
    assert 50 < len(act) < 200
    assert act.warnings[0].startswith("the file is truncated")
    assert act.damage == act.warnings[:1]


def test_missing_final_crc_is_a_warning():
    data = run_fit(20)
    act = read_data(data[:-2], "nocrc.fit")
    assert len(act) == 20
    assert "CRC" in act.warnings[0]


def test_crc_mismatch_is_a_warning():
    data = bytearray(run_fit(20))
    data[-2] ^= 0xFF
    act = read_data(bytes(data), "badcrc.fit")
    assert len(act) == 20 and any("CRC" in w for w in act.warnings)
    assert act.damage and all("CRC" in w for w in act.damage)


def test_our_crc_matches_the_writer():
    assert crc16(b"123456789") == fit_crc(b"123456789") == 0xBB3D


@pytest.mark.parametrize("size", [0, 1, 2, 13, 14, 1001])
def test_crc_two_bytes_at_a_time_matches_the_nibble_crc_at_any_length(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert crc16(data) == fit_crc(data)
    assert crc16(memoryview(data), 0x1234) == fit_crc(data, 0x1234)


def test_a_bad_architecture_byte_reads_up_to_it():
    enc = encoder_with_file_id()
    for i in range(10):
        enc.message("record", timestamp=T0 + i, distance=3.0 * i)
    enc.definition(5, 20, [(253, 4, "uint32")], architecture=7)
    enc.data(5, (T0 + 10).to_bytes(4, "little"))
    act = read_data(enc.to_bytes(), "lezyne.fit")
    assert len(act) >= 10


def test_files_with_nothing_usable_are_errors():
    with pytest.raises(ReadError, match="not a FIT file"):
        read_data(b"\x0e\x20\x00\x00\x00\x00\x00\x00.FOO" + bytes(10), "x.fit")
    with pytest.raises(ReadError, match="no records"):
        read_data(encoder_with_file_id().to_bytes(), "norecords.fit")
    with pytest.raises(ReadError, match="cut.fit"):
        read_data(run_fit(20)[:30], "cut.fit")


def test_real_fenix5_copy_reads():
    act = read_activity(DATA / "real" / "fitparse__garmin-fenix-5-run.fit")
    assert act.device == "garmin fenix5" and act.sport == "running" and len(act) == 21
    assert act.distance_m[-1] - act.distance_m[0] == pytest.approx(157.56, abs=0.5)
    assert 150 < np.nanmedian(act.cadence_spm) < 200
    assert 0.5 < np.nanmedian(act.step_length_m) < 1.5
    assert len(act.laps) == 1


def test_real_foot_pod_copy_reads():
    act = read_activity(DATA / "real" / "fitparse__compressed-speed-distance.fit")
    assert not act.has_position and len(act.laps) == 11
    assert act.distance_m[-1] == pytest.approx(10248.67, rel=0.001)
    assert act.start_time.year == 2012
    assert any("power-on" in w for w in act.warnings)
    # The watch's own wall clock, not UTC: the JSON's `clock` says so beside start_time.
    assert act.clock == "local" and act.start_time_iso == "2012-02-13T11:16:16Z"
    from retrotrack.analysis import analysis_to_dict, analyze_activity
    from retrotrack.render import render_activity_report

    analysis = analyze_activity(act)
    assert analysis_to_dict(analysis)["clock"] == "local"
    assert '<time datetime="2012-02-13T11:16:16">11:16 watch&#39;s local time</time>' in render_activity_report(analysis)
