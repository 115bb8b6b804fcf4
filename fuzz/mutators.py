"""Mutators: each takes bytes and a seeded random.Random and returns new bytes plus a description.

Every mutation is a pure function of (source bytes, seed), so a failing input can
be replayed from a recipe (source file name + seed) instead of being copied:
that is how inputs derived from GPL-licensed files are kept as regressions.

FIT mutators work on the record structure (fuzz.fitstruct): truncation at
every structural boundary, dropped/duplicated/swapped messages, absurd
definitions, timestamps decades away, out-of-range and invalid coordinates,
zero and negative time steps; then, half the time, sizes and CRCs are fixed so
the damage reaches the decoder instead of stopping at the CRC check.
GPX mutators work on the XML text: element boundaries, trkpt order, values,
encodings, and hostile XML (entities, deep nesting).
"""

from __future__ import annotations

import random
import re
import struct
from dataclasses import dataclass, field
from typing import Callable

from fuzz import fitstruct as fs
from fuzz.seeds import gzip_bomb, gzip_bytes

RECORD = 20


@dataclass
class Mutant:
    name: str
    """File name to give the input (its extension matters: .fit, .gpx, .gz)."""
    data: bytes
    ops: list[str] = field(default_factory=list)


# --- generic byte mutations ------------------------------------------------------------------


def bitflip(data: bytes, rng: random.Random, lo: int = 0, hi: int | None = None) -> tuple[bytes, str]:
    hi = len(data) if hi is None else hi
    if hi <= lo:
        return data, "bitflip(none)"
    buf = bytearray(data)
    n = rng.choice((1, 1, 2, 3, 8, 32))
    for _ in range(n):
        i = rng.randrange(lo, hi)
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf), f"bitflip(n={n},range={lo}-{hi})"


def byteset(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if not data:
        return data, "byteset(none)"
    buf = bytearray(data)
    i = rng.randrange(len(buf))
    k = rng.choice((1, 2, 4, 8, 64))
    val = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    buf[i : i + k] = bytes([val]) * len(buf[i : i + k])
    return bytes(buf), f"byteset(at={i},len={k},val={val})"


def truncate_random(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    n = rng.randrange(len(data) + 1) if data else 0
    return data[:n], f"truncate(at={n})"


def insert_garbage(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    i = rng.randrange(len(data) + 1)
    kind = rng.choice(("zeros", "ff", "random", "text"))
    n = rng.choice((1, 3, 16, 257, 4096))
    blob = {"zeros": b"\0" * n, "ff": b"\xff" * n, "random": rng.randbytes(n), "text": (b"garbage " * n)[:n]}[kind]
    return data[:i] + blob + data[i:], f"insert({kind},n={n},at={i})"


def splice(data: bytes, other: bytes, rng: random.Random) -> tuple[bytes, str]:
    if not other:
        return data, "splice(none)"
    a = rng.randrange(len(data) + 1)
    b = rng.randrange(len(other) + 1)
    c = min(len(other), b + rng.choice((16, 256, 4096, 65536)))
    if rng.random() < 0.5:
        return data[:a] + other[b:c] + data[a:], f"splice(insert at {a}, other[{b}:{c}])"
    return data[:a] + other[b:], f"splice(tail at {a}, other[{b}:])"


# --- FIT ---------------------------------------------------------------------------------------


def _records(layout: fs.FitLayout) -> list[fs.Message]:
    return [m for m in layout.messages if m.kind != "def" and m.global_num == RECORD]


def fit_truncate_boundary(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    points = layout.boundaries()
    at = rng.choice(points)
    at = max(0, min(len(data), at + rng.choice((0, 0, 0, 1, -1))))
    return data[:at], f"fit_truncate(at={at})"


def _rebuild(data: bytes, layout: fs.FitLayout, chunks_fn: Callable[[list[bytes]], tuple[list[bytes], str]], rng: random.Random) -> tuple[bytes, str]:
    if not layout.chains:
        return data, "no-chain"
    ci = rng.randrange(len(layout.chains))
    chain = layout.chains[ci]
    chunks = fs.message_chunks(data, chain)
    if not chunks:
        return data, "no-messages"
    new, desc = chunks_fn(chunks)
    fix = rng.random() < 0.7
    return fs.rebuild(data, layout, new, ci, fix_crc=fix), desc + ("+fixcrc" if fix else "")


def fit_drop(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    def f(chunks):
        i = rng.randrange(len(chunks))
        k = rng.choice((1, 1, 2, 10, 100))
        return chunks[:i] + chunks[i + k :], f"fit_drop(msg={i},n={k})"

    return _rebuild(data, layout, f, rng)


def fit_duplicate(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    def f(chunks):
        i = rng.randrange(len(chunks))
        k = rng.choice((1, 1, 2, 10))
        copies = rng.choice((1, 1, 2, 5, 50))
        block = chunks[i : i + k] * copies
        return chunks[: i + k] + block + chunks[i + k :], f"fit_dup(msg={i},n={k},x{copies})"

    return _rebuild(data, layout, f, rng)


def fit_swap(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    def f(chunks):
        if len(chunks) < 2:
            return chunks, "fit_swap(none)"
        i = rng.randrange(len(chunks) - 1)
        j = min(len(chunks) - 1, i + rng.choice((1, 1, 5, 50)))
        new = list(chunks)
        new[i], new[j] = new[j], new[i]
        return new, f"fit_swap({i},{j})"

    return _rebuild(data, layout, f, rng)


def fit_reverse_records(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    """Reverse a run of consecutive messages: timestamps go backward."""

    def f(chunks):
        i = rng.randrange(len(chunks))
        k = rng.choice((3, 20, 200))
        return chunks[:i] + chunks[i : i + k][::-1] + chunks[i + k :], f"fit_reverse({i},n={k})"

    return _rebuild(data, layout, f, rng)


def fit_absurd_definition(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    defs = [m for m in layout.messages if m.kind == "def"]
    if not defs:
        return data, "no-defs"
    key = [m for m in defs if m.global_num in (0, 18, 19, 20, 21, 23, 34, 206, 207)]
    m = rng.choice(key if key and rng.random() < 0.7 else defs)
    buf = bytearray(data)
    p = m.offset
    what = rng.choice(("nfields", "fieldsize", "fieldsize0", "arch", "global", "basetype", "devflag", "devsize", "local", "reserved"))
    nf = buf[p + 5] if p + 5 < len(buf) else 0
    if what == "nfields":
        buf[p + 5] = rng.choice((0, 255, nf + 1, max(0, nf - 1)))
    elif what in ("fieldsize", "fieldsize0") and nf:
        k = rng.randrange(nf)
        size = buf[p + 6 + 3 * k + 1]
        # 2x/3x the size: an array where one value is expected; odd sizes: misaligned fields
        buf[p + 6 + 3 * k + 1] = 0 if what == "fieldsize0" else rng.choice((255, 3, 7, 128, 1, min(255, 2 * size), min(255, 3 * size)))
    elif what == "arch":
        buf[p + 2] = rng.choice((1, 2, 0x80, 0xFF)) if buf[p + 2] == 0 else rng.choice((0, 2, 0xFF))
    elif what == "global":
        struct.pack_into("<H", buf, p + 3, rng.choice((0xFFFF, 0xFF00, RECORD, 0, 18, 19, 34, 206, 207, rng.randrange(65536))))
    elif what == "basetype" and nf:
        k = rng.randrange(nf)
        buf[p + 6 + 3 * k + 2] = rng.choice((0x00, 0x07, 0x0D, 0x88, 0x89, 0x8F, 0xFF, rng.randrange(256)))
    elif what == "devflag":
        buf[p] |= 0x20
    elif what == "devsize":
        dev = [f for f in m.definition.fields if f.developer]
        if dev:
            # offset of the dev field's size byte: after 6 + 3*nf + 1 (count) bytes
            k = rng.randrange(len(dev))
            buf[p + 6 + 3 * nf + 1 + 3 * k + 1] = rng.choice((0, 255, 64))
        else:
            buf[p] |= 0x20
    elif what == "local":
        buf[p] = (buf[p] & 0xF0) | rng.randrange(16)
    elif what == "reserved":
        buf[p + 1] = 0xFF
    out = bytes(buf)
    if rng.random() < 0.6:
        out = fs.fix_all_crcs(out)
    return out, f"fit_absurd_def({what},at={p})"


_TS_VALUES = (0, 1, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x10000000, 2**31 + 12345)


def fit_timestamps(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    msgs = [m for m in layout.messages if m.kind == "data" and m.definition and m.definition.field(253)]
    if not msgs:
        return data, "no-timestamps"
    recs = [m for m in msgs if m.global_num == RECORD] or msgs
    buf = bytearray(data)
    mode = rng.choice(("extreme", "extreme_run", "repeat", "backward", "jump", "decades", "all_same", "other_msgs"))
    i = rng.randrange(len(recs))
    k = rng.choice((1, 1, 5, 100, 10_000))
    target = recs[i : i + k]
    prev = fs.read_field(data, recs[i - 1], 253) if i > 0 else None
    prev = prev if prev is not None else 1_000_000_000
    for j, m in enumerate(target):
        cur = fs.read_field(data, m, 253) or 0
        if mode == "extreme":
            v = rng.choice(_TS_VALUES)
            target = target[:1]
        elif mode == "extreme_run":
            v = rng.choice(_TS_VALUES)
        elif mode == "repeat":
            v = prev
        elif mode == "backward":
            v = prev - rng.choice((1, 60, 3600, 86400 * 400))
        elif mode == "jump":
            v = cur + rng.choice((10**6, 10**8, -(10**6), 86400 * 365 * 30))
        elif mode == "decades":
            v = cur + 86400 * 365 * rng.choice((-30, 30, 60))
        elif mode == "all_same":
            v = prev
        else:
            continue
        fs.write_field(buf, m, 253, v)
        if mode == "extreme":
            break
    if mode == "other_msgs":
        others = [m for m in msgs if m.global_num != RECORD]
        for m in rng.sample(others, min(len(others), 3)):
            for num in (253, 2, 4):  # timestamp, start_time (lap/session), time_created (file_id)
                fs.write_field(buf, m, num, rng.choice(_TS_VALUES))
    out = bytes(buf)
    if rng.random() < 0.7:
        out = fs.fix_all_crcs(out)
    return out, f"fit_ts({mode},rec={i},n={k})"


_SEMI_BAD = (0x7FFFFFFF, 0x80000000, 0x80000001, 0x40000001, 0x3FFFFFFF + 2, 0xC0000000 - 5, 0, 0xFFFFFFFF)


def fit_coordinates(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    recs = [m for m in _records(layout) if m.definition.field(0)]
    if not recs:
        return data, "no-positions"
    buf = bytearray(data)
    i = rng.randrange(len(recs))
    k = rng.choice((1, 1, 3, 50, 100_000))
    mode = rng.choice(("invalid", "out_of_range", "teleport", "zero", "swap", "random"))
    for m in recs[i : i + k]:
        lat = fs.read_field(data, m, 0, signed=True) or 0
        lon = fs.read_field(data, m, 1, signed=True) or 0
        if mode == "invalid":
            fs.write_field(buf, m, 0, 0x7FFFFFFF)
            fs.write_field(buf, m, rng.choice((0, 1)), 0x7FFFFFFF)
        elif mode == "out_of_range":
            fs.write_field(buf, m, 0, rng.choice(_SEMI_BAD))
            fs.write_field(buf, m, 1, rng.choice(_SEMI_BAD))
        elif mode == "teleport":
            fs.write_field(buf, m, 0, lat + rng.choice((2**28, -(2**28), 2**20)))
        elif mode == "zero":
            fs.write_field(buf, m, 0, 0)
            fs.write_field(buf, m, 1, 0)
        elif mode == "swap":
            fs.write_field(buf, m, 0, lon)
            fs.write_field(buf, m, 1, lat)
        else:
            fs.write_field(buf, m, 0, rng.getrandbits(32))
            fs.write_field(buf, m, 1, rng.getrandbits(32))
    out = bytes(buf)
    if rng.random() < 0.7:
        out = fs.fix_all_crcs(out)
    return out, f"fit_coords({mode},rec={i},n={k})"


# record fields: 2 altitude, 3 heart_rate, 4 cadence, 5 distance, 6 speed, 53 fractional_cadence,
# 73 enhanced_speed, 78 enhanced_altitude, 39 vertical_oscillation, 41 stance_time, 85 step_length
_VALUE_FIELDS = (2, 3, 4, 5, 6, 53, 73, 78, 39, 41, 85, 13)


def fit_values(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    recs = _records(layout)
    if not recs:
        return data, "no-records"
    buf = bytearray(data)
    num = rng.choice(_VALUE_FIELDS)
    i = rng.randrange(len(recs))
    k = rng.choice((1, 1, 10, 100_000))
    mode = rng.choice(("max", "invalid", "zero", "random", "decreasing"))
    for j, m in enumerate(recs[i : i + k]):
        if mode == "max":
            v = 0xFFFFFFFE
        elif mode == "invalid":
            v = 0xFFFFFFFF
        elif mode == "zero":
            v = 0
        elif mode == "random":
            v = rng.getrandbits(32)
        else:
            v = max(0, 10_000_000 - 997 * j)
        fs.write_field(buf, m, num, v)
    out = bytes(buf)
    if rng.random() < 0.7:
        out = fs.fix_all_crcs(out)
    return out, f"fit_values(field={num},{mode},rec={i},n={k})"


def fit_header(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    if len(data) < 12:
        return data, "no-header"
    buf = bytearray(data)
    what = rng.choice(("hsize", "dsize", "dsize_huge", "dsize_zero", "sig", "proto", "hcrc", "fcrc", "no_fcrc"))
    if what == "hsize":
        buf[0] = rng.choice((0, 1, 12, 13, 14, 15, 255))
    elif what == "dsize":
        struct.pack_into("<I", buf, 4, max(0, struct.unpack_from("<I", buf, 4)[0] + rng.choice((-1, 1, -100, 100, 7))))
    elif what == "dsize_huge":
        struct.pack_into("<I", buf, 4, rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 10**9)))
    elif what == "dsize_zero":
        struct.pack_into("<I", buf, 4, 0)
    elif what == "sig":
        buf[8:12] = rng.choice((b".FTI", b"\0\0\0\0", b".fit", b"FIT."))
    elif what == "proto":
        buf[1] = rng.choice((0, 0xFF, 0x10, 0x20, 0x30))
    elif what == "hcrc" and len(buf) >= 14:
        buf[12] ^= 0xFF
    elif what == "fcrc":
        buf[-1] ^= 0x5A
    elif what == "no_fcrc":
        del buf[-2:]
    return bytes(buf), f"fit_header({what})"


def fit_compress_timestamps(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    """Turn normal record headers into compressed-timestamp headers (wrong definitions, stale offsets)."""
    recs = [m for m in _records(layout) if m.kind == "data"]
    if not recs:
        return data, "no-records"
    buf = bytearray(data)
    i = rng.randrange(len(recs))
    for m in recs[i : i + rng.choice((1, 5, 100))]:
        buf[m.offset] = 0x80 | ((m.local & 3) << 5) | rng.randrange(32)
    out = bytes(buf)
    if rng.random() < 0.7:
        out = fs.fix_all_crcs(out)
    return out, f"fit_compressed_ts(rec={i})"


def fit_message_bitflip(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    msgs = layout.messages
    if not msgs:
        return bitflip(data, rng)
    m = rng.choice(msgs)
    out, desc = bitflip(data, rng, m.offset, m.end)
    if rng.random() < 0.7:
        out = fs.fix_all_crcs(out)
    return out, f"fit_msg_{desc}(kind={m.kind},global={m.global_num})"


def fit_blowup(data: bytes, rng: random.Random, layout: fs.FitLayout) -> tuple[bytes, str]:
    """Many copies of the record run: a big but structurally valid file (bounded to ~3 MB)."""

    def f(chunks):
        times = rng.choice((10, 50))
        times = max(1, min(times, 3_000_000 // max(1, sum(map(len, chunks)))))
        return chunks * times, f"fit_blowup(x{times})"

    return _rebuild(data, layout, f, rng)


def fit_chain(data: bytes, rng: random.Random, layout: fs.FitLayout, other: bytes) -> tuple[bytes, str]:
    """Chain another FIT file after this one (as multi-file FIT does), or a truncated one."""
    tail = other if rng.random() < 0.6 else other[: rng.randrange(len(other) + 1)]
    return data + tail, "fit_chain"


FIT_OPS = [
    fit_truncate_boundary,
    fit_truncate_boundary,
    fit_drop,
    fit_duplicate,
    fit_swap,
    fit_reverse_records,
    fit_absurd_definition,
    fit_absurd_definition,
    fit_timestamps,
    fit_timestamps,
    fit_coordinates,
    fit_values,
    fit_header,
    fit_compress_timestamps,
    fit_message_bitflip,
    fit_message_bitflip,
    fit_blowup,
]


# --- GPX ---------------------------------------------------------------------------------------

_TRKPT = re.compile(rb"<(?:\w+:)?trkpt\b.*?</(?:\w+:)?trkpt>|<(?:\w+:)?trkpt\b[^>]*/>", re.S)
_TIME = re.compile(rb"(<(?:\w+:)?time>)([^<]*)(</(?:\w+:)?time>)")
_LATLON = re.compile(rb'\b(lat|lon)=(["\'])([^"\']*)\2')

_BAD_TIMES = (
    b"0001-01-01T00:00:00Z",
    b"9999-12-31T23:59:59Z",
    b"1970-01-01T00:00:00Z",
    b"1900-01-01T00:00:00Z",
    b"2100-01-01T00:00:00Z",
    b"2026-13-45T25:61:61Z",
    b"2026-02-30T10:00:00Z",
    b"2026-06-14T09:00:00+14:00",
    b"2026-06-14T09:00:00-12:00",
    b"2026-06-14T09:00:00",
    b"2026-06-14T09:00:00.123456789Z",
    b"2026-06-14 09:00:00",
    b"2026-06-14",
    b"",
    b"yesterday",
    b"NaN",
    b"1749891600",
    b"+275760-09-13T00:00:00Z",
    b"2026-06-14T09:00:60Z",
    b"2026-06-14T24:00:00Z",
)
_BAD_COORDS = (
    b"NaN", b"nan", b"inf", b"-inf", b"Infinity", b"1e308", b"-1e308", b"1e-320", b"91", b"-90.0000001", b"180.0000001",
    b"-181", b"360", b"", b" ", b"undefined", b"53,34", b"0x35", b" 53.34 ", b"5.3e1", b"--53", b"1" * 400, b"0", b"-0",
)
_BAD_NUMBERS = (b"NaN", b"-1", b"0", b"65535", b"1e9", b"-1e9", b"abc", b"", b"inf", b"1e400", b"3.5", b"  80 ", b"1" * 300)


def _points(data: bytes) -> list[re.Match]:
    return list(_TRKPT.finditer(data))


def gpx_truncate_boundary(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    marks = [m.start() for m in re.finditer(rb"<", data)]
    marks += [m.end() for m in re.finditer(rb">", data)]
    if not marks:
        return truncate_random(data, rng)
    at = rng.choice(marks) + rng.choice((0, 0, 0, 1, -1, 2))
    at = max(0, min(len(data), at))
    return data[:at], f"gpx_truncate(at={at})"


def _edit_points(data: bytes, rng: random.Random, fn, label: str) -> tuple[bytes, str]:
    pts = _points(data)
    if not pts:
        return data, f"{label}(no-points)"
    start, end = pts[0].start(), pts[-1].end()
    blocks = [p.group(0) for p in pts]
    seps = [data[pts[k].end() : pts[k + 1].start()] for k in range(len(pts) - 1)]
    sep = seps[0] if seps else b"\n"
    new_blocks, desc = fn(blocks)
    if seps and len(new_blocks) == len(blocks):
        body = b"".join(b + s for b, s in zip(new_blocks, seps + [b""]))
    else:
        body = sep.join(new_blocks)
    return data[:start] + body + data[end:], f"{label}({desc})"


def gpx_drop_points(data, rng):
    def f(b):
        i = rng.randrange(len(b))
        k = rng.choice((1, 5, 100, len(b)))
        return b[:i] + b[i + k :], f"{i},n={k}"

    return _edit_points(data, rng, f, "gpx_drop")


def gpx_dup_points(data, rng):
    def f(b):
        i = rng.randrange(len(b))
        k = rng.choice((1, 3, 50))
        x = rng.choice((1, 2, 20))
        return b[: i + k] + b[i : i + k] * x + b[i + k :], f"{i},n={k},x{x}"

    return _edit_points(data, rng, f, "gpx_dup")


def gpx_reorder_points(data, rng):
    def f(b):
        i = rng.randrange(len(b))
        k = rng.choice((2, 10, 200, len(b)))
        mode = rng.choice(("reverse", "shuffle"))
        seg = b[i : i + k]
        if mode == "reverse":
            seg = seg[::-1]
        else:
            seg = list(seg)
            rng.shuffle(seg)
        return b[:i] + seg + b[i + k :], f"{mode},{i},n={k}"

    return _edit_points(data, rng, f, "gpx_reorder")


def gpx_times(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    times = list(_TIME.finditer(data))
    if not times:
        return data, "gpx_times(none)"
    i = rng.randrange(len(times))
    k = rng.choice((1, 1, 5, 100_000))
    mode = rng.choice(("bad", "repeat", "backward", "all_same"))
    sel = times[i : i + k]
    first_val = sel[0].group(2)
    prev_val = times[i - 1].group(2) if i > 0 else first_val
    bad = rng.choice(_BAD_TIMES)
    out = bytearray()
    last = 0
    for j, m in enumerate(sel):
        if mode == "bad":
            val = bad
        elif mode == "repeat":
            val = prev_val
        elif mode == "backward":
            val = times[max(0, i - 1 - j)].group(2)
        else:
            val = first_val
        out += data[last : m.start(2)] + val
        last = m.end(2)
    out += data[last:]
    return bytes(out), f"gpx_times({mode},{bad!r},at={i},n={k})"


def gpx_coords(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    cs = list(_LATLON.finditer(data))
    if not cs:
        return data, "gpx_coords(none)"
    i = rng.randrange(len(cs))
    k = rng.choice((1, 1, 2, 20, 100_000))
    val = rng.choice(_BAD_COORDS)
    out = bytearray()
    last = 0
    for m in cs[i : i + k]:
        out += data[last : m.start(3)] + val
        last = m.end(3)
    out += data[last:]
    return bytes(out), f"gpx_coords({val[:20]!r},at={i},n={k})"


def gpx_values(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    tags = rb"(?:\w+:)?(?:cad|hr|bearing|course|speed|ele|power|atemp|hAcc|sat|hdop|fix|type|name)"
    vals = list(re.finditer(rb"(<" + tags + rb">)([^<]*)(</)", data))
    if not vals:
        return data, "gpx_values(none)"
    i = rng.randrange(len(vals))
    k = rng.choice((1, 10, 100_000))
    v = rng.choice(_BAD_NUMBERS)
    out = bytearray()
    last = 0
    for m in vals[i : i + k]:
        out += data[last : m.start(2)] + v
        last = m.end(2)
    out += data[last:]
    return bytes(out), f"gpx_values({v[:12]!r},at={i},n={k})"


def gpx_encoding(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    mode = rng.choice(("bom", "utf16", "utf16_nobom", "declare_latin1", "declare_utf16", "declare_ebcdic", "latin1_bytes", "strip_decl", "nul"))
    if mode == "bom":
        return b"\xef\xbb\xbf" + data, "enc(bom)"
    if mode in ("utf16", "utf16_nobom"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
        enc = "utf-16" if mode == "utf16" else "utf-16-le"
        return text.encode(enc), f"enc({mode})"
    if mode.startswith("declare_"):
        enc = {"declare_latin1": b"ISO-8859-1", "declare_utf16": b"UTF-16", "declare_ebcdic": b"cp500"}[mode]
        return re.sub(rb'encoding=["\'][^"\']*["\']', b'encoding="' + enc + b'"', data, count=1), f"enc({mode})"
    if mode == "latin1_bytes":
        return data.replace(b"<name>", b"<name>Caf\xe9 \xff\xfe ", 1), "enc(latin1 bytes)"
    if mode == "strip_decl":
        return re.sub(rb"^\s*<\?xml[^>]*\?>", b"", data, count=1), "enc(no decl)"
    i = rng.randrange(len(data) + 1)
    return data[:i] + b"\0" + data[i:], f"enc(nul at {i})"


def gpx_structure(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    mode = rng.choice(("no_ns", "gpx10_ns", "bad_ns", "drop_close", "extra_close", "nested_trk", "pt_outside_seg", "empty_seg", "double_root", "comment", "cdata", "pi", "rte", "wpt"))
    if mode == "no_ns":
        return re.sub(rb'\sxmlns="[^"]*"', b"", data, count=1), "struct(no ns)"
    if mode == "gpx10_ns":
        return data.replace(b"http://www.topografix.com/GPX/1/1", b"http://www.topografix.com/GPX/1/0"), "struct(gpx10 ns)"
    if mode == "bad_ns":
        return data.replace(b"<gpx ", b'<gpx xmlns:x="urn:x" ', 1).replace(b"<trkpt ", b"<x:trkpt ", 1), "struct(bad ns)"
    if mode == "drop_close":
        tags = list(re.finditer(rb"</[^>]+>", data))
        if not tags:
            return data, "struct(no close)"
        m = rng.choice(tags)
        return data[: m.start()] + data[m.end() :], f"struct(drop close at {m.start()})"
    if mode == "extra_close":
        i = rng.randrange(len(data) + 1)
        return data[:i] + b"</trkseg>" + data[i:], "struct(extra close)"
    if mode == "nested_trk":
        return data.replace(b"<trkseg>", b"<trk><trkseg>", 1).replace(b"</trkseg>", b"</trkseg></trk>", 1), "struct(nested trk)"
    if mode == "pt_outside_seg":
        pts = _points(data)
        if pts:
            p = pts[len(pts) // 2].group(0)
            return data.replace(b"<trk>", b"<trk>" + p, 1), "struct(pt outside seg)"
        return data, "struct(none)"
    if mode == "empty_seg":
        return data.replace(b"<trkseg>", b"<trkseg></trkseg><trkseg>", 1), "struct(empty seg)"
    if mode == "double_root":
        return data + data, "struct(double root)"
    if mode == "comment":
        return data.replace(b"<time>", b"<!-- x --><time>", 5), "struct(comment)"
    if mode == "cdata":
        return data.replace(b"<time>", b"<time><![CDATA[", 3).replace(b"</time>", b"]]></time>", 3), "struct(cdata)"
    if mode == "pi":
        return data.replace(b"<trkseg>", b"<trkseg><?evil data?>", 1), "struct(pi)"
    if mode == "rte":
        return data.replace(b"trkpt", b"rtept").replace(b"trkseg", b"rte_seg"), "struct(rte)"
    return data.replace(b"trkpt", b"wpt"), "struct(wpt)"


def gpx_hostile(data: bytes, rng: random.Random, secret_path: str | None = None) -> tuple[bytes, str]:
    mode = rng.choice(("laughs", "quadratic", "external", "external_param", "deep", "deep_ext", "huge_attr", "many_attrs", "huge_text", "dtd_remote"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    body = re.sub(r"^\s*(\ufeff)?\s*<\?xml[^>]*\?>", "", text, count=1)
    decl = '<?xml version="1.0" encoding="UTF-8"?>\n'
    target = secret_path or "/etc/passwd"
    if mode == "laughs":
        ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
        dtd = "<!DOCTYPE gpx [" + "".join(ents) + "]>"
        body = body.replace("<name>", "<name>&lol9;", 1) if "<name>" in body else body.replace("<trk>", "<trk><name>&lol9;</name>", 1)
        return (decl + dtd + body).encode(), "hostile(billion laughs)"
    if mode == "quadratic":
        dtd = '<!DOCTYPE gpx [<!ENTITY a "' + "x" * 50_000 + '">]>'
        body = body.replace("<trk>", "<trk><name>" + "&a;" * 20_000 + "</name>", 1)
        return (decl + dtd + body).encode(), "hostile(quadratic blowup)"
    if mode in ("external", "external_param"):
        if mode == "external":
            dtd = f'<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file://{target}">]>'
            body = body.replace("<trk>", "<trk><name>&xxe;</name>", 1)
        else:
            dtd = f'<!DOCTYPE gpx [<!ENTITY % xxe SYSTEM "file://{target}"> %xxe;]>'
        return (decl + dtd + body).encode(), f"hostile({mode})"
    if mode == "dtd_remote":
        dtd = '<!DOCTYPE gpx SYSTEM "http://127.0.0.1:9/evil.dtd">'
        return (decl + dtd + body).encode(), "hostile(remote dtd)"
    if mode in ("deep", "deep_ext"):
        depth = rng.choice((1000, 100_000, 1_000_000))
        nest = "<a>" * depth + "</a>" * depth
        where = "<trk>" if mode == "deep" else "<extensions>"
        if where not in body:
            where = "<trk>"
        return (decl + body.replace(where, where + nest, 1)).encode(), f"hostile(deep {depth})"
    if mode == "huge_attr":
        return (decl + body.replace("<trkpt ", '<trkpt x="' + "A" * 20_000_000 + '" ', 1)).encode(), "hostile(20MB attribute)"
    if mode == "many_attrs":
        attrs = " ".join(f'a{i}="{i}"' for i in range(100_000))
        return (decl + body.replace("<trkpt ", f"<trkpt {attrs} ", 1)).encode(), "hostile(100k attributes)"
    return (decl + body.replace("<trk>", "<trk><desc>" + "B" * 30_000_000 + "</desc>", 1)).encode(), "hostile(30MB text)"


_HOSTILE_TEXT = (
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\" onmouseover=\"alert(1)",
    "O'Brien &amp; \"Sons\"",
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "\U0001f3c3\u200d\u2640\ufe0f\U0001f519 retro",
    "{{ 7*7 }} {% raw %}",
    "x" * 5000,
)


def gpx_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Hostile text where a report shows it: track name, description, creator, type."""
    val = rng.choice(_HOSTILE_TEXT).encode("utf-8")
    where = rng.choice(("name", "desc", "type", "creator"))
    if where == "creator":
        new = re.sub(rb'creator="[^"]*"', b'creator="' + val.replace(b'"', b"&quot;") + b'"', data, count=1)
    elif re.search(rb"<" + where.encode() + rb">", data):
        new = re.sub(rb"(<" + where.encode() + rb">)[^<]*(</)", rb"\g<1>" + val.replace(b"\\", b"\\\\") + rb"\g<2>", data, count=1)
    else:
        new = data.replace(b"<trk>", b"<trk><" + where.encode() + b">" + val + b"</" + where.encode() + b">", 1)
    return new, f"gpx_text({where},{val[:16]!r})"


GPX_OPS = [
    gpx_text,
    gpx_truncate_boundary,
    gpx_truncate_boundary,
    gpx_drop_points,
    gpx_dup_points,
    gpx_reorder_points,
    gpx_times,
    gpx_times,
    gpx_coords,
    gpx_coords,
    gpx_values,
    gpx_encoding,
    gpx_structure,
    gpx_hostile,
]


# --- whole-file tricks -------------------------------------------------------------------------


def whole_file(data: bytes, name: str, rng: random.Random) -> tuple[str, bytes, str]:
    """Rare replacements of the whole input: empty, random, other formats, wrong extensions, bombs."""
    mode = rng.choice(("empty", "random", "json", "html", "tcx", "fit_header_only", "wrong_ext", "upper_ext", "gz_bomb_ws", "gz_bomb_zero", "gz_bomb_gpx", "gz_trunc", "gz_garbage", "not_gz", "ws_gpx"))
    stem = name.rsplit(".", 1)[0]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else "fit"
    if mode == "empty":
        return name, b"", "whole(empty)"
    if mode == "random":
        return name, rng.randbytes(rng.choice((1, 13, 14, 100, 10_000))), "whole(random)"
    if mode == "json":
        return stem + ".gpx", b'{"type": "FeatureCollection", "features": []}', "whole(json as gpx)"
    if mode == "html":
        return stem + ".gpx", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "whole(html as gpx)"
    if mode == "tcx":
        return stem + ".gpx", b'<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities/></TrainingCenterDatabase>', "whole(tcx as gpx)"
    if mode == "fit_header_only":
        return stem + ".fit", struct.pack("<BBHI4s", 12, 0x10, 2000, 0, b".FIT"), "whole(fit header only)"
    if mode == "wrong_ext":
        return stem + (".gpx" if ext == "fit" else ".fit"), data, "whole(wrong extension)"
    if mode == "upper_ext":
        return stem + "." + ext.upper(), data, "whole(upper-case extension)"
    if mode == "gz_bomb_ws":
        return stem + "." + ext + ".gz", gzip_bomb(rng.choice((256, 1024)) * 1024 * 1024, b" "), "whole(gzip bomb whitespace)"
    if mode == "gz_bomb_zero":
        return stem + "." + ext + ".gz", gzip_bomb(1024 * 1024 * 1024, b"\0"), "whole(gzip bomb zeros)"
    if mode == "gz_bomb_gpx":
        pre = data[: data.find(b"<trkseg>") + 8] if b"<trkseg>" in data else b'<?xml version="1.0"?><gpx><trk><trkseg>'
        return stem + ".gpx.gz", gzip_bomb(512 * 1024 * 1024, b"\n  ", prefix=pre, suffix=b"</trkseg></trk></gpx>"), "whole(gzip bomb inside gpx)"
    if mode == "gz_trunc":
        gz = gzip_bytes(data)
        return stem + "." + ext + ".gz", gz[: rng.randrange(len(gz) + 1)], "whole(truncated gzip)"
    if mode == "gz_garbage":
        gz, _ = bitflip(gzip_bytes(data), rng)
        return stem + "." + ext + ".gz", gz, "whole(bitflipped gzip)"
    if mode == "not_gz":
        return stem + "." + ext + ".gz", data, "whole(plain file named .gz)"
    # a GPX that is mostly whitespace (kept to ~64 MB here; the 1 GB case is in the hostile tests)
    return stem + ".gpx", b'<?xml version="1.0"?>' + b" " * (64 * 1024 * 1024) + b"<gpx></gpx>", "whole(64MB whitespace gpx)"


def mutate(name: str, data: bytes, seed: int, other: Callable[[random.Random], tuple[str, bytes]] | None = None, secret_path: str | None = None) -> Mutant:
    """One mutant of `data`: a pure function of (name, data, seed, and what `other` returns for the same rng)."""
    rng = random.Random(seed)
    ops: list[str] = []
    low = name.lower()
    is_fit = low.endswith(".fit")
    roll = rng.random()
    if roll < 0.04:
        new_name, new, desc = whole_file(data, name, rng)
        return Mutant(new_name, new, [desc])
    n_ops = rng.choice((1, 1, 1, 2, 2, 3))
    for _ in range(n_ops):
        r = rng.random()
        if r < 0.08:
            data, d = bitflip(data, rng)
        elif r < 0.11:
            data, d = byteset(data, rng)
        elif r < 0.13:
            data, d = truncate_random(data, rng)
        elif r < 0.15:
            data, d = insert_garbage(data, rng)
        elif r < 0.17 and other is not None:
            oname, obytes = other(rng)
            if is_fit and oname.lower().endswith(".fit") and rng.random() < 0.5:
                data, d = fit_chain(data, rng, fs.parse_layout(data), obytes)
            else:
                data, d = splice(data, obytes, rng)
            d += f"<-{oname}"
        elif is_fit:
            op = rng.choice(FIT_OPS)
            data, d = op(data, rng, fs.parse_layout(data))
        else:
            op = rng.choice(GPX_OPS)
            if op is gpx_hostile:
                data, d = op(data, rng, secret_path)
            else:
                data, d = op(data, rng)
        ops.append(d)
    if rng.random() < 0.06:
        data = gzip_bytes(data)
        name = name + ".gz"
        ops.append("gzip")
    return Mutant(name, data, ops)


# --- race inputs: the organiser's config, the entries spreadsheet, a timing system's export -------

_TOML_VALUES = {
    "distance_m": ["0", "-5", "nan", "inf", "1e308", '"5000"', "true", "600.5", "[600]"],
    "gun_time": ['"2026-06-14T09:00:00"', '"2026-06-14"', '"yesterday"', '""', "2026-06-14T09:00:00Z", '"2026-06-14T09:00:00+14:00"', '"9999-12-31T23:59:59Z"', '"1970-01-01T00:00:00Z"', "12", '"2026-02-30T09:00:00Z"'],
    "timing": ['"GUN"', '"gun"', '""', '"relay"', "1"],
    "direction": ['"forward"', '"sideways"', '"BACKWARD"', '""'],
    "min_backward_fraction": ["-1", "2", "nan", "0", "1", '"0.9"'],
    "name": ['""', '"' + "R" * 5000 + '"', '"<script>alert(1)</script>"', '"\\u202eRTL\\u202c \U0001f519"'],
    "date": ['"2026-13-01"', '""', "2026-06-14", '"14/06/2026"'],
    "finish_crossings": ["0", "-1", "1000000000", "2.5", '"1"', "2"],
    "file": ['"../entries.csv"', '"/etc/passwd"', '""', '"missing.csv"', '"tracks"', '"race.toml"', '"entries.csv\\u0000"'],
}
_GATE_PARTS = {
    "at": ["[91.0, 0.0]", "[nan, nan]", "[53.34]", '"here"', "[53.34, -6.26, 7]", "[0, 0]", "[-90, 180]", "[]"],
    "bearing": ["720", "-90", "nan", "inf", '"east"', "359.9999"],
    "width_m": ["0", "-30", "1e9", "nan", "0.001", "5000"],
}


def mutate_config(text: str, rng: random.Random) -> tuple[str, str]:
    mode = rng.choice(("value", "value", "value", "gate", "gate", "drop_line", "dup_line", "truncate", "unknown_key", "checkpoint", "bitflip", "encoding"))
    lines = text.splitlines()
    if mode == "value":
        key = rng.choice(sorted(_TOML_VALUES))
        val = rng.choice(_TOML_VALUES[key])
        out = re.sub(rf"(?m)^{key} = .*$", lambda m: f"{key} = {val}", text, count=1)
        return out, f"config({key} = {val[:30]})"
    if mode == "gate":
        part = rng.choice(sorted(_GATE_PARTS))
        val = rng.choice(_GATE_PARTS[part])
        gate = rng.choice(("start", "finish"))
        pat = {"at": r"at = \[[^\]]*\]", "bearing": r"bearing = [^,}]*", "width_m": r"width_m = [^,}]*"}[part]
        out = re.sub(rf"(?m)^({gate} = \{{.*?){pat}", lambda m: m.group(1) + f"{part} = {val}", text, count=1)
        return out, f"config({gate}.{part} = {val})"
    if mode == "drop_line":
        i = rng.randrange(len(lines))
        return "\n".join(lines[:i] + lines[i + 1 :]) + "\n", f"config(drop line {i + 1}: {lines[i][:30]})"
    if mode == "dup_line":
        i = rng.randrange(len(lines))
        return "\n".join(lines[: i + 1] + lines[i:]) + "\n", f"config(dup line {i + 1})"
    if mode == "truncate":
        n = rng.randrange(len(text) + 1)
        return text[:n], f"config(truncate {n})"
    if mode == "unknown_key":
        return text.replace("[course]", "colour = \"red\"\n[course]\nlap_m = -3\n", 1), "config(unknown keys)"
    if mode == "checkpoint":
        cp = rng.choice(
            (
                '[[course.checkpoints]]\nname = "300 m"\ngate = { at = [53.34012, -6.2556], bearing = 90.0, width_m = 30 }\n',
                "[[course.checkpoints]]\nname = 5\n",
                '[[course.checkpoints]]\nname = "far"\ngate = { at = [0.0, 0.0], bearing = 90.0, width_m = 30 }\n',
                '[[course.checkpoints]]\nname = "<b>cp</b>"\ngate = { at = [53.34012, -6.2556], bearing = 270.0, width_m = 30 }\n' * 3,
            )
        )
        return text.replace("[entries]", cp + "\n[entries]", 1), f"config(checkpoint {cp[:40]!r})"
    if mode == "bitflip":
        data, d = bitflip(text.encode("utf-8"), rng)
        return data.decode("utf-8", "replace"), "config(" + d + ")"
    return "\ufeff" + text.replace("\n", "\r\n"), "config(BOM + CRLF)"


_CSV_CELLS = {
    "bib": ["", "101", " 101 ", "<b>7</b>", "1e3", "0", "-1", "A" * 300, "101;102"],
    "name": ["", "<script>alert(1)</script>", 'Say "hi"', "Se\u00e1n \u00d3 Briain", "\u202eevil\u202c", "\U0001f3c3" * 20, "=HYPERLINK(\"http://x\")", "a\nb"],
    "sex": ["", "f", "Female", "Q", "MF", "\u2640"],
    "birth_year": ["", "1800", "3000", "-1", "abc", "1990.5", "26", "2026"],
    "club": ["", "<img src=x onerror=alert(1)>", "A, B & C", "\u05e9\u05dc\u05d5\u05dd"],
    "track": ["", "tracks", "tracks/nothing.gpx", "/etc/passwd", "../../x.gpx", "tracks/101.gpx", "tracks/102.fit", "tracks/\u0000.gpx", "TRACKS/101.GPX"],
    "time": ["", "17.84", "17,84", "1:02:03.4", "99:99", "-5", "1e9", "nan", "inf", "DNF", "dq", "0", "12:34:56:78", "0:00"],
}
_COLS = ("bib", "name", "sex", "birth_year", "club", "track", "time")


def mutate_entries(rows: list[list[str]], rng: random.Random) -> tuple[bytes, str]:
    """The entries CSV, mutated cell-wise and then as a spreadsheet might write it."""
    import csv
    import io

    rows = [list(r) for r in rows]
    ops = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        mode = rng.choice(("cell", "cell", "cell", "dup_row", "drop_col", "extra_col", "blank_rows", "header_case", "many_rows", "short_row"))
        if mode == "cell":
            i = rng.randrange(len(rows))
            col = rng.choice(_COLS)
            val = rng.choice(_CSV_CELLS[col])
            rows[i] += [""] * (len(_COLS) - len(rows[i]))
            rows[i][_COLS.index(col)] = val
            ops.append(f"cell(row {i + 1} {col}={val[:20]!r})")
        elif mode == "dup_row":
            i = rng.randrange(len(rows))
            rows.insert(i, list(rows[i]))
            ops.append(f"dup_row({i + 1})")
        elif mode == "drop_col":
            c = rng.randrange(len(_COLS))
            rows = [r[:c] + r[c + 1 :] for r in rows]
            ops.append(f"drop_col({_COLS[c]})")
            rows.insert(0, ["__header_dropped__"])
            break
        elif mode == "extra_col":
            rows = [r + ["extra"] for r in rows]
            ops.append("extra_col")
        elif mode == "blank_rows":
            rows.insert(rng.randrange(len(rows) + 1), [""] * len(_COLS))
            ops.append("blank_row")
        elif mode == "header_case":
            ops.append("header_case")
        elif mode == "many_rows":
            base = rows[-1]
            rows += [[str(1000 + k)] + base[1:5] + ["", f"{600 + k % 97}.0"] for k in range(3000)]
            ops.append("many_rows(3000)")
        else:
            i = rng.randrange(len(rows))
            rows[i] = rows[i][: rng.randrange(max(len(rows[i]), 1))]  # a row cut twice may be empty already
            ops.append(f"short_row({i + 1})")
    header = list(_COLS)
    if rows and rows[0] == ["__header_dropped__"]:
        rows.pop(0)
        dropped = ops[-1][len("drop_col(") : -1]
        header.remove(dropped)
    if "header_case" in ops:
        header = [h.replace("_", " ").title() for h in header]
    sep = rng.choice((",", ",", ";", "\t"))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=rng.choice(("\r\n", "\n")))
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    enc = rng.choice(("utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252", "utf-16-le"))
    data = text.encode(enc, errors="replace")
    if rng.random() < 0.1:
        data, d = bitflip(data, rng)
        ops.append(d)
    if rng.random() < 0.05:
        data = data[: rng.randrange(len(data) + 1)]
        ops.append("truncated")
    return data, f"entries({', '.join(ops)}; sep={sep!r}, {enc})"


def mutate_times(rng: random.Random) -> tuple[bytes, str]:
    """A timing system's export to merge with --times."""
    rows = rng.choice(
        (
            "Bib,Time\r\n101,3:10.5\r\n102,3:40\r\n",
            "Bib;Chip Time\n101;0:03:10,5\n999;1:00\n",
            "bib,time\n101,3:10\n101,3:11\n",
            "Place,Bib#,Net Time\n1,101,nan\n2,102,-3\n",
            "name,whatever\nx,y\n",
            "",
            "Bib,Time\n" + "".join(f"{k},{k}:00\n" for k in range(5000)),
            "\ufeffBIB,CLOCK_TIME\r\n103,DNF\r\n",
        )
    )
    return rows.encode("utf-8"), f"times({rows[:30]!r})"
