"""A small FIT encoder for realistic synthetic watch files (tests, simulator, benchmarks).

`write_activity_fit` writes what a Garmin watch writes for a run: file_id,
timer events, records (Garmin-style cadence, a developer "heading" field with
its own scale and offset), laps, a session and an activity message, with
header and file CRCs. `FitEncoder` is the lower level: definitions, data
messages, compressed-timestamp headers, developer fields, raw bytes; tests
use it to build quirky files (chained, two records per second, summary
first, repeated or backward timestamps, truncated).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from retrotrack.atomic import write_atomic

FIT_EPOCH_S = 631065600
"""1989-12-31T00:00:00Z in Unix seconds: FIT timestamps count from here."""
SEMICIRCLES_PER_DEG = 2**31 / 180.0
PROTOCOL_VERSION = 0x20
PROFILE_VERSION = 2132

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT CRC-16 of `data`, continuing from `crc`."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


@dataclass(frozen=True)
class BaseType:
    code: int
    fmt: str
    size: int
    invalid: int | float | bytes


BASE_TYPES = {
    "enum": BaseType(0x00, "B", 1, 0xFF),
    "sint8": BaseType(0x01, "b", 1, 0x7F),
    "uint8": BaseType(0x02, "B", 1, 0xFF),
    "string": BaseType(0x07, "s", 1, b""),
    "uint8z": BaseType(0x0A, "B", 1, 0),
    "byte": BaseType(0x0D, "B", 1, 0xFF),
    "sint16": BaseType(0x83, "h", 2, 0x7FFF),
    "uint16": BaseType(0x84, "H", 2, 0xFFFF),
    "sint32": BaseType(0x85, "i", 4, 0x7FFFFFFF),
    "uint32": BaseType(0x86, "I", 4, 0xFFFFFFFF),
    "float32": BaseType(0x88, "f", 4, float("nan")),
    "float64": BaseType(0x89, "d", 8, float("nan")),
    "uint16z": BaseType(0x8B, "H", 2, 0),
    "uint32z": BaseType(0x8C, "I", 4, 0),
}

# Field tables of the messages we write: name -> (number, base type, scale, offset).
# Values passed to FitEncoder.message are physical (value = raw / scale - offset);
# position fields take degrees and date_time fields datetimes or FIT seconds.
MESSAGES: dict[str, tuple[int, dict[str, tuple[int, str, float, float]]]] = {
    "file_id": (0, {
        "type": (0, "enum", 1, 0), "manufacturer": (1, "uint16", 1, 0), "product": (2, "uint16", 1, 0),
        "serial_number": (3, "uint32z", 1, 0), "time_created": (4, "uint32", 1, 0),
    }),
    "device_info": (23, {
        "timestamp": (253, "uint32", 1, 0), "device_index": (0, "uint8", 1, 0),
        "manufacturer": (2, "uint16", 1, 0), "product": (4, "uint16", 1, 0),
        "software_version": (5, "uint16", 100, 0),
    }),
    "event": (21, {
        "timestamp": (253, "uint32", 1, 0), "event": (0, "enum", 1, 0), "event_type": (1, "enum", 1, 0),
        "data": (3, "uint32", 1, 0), "event_group": (4, "uint8", 1, 0),
    }),
    "record": (20, {
        "timestamp": (253, "uint32", 1, 0), "position_lat": (0, "sint32", 1, 0), "position_long": (1, "sint32", 1, 0),
        "altitude": (2, "uint16", 5, 500), "heart_rate": (3, "uint8", 1, 0), "cadence": (4, "uint8", 1, 0),
        "distance": (5, "uint32", 100, 0), "speed": (6, "uint16", 1000, 0),
        "vertical_oscillation": (39, "uint16", 10, 0), "stance_time": (41, "uint16", 10, 0),
        "fractional_cadence": (53, "uint8", 128, 0), "enhanced_speed": (73, "uint32", 1000, 0),
        "enhanced_altitude": (78, "uint32", 5, 500), "step_length": (85, "uint16", 10, 0),
    }),
    "lap": (19, {
        "timestamp": (253, "uint32", 1, 0), "message_index": (254, "uint16", 1, 0),
        "event": (0, "enum", 1, 0), "event_type": (1, "enum", 1, 0), "start_time": (2, "uint32", 1, 0),
        "total_elapsed_time": (7, "uint32", 1000, 0), "total_timer_time": (8, "uint32", 1000, 0),
        "total_distance": (9, "uint32", 100, 0), "lap_trigger": (24, "enum", 1, 0), "sport": (25, "enum", 1, 0),
        "sub_sport": (39, "enum", 1, 0),
    }),
    "session": (18, {
        "timestamp": (253, "uint32", 1, 0), "message_index": (254, "uint16", 1, 0),
        "event": (0, "enum", 1, 0), "event_type": (1, "enum", 1, 0), "start_time": (2, "uint32", 1, 0),
        "sport": (5, "enum", 1, 0), "sub_sport": (6, "enum", 1, 0),
        "total_elapsed_time": (7, "uint32", 1000, 0), "total_timer_time": (8, "uint32", 1000, 0),
        "total_distance": (9, "uint32", 100, 0), "first_lap_index": (25, "uint16", 1, 0),
        "num_laps": (26, "uint16", 1, 0),
    }),
    "activity": (34, {
        "timestamp": (253, "uint32", 1, 0), "total_timer_time": (0, "uint32", 1000, 0),
        "num_sessions": (1, "uint16", 1, 0), "type": (2, "enum", 1, 0), "event": (3, "enum", 1, 0),
        "event_type": (4, "enum", 1, 0), "local_timestamp": (5, "uint32", 1, 0),
    }),
    "sport": (12, {"sport": (0, "enum", 1, 0), "sub_sport": (1, "enum", 1, 0)}),
    "gps_metadata": (160, {
        "timestamp": (253, "uint32", 1, 0), "position_lat": (1, "sint32", 1, 0), "position_long": (2, "sint32", 1, 0),
        "enhanced_speed": (4, "uint32", 1000, 0), "heading": (5, "uint16", 100, 0), "utc_timestamp": (6, "uint32", 1, 0),
    }),
    "timestamp_correlation": (162, {
        "timestamp": (253, "uint32", 1, 0), "system_timestamp": (1, "uint32", 1, 0),
    }),
    "developer_data_id": (207, {
        "developer_id": (0, "byte", 1, 0), "application_id": (1, "byte", 1, 0),
        "manufacturer_id": (2, "uint16", 1, 0), "developer_data_index": (3, "uint8", 1, 0),
        "application_version": (4, "uint32", 1, 0),
    }),
    "field_description": (206, {
        "developer_data_index": (0, "uint8", 1, 0), "field_definition_number": (1, "uint8", 1, 0),
        "fit_base_type_id": (2, "uint8", 1, 0), "field_name": (3, "string", 1, 0),
        "scale": (6, "uint8", 1, 0), "offset": (7, "sint8", 1, 0), "units": (8, "string", 1, 0),
        "native_mesg_num": (14, "uint16", 1, 0), "native_field_num": (15, "uint8", 1, 0),
    }),
}
DATE_TIME_FIELDS = frozenset({"timestamp", "time_created", "start_time", "local_timestamp", "utc_timestamp",
                              "system_timestamp"})
POSITION_FIELDS = frozenset({"position_lat", "position_long"})

SPORTS = {
    "generic": 0, "running": 1, "cycling": 2, "transition": 3, "fitness_equipment": 4, "swimming": 5,
    "training": 10, "walking": 11, "rowing": 15, "hiking": 17, "multisport": 18,
}
MANUFACTURERS = {"garmin": 1, "suunto": 23, "wahoo_fitness": 32, "stryd": 95, "development": 255, "strava": 265, "coros": 294}
EVENT_TIMER, EVENT_SESSION, EVENT_LAP, EVENT_ACTIVITY = 0, 8, 9, 26
EVENT_TYPE_START, EVENT_TYPE_STOP, EVENT_TYPE_STOP_ALL = 0, 1, 4

HEADING_SCALE = 100
HEADING_OFFSET = 10
"""The developer "heading" field: raw uint16 = (degrees + offset) * scale, so readers must undo both."""


def fit_seconds(when: datetime | int | float) -> int:
    """FIT system seconds (since 1989-12-31 UTC) of a datetime; ints pass through."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return int(round(when.timestamp())) - FIT_EPOCH_S
    return int(round(when))


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class FitEncoder:
    """Builds one FIT file (header, messages, CRC); `chain` joins several.

    Local message numbers are assigned automatically per distinct definition;
    a new definition is written whenever a message's field set changes.
    Messages written with `compressed=True` use a compressed-timestamp header
    (offset from the previous timestamp, under 32 s) and local numbers 0-3.
    """

    def __init__(self, *, protocol_version: int = PROTOCOL_VERSION, profile_version: int = PROFILE_VERSION):
        self.protocol_version = protocol_version
        self.profile_version = profile_version
        self.body = bytearray()
        self._locals: dict[int, tuple] = {}
        self._next_local = {False: 4, True: 0}
        self._dev_fields: dict[tuple[int, int], tuple[str, float, float]] = {}
        self.last_timestamp: int | None = None

    # -- raw building blocks -------------------------------------------------

    def raw(self, data: bytes) -> None:
        """Append bytes verbatim (for deliberately broken files)."""
        self.body += data

    def definition(self, local: int, global_num: int, fields, dev_fields=(), *, architecture: int = 0) -> None:
        """A definition message: fields as (number, size, base type name or code);
        dev_fields as (number, size, developer_data_index)."""
        endian = ">" if architecture == 1 else "<"
        header = 0x40 | (0x20 if dev_fields else 0) | (local & 0x0F)
        out = bytearray(struct.pack(f"{endian}BBBHB", header, 0, architecture, global_num, len(fields)))
        for num, size, base in fields:
            code = BASE_TYPES[base].code if isinstance(base, str) else base
            out += struct.pack("BBB", num, size, code)
        if dev_fields:
            out.append(len(dev_fields))
            for num, size, index in dev_fields:
                out += struct.pack("BBB", num, size, index)
        self.body += out

    def data(self, local: int, payload: bytes, *, time_offset: int | None = None) -> None:
        """A data message with an already encoded payload; `time_offset` makes the
        header a compressed-timestamp one (local 0-3, offset = timestamp & 31)."""
        if time_offset is None:
            self.body.append(local & 0x0F)
        else:
            self.body.append(0x80 | ((local & 0x03) << 5) | (time_offset & 0x1F))
        self.body += payload

    # -- messages by name ----------------------------------------------------

    def developer_data_id(self, index: int = 0, *, application_id: bytes = bytes(range(16))) -> None:
        self.message("developer_data_id", developer_data_index=index, application_id=application_id,
                     developer_id=bytes(16), application_version=1)

    def field_description(self, index: int, number: int, name: str, base_type: str = "uint16", *,
                          scale: float | None = None, offset: float | None = None, units: str | None = None,
                          native_field_num: int | None = None) -> None:
        """Declare a developer field; later `message(..., dev={(index, number): value})` uses it."""
        self._dev_fields[(index, number)] = (base_type, scale or 1, offset or 0)
        self.message("field_description", developer_data_index=index, field_definition_number=number,
                     fit_base_type_id=BASE_TYPES[base_type].code, field_name=name, scale=scale, offset=offset,
                     units=units, native_field_num=native_field_num)

    def message(self, name: str, *, compressed: bool = False, local: int | None = None,
                dev: dict[tuple[int, int], float] | None = None, **values) -> None:
        """Write a data message (and its definition when needed) from physical values.

        Missing values (None/NaN) are left out of the message; pass
        `compressed=True` with a `timestamp` to use a compressed-timestamp header.
        """
        global_num, table = MESSAGES[name]
        timestamp = values.get("timestamp")
        ts = None if _is_missing(timestamp) else fit_seconds(timestamp)
        fields = []
        payload = bytearray()
        for key, value in values.items():
            if _is_missing(value) or (compressed and key == "timestamp"):
                continue
            num, base, scale, offset = table[key]
            encoded = self._encode(key, value, base, scale, offset)
            fields.append((num, len(encoded), base))
            payload += encoded
        dev_defs = []
        for (index, number), value in (dev or {}).items():
            if _is_missing(value):
                continue
            base, scale, offset = self._dev_fields[(index, number)]
            encoded = self._encode("", value, base, scale, offset)
            dev_defs.append((number, len(encoded), index))
            payload += encoded
        signature = (global_num, tuple(fields), tuple(dev_defs))
        if local is None:
            local = self._local_for(signature, compressed)
        if self._locals.get(local) != signature:
            self.definition(local, global_num, fields, dev_defs)
            self._locals[local] = signature
        if compressed:
            if ts is None or self.last_timestamp is None or not 0 <= ts - self.last_timestamp < 32:
                raise ValueError("a compressed timestamp needs a timestamp under 32 s after the previous one")
            self.data(local, bytes(payload), time_offset=ts & 0x1F)
        else:
            self.data(local, bytes(payload))
        if ts is not None:
            self.last_timestamp = ts

    def _local_for(self, signature: tuple, compressed: bool) -> int:
        for local, sig in self._locals.items():
            if sig == signature and (not compressed or local < 4):
                return local
        lo, hi = (0, 4) if compressed else (4, 16)
        local = self._next_local[compressed]
        self._next_local[compressed] = lo + (local + 1 - lo) % (hi - lo)
        return local

    @staticmethod
    def _encode(key: str, value, base: str, scale: float, offset: float) -> bytes:
        bt = BASE_TYPES[base]
        if base == "string":
            raw = str(value).encode("utf-8") + b"\0"
            return raw
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if key in DATE_TIME_FIELDS:
            raw = fit_seconds(value)
        elif key in POSITION_FIELDS:
            raw = int(round(float(value) * SEMICIRCLES_PER_DEG))
        elif bt.fmt in "fd":
            raw = (float(value) + offset) * scale
        else:
            raw = int(round((float(value) + offset) * scale))
            lo, hi = _int_range(bt)
            if not lo <= raw <= hi or raw == bt.invalid:
                raw = bt.invalid
        return struct.pack("<" + bt.fmt, raw)

    # -- output ---------------------------------------------------------------

    def to_bytes(self, *, data_size: int | None = None, with_crc: bool = True) -> bytes:
        """Header + body + file CRC. `data_size` overrides the header's body size
        (for truncated files); `with_crc=False` leaves the final CRC off."""
        size = len(self.body) if data_size is None else data_size
        head = struct.pack("<BBHI4s", 14, self.protocol_version, self.profile_version, size, b".FIT")
        head += struct.pack("<H", fit_crc(head))
        out = head + bytes(self.body)
        if with_crc:
            out += struct.pack("<H", fit_crc(out))
        return out


def _int_range(bt: BaseType) -> tuple[int, int]:
    bits = bt.size * 8
    if bt.fmt.islower():
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def chain(*files: bytes) -> bytes:
    """Chained FIT files: complete files one after another, as some devices write them."""
    return b"".join(files)


def _array(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    out = np.asarray(values, dtype=float)
    if out.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {out.shape}")
    return out


def _paused_s(start_s: float, end_s: float, pauses) -> float:
    return sum(max(0.0, min(end_s, b) - max(start_s, a)) for a, b in pauses)


def write_activity_fit(target, *, start_time: datetime, t_s, lat_deg=None, lon_deg=None, distance_m=None,
                       speed_mps=None, cadence_spm=None, heart_rate_bpm=None, altitude_m=None,
                       heading_deg=None, step_length_m=None, stance_time_ms=None, laps=(), sport="running", pauses=(),
                       compressed_timestamps=False, summary_first=False, manufacturer="garmin",
                       product=None) -> bytes:
    """Encode an activity as a Garmin-style FIT file; write it to `target` (a path) unless None.

    Arrays share the length of `t_s` (seconds after `start_time`, rounded to
    whole seconds); NaN leaves a field out of that record. `cadence_spm` is
    steps/min (both feet), written as one foot's strides/min plus
    fractional_cadence. `heading_deg` (facing direction) becomes the developer
    field "heading". `laps` are (start_s, end_s, distance_m); empty writes one
    lap over the whole activity, None writes no lap. `pauses` are
    (start_s, end_s) timer stop/start pairs.
    """
    t = np.asarray(t_s, dtype=float)
    n = t.size
    if n == 0:
        raise ValueError("an activity needs at least one record")
    lat, lon = _array(lat_deg, n), _array(lon_deg, n)
    dist, speed = _array(distance_m, n), _array(speed_mps, n)
    cad, hr, alt = _array(cadence_spm, n), _array(heart_rate_bpm, n), _array(altitude_m, n)
    heading, step, stance = _array(heading_deg, n), _array(step_length_m, n), _array(stance_time_ms, n)
    t0 = fit_seconds(start_time)
    ts = t0 + np.round(t).astype(np.int64)
    t_end = int(ts[-1])
    pauses = [(float(a), float(b)) for a, b in pauses]

    if np.isfinite(dist).any():
        total_distance = float(np.nanmax(dist))
    elif np.isfinite(lat).any():
        from retrotrack.geo import cumulative_distance_m

        total_distance = float(cumulative_distance_m(lat, lon)[-1])
    else:
        total_distance = None
    elapsed = float(t_end - t0)
    timer = elapsed - _paused_s(0.0, elapsed, pauses)
    if laps is None:
        lap_list = []
    elif len(laps) == 0:
        lap_list = [(0.0, elapsed, total_distance)]
    else:
        lap_list = [(float(a), float(b), d) for a, b, d in laps]
    sport_code = SPORTS[sport]

    enc = FitEncoder()
    enc.message("file_id", type=4, manufacturer=MANUFACTURERS.get(manufacturer, 255), product=product,
                serial_number=3_141_592_653, time_created=t0)
    enc.message("device_info", timestamp=t0, device_index=0, manufacturer=MANUFACTURERS.get(manufacturer, 255),
                product=product, software_version=12.34)
    if np.isfinite(heading).any():
        enc.developer_data_id(0)
        enc.field_description(0, 0, "heading", "uint16", scale=HEADING_SCALE, offset=HEADING_OFFSET, units="degrees")

    def summary() -> None:
        for i, (a, b, d) in enumerate(lap_list):
            enc.message("lap", timestamp=t0 + int(round(b)) if not summary_first else t0, message_index=i,
                        event=EVENT_LAP, event_type=EVENT_TYPE_STOP, start_time=t0 + int(round(a)),
                        total_elapsed_time=b - a, total_timer_time=(b - a) - _paused_s(a, b, pauses),
                        total_distance=d, lap_trigger=0, sport=sport_code, sub_sport=0)
        enc.message("session", timestamp=t0 if summary_first else t_end, message_index=0, event=EVENT_SESSION,
                    event_type=EVENT_TYPE_STOP, start_time=t0, sport=sport_code, sub_sport=0,
                    total_elapsed_time=elapsed, total_timer_time=timer, total_distance=total_distance,
                    first_lap_index=0, num_laps=len(lap_list))
        enc.message("activity", timestamp=t0 if summary_first else t_end, total_timer_time=timer, num_sessions=1,
                    type=0, event=EVENT_ACTIVITY, event_type=EVENT_TYPE_STOP, local_timestamp=t_end)

    if summary_first:
        summary()
    enc.message("event", timestamp=t0, event=EVENT_TIMER, event_type=EVENT_TYPE_START, event_group=0)
    events = sorted([(t0 + int(round(a)), EVENT_TYPE_STOP_ALL) for a, _ in pauses]
                    + [(t0 + int(round(b)), EVENT_TYPE_START) for _, b in pauses])
    ev = 0

    strides = cad / 2.0
    whole = np.floor(strides)
    frac = np.round((strides - whole) * 128.0)
    carry = frac >= 128
    whole[carry] += 1
    frac[carry] = 0
    for i in range(n):
        ti = int(ts[i])
        while ev < len(events) and events[ev][0] <= ti:
            enc.message("event", timestamp=events[ev][0], event=EVENT_TIMER, event_type=events[ev][1], event_group=0)
            ev += 1
        compressed = (compressed_timestamps and enc.last_timestamp is not None
                      and 0 <= ti - enc.last_timestamp < 32 and i > 0)
        enc.message(
            "record", compressed=compressed, timestamp=ti,
            position_lat=lat[i] if np.isfinite(lon[i]) else None,
            position_long=lon[i] if np.isfinite(lat[i]) else None,
            distance=dist[i], speed=speed[i], heart_rate=hr[i], altitude=alt[i],
            cadence=whole[i], fractional_cadence=frac[i] / 128.0 if np.isfinite(frac[i]) else None,
            step_length=step[i] * 1000.0 if np.isfinite(step[i]) else None,
            stance_time=stance[i] if np.isfinite(stance[i]) else None,
            dev={(0, 0): heading[i] % 360.0} if np.isfinite(heading[i]) else None,
        )
    while ev < len(events):
        enc.message("event", timestamp=events[ev][0], event=EVENT_TIMER, event_type=events[ev][1], event_group=0)
        ev += 1
    enc.message("event", timestamp=t_end, event=EVENT_TIMER, event_type=EVENT_TYPE_STOP_ALL, event_group=0)
    if not summary_first:
        summary()
    data = enc.to_bytes()
    if target is not None:
        write_atomic(Path(target), data)
    return data
