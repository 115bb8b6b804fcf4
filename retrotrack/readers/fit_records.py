"""A fast path for the FIT reader's hot loop: record messages decoded with struct.

A 1 Hz file of a 10 km race holds thousands of record messages, and fitdecode
spends about 80 µs on each (an object per field value): most of the time a
race takes to time. Records are plain, a few fixed-size fields of FIT base
types with a scale and an offset, so they are decoded here with one
precompiled struct per definition, scaled as fitdecode's own profile says.
Every other message (laps, sessions, events, the file id, whose enums need
the whole profile) is copied into a small FIT stream for fitdecode to read as
before.

Developer fields in records are skipped, except one that the caller's
`heading_of` recognises from its description (a compass heading), decoded
with the description's base type. Files outside the plain layout return None
and are read by fitdecode alone: compressed timestamp headers, chained files,
a field whose size does not fit its type, a developer field without a
description, a record field packing values into bits
(compressed_speed_distance), damage of any kind (anything fitdecode complains
about in the other messages sends the whole file to it, for its own words). Both paths give the same
activity (tests/test_fit_records.py compares them on every FIT file at hand).
"""

from __future__ import annotations

import struct
from typing import Callable, Protocol

from fitdecode.profile import MESSAGE_TYPES

MESG_RECORD = 20
MESG_FIELD_DESCRIPTION = 206


class DevHeading(Protocol):
    """A developer heading field's transform: degrees = (raw / scale - offset) * factor."""

    scale: float
    offset: float
    factor: float


HeadingOf = Callable[[str, object, object, object], "DevHeading | None"]
"""(field name, scale, offset, units) of a developer field -> its heading transform, or None."""
(C_TIME, C_LAT, C_LON, C_DIST, C_ESPEED, C_SPEED, C_CAD, C_FRAC, C_HR, C_EALT, C_ALT,
 C_STEP, C_STANCE, C_VOSC, C_HEADING) = range(15)
N_COLS = 15
NATIVE_COLUMNS = {
    "timestamp": C_TIME, "position_lat": C_LAT, "position_long": C_LON, "distance": C_DIST,
    "enhanced_speed": C_ESPEED, "speed": C_SPEED, "cadence": C_CAD, "fractional_cadence": C_FRAC,
    "heart_rate": C_HR, "enhanced_altitude": C_EALT, "altitude": C_ALT, "step_length": C_STEP,
    "stance_time": C_STANCE, "vertical_oscillation": C_VOSC,
}
"""Record field name -> column of a record's row, on both paths (here and readers/fit.py's fitdecode loop);
a developer heading field goes to C_HEADING."""

# FIT base types as declared, but for text and raw bytes (fitdecode's to read): struct code, size, invalid raw value.
_BASE = {
    0x00: ("B", 1, 0xFF), 0x01: ("b", 1, 0x7F), 0x02: ("B", 1, 0xFF), 0x83: ("h", 2, 0x7FFF),
    0x84: ("H", 2, 0xFFFF), 0x85: ("i", 4, 0x7FFFFFFF), 0x86: ("I", 4, 0xFFFFFFFF),
    0x88: ("f", 4, None), 0x89: ("d", 8, None),  # all bits set is invalid, and reads as NaN
    0x0A: ("B", 1, 0x00), 0x8B: ("H", 2, 0x0000), 0x8C: ("I", 4, 0x00000000),
    0x8E: ("q", 8, 0x7FFFFFFFFFFFFFFF), 0x8F: ("Q", 8, 0xFFFFFFFFFFFFFFFF), 0x90: ("Q", 8, 0x0000000000000000),
}


def _record_fields() -> dict[int, tuple[int, float, float]]:
    """Field number -> (column, scale, offset) for the record fields the reader keeps."""
    out = {}
    for num, field in MESSAGE_TYPES[MESG_RECORD].fields.items():
        if field.name in NATIVE_COLUMNS:
            out[num] = (NATIVE_COLUMNS[field.name], float(field.scale or 1.0), float(field.offset or 0.0))
    return out


RECORD_FIELDS = _record_fields()
PACKED_FIELDS = frozenset(
    num for num, field in MESSAGE_TYPES[MESG_RECORD].fields.items()
    if num not in RECORD_FIELDS and any(c.name in NATIVE_COLUMNS for c in (field.components or ()))
)
"""Record fields whose bits hold values of kept fields (compressed_speed_distance): fitdecode's to expand."""


class _Layout:
    """How to read one record definition's data messages."""

    __slots__ = ("unpack", "slots")

    def __init__(self, fmt: str, slots: list[tuple[int, int, float, float, float, int]]) -> None:
        self.unpack = struct.Struct(fmt).unpack_from
        self.slots = slots
        """(value index, column, scale, offset, factor, invalid raw value) for each kept field:
        the column gets (raw / scale - offset) * factor."""


def _record_layout(endian: str, fields: list[tuple[int, int, int]], dev_fields: list[tuple[int, int, int]],
                   described: dict[tuple[int, int], tuple], heading_of: HeadingOf | None) -> _Layout | None:
    """The layout of a record definition: its (number, size, base type) fields and (number, size, developer
    index) developer fields; None where it is not plain."""
    fmt = [endian]
    slots = []

    def keep(fsize: int, base: int, col: int, scale: float, offset: float, factor: float) -> bool:
        code = _BASE.get(base)
        if code is None or code[1] != fsize:
            return False
        fmt.append(code[0])
        slots.append((len(slots), col, scale, offset, factor, code[2]))
        return True

    for num, fsize, base in fields:
        kept = RECORD_FIELDS.get(num)
        if num in PACKED_FIELDS:
            return None
        if kept is None:
            fmt.append(f"{fsize}x")
        elif not keep(fsize, base, kept[0], kept[1], kept[2], 1.0):
            return None
    for num, fsize, index in dev_fields:
        desc = described.get((index, num))
        if desc is None:
            return None  # a developer field without a description: fitdecode's to report
        h = heading_of(*desc[1:]) if heading_of is not None else None
        if h is None or not keep(fsize, desc[0], C_HEADING, h.scale, h.offset, h.factor):
            # Not a heading, or an array or text value (which the fitdecode path skips as well).
            fmt.append(f"{fsize}x")
    return _Layout("".join(fmt), slots)


VALID_BASES = frozenset(_BASE) | {0x07, 0x0D}
DESCRIPTION_BASES = {0: 0x02, 1: 0x02, 2: 0x02, 3: 0x07, 6: 0x02, 7: 0x01, 8: 0x07}
"""The base types field_description's fields have in FIT's profile (uint8, text, sint8)."""


def _description(data: bytes, pos: int, fields: list[tuple[int, int, int]]) -> tuple[tuple[int, int], tuple] | None:
    """(developer index, field number) -> (base type, name, scale, offset, units) from a field_description.

    Raises ValueError where the description is not as FIT's profile has it (fitdecode's to make sense of).
    """
    got = {}
    for num, fsize, base in fields:
        want = DESCRIPTION_BASES.get(num)
        if want is not None and (base != want or (want != 0x07 and fsize != 1)):
            raise ValueError("an odd field description")
        got[num] = (data[pos:pos + fsize], base)
        pos += fsize

    def byte(num: int, signed: bool = False):
        raw = got.get(num)
        if raw is None or len(raw[0]) != 1:
            return None
        v = raw[0][0]
        if signed:
            v = v - 256 if v > 127 else v
            return None if v == 0x7F else v
        return None if v == 0xFF else v

    def text(num: int) -> str | None:
        raw = got.get(num)
        if raw is None:
            return None
        s = raw[0].split(b"\0", 1)[0].decode("utf-8", errors="replace")
        return s or None

    index, number, base = byte(0), byte(1), byte(2)
    if index is None or number is None or base is None:
        return None
    if base not in VALID_BASES:
        raise ValueError("an unknown base type")
    return (index, number), (base, text(3) or "", byte(6), byte(7, signed=True), text(8))


def decode_records(data: bytes, heading_of: HeadingOf | None = None) -> tuple[list[list[float]], bytes] | None:
    """(rows of record values, the file's other messages as a FIT stream), or None for fitdecode alone.

    Rows hold NaN where a record lacks a field or holds its invalid value, as
    the fitdecode path's rows do; a developer field that `heading_of` takes for
    a heading goes to column C_HEADING.
    """
    if len(data) < 14:
        return None
    header_size = data[0]
    if header_size < 12 or data[8:12] != b".FIT":
        return None
    body_size = int.from_bytes(data[4:8], "little")
    end = header_size + body_size
    if end + 2 != len(data):
        return None  # chained, trailing bytes, or cut short
    nan = float("nan")
    blank = [nan] * N_COLS
    rows: list[list[float]] = []
    other = bytearray()
    layouts: dict[int, _Layout | None] = {}
    sizes: dict[int, int] = {}
    descriptions: dict[int, list[tuple[int, int, int]]] = {}
    described: dict[tuple[int, int], tuple] = {}
    pos = header_size
    while pos < end:
        head = data[pos]
        if head & 0x80:
            return None  # a compressed timestamp header
        local = head & 0x0F
        if head & 0x40:
            if pos + 6 > end:
                return None
            if data[pos + 2] > 1:
                return None  # an architecture byte that is neither little (0) nor big (1) endian
            endian = ">" if data[pos + 2] == 1 else "<"
            stop = pos + 6 + 3 * data[pos + 5]
            if stop > end:
                return None
            glob = struct.unpack_from(endian + "H", data, pos + 3)[0]
            fields = [(data[k], data[k + 1], data[k + 2]) for k in range(pos + 6, stop, 3)]
            dev_fields = []
            if head & 0x20:
                if stop >= end:
                    return None
                dev_stop = stop + 1 + 3 * data[stop]
                if dev_stop > end:
                    return None
                dev_fields = [(data[k], data[k + 1], data[k + 2]) for k in range(stop + 1, dev_stop, 3)]
                stop = dev_stop
            sizes[local] = sum(f[1] for f in fields) + sum(f[1] for f in dev_fields)
            descriptions.pop(local, None)
            if glob == MESG_RECORD:
                layout = _record_layout(endian, fields, dev_fields, described, heading_of)
                if layout is None:
                    return None
                layouts[local] = layout
            else:
                layouts[local] = None
                if glob == MESG_FIELD_DESCRIPTION:
                    descriptions[local] = fields
                other += data[pos:stop]
            pos = stop
            continue
        size = sizes.get(local)
        if size is None or pos + 1 + size > end:
            return None
        layout = layouts[local]
        if layout is None:
            other += data[pos:pos + 1 + size]
            if local in descriptions:
                try:
                    found = _description(data, pos + 1, descriptions[local])
                except ValueError:
                    return None
                if found is not None:
                    described[found[0]] = found[1]
        else:
            values = layout.unpack(data, pos + 1)
            row = blank[:]
            for i, col, scale, offset, factor, invalid in layout.slots:
                v = values[i]
                if v != invalid:
                    row[col] = (v / scale - offset) * factor
            rows.append(row)
        pos += 1 + size
    stream = bytes([12, data[1]]) + data[2:4] + len(other).to_bytes(4, "little") + b".FIT" + bytes(other) + b"\0\0"
    return rows, stream
