"""Hostile entries and configs: what a spreadsheet, an organiser's slip or a stranger's name does to a race.

- names and clubs with HTML, quotes, right-to-left and emoji: kept exactly in
  results.json and results.csv, escaped on every page;
- CSV as Excel writes it (UTF-8 with BOM, UTF-16, `;` separators, CRLF): read
  the same as a plain CSV;
- a track outside the race folder or a directory: never read; that runner gets
  `error` with a reason (or the organiser gets one clear error line);
- duplicate bibs and gates far from every track: a clear message for the
  organiser, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fuzz_helpers import H, describe, race_importable, run_cli

from fuzz.seeds import ENTRY_HEADER, race_config, race_tracks_cached

pytestmark = pytest.mark.skipif(not race_importable(), reason="race timing not importable yet")

HOSTILE = [
    ("101", "<script>alert(1)</script>", "F", "1988", 'Club "Quotes" & <b>Bold</b>'),
    ("102", "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627", "M", "1975", "\U0001f3c3\u200d\u2640\ufe0f\U0001f519 Retro Club"),
    ("103", "O'Brien, Se\u00e1n", "X", "1990", "<img src=x onerror=alert(1)>"),
]
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror", "<b>Bold</b>")


def _race_dir(tmp_path: Path, rows: list[list[str]], *, encoding: str = "utf-8", sep: str = ",", newline: str = "\r\n", config: str | None = None) -> Path:
    folder = tmp_path / "race"
    (folder / "tracks").mkdir(parents=True, exist_ok=True)
    for rel, data in race_tracks_cached().items():
        (folder / rel).write_bytes(data)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline)
    w.writerow(ENTRY_HEADER.split(","))
    w.writerows(rows)
    (folder / "entries.csv").write_bytes(buf.getvalue().encode(encoding))
    (folder / "race.toml").write_text(config or race_config(), encoding="utf-8")
    return folder


def _run(folder: Path, secret: Path | str | None = None) -> H.Outcome:
    return run_cli(["race", "race.toml", "--out", "site", "--jobs", "1"], folder, timeout=300, secret=secret)


def _results(folder: Path) -> dict[str, dict]:
    doc = json.loads((folder / "site" / "results.json").read_text(encoding="utf-8"))
    return {r["bib"]: r for r in doc["results"]}


def _pages(folder: Path) -> list[Path]:
    pages = sorted((folder / "site").rglob("*.html"))
    assert pages, "no pages written"
    return pages


def _two_finish_and_the_rest_are_errors(res: dict[str, dict]) -> None:
    """Bibs 101 and 102 (good tracks) finished; 103-105 (bad tracks) are errors, each with its reason."""
    assert res["101"]["status"] == "finished" and res["102"]["status"] == "finished"
    for bib in ("103", "104", "105"):
        assert res[bib]["status"] == "error", res[bib]
        assert res[bib]["reason"], res[bib]


def _rows(entries) -> list[list[str]]:
    tracks = {"101": "tracks/101.gpx", "102": "tracks/102.fit"}
    return [[bib, name, sex, year, club, tracks.get(bib, ""), "" if bib in tracks else "185.2"] for bib, name, sex, year, club in entries]


def test_names_and_clubs_with_markup_quotes_rtl_and_emoji(tmp_path):
    folder = _race_dir(tmp_path, _rows(HOSTILE))
    o = _run(folder)
    assert o.category in ("ok", "warn"), describe(o)
    res = _results(folder)
    for bib, name, sex, year, club in HOSTILE:
        assert res[bib]["name"] == name
        assert res[bib]["club"] == club
    for page in _pages(folder):
        html = page.read_text(encoding="utf-8")
        for raw in RAW_MARKUP:
            assert raw not in html, f"{page.name} has unescaped {raw!r}"
    index = (folder / "site" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index or "&lt;script&gt;alert(1)&lt;&#47;script&gt;" in index or "&#60;script&#62;" in index
    # results.csv: the same text, quoted as a CSV reader expects
    text = (folder / "site" / "results.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_bib = {r["bib"]: r for r in rows}
    for bib, name, sex, year, club in HOSTILE:
        assert by_bib[bib]["name"] == name
        assert by_bib[bib]["club"] == club


def test_race_name_with_markup_is_escaped(tmp_path):
    cfg = race_config(name='Retro <script>alert(1)</script> \\"5k\\" \U0001f519')
    folder = _race_dir(tmp_path, _rows(HOSTILE[:2]), config=cfg)
    o = _run(folder)
    assert o.category in ("ok", "warn"), describe(o)
    for page in _pages(folder):
        assert "<script>alert(1)" not in page.read_text(encoding="utf-8"), page.name
    doc = json.loads((folder / "site" / "results.json").read_text(encoding="utf-8"))
    assert doc["race"]["name"] == 'Retro <script>alert(1)</script> "5k" \U0001f519'


PLAIN = [
    ("101", "Se\u00e1n \u00d3 Briain", "M", "1980", "Cl\u00fcb \u00c9ire"),
    ("102", "Zo\u00eb \U0001f3c3", "F", "1999", "Runners; Walkers"),
    ("103", "Ana Mar\u00eda", "F", "1960", ""),
]

EXCEL = {
    "utf-8 BOM": dict(encoding="utf-8-sig"),
    "utf-16": dict(encoding="utf-16"),
    "utf-16 semicolons": dict(encoding="utf-16", sep=";"),
    "semicolons": dict(sep=";"),
    "BOM semicolons CRLF": dict(encoding="utf-8-sig", sep=";", newline="\r\n"),
    "LF only": dict(newline="\n"),
}


def _essentials(res: dict[str, dict]) -> dict:
    return {b: (r["name"], r["club"], r["sex"], r["category"], r["status"], r["time_s"]) for b, r in res.items()}


@pytest.fixture(scope="module")
def plain_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plain")
    folder = _race_dir(tmp, _rows(PLAIN))
    o = _run(folder)
    assert o.category in ("ok", "warn"), describe(o)
    return _essentials(_results(folder))


@pytest.mark.parametrize("variant", list(EXCEL))
def test_csv_as_excel_writes_it_reads_like_plain_csv(tmp_path, plain_results, variant):
    folder = _race_dir(tmp_path, _rows(PLAIN), **EXCEL[variant])
    o = _run(folder)
    assert o.category in ("ok", "warn"), describe(o)
    assert _essentials(_results(folder)) == plain_results


def test_a_track_outside_the_race_folder_is_never_read(tmp_path):
    outside = tmp_path / "outside-secret-dir"
    outside.mkdir()
    good = race_tracks_cached()["tracks/101.gpx"]
    (outside / "stolen.gpx").write_bytes(good)
    rows = _rows(PLAIN[:2]) + [
        ["103", "Up One", "F", "1990", "", "../outside-secret-dir/stolen.gpx", ""],
        ["104", "Absolute", "M", "1990", "", str(outside / "stolen.gpx"), ""],
        ["105", "Dots", "M", "1990", "", "tracks/../../outside-secret-dir/stolen.gpx", ""],
    ]
    folder = _race_dir(tmp_path, rows)
    o = _run(folder, secret=outside)
    assert o.category != "leak", "a track outside the race folder was opened: " + describe(o)
    if o.category == "error":  # the organiser is told, in one line naming the entries file
        assert "entries.csv" in o.detail, o.detail
        return
    assert o.category in ("ok", "warn"), describe(o)
    _two_finish_and_the_rest_are_errors(_results(folder))


def test_a_track_that_is_a_directory_or_missing_is_that_runners_error(tmp_path):
    rows = _rows(PLAIN[:2]) + [
        ["103", "Folder", "F", "1990", "", "tracks", ""],
        ["104", "Missing", "M", "1990", "", "tracks/nothing-here.fit", ""],
        ["105", "Empty", "M", "1990", "", "tracks/empty.gpx", ""],
    ]
    folder = _race_dir(tmp_path, rows)
    (folder / "tracks" / "empty.gpx").write_bytes(b"")
    o = _run(folder)
    assert o.category in ("ok", "warn"), describe(o)
    _two_finish_and_the_rest_are_errors(_results(folder))
    assert (folder / "site" / "results.csv").is_file() and (folder / "site" / "index.html").is_file()


def test_duplicate_bibs_are_the_organisers_error(tmp_path):
    rows = _rows(PLAIN[:2]) + [["101", "Someone Else", "F", "1990", "", "", "200.0"]]
    folder = _race_dir(tmp_path, rows)
    o = _run(folder)
    assert o.category == "error", describe(o)
    assert "entries.csv" in o.detail and "101" in o.detail, o.detail
    assert not (folder / "site" / "results.json").exists(), "no results from entries the organiser must fix"


def test_gates_far_from_every_track_give_a_clear_message(tmp_path):
    folder = _race_dir(tmp_path, _rows(PLAIN[:2]), config=race_config(start_far=True))
    o = _run(folder)
    assert o.category in ("ok", "warn", "error"), describe(o)
    if o.category == "error":
        assert "race.toml" in o.detail, o.detail
        return
    res = _results(folder)
    assert all(r["status"] != "finished" for r in res.values()), res
    assert o.category == "warn", "nobody came near the gates: the organiser should be told (a warning), " + describe(o)
    assert "race.toml" in o.detail and "check the gate coordinates" in o.detail, o.detail
    assert all("never comes within" in r["reason"] for r in res.values()), res


def test_missing_entries_file_is_one_clean_error(tmp_path):
    folder = _race_dir(tmp_path, _rows(PLAIN[:2]))
    (folder / "entries.csv").unlink()
    o = _run(folder)
    assert o.category == "error", describe(o)
    assert "entries.csv" in o.detail


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00",
        b"bib;name\r\n1;x\r\n",
        b"bib,name,sex,birth_year,club,track,time\r\n,,,,,,\r\n",
        b"bib,name,sex,birth_year,club,track,time\r\n101,A,Q,abc,,,\r\n",
        b"bib,name,sex,birth_year,club,track,time\r\n101,A,F,1990,,,not-a-time\r\n",
        b"bib,name,sex,birth_year,club,track,time\r\n101,\"unterminated,F,1990,,,\r\n",
        b"\x00\x01\x02binary\x00",
    ],
    ids=["empty", "broken-utf16", "wrong-header", "blank-row", "bad-sex-and-year", "bad-time", "unterminated-quote", "binary"],
)
def test_broken_entries_never_give_a_traceback(tmp_path, body):
    folder = _race_dir(tmp_path, [])
    (folder / "entries.csv").write_bytes(body)
    o = _run(folder)
    assert o.category in ("ok", "warn", "error"), describe(o)
    if o.category == "error":
        assert "entries.csv" in o.detail, o.detail


def test_nul_byte_in_the_entries_path_is_one_clean_error(tmp_path):
    cfg = race_config().replace('file = "entries.csv"', 'file = "entries.csv\\u0000"')
    folder = _race_dir(tmp_path, _rows(PLAIN[:2]), config=cfg)
    o = _run(folder)
    assert o.category == "error", describe(o)
    assert "race.toml" in o.detail or "entries.csv" in o.detail, o.detail


def test_nul_byte_in_a_track_cell_is_that_runners_error(tmp_path):
    rows = _rows(PLAIN[:2]) + [["103", "Nul", "F", "1990", "", "tracks/\x00.gpx", ""]]
    folder = _race_dir(tmp_path, rows)
    o = _run(folder)
    if o.category == "error":
        assert "entries.csv" in o.detail, o.detail
        return
    assert o.category in ("ok", "warn"), describe(o)
    res = _results(folder)
    assert res["103"]["status"] == "error" and res["103"]["reason"], res["103"]
    assert res["101"]["status"] == "finished"
