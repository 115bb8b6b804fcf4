"""The same inputs give byte-identical outputs, and outputs are replaced whole.

analyze (JSON and HTML) and race (results.json, results.csv, every page) are
run twice in fresh interpreters with different PYTHONHASHSEED values, so set
and dict-order noise would show, and compared byte for byte. No run timestamp
appears unless --generated-at asks for one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_real, real_file
from fuzz_helpers import race_importable

from fuzz.seeds import encode_fit, encode_gpx, simulate_run, write_race

PY = sys.executable


def _cli(args: list[str], cwd: Path, hash_seed: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([PY, "-m", "retrotrack", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_same_trees(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert sorted(a) == sorted(b), "different files written"
    differ = [k for k in a if a[k] != b[k]]
    if differ:
        k = differ[0]
        x, y = a[k], b[k]
        i = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
        raise AssertionError(f"{len(differ)} files differ, first {k} at byte {i}: {x[max(0, i - 80) : i + 80]!r} vs {y[max(0, i - 80) : i + 80]!r}")


def _analyze_twice(tmp_path: Path, src: Path) -> None:
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"run{hash_seed}"
        out.mkdir()
        p = _cli(["analyze", str(src), "--json", str(out / "a.json"), "--html", str(out / "a.html")], tmp_path, hash_seed)
        assert p.returncode == 0, p.stderr
        outs.append(_tree(out))
    _assert_same_trees(*outs)
    assert set(outs[0]) == {"a.json", "a.html"}, "temporary files left behind"


@pytest.mark.parametrize("kind", ["fit", "gpx"])
def test_analyze_gives_identical_bytes_twice(tmp_path, kind):
    run = simulate_run(seed=21, minutes=5)
    src = tmp_path / f"retro.{kind}"
    src.write_bytes(encode_fit(run) if kind == "fit" else encode_gpx(run))
    _analyze_twice(tmp_path, src)


@needs_real
@pytest.mark.parametrize("name", ["fitparse__activity-small-fenix2-run.fit", "togeojson__Friday-Evening-Run.gpx", "fitparse__nick.fit"])
def test_analyze_real_file_gives_identical_bytes_twice(tmp_path, name):
    _analyze_twice(tmp_path, real_file(name))


def test_analyze_stdout_json_is_the_same_document_as_the_file(tmp_path):
    src = tmp_path / "retro.fit"
    src.write_bytes(encode_fit(simulate_run(seed=22, minutes=3)))
    p1 = _cli(["analyze", str(src), "--json", "-"], tmp_path, "3")
    p2 = _cli(["analyze", str(src), "--json", str(tmp_path / "a.json")], tmp_path, "4")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    assert p1.stdout.encode() == (tmp_path / "a.json").read_bytes()
    assert "generated" not in json.loads(p1.stdout)


def test_a_failed_analysis_leaves_existing_outputs_untouched(tmp_path):
    """Bad input: exit 1, and yesterday's JSON and HTML are still there, whole."""
    out_json, out_html = tmp_path / "a.json", tmp_path / "a.html"
    out_json.write_text('{"old": true}\n')
    out_html.write_text("<!doctype html><html><body>old</body></html>\n")
    bad = tmp_path / "broken.fit"
    bad.write_bytes(b"\x0e\x10garbage, not a FIT file at all")
    p = _cli(["analyze", str(bad), "--json", str(out_json), "--html", str(out_html)], tmp_path, "5")
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert out_json.read_text() == '{"old": true}\n'
    assert out_html.read_text() == "<!doctype html><html><body>old</body></html>\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.html", "a.json", "broken.fit"]


race_only = pytest.mark.skipif(not race_importable(), reason="race timing not importable yet")


def _race_twice(tmp_path: Path, make_cfg, extra: list[str] = ()) -> list[dict[str, bytes]]:
    trees = []
    for hash_seed in ("11", "12"):
        cfg = make_cfg(tmp_path / f"race{hash_seed}")
        p = _cli(["race", str(cfg), "--out", str(tmp_path / f"site{hash_seed}"), *extra], tmp_path, hash_seed)
        assert p.returncode == 0, p.stderr
        trees.append(_tree(tmp_path / f"site{hash_seed}"))
    return trees


@race_only
def test_race_gives_identical_results_and_pages_twice(tmp_path):
    def make(folder):
        return write_race(folder, "extra.gpx", encode_gpx(simulate_run(seed=23, minutes=3)))

    a, b = _race_twice(tmp_path, make, ["--jobs", "2"])
    for must in ("index.html", "results.json", "results.csv"):
        assert must in a, f"{must} missing"
    assert not [k for k in a if k.endswith(".tmp") or "/." in "/" + k], "temporary files left behind"
    _assert_same_trees(a, b)


@race_only
def test_race_outputs_do_not_depend_on_the_number_of_jobs(tmp_path):
    trees = []
    for jobs in ("1", "2"):
        cfg = write_race(tmp_path / f"race{jobs}", None, None)
        p = _cli(["race", str(cfg), "--out", str(tmp_path / f"site{jobs}"), "--jobs", jobs], tmp_path, "13")
        assert p.returncode == 0, p.stderr
        trees.append(_tree(tmp_path / f"site{jobs}"))
    _assert_same_trees(*trees)


@race_only
def test_generated_at_appears_only_when_asked(tmp_path):
    stamp = "2026-06-14T12:34:56Z"
    cfg = write_race(tmp_path / "race", None, None)
    p1 = _cli(["race", str(cfg), "--out", str(tmp_path / "plain")], tmp_path, "14")
    p2 = _cli(["race", str(cfg), "--out", str(tmp_path / "stamped"), "--generated-at", stamp], tmp_path, "15")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    plain = (tmp_path / "plain" / "index.html").read_text(encoding="utf-8")
    stamped = (tmp_path / "stamped" / "index.html").read_text(encoding="utf-8")
    assert stamp in stamped
    assert stamp not in plain
    assert (tmp_path / "plain" / "results.csv").read_bytes() == (tmp_path / "stamped" / "results.csv").read_bytes()


@race_only
def test_rerunning_a_race_into_the_same_folder_replaces_outputs_whole(tmp_path):
    cfg = write_race(tmp_path / "race", None, None)
    out = tmp_path / "site"
    p = _cli(["race", str(cfg), "--out", str(out)], tmp_path, "16")
    assert p.returncode == 0, p.stderr
    first = _tree(out)
    p = _cli(["race", str(cfg), "--out", str(out)], tmp_path, "17")
    assert p.returncode == 0, p.stderr
    _assert_same_trees(first, _tree(out))


@race_only
def test_a_race_that_fails_leaves_the_published_results_untouched(tmp_path):
    """An organiser's mistake (duplicate bib) on a re-run: exit 1, and the site from the last good run is intact."""
    cfg = write_race(tmp_path / "race", None, None)
    out = tmp_path / "site"
    p = _cli(["race", str(cfg), "--out", str(out)], tmp_path, "18")
    assert p.returncode == 0, p.stderr
    before = _tree(out)
    entries = cfg.parent / "entries.csv"
    entries.write_text(entries.read_text() + "101,Someone Else,F,1990,,,300.0\r\n")
    p = _cli(["race", str(cfg), "--out", str(out)], tmp_path, "19")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    _assert_same_trees(before, _tree(out))


# --- where the outputs go: a careful user's mistakes get one clean line, never a traceback ----------

def _fit(tmp_path: Path) -> Path:
    src = tmp_path / "retro.fit"
    src.write_bytes(encode_fit(simulate_run(seed=24, minutes=2)))
    return src


def _one_clean_error(p: subprocess.CompletedProcess) -> None:
    """Exit 1 with one `retrotrack: error:` line, or click's own usage error (exit 2)."""
    assert "Traceback" not in p.stderr, p.stderr[-2000:]
    if p.returncode == 2:
        assert "Error: " in p.stderr
        return
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("retrotrack: error: "), p.stderr[-2000:]


@pytest.mark.parametrize("flag", ["--json", "--html"])
def test_output_path_that_is_a_directory_is_one_clean_error(tmp_path, flag):
    (tmp_path / "outdir").mkdir()
    _one_clean_error(_cli(["analyze", str(_fit(tmp_path)), flag, str(tmp_path / "outdir")], tmp_path, "20"))
    assert (tmp_path / "outdir").is_dir()


def test_output_path_under_a_regular_file_is_one_clean_error(tmp_path):
    (tmp_path / "afile").write_text("keep me")
    _one_clean_error(_cli(["analyze", str(_fit(tmp_path)), "--json", str(tmp_path / "afile" / "a.json")], tmp_path, "21"))
    assert (tmp_path / "afile").read_text() == "keep me"


def test_race_out_folder_that_cannot_be_written_is_one_clean_error(tmp_path):
    cfg = write_race(tmp_path / "race", None, None)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "results.json").mkdir()  # a folder where a result file must go
    _one_clean_error(_cli(["race", str(cfg), "--out", str(tmp_path / "site")], tmp_path, "22"))


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_output_to_a_device_writes_to_it_instead_of_replacing_it(tmp_path):
    import stat

    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null
    p = _cli(["analyze", str(_fit(tmp_path)), "--json", str(node)], tmp_path, "23")
    still_device = stat.S_ISCHR(os.stat(node).st_mode)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert still_device, "the device node was replaced by a regular file"
