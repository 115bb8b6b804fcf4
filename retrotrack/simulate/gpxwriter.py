"""GPX 1.1 writer for simulated activities, in the shape Garmin Connect exports.

Per-point extras go in Garmin's TrackPointExtension v2: `hr`, `cad` (one foot's
strides per minute, as Garmin writes it: half the step rate, rounded), `speed`
(the device's own, m/s; Garmin Connect leaves it out, Apple Health exports
carry one) and `bearing` (the way the device faces, degrees from true north).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from retrotrack.atomic import write_atomic

GPX_NS = "http://www.topografix.com/GPX/1/1"
TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"


def _utc(start_time: datetime) -> datetime:
    return start_time.replace(tzinfo=timezone.utc) if start_time.tzinfo is None else start_time.astimezone(timezone.utc)


def _iso(when: datetime) -> str:
    """ISO-8601 UTC with a Z; milliseconds only when the time has them."""
    ms = round(when.microsecond / 1000)
    if ms == 0:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if ms == 1000:
        return (when.replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


def _opt(values, n: int) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"per-point arrays must have {n} values, got shape {arr.shape}")
    return arr


def write_activity_gpx(
    target: str | Path | None,
    *,
    start_time: datetime,
    t_s,
    lat_deg,
    lon_deg,
    cadence_spm=None,
    heart_rate_bpm=None,
    altitude_m=None,
    heading_deg=None,
    speed_mps=None,
    creator: str = "retrotrack simulator",
    name: str | None = None,
    sport: str | None = "running",
) -> str:
    """Write one track as GPX 1.1 to `target` (or nowhere when None) and return the XML.

    Points without a position are left out (a GPX track point must have one);
    NaN in any other channel leaves that element out of that point.
    """
    t = np.asarray(t_s, dtype=float)
    n = t.size
    lat = _opt(lat_deg, n)
    lon = _opt(lon_deg, n)
    cad = _opt(cadence_spm, n)
    hr = _opt(heart_rate_bpm, n)
    alt = _opt(altitude_m, n)
    hdg = _opt(heading_deg, n)
    spd = _opt(speed_mps, n)
    t0 = _utc(start_time)

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<gpx xmlns="{GPX_NS}" xmlns:gpxtpx="{TPX_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd '
        f'{TPX_NS} http://www.garmin.com/xmlschemas/TrackPointExtensionv2.xsd" '
        f'version="1.1" creator={quoteattr(creator)}>',
        f"  <metadata><time>{_iso(t0)}</time></metadata>",
        "  <trk>",
    ]
    if name is not None:
        lines.append(f"    <name>{escape(name)}</name>")
    if sport:
        lines.append(f"    <type>{escape(sport)}</type>")
    lines.append("    <trkseg>")
    for i in range(n):
        if not (np.isfinite(lat[i]) and np.isfinite(lon[i])):
            continue
        pt = [f'      <trkpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}">']
        if alt is not None and np.isfinite(alt[i]):
            pt.append(f"<ele>{alt[i]:.1f}</ele>")
        pt.append(f"<time>{_iso(t0 + timedelta(seconds=float(t[i])))}</time>")
        ext = []
        if hr is not None and np.isfinite(hr[i]):
            ext.append(f"<gpxtpx:hr>{int(round(hr[i]))}</gpxtpx:hr>")
        if cad is not None and np.isfinite(cad[i]):
            ext.append(f"<gpxtpx:cad>{int(round(cad[i] / 2.0))}</gpxtpx:cad>")
        if spd is not None and np.isfinite(spd[i]):
            ext.append(f"<gpxtpx:speed>{spd[i]:.2f}</gpxtpx:speed>")
        if hdg is not None and np.isfinite(hdg[i]):
            ext.append(f"<gpxtpx:bearing>{round(float(hdg[i]), 1) % 360.0:.1f}</gpxtpx:bearing>")
        if ext:
            pt.append("<extensions><gpxtpx:TrackPointExtension>" + "".join(ext) + "</gpxtpx:TrackPointExtension></extensions>")
        pt.append("</trkpt>")
        lines.append("".join(pt))
    lines += ["    </trkseg>", "  </trk>", "</gpx>", ""]
    text = "\n".join(lines)
    if target is not None:
        write_atomic(Path(target), text)
    return text
