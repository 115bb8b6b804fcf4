"""Statuses and reasons, categories, places with ties, review flags, and the JSON/CSV documents."""

import csv
import io
from datetime import datetime, timezone

import pytest

from retrotrack.race.entries import Entry
from retrotrack.race.check import DirectionCheck
from retrotrack.race.model import STATUSES, RaceInfo, RaceResult, SplitTime
from retrotrack.race.results import (
    OfficialTime,
    assign_places,
    build_result,
    category,
    results_to_csv,
    results_to_dict,
)
from retrotrack.race.timing import RunnerTiming

RACE = RaceInfo(name="R", date="2026-06-14", distance_m=1500.0, gun_time=datetime(2026, 6, 14, 9, tzinfo=timezone.utc))


def entry(bib="1", sex="F", by=1990, track="tracks/1.fit", time_s=None, status=None):
    from pathlib import Path

    return Entry(bib=bib, name=f"Runner {bib}", sex=sex, birth_year=by, club="", track=Path(track) if track else None,
                 track_text=track or "", time_s=time_s, time_status=status)


def timing(status="finished", time_s=400.0, check="pass", frac=0.98, reason=None):
    return RunnerTiming(status=status, reason=reason, start_s=1.0, finish_s=(time_s or 0) + 1.0, time_s=time_s,
                        splits=[SplitTime("finish", time_s, time_s)] if time_s else [],
                        direction=DirectionCheck(frac, check, "ran forward 1:42 of 7:30 (23 %) between 400 m and 700 m" if check == "fail" else None))


@pytest.mark.parametrize(
    "sex,by,expected",
    [("F", 1992, "FSEN"), ("M", 2007, "MU20"), ("M", 2006, "MSEN"), ("X", 1976, "X50"), ("F", 1991, "F35"),
     ("F", 1987, "F35"), ("F", 1986, "F40"), ("M", 1954, "M70"), ("M", 2020, "MU20")],
)
def test_categories(sex, by, expected):
    assert category(sex, by, 2026) == expected


def test_every_status():
    assert build_result(entry(), RACE, timing(), None, None).status == "finished"
    dq = build_result(entry(), RACE, timing(check="fail", frac=0.77), None, None)
    assert dq.status == "dq" and dq.time_s is None and "ran forward 1:42" in dq.reason and "90 % backward" in dq.reason
    dnf = build_result(entry(), RACE, timing("dnf", None, reason="track ends after 900 m"), None, None)
    assert dnf.status == "dnf" and dnf.reason
    dns = build_result(entry(track=None), RACE, None, None, None)
    assert dns.status == "dns" and dns.reason == "no track and no time" and dns.direction_check == "unverified"
    err = build_result(entry(), RACE, None, "track tracks/1.fit is missing", None)
    assert err.status == "error" and "missing" in err.reason


def test_hand_times_are_official():
    r = build_result(entry(), RACE, timing(time_s=404.2), None, OfficialTime(399.0, None, "hand"))
    assert r.status == "finished" and r.time_s == 399.0 and r.time_source == "hand"
    assert r.splits and "differs from the GPS time" in r.review
    no_watch = build_result(entry(track=None), RACE, None, None, OfficialTime(399.0, None, "hand"))
    assert no_watch.status == "finished" and no_watch.direction_check == "unverified" and no_watch.splits == []
    cheat = build_result(entry(), RACE, timing(check="fail"), None, OfficialTime(399.0, None, "hand"))
    assert cheat.status == "dq"
    word = build_result(entry(), RACE, timing(), None, OfficialTime(None, "dnf", "import"))
    assert word.status == "dnf" and "timing system" in word.reason


def test_world_best_flagged_for_review():
    r = build_result(entry(), RACE, timing(time_s=300.5), None, None)
    assert r.review and "world best" in r.review
    assert build_result(entry(), RACE, timing(time_s=302.0), None, None).review is None


def test_places_with_ties_and_categories():
    rs = [build_result(entry(str(b), sex, by), RACE, timing(time_s=t), None, None)
          for b, sex, by, t in [(1, "F", 1990, 400.0), (2, "F", 1990, 410.0004), (3, "M", 1990, 410.0001),
                                (4, "F", 1950, 420.0), (5, "F", 1990, 399.0)]]
    rs.append(build_result(entry("6"), RACE, timing("dnf", None), None, None))
    ordered = assign_places(rs)
    places = {r.bib: (r.place, r.category_place) for r in ordered}
    assert places == {"5": (1, 1), "1": (2, 2), "2": (3, 3), "3": (3, 1), "4": (5, 1), "6": (None, None)}
    assert [r.bib for r in ordered] == ["5", "1", "2", "3", "4", "6"]


def test_json_and_csv_documents():
    rs = assign_places([build_result(entry("7"), RACE, timing(time_s=412.3456), None, None),
                        build_result(entry("8", track=None), RACE, None, None, None)])
    res = RaceResult(RACE, rs)
    doc = results_to_dict(res)
    assert doc["race"] == {**doc["race"], "name": "R", "distance_m": 1500, "date": "2026-06-14"}
    first = doc["results"][0]
    for key in ("bib", "name", "sex", "category", "club", "status", "reason", "time_s", "place", "category_place",
                "backward_fraction", "direction_check", "splits"):
        assert key in first
    assert first["time_s"] == 412.346 and first["splits"][-1]["elapsed_s"] == 412.346
    rows = list(csv.DictReader(io.StringIO(results_to_csv(res))))
    assert [r["bib"] for r in rows] == ["7", "8"]
    assert rows[0]["time"] == "6:52.3" and rows[0]["finish elapsed_s"] == "412.346"
    assert rows[1]["status"] == "dns" and rows[1]["time_s"] == ""


def test_documents_list_statuses_in_the_pages_order_and_the_csv_rounds_as_the_page():
    from retrotrack.render import fmt_time

    made = {"finished": timing(time_s=21.85), "dq": timing(check="fail", frac=0.5), "dnf": timing("dnf", None),
            "dns": None, "error": None}
    rs = assign_places([build_result(entry(b, track=None if s == "dns" else "tracks/1.fit"), RACE, made[s],
                                     "track tracks/1.fit is missing" if s == "error" else None, None)
                        for b, s in zip("54321", STATUSES)])
    res = RaceResult(RACE, rs)
    assert [r["status"] for r in results_to_dict(res)["results"]] == list(STATUSES)
    rows = list(csv.DictReader(io.StringIO(results_to_csv(res))))
    assert [r["status"] for r in rows] == list(STATUSES)
    assert rows[0]["time"] == "0:21.9" and fmt_time(21.85) == "21.9"


def test_odd_bibs_sort_without_failing():
    # "²" is a digit to str.isdigit but no number to int().
    rs = assign_places([build_result(entry(b), RACE, timing(time_s=None, status="dnf"), None, None)
                        for b in ("10", "²", "9", "A1")])
    assert [r.bib for r in rs] == ["9", "10", "A1", "²"]


def test_the_gun_keeps_its_fraction_of_a_second():
    race = RaceInfo(name="R", date="2026-06-14", distance_m=100.0,
                    gun_time=datetime(2026, 6, 14, 9, 0, 0, 250000, tzinfo=timezone.utc))
    assert results_to_dict(RaceResult(race, []))["race"]["gun_time"] == "2026-06-14T09:00:00.25Z"


def test_an_unverified_check_publishes_no_share_but_says_why():
    # Gait alone called an honest sprinter's whole race forward: the guess is not a figure to publish.
    why = "gait alone calls 100 % of the race forward, with no change of gait in the race to compare it with"
    t = timing()
    t.direction = DirectionCheck(0.0, "unverified", why)
    r = build_result(entry(), RACE, t, None, None)
    assert r.status == "finished" and r.direction_check == "unverified"
    doc = results_to_dict(RaceResult(RACE, assign_places([r])))["results"][0]
    assert doc["backward_fraction"] is None and doc["direction_reason"] == why
    judged = results_to_dict(RaceResult(RACE, [build_result(entry(), RACE, timing(frac=0.97), None, None)]))
    assert judged["results"][0]["backward_fraction"] == 0.97
