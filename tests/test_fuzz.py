"""A short fuzz run in the default suite: mutated FIT and GPX files never break `retrotrack`.

Every input must end in a result, a result with warnings, or a one-line error,
with whole (or absent) output files: never a traceback, a hang, stray stderr
noise, or a half-written file. Each input runs in a forked child with a memory
cap and a timeout (fuzz/harness.py). The long run is `fuzz/run.py`.

Every input that once failed lives in tests/data/regressions (MANIFEST.json) and
is replayed here; those still open are xfail(strict=True) until fixed.
"""

from __future__ import annotations

import json
import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REAL_DIR, needs_real
from fuzz_helpers import H, describe, race_importable, run_analyze_job, run_jobs

from fuzz import fitstruct as fs
from fuzz.corpus import Corpus, config_job
from fuzz.mutators import mutate
from fuzz.regressions import MANIFEST, REG_DIR, load_manifest
from fuzz.seeds import encode_fit, gzip_bomb, simulate_run, simulated_seeds

N_BATCH = int(os.environ.get("RETROTRACK_FUZZ_INPUTS", "72"))
N_HYPOTHESIS = int(os.environ.get("RETROTRACK_FUZZ_EXAMPLES", "20"))
SMALL_REAL = (
    "fitparse__garmin-fenix-5-run.fit",
    "fitparse__compressed-speed-distance.fit",
    "sweatpy__6471559601_ACTIVITY.fit",
    "saf__fit_format_test_File.FIT",
    "fitparse__2013-02-06-12-11-14.fit",
    "fitparse__strava-android-app-201.10-b1218918.fit",
    "togeojson__Friday-Evening-Run.gpx",
    "togeojson__apple_watch_route.gpx",
    "togeojson__strava.gpx",
    "togeojson__bad.gpx",
    "georust__with_accuracy.gpx",
    "togeojson__run.gpx",
)


def _open_signatures() -> set[str]:
    return {e["signature"] for e in load_manifest() if e.get("status") == "open"}


# --- the mutators themselves ---------------------------------------------------------------------


def test_mutations_replay_from_source_and_seed():
    """Recipes (source + seed) must give the same bytes every time: GPL-derived regressions rely on it."""
    seeds = simulated_seeds()
    for name in ("sim__retro-heading.fit", "sim__retro-bearing.gpx"):
        for seed in range(30):
            a = mutate(name, seeds[name], seed)
            b = mutate(name, seeds[name], seed)
            assert (a.name, a.data, a.ops) == (b.name, b.data, b.ops)


def test_fit_layout_walks_every_message_and_rebuilds_exactly():
    run = simulate_run(seed=5, minutes=2)
    data = encode_fit(run, compressed_every=3)
    layout = fs.parse_layout(data)
    assert len(layout.chains) == 1 and layout.chains[0].broken_at is None
    records = [m for m in layout.messages if m.kind != "def" and m.global_num == 20]
    assert len(records) == run.t_s.size
    assert any(m.kind == "compressed" for m in records)
    assert fs.fit_crc(data) == 0, "a FIT file with its CRC appended checks to zero"
    same = fs.rebuild(data, layout, fs.message_chunks(data, layout.chains[0]))
    assert same == data
    assert layout.boundaries()[-1] == len(data)


def test_field_rewrites_land_on_the_timestamp():
    data = encode_fit(simulate_run(seed=6, minutes=1, pause=False))
    layout = fs.parse_layout(data)
    rec = next(m for m in layout.messages if m.kind == "data" and m.global_num == 20)
    buf = bytearray(data)
    assert fs.write_field(buf, rec, 253, 0xFFFFFFFE)
    assert fs.read_field(bytes(buf), rec, 253) == 0xFFFFFFFE


def test_gzip_bomb_is_small_on_disk_and_inflates_to_a_gigabyte():
    import zlib

    bomb = gzip_bomb(1024**3, b" ")
    assert len(bomb) < 2 * 1024 * 1024
    # Inflate only the first member's worth to check the content without using a GB here.
    d = zlib.decompressobj(31)
    head = d.decompress(bomb, 1 << 20)
    assert head == b" " * len(head) and len(head) == 1 << 20


# --- short fuzz run ------------------------------------------------------------------------------


def _batch_sources() -> list[str]:
    corpus = Corpus()
    names = sorted(corpus.sim)
    names += [n for n in SMALL_REAL if n in corpus.real]
    return names


def _check(outcomes: list[H.Outcome]) -> None:
    known = _open_signatures()
    new = [o for o in outcomes if o.category not in H.GOOD and o.signature not in known]
    known_hits = [o for o in outcomes if o.category not in H.GOOD and o.signature in known]
    if known_hits:
        print(f"{len(known_hits)} inputs hit known, open regressions: {sorted({o.signature for o in known_hits})}")
    assert not new, f"{len(new)} of {len(outcomes)} inputs failed:\n\n" + "\n\n".join(describe(o) for o in new[:8])


def test_short_fuzz_run_over_analyze(tmp_path):
    """A fixed batch of mutants of the simulated (and small real) files through `analyze`."""
    corpus = Corpus()
    names = _batch_sources()
    secret = tmp_path / "secret.txt"
    secret.write_text(f"root:x:0:0:{H.SECRET_TOKEN}\n")
    jobs = []
    for i in range(N_BATCH):
        src = names[i % len(names)]
        seed = 7_000_000 + i
        m = mutate(src, corpus.bytes(src), seed, corpus.other, str(secret))
        jobs.append(H.Job("analyze", m.name, m.data, source=src, seed=seed, ops=m.ops, json_stdout=(i % 7 == 3)))
    outcomes = run_jobs(jobs, tmp_path, secret=secret, timeout=120)
    assert len(outcomes) == N_BATCH
    _check(outcomes)
    # The batch exercises every ending, not only errors: mutants that still read.
    cats = {o.category for o in outcomes}
    assert "ok" in cats or "warn" in cats, cats


@pytest.mark.skipif(not race_importable(), reason="race timing not importable yet")
def test_short_fuzz_run_over_a_race(tmp_path):
    """Runner 103's track is a mutant; 101 and 102 must keep their intact results, and the race must finish.
    Mutated configs and entries end in results or one clean error line."""
    from fuzz.corpus import race_baseline

    baseline, why = race_baseline(tmp_path / "baseline")
    assert baseline is not None, why
    corpus = Corpus()
    names = _batch_sources()
    jobs = []
    for i in range(12):
        src = names[(5 * i) % len(names)]
        m = mutate(src, corpus.bytes(src), 8_000_000 + i, corpus.other)
        jobs.append(H.Job("race", m.name, m.data, source=src, seed=8_000_000 + i, ops=m.ops, race_jobs=2 if i == 5 else 1))
    # and the organiser's side: mutated config, entries CSV, --times export
    jobs += [config_job(9_000_000 + i) for i in range(16)]
    outcomes = run_jobs(jobs, tmp_path, race_baseline=baseline, timeout=180)
    _check(outcomes)


_HYP_SOURCES = sorted(simulated_seeds())
_HYP_BYTES = simulated_seeds()


@settings(max_examples=N_HYPOTHESIS, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(source=st.sampled_from(_HYP_SOURCES), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_hypothesis_mutants_end_cleanly(tmp_path_factory, source, seed):
    m = mutate(source, _HYP_BYTES[source], seed)
    o = run_analyze_job(m.name, m.data, tmp_path_factory.mktemp("hyp"), timeout=120)
    assert o.category in H.GOOD or o.signature in _open_signatures(), describe(o)


# --- regressions ---------------------------------------------------------------------------------


def _regression_params():
    params = []
    for e in load_manifest():
        marks = []
        if e.get("status") == "open":
            marks.append(pytest.mark.xfail(strict=True, reason=f"open bug ({e.get('owner')}): {e.get('reason', '')[:200]}"))
        if "recipe" in e:
            marks.append(needs_real)
        params.append(pytest.param(e, id=e["id"], marks=marks))
    return params


@pytest.mark.parametrize("entry", _regression_params())
def test_saved_regression(entry, tmp_path):
    """Every input that once failed ends cleanly now (open ones are expected to fail until fixed)."""
    secret = tmp_path / "secret.txt"
    secret.write_text(f"root:x:0:0:{H.SECRET_TOKEN}\n")
    extra = None
    if "extra" in entry:  # a race whose config / entries / times files were mutated
        extra = {rel: (REG_DIR / fname).read_bytes() for rel, fname in entry["extra"].items()}
        name, data, ops = "none", None, entry.get("ops", [])
    elif "file" in entry:
        data = (REG_DIR / entry["file"]).read_bytes()
        name = entry.get("name") or entry["file"]
        ops = entry.get("ops", [])
    else:
        r = entry["recipe"]
        src = REAL_DIR / r["source"]
        corpus = Corpus()
        m = mutate(r["source"], src.read_bytes(), r["seed"], corpus.other, str(secret))
        name, data, ops = m.name, m.data, m.ops
        assert ops == entry.get("ops", ops), "the recipe no longer reproduces the saved mutation"
    job = H.Job(entry.get("kind", "analyze"), name, data, source=entry["id"], ops=ops, extra=extra, **entry.get("options", {}))
    baseline = None
    if job.kind == "race":
        if not race_importable():
            pytest.skip("race timing not importable")
        from fuzz.corpus import race_baseline

        baseline, why = race_baseline(tmp_path / "baseline")
        assert baseline is not None, why
    o = run_jobs([job], tmp_path, secret=secret, race_baseline=baseline, timeout=180, workers=1)[0]
    assert o.category in H.GOOD, describe(o)


def test_regression_manifest_is_consistent():
    entries = load_manifest()
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert e.get("status") in ("open", "fixed"), e
        assert sum(k in e for k in ("file", "recipe", "extra")) == 1, e
        for fname in e.get("extra", {}).values():
            assert (REG_DIR / fname).is_file(), fname
        if "file" in e:
            f = REG_DIR / e["file"]
            assert f.is_file(), f
            assert f.stat().st_size <= 256 * 1024, f"{f.name} is too big for a regression file"
            assert not e.get("source", "").startswith("gpsbabel__")
    on_disk = {p.name for p in REG_DIR.iterdir()} - {MANIFEST.name, "README.md"} if REG_DIR.is_dir() else set()
    listed = {e.get("file") for e in entries} | {f for e in entries for f in e.get("extra", {}).values()}
    assert on_disk <= listed, f"files not in MANIFEST.json: {on_disk - listed}"


# --- targeted damage: what the contract says each kind of damage gives -----------------------------
#
# INTERFACE.md: a file damaged part-way is analysed up to the damage (exit 0 and a
# warning); records that decode to nonsense at the damage (a date decades away,
# an impossible position) are dropped, not used; nothing usable is an error.


def _small_fit() -> bytes:
    return encode_fit(simulate_run(seed=31, minutes=1.5, pause=False), laps_m=150.0)


def _small_gpx() -> bytes:
    from fuzz.seeds import encode_gpx

    return encode_gpx(simulate_run(seed=32, minutes=1.5, pause=False))


def _doc(o: H.Outcome) -> dict:
    assert o.category in ("ok", "warn"), describe(o)
    return json.loads(o.stdout)


@pytest.fixture(scope="module")
def fit_base(tmp_path_factory):
    data = _small_fit()
    return data, _doc(run_analyze_job("base.fit", data, tmp_path_factory.mktemp("fb"), json_stdout=True))


@pytest.fixture(scope="module")
def gpx_base(tmp_path_factory):
    data = _small_gpx()
    return data, _doc(run_analyze_job("base.gpx", data, tmp_path_factory.mktemp("gb"), json_stdout=True))


def test_fit_truncated_at_every_message_boundary(tmp_path, fit_base):
    """Cut after each message: a result with a warning once records are there, else one clean error."""
    data, base = fit_base
    layout = fs.parse_layout(data)
    msgs = layout.messages
    # every message boundary among the first 20 messages (definitions, file_id, developer fields), then every 3rd
    cuts = sorted({m.offset for m in msgs[:20]} | {m.offset for m in msgs[20::3]} | {m.offset + 1 for m in msgs[::9]} | {0, 1, 8, 12, 13, 14, len(data) - 2, len(data) - 1})
    jobs = [H.Job("analyze", f"cut{c}.fit", data[:c], source="cut", seed=c, ops=[f"truncate at {c}"], json_stdout=True) for c in cuts]
    outcomes = run_jobs(jobs, tmp_path)
    _check(outcomes)
    records = [m for m in layout.messages if m.kind != "def" and m.global_num == 20]
    for o in outcomes:
        cut = o.job.seed
        before = sum(1 for m in records if m.end <= cut)
        if before >= 10:
            assert o.category == "warn", f"a file cut after {before} records is damaged part-way: result with a warning. " + describe(o)
            doc = json.loads(o.stdout)
            assert doc["warnings"]
            assert doc["summary"]["elapsed_s"] <= base["summary"]["elapsed_s"] + 1e-6


def _gpx_cuts(tmp_path, data):
    ends = [m.end() for m in re.finditer(rb"</trkpt>", data)]
    cuts = sorted(set(ends[::3] + [e + 1 for e in ends[::11]] + [m.start() for m in re.finditer(rb"<time>", data)][::9] + [0, 5, 40, len(data) - 1]))
    jobs = [H.Job("analyze", f"cut{c}.gpx", data[:c], source="cut", seed=c, ops=[f"truncate at {c}"], json_stdout=True) for c in cuts]
    return ends, run_jobs(jobs, tmp_path)


def test_gpx_truncated_at_element_boundaries_ends_cleanly(tmp_path, gpx_base):
    data, base = gpx_base
    _, outcomes = _gpx_cuts(tmp_path, data)
    _check(outcomes)


def test_gpx_truncated_part_way_is_read_up_to_the_damage(tmp_path, gpx_base):
    data, base = gpx_base
    ends, outcomes = _gpx_cuts(tmp_path, data)
    for o in outcomes:
        before = sum(1 for e in ends if e <= o.job.seed)
        if 10 <= before < len(ends):
            assert o.category == "warn", f"a GPX cut after {before} points is damaged part-way: result with a warning. " + describe(o)


def _rewrite_records(data: bytes, fn) -> bytes:
    layout = fs.parse_layout(data)
    recs = [m for m in layout.messages if m.kind != "def" and m.global_num == 20]
    buf = bytearray(data)
    fn(buf, recs, data)
    return fs.fix_all_crcs(bytes(buf))


_TS_VALUES = {
    "decades ahead": lambda ts: ts + 86400 * 365 * 60,
    "FIT epoch": lambda ts: 0,
    "invalid": lambda ts: 0xFFFFFFFF,
    "a year back": lambda ts: ts - 86400 * 365,
}


@pytest.mark.parametrize(
    "label,where",
    [
        pytest.param(label, where, id=f"{where}-{label}")
        for where in ("middle", "last")
        for label in _TS_VALUES
    ],
)
def test_fit_record_with_a_nonsense_timestamp_is_dropped(tmp_path, fit_base, label, where):
    data, base = fit_base
    value = _TS_VALUES[label]

    def fn(buf, recs, orig):
        m = recs[len(recs) // 2] if where == "middle" else recs[-1]
        fs.write_field(buf, m, 253, value(fs.read_field(orig, m, 253)))

    o = run_analyze_job("ts.fit", _rewrite_records(data, fn), tmp_path, json_stdout=True)
    doc = _doc(o)
    assert abs(doc["summary"]["elapsed_s"] - base["summary"]["elapsed_s"]) <= 2.0, (label, doc["summary"])
    assert doc["start_time"] == base["start_time"]


@pytest.mark.parametrize("mode", ["repeat", "backward"])
def test_fit_zero_and_negative_time_steps(tmp_path, fit_base, mode):
    data, base = fit_base

    def fn(buf, recs, orig):
        for k in range(10, len(recs), 9):
            prev = fs.read_field(orig, recs[k - 1], 253)
            fs.write_field(buf, recs[k], 253, prev if mode == "repeat" else prev - 3)

    doc = _doc(run_analyze_job("steps.fit", _rewrite_records(data, fn), tmp_path, json_stdout=True))
    assert abs(doc["summary"]["elapsed_s"] - base["summary"]["elapsed_s"]) <= 2.0
    assert abs(doc["summary"]["distance_m"] - base["summary"]["distance_m"]) <= 0.05 * base["summary"]["distance_m"]


@pytest.mark.parametrize("semi", [0x7FFFFFFF, 0x40000100, -0x40000100, 0], ids=["invalid", "lat>90", "lat<-90", "null-island"])
def test_fit_record_with_a_nonsense_position_does_not_add_distance(tmp_path, fit_base, semi):
    data, base = fit_base

    def fn(buf, recs, orig):
        m = recs[len(recs) // 2]
        fs.write_field(buf, m, 0, semi)
        fs.write_field(buf, m, 1, semi if semi != 0x7FFFFFFF else 0x7FFFFFFF)

    doc = _doc(run_analyze_job("pos.fit", _rewrite_records(data, fn), tmp_path, json_stdout=True))
    assert abs(doc["summary"]["distance_m"] - base["summary"]["distance_m"]) <= 0.05 * base["summary"]["distance_m"], doc["summary"]


@pytest.mark.parametrize("mode", ["duplicate", "drop"])
def test_fit_duplicated_and_dropped_records(tmp_path, fit_base, mode):
    data, base = fit_base
    layout = fs.parse_layout(data)
    chunks = fs.message_chunks(data, layout.chains[0])
    rec_idx = [i for i, m in enumerate(layout.chains[0].messages) if m.kind != "def" and m.global_num == 20]
    pick = set(rec_idx[5::6])
    new = []
    for i, c in enumerate(chunks):
        if i in pick and mode == "drop":
            continue
        new.append(c)
        if i in pick and mode == "duplicate":
            new.append(c)
    doc = _doc(run_analyze_job(f"{mode}.fit", fs.rebuild(data, layout, new), tmp_path, json_stdout=True))
    assert abs(doc["summary"]["elapsed_s"] - base["summary"]["elapsed_s"]) <= 2.0
    assert abs(doc["summary"]["distance_m"] - base["summary"]["distance_m"]) <= 0.05 * base["summary"]["distance_m"]


@pytest.mark.parametrize("what", ["nfields=255", "fieldsize=255", "fieldsize=0", "arch=7", "devsize=255"])
def test_fit_absurd_definition_sizes(tmp_path, fit_base, what):
    data, _ = fit_base
    layout = fs.parse_layout(data)
    d = next(m for m in layout.messages if m.kind == "def" and m.global_num == 20)
    buf = bytearray(data)
    nf = buf[d.offset + 5]
    if what == "nfields=255":
        buf[d.offset + 5] = 255
    elif what == "fieldsize=255":
        buf[d.offset + 6 + 3 * 2 + 1] = 255
    elif what == "fieldsize=0":
        buf[d.offset + 6 + 1] = 0
    elif what == "arch=7":
        buf[d.offset + 2] = 7
    else:
        buf[d.offset + 6 + 3 * nf + 1 + 1] = 255
    o = run_analyze_job("absurd.fit", fs.fix_all_crcs(bytes(buf)), tmp_path)
    assert o.category in H.GOOD, describe(o)


@pytest.mark.parametrize(
    "time_value",
    [
        b"9999-12-31T23:59:59Z",
        b"1900-01-01T00:00:00Z",
        pytest.param(b"2086-06-14T09:00:00Z"),
        b"not a time",
        b"",
    ],
)
def test_gpx_point_with_a_nonsense_time_is_dropped(tmp_path, gpx_base, time_value):
    data, base = gpx_base
    times = list(re.finditer(rb"<time>([^<]*)</time>", data))
    m = times[len(times) // 2]
    bad = data[: m.start(1)] + time_value + data[m.end(1) :]
    doc = _doc(run_analyze_job("time.gpx", bad, tmp_path, json_stdout=True))
    assert abs(doc["summary"]["elapsed_s"] - base["summary"]["elapsed_s"]) <= 2.0, doc["summary"]


@pytest.mark.parametrize("value", [b"NaN", b"inf", b"91", b"-181", b"1e308", b"", b"undefined"])
def test_gpx_point_with_a_nonsense_coordinate_is_dropped(tmp_path, gpx_base, value):
    data, base = gpx_base
    lats = list(re.finditer(rb'lat="([^"]*)"', data))
    m = lats[len(lats) // 2]
    bad = data[: m.start(1)] + value + data[m.end(1) :]
    doc = _doc(run_analyze_job("coord.gpx", bad, tmp_path, json_stdout=True))
    assert abs(doc["summary"]["distance_m"] - base["summary"]["distance_m"]) <= 0.05 * base["summary"]["distance_m"], doc["summary"]


@pytest.mark.parametrize("mode", ["repeat", "backward", "reversed-block"])
def test_gpx_zero_and_negative_time_steps(tmp_path, gpx_base, mode):
    data, base = gpx_base
    times = list(re.finditer(rb"<time>([^<]*)</time>", data))
    out, last = bytearray(), 0
    for k in range(10, len(times), 9):
        src = times[k - 1] if mode == "repeat" else times[k - 3]
        if mode == "reversed-block":
            src = times[len(times) - 1 - k] if k < len(times) // 3 else times[k]
        out += data[last : times[k].start(1)] + src.group(1)
        last = times[k].end(1)
    out += data[last:]
    o = run_analyze_job("steps.gpx", bytes(out), tmp_path, json_stdout=True)
    assert o.category in ("ok", "warn"), describe(o)


def test_fit_bit_flips_in_every_kind_of_message(tmp_path, fit_base):
    """One flipped bit in a definition, the file_id, a developer-field description, a record, a lap,
    the session: with the CRC fixed (so the flip reaches the decoder) and without."""
    data, _ = fit_base
    layout = fs.parse_layout(data)
    picks: dict[tuple, fs.Message] = {}
    for m in layout.messages:
        picks.setdefault((m.kind, m.global_num), m)
    rng = random.Random(5)
    jobs = []
    for (kind, gnum), m in sorted(picks.items(), key=lambda kv: kv[1].offset):
        for fix in (True, False):
            for _ in range(2):
                buf = bytearray(data)
                i = rng.randrange(m.offset, m.end)
                buf[i] ^= 1 << rng.randrange(8)
                out = fs.fix_all_crcs(bytes(buf)) if fix else bytes(buf)
                jobs.append(H.Job("analyze", "flip.fit", out, source="flip", seed=i, ops=[f"flip byte {i} in {kind} {gnum}, crc {'fixed' if fix else 'stale'}"]))
    _check(run_jobs(jobs, tmp_path))


def test_gpx_dated_in_year_one_is_not_taken_as_a_real_date(tmp_path, gpx_base):
    """A whole track in year 0001 (a receiver before its first fix): a warning or a clean error, and never a malformed start_time."""
    data, base = gpx_base
    shifted = re.sub(rb"<time>2026-", b"<time>0001-", data)
    assert shifted != data
    o = run_analyze_job("year1.gpx", shifted, tmp_path, json_stdout=True)
    assert o.category in ("warn", "error"), describe(o)
    if o.category == "warn":
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", json.loads(o.stdout)["start_time"])




@pytest.mark.parametrize("raw", [0xFFFFFFF0, 0x7FFFFFFF], ids=["near-max", "2^31"])
def test_fit_record_with_an_impossible_distance_is_dropped(tmp_path, fit_base, raw):
    data, base = fit_base

    def fn(buf, recs, orig):
        fs.write_field(buf, recs[len(recs) // 2], 5, raw)

    doc = _doc(run_analyze_job("dist.fit", _rewrite_records(data, fn), tmp_path, json_stdout=True))
    assert abs(doc["summary"]["distance_m"] - base["summary"]["distance_m"]) <= 0.05 * base["summary"]["distance_m"], doc["summary"]
