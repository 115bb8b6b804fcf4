"""The results pages and the activity report, checked through an HTML parser."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from conftest import needs_real, real_file
from htmltree import parse
from render_samples import (
    HOSTILE_GATE,
    IMG_NAME,
    QUOTE_NAME,
    SCRIPT_NAME,
    analysis_of,
    interval_activity,
    interval_analysis,
    long_analysis,
    race_result,
)

from retrotrack import render
from retrotrack.model import Direction
from retrotrack.render import fmt_distance, fmt_pace, fmt_pct, fmt_time, json_script, runner_filenames

# --------------------------------------------------------------------------- helpers


def resource_urls(doc) -> list[str]:
    """Every URL the page would load by itself (not links a person follows)."""
    urls = []
    for n in doc.iter():
        for attr in ("src", "srcset", "poster", "data", "xlink:href", "background", "action"):
            if n.get(attr):
                urls.append(n.get(attr))
        if n.tag == "link" and n.get("href"):
            urls.append(n.get("href"))
        if n.tag in ("use", "image", "feimage") and n.get("href"):
            urls.append(n.get("href"))
    return urls


def assert_self_contained(html: str) -> None:
    doc = parse(html)
    for url in resource_urls(doc):
        assert url.startswith("data:"), f"page loads {url!r}"
    assert not re.search(r"url\(\s*['\"]?(?!#)", html), "CSS url() to something other than an in-page #id"
    assert "@import" not in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    csp = doc.find("meta", http_equiv="Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp.get("content")
    # Every executable script is one of ours, allowed by hash in the CSP.
    for s in doc.find_all("script"):
        if s.get("type") == "application/json":
            continue
        digest = base64.b64encode(hashlib.sha256(s.text().encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp.get("content"), "a script the CSP does not allow"
        assert s.get("src") is None


def overall_rows(doc):
    table = doc.by_id("overall-table")
    return [tr for tr in table.find("tbody").children if not isinstance(tr, str)]


@pytest.fixture(scope="module")
def result():
    return race_result()


@pytest.fixture(scope="module")
def index_html(result):
    return render.render_race_index(result)


@pytest.fixture(scope="module")
def index(index_html):
    return parse(index_html)


@pytest.fixture(scope="module")
def site(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    paths = render.write_race_pages(result, out)
    return out, paths


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "seconds, text",
    [
        (13.6, "13.6"),
        (13.64, "13.6"),
        (13.65, "13.7"),
        (1023.45, "17:03.5"),
        (1023.44, "17:03.4"),
        (59.96, "1:00.0"),
        (3599.96, "1:00:00.0"),
        (3723.4, "1:02:03.4"),
        (None, "–"),
    ],
)
def test_race_times_are_rounded_to_a_tenth(seconds, text):
    assert fmt_time(seconds) == text


def test_pace_distance_and_share_formats():
    assert fmt_pace(1834.62 / 5) == "6:07/km"
    assert fmt_pace(299.6) == "5:00/km"
    assert fmt_pace(None) == "–" and fmt_pace(4000.0) == "–"
    assert fmt_distance(5000) == "5 km" and fmt_distance(400) == "400 m" and fmt_distance(8123.4) == "8.12 km"
    assert fmt_distance(21097.5) == "21.1 km"
    # Truncated: a share just under the 90 % threshold never reads as 90.0 %.
    assert fmt_pct(0.89996) == "89.9%" and fmt_pct(0.9) == "90.0%" and fmt_pct(None) == "–"


def test_runner_file_names_are_safe_and_unique():
    bibs = ["101", "A-7", "../../etc/passwd", "a b", "Ω3", "", "con", "x1", "X1", "101", "A/7", ".hidden"]
    names = runner_filenames(bibs)
    assert len(set(n.casefold() for n in names)) == len(names)
    for n in names:
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.html", n), n
        assert not n.startswith(".")
    assert names[0] == "101.html" and names[1] == "A-7.html"
    assert names[9] != names[0]  # the same bib twice still gets two pages
    assert runner_filenames(bibs) == names  # deterministic


def test_json_for_a_page_cannot_close_its_script():
    data = {"name": "</script><script>alert(1)</script>", "amp": "O'Brien & Sons", "sep": "\u2028"}
    text = str(json_script(data))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == data


def test_autoescape_is_on_for_every_template_name():
    env = render.environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    for name in ("race_index.html", "runner.html", "activity.html", "style.css", "table.js", "partials/macros.html"):
        tpl = env.get_template(name)
        assert tpl.environment.autoescape is True
    with pytest.raises(Exception):
        env.get_template("../render.py")


# --------------------------------------------------------------------------- results page


def test_results_page_is_self_contained_and_well_formed(index_html):
    assert_self_contained(index_html)
    assert index_html.startswith("<!doctype html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in index_html


def test_header_shows_the_race(index, result):
    header = index.find("header").text()
    assert "Riverside Retro 5000" in header
    assert "Sunday 14 June 2026" in header and "5 km" in header and "Irishtown Stadium, Dublin" in header
    stats = index.find("section", cls="stats").text()
    assert f"{result.starters}" in stats and "starters" in stats
    assert f"{result.finishers}" in stats and "finishers" in stats
    assert result.starters == 12 and result.finishers == 9


def test_every_runner_is_in_the_overall_table_with_status(index, result):
    rows = overall_rows(index)
    assert sorted(tr.get("data-bib") for tr in rows) == sorted(r.bib for r in result.results)
    statuses = [next(c for c in tr.classes if c.startswith("status-"))[7:] for tr in rows]
    # Finishers first (by place), then dq, dnf, dns, error at the bottom.
    assert statuses == ["finished"] * 9 + ["dq", "dnf", "dns", "error"]
    by_bib = {tr.get("data-bib"): tr for tr in rows}
    assert by_bib["109"].find(cls="badge").text() == "DQ"
    assert "72.4% of the race backward" in by_bib["109"].find(cls="reason").text()
    assert by_bib["110"].find(cls="badge").text() == "DNF"
    assert "3.2 km" in by_bib["110"].find(cls="reason").text()
    assert by_bib["111"].find(cls="badge").text() == "DNS"
    assert by_bib["112"].find(cls="badge").text() == "Error"
    assert "bad CRC" in by_bib["112"].find(cls="reason").text()
    # Places and times of finishers, in order, sortable as numbers.
    places = [tr.find("td", cls="place").text() for tr in rows[:9]]
    assert places == ["1", "2", "3", "4=", "4=", "6", "7", "8", "9"]
    times = [float(tr.find("td", cls="time").get("data-sort")) for tr in rows[:9]]
    assert times == sorted(times)
    assert by_bib["107"].find("td", cls="time").text().startswith("16:15.3")
    assert by_bib["101"].find("td", cls="time").text() == "30:34.6"
    for tr in rows[9:]:
        assert tr.find("td", cls="time").get("data-sort") == ""


def test_columns_show_pace_share_and_check(index):
    row = next(tr for tr in overall_rows(index) if tr.get("data-bib") == "101")
    cells = [td.text().strip() for td in row.find_all("td") if td.parent is row]
    # place, bib, name..., club, category, category place, time, pace, share, check
    assert cells[1] == "101"
    assert cells[3] == "Riverside AC" and cells[4] == "F35" and cells[5] == "2"
    assert cells[7] == "6:07/km" and cells[8] == "98.1%"
    check = row.find("td", cls="check")
    assert "check-pass" in check.classes and "pass" in check.text()
    assert "98.1% of the race run backward" in check.get("title")
    fail = next(tr for tr in overall_rows(index) if tr.get("data-bib") == "109").find("td", cls="check")
    assert "check-fail" in fail.classes and "72.4%" in fail.get("title")


def test_ties_share_a_place(index):
    rows = {tr.get("data-bib"): tr for tr in overall_rows(index)}
    assert rows["104"].find("td", cls="place").text() == "4="
    assert rows["105"].find("td", cls="place").text() == "4="
    assert rows["A/7"].find("td", cls="place").text() == "6"  # the next place is skipped
    assert rows["101"].find("td", cls="place").text() == "7"


def test_category_tables(index, result):
    sections = index.find_all("section", cls="category")
    cats = [s.get("data-cat") for s in sections]
    assert cats == ["FU20", "FSEN", "F35", "F45", "MSEN", "M40", "M50", "M60", "X35"]
    f35 = next(s for s in sections if s.get("data-cat") == "F35")
    rows = [tr for tr in f35.find("tbody").children if not isinstance(tr, str)]
    assert [tr.get("data-bib") for tr in rows] == ["105", "101"]
    assert [tr.find("td", cls="place").text() for tr in rows] == ["1", "2"]
    for s in sections:
        for tr in s.find("tbody").find_all("tr"):
            if tr.get("data-bib"):
                assert tr.get("data-cat") == s.get("data-cat")
    # The category filter offers every category.
    options = [o.get("value") for o in index.by_id("cat").find_all("option")]
    assert options == [""] + cats


def test_splits_per_runner(index, result):
    rows = {tr.get("data-bib"): tr for tr in overall_rows(index)}
    runner = next(r for r in result.results if r.bib == "101")
    details = rows["101"].find("details", cls="splits")
    assert details is not None and details.find("summary").text() == "Splits (13)"
    split_rows = details.find("tbody").find_all("tr")
    assert len(split_rows) == 13
    first = [c.text() for c in split_rows[0].children if not isinstance(c, str)]
    assert first[0] == "200 m" and first[1] == fmt_time(runner.splits[0].elapsed_s) and first[2] == fmt_time(runner.splits[0].split_s)
    last = [c.text() for c in split_rows[-1].children if not isinstance(c, str)]
    assert last[1] == fmt_time(runner.time_s)  # the last split is the finish
    # dq and dnf runners keep their splits; runners with no track have none.
    assert rows["109"].find("details", cls="splits") is not None
    assert len(rows["110"].find("details", cls="splits").find("tbody").find_all("tr")) == len(next(r for r in result.results if r.bib == "110").splits)
    assert rows["108"].find("details") is None and rows["111"].find("details") is None


def test_unverified_and_review_are_marked_with_reasons(index):
    rows = {tr.get("data-bib"): tr for tr in overall_rows(index)}
    notes = {li.get("id"): li.text() for li in index.by_id("notes").find_all("li")}
    for bib, kind, words in (("106", "unverified", "no cadence or heading"), ("108", "unverified", "no GPS track"), ("107", "review", "world best")):
        row = rows[bib]
        assert "flagged" in row.classes
        flag = row.find("a", cls=f"flag-{kind}")
        assert flag is not None, bib
        assert words in flag.get("title")  # hover
        target = flag.get("href").lstrip("#")
        assert words in notes[target]  # tap: the footnote says it too
        assert bib in notes[target]
    assert rows["106"].find("td", cls="check").text().strip().endswith("unverified")
    assert "flagged" not in rows["101"].classes and rows["101"].find("a", cls="flag") is None


def test_search_data_and_links(index, index_html):
    rows = {tr.get("data-bib"): tr for tr in overall_rows(index)}
    assert rows["101"].get("data-search") == "101 aoife ni bhriain riverside ac"
    assert index.by_id("q").get("type") == "search"
    hrefs = [a.get("href") for a in index.find_all("a")]
    assert "results.json" in hrefs and "results.csv" in hrefs
    assert rows["A/7"].find("a", cls="runner").get("href") == "runners/" + runner_filenames(["A/7"])[0]
    for tr in rows.values():
        href = tr.find("a", cls="runner").get("href")
        assert re.fullmatch(r"runners/[A-Za-z0-9_-]+\.html", href)
    # Sortable columns: every header has a button, every cell a sort value.
    heads = index.by_id("overall-table").find("thead").find_all("th")
    assert all(th.find("button") for th in heads)
    for tr in rows.values():
        tds = [td for td in tr.children if not isinstance(td, str)]
        assert all(td.get("data-sort") is not None for td in tds)


def test_hostile_names_show_as_text_everywhere(index, index_html, site):
    assert "<script>alert(1)" not in index_html
    assert "<img src=x" not in index_html
    assert "<b>Club</b>" not in index_html
    names = [a.text() for a in index.find_all("a", cls="runner")]
    assert SCRIPT_NAME in names and QUOTE_NAME in names and IMG_NAME in names
    assert not index.find_all("img") and not index.find_all("b")
    clubs = [td.text() for td in index.find_all("td", cls="club")]
    assert QUOTE_NAME in clubs and "Retro Runners <b>Club</b>" in clubs
    # Only our own scripts run.
    assert len([s for s in index.find_all("script") if s.get("type") != "application/json"]) == 2
    out, _ = site
    for page in sorted((out / "runners").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Club" not in html, page.name
        doc = parse(html)
        assert not doc.find_all("img") and not doc.find_all("b")
        assert_self_contained(html)


def test_generated_at_only_when_given(result):
    plain = render.render_race_index(result)
    assert "generated" not in plain.split("<footer", 1)[1]
    stamped = render.render_race_index(result, generated_at="2026-06-14T12:00:00Z")
    assert "generated 2026-06-14T12:00:00Z" in stamped


# --------------------------------------------------------------------------- runner pages


def test_one_page_per_runner(site, result):
    out, paths = site
    assert paths[0] == out / "index.html"
    names = runner_filenames([r.bib for r in result.results])
    assert [p.name for p in paths[1:]] == names
    assert all(p.parent == out / "runners" and p.is_file() for p in paths[1:])
    assert len(list((out / "runners").iterdir())) == len(result.results)
    for r, name in zip(result.results, names):
        doc = parse((out / "runners" / name).read_text(encoding="utf-8"))
        assert doc.find("h1").text() == r.name
        assert doc.find("a", href="../index.html") is not None
        hrefs = [a.get("href") for a in doc.find_all("a")]
        assert "../results.json" in hrefs and "../results.csv" in hrefs


def runner_doc(site, result, bib):
    out, _ = site
    idx = [r.bib for r in result.results].index(bib)
    name = runner_filenames([r.bib for r in result.results])[idx]
    return parse((out / "runners" / name).read_text(encoding="utf-8"))


def test_runner_page_with_track_has_map_chart_and_splits(site, result):
    doc = runner_doc(site, result, "103")
    svg_map = doc.find("svg", cls="map")
    assert svg_map is not None
    assert svg_map.find("title").text() == f"Route of {SCRIPT_NAME} (103)"
    assert svg_map.find("path", cls="dir-backward") is not None
    assert svg_map.find("path", cls="dir-forward") is not None  # this runner turned round a few times
    gates = svg_map.find_all("g", cls="gate")
    assert [g.find("text").text() for g in gates] == ["Start", "Finish", HOSTILE_GATE]
    assert HOSTILE_GATE in gates[2].find("title").text()
    chart = doc.find("svg", cls="chart")
    assert chart is not None
    labels = [t.text() for t in chart.find_all("text", cls="svg-label")]
    assert labels == ["Speed (km/h)", "Cadence (steps/min)"]
    assert chart.find("g", cls="strip").find("rect", cls="dir-forward") is not None
    data_node = doc.by_id("race-chart-data")
    data = json.loads(data_node.text())
    assert len(data["t"]) == len(data["dir"]) == len(data["series"][0]["v"]) == len(data["series"][1]["v"])
    assert "backward" in data["dir"] and "forward" in data["dir"]
    rows = doc.by_id("splits").find("tbody").find_all("tr")
    assert len(rows) == 13
    legend = doc.find("ul", cls="legend").text()
    for word in ("Backward", "Forward", "Stopped", "Unknown"):
        assert word in legend
    cards = doc.find("section", cls="result-cards").text()
    assert "26:51.4" in cards and "of 9 finishers" in cards and "of 2 in M40" in cards and "95.2%" in cards


def test_runner_pages_without_track(site, result):
    for bib in ("108", "111", "112"):
        doc = runner_doc(site, result, bib)
        assert doc.find("svg", cls="map") is None and doc.find("svg", cls="chart") is None
        assert doc.find("p", cls="no-track") is not None
    dns = runner_doc(site, result, "111")
    assert "no track and no time" in dns.find("div", cls="box-bad").text()
    hand = runner_doc(site, result, "108")
    assert "hand timing" in hand.find("section", cls="result-cards").text()
    assert "no GPS track" in hand.find("div", cls="note-unverified").text()


def test_runner_page_review_and_dq(site, result):
    fast = runner_doc(site, result, "107")
    note = fast.find("div", cls="note-review")
    assert "world best" in note.text()
    flag = fast.find("a", cls="flag-review")
    assert flag.get("href") == "#" + note.get("id")
    dq = runner_doc(site, result, "109")
    assert "72.4%" in dq.find("div", cls="box-bad").text()
    assert dq.find("svg", cls="map").find("path", cls="dir-forward") is not None
    dnf = runner_doc(site, result, "110")
    assert dnf.find("svg", cls="map") is not None
    assert dnf.find("svg", cls="chart").find("rect", cls="dir-stopped") is not None  # standing after dropping out


def test_pages_are_byte_identical_on_rerun(result, tmp_path):
    a = render.write_race_pages(result, tmp_path / "a")
    b = render.write_race_pages(race_result(), tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    first = render.render_activity_report(interval_analysis())
    assert render.render_activity_report(interval_analysis()) == first


def test_race_with_no_categories_or_tracks(result):
    from retrotrack.race.model import RaceResult, RunnerResult

    bare = RaceResult(race=result.race, results=[RunnerResult("1", "Solo Runner", "M", None, "", "", "finished", time_s=19.84, place=1, time_source="hand")])
    doc = parse(render.render_race_index(bare))
    assert doc.find("section", cls="category") is None
    assert overall_rows(doc)[0].find("td", cls="time").text().startswith("19.8")


# --------------------------------------------------------------------------- activity report


@pytest.fixture(scope="module")
def report():
    an = interval_analysis()
    html = render.render_activity_report(an)
    return an, html, parse(html)


def test_activity_report_summary(report):
    an, html, doc = report
    assert_self_contained(html)
    s = an.summary
    stats = doc.find("section", cls="stats").text()
    assert fmt_distance(s.distance_m) in stats and "6.64 km" in stats
    assert "43:30" in stats and "42:00" in stats and "1:30" in stats  # elapsed, moving, stopped
    assert "distance (watch)" in stats
    rows = {tr.get("class").split()[0]: tr for tr in doc.find("table", cls="dir-table").find("tbody").find_all("tr")}
    back = [td.text() for td in rows["dir-row-backward"].find_all("td")]
    assert back[0] == fmt_distance(s.backward.distance_m) and back[1] == "16:00"
    assert back[3] == fmt_pace(s.backward.pace_s_per_km)
    assert back[4] == f"{s.backward.avg_cadence_spm:.0f}" and back[4] in ("191", "192", "193")
    assert back[5] == f"{s.backward.step_length_m:.2f} m"
    assert "empty" in rows["dir-row-unknown"].classes


def test_activity_report_map_charts_and_tables(report):
    an, html, doc = report
    svg_map = doc.find("svg", cls="map")
    assert svg_map.find("title").text() == "Route of 2026-06-10-intervals.fit"
    assert svg_map.find("path", cls="dir-backward") and svg_map.find("path", cls="dir-forward")
    chart = doc.find("svg", cls="chart")
    assert [t.text() for t in chart.find_all("text", cls="svg-label")] == ["Speed (km/h)", "Cadence (steps/min)", "Step length (m)"]
    strip = chart.find("g", cls="strip").find_all("rect")
    assert len(strip) == len(an.segments)  # every direction change is drawn
    assert [r.get("class")[4:] for r in strip] == [g.direction for g in an.segments]
    seg_rows = doc.by_id("segments-table").find("tbody").find_all("tr")
    assert len(seg_rows) == len(an.segments) == 19
    assert [tr.find("span", cls="dir").text() for tr in seg_rows[:3]] == ["forward", "backward", "forward"]
    assert len(doc.by_id("splits-table").find("tbody").find_all("tr")) == len(an.splits) == 6
    laps = doc.by_id("laps-table").find("tbody").find_all("tr")
    assert len(laps) == len(an.laps)
    assert [td.text() for td in laps[1].find_all("td")][5] == "100.0%"  # the first backward repeat


def test_activity_without_positions_says_so():
    act, dirs = interval_activity(positions=False)
    doc = parse(render.render_activity_report(analysis_of(act, dirs)))
    assert doc.find("svg", cls="map") is None
    assert "no positions" in doc.find("p", cls="no-map").text()
    assert doc.find("svg", cls="chart") is not None


def test_a_distance_measured_along_the_fixes_says_so():
    act, dirs = interval_activity()
    act = replace(act, distance_source="positions")
    stats = parse(render.render_activity_report(analysis_of(act, dirs))).find("section", cls="stats").text()
    assert "distance (GPS track)" in stats


def test_activity_without_cadence():
    act, dirs = interval_activity(cadence=False)
    doc = parse(render.render_activity_report(analysis_of(act, dirs)))
    chart = doc.find("svg", cls="chart")
    assert [t.text() for t in chart.find_all("text", cls="svg-label")] == ["Speed (km/h)"]
    assert "no cadence" in doc.find("p", cls="no-cadence").text()
    row = doc.find("tr", cls="dir-row-backward")
    assert [td.text() for td in row.find_all("td")][4] == "–"


def test_activity_unknown_direction_and_hostile_file_name():
    act, dirs = interval_activity()
    act.file = "/tmp/<img src=x onerror=alert(3)> & \"run\".fit"
    act.warnings = ["damaged at byte 900: <truncated>"]
    unknown = np.where(dirs == Direction.STOPPED, Direction.STOPPED, Direction.UNKNOWN).astype(np.uint8)
    html = render.render_activity_report(analysis_of(act, unknown, method="none"))
    doc = parse(html)
    assert doc.find("h1").text() == "<img src=x onerror=alert(3)> & \"run\".fit"
    assert doc.find("title").text().startswith("<img src=x")
    assert not doc.find_all("img")
    assert "damaged at byte 900: <truncated>" in doc.find("div", cls="box-warn").text()
    svg_map = doc.find("svg", cls="map")
    assert svg_map.find("path", cls="dir-unknown").get("stroke-dasharray")  # dashed, not just a colour
    assert svg_map.find("path", cls="dir-backward") is None
    assert doc.find("svg", cls="chart").find("g", cls="strip").find("rect", cls="dir-unknown").get("fill").startswith("url(#")


def test_long_activity_is_downsampled_but_keeps_direction_changes():
    an = long_analysis(hours=6.0)
    n = an.activity.t_s.size
    assert n > 21000
    html = render.render_activity_report(an)
    doc = parse(html)
    assert len(html) < 2_500_000
    for svg_el in (doc.find("svg", cls="map"), doc.find("svg", cls="chart")):
        points = sum(len(re.findall(r"[ML]?-?\d+(?:\.\d)? -?\d+(?:\.\d)?", p.get("d"))) for p in svg_el.find_all("path") if p.get("d"))
        assert points < 12000, points  # a few thousand per line, not 21 600
    strip = doc.find("svg", cls="chart").find("g", cls="strip").find_all("rect")
    assert len(strip) == len(an.segments)
    data = json.loads(doc.by_id("activity-chart-data").text())
    assert len(data["t"]) < 4000


def test_report_written_by_the_cli_path(tmp_path):
    """cli.py writes render_activity_report's string with write_atomic: it must be a complete page."""
    from retrotrack.atomic import write_atomic

    path = tmp_path / "report.html"
    write_atomic(path, render.render_activity_report(interval_analysis()))
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    parse(text)


@needs_real
def test_the_report_names_running_dynamics_where_they_told_the_direction():
    from retrotrack.analysis import analyze_activity
    from retrotrack.readers import read_activity

    an = analyze_activity(read_activity(real_file("fitparse__activity-small-fenix2-run.fit")))
    assert an.directions.method == "gait+contact"  # a fenix 2 with a chest strap: contact time per step
    html = render.render_activity_report(an)
    assert "Direction told from: cadence and step length, ground contact time</p>" in html
