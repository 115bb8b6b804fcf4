"""How reasons and warnings write times and distances (retrotrack.text)."""

import json

import pytest

from retrotrack.text import far_text, fmt_clock, json_text, round_m


def test_clock_times():
    assert fmt_clock(102.0) == "1:42"
    assert fmt_clock(3723.46, 1) == "1:02:03.5"
    assert fmt_clock(59.96, 1) == "1:00.0"  # rounding carries into the minutes
    assert fmt_clock(-4.0) == "-0:04"  # a negative duration keeps its sign


def test_halves_round_up_as_written_everywhere():
    # Binary rounding would give 0:21.8 and 0:18.0 (21.85 is 21.8499... as a float): the page says 21.9.
    assert [fmt_clock(s, 1) for s in (21.85, 18.05, 3600.25)] == ["0:21.9", "0:18.1", "1:00:00.3"]
    assert fmt_clock(0.5) == "0:01" and fmt_clock(2.5) == "0:03"


def test_distances_in_reasons_are_rounded_as_people_say_them():
    assert [round_m(d) for d in (404.0, 746.0, 1023.0, 1980.0, -3.0)] == [400, 750, 1000, 2000, 0]
    assert far_text(2412.0) == "2.4 km" and far_text(12_345.0) == "12 km"


def test_json_text_is_strict_and_keeps_names_as_written():
    text = json_text({"name": "Siobhán Ó Sé", "time_s": 21.85})
    assert "Siobhán Ó Sé" in text and text.endswith("}\n")
    assert json.loads(text) == {"name": "Siobhán Ó Sé", "time_s": 21.85}
    with pytest.raises(ValueError):
        json_text({"time_s": float("nan")})
