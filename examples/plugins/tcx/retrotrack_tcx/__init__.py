"""A retrotrack reader plugin for Garmin Training Center XML (.tcx).

TCX: Activities/Activity[@Sport]/Lap[@StartTime]/Track/Trackpoint with Time,
Position, AltitudeMeters, DistanceMeters (the device's odometer),
HeartRateBpm/Value, Cadence (cycling rpm) and the ActivityExtension v2 TPX
with Speed and RunCadence (one foot's strides per minute). Gaps between the
Track elements of a lap are the watch's pauses.
"""

from __future__ import annotations

import numpy as np

from retrotrack.errors import ReadError
from retrotrack.hookspecs import hookimpl
from retrotrack.readers.common import RawActivity, RawLap, RawSession, activity_sport, finish_activity
from retrotrack.readers.gpx import parse_time
from retrotrack.readers.xmlsafe import child_text, local_name, looks_like_xml, parse_xml

__version__ = "0.1.0"

SPORTS = {"running": "running", "biking": "cycling", "other": "generic"}
FIELDS = ("lat_deg", "lon_deg", "altitude_m", "distance_m", "heart_rate_bpm", "cadence_spm", "speed_mps")


def _num(text: str | None) -> float:
    try:
        return float(text) if text is not None else float("nan")
    except ValueError:
        return float("nan")


def _point(tp, foot: bool) -> tuple[float, dict[str, float]]:
    values: dict[str, float] = {}
    when = float("nan")
    for child in tp:
        tag = local_name(child.tag)
        if tag == "time":
            when = parse_time(child.text)
        elif tag == "position":
            values["lat_deg"] = _num(child_text(child, "latitudedegrees"))
            values["lon_deg"] = _num(child_text(child, "longitudedegrees"))
        elif tag == "altitudemeters":
            values["altitude_m"] = _num(child.text)
        elif tag == "distancemeters":
            values["distance_m"] = _num(child.text)
        elif tag == "heartratebpm":
            values["heart_rate_bpm"] = _num(child_text(child, "value"))
        elif tag == "extensions":
            for element in child.iter():
                name = local_name(element.tag)
                if name == "speed":
                    values["speed_mps"] = _num(element.text)
                elif name == "runcadence" and foot:
                    values["cadence_spm"] = 2.0 * _num(element.text)
        elif tag == "cadence" and foot:
            values.setdefault("cadence_spm", 2.0 * _num(child.text))
    return when, values


def decode_tcx(data: bytes, name: str) -> RawActivity:
    """Decode TCX bytes into a RawActivity."""
    root = parse_xml(data, name)
    if local_name(root.tag) != "trainingcenterdatabase":
        raise ReadError(name, "not a TCX file")
    times: list[float] = []
    cols: dict[str, list[float]] = {key: [] for key in FIELDS}
    laps: list[RawLap] = []
    sessions: list[RawSession] = []
    tracks: list[tuple[float, float]] = []
    for activity in root.iter():
        if local_name(activity.tag) != "activity":
            continue
        sport = SPORTS.get((activity.get("Sport") or "").lower(), "unknown")
        foot = sport != "cycling"
        first_lap = len(laps)
        for lap in activity:
            if local_name(lap.tag) != "lap":
                continue
            start = parse_time(lap.get("StartTime"))
            elapsed = _num(child_text(lap, "totaltimeseconds"))
            distance = _num(child_text(lap, "distancemeters"))
            if np.isfinite(start) and np.isfinite(elapsed):
                laps.append(RawLap(start, start + elapsed, distance if np.isfinite(distance) else None))
            for track in lap:
                if local_name(track.tag) != "track":
                    continue
                in_track = []
                for tp in track:
                    if local_name(tp.tag) != "trackpoint":
                        continue
                    when, values = _point(tp, foot)
                    if not np.isfinite(when):
                        continue
                    in_track.append(when)
                    times.append(when)
                    for key in FIELDS:
                        cols[key].append(values.get(key, float("nan")))
                if in_track:
                    tracks.append((min(in_track), max(in_track)))
        if len(laps) > first_lap:
            mine = laps[first_lap:]
            total = [lap.distance_m for lap in mine if lap.distance_m is not None]
            sessions.append(RawSession(sport, mine[0].start, mine[-1].end, sum(total) if total else None))
    if not times:
        raise ReadError(name, "no trackpoints with a time")
    pauses = [(a[1], b[0]) for a, b in zip(tracks, tracks[1:]) if b[0] > a[1]]
    return RawActivity(
        file=name,
        format="tcx",
        times=np.array(times),
        channels={key: np.array(values) for key, values in cols.items()},
        sport=activity_sport(sessions),
        device=_creator(root),
        laps=laps,
        sessions=sessions,
        pauses=pauses,
    )


def _creator(root) -> str | None:
    for element in root.iter():
        if local_name(element.tag) == "creator":
            return child_text(element, "name") or None
    return None


class TcxFormat:
    """Reader plugin object for TCX files."""

    name = "tcx"
    suffixes = (".tcx",)

    def sniff(self, head: bytes) -> bool:
        return looks_like_xml(head, ("trainingcenterdatabase",))

    def read(self, data: bytes, name: str):
        return finish_activity(decode_tcx(data, name))


READER = TcxFormat()


@hookimpl
def retrotrack_register_readers() -> list:
    return [READER]
