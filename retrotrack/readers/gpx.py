"""The GPX reader (GPX 1.0 and 1.1, as Garmin Connect, Strava, Apple Watch and others write it).

Reads the XML leniently by local name, so namespace prefixes (ns3:,
gpxtpx:, none), upper-case extension names, several sibling <extensions>
per point (Apple Watch) and out-of-spec elements (a <fix> value outside the
schema) all read; gpxpy refuses or drops several of these, so it is not used
here. Points with unusable coordinates or no time are dropped with a warning.
Extension `bearing` (Garmin TrackPointExtension v2) is the way the watch
faces; `course` is the direction of travel and is not used for it. GPX `cad`
is one foot's strides per minute in every export we know: it is doubled.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np

from retrotrack.errors import ReadError
from retrotrack.hookspecs import hookimpl
from retrotrack.model import FOOT_SPORTS, Activity
from retrotrack.readers.common import RawActivity, finish_activity
from retrotrack.readers.xmlsafe import child_text, local_name, looks_like_xml, parse_xml

STRIDES_BELOW_SPM = 120.0
"""A typical (median) cadence under this is one foot's strides per minute, not steps."""

EXTENSION_CHANNELS = {
    "hr": "heart_rate_bpm", "heartrate": "heart_rate_bpm", "heart_rate": "heart_rate_bpm",
    "cad": "cadence", "cadence": "cadence", "runcadence": "cadence",
    "speed": "speed_mps",
    "bearing": "heading_deg", "heading": "heading_deg", "compass": "heading_deg",
    "distance": "distance_m",
}
"""Point extension elements we read (lower-case local name -> channel)."""
POINT_COLUMNS = ("lat_deg", "lon_deg", "altitude_m", "speed_mps", "heart_rate_bpm", "cadence", "heading_deg",
                 "distance_m")
"""What each point gives, in the order of its row."""
_ALTITUDE, _SPEED = POINT_COLUMNS.index("altitude_m"), POINT_COLUMNS.index("speed_mps")
_EXTENSION_COLUMN = {tag: POINT_COLUMNS.index(channel) for tag, channel in EXTENSION_CHANNELS.items()}

SPORT_WORDS = {
    "running": "running", "run": "running", "street_running": "running", "track_running": "running",
    "treadmill_running": "running", "virtual_run": "running", "trail_running": "trail_running",
    "walking": "walking", "walk": "walking", "casual_walking": "walking", "speed_walking": "walking",
    "hiking": "hiking", "hike": "hiking",
    "cycling": "cycling", "biking": "cycling", "ride": "cycling", "road_biking": "cycling",
    "mountain_biking": "cycling", "gravel_cycling": "cycling", "indoor_cycling": "cycling",
    "virtual_ride": "cycling", "e_bike_ride": "cycling", "ebikeride": "cycling",
    "swimming": "swimming", "swim": "swimming", "open_water_swimming": "swimming",
    "rowing": "rowing", "generic": "generic", "other": "generic",
}
STRAVA_TYPES = {"1": "cycling", "4": "hiking", "9": "running", "10": "walking", "16": "swimming",
                "17": "cycling", "18": "cycling", "23": "rowing"}
"""Strava writes <type> as its numeric activity code."""


def sport_from_type(text: str | None) -> str:
    """Our sport name for a GPX <type> (word or Strava number)."""
    if not text:
        return "unknown"
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    return STRAVA_TYPES.get(key) or SPORT_WORDS.get(key, "unknown")


GNSS_YEARS = (1980, 2100)
"""A satellite fix cannot carry a time before GPS time began (1980); far-future years are corruption."""


def parse_time(text: str | None) -> float:
    """Unix seconds of an ISO 8601 time (UTC if no zone given); NaN if unparseable."""
    if not text:
        return float("nan")
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return float("nan")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if not GNSS_YEARS[0] <= when.year <= GNSS_YEARS[1]:
        return float("nan")
    return when.timestamp()


def _number(text: str | None) -> float:
    if text is None:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value if math.isfinite(value) else float("nan")


def decode_gpx(data: bytes, name: str) -> RawActivity:
    """Decode GPX bytes into a RawActivity (absolute times, cleaned later)."""
    warnings: list[str] = []
    root = parse_xml(data, name, warnings)
    # The one warning parse_xml gives is that the file is cut off; dropped points are an exporter's habit
    # (OsmAnd writes lat="undefined" for a fix it lacks).
    damage = list(warnings)
    if local_name(root.tag) != "gpx":
        raise ReadError(name, f"not a GPX file (its root element is <{local_name(root.tag)}>)")
    times: list[float] = []
    rows: list[list[float]] = []
    segment_ends: list[tuple[float, float]] = []
    bad_position = bad_time = 0
    sport = "unknown"
    nan = float("nan")
    for trk in root:
        if local_name(trk.tag) != "trk":
            continue
        if sport == "unknown":
            sport = sport_from_type(child_text(trk, "type"))
        for seg in trk:
            if local_name(seg.tag) != "trkseg":
                continue
            seg_start = len(times)
            for pt in seg:
                if local_name(pt.tag) != "trkpt":
                    continue
                lat, lon = _number(pt.get("lat")), _number(pt.get("lon"))
                if not (abs(lat) <= 90.0 and abs(lon) <= 180.0):
                    bad_position += 1
                    continue
                row = [lat, lon, nan, nan, nan, nan, nan, nan]
                when = nan
                for child in pt:
                    tag = local_name(child.tag)
                    if tag == "time":
                        when = parse_time(child.text)
                    elif tag == "ele":
                        row[_ALTITUDE] = _number(child.text)
                    elif tag == "speed":
                        row[_SPEED] = _number(child.text)
                    elif tag == "extensions":
                        for element in child.iter():
                            j = _EXTENSION_COLUMN.get(local_name(element.tag))
                            if j is not None and element.text and len(element) == 0:
                                row[j] = _number(element.text)
                if not math.isfinite(when):
                    bad_time += 1
                    continue
                times.append(when)
                rows.append(row)
            if len(times) > seg_start:
                seg_times = times[seg_start:]
                segment_ends.append((min(seg_times), max(seg_times)))

    if bad_position:
        warnings.append(f"dropped {bad_position} track point{'s' if bad_position > 1 else ''} "
                        "with unusable coordinates")
    if bad_time:
        warnings.append(f"dropped {bad_time} track point{'s' if bad_time > 1 else ''} without a valid time")
    if not times:
        if bad_position or bad_time:
            raise ReadError(name, "no usable track points: " + "; ".join(warnings))
        raise ReadError(name, "no track points with a time (a route or waypoints only?)")

    table = np.array(rows, dtype=float)
    arr = {key: table[:, j].copy() for j, key in enumerate(POINT_COLUMNS)}
    cadence = arr.pop("cadence")
    arr["cadence_spm"] = _cadence_spm(cadence, sport)
    arr["heading_deg"] = arr["heading_deg"] % 360.0
    pauses = [(a[1], b[0]) for a, b in zip(segment_ends, segment_ends[1:]) if b[0] > a[1]]
    creator = root.get("creator")
    return RawActivity(
        file=name,
        format="gpx",
        times=np.asarray(times, dtype=float),
        channels=arr,
        sport=sport,
        device=creator.strip() if creator else None,
        pauses=pauses,
        warnings=warnings,
        damage=damage,
    )


def _cadence_spm(cadence: np.ndarray, sport: str) -> np.ndarray:
    """Steps per minute from GPX `cad`: none for wheels and strokes, doubled when it is strides."""
    if sport not in FOOT_SPORTS or not np.isfinite(cadence).any():
        return np.full(cadence.shape, np.nan)
    moving = cadence[np.isfinite(cadence) & (cadence > 0)]
    if moving.size and np.median(moving) < STRIDES_BELOW_SPM:
        return 2.0 * cadence
    return cadence


class GpxFormat:
    """Reader plugin object for GPX files."""

    name = "gpx"
    suffixes = (".gpx", ".xml")

    def sniff(self, head: bytes) -> bool:
        return looks_like_xml(head, ("gpx",))

    def read(self, data: bytes, name: str) -> Activity:
        return finish_activity(decode_gpx(data, name))


READER = GpxFormat()


@hookimpl
def retrotrack_register_readers() -> list:
    return [READER]
