"""Results: each runner's status and reason, categories, places with ties, and the JSON and CSV documents.

Times are written to the millisecond in results.json (the precision the data
carries; pages round to 0.1 s), and ties are equal times as written there, so
places are computed on those written values. Results are ordered finishers by
place, then dq, dnf, dns and error (STATUSES), each by bib: the same inputs always
give the same bytes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from retrotrack.race.config import gun_time_text
from retrotrack.race.entries import Entry
from retrotrack.race.model import STATUSES, RaceInfo, RaceResult, RunnerResult
from retrotrack.text import fmt_clock
from retrotrack.race.timing import RunnerTiming

TIME_DECIMALS = 3
STATUS_ORDER = {status: i for i, status in enumerate(STATUSES)}

BACKWARD_WORLD_BEST_S = {
    100.0: 13.6,
    200.0: 31.56,
    1500.0: 5 * 60 + 1.02,
    1609.344: 5 * 60 + 54.25,
    10000.0: 39 * 60 + 20.0,
}
"""Backward running world bests by distance (only these distances are checked)."""
HAND_GPS_REVIEW_S = 3.0
"""A hand time this far from the GPS time is worth a second look."""


def category(sex: str, birth_year: int | None, race_year: int) -> str:
    """Sex plus age band of the age turned in the race's year: MU20, FSEN (20-34), M35, F40, X50..."""
    if birth_year is None:
        return sex
    age = race_year - birth_year
    if age < 20:
        band = "U20"
    elif age < 35:
        band = "SEN"
    else:
        band = str(35 + 5 * ((age - 35) // 5))
    return f"{sex}{band}"


def world_best_s(distance_m: float) -> float | None:
    for d, best in BACKWARD_WORLD_BEST_S.items():
        if abs(distance_m - d) < 0.5:
            return best
    return None


def bib_key(bib: str) -> tuple:
    """Numeric bibs in number order, then the rest alphabetically."""
    return (0, int(bib), "") if bib.isdecimal() else (1, 0, bib)


@dataclass
class OfficialTime:
    """A time (or status word) from a hand timer (entries) or a timing system (--times)."""

    time_s: float | None
    status: str | None
    source: str
    """"hand" or "import"."""


def build_result(
    entry: Entry,
    race: RaceInfo,
    timing: RunnerTiming | None,
    track_error: str | None,
    official: OfficialTime | None,
) -> RunnerResult:
    """One runner's result from their entry, what their track says, and any official time."""
    race_year = int(race.date[:4])
    r = RunnerResult(
        bib=entry.bib,
        name=entry.name,
        sex=entry.sex,
        birth_year=entry.birth_year,
        category=category(entry.sex, entry.birth_year, race_year),
        club=entry.club,
        status="dns",
        track=entry.track_text or None,
    )
    check = timing.direction if timing is not None else None
    if check is not None:
        # An unverified share is the detector's guess, not a figure to publish: null, with the reason why.
        r.backward_fraction = check.backward_fraction if check.check != "unverified" else None
        r.direction_check = check.check
        r.direction_reason = check.reason
    if timing is not None:
        r.start_s = timing.start_s
        r.splits = list(timing.splits)
        r.trace = timing.trace
        r.warnings += timing.warnings
    who = "the timing system" if official is not None and official.source == "import" else "the timekeeper"

    if official is not None and official.status is not None:
        r.status = official.status
        r.reason = f"recorded as {official.status.upper()} by {who}"
        r.time_source = official.source
        if official.status == "dq" and check is not None and check.check == "fail":
            r.reason += f": {check.reason}"
        return r

    official_time = official.time_s if official is not None else None
    if official_time is not None:
        r.time_source = official.source
        if track_error is not None:
            r.warnings.append(f"track not used: {track_error}")
        if check is not None and check.check == "fail":
            r.status, r.reason = "dq", _dq_reason(check.reason, race)
            return r
        r.status = "finished"
        r.time_s = official_time
        if timing is not None and timing.time_s is not None and abs(timing.time_s - official_time) > HAND_GPS_REVIEW_S:
            r.review = (f"{'hand' if official.source == 'hand' else 'imported'} time {fmt_clock(official_time, 2)} differs "
                        f"from the GPS time {fmt_clock(timing.time_s, 1)} by {abs(timing.time_s - official_time):.1f} s")
        if timing is None and entry.track is None:
            r.direction_check = "unverified"
        _world_best_review(r, race)
        return r

    if track_error is not None:
        r.status, r.reason = "error", track_error
        return r
    if entry.track is None:
        r.status, r.reason = "dns", "no track and no time"
        r.direction_check = "unverified"
        return r
    assert timing is not None
    r.status = timing.status
    r.reason = timing.reason
    if timing.status == "finished":
        r.time_source = "gps"
        if check is not None and check.check == "fail":
            r.status, r.reason = "dq", _dq_reason(check.reason, race)
        else:
            r.time_s = timing.time_s
            _world_best_review(r, race)
    return r


def _dq_reason(reason: str | None, race: RaceInfo) -> str:
    need = f"{100 * race.min_backward_fraction:.0f} % {race.direction} required"
    return f"{reason}; {need}" if reason else f"less than {need}"


def _world_best_review(r: RunnerResult, race: RaceInfo) -> None:
    if race.direction != "backward" or r.time_s is None:
        return
    best = world_best_s(race.distance_m)
    if best is not None and round(r.time_s, 2) < best:
        note = (f"faster than the backward world best for {race.distance_m:g} m "
                f"({fmt_clock(best, 2)}): check the timing and the course")
        r.review = f"{r.review}; {note}" if r.review else note


def written_time(t: float | None) -> float | None:
    return None if t is None else round(float(t), TIME_DECIMALS)


def assign_places(results: list[RunnerResult]) -> list[RunnerResult]:
    """Places and category places for finishers (ties share, the next place is skipped); returns results in order."""
    finished = [r for r in results if r.status == "finished" and r.time_s is not None]
    for r in results:
        r.place = r.category_place = None
    times = sorted(written_time(r.time_s) for r in finished)
    import bisect

    for r in finished:
        r.place = bisect.bisect_left(times, written_time(r.time_s)) + 1
    by_cat: dict[str, list[float]] = {}
    for r in finished:
        by_cat.setdefault(r.category, []).append(written_time(r.time_s))
    for v in by_cat.values():
        v.sort()
    for r in finished:
        r.category_place = bisect.bisect_left(by_cat[r.category], written_time(r.time_s)) + 1
    return sorted(
        results,
        key=lambda r: (STATUS_ORDER.get(r.status, 9), r.place or 0, bib_key(r.bib)),
    )


def _r(x: float | None, nd: int) -> float | None:
    return None if x is None else round(float(x), nd)


def _num(x: float):
    return int(x) if float(x).is_integer() else x


def result_to_dict(r: RunnerResult) -> dict:
    return {
        "bib": r.bib,
        "name": r.name,
        "sex": r.sex,
        "birth_year": r.birth_year,
        "category": r.category,
        "club": r.club,
        "status": r.status,
        "reason": r.reason,
        "time_s": written_time(r.time_s),
        "place": r.place,
        "category_place": r.category_place,
        "backward_fraction": _r(r.backward_fraction, 4),
        "direction_check": r.direction_check,
        "direction_reason": r.direction_reason,
        "splits": [
            {
                "name": s.name,
                "elapsed_s": written_time(s.elapsed_s),
                "split_s": written_time(s.split_s),
                **({"distance_m": _num(round(s.distance_m, 2))} if s.distance_m is not None else {}),
            }
            for s in r.splits
        ],
        "review": r.review,
        "time_source": r.time_source,
        "start_s": written_time(r.start_s),
        "track": r.track,
        "warnings": list(r.warnings),
    }


def results_to_dict(result: RaceResult) -> dict:
    """The results.json document (INTERFACE.md, plus a few extra fields)."""
    race = result.race
    return {
        "race": {
            "name": race.name,
            "distance_m": _num(race.distance_m),
            "date": race.date,
            "gun_time": gun_time_text(race.gun_time),
            "timing": race.timing,
            "direction": race.direction,
            "min_backward_fraction": race.min_backward_fraction,
            "venue": race.venue,
            "finish_crossings": race.finish_crossings,
        },
        "results": [result_to_dict(r) for r in result.results],
        "warnings": list(result.warnings),
    }


CSV_FIELDS = ("bib", "name", "sex", "birth_year", "category", "club", "status", "reason", "time_s", "time",
              "place", "category_place", "backward_fraction", "direction_check", "review", "time_source", "track")


def split_columns(result: RaceResult) -> list[str]:
    """Split names in course order: the runner with most splits first, then any others as they appear."""
    names: list[str] = []
    for r in sorted(result.results, key=lambda r: (-len(r.splits), bib_key(r.bib))):
        for s in r.splits:
            if s.name not in names:
                names.append(s.name)
    return names


def results_to_csv(result: RaceResult) -> str:
    """results.csv: one row per runner, the JSON's fields with splits flattened (two columns per split)."""
    splits = split_columns(result)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = list(CSV_FIELDS)
    for name in splits:
        header += [f"{name} elapsed_s", f"{name} split_s"]
    w.writerow(header)

    def cell(v):
        return "" if v is None else v

    for r in result.results:
        d = result_to_dict(r)
        row = [cell(d[k]) if k != "time" else (fmt_clock(r.time_s, 1) if r.time_s is not None and r.status == "finished" else "")
               for k in CSV_FIELDS]
        by = {s["name"]: s for s in d["splits"]}
        for name in splits:
            s = by.get(name)
            row += [s["elapsed_s"], s["split_s"]] if s else ["", ""]
        w.writerow(row)
    return buf.getvalue()
