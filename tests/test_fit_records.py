"""The fast record path gives the very activity fitdecode alone gives, and steps aside where it cannot."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import numpy as np
import pytest

from conftest import DATA, REAL_DIR
from retrotrack.errors import ReadError
from retrotrack.readers import fit
from retrotrack.readers.fit_records import decode_records
from retrotrack.simulate.fitwriter import write_activity_fit

START = datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)


def plain_run(n: int = 300, **kw) -> bytes:
    rng = np.random.default_rng(n)
    t = np.arange(float(n))
    args = dict(start_time=START, t_s=t, lat_deg=53.34 + t * 3.0 / 111195.0, lon_deg=np.full(n, -6.26),
                distance_m=t * 3.0, speed_mps=np.full(n, 3.0), cadence_spm=rng.uniform(160, 190, n),
                heart_rate_bpm=np.full(n, 150.0), altitude_m=20.0 + rng.normal(0, 1, n),
                heading_deg=rng.uniform(0, 360, n), step_length_m=np.full(n, 1.02),
                laps=[(0, 100, 300.0), (100, n - 1, 3.0 * (n - 101))], pauses=[(150, 160)])
    args.update(kw)
    return write_activity_fit(None, **args)


def both_paths(data: bytes, name: str = "t.fit"):
    """(fast path, fitdecode alone): each a RawActivity, or the ReadError's text."""
    def read():
        try:
            return fit.decode_fit(data, name)
        except ReadError as exc:
            return str(exc)

    fast = read()
    original = fit._decode
    fit._decode = fit._decode_frames
    try:
        slow = read()
    finally:
        fit._decode = original
    return fast, slow


def assert_same(a, b) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    np.testing.assert_array_equal(a.times, b.times)
    assert a.channels.keys() == b.channels.keys()
    for key in a.channels:
        np.testing.assert_allclose(a.channels[key], b.channels[key], rtol=1e-12, atol=1e-9, err_msg=key)
    for attr in ("laps", "sessions", "pauses", "warnings", "sport", "device", "device_distance_m"):
        assert getattr(a, attr) == getattr(b, attr), attr


def fit_files() -> list:
    files = sorted((DATA / "real").glob("*.fit")) + sorted((DATA / "sessions").glob("*.fit.gz"))
    files += sorted((DATA / "regressions").glob("*.fit"))
    if REAL_DIR.is_dir():
        files += sorted(p for p in REAL_DIR.iterdir() if p.suffix.lower() == ".fit")
    return files


@pytest.mark.parametrize("path", fit_files(), ids=lambda p: p.name)
def test_every_fit_file_at_hand_reads_the_same_either_way(path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    assert_same(*both_paths(data, path.name))


def test_a_plain_run_with_a_compass_takes_the_fast_path_and_reads_the_same():
    data = plain_run()
    rows, others = decode_records(data, fit._heading_of)
    assert len(rows) == 300 and len(others) < len(data) / 4
    fast, slow = both_paths(data)
    assert_same(fast, slow)
    assert np.isfinite(fast.channels["heading_deg"]).all() and fast.pauses and len(fast.laps) == 2


def test_what_the_fast_path_cannot_read_is_left_to_fitdecode():
    assert decode_records(plain_run(compressed_timestamps=True)) is None
    assert decode_records(plain_run() + plain_run()) is None  # chained
    assert decode_records(plain_run()[:-500]) is None  # cut short


def test_damage_anywhere_reads_the_same_either_way():
    # One byte changed at random, 150 times over: headers, definitions, records, laps and the CRCs.
    data = plain_run(120)
    rng = np.random.default_rng(7)
    for _ in range(150):
        bad = bytearray(data)
        at = int(rng.integers(0, len(bad)))
        bad[at] = (bad[at] + int(rng.integers(1, 256))) % 256
        assert_same(*both_paths(bytes(bad)))
