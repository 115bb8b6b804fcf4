"""Atomic output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from retrotrack.errors import RetrotrackError


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path` so readers see either the old file or the whole new one.

    A target that is a device or a pipe (`--json /dev/stdout`) is written to
    directly: renaming over it would replace the device. Any failure is a
    RetrotrackError naming the path.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise RetrotrackError(path, f"cannot write here: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise RetrotrackError(path, "is a folder, not a file to write")
    try:
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as fh:
                fh.write(payload)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, payload)
    except OSError as exc:
        raise RetrotrackError(path, f"cannot write: {exc.strerror or exc}") from None


def _replace(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
