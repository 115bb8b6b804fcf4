"""The direction check over one runner's race (retrotrack.race.check)."""

from datetime import datetime, timezone

import numpy as np

from retrotrack.model import Direction
from retrotrack.race.check import direction_check
from retrotrack.race.model import RaceInfo

GUN = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)


def direction_labels(n, forward_from=None):
    lab = np.full(n, Direction.BACKWARD, np.uint8)
    if forward_from is not None:
        lab[forward_from[0]:forward_from[1]] = Direction.FORWARD
    return lab


def test_a_backward_race_passes_with_its_share():
    t = np.arange(0.0, 200.0, 1.0)
    lab = direction_labels(t.size - 1, forward_from=(10, 14))  # 4 s forward of 199 s: under the 10 % allowed
    race = RaceInfo(name="T", date="2026-06-14", distance_m=800.0, gun_time=GUN)
    chk = direction_check(t, lab, 0.0, 199.0, race, 4.0 * t)
    assert chk.check == "pass" and chk.reason is None
    assert chk.backward_fraction == 195 / 199


def test_a_fail_says_how_long_and_where():
    t = np.arange(0.0, 200.0, 1.0)
    lab = direction_labels(t.size - 1, forward_from=(100, 175))
    race = RaceInfo(name="T", date="2026-06-14", distance_m=800.0, gun_time=GUN)
    chk = direction_check(t, lab, 0.0, 199.0, race, 4.0 * t)
    assert chk.check == "fail"
    assert chk.reason == "ran forward 1:15 of 3:19 (38 %) between 400 m and 700 m"


def test_too_little_known_is_unverified():
    t = np.arange(0.0, 100.0, 1.0)
    lab = np.full(t.size - 1, Direction.UNKNOWN, np.uint8)
    lab[:30] = Direction.FORWARD
    race = RaceInfo(name="T", date="2026-06-14", distance_m=400.0, gun_time=GUN)
    chk = direction_check(t, lab, 0.0, 99.0, race, 4.0 * t)
    assert chk.check == "unverified" and "known for only 30 %" in chk.reason


def test_a_whole_race_called_forward_from_gait_alone_is_unverified():
    t = np.arange(0.0, 20.0, 1.0)
    lab = np.full(t.size - 1, Direction.FORWARD, np.uint8)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=100.0, gun_time=GUN)
    chk = direction_check(t, lab, 0.0, 19.0, race, np.zeros_like(t))
    assert chk.check == "unverified" and "check by other means" in chk.reason


def test_the_compass_decides_a_wrong_way_call():
    t = np.arange(0.0, 200.0, 1.0)
    lab = direction_labels(t.size - 1, forward_from=(50, 100))  # 25 % forward: a cheat, by gait
    race = RaceInfo(name="T", date="2026-06-14", distance_m=800.0, gun_time=GUN)
    d = np.zeros_like(t)
    assert direction_check(t, lab, 0.0, 199.0, race, d).check == "fail"
    facing_back = np.ones(t.size - 1, np.int8)  # the watch faced against travel all the way
    chk = direction_check(t, lab, 0.0, 199.0, race, d, facing_back)
    assert chk.check == "unverified" and "compass" in chk.reason
    facing_agrees = np.where(lab == Direction.FORWARD, -1, 1).astype(np.int8)
    assert direction_check(t, lab, 0.0, 199.0, race, d, facing_agrees).check == "fail"
    # A whole race called forward with the compass agreeing is a disqualification, not a doubt.
    all_fwd = np.full(t.size - 1, Direction.FORWARD, np.uint8)
    assert direction_check(t, all_fwd, 0.0, 199.0, race, d, -facing_back).check == "fail"


def test_a_race_with_no_known_direction_says_whether_the_track_had_anything_to_tell_it_by():
    t = np.arange(0.0, 100.0, 1.0)
    lab = np.full(t.size - 1, Direction.UNKNOWN, np.uint8)
    race = RaceInfo(name="T", date="2026-06-14", distance_m=400.0, gun_time=GUN)
    bare = direction_check(t, lab, 0.0, 99.0, race, 4.0 * t)
    assert bare.check == "unverified" and bare.reason.startswith("nothing in the track tells backward from forward")
    # A track with cadence whose gait fits either way is not a track without cadence.
    gait = direction_check(t, lab, 0.0, 99.0, race, 4.0 * t, method="gait")
    assert gait.check == "unverified"
    assert gait.reason == "cadence and step length cannot tell backward from forward over the race: check by other means"
    both = direction_check(t, lab, 0.0, 99.0, race, 4.0 * t, method="heading+gait")
    assert both.reason.startswith("device heading, cadence and step length cannot tell")
