"""Seed inputs for the fuzzer: simulated runs as FIT and GPX, and a small race around them.

The simulated files are written here by a small, self-contained FIT encoder
(independent of retrotrack's own writer, so a bug shared by reader and writer
cannot hide) and by retrotrack's GPX writer. They cover what the real corpus
lacks: backward running with a developer `heading` field, compressed
timestamps, timer pauses, a race with gates.
"""

from __future__ import annotations

import gzip
import io
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from fuzz.fitstruct import FIT_EPOCH_UNIX, fit_crc

REPO = Path(__file__).resolve().parent.parent
REAL_DIR = REPO.parent / "shared" / "fixtures" / "real"
SEED_SUFFIXES = (".fit", ".gpx", ".xml")

LAT0, LON0 = 53.340120, -6.260110
M_PER_DEG_LAT = 111_320.0


def _en_to_latlon(east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = LAT0 + north / M_PER_DEG_LAT
    lon = LON0 + east / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return lat, lon


@dataclass
class SimRun:
    """Per-second samples of one simulated run."""

    start_time: datetime
    t_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    distance_m: np.ndarray
    speed_mps: np.ndarray
    cadence_spm: np.ndarray
    heading_deg: np.ndarray
    heart_rate: np.ndarray
    altitude_m: np.ndarray
    pause: tuple[float, float] | None = None


def simulate_run(seed: int = 1, minutes: float = 8.0, pause: bool = True, start: datetime | None = None) -> SimRun:
    """Out along a road and back: forward, backward, a standing pause, backward again.

    `heading_deg` is where the runner faces; travel is along the road.
    """
    rng = np.random.default_rng(seed)
    start = start or datetime(2026, 6, 14, 9, 0, 3, tzinfo=timezone.utc)
    n = int(minutes * 60)
    t = np.arange(n, dtype=float)
    # Phases: (fraction of the run, speed m/s, backward?, travel bearing)
    phases = [(0.25, 3.0, False, 90.0), (0.30, 2.0, True, 90.0), (0.10, 0.0, False, 90.0), (0.35, 2.1, True, 270.0)]
    speed = np.empty(n)
    backward = np.zeros(n, dtype=bool)
    bearing = np.empty(n)
    i = 0
    for k, (frac, v, back, brg) in enumerate(phases):
        j = n if k == len(phases) - 1 else i + int(frac * n)
        speed[i:j] = v
        backward[i:j] = back
        bearing[i:j] = brg
        i = j
    speed = np.where(speed > 0, speed + rng.normal(0, 0.08, n), 0.0)
    east = np.cumsum(speed * np.sin(np.radians(bearing)))
    north = np.cumsum(speed * np.cos(np.radians(bearing)))
    east_err = np.cumsum(rng.normal(0, 0.3, n)) * 0.2
    north_err = np.cumsum(rng.normal(0, 0.3, n)) * 0.2
    lat, lon = _en_to_latlon(east + east_err, north + north_err)
    distance = np.cumsum(speed)
    cadence = np.where(speed > 0, np.where(backward, 188.0, 168.0) + rng.normal(0, 2, n), 0.0)
    facing = np.where(backward, (bearing + 180.0) % 360.0, bearing) + rng.normal(0, 6, n)
    hr = 120 + 30 * (1 - np.exp(-t / 120)) + rng.normal(0, 1.5, n)
    alt = 12.0 + 0.002 * east
    paused = None
    if pause:
        p0 = int(0.57 * n)
        p1 = int(0.63 * n)
        paused = (float(p0), float(p1))
        keep = (t <= p0) | (t >= p1)
        sel = np.flatnonzero(keep)
    else:
        sel = np.arange(n)
    return SimRun(
        start, t[sel], lat[sel], lon[sel], distance[sel], speed[sel], cadence[sel], facing[sel] % 360.0, hr[sel], alt[sel], paused
    )


# --- a tiny FIT encoder -------------------------------------------------------------------------

_BASE = {"enum": 0x00, "sint8": 0x01, "uint8": 0x02, "sint16": 0x83, "uint16": 0x84, "sint32": 0x85, "uint32": 0x86, "string": 0x07, "uint32z": 0x8C, "byte": 0x0D}
_SIZE = {"enum": 1, "sint8": 1, "uint8": 1, "sint16": 2, "uint16": 2, "sint32": 4, "uint32": 4, "uint32z": 4}
_PACK = {"enum": "B", "sint8": "b", "uint8": "B", "sint16": "h", "uint16": "H", "sint32": "i", "uint32": "I", "uint32z": "I"}
_INVALID = {"enum": 0xFF, "sint8": 0x7F, "uint8": 0xFF, "sint16": 0x7FFF, "uint16": 0xFFFF, "sint32": 0x7FFFFFFF, "uint32": 0xFFFFFFFF, "uint32z": 0}


class FitEncoder:
    """Definition and data messages, little-endian, with an optional compressed-timestamp mode."""

    def __init__(self, big_endian: bool = False):
        self.body = bytearray()
        self.defs: dict[int, tuple] = {}
        self.big = big_endian

    def define(self, local: int, global_num: int, fields: list[tuple[int, str]], dev_fields: list[tuple[int, int, int]] = ()):
        key = (global_num, tuple(fields), tuple(dev_fields))
        if self.defs.get(local) == key:
            return
        self.defs[local] = key
        header = 0x40 | local | (0x20 if dev_fields else 0)
        out = bytearray([header, 0, 1 if self.big else 0])
        out += struct.pack(">H" if self.big else "<H", global_num)
        out.append(len(fields))
        for num, typ in fields:
            size = _SIZE.get(typ, 16 if typ in ("string", "byte") else 1)
            out += bytes([num, size, _BASE[typ]])
        if dev_fields:
            out.append(len(dev_fields))
            for num, size, idx in dev_fields:
                out += bytes([num, size, idx])
        self.body += out

    def data(self, local: int, fields: list[tuple[int, str]], values: list, dev_values: bytes = b"", compressed_offset: int | None = None):
        e = ">" if self.big else "<"
        if compressed_offset is not None:
            out = bytearray([0x80 | (local << 5) | (compressed_offset & 0x1F)])
        else:
            out = bytearray([local])
        for (num, typ), v in zip(fields, values):
            if typ in ("string", "byte"):
                raw = (v.encode("utf-8") if isinstance(v, str) else bytes(v))[:15]
                out += raw + b"\0" * (16 - len(raw))
                continue
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                v = _INVALID[typ]
            out += struct.pack(e + _PACK[typ], int(v))
        self.body += out + dev_values

    def file(self) -> bytes:
        header = bytearray(struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT"))
        header += struct.pack("<H", fit_crc(bytes(header)))
        data = bytes(header) + bytes(self.body)
        return data + struct.pack("<H", fit_crc(data))


def fit_ts(when: datetime) -> int:
    return int(when.timestamp()) - FIT_EPOCH_UNIX


def encode_fit(run: SimRun, *, heading_dev_field: bool = True, compressed_every: int = 0, big_endian: bool = False, laps_m: float = 400.0) -> bytes:
    """A running activity as a Garmin-like watch writes it (records, timer events, laps, session)."""
    enc = FitEncoder(big_endian)
    t0 = fit_ts(run.start_time)
    fid = [(0, "enum"), (1, "uint16"), (2, "uint16"), (3, "uint32z"), (4, "uint32")]
    enc.define(0, 0, fid)
    enc.data(0, fid, [4, 1, 3113, 3412345678, t0])
    if heading_dev_field:
        dd = [(3, "uint8"), (1, "byte")]
        enc.define(1, 207, dd)
        enc.data(1, dd, [0, bytes(range(16))])
        fd = [(0, "uint8"), (1, "uint8"), (2, "uint8"), (3, "string"), (6, "uint8"), (7, "sint8"), (8, "string")]
        enc.define(1, 206, fd)
        # uint16 heading in tenths of a degree, as a Connect IQ compass field would write it
        enc.data(1, fd, [0, 0, 0x84, "heading", 10, 0, "deg"])
    ev = [(253, "uint32"), (0, "enum"), (1, "enum")]
    enc.define(2, 21, ev)
    enc.data(2, ev, [t0, 0, 0])
    rec = [(253, "uint32"), (0, "sint32"), (1, "sint32"), (5, "uint32"), (6, "uint16"), (3, "uint8"), (4, "uint8"), (53, "uint8"), (2, "uint16")]
    rec_c = rec[1:]
    dev = [(0, 2, 0)] if heading_dev_field else []
    semi = 2**31 / 180.0
    lap_start = 0
    lap_dist0 = 0.0
    laps = []
    last_ts = t0
    for i in range(run.t_s.size):
        ts = t0 + int(run.t_s[i])
        if run.pause and run.t_s[i] >= run.pause[1] and (i == 0 or run.t_s[i - 1] <= run.pause[0]):
            enc.define(2, 21, ev)
            enc.data(2, ev, [t0 + int(run.pause[0]), 0, 4])
            enc.data(2, ev, [ts, 0, 0])
        steps = run.cadence_spm[i] / 2.0
        vals = [
            round(run.lat[i] * semi),
            round(run.lon[i] * semi),
            round(run.distance_m[i] * 100),
            round(run.speed_mps[i] * 1000),
            round(run.heart_rate[i]),
            int(steps),
            round((steps - int(steps)) * 128),
            round((run.altitude_m[i] + 500) * 5),
        ]
        dv = struct.pack(">H" if big_endian else "<H", round(run.heading_deg[i] * 10) % 3600) if dev else b""
        if compressed_every and i % compressed_every and ts - last_ts < 32:
            enc.define(3, 20, rec_c, dev)
            enc.data(3, rec_c, vals, dv, compressed_offset=ts & 0x1F)
        else:
            enc.define(3, 20, rec, dev)
            enc.data(3, rec, [ts] + vals, dv)
        last_ts = ts
        if run.distance_m[i] - lap_dist0 >= laps_m or i == run.t_s.size - 1:
            laps.append((lap_start, i, run.distance_m[i] - lap_dist0))
            lap_start, lap_dist0 = i, run.distance_m[i]
    lap = [(253, "uint32"), (2, "uint32"), (7, "uint32"), (8, "uint32"), (9, "uint32"), (0, "enum"), (1, "enum")]
    enc.define(4, 19, lap)
    for a, b, d in laps:
        dur = (run.t_s[b] - run.t_s[a]) * 1000
        enc.data(4, lap, [t0 + int(run.t_s[b]), t0 + int(run.t_s[a]), dur, dur, round(d * 100), 9, 1])
    end = t0 + int(run.t_s[-1])
    enc.define(2, 21, ev)
    enc.data(2, ev, [end, 0, 4])
    ses = [(253, "uint32"), (2, "uint32"), (5, "enum"), (6, "enum"), (7, "uint32"), (8, "uint32"), (9, "uint32"), (0, "enum"), (1, "enum")]
    enc.define(5, 18, ses)
    total = run.t_s[-1] * 1000
    enc.data(5, ses, [end, t0, 1, 0, total, total, round(run.distance_m[-1] * 100), 8, 1])
    act = [(253, "uint32"), (0, "uint32"), (1, "uint16"), (2, "enum"), (3, "enum"), (4, "enum")]
    enc.define(6, 34, act)
    enc.data(6, act, [end, total, 1, 0, 26, 1])
    return enc.file()


def encode_gpx(run: SimRun, *, bearing: bool = True, name: str | None = "Retro test run") -> bytes:
    from retrotrack.simulate.gpxwriter import write_activity_gpx

    text = write_activity_gpx(
        None,
        start_time=run.start_time,
        t_s=run.t_s,
        lat_deg=run.lat,
        lon_deg=run.lon,
        cadence_spm=run.cadence_spm,
        heart_rate_bpm=run.heart_rate,
        altitude_m=run.altitude_m,
        heading_deg=run.heading_deg if bearing else None,
        name=name,
    )
    return text.encode("utf-8")


def simulated_seeds() -> dict[str, bytes]:
    """Small simulated files: the fuzzer's own seeds, present on every clone."""
    out = {}
    r1 = simulate_run(seed=1, minutes=6)
    r2 = simulate_run(seed=2, minutes=4, pause=False)
    out["sim__retro-heading.fit"] = encode_fit(r1)
    out["sim__retro-compressed-bigendian.fit"] = encode_fit(r2, heading_dev_field=False, compressed_every=4, big_endian=True)
    out["sim__retro-bearing.gpx"] = encode_gpx(r1)
    out["sim__retro-plain.gpx"] = encode_gpx(r2, bearing=False)
    try:  # the project's own FIT writer, when it exists
        from retrotrack.simulate.fitwriter import write_activity_fit  # noqa: F401

        data = _project_fit(r1)
        if data:
            out["sim__project-writer.fit"] = data
    except Exception:
        pass
    return out


def _project_fit(run: SimRun) -> bytes | None:
    import inspect
    import tempfile

    from retrotrack.simulate.fitwriter import write_activity_fit

    params = inspect.signature(write_activity_fit).parameters
    kwargs = dict(start_time=run.start_time, t_s=run.t_s, lat_deg=run.lat, lon_deg=run.lon)
    extra = dict(cadence_spm=run.cadence_spm, heart_rate_bpm=run.heart_rate, heading_deg=run.heading_deg, distance_m=run.distance_m, speed_mps=run.speed_mps)
    kwargs.update({k: v for k, v in extra.items() if k in params})
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "p.fit"
        res = write_activity_fit(target, **kwargs)
        if target.exists():
            return target.read_bytes()
        return res if isinstance(res, (bytes, bytearray)) else None


def real_seeds() -> dict[str, Path]:
    """Every watch export in ../shared/fixtures/real (empty on a fresh clone)."""
    if not REAL_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(REAL_DIR.iterdir()) if p.suffix.lower() in SEED_SUFFIXES and p.is_file()}


def is_gpl(name: str) -> bool:
    """Files whose licence keeps them (and large derivatives) out of this repository."""
    return name.startswith("gpsbabel__")


# --- a small race -----------------------------------------------------------------------------

GUN = datetime(2026, 6, 14, 9, 0, 0, tzinfo=timezone.utc)
RACE_DISTANCE_M = 600.0


def simulate_race_runner(seed: int, speed: float, backward_share: float = 1.0) -> SimRun:
    """A runner on a straight road east: waits behind the start, runs to the finish 600 m on, stops."""
    rng = np.random.default_rng(seed)
    start = GUN - timedelta(seconds=40)
    pre = 40 + int(rng.integers(0, 4))
    run_s = int(RACE_DISTANCE_M / speed) + 1
    post = 25
    n = pre + run_s + post
    t = np.arange(n, dtype=float)
    v = np.zeros(n)
    v[pre : pre + run_s] = speed + rng.normal(0, 0.05, run_s)
    v[pre + run_s : pre + run_s + 10] = 0.8
    east = -4.0 + np.cumsum(v)
    north = rng.normal(0, 0.4, n).cumsum() * 0.1
    lat, lon = _en_to_latlon(east, north)
    back = np.zeros(n, dtype=bool)
    nb = int(backward_share * run_s)
    back[pre : pre + nb] = True
    cadence = np.where(v > 0.5, np.where(back, 186.0, 166.0) + rng.normal(0, 2, n), 0.0)
    facing = (np.where(back, 270.0, 90.0) + rng.normal(0, 5, n)) % 360.0
    hr = 110 + np.clip(t - pre, 0, None) * 0.2
    return SimRun(start, t, lat, lon, np.cumsum(v), v, cadence, facing, hr, np.full(n, 15.0))


def race_config(entries: str = "entries.csv", *, timing: str = "chip", name: str = "Fuzz Retro 600", start_far: bool = False) -> str:
    lat_s, lon_s = _en_to_latlon(np.array([0.0]), np.array([0.0]))
    lat_f, lon_f = _en_to_latlon(np.array([RACE_DISTANCE_M]), np.array([0.0]))
    if start_far:
        lat_s, lon_s = lat_s + 1.0, lon_s + 1.0
        lat_f, lon_f = lat_f + 1.0, lon_f + 1.0
    return (
        "[race]\n"
        f'name = "{name}"\n'
        'date = "2026-06-14"\n'
        f"distance_m = {RACE_DISTANCE_M:.0f}\n"
        'gun_time = "2026-06-14T09:00:00Z"\n'
        f'timing = "{timing}"\n'
        'direction = "backward"\n'
        "min_backward_fraction = 0.9\n\n"
        "[course]\n"
        f"start = {{ at = [{lat_s[0]:.7f}, {lon_s[0]:.7f}], bearing = 90.0, width_m = 30 }}\n"
        f"finish = {{ at = [{lat_f[0]:.7f}, {lon_f[0]:.7f}], bearing = 90.0, width_m = 30 }}\n\n"
        "[entries]\n"
        f'file = "{entries}"\n'
    )


ENTRY_HEADER = "bib,name,sex,birth_year,club,track,time"
ENTRY_ROWS = [
    ["101", "Aoife Byrne", "F", "1988", "Riverside AC", "tracks/101.gpx", ""],
    ["102", "Brian Kelly", "M", "1975", "", "tracks/102.fit", ""],
]


def race_tracks() -> dict[str, bytes]:
    """The intact runners' tracks of the fuzz race."""
    return {
        "tracks/101.gpx": encode_gpx(simulate_race_runner(101, 3.1), name="Aoife"),
        "tracks/102.fit": encode_fit(simulate_race_runner(102, 2.8)),
    }


def write_race(folder: Path, mutated_name: str | None, mutated: bytes | None, *, extra_entries: list[str] = ()) -> Path:
    """A race folder: config, entries and tracks; runner 103's track is `mutated` (if any)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tracks").mkdir(exist_ok=True)
    for rel, data in race_tracks_cached().items():
        (folder / rel).write_bytes(data)
    rows = [ENTRY_HEADER] + [",".join(r) for r in ENTRY_ROWS]
    if mutated is not None:
        safe = Path(mutated_name).name.replace(",", "_").replace('"', "_").replace("\n", "_") or "track"
        (folder / "tracks" / safe).write_bytes(mutated)
        rows.append(f"103,Cara Doyle,F,2001,Harriers,tracks/{safe},")
    rows.extend(extra_entries)
    (folder / "entries.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    cfg = folder / "race.toml"
    cfg.write_text(race_config(), encoding="utf-8")
    return cfg


_RACE_CACHE: dict[str, bytes] | None = None


def race_tracks_cached() -> dict[str, bytes]:
    global _RACE_CACHE
    if _RACE_CACHE is None:
        _RACE_CACHE = race_tracks()
    return _RACE_CACHE


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


_BOMB_MEMBER: dict[bytes, bytes] = {}


def gzip_bomb(total_bytes: int, fill: bytes = b" ", prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """A gzip file that inflates to `prefix` + ~total_bytes of `fill` + `suffix`, small on disk.

    Built from one 16 MiB member repeated (gzip readers read concatenated members),
    so making a 1 GiB bomb takes milliseconds.
    """
    if fill not in _BOMB_MEMBER:
        _BOMB_MEMBER[fill] = gzip_bytes(fill * (16 * 1024 * 1024 // len(fill)), 9)
    member = _BOMB_MEMBER[fill]
    count = max(1, total_bytes // (16 * 1024 * 1024))
    parts = [gzip_bytes(prefix)] if prefix else []
    parts += [member] * count
    if suffix:
        parts.append(gzip_bytes(suffix))
    return b"".join(parts)
