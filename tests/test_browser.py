"""End to end in headless Chromium: the pages open from disk, work, fit a phone, and fetch nothing.

Chromium is driven over the DevTools protocol on a pipe (tests/cdp.py), so
every request a page makes is seen (Network.requestWillBeSent), as are console
errors, CSP violations and alert() calls. Screenshots at phone (360 px) and
desktop (1280 px) widths are saved to a temporary folder printed in the test
output, and also to out/screenshots/ (or the folder it names) when
RETROTRACK_SCREENSHOTS is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cdp import Browser, Page, find_chromium
from render_samples import IMG_NAME, SCRIPT_NAME, big_field, interval_analysis, race_result

from retrotrack import render
from retrotrack.render import runner_filenames

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = find_chromium()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found (Debian: apt-get install chromium; .ci/run installs it)",
)

PHONE = dict(width=360, height=780, mobile=True, scale=2)
DESKTOP = dict(width=1280, height=900, mobile=False, scale=1)

VISIBLE_ROWS = (
    "Array.from(document.querySelectorAll('#overall-table > tbody > tr'))"
    ".filter(function (tr) { return tr.getClientRects().length > 0; })"
    ".map(function (tr) { return tr.getAttribute('data-bib'); })"
)


@pytest.fixture(scope="module")
def browser():
    b = Browser(CHROMIUM)
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    result = race_result()
    render.write_race_pages(result, root / "site")
    report = root / "report.html"
    report.write_text(render.render_activity_report(interval_analysis()), encoding="utf-8")
    names = dict(zip((r.bib for r in result.results), runner_filenames([r.bib for r in result.results])))
    return {"index": root / "site" / "index.html", "report": report, "runner": lambda bib: root / "site" / "runners" / names[bib]}


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {folder}")
    yield folder
    wanted = os.environ.get("RETROTRACK_SCREENSHOTS")
    if wanted:
        dest = Path(wanted) if ("/" in wanted or wanted.startswith(".")) else REPO / "out" / "screenshots"
        dest.mkdir(parents=True, exist_ok=True)
        for png in sorted(folder.iterdir()):
            shutil.copy2(png, dest / png.name)
        print(f"screenshots copied to {dest}")


def open_page(browser, path: Path, size: dict) -> Page:
    page = Page(browser, size["width"], size["height"], mobile=size["mobile"], scale=size["scale"])
    page.open(path.resolve().as_uri())
    return page


def assert_clean(page: Page) -> None:
    """Only the page itself was requested; no errors, no alert() ran; nothing wider than the screen."""
    own = page.url
    others = [u for u in page.requests() if u.split("#")[0] != own and not u.startswith("data:")]
    assert others == [], f"the page made network requests: {others}"
    assert page.problems() == []
    assert page.eval("window.__alerts") == 0
    assert page.eval("document.documentElement.className") == "js"  # our script ran under the CSP
    assert page.eval("performance.getEntriesByType('resource').length") == 0
    assert page.eval("document.documentElement.scrollWidth") <= page.width, "the page scrolls sideways"


def test_the_network_check_can_fail(browser, tmp_path):
    """A page that loads an outside image is caught (so the clean passes below mean something)."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><title>x</title><img src="http://results.example.invalid/logo.png">', encoding="utf-8")
    page = open_page(browser, bad, DESKTOP)
    try:
        assert any("results.example.invalid" in u for u in page.requests())
    finally:
        page.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_results_page_opens_clean(browser, pages, shots, size):
    page = open_page(browser, pages["index"], size)
    try:
        assert_clean(page)
        w = size["width"]
        page.screenshot(shots / f"results-{w}.png")
        page.screenshot(shots / f"results-{w}-overall.png", at="#overall")
        page.screenshot(shots / f"results-{w}-not-placed.png", at="tr.status-dq")
        page.screenshot(shots / f"results-{w}-full.png", full_page=True)
        names = page.eval("Array.from(document.querySelectorAll('#overall-table a.runner')).map(function (a) { return a.textContent; })")
        assert SCRIPT_NAME in names and IMG_NAME in names
        assert len(page.eval(VISIBLE_ROWS)) == 13
        # Less important columns give way on a phone; the name cell then carries bib and club.
        club_shown = page.eval("getComputedStyle(document.querySelector('#overall-table td.club')).display")
        sub_shown = page.eval("getComputedStyle(document.querySelector('#overall-table .sub')).display")
        if size is PHONE:
            assert club_shown == "none" and sub_shown == "block"
        else:
            assert club_shown == "table-cell" and sub_shown == "none"
    finally:
        page.close()


def test_search_box_and_category_filter(browser, pages, shots):
    page = open_page(browser, pages["index"], PHONE)
    try:
        page.type_into("#q", "byrne")
        assert page.eval(VISIBLE_ROWS) == ["109"]
        assert page.eval("document.getElementById('count').textContent") == "Showing 1 of 13 runners"
        page.screenshot(shots / "results-360-search.png", at=".controls")
        page.type_into("#q", "Riverside")
        assert sorted(page.eval(VISIBLE_ROWS)) == ["101", "105", "109"]
        page.type_into("#q", "ni bhriain")  # accents need not be typed
        assert page.eval(VISIBLE_ROWS) == ["101"]
        page.type_into("#q", "A/7")  # a bib
        assert page.eval(VISIBLE_ROWS) == ["A/7"]
        page.type_into("#q", "o'brien")  # a name and a club
        assert sorted(page.eval(VISIBLE_ROWS)) == ["103", "104"]
        page.type_into("#q", "nobody here")
        assert page.eval(VISIBLE_ROWS) == []
        assert page.eval("document.getElementById('no-match').hidden") is False
        page.type_into("#q", "")
        page.cmd("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace", "windowsVirtualKeyCode": 8})
        page.cmd("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace", "windowsVirtualKeyCode": 8})
        assert len(page.eval(VISIBLE_ROWS)) == 13
        # Category: the overall table and the category sections follow the choice.
        page.eval("var s = document.getElementById('cat'); s.value = 'F35'; s.dispatchEvent(new Event('change')); true")
        assert sorted(page.eval(VISIBLE_ROWS)) == ["101", "105"]
        shown = page.eval("Array.from(document.querySelectorAll('section.category')).filter(function (s) { return !s.hidden; }).map(function (s) { return s.dataset.cat; })")
        assert shown == ["F35"]
        assert_clean(page)
    finally:
        page.close()


def test_columns_sort_as_numbers_and_times(browser, pages):
    page = open_page(browser, pages["index"], DESKTOP)
    try:
        page.click("#overall-table th.c-time button")
        order = page.eval(VISIBLE_ROWS)
        # 16:15.3 before 25:02.1 (text order would put "1502.1" first); not-placed runners stay at the bottom.
        assert order[:3] == ["107", "102", "103"] and order[8] == "108"
        assert sorted(order[9:]) == ["109", "110", "111", "112"]
        assert page.eval("document.querySelector('#overall-table th.c-time').getAttribute('aria-sort')") == "ascending"
        page.click("#overall-table th.c-time button")
        order = page.eval(VISIBLE_ROWS)
        assert order[0] == "108" and order[8] == "107" and sorted(order[9:]) == ["109", "110", "111", "112"]
        names_js = "Array.from(document.querySelectorAll('#overall-table > tbody > tr a.runner')).map(function (a) { return a.textContent.toLowerCase(); })"
        in_order = "(function (n) { return n.every(function (x, i) { return i === 0 || n[i - 1].localeCompare(x) <= 0; }); })(" + names_js + ")"
        assert page.eval(in_order) is False
        page.click("#overall-table th.c-name button")
        assert page.eval(in_order) is True
        assert len(page.eval(names_js)) == 13
        assert_clean(page)
    finally:
        page.close()


def test_flags_show_their_reason(browser, pages):
    page = open_page(browser, pages["index"], PHONE)
    try:
        title = page.eval("document.querySelector('tr[data-bib=\"107\"] a.flag').title")
        assert "world best" in title
        page.click("tr[data-bib='107'] a.flag")  # a tap goes to the footnote
        assert page.eval("location.hash").startswith("#note-")
        assert "world best" in page.eval("document.querySelector(location.hash).textContent")
    finally:
        page.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_runner_page(browser, pages, shots, size):
    page = open_page(browser, pages["runner"]("103"), size)
    try:
        assert_clean(page)
        w = size["width"]
        page.screenshot(shots / f"runner-{w}.png")
        page.screenshot(shots / f"runner-{w}-track.png", at="#track")
        assert page.eval("document.querySelector('h1').textContent") == SCRIPT_NAME
        box = page.eval("(function () { var r = document.querySelector('svg.map').getBoundingClientRect(); return [r.width, r.height]; })()")
        assert 200 < box[0] <= w and box[1] > 150
        # Hover the chart: the read-out names the time, the direction and the values.
        rect = page.eval("(function () { var r = document.querySelector('svg.chart .hover').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")
        page.eval("document.querySelector('svg.chart').scrollIntoView(); true")
        rect = page.eval("(function () { var r = document.querySelector('svg.chart .hover').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")
        page.cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": rect[0] + rect[2] * 0.5, "y": rect[1] + rect[3] * 0.3})
        readout = page.eval("document.getElementById('race-chart-readout').textContent")
        assert "backward" in readout and "Speed (km/h)" in readout and "Cadence" in readout, readout
        assert page.eval("document.querySelector('svg.chart .cursor').getAttribute('visibility')") == "visible"
    finally:
        page.close()


def test_runner_page_without_track(browser, pages, shots):
    page = open_page(browser, pages["runner"]("111"), PHONE)
    try:
        assert_clean(page)
        page.screenshot(shots / "runner-360-dns.png")
        assert page.eval("document.querySelector('svg.map')") is None
        assert "no map" in page.eval("document.querySelector('.no-track').textContent")
    finally:
        page.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_activity_report(browser, pages, shots, size):
    page = open_page(browser, pages["report"], size)
    try:
        assert_clean(page)
        w = size["width"]
        page.screenshot(shots / f"report-{w}.png")
        page.screenshot(shots / f"report-{w}-track.png", at="#track")
        page.screenshot(shots / f"report-{w}-full.png", full_page=True)
        assert page.eval("document.querySelectorAll('#segments-table > tbody > tr').length") == 19
        assert page.eval("document.querySelector('svg.map').getBoundingClientRect().width") > 200
    finally:
        page.close()


def test_print_layout(browser, pages, shots):
    page = open_page(browser, pages["index"], DESKTOP)
    try:
        page.cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert page.eval("getComputedStyle(document.querySelector('.controls')).display") == "none"
        assert page.eval("getComputedStyle(document.querySelector('#overall-table thead')).display") == "table-header-group"
        assert page.eval("getComputedStyle(document.querySelector('#overall-table tbody tr')).breakInside") == "avoid"
        assert page.eval("getComputedStyle(document.querySelector('#overall-table td.club')).display") == "table-cell"
        pdf = page.pdf(shots / "results-print.pdf")
        assert pdf.read_bytes()[:4] == b"%PDF"
    finally:
        page.close()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_printed_tables_repeat_their_header_on_every_page(browser, tmp_path, shots):
    site = tmp_path / "big"
    render.write_race_pages(big_field(150), site)
    page = open_page(browser, site / "index.html", DESKTOP)
    try:
        pdf = page.pdf(shots / "results-big-print.pdf")
    finally:
        page.close()
    pages = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout.splitlines() if line.startswith("Pages:")))
    assert pages >= 4
    for n in range(1, pages):  # the last page may hold only the notes and the key
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True).stdout
        lines = {line.strip() for line in text.splitlines()}
        assert "PLACE" in lines or "CAT. PLACE" in lines, f"page {n} has no table header"
        assert "Search" not in lines  # no controls on paper
