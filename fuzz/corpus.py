"""The fuzzer's seed files, its fixed hostile inputs, and the intact race it compares against."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

from fuzz import harness as H
from fuzz.mutators import Mutant, gpx_hostile, mutate
from fuzz.seeds import REAL_DIR, gzip_bomb, real_seeds, simulated_seeds

GIB = 1024**3


class Corpus:
    """Seed files by name: every real export in ../shared/fixtures/real plus the simulated ones."""

    def __init__(self, only: list[str] | None = None, real_dir: Path = REAL_DIR):
        self.real_dir = real_dir
        self.real = real_seeds()
        self.sim = simulated_seeds()
        names = sorted(self.real) + sorted(self.sim)
        if only:
            names = [n for n in names if n in only]
            if not names:
                raise SystemExit(f"no seed file named {only}")
        self.names = names
        self._cache: dict[str, bytes] = {}
        # Splice partners: the real files when present (stable bytes, so recipes replay), else ours.
        self.partners = sorted(self.real) or sorted(self.sim)

    def bytes(self, name: str) -> bytes:
        if name not in self._cache:
            self._cache[name] = self.real[name].read_bytes() if name in self.real else self.sim[name]
        return self._cache[name]

    def other(self, rng: random.Random) -> tuple[str, bytes]:
        name = rng.choice(self.partners)
        return name, self.bytes(name)

    def cropped(self, name: str) -> bytes | None:
        """The seed with records past the first CROP_RECORDS dropped (everything else kept), or None."""
        key = "crop:" + name
        if key not in self._cache:
            self._cache[key] = crop(name, self.bytes(name))
        return self._cache[key]

    def mutant(self, source: str, seed: int, secret: Path | None = None) -> Mutant:
        """Three in four mutants of a big file start from its cropped form (decoding whole big files
        dominates the run time; the structure - definitions, developer fields, laps, sessions - is kept)."""
        data = self.bytes(source)
        ops = []
        if seed % 4 and len(data) > CROP_ABOVE:
            small = self.cropped(source)
            if small is not None:
                data, ops = small, [f"crop({CROP_RECORDS} records)"]
        m = mutate(source, data, seed, self.other, str(secret) if secret else None)
        m.ops[:0] = ops
        return m


def config_job(seed: int) -> H.Job:
    """A race whose organiser inputs are mutated: the config, the entries CSV, a --times export."""
    from fuzz.mutators import mutate_config, mutate_entries, mutate_times
    from fuzz.seeds import ENTRY_ROWS, race_config

    rng = random.Random(seed)
    extra: dict[str, bytes] = {}
    ops: list[str] = []
    roll = rng.random()
    if roll < 0.45 or roll > 0.9:
        text, d = mutate_config(race_config(), rng)
        extra["race.toml"] = text.encode("utf-8")
        ops.append(d)
    if 0.45 <= roll:
        rows = [list(r) for r in ENTRY_ROWS] + [["103", "Cara Doyle", "F", "2001", "Harriers", "", "201.5"]]
        data, d = mutate_entries(rows, rng)
        extra["entries.csv"] = data
        ops.append(d)
    if rng.random() < 0.12:
        data, d = mutate_times(rng)
        extra["times.csv"] = data
        ops.append(d)
    return H.Job("race", "none", None, source="race-config", seed=seed, ops=ops, extra=extra, race_jobs=2 if seed % 10 == 7 else 1)


CROP_RECORDS = 400
CROP_ABOVE = 120_000


def crop(name: str, data: bytes) -> bytes | None:
    """Keep every message but those past the first CROP_RECORDS of their kind (FIT) / track points (GPX).

    Only for intact files (every chain parses, CRCs check): a broken original stays whole.
    """
    from fuzz import fitstruct as fs
    from fuzz.mutators import _points

    if name.lower().endswith(".fit"):
        layout = fs.parse_layout(data)
        if not layout.chains or any(c.broken_at is not None for c in layout.chains):
            return None
        if any(fs.fit_crc(data[c.offset : c.data_end + 2]) != 0 for c in layout.chains):
            return None
        if layout.chains[-1].data_end + 2 != len(data):
            return None
        out = data
        for ci in range(len(layout.chains) - 1, -1, -1):
            lay = fs.parse_layout(out)
            chain = lay.chains[ci]
            chunks: list[bytes] = []
            seen: dict[int | None, int] = {}
            for m in chain.messages:
                if m.kind != "def":
                    seen[m.global_num] = seen.get(m.global_num, 0) + 1
                    if seen[m.global_num] > CROP_RECORDS:
                        continue
                chunks.append(out[m.offset : m.end])
            out = fs.rebuild(out, lay, chunks, ci, fix_crc=True)
        return out
    pts = _points(data)
    if len(pts) <= CROP_RECORDS:
        return None
    return data[: pts[CROP_RECORDS].start()] + data[pts[-1].end() :]


def _absurd_fit() -> bytes:
    """A FIT whose only definition declares 255 fields of 255 bytes (65 kB messages), then a few."""
    from fuzz.fitstruct import fit_crc

    d = bytes([0x40, 0, 0]) + struct.pack("<H", 20) + bytes([255]) + bytes([1, 255, 0x0D]) * 255
    body = d + (bytes([0x00]) + b"\x01" * (255 * 255)) * 3
    header = bytearray(struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT"))
    header += struct.pack("<H", fit_crc(bytes(header)))
    data = bytes(header) + body
    return data + struct.pack("<H", fit_crc(data))


def _huge_size_fit() -> bytes:
    """A FIT header that claims 4 GB of records, then ends."""
    return struct.pack("<BBHI4s", 12, 0x10, 2000, 0xFFFFFFFF, b".FIT") + bytes([0x40, 0, 0, 20, 0, 1, 253, 4, 0x86])


def hostile_jobs(folder: Path, secret: Path, race_ok: bool) -> list[H.Job]:
    """The fixed hostile inputs every long run starts with."""
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulated_seeds()
    gpx = sim["sim__retro-bearing.gpx"]
    jobs: list[H.Job] = []
    for mode_seed in range(40):
        # Each hostile XML mode at least once (gpx_hostile picks its mode from the rng).
        data, desc = gpx_hostile(gpx, random.Random(mode_seed), str(secret))
        if any(desc == j.ops[0] for j in jobs):
            continue
        jobs.append(H.Job("analyze", "hostile.gpx", data, source="hostile", seed=mode_seed, ops=[desc]))
    # 1 GB of whitespace, streamed to disk (never held in memory here)
    big = folder / "whitespace-1GB.gpx"
    with open(big, "wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        chunk = b" " * (8 * 1024 * 1024)
        for _ in range(GIB // len(chunk)):
            fh.write(chunk)
        fh.write(b'<gpx version="1.1" creator="x"></gpx>\n')
    jobs.append(H.Job("analyze", big.name, None, source="hostile", ops=["1 GB of whitespace (file on disk)"], path=big))
    jobs.append(H.Job("analyze", "whitespace-1GB.gpx.gz", gzip_bomb(GIB, b" "), source="hostile", ops=["gzip of 1 GB whitespace"]))
    jobs.append(H.Job("analyze", "zeros-1GB.fit.gz", gzip_bomb(GIB, b"\0"), source="hostile", ops=["gzip of 1 GB zeros as FIT"]))
    pre = gpx[: gpx.find(b"<trkseg>") + 8]
    jobs.append(H.Job("analyze", "bomb-inside.gpx.gz", gzip_bomb(GIB, b"\n ", prefix=pre, suffix=b"</trkseg></trk></gpx>"), source="hostile", ops=["gzip: GPX with 1 GB whitespace inside trkseg"]))
    jobs.append(H.Job("analyze", "absurd-definition.fit", _absurd_fit(), source="hostile", ops=["255 fields x 255 bytes"]))
    jobs.append(H.Job("analyze", "huge-data-size.fit", _huge_size_fit(), source="hostile", ops=["header claims 4 GB"]))
    jobs.append(H.Job("analyze", "empty.fit", b"", source="hostile", ops=["empty .fit"]))
    jobs.append(H.Job("analyze", "empty.gpx", b"", source="hostile", ops=["empty .gpx"]))
    if race_ok:
        xxe, desc = gpx_hostile(gpx, _rng_for(gpx, secret, "hostile(external)"), str(secret))
        jobs.append(H.Job("race", "xxe.gpx", xxe, source="hostile", ops=["race track: " + desc]))
        laughs, desc = gpx_hostile(gpx, _rng_for(gpx, secret, "hostile(billion laughs)"), str(secret))
        jobs.append(H.Job("race", "laughs.gpx", laughs, source="hostile", ops=["race track: " + desc]))
        jobs.append(H.Job("race", "bomb.gpx.gz", gzip_bomb(GIB, b" "), source="hostile", ops=["race track: gzip of 1 GB whitespace"]))
        jobs.append(H.Job("race", "empty.fit", b"", source="hostile", ops=["race track: empty .fit"]))
    return jobs


def _rng_for(gpx: bytes, secret: Path, want: str) -> random.Random:
    for s in range(200):
        _, desc = gpx_hostile(gpx, random.Random(s), str(secret))
        if desc == want:
            return random.Random(s)
    raise AssertionError(want)


def race_baseline(folder: Path) -> tuple[dict | None, str]:
    """The intact runners' results (no runner 103), or None and why the race cannot be fuzzed."""
    try:
        from retrotrack.race import run_race  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return None, f"retrotrack.race.run_race is not importable: {exc}"
    h = H.Harness(folder / "jobs", timeout=120, workers=1)
    job = H.Job("race", "none", None, source="baseline")
    # Keep the outputs: run the child by hand in the harness's folder layout.
    keep = folder / "keep"
    h.keep_failures = None
    orig = h._finish

    def finish(o, wd, outcomes, cb):
        if (wd / "site" / "results.json").exists():
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "results.json").write_bytes((wd / "site" / "results.json").read_bytes())
        orig(o, wd, outcomes, cb)

    h._finish = finish
    outs = h.run([job])
    o = outs[0]
    if o.category not in H.GOOD:
        return None, f"the intact race fails: {o.category} {o.detail[:300]}"
    try:
        doc = json.loads((keep / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"no results.json from the intact race: {exc}"
    base = {r["bib"]: r for r in doc.get("results", []) if r.get("bib") in ("101", "102")}
    if len(base) != 2:
        return None, "the intact race lacks runners 101 and 102"
    return base, ""
