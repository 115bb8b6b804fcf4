"""`retrotrack race` and `retrotrack track-config` end to end, with click's CliRunner."""

import io
import json
import shutil

import pytest
from click.testing import CliRunner

from retrotrack.cli import _progress_bar, cli
from retrotrack.race.trackconfig import StandardTrack
from retrotrack.simulate.race import simulate_race, track_course, utc, write_race_folder

KINDS = ["finish", "finish", "error", "dnf", "hand", "nowatch", "dns", "finish"]


@pytest.fixture(scope="module")
def race_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("race")
    course = track_course(StandardTrack(53.3051, -6.2182, 352.0), 800, utc(2026, 6, 14, 9, 0))
    runners = simulate_race(course, len(KINDS), seed=7, kinds=KINDS, warmup_s=(60.0, 90.0))
    write_race_folder(course, runners, folder)
    return folder


def truth(folder):
    return json.loads((folder / "truth.json").read_text())


def test_race_with_a_corrupt_and_a_missing_file(race_dir, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(race_dir, folder)
    (folder / "tracks" / "101.fit").write_bytes(b"this is not a FIT file at all")
    (folder / "tracks" / "108.fit").unlink(missing_ok=True)
    (folder / "tracks" / "108.gpx").unlink(missing_ok=True)
    out = tmp_path / "site"
    res = CliRunner().invoke(cli, ["race", str(folder / "race.toml"), "--out", str(out), "--jobs", "2"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "results.json").read_text())
    by = {r["bib"]: r for r in doc["results"]}
    assert len(by) == len(KINDS)
    assert by["101"]["status"] == "error" and "cannot be read" in by["101"]["reason"]
    assert by["108"]["status"] == "error" and "missing" in by["108"]["reason"]
    assert by["103"]["status"] == "error"  # cut off mid-race
    # Warnings name the runner and the track as the entries give it (two runners' files may share a name).
    assert f"warning: bib 103 ({by['103']['track']}): " in res.stderr
    assert by["104"]["status"] == "dnf"
    assert by["107"]["status"] == "dns" and by["107"]["reason"] == "no track and no time"
    assert by["106"]["status"] == "finished" and by["106"]["time_source"] == "hand" and by["106"]["splits"] == []
    assert by["105"]["time_source"] == "hand"
    t = truth(folder)
    assert by["102"]["status"] in ("finished", "dq")
    if by["102"]["status"] == "finished":
        # Within four of this runner's GPS error (one axis, in seconds at race pace): this track's error
        # stays 5-8 m ahead over the whole race, which no method can see.
        pace_mps = 800.0 / t["102"]["time_s"]
        assert abs(by["102"]["time_s"] - t["102"]["time_s"]) < 4.0 * t["102"]["gps_sigma_m"] / pace_mps
    for f in ("index.html", "results.json", "results.csv"):
        assert (out / f).is_file()


def test_an_out_that_is_a_file_is_one_line(race_dir, tmp_path):
    taken = tmp_path / "site"
    taken.write_text("not a folder")
    res = CliRunner().invoke(cli, ["race", str(race_dir / "race.toml"), "--out", str(taken), "--jobs", "1"])
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines()[-1] == f"retrotrack: error: {taken}: is a file, not a folder for the results"


def test_outputs_are_reproducible(race_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        res = CliRunner().invoke(cli, ["race", str(race_dir / "race.toml"), "--out", str(out)])
        assert res.exit_code == 0, res.output
    for f in ("results.json", "results.csv"):
        assert (a / f).read_bytes() == (b / f).read_bytes()


@pytest.mark.parametrize("at, far", [("[-6.218132, 53.305106]", "km"), ("[53.308106, -6.218132]", " m of")])
def test_a_misplaced_finish_gate_is_named(race_dir, tmp_path, at, far):
    # Latitude and longitude swapped, or one digit off (330 m north): every runner would be a dnf.
    folder = tmp_path / "r"
    shutil.copytree(race_dir, folder)
    cfg = folder / "race.toml"
    cfg.write_text(cfg.read_text().replace("finish = { at = [53.305106, -6.218132]", f"finish = {{ at = {at}"))
    res = CliRunner().invoke(cli, ["race", str(cfg), "--out", str(tmp_path / "o"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    warning = next(line for line in res.stderr.splitlines() if "finish gate" in line)
    assert warning.startswith("retrotrack: warning: race.toml: no track comes within ") and far in warning
    assert warning.endswith("of the finish gate, though the tracks run the course: check its `at` coordinates")
    assert "start gate" not in res.stderr


def test_two_runners_with_one_track_file_are_named(race_dir, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(race_dir, folder)
    entries = folder / "entries.csv"
    rows = entries.read_text().splitlines()
    track_101 = rows[1].split(",")[5]
    fields = rows[2].split(",")
    fields[5] = track_101.replace("tracks/", "./tracks/")  # the same file, written another way
    rows[2] = ",".join(fields)
    entries.write_text("\n".join(rows) + "\n")
    res = CliRunner().invoke(cli, ["race", str(folder / "race.toml"), "--out", str(tmp_path / "o"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert f"warning: bibs 101 and 102 name the same track {track_101}: only one of them ran with it?" in res.stderr


def test_times_import(race_dir, tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("Pos,Bib#,Name,Chip Time\n1,102,X,2:05.40\n2,104,Y,DNF\n3,999,Z,2:10.00\n", encoding="utf-8")
    out = tmp_path / "site"
    res = CliRunner().invoke(cli, ["race", str(race_dir / "race.toml"), "--out", str(out), "--times", str(times)])
    assert res.exit_code == 0, res.output
    assert "bib 999 is not in the entries" in res.output
    by = {r["bib"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    assert by["102"]["time_source"] == "import"
    assert by["102"]["status"] == "dq" or by["102"]["time_s"] == 125.4
    assert by["104"]["status"] == "dnf" and "timing system" in by["104"]["reason"]


def test_config_errors_exit_1_with_one_line(race_dir, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(race_dir, folder)
    entries = folder / "entries.csv"
    lines = entries.read_text().splitlines()
    lines.append(lines[1])  # a duplicate bib
    entries.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(cli, ["race", str(folder / "race.toml"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "duplicate bib" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_track_config_command(tmp_path):
    out = tmp_path / "r.toml"
    res = CliRunner().invoke(cli, ["track-config", "--finish", "53.3051,-6.2182", "--bearing", "352",
                                   "--distance", "5000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "finish_crossings = 13" in text and 'timing = "chip"' in text
    res = CliRunner().invoke(cli, ["track-config", "--finish", "53.3051,-6.2182", "--bearing", "352", "--distance", "200"])
    assert res.exit_code == 0 and 'timing = "gun"' in res.output and "\nstart " not in res.output


@pytest.mark.parametrize("option, value, says", [
    ("--finish", "x", "is not LAT,LON"),
    ("--finish", "93.1,-6.2", "off the globe"),
    ("--distance", "1609", "1609"),
    ("--bearing", "nan", "degrees"),
    ("--gun-time", "2026-06-14T10:00:00", "time zone"),
])
def test_track_config_option_values_that_are_wrong_are_usage_errors(option, value, says):
    args = {"--finish": "53.3051,-6.2182", "--bearing": "352", "--distance": "1500", option: value}
    res = CliRunner().invoke(cli, ["track-config", *[a for kv in args.items() for a in kv]])
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '{option}'" in res.output and says in res.output
    assert "Traceback" not in res.output


def test_track_config_start_in_lanes_for_a_distance_run_without_them_is_a_usage_error():
    res = CliRunner().invoke(cli, ["track-config", "--finish", "53.3051,-6.2182", "--bearing", "352",
                                   "--distance", "5000", "--start", "lanes"])
    assert res.exit_code == 2 and "Invalid value for '--start'" in res.output


def test_a_runner_taken_out_of_the_entries_loses_their_page_on_the_next_run(race_dir, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(race_dir, folder)
    out = tmp_path / "site"
    args = ["race", str(folder / "race.toml"), "--out", str(out), "--jobs", "1"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    pages = {p.name for p in (out / "runners").glob("*.html")}
    assert len(pages) == len(KINDS)
    entries = folder / "entries.csv"
    lines = entries.read_text().splitlines(keepends=True)
    gone = lines[-1].split(",")[0]
    entries.write_text("".join(lines[:-1]))
    (out / "runners" / "notes.txt").write_text("the organiser's own file")
    assert CliRunner().invoke(cli, args).exit_code == 0
    left = {p.name for p in (out / "runners").glob("*.html")}
    assert len(left) == len(KINDS) - 1
    assert not any(name.startswith(gone) for name in left), (gone, left)
    assert (out / "runners" / "notes.txt").exists()
    assert gone not in (out / "index.html").read_text()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_a_progress_bar_only_on_a_terminal(monkeypatch, terminal):
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    with _progress_bar("Reading tracks") as progress:
        if terminal:
            for done in range(1, 5):
                progress(done, 4)
        else:
            assert progress is None
    shown = stderr.getvalue()
    assert ("Reading tracks" in shown and "100%" in shown) if terminal else shown == ""
