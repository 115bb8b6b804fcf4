"""Hostile GPX/XML: refused quickly with a clear message, memory bounded, no file read behind the user's back.

Every input runs in a forked child capped at MEM_MB of address space (so a
reader that inflates or loads a gigabyte dies there, and the test fails) and a
timeout that guards against hangs.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import needs_real, real_file
from fuzz_helpers import H, describe, run_analyze_job

from fuzz.mutators import gpx_hostile
from fuzz.seeds import encode_gpx, gzip_bomb, simulate_run

MEM_MB = 1024
GIB = 1024**3


@pytest.fixture(scope="module")
def gpx() -> bytes:
    return encode_gpx(simulate_run(seed=11, minutes=3, pause=False))


def _body(gpx: bytes) -> str:
    text = gpx.decode("utf-8")
    return text[text.index("<gpx") :]


DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _refused(o: H.Outcome, name: str) -> None:
    assert o.category == "error", describe(o)
    line = o.stderr.strip()
    assert "\n" not in line and name in line, line


def _secret(tmp_path: Path) -> Path:
    s = tmp_path / "secret.txt"
    s.write_text(f"root:x:0:0:{H.SECRET_TOKEN}\n")
    return s


def test_billion_laughs_is_refused(tmp_path, gpx):
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    doc = DECL + "<!DOCTYPE gpx [" + "".join(ents) + "]>" + _body(gpx).replace("<trk>", "<trk><name>&lol9;</name>", 1)
    o = run_analyze_job("laughs.gpx", doc.encode(), tmp_path, mem_mb=MEM_MB)
    _refused(o, "laughs.gpx")


def test_quadratic_entity_blowup_is_refused(tmp_path, gpx):
    doc = DECL + '<!DOCTYPE gpx [<!ENTITY a "' + "x" * 50_000 + '">]>' + _body(gpx).replace("<trk>", "<trk><name>" + "&a;" * 20_000 + "</name>", 1)
    o = run_analyze_job("quadratic.gpx", doc.encode(), tmp_path, mem_mb=MEM_MB)
    _refused(o, "quadratic.gpx")


@pytest.mark.parametrize("target", ["secret", "/etc/passwd"])
def test_external_entity_is_never_read(tmp_path, gpx, target):
    secret = _secret(tmp_path)
    path = str(secret) if target == "secret" else target
    doc = DECL + f'<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file://{path}">]>' + _body(gpx).replace("<trk>", "<trk><name>&xxe;</name>", 1)
    o = run_analyze_job("xxe.gpx", doc.encode(), tmp_path, mem_mb=MEM_MB, secret=Path(path))
    # The audit hook in the child records any open() of the target: "leak" if it was opened.
    assert o.category in ("error", "ok", "warn"), describe(o)
    everything = o.stdout + o.stderr
    assert H.SECRET_TOKEN not in everything and "root:x:0:0" not in everything
    assert o.category == "error", "a GPX with a DOCTYPE declaring entities should be refused: " + describe(o)


def test_external_parameter_entity_and_remote_dtd_are_never_fetched(tmp_path, gpx):
    secret = _secret(tmp_path)
    for name, dtd in (
        ("param.gpx", f'<!DOCTYPE gpx [<!ENTITY % xxe SYSTEM "file://{secret}"> %xxe;]>'),
        ("remote.gpx", '<!DOCTYPE gpx SYSTEM "http://127.0.0.1:9/evil.dtd">'),
    ):
        o = run_analyze_job(name, (DECL + dtd + _body(gpx)).encode(), tmp_path / name, mem_mb=MEM_MB, secret=secret)
        assert o.category in H.GOOD, describe(o)
        assert H.SECRET_TOKEN not in o.stdout + o.stderr


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_elements_end_cleanly(tmp_path, gpx, depth):
    nest = "<a>" * depth + "</a>" * depth
    doc = DECL + _body(gpx).replace("<trk>", "<trk>" + nest, 1)
    o = run_analyze_job("deep.gpx", doc.encode(), tmp_path, mem_mb=MEM_MB)
    assert o.category in H.GOOD, describe(o)


def test_deep_nesting_inside_point_extensions_ends_cleanly(tmp_path, gpx):
    nest = "<x:a>" * 200_000 + "</x:a>" * 200_000
    doc = DECL + _body(gpx).replace("<gpx ", '<gpx xmlns:x="urn:x" ', 1).replace("<extensions>", "<extensions>" + nest, 1)
    o = run_analyze_job("deep-ext.gpx", doc.encode(), tmp_path, mem_mb=MEM_MB)
    assert o.category in H.GOOD, describe(o)


def test_gzip_of_a_gigabyte_of_whitespace_is_refused_with_bounded_memory(tmp_path):
    bomb = gzip_bomb(GIB, b" ")
    assert len(bomb) < 2 * 1024 * 1024  # tiny on disk
    o = run_analyze_job("whitespace.gpx.gz", bomb, tmp_path, mem_mb=MEM_MB)
    _refused(o, "whitespace.gpx.gz")


def test_gzip_bomb_inside_a_valid_looking_track_is_refused(tmp_path, gpx):
    pre = gpx[: gpx.index(b"<trkseg>") + 8]
    bomb = gzip_bomb(GIB, b"\n ", prefix=pre, suffix=b"</trkseg></trk></gpx>")
    o = run_analyze_job("bomb.gpx.gz", bomb, tmp_path, mem_mb=MEM_MB)
    _refused(o, "bomb.gpx.gz")


def test_gzip_of_a_gigabyte_of_zeros_named_fit_is_refused(tmp_path):
    o = run_analyze_job("zeros.fit.gz", gzip_bomb(GIB, b"\0"), tmp_path, mem_mb=MEM_MB)
    _refused(o, "zeros.fit.gz")


def test_large_whitespace_file_is_refused_with_bounded_memory(tmp_path):
    """64 MB of whitespace on disk (the long fuzz run uses 1 GB): refused, not parsed into memory."""
    big = tmp_path / "whitespace.gpx"
    with open(big, "wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        chunk = b" \n\t" * (1024 * 1024)
        for _ in range(64 * 1024 * 1024 // len(chunk)):
            fh.write(chunk)
    o = run_analyze_job(big.name, None, tmp_path, path=big, mem_mb=MEM_MB)
    _refused(o, big.name)


def test_sparse_gigabyte_file_is_refused_without_reading_it_all(tmp_path):
    """1 GB (sparse, so nothing on disk) named .gpx: too big for a watch export, or not XML: refused."""
    big = tmp_path / "huge.gpx"
    with open(big, "wb") as fh:
        fh.write(b'<?xml version="1.0"?><gpx><trk><trkseg>')
        fh.truncate(GIB)
    o = run_analyze_job(big.name, None, tmp_path, path=big, mem_mb=MEM_MB)
    _refused(o, big.name)


def test_script_in_track_name_is_escaped_in_the_report(tmp_path, gpx):
    doc = gpx.replace(b"<name>Retro test run</name>", b"<name>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\" \xe2\x80\xae\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x8f\x83</name>")
    assert doc != gpx
    o = run_analyze_job("xss.gpx", doc, tmp_path, mem_mb=MEM_MB)
    # The harness fails an analysis whose HTML contains the raw `<script>alert(`.
    assert o.category in ("ok", "warn"), describe(o)


def test_not_well_formed_xml_is_one_clean_error(tmp_path):
    o = run_analyze_job("bad.gpx", b"<xml\xe2\x88\x82></xml>", tmp_path, mem_mb=MEM_MB)
    _refused(o, "bad.gpx")


@needs_real
def test_real_badcharacter_xml_is_one_clean_error(tmp_path):
    src = real_file("georust__badcharacter.xml")
    o = run_analyze_job(src.name, None, tmp_path, path=src, mem_mb=MEM_MB)
    _refused(o, src.name)


@pytest.mark.parametrize("seed", range(12))
def test_every_hostile_mode_of_the_fuzzer_ends_cleanly(tmp_path, gpx, seed):
    """The hostile XML mutations the long run draws from (entities, nesting, huge attributes and text)."""
    secret = _secret(tmp_path)
    data, desc = gpx_hostile(gpx, random.Random(seed), str(secret))
    o = run_analyze_job("hostile.gpx", data, tmp_path, mem_mb=MEM_MB, secret=secret)
    assert o.category in H.GOOD, desc + "\n" + describe(o)
