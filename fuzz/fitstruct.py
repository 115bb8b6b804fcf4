"""Just enough of the FIT container format to find its structural boundaries.

This is deliberately independent of retrotrack's own reader: the fuzzer has to
know where the header, each definition and data message, and the CRC are, so
that it can cut, drop, duplicate and rewrite them, and fix the sizes and CRCs
afterwards so that mutations get past the first sanity check.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from retrotrack.simulate.fitwriter import FIT_EPOCH_S as FIT_EPOCH_UNIX  # re-exported for the fuzz seeds
from retrotrack.simulate.fitwriter import fit_crc  # re-exported for the fuzz corpus


@dataclass
class FieldDef:
    num: int
    size: int
    base_type: int
    offset: int
    """Byte offset of the field within the data message's content (after its 1-byte header)."""
    developer: bool = False


@dataclass
class Definition:
    local: int
    global_num: int
    arch: int
    fields: list[FieldDef]

    @property
    def big_endian(self) -> bool:
        return self.arch == 1

    @property
    def data_size(self) -> int:
        return sum(f.size for f in self.fields)

    def field(self, num: int) -> FieldDef | None:
        for f in self.fields:
            if f.num == num and not f.developer:
                return f
        return None


@dataclass
class Message:
    offset: int
    """Absolute offset of the record header byte."""
    length: int
    """Header byte included."""
    kind: str
    """"def", "data" or "compressed" (a data message with a compressed-timestamp header)."""
    local: int
    definition: Definition | None
    chain: int = 0

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def global_num(self) -> int | None:
        return self.definition.global_num if self.definition else None


@dataclass
class Chain:
    """One FIT file of a possibly chained file: header, records, CRC."""

    offset: int
    header_size: int
    data_size: int
    messages: list[Message] = field(default_factory=list)
    broken_at: int | None = None
    """Offset where parsing stopped before the declared end, if it did."""

    @property
    def data_start(self) -> int:
        return self.offset + self.header_size

    @property
    def data_end(self) -> int:
        return self.data_start + self.data_size


@dataclass
class FitLayout:
    chains: list[Chain]
    size: int

    @property
    def messages(self) -> list[Message]:
        return [m for c in self.chains for m in c.messages]

    def boundaries(self) -> list[int]:
        """Every offset where a structural unit begins or ends, sorted."""
        points = {0, self.size}
        for c in self.chains:
            points.update({c.offset, c.offset + 1, c.offset + 4, c.offset + 8, c.offset + 12, c.data_start, c.data_end, c.data_end + 2})
            for m in c.messages:
                points.add(m.offset)
                points.add(m.offset + 1)
                points.add(m.end)
        return sorted(p for p in points if 0 <= p <= self.size)


def looks_like_fit(data: bytes, offset: int = 0) -> bool:
    return len(data) >= offset + 12 and data[offset + 8 : offset + 12] == b".FIT" and data[offset] in (12, 14)


def parse_layout(data: bytes) -> FitLayout:
    """Walk the file's records. Never raises: a damaged file gives what was readable."""
    chains: list[Chain] = []
    pos = 0
    while looks_like_fit(data, pos):
        header_size = data[pos]
        data_size = struct.unpack_from("<I", data, pos + 4)[0]
        chain = Chain(pos, header_size, data_size)
        chains.append(chain)
        defs: dict[int, Definition] = {}
        p = chain.data_start
        end = min(chain.data_end, len(data))
        while p < end:
            h = data[p]
            if h & 0x80:
                local = (h >> 5) & 0x3
                d = defs.get(local)
                if d is None or p + 1 + d.data_size > len(data):
                    chain.broken_at = p
                    break
                chain.messages.append(Message(p, 1 + d.data_size, "compressed", local, d, len(chains) - 1))
                p += 1 + d.data_size
            elif h & 0x40:
                local = h & 0x0F
                dev = bool(h & 0x20)
                if p + 6 > len(data):
                    chain.broken_at = p
                    break
                arch = data[p + 2]
                gnum = struct.unpack_from(">H" if arch == 1 else "<H", data, p + 3)[0]
                nfields = data[p + 5]
                q = p + 6
                fields = []
                off = 0
                if q + 3 * nfields > len(data):
                    chain.broken_at = p
                    break
                for i in range(nfields):
                    num, size, base = data[q], data[q + 1], data[q + 2]
                    fields.append(FieldDef(num, size, base, off))
                    off += size
                    q += 3
                if dev:
                    if q >= len(data):
                        chain.broken_at = p
                        break
                    ndev = data[q]
                    q += 1
                    if q + 3 * ndev > len(data):
                        chain.broken_at = p
                        break
                    for i in range(ndev):
                        num, size, idx = data[q], data[q + 1], data[q + 2]
                        fields.append(FieldDef(num, size, idx, off, developer=True))
                        off += size
                        q += 3
                d = Definition(local, gnum, arch, fields)
                defs[local] = d
                chain.messages.append(Message(p, q - p, "def", local, d, len(chains) - 1))
                p = q
            else:
                local = h & 0x0F
                d = defs.get(local)
                if d is None or p + 1 + d.data_size > len(data):
                    chain.broken_at = p
                    break
                chain.messages.append(Message(p, 1 + d.data_size, "data", local, d, len(chains) - 1))
                p += 1 + d.data_size
        if chain.broken_at is not None:
            break
        nxt = chain.data_end + 2
        if nxt <= pos:
            break
        pos = nxt
    return FitLayout(chains, len(data))


_FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SFMT = {1: "b", 2: "h", 4: "i", 8: "q"}


def read_field(data: bytes, msg: Message, num: int, signed: bool = False) -> int | None:
    d = msg.definition
    if d is None:
        return None
    f = d.field(num)
    if f is None or f.size not in _FMT:
        return None
    fmt = (">" if d.big_endian else "<") + (_SFMT if signed else _FMT)[f.size]
    return struct.unpack_from(fmt, data, msg.offset + 1 + f.offset)[0]


def write_field(buf: bytearray, msg: Message, num: int, value: int) -> bool:
    """Overwrite field `num` of data message `msg` in place (value wrapped to the field's size)."""
    d = msg.definition
    if d is None or msg.kind == "def":
        return False
    f = d.field(num)
    if f is None or f.size not in _FMT:
        return False
    fmt = (">" if d.big_endian else "<") + _FMT[f.size]
    value &= (1 << (8 * f.size)) - 1
    start = msg.offset + 1 + f.offset
    if start + f.size > len(buf):
        return False
    struct.pack_into(fmt, buf, start, value)
    return True


def rebuild(data: bytes, layout: FitLayout, chunks: list[bytes], chain_index: int = 0, fix_crc: bool = True) -> bytes:
    """Replace the records of one chain with `chunks`, fixing its data_size, header CRC and file CRC."""
    c = layout.chains[chain_index]
    header = bytearray(data[c.offset : c.data_start])
    body = b"".join(chunks)
    if len(header) >= 8:
        struct.pack_into("<I", header, 4, len(body) & 0xFFFFFFFF)
    if len(header) >= 14 and fix_crc:
        struct.pack_into("<H", header, 12, fit_crc(bytes(header[:12])))
    crc = struct.pack("<H", fit_crc(bytes(header) + body)) if fix_crc else data[c.data_end : c.data_end + 2]
    tail = data[c.data_end + 2 :] if c.data_end + 2 <= len(data) else b""
    return data[: c.offset] + bytes(header) + body + crc + tail


def fix_all_crcs(data: bytes) -> bytes:
    """Recompute every chain's header CRC and file CRC (sizes as declared)."""
    buf = bytearray(data)
    layout = parse_layout(data)
    for c in layout.chains:
        if c.header_size >= 14 and c.offset + 14 <= len(buf):
            struct.pack_into("<H", buf, c.offset + 12, fit_crc(bytes(buf[c.offset : c.offset + 12])))
        if c.data_end + 2 <= len(buf):
            struct.pack_into("<H", buf, c.data_end, fit_crc(bytes(buf[c.offset : c.data_end])))
    return bytes(buf)


def message_chunks(data: bytes, chain: Chain) -> list[bytes]:
    return [data[m.offset : m.end] for m in chain.messages]
