"""Readers turn watch exports into Activity objects.

`read_activity` picks a reader among the registered plugins (see
retrotrack.hookspecs): by content first (the FIT header's ".FIT" magic, an
XML root element), then by file name ending; `.gz` files are decompressed
transparently with a size guard.
"""

from __future__ import annotations

from pathlib import Path

from retrotrack.errors import ReadError
from retrotrack.hookspecs import Reader
from retrotrack.model import Activity
from retrotrack.readers.source import GZIP_MAGIC, gunzip, plain_name, read_bytes

SNIFF_BYTES = 4096


def choose_reader(head: bytes, name: str, readers: list[Reader]) -> Reader | None:
    """The reader whose sniff accepts the content, else the one claiming the file's suffix."""
    for reader in readers:
        try:
            if reader.sniff(head):
                return reader
        except Exception:  # a plugin's faulty sniff must not hide the others
            continue
    lower = plain_name(name).lower()
    for reader in readers:
        if any(lower.endswith(suffix.lower()) for suffix in reader.suffixes):
            return reader
    return None


def read_data(data: bytes, name: str) -> Activity:
    """Read a watch export already in memory; `name` is its file name (for messages and format)."""
    from retrotrack.plugins import readers as registered

    problem = None
    if data.startswith(GZIP_MAGIC):
        data, problem = gunzip(data, name)
    available = registered()
    reader = choose_reader(data[:SNIFF_BYTES], name, available)
    if reader is None:
        known = sorted({s for r in available for s in r.suffixes})
        raise ReadError(name, f"unknown file format (readable: {', '.join(known)}, optionally .gz)")
    try:
        activity = reader.read(data, name)
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(name, f"cannot read as {reader.name.upper()}: nested too deeply") from None
    except MemoryError:
        raise ReadError(name, f"cannot read as {reader.name.upper()}: too large") from None
    except Exception as exc:  # a reader bug or a plugin's: still one line, never a traceback
        raise ReadError(name, f"cannot read as {reader.name.upper()}: {type(exc).__name__}: {exc}") from None
    if problem:
        activity.warnings.insert(0, problem)
        activity.damage.insert(0, problem)
    return activity


def read_activity(path: str | Path) -> Activity:
    """Read one watch export (FIT, GPX or a plugin's format; optionally gzipped)."""
    try:
        return read_data(read_bytes(path), str(path))
    except MemoryError:
        raise ReadError(path, "too large to read in the memory available") from None


__all__ = ["read_activity", "read_data", "choose_reader", "Reader"]
