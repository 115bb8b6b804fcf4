"""One runner's race from a track: chip and gun starts, the before-the-gun rule, counted crossings, statuses."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from retrotrack.direction import DirectionTrack
from retrotrack.geo import LocalProjection
from retrotrack.model import Activity, Direction, empty_channels
from retrotrack.race.model import Gate, RaceInfo
from retrotrack.race.gates import GateGeometry
from retrotrack.race.passes import counted_finishes
from retrotrack.race.progress import MarkObs
from retrotrack.race import run_race, timing
from retrotrack.race.timing import TRACE_POINTS, _lap_numbers, _median_lap_m, time_activity, watch_distance
from retrotrack.race.trackconfig import StandardTrack
from retrotrack.readers import read_activity
from retrotrack.simulate.race import simulate_race, track_course, utc, write_race_folder

import race_tracks

GUN = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)
PROJ = LocalProjection(53.34, -6.26)


def gate(name, x, bearing=90.0, width=30.0, y=0.0):
    lat, lon = PROJ.to_latlon(x, y)
    return Gate(name, float(lat), float(lon), bearing, width)


def race(**kw):
    args = dict(name="Test", date="2026-06-14", distance_m=400.0, gun_time=GUN, timing="chip",
                start=gate("start", 0.0), finish=gate("finish", 400.0))
    args.update(kw)
    return RaceInfo(**args)


def activity(t_gun, x, y=None, *, warnings=(), damage=(), fmt="sim"):
    """An activity from positions (metres on the local frame) at times since the gun."""
    t_gun = np.asarray(t_gun, dtype=float)
    x = np.asarray(x, dtype=float)
    y = np.zeros_like(x) if y is None else np.asarray(y, dtype=float)
    n = t_gun.size
    ch = empty_channels(n)
    lat, lon = PROJ.to_latlon(x, y)
    ch["lat_deg"], ch["lon_deg"] = lat, lon
    step = np.hypot(np.diff(x), np.diff(y))
    ch["distance_m"] = np.concatenate(([0.0], np.cumsum(step)))
    sp = np.concatenate(([0.0], step / np.diff(t_gun)))
    ch["speed_mps"] = sp
    ch["cadence_spm"] = np.where(sp > 0.5, 180.0, 0.0)
    return Activity(file="t.fit", format=fmt, start_time=GUN + timedelta(seconds=float(t_gun[0])),
                    t_s=t_gun - t_gun[0], warnings=[*damage, *warnings], damage=list(damage), **ch)


def labels(act, direction=Direction.BACKWARD, forward_between=None):
    sp = act.speed_mps[1:]
    d = np.where(sp > 0.5, direction, Direction.STOPPED).astype(np.uint8)
    if forward_between is not None:
        t = act.t_s[:-1] + (act.start_time - GUN).total_seconds()
        d[(t >= forward_between[0]) & (t < forward_between[1]) & (sp > 0.5)] = Direction.FORWARD
    return DirectionTrack(d, np.ones(d.size), "test")


def run_line(v=4.0, x_stand=-2.0, t_go=0.0, until=None, warmup=True, cooldown=True, t_first=-60.0):
    """Stand at x_stand from t_first, run at v from t_go; optional warm-up before and cool-down after."""
    t = np.arange(t_first, (until or 130.0) + 0.5, 1.0)
    x = np.where(t <= t_go, x_stand, x_stand + v * (t - t_go))
    if warmup:
        # A warm-up stride across both lines before the gun, then walking back to the start.
        w = (t >= -55) & (t < -45)
        x = np.where(w, -10 + 45 * (t + 55) / 10, x)
    if cooldown:
        fin = t_go + (400 - x_stand) / v
        x = np.where(t > fin + 10, x_stand + v * (fin + 10 - t_go) + 1.0 * (t - fin - 10), x)
    return t, x


def test_chip_start_at_own_crossing_after_gun():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0)  # crosses the start at 5.0 and the finish at 105.0
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished"
    assert r.start_method == "standing"  # lined up 12 m behind the line: timed to it from setting off
    assert r.start_s == pytest.approx(5.0, abs=0.05)
    assert r.finish_s == pytest.approx(105.0, abs=0.05)
    assert r.time_s == pytest.approx(100.0, abs=0.1)
    assert r.splits[-1].name == "finish" and r.splits[-1].elapsed_s == pytest.approx(r.time_s)


@pytest.mark.parametrize("fmt", ["sim", "gpx"])
def test_a_watch_stopped_at_the_line_still_finishes(fmt):
    # The GPS is 4 m behind at the end: the track stops short of the line, still running at 4 m/s.
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, until=104.0, cooldown=False)
    act = activity(t, x - 4.0 * (t > 90), fmt=fmt)
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished", r.reason
    assert r.finish_s == pytest.approx(105.0, abs=1.5)
    assert any("the track ends at the finish line" in w for w in r.warnings)


@pytest.mark.parametrize("fmt", ["sim", "gpx"])
def test_a_watch_started_at_the_start_line_starts_there(fmt):
    # The watch starts 3 m past the line, at 4 m/s: the track holds no crossing of it (the next is a lap later).
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, warmup=False)
    keep = t >= 5.75
    act = activity(t[keep], x[keep], fmt=fmt)
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished", r.reason
    assert r.start_s == pytest.approx(5.0, abs=0.3)
    assert r.time_s == pytest.approx(100.0, abs=0.5)
    assert any("the track begins at the start line" in w for w in r.warnings)


def test_a_track_that_stops_short_of_the_line_at_a_walk_is_a_dnf():
    t = np.arange(-30.0, 140.0, 1.0)
    x = np.clip(np.where(t < 2.0, -12.0, -12.0 + 4.0 * (t - 2.0)), None, 380.0)
    x = np.where(t > 100.0, 380.0 + 0.8 * (t - 100.0), x)  # walked the last metres, stopped 4 m short
    keep = x <= 396.0
    act = activity(t[keep], x[keep])
    r = time_activity(act, race(), labels(act))
    assert r.status == "dnf"


def test_gun_timing_starts_at_the_gun():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0)
    act = activity(t, x)
    r = time_activity(act, race(timing="gun", start=None), labels(act))
    assert r.start_s == 0.0 and r.start_method == "gun"
    assert r.time_s == pytest.approx(105.0, abs=0.05)


def test_gps_across_the_line_at_the_gun_starts_on_moving_off():
    # Standing 3 m past the start line (GPS error), sets off 1.5 s after the gun.
    t = np.arange(-30.0, 130.5, 1.0)
    go = 1.5
    x = np.where(t <= go, 3.0, 3.0 + 4.0 * (t - go))
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished"
    assert r.start_method == "moving"
    assert 1.0 <= r.start_s <= 2.0


def test_setting_off_just_before_the_gun_starts_at_the_line():
    t = np.arange(-30.0, 130.5, 1.0)
    x = np.where(t <= -0.5, -4.0, -4.0 + 4.0 * (t + 0.5))  # off at -0.5 s, 4 m behind the line: across at +0.5
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished" and r.start_s == pytest.approx(0.5, abs=0.05)
    assert r.time_s == pytest.approx(100.0, abs=0.05)


@pytest.mark.parametrize("fmt", ["sim", "gpx"])
def test_chip_time_never_starts_before_the_gun(fmt):
    # Across the line 1.5 s before the gun, running (a false start, or a gun_time a little late): from the gun.
    t = np.arange(-30.0, 130.5, 1.0)
    x = np.where(t <= -2.5, -4.0, -4.0 + 4.0 * (t + 2.5))
    act = activity(t, x, fmt=fmt)
    if fmt == "gpx":
        act.speed_mps[:] = act.distance_m[:] = np.nan
    r = time_activity(act, race(), labels(act))
    assert r.status == "finished" and r.start_s == 0.0 and r.time_s == pytest.approx(98.5, abs=0.05)
    assert "before the gun, running: timed from the gun" in r.warnings[0]
    # Across it 11 s before the gun is no start of this race: the reason asks about the gun time.
    x = np.where(t <= -12.0, -4.0, -4.0 + 4.0 * (t + 12.0))
    r = time_activity(activity(t, x, fmt=fmt), race(), with_trace=False)
    assert r.status == "dns" and "the last was 0:11 before it: is the gun_time right?" in r.reason


def test_warm_up_and_cool_down_crossings_do_not_count():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, warmup=True, cooldown=True, until=300)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.finish_s == pytest.approx(105.0, abs=0.05)
    assert [s.name for s in r.splits] == ["finish"]


def test_finish_crossings_skip_the_first_50_m():
    # A 3-lap race on a 100 m circle whose start and finish share one line.
    R = 100 / (2 * np.pi)
    t = np.arange(-20.0, 120.0, 1.0)
    v = 4.0
    s = np.where(t <= 0, -0.5, -0.5 + v * t)
    th = s / R
    x = R * np.sin(th)
    y = R - R * np.cos(th)
    act = activity(t, x, y)
    rc = race(distance_m=300.0, start=gate("start", 0.0, width=10), finish=gate("finish", 0.0, width=10),
              finish_crossings=3, lap_m=100.0)
    r = time_activity(act, rc, labels(act))
    assert r.status == "finished"
    assert [sp.name for sp in r.splits] == ["lap 1", "lap 2", "finish"]
    assert r.time_s == pytest.approx(75.0, abs=0.3)
    assert r.splits[0].elapsed_s == pytest.approx(25.0, abs=0.3)
    assert r.splits[0].distance_m == pytest.approx(100.0)


LOOP_M = 100.0
LOOP_R = LOOP_M / (2 * np.pi)


def three_laps_of_a_loop():
    """Times, distance run and positions of three 100 m laps at 4 m/s, and the race with a checkpoint halfway."""
    t = np.arange(-20.0, 120.0, 1.0)
    s = np.where(t <= 0, -0.5, -0.5 + 4.0 * t)
    th = s / LOOP_R
    x, y = LOOP_R * np.sin(th), LOOP_R - LOOP_R * np.cos(th)
    top = gate("top", 0.0, bearing=270.0, width=10, y=2 * LOOP_R)
    rc = race(distance_m=300.0, start=gate("start", 0.0, width=10), finish=gate("finish", 0.0, width=10),
              finish_crossings=3, checkpoints=[top])
    return t, s, x, y, rc


def test_checkpoint_on_each_lap():
    t, _, x, y, rc = three_laps_of_a_loop()
    act = activity(t, x, y)
    r = time_activity(act, rc, labels(act))
    names = [sp.name for sp in r.splits]
    assert names == ["top (1)", "lap 1", "top (2)", "lap 2", "top (3)", "finish"]
    el = [sp.elapsed_s for sp in r.splits]
    assert el == sorted(el)


def test_gps_jitter_back_and_forth_over_a_checkpoint_is_one_pass():
    t, s, x, y, rc = three_laps_of_a_loop()
    # On the second lap the GPS puts the runner back over the line and across it again.
    at = int(np.argmin(np.abs(s - 150.0)))
    x[at + 1] += 12.0
    act = activity(t, x, y)
    r = time_activity(act, rc, labels(act))
    assert [sp.name for sp in r.splits] == ["top (1)", "lap 1", "top (2)", "lap 2", "top (3)", "finish"]


def test_a_near_miss_first_pass_counts_on_the_tracks_own_distance_scale():
    # 1000 m on a 400 m loop: the finish is passed at 200, 600 and 1000 m. The first pass is just outside
    # the gate, and the track's distance runs 25 % long (GPS noise): on the config's scale the near miss
    # would not be where a pass is due, the cool-down crossing would become the finish.
    r_m = 400.0 / (2 * np.pi)
    t = np.arange(0.0, 330.0, 1.0)
    s = 4.0 * t - 200.0
    th = s / r_m
    x, y = r_m * np.sin(th), r_m - r_m * np.cos(th)
    first = np.abs(s) < 12.0
    y[first] = -7.0
    fg = GateGeometry.from_gate(gate("finish", 0.0, width=10), PROJ)
    rc = race(distance_m=1000.0, finish=gate("finish", 0.0, width=10), finish_crossings=3, lap_m=400.0)
    counted = counted_finishes(fg, t, x, y, 0.0, 1.25 * (s + 200.0), rc)
    assert [round(c.t_s) for c in counted] == [50, 150, 250]


def test_dnf_when_the_track_ends_before_the_finish():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, until=60, cooldown=False)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "dnf" and "without reaching the finish" in r.reason
    assert r.time_s is None


def test_a_long_point_to_point_dnf_is_still_a_dnf():
    # 10 km from start to finish, out at 1.5 km: far from the finish, but the track passed the start.
    t, x = run_line(v=4.0, until=400.0, cooldown=False)
    r = race(distance_m=10_000.0, finish=gate("finish", 10_000.0))
    res = time_activity(activity(t, np.minimum(x, 1500.0)), r, with_trace=False)
    assert res.status == "dnf", res.reason


def test_a_track_run_somewhere_else_says_so():
    t, x = run_line()
    res = time_activity(activity(t, x + 50_000.0), race(), with_trace=False)
    assert res.status == "dns"
    assert res.reason == "the track never comes within 50 km of the course's gates: run somewhere else?"


def test_damaged_track_before_the_finish_is_an_error():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, until=60, cooldown=False)
    act = activity(t, x, damage=["the file is truncated at byte 6730"])
    r = time_activity(act, race(), labels(act))
    assert r.status == "error" and "truncated" in r.reason


@pytest.mark.parametrize("clock", ["local", "power-on"])
def test_a_track_on_the_watchs_own_clock_cannot_be_timed(clock):
    t, x = run_line()
    act = activity(t, x)
    act.clock = clock
    r = time_activity(act, race(), with_trace=False)
    assert r.status == "error" and r.reason.startswith("the track cannot be placed against the gun: its times ")
    assert r.direction.check == "unverified" and r.time_s is None


def test_a_warning_that_is_no_damage_leaves_a_dnf_and_a_dns_as_they_are():
    glitch = ["ignored 1 position far off the track (GPS glitch)"]
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0, until=60, cooldown=False)
    act = activity(t, x, warnings=glitch)
    r = time_activity(act, race(), labels(act))
    assert r.status == "dnf" and "without reaching the finish" in r.reason
    t = np.arange(-60.0, 120.0)
    r = time_activity(activity(t, np.full(t.size, -30.0), warnings=glitch), race(), with_trace=False)
    assert r.status == "dns" and "GPS glitch" not in r.reason


def test_dns_without_a_start_crossing_after_the_gun():
    t = np.arange(-300.0, 200.0, 1.0)
    x = np.where(t < -100, -200 + 2.5 * (t + 300), -5.0)  # warmed up across the lines, then stood behind
    x = np.where(t >= -100, -5.0, x)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "dns" and "start" in r.reason


def test_track_ending_before_the_gun_is_dns():
    t = np.arange(-300.0, -10.0, 1.0)
    x = -200 + 2.0 * (t + 300)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act))
    assert r.status == "dns" and "before the gun" in r.reason


def test_direction_check_fails_with_evidence():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act, forward_between=(40.0, 70.0)))
    assert r.direction.check == "fail"
    assert r.direction.backward_fraction == pytest.approx(0.7, abs=0.02)
    assert r.direction.reason.startswith("ran forward 0:30 of 1:40 (30 %) between 14")


def test_a_dnf_who_walks_off_forward_after_dropping_out_still_ran_backward():
    # 48 s backward at 4 m/s to 180 m, 20 s slowing to a stand, then 90 s walking off forward at 1.2 m/s
    # (more moving time than the race itself): the walk is no part of their race, in direction or distance.
    t = np.arange(-60.0, 220.5, 1.0)
    x = np.where(t <= 2.0, -12.0, -12.0 + 4.0 * (t - 2.0))
    x = np.where(t > 50.0, 180.0 + 30.0 * (1 - np.exp(-(t - 50.0) / 5.0)), x)
    x = np.where(t > 100.0, 210.0 + 1.2 * (t - 100.0), x)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act, forward_between=(100.0, 230.0)))
    assert r.status == "dnf"
    assert r.direction.check == "pass" and r.direction.backward_fraction == 1.0
    assert r.reason.startswith("stopped racing after 19") and "without reaching the finish" in r.reason
    assert r.end_s == pytest.approx(53.0, abs=3.0)


def test_a_dnf_who_ran_forward_before_dropping_out_fails():
    t = np.arange(-60.0, 220.5, 1.0)
    x = np.where(t <= 2.0, -12.0, -12.0 + 4.0 * (t - 2.0))
    x = np.where(t > 80.0, 300.0 + 1.2 * (t - 80.0), x)
    act = activity(t, x)
    r = time_activity(act, race(distance_m=800.0, finish=gate("finish", 800.0)),
                      labels(act, forward_between=(40.0, 230.0)))
    assert r.status == "dnf"
    assert r.direction.check == "fail" and r.direction.reason.startswith("ran forward 0:4")


def test_direction_unverified_without_evidence():
    t, x = run_line(v=4.0, x_stand=-12.0, t_go=2.0)
    act = activity(t, x)
    r = time_activity(act, race(), labels(act, direction=Direction.UNKNOWN))
    assert r.direction.check == "unverified"
    assert r.status == "finished"


def test_trace_is_thinned_but_keeps_every_change_of_direction():
    t, s, R = race_tracks.circle_track(12, lap_m=400.0, v=4.0)
    th = s / R
    x, y = R * np.sin(th), R - R * np.cos(th)
    act = race_tracks.activity(t, x, y, true_path_m=s - s[0], cadence=np.where(t > 0, 180, 0))
    lab = np.full(t.size - 1, Direction.BACKWARD, np.uint8)
    lab[400:431] = Direction.FORWARD
    race = RaceInfo(name="T", date="2026-06-14", distance_m=4800.0, gun_time=GUN, timing="gun", start=None,
                    finish=race_tracks.gate("finish", 0.0), finish_crossings=12, lap_m=400.0)
    r = time_activity(act, race, DirectionTrack(lab, np.ones(lab.size), "test"))
    tr = r.trace
    assert tr.t_s.size <= TRACE_POINTS + 4
    assert tr.direction.size == tr.t_s.size - 1
    fwd = tr.t_s[:-1][tr.direction == Direction.FORWARD]
    # The forward stretch is there, whole: from record 400 to 431 (seconds 370-401 of the race).
    assert fwd.size and fwd.min() == pytest.approx(t[400] - r.start_s, abs=1e-6)
    assert fwd.max() < t[431] - r.start_s


def _marks(line: int, name: str, marks_m: list[float]) -> list[MarkObs]:
    """Pass marks as _fit_passes observes them, before their laps are numbered (lap 0)."""
    return [MarkObs(line, 0, 10.0 * k, m, 1.0, 0.0, key=(name, k)) for k, m in enumerate(marks_m, start=1)]


def test_passes_are_numbered_by_lap_and_a_missed_pass_skips_its_lap():
    obs = _marks(0, "finish", [12.0, 413.0, 1215.0, 1616.0])
    assert [_lap_numbers(obs, 400.0, None, None)[("finish", k)] for k in (1, 2, 3, 4)] == [0, 1, 3, 4]
    # Without a lap length each pass is the next lap.
    assert [_lap_numbers(obs, None, None, None)[("finish", k)] for k in (1, 2, 3, 4)] == [0, 1, 2, 3]


def test_the_line_stood_on_at_the_start_counts_from_lap_0_there():
    stand = MarkObs(1, 0, -5.0, 4.0, 1.0, 0.0, key=("stand", 0))
    obs = _marks(1, "start", [305.0, 706.0]) + [stand] + _marks(0, "finish", [100.0, 501.0])
    laps = _lap_numbers(obs, 400.0, 1, 5.0)
    assert laps[("stand", 0)] == 0
    assert (laps[("start", 1)], laps[("start", 2)]) == (1, 2)
    assert (laps[("finish", 1)], laps[("finish", 2)]) == (0, 1)


def test_the_lap_length_is_the_median_gap_between_passes_of_one_line():
    obs = _marks(0, "finish", [10.0, 410.0, 812.0]) + _marks(1, "200 m", [200.0, 601.0])
    assert _median_lap_m(obs) == pytest.approx(401.0)
    assert _median_lap_m(_marks(0, "finish", [10.0])) is None


def _gpx_race(tmp_path, seed: int, speed_in_gpx: bool):
    """Eight finishers of a 1500 m on the track, every track a GPX, timed; the truth, and the runners."""
    course = track_course(StandardTrack(53.3051, -6.2182, 352.0), 1500, utc(2026, 6, 14, 9, 0))
    runners = simulate_race(course, 8, seed=seed, kinds=["finish"] * 8, warmup_s=(60.0, 90.0))
    folder = tmp_path / f"{seed}-{'speed' if speed_in_gpx else 'plain'}"
    truth = write_race_folder(course, runners, folder, gpx_every=1, speed_in_gpx=speed_in_gpx)
    return folder, run_race(folder / "race.toml", jobs=1), truth, runners


def test_a_gpx_speed_the_watch_recorded_is_its_distance_and_sharpens_the_finishes(tmp_path):
    # Three races, so that a few runners' GPS luck at the line does not decide: at club pace a GPS
    # offset of 4 m at the finish is more than a second either way.
    errors = {False: [], True: []}
    for seed in (1, 2, 3):
        for with_speed in (False, True):
            folder, result, truth, runners = _gpx_race(tmp_path, seed, with_speed)
            act = read_activity(folder / "tracks" / "101.gpx")
            x, y = LocalProjection(53.3051, -6.2182).to_xy(act.lat_deg, act.lon_deg)
            dev = watch_distance(act, act.t_s, x, y)
            assert (dev is not None) == with_speed
            if with_speed:
                # The integral of the watch's speed: what the same watch's FIT distance channel would say.
                watch_m = runners[0].distance_m
                assert dev[-1] - dev[0] == pytest.approx(watch_m[-1] - watch_m[0], rel=0.005)
            runs = {r.bib: r for r in result.results}
            assert all(runs[bib].status == "finished" for bib in truth)
            errors[with_speed] += [abs(runs[bib].start_s + runs[bib].time_s - want["finish_s"])
                                   for bib, want in truth.items()]
    assert np.mean(errors[True]) < 0.85 * np.mean(errors[False])


@pytest.mark.parametrize("gps_tau_s", [(200.0, 300.0), (1.0, 2.0)])
def test_the_gps_error_where_a_sprinter_stood_at_the_line_is_taken_off_their_finish(tmp_path, monkeypatch,
                                                                                  gps_tau_s):
    # A 100 m in lanes, every track a GPX (positions alone): each runner stands at the start line before
    # the gun, where the GPS shows its error. A slow wander is still there at the finish 15-25 s later
    # and comes off the finish; an error that jitters from fix to fix is gone by then and changes little.
    # Two heats of eight, so that one heat's GPS luck does not decide.
    course = track_course(StandardTrack(53.3051, -6.2182, 352.0), 100, utc(2026, 6, 14, 9, 0))
    stand_error_carried = timing._stand_error_carried
    error, error_before, moved = [], [], []
    for seed in (1, 2):
        folder = tmp_path / str(seed)
        runners = simulate_race(course, 8, seed=seed, kinds=["finish"] * 8, gps_tau_s=gps_tau_s)
        truth = write_race_folder(course, runners, folder, gpx_every=1)
        monkeypatch.setattr(timing, "_stand_error_carried", stand_error_carried)
        carried = run_race(folder / "race.toml", jobs=1)
        monkeypatch.setattr(timing, "_stand_error_carried", lambda tr, st, sg, gates, times: np.zeros(len(gates)))
        not_carried = run_race(folder / "race.toml", jobs=1)
        time_s = {r.bib: r.time_s for r in carried.results}
        assert all(r.status == "finished" and r.time_source == "gps" for r in carried.results)
        error += [abs(time_s[r.bib] - truth[r.bib]["time_s"]) for r in carried.results]
        error_before += [abs(r.time_s - truth[r.bib]["time_s"]) for r in not_carried.results]
        moved += [abs(r.time_s - time_s[r.bib]) for r in not_carried.results]
    if gps_tau_s[0] > 100.0:
        assert np.mean(error) < 0.85 * np.mean(error_before)
    else:
        assert max(moved) < 0.15


def test_a_gpx_speed_that_is_only_the_positions_steps_is_no_watch_distance():
    t = np.arange(0.0, 300.0)
    x = 3.0 * t + np.random.default_rng(1).normal(0.0, 2.0, t.size)
    y = np.zeros(t.size)
    act = race_tracks.activity(t, x, y, fmt="gpx")
    steps = np.hypot(np.diff(x), np.diff(y))
    for speed in (np.concatenate(([steps[0]], steps)), np.concatenate((steps, [steps[-1]]))):
        act.speed_mps = speed
        act.distance_m = np.concatenate(([0.0], np.cumsum(steps)))
        assert watch_distance(act, t, x, y) is None


def test_a_fit_distance_measured_along_the_fixes_is_no_watch_distance():
    """A FIT file with positions and no distance channel: the reader measures distance along the fixes,
    smoothing them, so it is no longer step for step the fixes' path, yet it is still no second sensor."""
    from retrotrack.readers.common import RawActivity, finish_activity

    t = np.arange(0.0, 600.0)
    rng = np.random.default_rng(3)
    x, y = 3.0 * t + rng.normal(0.0, 1.0, t.size), rng.normal(0.0, 1.0, t.size)
    lat, lon = PROJ.to_latlon(x, y)
    act = finish_activity(RawActivity(file="run.fit", format="fit", times=1.78e9 + t,
                                      channels={"lat_deg": lat, "lon_deg": lon}, sport="running"))
    assert act.distance_source == "positions"
    xx, yy = PROJ.to_xy(act.lat_deg, act.lon_deg)
    assert watch_distance(act, act.t_s, xx, yy) is None
    assert watch_distance(replace(act, distance_source="device"), act.t_s, xx, yy) is not None


def test_a_gpx_speed_in_other_units_is_no_watch_distance():
    rng = np.random.default_rng(2)
    t = np.arange(0.0, 300.0)
    x = 3.0 * t + rng.normal(0.0, 2.0, t.size)
    y = np.zeros(t.size)
    act = race_tracks.activity(t, x, y, fmt="gpx")
    doppler = 3.0 + rng.normal(0.0, 0.1, t.size)
    act.distance_m = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    for factor, usable in ((1.0, True), (3.6, False), (1.944, False)):  # m/s, km/h, knots
        act.speed_mps = factor * doppler
        assert (watch_distance(act, t, x, y) is not None) == usable, factor


def test_a_gpx_speed_does_not_run_on_through_a_pause():
    """Auto-pause: the last point before a 5-minute stop and the first after it both read 3 m/s, but the
    runner stood still in between."""
    rng = np.random.default_rng(3)
    t = np.concatenate((np.arange(0.0, 200.0), np.arange(500.0, 700.0)))
    x = np.concatenate((3.0 * np.arange(0.0, 200.0), 597.0 + 3.0 * np.arange(1.0, 201.0))) + rng.normal(0.0, 1.0, t.size)
    y = np.zeros(t.size)
    act = race_tracks.activity(t, x, y, fmt="gpx")
    act.speed_mps = 3.0 + rng.normal(0.0, 0.05, t.size)
    act.distance_m = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    dev = watch_distance(act, t, x, y)
    assert dev is not None
    assert dev[200] - dev[199] == pytest.approx(x[200] - x[199])
    assert dev[-1] - dev[0] == pytest.approx(1200.0, abs=15.0)
