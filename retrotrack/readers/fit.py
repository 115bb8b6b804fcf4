"""The FIT reader (Garmin's binary format), decoding with fitdecode (the records of
plain files by a faster path that gives the same values: readers/fit_records.py).

Reads records, laps, sessions and timer events from single, chained and
summary-first files; device-relative timestamps (no GPS fix) are anchored to
UTC where the file allows. Damaged files are read up to the damage with a
warning. Only a developer field named like heading/compass/bearing is taken
as the way the watch faces (with its own scale and offset);
gps_metadata.heading is the direction of travel and is not used.
"""

from __future__ import annotations

import re
import warnings
import fitdecode
import numpy as np
from fitdecode.records import FitCRC, FitDataMessage, FitHeader
from fitdecode.types import DevField

from retrotrack.errors import ReadError
from retrotrack.hookspecs import hookimpl
from retrotrack.model import Activity
from retrotrack.readers.common import RawActivity, RawLap, RawSession, activity_sport, finish_activity, on_foot_mask
from retrotrack.readers.fit_records import (
    C_ALT, C_CAD, C_DIST, C_EALT, C_ESPEED, C_FRAC, C_HEADING, C_HR, C_LAT, C_LON, C_SPEED, C_STANCE, C_STEP,
    C_TIME, C_VOSC, N_COLS, NATIVE_COLUMNS, decode_records,
)

FIT_EPOCH_S = 631065600
"""1989-12-31T00:00:00Z as Unix seconds."""
SYSTEM_TIME_MAX = 0x10000000
"""FIT date_time values below this count seconds since the device powered on, not UTC."""
DEG_PER_SEMICIRCLE = 180.0 / 2**31
HEADING_NAME = re.compile(r"heading|compass|bearing|facing|orientation|yaw", re.IGNORECASE)
NOT_FACING = re.compile(r"gps|course|cog|travel|track|wind|accuracy|error|quality|confidence|rate", re.IGNORECASE)

MESG_FILE_ID, MESG_SPORT, MESG_SESSION, MESG_LAP, MESG_RECORD, MESG_EVENT = 0, 12, 18, 19, 20, 21
MESG_ACTIVITY, MESG_GPS_METADATA, MESG_TIMESTAMP_CORRELATION, MESG_FIELD_DESCRIPTION = 34, 160, 162, 206

STOP_TYPES = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})


def crc16(data: bytes | memoryview, crc: int = 0) -> int:
    """The FIT CRC (CRC-16/ARC), table-driven two bytes at a time (the check reads whole files)."""
    data = memoryview(data).cast("B")
    even = len(data) & ~1
    table = _CRC_TABLE_16
    for word in np.frombuffer(data[:even], dtype="<u2").tolist():
        crc = table[crc ^ word]
    if even < len(data):
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ data[even]) & 0xFF]
    return crc


def _make_crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _make_crc_table_16(table_8: tuple[int, ...]) -> list[int]:
    """The register after two byte steps from each 16-bit value: a little-endian word XORed into the
    register is consumed whole, two bytes in one lookup."""
    t8 = np.array(table_8, dtype=np.uint32)
    crc = np.arange(1 << 16, dtype=np.uint32)
    for _ in range(2):
        crc = (crc >> 8) ^ t8[crc & 0xFF]
    return crc.tolist()


HEADER_CRC_BAD = "a FIT header's CRC does not match (the file may be damaged)"
FILE_CRC_BAD = "the file's CRC does not match: some data may be corrupt"
_CRC_TABLE = _make_crc_table()
_CRC_TABLE_16 = _make_crc_table_16(_CRC_TABLE)


class _Decoded:
    """Everything collected from the frames, in raw FIT units."""

    def __init__(self) -> None:
        self.rows: list[list[float]] = []
        self.laps: list[dict] = []
        self.sessions: list[dict] = []
        self.timer_events: list[tuple[int, str]] = []
        self.file_id: dict | None = None
        self.sport_message: str | None = None
        self.correlation: int | None = None
        self.activity_local: tuple[int, int] | None = None
        self.problems: list[str] = []
        self.crc_problems: list[str] = []
        self.damage: str | None = None
        """Where the file stops decoding (truncated, or damaged part-way)."""


def _values(frame: FitDataMessage, names: tuple[str, ...]) -> dict:
    out = dict.fromkeys(names)
    for fd in frame.fields:
        f = fd.field
        if f is not None and f.name in out and fd.value is not None:
            out[f.name] = _scalar(fd.value)
    return out


def _scalar(value):
    """One value of a field; a damaged definition can declare a scalar field several values wide."""
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


class _DevHeading:
    """How to turn one developer heading field's raw value into degrees."""

    __slots__ = ("scale", "offset", "factor")

    def __init__(self, scale, offset, units) -> None:
        self.scale = float(scale) if scale else 1.0
        self.offset = float(offset) if offset else 0.0
        self.factor = 180.0 / np.pi if units and str(units).lower().startswith("rad") else 1.0


def _is_heading(name: str) -> bool:
    """A developer field named for the way the watch faces (not the direction of travel, not a rate)."""
    return bool(HEADING_NAME.search(name)) and not NOT_FACING.search(name)


def _heading_of(name: str, scale, offset, units) -> _DevHeading | None:
    return _DevHeading(scale, offset, units) if _is_heading(name) else None


def _collect(out: _Decoded, num: int, frame: FitDataMessage, descriptions: dict) -> bool:
    """Keep what we need from a message other than a record; True if it describes a developer field."""
    if num == MESG_EVENT:
        ev = _values(frame, ("timestamp", "event", "event_type"))
        if ev["event"] == "timer" and ev["timestamp"] is not None:
            out.timer_events.append((ev["timestamp"], ev["event_type"]))
    elif num == MESG_LAP:
        out.laps.append(_values(frame, ("timestamp", "start_time", "total_elapsed_time", "total_timer_time",
                                        "total_distance")))
    elif num == MESG_SESSION:
        out.sessions.append(_values(frame, ("timestamp", "start_time", "sport", "sub_sport", "total_elapsed_time",
                                            "total_timer_time", "total_distance")))
    elif num == MESG_FIELD_DESCRIPTION:
        desc = _values(frame, ("developer_data_index", "field_definition_number", "scale", "offset", "units"))
        descriptions[(desc["developer_data_index"], desc["field_definition_number"])] = desc
        return True
    elif num == MESG_FILE_ID and out.file_id is None:
        out.file_id = _values(frame, ("manufacturer", "product", "garmin_product", "product_name"))
    elif num == MESG_SPORT and out.sport_message is None:
        out.sport_message = _sport_name(_values(frame, ("sport", "sub_sport")))
    elif num == MESG_TIMESTAMP_CORRELATION and out.correlation is None:
        c = _values(frame, ("timestamp", "system_timestamp"))
        if c["timestamp"] is not None and c["system_timestamp"] is not None:
            out.correlation = FIT_EPOCH_S + c["timestamp"] - c["system_timestamp"]
    elif num == MESG_GPS_METADATA and out.correlation is None:
        g = _values(frame, ("timestamp", "utc_timestamp"))
        if g["timestamp"] is not None and g["utc_timestamp"] is not None:
            out.correlation = FIT_EPOCH_S + g["utc_timestamp"] - g["timestamp"]
    elif num == MESG_ACTIVITY:
        a = _values(frame, ("timestamp", "local_timestamp"))
        if a["timestamp"] is not None and a["local_timestamp"] is not None:
            out.activity_local = (a["timestamp"], a["local_timestamp"])
    return False


def _decode(data: bytes) -> _Decoded:
    """Records by the fast path where the file is plain (see fit_records), the rest by fitdecode."""
    fast = decode_records(data, _heading_of)
    if fast is not None:
        rows, others = fast
        out = _decode_frames(others)
        if out.damage is None and not out.problems and not out.crc_problems and not out.rows:
            out.rows = rows
            out.crc_problems = _crc_problems(data)
            return out
    return _decode_frames(data)


def _crc_problems(data: bytes) -> list[str]:
    """The header and file CRC checks of a single FIT file (the fitdecode path makes them as it reads)."""
    problems = []
    header_size = data[0]
    if header_size >= 14:
        stored = int.from_bytes(data[12:14], "little")
        if stored and crc16(data[:12]) != stored:
            problems.append(HEADER_CRC_BAD)
    stored = int.from_bytes(data[-2:], "little")
    if stored and crc16(memoryview(data)[:-2]) != stored:
        problems.append(FILE_CRC_BAD)
    return problems


def _decode_frames(data: bytes) -> _Decoded:
    """Walk every frame once with fitdecode; records go straight into rows of raw values (the hot loop)."""
    out = _Decoded()
    rows = out.rows
    columns: dict[object, int] = {}
    headings: dict[object, _DevHeading] = {}
    descriptions: dict[tuple[int, int], dict] = {}
    nan = float("nan")
    blank = [nan] * N_COLS
    pos = 0
    file_start = 0
    header_size = body_size = 0

    def classify(f) -> int:
        if f is None:
            return -1
        if f.__class__ is DevField:
            if _is_heading(f.name or ""):
                desc = descriptions.get((f.dev_data_index, f.def_num), {})
                headings[f] = _DevHeading(desc.get("scale"), desc.get("offset"), desc.get("units") or f.units)
                return C_HEADING
            return -1
        return NATIVE_COLUMNS.get(f.name, -1)

    reader = fitdecode.FitReader(
        data, processor=None, check_crc=fitdecode.CrcCheck.DISABLED, error_handling=fitdecode.ErrorHandling.WARN
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for frame in reader:
                if frame.__class__ is FitDataMessage:
                    num = frame.def_mesg.global_mesg_num
                    if num == MESG_RECORD:
                        row = blank[:]
                        for fd in frame.fields:
                            f = fd.field
                            j = columns.get(f)
                            if j is None:
                                j = columns[f] = classify(f)
                            if j >= 0:
                                v = fd.value
                                if v is not None and v.__class__ is not tuple and v.__class__ is not str:
                                    if j == C_HEADING:
                                        h = headings[f]
                                        v = (v / h.scale - h.offset) * h.factor
                                    row[j] = v
                        rows.append(row)
                    elif _collect(out, num, frame, descriptions):
                        columns = {f: j for f, j in columns.items() if f.__class__ is not DevField}
                elif frame.__class__ is FitHeader:
                    file_start = pos
                    header_size, body_size = frame.header_size, frame.body_size
                    if frame.crc and header_size >= 14 and crc16(data[pos:pos + 12]) != frame.crc:
                        out.crc_problems.append(HEADER_CRC_BAD)
                    pos += header_size + body_size
                    descriptions.clear()
                    columns = {f: j for f, j in columns.items() if f.__class__ is not DevField}
                elif frame.__class__ is FitCRC:
                    if frame.crc and crc16(memoryview(data)[file_start:file_start + header_size + body_size]) != frame.crc:
                        out.crc_problems.append(FILE_CRC_BAD)
                    pos += 2
        except Exception as exc:  # fitdecode raises FitError, ValueError, struct.error... on damage
            out.damage = _describe_damage(exc, reader, len(data), len(rows))
        finally:
            reader.close()
    out.problems.extend(_summarize_decoder_warnings(str(w.message) for w in caught))
    return out


def _describe_damage(exc: Exception, reader, size: int, n_records: int) -> str:
    offset = getattr(reader, "_read_offset", None)
    if isinstance(exc, fitdecode.FitEOFError) or (offset is not None and offset >= size):
        if getattr(reader, "_body_bytes_left", 1) == 0:
            what = "the file ends without its final CRC (cut short?)"
        else:
            what = f"the file is truncated at byte {size}"
    elif isinstance(exc, fitdecode.FitHeaderError) and n_records:
        what = f"unreadable data after the FIT file at byte {offset} ({exc})"
    else:
        if isinstance(exc, fitdecode.FitError):
            detail = re.sub(r"^FIT parsing error @ \d+: ", "", str(exc)) or type(exc).__name__
        else:
            detail = "undecodable data"
        what = f"the file is damaged at byte {offset}: {detail}"
    return f"{what}; read the {n_records} records before it"


def _summarize_decoder_warnings(messages) -> list[str]:
    found: list[str] = []
    for message in messages:
        if "invalid field size" in message:
            text = "some fields are defined with a size that does not fit their type (read as raw bytes)"
        elif "dev_data_index" in message or "no such field" in message:
            text = "developer fields refer to undefined descriptions (ignored)"
        elif "CRC" in message:
            text = "a CRC does not match: some data may be corrupt"
        else:
            text = " ".join(message.split())[:160]
        if text not in found:
            found.append(text)
    return found[:5]


def _sport_name(values: dict) -> str:
    sport = values.get("sport")
    if not isinstance(sport, str):
        return "unknown"
    if sport == "running" and values.get("sub_sport") == "trail":
        return "trail_running"
    return sport


def _time_base(dec: _Decoded, warn: list[str]) -> tuple[float, str]:
    """Unix seconds of FIT system time 0, for files whose timestamps are device-relative, and the clock
    the times are then on (Activity.clock)."""
    if dec.correlation is not None:
        return float(dec.correlation), "utc"
    if dec.activity_local is not None:
        ts, local = dec.activity_local
        if local >= SYSTEM_TIME_MAX:
            warn.append("timestamps count from the watch's power-on (no GPS fix); times are the watch's local time")
            return float(FIT_EPOCH_S + local - ts), "local"
    warn.append("timestamps count from the watch's power-on (no GPS fix); the date is unknown")
    return float(FIT_EPOCH_S), "power-on"


def _unix(raw, base: float) -> float | None:
    if raw is None:
        return None
    return FIT_EPOCH_S + raw if raw >= SYSTEM_TIME_MAX else base + raw


def _device(file_id: dict | None) -> str | None:
    if not file_id:
        return None
    maker = file_id.get("manufacturer")
    product = file_id.get("product_name") or file_id.get("garmin_product") or file_id.get("product")
    parts = [str(x) for x in (maker, product) if x is not None]
    return " ".join(parts) or None


def _span(msg: dict, base: float, prev_end: float, fallback_end: float | None) -> tuple[float, float]:
    """Absolute start and end of a lap or session message.

    The end is start + total_elapsed_time: in summary-first files the message
    timestamp is the activity start, not the end. A message without a start
    follows the previous one.
    """
    start = _unix(msg["start_time"], base)
    if start is None:
        start = prev_end
    elapsed = msg["total_elapsed_time"]
    end = start + elapsed if elapsed is not None else _unix(msg["timestamp"], base)
    if end is None or end < start:
        end = start if fallback_end is None else fallback_end
    return start, end


def _sessions(dec: _Decoded, base: float, first: float, last: float) -> list[RawSession]:
    out = []
    prev_end = first
    for s in dec.sessions:
        start, prev_end = _span(s, base, prev_end, last)
        out.append(RawSession(_sport_name(s), start, prev_end, s["total_distance"], s["total_elapsed_time"], s["total_timer_time"]))
    return sorted(out, key=lambda x: x.start)


def _laps(dec: _Decoded, base: float, first: float, last: float) -> list[RawLap]:
    out = []
    prev_end = first
    for lap in dec.laps:
        start, prev_end = _span(lap, base, prev_end, None)
        out.append(RawLap(start, prev_end, lap["total_distance"], lap["total_timer_time"]))
    return sorted(out, key=lambda x: x.start)


def _pauses(dec: _Decoded, base: float) -> list[tuple[float, float]]:
    pauses = []
    stopped_at = None
    for ts, kind in sorted(dec.timer_events, key=lambda e: e[0]):
        when = _unix(ts, base)
        if kind in STOP_TYPES:
            if stopped_at is None:
                stopped_at = when
        elif kind == "start" and stopped_at is not None:
            if when > stopped_at:
                pauses.append((stopped_at, when))
            stopped_at = None
    return pauses


def decode_fit(data: bytes, name: str) -> RawActivity:
    """Decode FIT bytes into a RawActivity (absolute times, cleaned later)."""
    if len(data) < 12 or data[8:12] != b".FIT":
        raise ReadError(name, "not a FIT file (no .FIT header)")
    dec = _decode(data)
    damage = ([dec.damage] if dec.damage else []) + dec.crc_problems
    warn = damage + dec.problems
    if not dec.rows:
        raise ReadError(name, dec.damage or "no records in this FIT file")
    arr = np.array(dec.rows, dtype=float)
    raw_t = arr[:, C_TIME]
    base, clock = float(FIT_EPOCH_S), "utc"
    finite_t = raw_t[np.isfinite(raw_t)]
    if finite_t.size and (finite_t < SYSTEM_TIME_MAX).mean() > 0.5:
        base, clock = _time_base(dec, warn)
    times = np.where(raw_t >= SYSTEM_TIME_MAX, raw_t + FIT_EPOCH_S, raw_t + base)
    first = float(np.nanmin(times)) if finite_t.size else 0.0
    last = float(np.nanmax(times)) if finite_t.size else 0.0

    sessions = _sessions(dec, base, first, last)
    sport = activity_sport(sessions, dec.sport_message or "unknown")
    foot = on_foot_mask(times, sessions, sport)

    cad = arr[:, C_CAD] + np.nan_to_num(arr[:, C_FRAC])
    cadence_spm = np.where(foot, 2.0 * cad, np.nan)
    speed = np.where(np.isfinite(arr[:, C_ESPEED]), arr[:, C_ESPEED], arr[:, C_SPEED])
    altitude = np.where(np.isfinite(arr[:, C_EALT]), arr[:, C_EALT], arr[:, C_ALT])
    heading = arr[:, C_HEADING] % 360.0
    channels = {
        "lat_deg": arr[:, C_LAT] * DEG_PER_SEMICIRCLE,
        "lon_deg": arr[:, C_LON] * DEG_PER_SEMICIRCLE,
        "distance_m": arr[:, C_DIST],
        "speed_mps": speed,
        "cadence_spm": cadence_spm,
        "step_length_m": arr[:, C_STEP] / 1000.0,
        "heading_deg": heading,
        "heart_rate_bpm": arr[:, C_HR],
        "altitude_m": altitude,
        "stance_time_ms": arr[:, C_STANCE],
        "vertical_oscillation_mm": arr[:, C_VOSC],
    }
    device_distance = None
    if any(s.distance_m is not None for s in sessions):
        device_distance = float(sum(s.distance_m or 0.0 for s in sessions))
    return RawActivity(
        file=name,
        format="fit",
        times=times,
        channels=channels,
        sport=sport,
        device=_device(dec.file_id),
        laps=_laps(dec, base, first, last),
        sessions=sessions,
        pauses=_pauses(dec, base),
        warnings=warn,
        damage=damage,
        clock=clock,
        device_distance_m=device_distance,
    )


class FitFormat:
    """Reader plugin object for FIT files."""

    name = "fit"
    suffixes = (".fit",)

    def sniff(self, head: bytes) -> bool:
        return len(head) >= 12 and head[8:12] == b".FIT"

    def read(self, data: bytes, name: str) -> Activity:
        return finish_activity(decode_fit(data, name))


READER = FitFormat()


@hookimpl
def retrotrack_register_readers() -> list:
    return [READER]

