"""Shared reader machinery: clean-up of decoded records, safe file access, reader choice."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import numpy as np
import pytest

from retrotrack.errors import ReadError
from retrotrack.geo import LocalProjection, destination, haversine_m
from retrotrack.readers import choose_reader, read_activity, read_data
from retrotrack.readers.common import (
    RawActivity,
    RawLap,
    RawSession,
    finish_activity,
)
from retrotrack.readers.fit import READER as FIT
from retrotrack.readers.gpx import READER as GPX
from retrotrack.readers.source import gunzip, read_bytes
from retrotrack.simulate.fitwriter import write_activity_fit

T0 = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc).timestamp()


def straight_line(n: int, speed: float = 3.0, bearing: float = 90.0):
    lat, lon = np.empty(n), np.empty(n)
    for i in range(n):
        lat[i], lon[i] = destination(53.34, -6.26, bearing, speed * i)
    return lat, lon


def raw(times, **channels) -> RawActivity:
    return RawActivity(file="run.fit", format="fit", times=np.asarray(times, dtype=float),
                       channels={k: np.asarray(v, dtype=float) for k, v in channels.items()}, sport="running")


def test_relative_times_and_start():
    act = finish_activity(raw(T0 + np.arange(5.0), distance_m=np.arange(5.0) * 3))
    assert act.t_s.tolist() == [0, 1, 2, 3, 4]
    assert act.start_time == datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
    assert act.elapsed_s == 4.0


def test_repeated_timestamps_merge_channels():
    # Strava's app: one record with position and speed, one with distance, same second.
    t = T0 + np.array([0, 0, 1, 1, 2, 2], dtype=float)
    lat = np.array([53.0, np.nan, 53.00003, np.nan, 53.00006, np.nan])
    dist = np.array([np.nan, 0.0, np.nan, 3.3, np.nan, 6.7])
    act = finish_activity(raw(t, lat_deg=lat, lon_deg=np.where(np.isfinite(lat), -6.0, np.nan), distance_m=dist))
    assert len(act) == 3
    assert np.isfinite(act.lat_deg).all()
    assert act.distance_m.tolist() == [0.0, 3.3, 6.7]
    assert not act.warnings


def test_backward_steps_are_dropped_with_a_warning():
    t = T0 + np.array([0, 1, 2, 4, 3, 5, 6], dtype=float)
    act = finish_activity(raw(t, distance_m=np.arange(7.0)))
    assert act.t_s.tolist() == [0, 1, 2, 4, 5, 6]
    assert any("steps backward" in w for w in act.warnings)


def test_a_single_future_timestamp_does_not_eat_the_rest():
    t = T0 + np.array([0, 1, 2, 3000, 3, 4, 5, 6], dtype=float)
    act = finish_activity(raw(t, distance_m=np.arange(8.0)))
    assert act.t_s.tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_record_decades_away_is_dropped():
    t = T0 + np.arange(6.0)
    t[-1] = datetime(2085, 12, 21, tzinfo=timezone.utc).timestamp()
    act = finish_activity(raw(t, distance_m=np.arange(6.0)))
    assert len(act) == 5
    assert any("2085-12-21" in w for w in act.warnings)


def test_an_impossible_speed_record_is_dropped_on_foot():
    speed = np.full(200, 3.0)
    speed[150] = 38.9
    act = finish_activity(raw(T0 + np.arange(200.0), speed_mps=speed, distance_m=np.arange(200.0) * 3))
    assert len(act) == 199
    assert any("impossible speed" in w for w in act.warnings)


def test_many_fast_records_are_kept_as_a_mislabelled_sport():
    speed = np.full(100, 12.0)
    speed[::3] = 16.0
    act = finish_activity(raw(T0 + np.arange(100.0), speed_mps=speed))
    assert len(act) == 100


def test_device_distance_is_used_and_made_monotone():
    dist = np.array([0.0, 3.0, 6.0, 5.9, 9.0, np.nan, 15.0])
    lat, lon = straight_line(7, speed=10.0)
    act = finish_activity(raw(T0 + np.arange(7.0), distance_m=dist, lat_deg=lat, lon_deg=lon))
    assert act.distance_m.tolist() == [0.0, 3.0, 6.0, 6.0, 9.0, 12.0, 15.0]


def test_device_distance_restarting_with_each_session_is_joined():
    t = T0 + np.arange(10.0)
    dist = np.array([0, 100, 200, 300, 400, 0.5, 60, 120, 180, 240], dtype=float)
    r = raw(t, distance_m=dist)
    r.sessions = [RawSession("running", t[0], t[4] + 0.5, 400.0), RawSession("cycling", t[5], t[9], 240.0)]
    act = finish_activity(r)
    assert act.distance_m[-1] == pytest.approx(640.0)
    assert np.all(np.diff(act.distance_m) >= 0)
    assert act.device_distance_m == pytest.approx(640.0)
    assert act.warnings == []  # a restart is no corrupt jump


def test_distance_from_positions_is_two_dimensional():
    lat, lon = straight_line(101, speed=3.0)
    ele = np.linspace(0, 300, 101)  # a steep climb adds nothing: distance is over the ground map
    act = finish_activity(raw(T0 + np.arange(101.0), lat_deg=lat, lon_deg=lon, altitude_m=ele))
    assert act.distance_m[-1] == pytest.approx(300.0, rel=1e-3)
    assert act.speed_mps[50] == pytest.approx(3.0, rel=1e-3)


def test_distance_along_sparse_fixes_keeps_the_bends():
    """Fixes 5 s apart round a 100 m square (a handheld, smart recording): the distance is the track's
    own, not an average that cuts each corner; the file had no odometer, so it says it was measured."""
    s = 3.0 * np.arange(0.0, 400.0 / 3.0, 5.0)
    side = np.minimum(s // 100.0, 3.0).astype(int)
    along = s - 100.0 * side
    east = np.choose(side, [along, np.full_like(s, 100.0), 100.0 - along, np.zeros_like(s)])
    north = np.choose(side, [np.zeros_like(s), along, np.full_like(s, 100.0), 100.0 - along])
    lat, lon = LocalProjection(53.34, -6.26).to_latlon(east, north)
    act = finish_activity(raw(T0 + s / 3.0, lat_deg=lat, lon_deg=lon))
    assert act.distance_m[-1] == pytest.approx(float(np.sum(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]))))
    assert act.distance_source == "positions"
    with_odometer = finish_activity(raw(T0 + s / 3.0, lat_deg=lat, lon_deg=lon, distance_m=s))
    assert with_odometer.distance_source == "device"


def test_position_glitches_and_null_island_are_ignored():
    lat, lon = straight_line(20, speed=3.0)
    lat[10] += 0.01  # a 1.1 km jump for one second
    lat[3], lon[3] = 0.0, 0.0
    act = finish_activity(raw(T0 + np.arange(20.0), lat_deg=lat, lon_deg=lon))
    assert np.isnan(act.lat_deg[10]) and np.isnan(act.lat_deg[3])
    assert act.distance_m[-1] == pytest.approx(57.0, rel=0.01)
    assert any("GPS glitch" in w for w in act.warnings)
    # A GPS glitch is the receiver's, not damage to the file.
    assert act.damage == [w for w in act.warnings if "corrupt data" in w] and not any("glitch" in w for w in act.damage)


def test_positions_outside_the_globe_are_ignored_with_a_warning():
    lat, lon = straight_line(10)
    lat[4], lon[7] = 95.0, np.nan
    act = finish_activity(raw(T0 + np.arange(10.0), lat_deg=lat, lon_deg=lon))
    assert np.isnan(act.lat_deg[4]) and np.isnan(act.lat_deg[7])
    assert any("outside the globe" in w for w in act.warnings)


def test_step_length_derived_from_speed_and_cadence():
    act = finish_activity(raw(T0 + np.arange(5.0), speed_mps=np.full(5, 3.0), cadence_spm=np.full(5, 180.0),
                              step_length_m=[np.nan, 0.9, np.nan, np.nan, np.nan]))
    assert act.step_length_m.tolist() == [1.0, 0.9, 1.0, 1.0, 1.0]


def test_without_distance_or_position_speed_is_integrated():
    act = finish_activity(raw(T0 + np.arange(11.0), speed_mps=np.full(11, 2.5)))
    assert act.distance_m[-1] == pytest.approx(25.0)


def test_without_any_motion_channel_distance_is_zero_not_nan():
    act = finish_activity(raw(T0 + np.arange(3.0), heart_rate_bpm=[100, 101, 102]))
    assert act.distance_m.tolist() == [0.0, 0.0, 0.0]
    assert np.isfinite(act.speed_mps).all()


def test_laps_sessions_and_pauses_become_relative_and_clipped():
    r = raw(T0 + 10 + np.arange(100.0), distance_m=np.arange(100.0) * 3)
    r.laps = [RawLap(T0, T0 + 60, 150.0, 50.0)]  # the timer started 10 s before the first record
    r.sessions = [RawSession("running", T0 + 10, T0 + 109, 297.0, 99.0, 90.0)]
    r.pauses = [(T0, T0 + 10), (T0 + 30, T0 + 40), (T0 + 35, T0 + 45), (T0 + 100, T0 + 500)]
    act = finish_activity(r)
    assert act.laps[0].start_s == 0.0 and act.laps[0].end_s == 50.0
    assert act.sessions[0].sport == "running" and act.sessions[0].end_s == 99.0
    assert act.pauses == [(20.0, 35.0), (90.0, 99.0)]


def test_summary_running_past_the_records_is_reported():
    r = raw(T0 + np.arange(100.0), distance_m=np.arange(100.0))
    r.sessions = [RawSession("running", T0, T0 + 3558, 11274.0, 3558.0)]
    act = finish_activity(r)
    assert any("end of the recording is missing" in w for w in act.warnings)


def test_nothing_usable_is_an_error():
    with pytest.raises(ReadError, match="run.fit"):
        finish_activity(raw([np.nan, np.nan], distance_m=[0.0, 1.0]))


# -- files ---------------------------------------------------------------------


def test_missing_file_directory_and_empty_file(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_bytes(tmp_path / "nope.fit")
    with pytest.raises(ReadError, match="directory"):
        read_activity(tmp_path)
    (tmp_path / "empty.gpx").write_bytes(b"")
    with pytest.raises(ReadError, match="empty.gpx: empty file"):
        read_activity(tmp_path / "empty.gpx")


def test_unknown_format_names_the_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ReadError) as exc:
        read_activity(path)
    assert "notes.txt" in exc.value.message and "unknown file format" in exc.value.message
    assert "\n" not in exc.value.message


def small_fit() -> bytes:
    t = np.arange(30.0)
    lat, lon = straight_line(30)
    return write_activity_fit(None, start_time=datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc), t_s=t,
                              lat_deg=lat, lon_deg=lon, distance_m=t * 3.0, cadence_spm=np.full(30, 170.0))


def test_content_wins_over_the_name(tmp_path):
    path = tmp_path / "misnamed.gpx"
    path.write_bytes(small_fit())
    assert read_activity(path).format == "fit"


def test_upper_case_and_gzipped_names(tmp_path):
    data = small_fit()
    (tmp_path / "RUN.FIT").write_bytes(data)
    (tmp_path / "run.fit.gz").write_bytes(gzip.compress(data))
    a, b = read_activity(tmp_path / "RUN.FIT"), read_activity(tmp_path / "run.fit.gz")
    assert len(a) == len(b) == 30
    assert a.distance_m[-1] == b.distance_m[-1] == pytest.approx(87.0)


def test_choose_reader_by_sniff_then_suffix():
    assert choose_reader(small_fit()[:64], "x.bin", [GPX, FIT]) is FIT
    assert choose_reader(b"<?xml version='1.0'?><gpx version='1.1'>", "x", [FIT, GPX]) is GPX
    assert choose_reader(b"garbage", "track.GPX.gz", [FIT, GPX]) is GPX
    assert choose_reader(b"garbage", "track.bin", [FIT, GPX]) is None


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"\0" * (32 << 20))
    assert len(bomb) < 100_000
    with pytest.raises(ReadError, match="gzip bomb"):
        gunzip(bomb, "bomb.gpx.gz")  # over 200 times its size
    with pytest.raises(ReadError, match="gzip bomb"):
        gunzip(bomb, "bomb.gpx.gz", max_bytes=1 << 20)
    data, _ = gunzip(gzip.compress(b"\0" * (1 << 20)), "small.gpx.gz")  # regular but small: fine
    assert len(data) == 1 << 20


def test_oversized_files_are_refused_unread(tmp_path, monkeypatch):
    import retrotrack.readers.source as source

    monkeypatch.setattr(source, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "huge.gpx"
    with open(big, "wb") as fh:
        fh.truncate(5000)
    with pytest.raises(ReadError, match="huge.gpx: too large for a watch export"):
        read_activity(big)


def test_truncated_gzip_reads_what_is_there():
    payload = np.random.default_rng(1).bytes(200_000)
    data, problem = gunzip(gzip.compress(payload)[:50_000], "cut.fit.gz")
    assert 0 < len(data) < len(payload) and payload.startswith(data)
    assert "truncated" in problem


def test_gzip_with_two_members():
    data, problem = gunzip(gzip.compress(b"abc") + gzip.compress(b"def"), "two.gz")
    assert data == b"abcdef" and problem is None


def test_truncated_gzipped_fit_is_partial_with_warnings():
    data = gzip.compress(small_fit() * 1)
    act = read_data(data[: len(data) - 30], "cut.fit.gz")
    assert 0 < len(act) <= 30
    assert act.warnings and "truncated" in act.warnings[0]
    assert act.damage and "truncated" in act.damage[0]


def test_a_reader_crash_becomes_one_line_read_error(monkeypatch):
    class Broken:
        name = "brk"
        suffixes = (".brk",)

        def sniff(self, head):
            raise RuntimeError("sniff bug")

        def read(self, data, name):
            raise KeyError("oops")

    import retrotrack.plugins as plugins

    monkeypatch.setattr(plugins, "readers", lambda: [Broken(), FIT, GPX])
    with pytest.raises(ReadError) as exc:
        read_data(b"anything", "file.brk")
    assert exc.value.message.startswith("file.brk: cannot read as BRK: KeyError")
    assert read_data(small_fit(), "fine.fit").format == "fit"


# -- invariants on arbitrary decoded records -------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.just(float("nan")))


@settings(max_examples=200, deadline=None)
@given(
    steps=arrays(np.float64, st.integers(1, 60), elements=st.floats(-5, 30)),
    dist=arrays(np.float64, 60, elements=values),
    lat=arrays(np.float64, 60, elements=st.one_of(st.floats(53.0, 53.01), st.just(float("nan")), values)),
    speed=arrays(np.float64, 60, elements=values),
)
def test_finish_always_gives_clean_arrays(steps, dist, lat, speed):
    n = steps.size
    times = T0 + np.cumsum(steps)
    r = raw(times, distance_m=dist[:n], lat_deg=lat[:n], lon_deg=np.full(n, -6.26), speed_mps=speed[:n],
            cadence_spm=np.full(n, 170.0))
    try:
        act = finish_activity(r)
    except ReadError:
        return
    assert np.all(np.diff(act.t_s) > 0) and act.t_s[0] == 0.0
    assert np.isfinite(act.distance_m).all() and np.all(np.diff(act.distance_m) >= 0)
    assert all(arr.size == act.t_s.size for arr in (act.lat_deg, act.speed_mps, act.cadence_spm))


def test_a_cadence_that_cannot_be_steps_while_moving_is_dropped():
    # A wrist sensor reading 0 (or a few) steps while paddling at 2 m/s is not a step rate.
    cad = np.array([0.0, 0.0, 170.0, 0.0, 171.0] + [0.0, 30.0] * 5 + [168.0])
    speed = np.array([0.2, 1.5] + [2.0] * 14)
    act = finish_activity(raw(T0 + np.arange(16.0), cadence_spm=cad, speed_mps=speed))
    assert act.cadence_spm[0] == 0.0  # standing still: a real zero
    assert act.cadence_spm[1] == 0.0 and act.cadence_spm[3] == 0.0  # a moment while slowing: kept
    assert act.cadence_spm[2] == 170.0 and act.cadence_spm[-1] == 168.0
    assert np.isnan(act.cadence_spm[5:15]).all()


def _straight_run_fit(n=300, **changes):
    """A 1 Hz run due north at 3 m/s, with some channels replaced."""
    from retrotrack.simulate.fitwriter import write_activity_fit

    t = np.arange(n, dtype=float)
    arrays = dict(lat_deg=53.0 + 3.0 * t / 111_195.0, lon_deg=np.full(n, -6.0), distance_m=3.0 * t,
                  speed_mps=np.full(n, 3.0), cadence_spm=np.full(n, 170.0))
    for name, (index, value) in changes.items():
        arrays[name][index] = value
    return write_activity_fit(None, start_time=datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc), t_s=t, **arrays)


def test_a_device_distance_spike_is_interpolated_over_with_a_warning():
    act = read_data(_straight_run_fit(distance_m=(120, 42_949_672.0)), "spike.fit")
    assert act.distance_m[-1] == pytest.approx(897.0, abs=5.0)
    assert any("jumped impossibly far" in w for w in act.warnings)


def test_a_run_of_teleported_positions_is_dropped():
    data = _straight_run_fit(distance_m=(slice(None), np.nan), lat_deg=(slice(100, 140), 10.0))
    act = read_data(data, "teleport.fit")
    assert np.isnan(act.lat_deg[100:140]).all() and np.isfinite(act.lat_deg[:100]).all()
    assert act.distance_m[-1] == pytest.approx(897.0, rel=0.02)
    assert any("no one could have reached" in w for w in act.warnings)


def test_two_fixes_an_impossible_distance_apart_are_both_dropped():
    # Nothing tells which of the two is corrupt, so neither is used: no 263 km in 2 s.
    act = finish_activity(raw(T0 + np.arange(3.0), lat_deg=np.array([51.12, 51.12, np.nan]),
                              lon_deg=np.array([3.78, 0.01, np.nan])))
    assert not np.isfinite(act.lat_deg).any()
    assert act.distance_m[-1] == 0.0
    assert any("impossible distance apart" in w for w in act.warnings)


def test_two_close_fixes_are_kept():
    act = finish_activity(raw(T0 + np.arange(2.0), lat_deg=np.array([51.12, 51.12002]),
                              lon_deg=np.array([3.78, 3.78])))
    assert np.isfinite(act.lat_deg).all()
    assert act.distance_m[-1] == pytest.approx(2.2, abs=0.2)


def test_zero_steps_while_standing_survive_gps_jitter():
    # A GPX: no speed of its own. Standing 30 s with 4 m of GPS noise from fix to fix (the positions'
    # speed jitters by metres a second), then running north at 3 m/s.
    rng = np.random.default_rng(3)
    n_stand, n_run = 30, 60
    north_m = np.concatenate((np.zeros(n_stand), 3.0 * np.arange(1, n_run + 1))) + rng.normal(0, 4.0, n_stand + n_run)
    east_m = rng.normal(0, 4.0, n_stand + n_run)
    lat = 53.0 + north_m / 111_195.0
    lon = -6.0 + east_m / (111_195.0 * np.cos(np.radians(53.0)))
    cad = np.concatenate((np.zeros(n_stand), np.full(n_run, 172.0)))
    act = finish_activity(raw(T0 + np.arange(n_stand + n_run, dtype=float), lat_deg=lat, lon_deg=lon, cadence_spm=cad))
    assert (act.cadence_spm[:n_stand] == 0.0).all()
    assert (act.cadence_spm[n_stand:] == 172.0).all()


def _two_stretches(gap_s: float = 300.0, moved_m: float = 400.0):
    """60 s due east at 3 m/s, a pause of `gap_s` (the runner moved `moved_m` further east), 60 s more."""
    lat1, lon1 = straight_line(60)
    lat2, lon2 = np.empty(60), np.empty(60)
    for i in range(60):
        lat2[i], lon2[i] = destination(53.34, -6.26, 90.0, 59 * 3.0 + moved_m + 3.0 * i)
    t = np.concatenate([np.arange(60.0), 59.0 + gap_s + np.arange(60.0)])
    return t, np.concatenate([lat1, lat2]), np.concatenate([lon1, lon2])


def test_distance_from_positions_adds_nothing_over_a_timer_pause():
    # A FIT file without a distance channel (or a GPX): the pause is a timer stop/start.
    t, lat, lon = _two_stretches()
    r = raw(T0 + t, lat_deg=lat, lon_deg=lon)
    r.pauses = [(T0 + 59.0, T0 + 359.0)]
    act = finish_activity(r)
    step = np.diff(act.distance_m)
    assert step[59] == 0.0
    # Smoothing does not reach across the pause: the fixes either side of it keep their 3 m steps.
    assert step[58] == pytest.approx(3.0, rel=0.01) and step[60] == pytest.approx(3.0, rel=0.01)
    assert act.distance_m[-1] == pytest.approx(2 * 59 * 3.0, rel=0.005)
    assert np.nanmax(act.speed_mps) < 3.1


def test_a_fit_file_paused_between_positions_runs_no_distance_over_the_pause():
    t, lat, lon = _two_stretches(gap_s=120.0, moved_m=150.0)
    data = write_activity_fit(None, start_time=datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc), t_s=t,
                              lat_deg=lat, lon_deg=lon, cadence_spm=np.full(t.size, 170.0),
                              pauses=[(59.0, 179.0)])
    act = read_data(data, "paused.fit")
    assert act.pauses == [(59.0, 179.0)]
    assert act.distance_m[-1] == pytest.approx(2 * 59 * 3.0, rel=0.005)
    assert act.distance_m[60] == act.distance_m[59]


def test_speed_integrated_over_a_pause_adds_nothing():
    t = np.concatenate([np.arange(11.0), 610.0 + np.arange(11.0)])
    r = raw(T0 + t, speed_mps=np.full(t.size, 2.5))
    r.pauses = [(T0 + 10.0, T0 + 610.0)]
    act = finish_activity(r)
    assert act.distance_m[-1] == pytest.approx(50.0)


def test_a_pause_with_positions_far_apart_is_no_glitch_and_no_corruption():
    # Driven 20 km in 5 minutes while paused: the fixes after the pause are the runner's.
    t, lat, lon = _two_stretches(gap_s=300.0, moved_m=20_000.0)
    r = raw(T0 + t, lat_deg=lat, lon_deg=lon)
    r.pauses = [(T0 + 59.0, T0 + 359.0)]
    act = finish_activity(r)
    assert np.isfinite(act.lat_deg).all() and act.warnings == [] and act.damage == []
    assert act.distance_m[-1] == pytest.approx(2 * 59 * 3.0, rel=0.005)
    # Without the pause the same jump is still corruption.
    act = finish_activity(raw(T0 + t, lat_deg=lat, lon_deg=lon))
    assert any("no one could have reached" in w for w in act.damage)


def test_the_device_odometer_is_kept_as_it_is_over_a_pause():
    # The watch's own distance is its figure (it must match its session total), even where it moved a
    # few metres across a pause.
    t = np.concatenate([np.arange(50.0), 100.0 + np.arange(50.0)])
    d = np.concatenate([3.0 * np.arange(50.0), 159.0 + 3.0 * np.arange(50.0)])
    r = raw(T0 + t, distance_m=d)
    r.pauses = [(T0 + 49.0, T0 + 100.0)]
    act = finish_activity(r)
    assert act.distance_m[-1] == pytest.approx(306.0)
    assert act.distance_m[50] - act.distance_m[49] == pytest.approx(12.0)
