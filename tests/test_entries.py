"""The entries CSV as spreadsheets write it, and every organiser mistake as a one-line error."""

import pytest

from retrotrack.errors import ConfigError
from retrotrack.race.entries import parse_time, read_entries

ROWS = [
    "bib,name,sex,birth_year,club,track,time",
    "101,Aoife Byrne,F,1988,Riverside AC,tracks/101.fit,",
    '102,"Ní Bhriain, Róisín",f,2008,,,17:42.5',
    "103,Sean Murphy,M,1975,Harbour Harriers,,",
]


def write(tmp_path, lines, encoding="utf-8", sep=",", newline="\n", name="entries.csv"):
    text = newline.join(line.replace(",", sep) if sep != "," else line for line in lines) + newline
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    (tmp_path / "tracks").mkdir(exist_ok=True)
    return p


def check(entries):
    assert [e.bib for e in entries] == ["101", "102", "103"]
    assert entries[0].track.name == "101.fit" and entries[0].track_problem is None
    assert entries[1].name.startswith("Ní Bhriain") and entries[1].sex == "F"
    assert entries[1].time_s == pytest.approx(17 * 60 + 42.5)
    assert entries[2].track is None and entries[2].time_s is None
    assert entries[0].birth_year == 1988 and entries[0].club == "Riverside AC"


def test_plain_csv(tmp_path):
    check(read_entries(write(tmp_path, ROWS), 2026))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_excel_encodings(tmp_path, encoding):
    check(read_entries(write(tmp_path, ROWS, encoding=encoding, newline="\r\n"), 2026))


def test_semicolons_and_decimal_commas(tmp_path):
    rows = [r.replace('"Ní Bhriain, Róisín"', '"Ní Bhriain; Róisín"') for r in ROWS]
    rows = [r.replace(",", ";") for r in rows]
    rows[1] = rows[1] + "17,84"
    entries = read_entries(write(tmp_path, rows, encoding="utf-8-sig", newline="\r\n"), 2026)
    assert entries[0].time_s == pytest.approx(17.84)
    assert entries[1].name == "Ní Bhriain; Róisín"


@pytest.mark.parametrize(
    "row,expected",
    [
        ("101,Dup,M,1980,,,", "line 5: duplicate bib 101 (first on line 2)"),
        ("104,Una,W,1980,,,", "line 5: bib 104: unknown sex 'W' (use M, F or X)"),
        ("104,Una,F,80,,,", "line 5: bib 104: birth_year '80' is not a four-digit year"),
        ("104,Una,F,1880,,,", "line 5: bib 104: birth_year 1880 gives an age of 146"),
        ("104,Una,F,1980,,,17.8.4", "line 5: bib 104: time '17.8.4' is not a time"),
        ("104,Una,F,1980,,,1:75", "line 5: bib 104: time '1:75' has minutes or seconds of 60"),
        (",Una,F,1980,,,", "line 5: the bib is empty"),
        ("104,,F,1980,,,", "line 5: bib 104 has no name"),
    ],
)
def test_row_mistakes(tmp_path, row, expected):
    p = write(tmp_path, ROWS + [row])
    with pytest.raises(ConfigError) as err:
        read_entries(p, 2026)
    assert expected in err.value.message and str(p) in err.value.message


def test_header_mistakes(tmp_path):
    with pytest.raises(ConfigError, match="line 1: the header has no `bib` column"):
        read_entries(write(tmp_path, ["number,name,sex,birth_year", "1,A,M,1990"]), 2026)
    with pytest.raises(ConfigError, match="is empty"):
        read_entries(write(tmp_path, [""]), 2026)
    with pytest.raises(ConfigError, match="no such entries file"):
        read_entries(tmp_path / "missing.csv", 2026)


def test_tracks_outside_the_race_folder_or_folders_are_that_runners_problem(tmp_path):
    race = tmp_path / "race"
    race.mkdir()
    (race / "tracks").mkdir()
    rows = ROWS[:1] + ["1,A,M,1990,,../secret.fit,", "2,B,F,1990,,tracks,", "3,C,X,1990,,tracks\\3.fit,"]
    entries = read_entries(write(race, rows), 2026)
    assert "outside the race folder" in entries[0].track_problem
    assert "is a folder" in entries[1].track_problem
    assert entries[2].track == (race / "tracks" / "3.fit").resolve() and entries[2].track_problem is None


def test_status_words_in_the_time_column(tmp_path):
    entries = read_entries(write(tmp_path, ROWS + ["104,Una,F,1980,,,DNF"]), 2026)
    assert entries[-1].time_status == "dnf" and entries[-1].time_s is None


def test_parse_time():
    assert parse_time("17.84") == pytest.approx(17.84)
    assert parse_time("4:05.2") == pytest.approx(245.2)
    assert parse_time("1:02:03") == 3723
    assert parse_time("75:30") == 4530
    for bad in ("", "abc", "-3", "0", "1:2:3:4"):
        with pytest.raises(ValueError):
            parse_time(bad)
