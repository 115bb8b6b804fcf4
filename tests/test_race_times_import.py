"""`--times`: a timing system's CSV with its own column names and status words."""

import pytest

from retrotrack.errors import ConfigError
from retrotrack.race.times_import import read_times


@pytest.mark.parametrize("bib,time", [("Bib", "Chip Time"), ("bib_num", "chip_time"), ("BIB", "clock_time"),
                                      ("Bib#", "Net Time"), ("bib", "Time")])
def test_header_names(tmp_path, bib, time):
    p = tmp_path / "times.csv"
    p.write_text(f"Place,{bib},Name,{time}\n1,101,A,17:42.5\n2,102,B,DNF\n3,103,C,dsq\n", encoding="utf-8-sig")
    times, warnings = read_times(p)
    assert [(t.bib, t.time_s, t.status) for t in times] == [("101", 1062.5, None), ("102", None, "dnf"), ("103", None, "dq")]
    assert warnings == []


def test_errors_and_warnings(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Runner;Result\n1;2:00\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no bib column"):
        read_times(p)
    p.write_text("Bib;Result\n1;2:00\n2;\n1;3:00\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 4: bib 1 appears twice"):
        read_times(p)
    p.write_text("Bib;Result\n1;soon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2: bib 1: time 'soon' is not a time"):
        read_times(p)
