"""The `retrotrack` command as a user meets it (click's CliRunner, plus one real subprocess)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from retrotrack import __version__
from retrotrack.cli import cli
from retrotrack.model import Direction
from retrotrack.simulate.session import simulate_activity
from conftest import DATA


@pytest.fixture(scope="module")
def session_fit(tmp_path_factory):
    """A simulated interval session (backward reps with heading) written as FIT."""
    path = tmp_path_factory.mktemp("cli") / "intervals.fit"
    sim = simulate_activity(7, scenario="intervals", difficulty="easy")
    sim.write_fit(path)
    return path, sim


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_analyze_json_to_stdout_finds_the_backward_reps(session_fit):
    path, sim = session_fit
    result = run("analyze", path, "--json", "-")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["file"] == "intervals.fit" and doc["format"] == "fit"
    true_back = sum(seg.end_s - seg.start_s for seg in sim.truth.segments if seg.direction == Direction.BACKWARD)
    assert true_back > 60
    assert doc["summary"]["backward"]["time_s"] == pytest.approx(true_back, rel=0.05)
    segs = doc["segments"]
    assert segs[0]["start_s"] == 0.0
    assert all(a["end_s"] == b["start_s"] for a, b in zip(segs, segs[1:]))


def test_analyze_writes_json_and_html_files(session_fit, tmp_path):
    path, _ = session_fit
    out_json, out_html = tmp_path / "a.json", tmp_path / "a.html"
    result = run("analyze", path, "--json", out_json, "--html", out_html, "--split-m", 400)
    assert result.exit_code == 0, result.output
    doc = json.loads(out_json.read_text())
    assert doc["splits"] and all(sp["distance_m"] % 400 == 0 for sp in doc["splits"])
    html = out_html.read_text()
    assert html.lower().startswith("<!doctype html>") and "intervals.fit" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.json"]


def test_analyze_without_output_options_prints_a_summary(session_fit):
    path, _ = session_fit
    result = run("analyze", path)
    assert result.exit_code == 0
    assert "intervals.fit" in result.output and "backward" in result.output
    # What the direction was told from, in the report's words.
    assert result.output.splitlines()[-1].strip().startswith("direction told from: device heading")


def test_gzipped_and_upper_case_files_are_read(tmp_path):
    src = DATA / "real" / "fitparse__garmin-fenix-5-run.fit"
    gz = tmp_path / "RUN.FIT.GZ"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    result = run("analyze", gz, "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format"] == "fit"


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"<xml\xe2\x88\x82></xml>", "XML"),
        (b"hello, this is not a watch export", "not well-formed XML"),
    ],
)
def test_bad_input_is_one_line_naming_the_file_and_exit_1(tmp_path, content, problem):
    path = tmp_path / "broken.gpx"
    if content is not None:
        path.write_bytes(content)
    result = run("analyze", path, "--json", "-")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.gpx" in lines[0]
    assert problem.lower() in lines[0].lower()
    assert "Traceback" not in result.output


def test_a_folder_where_a_file_goes_is_bad_input_not_a_usage_error(session_fit, tmp_path):
    path, _ = session_fit
    for args, problem in [(("analyze", tmp_path), "is a directory"),
                          (("analyze", path, "--json", tmp_path), "is a folder, not a file to write"),
                          (("race", tmp_path), "is a folder, not a config file")]:
        result = run(*args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1, args
        assert lines[0].startswith(f"retrotrack: error: {tmp_path}: {problem}")


def test_the_html_report_can_go_to_stdout(session_fit):
    path, _ = session_fit
    result = run("analyze", path, "--html", "-")
    assert result.exit_code == 0 and result.stdout.lower().startswith("<!doctype html>")
    assert run("analyze", path, "--html", "-", "--json", "-").exit_code == 2


def test_usage_errors_exit_2():
    assert run("analyze").exit_code == 2
    assert run("analyze", "x.fit", "--split-m", "-5").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_python_dash_m_works_and_never_shows_a_traceback(tmp_path):
    bad = tmp_path / "bad.fit"
    bad.write_bytes(b".FIT" * 10)
    proc = subprocess.run([sys.executable, "-m", "retrotrack", "analyze", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "bad.fit" in proc.stderr and "Traceback" not in proc.stderr
