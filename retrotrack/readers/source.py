"""Getting a file's bytes safely: missing files, folders, empty files, gzip (with a bomb guard)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from retrotrack.errors import ReadError

MAX_FILE_BYTES = 128 << 20
"""Refuse larger files unread: a day of 1 Hz GPX with extensions is ~35 MB, a FIT far less."""
MAX_DECOMPRESSED_BYTES = MAX_FILE_BYTES
"""Refuse a .gz that inflates past this (a gzip bomb), stopping as soon as it does."""
MAX_RATIO = 200
"""Nor one inflating more than this many times its size (real exports compress 2-20x)."""
MIN_LIMIT_BYTES = 16 << 20
"""The ratio rule never refuses below this, so tiny, very regular files still read."""
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | Path) -> bytes:
    """The file's content; ReadError naming it for anything unreadable."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise ReadError(path, f"too large for a watch export ({size / 1e6:.0f} MB; "
                                      f"the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)")
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ReadError(path, "no such file") from None
    except IsADirectoryError:
        raise ReadError(path, "is a directory, not a watch export") from None
    except PermissionError:
        raise ReadError(path, "permission denied") from None
    except OSError as exc:
        if p.is_dir():
            raise ReadError(path, "is a directory, not a watch export") from None
        raise ReadError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(path, f"too large for a watch export (over {MAX_FILE_BYTES / 1e6:.0f} MB)")
    if not data:
        raise ReadError(path, "empty file")
    return data


def gunzip(data: bytes, name: str, *, max_bytes: int = MAX_DECOMPRESSED_BYTES,
           max_ratio: int = MAX_RATIO) -> tuple[bytes, str | None]:
    """Inflate gzip data (several members allowed), refusing bombs.

    A truncated or damaged stream gives what inflated before the damage plus a
    one-line problem (the reader then reads up to there); ReadError if nothing did.
    """
    limit = min(max_bytes, max(len(data) * max_ratio, MIN_LIMIT_BYTES))
    out = bytearray()
    rest = data
    problem = None
    try:
        while rest:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += inflater.decompress(rest, limit - len(out) + 1)
            while inflater.unconsumed_tail and len(out) <= limit:
                out += inflater.decompress(inflater.unconsumed_tail, limit - len(out) + 1)
            if len(out) > limit:
                raise ReadError(name, f"refusing to decompress: it inflates past {limit / 1e6:.0f} MB "
                                      "(a gzip bomb?)")
            if not inflater.eof:
                problem = "the gzip data is truncated"
                break
            rest = inflater.unused_data
            if rest and not rest.startswith(GZIP_MAGIC):
                break
    except zlib.error as exc:
        problem = f"damaged gzip data ({exc})"
    if not out:
        raise ReadError(name, problem or "empty file inside the gzip")
    return bytes(out), problem


def plain_name(name: str) -> str:
    """The file name without a trailing .gz."""
    return name[:-3] if name.lower().endswith(".gz") else name
