"""Readers are pluggy plugins: built-ins load through entry points; a third-party one can join."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from retrotrack import hookspecs, plugins
from retrotrack.errors import ReadError
from retrotrack.readers import read_activity

EXAMPLE = REPO / "examples" / "plugins" / "tcx"
SAMPLE = EXAMPLE / "retrotrack_tcx" / "sample.tcx"


@pytest.fixture
def tcx_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import retrotrack_tcx

    plugins.register(retrotrack_tcx, name="tcx")
    yield retrotrack_tcx
    plugins.unregister(retrotrack_tcx)


def test_builtin_readers_are_registered():
    names = {r.name: r for r in plugins.readers()}
    assert {"fit", "gpx"} <= set(names)
    assert ".fit" in names["fit"].suffixes and ".gpx" in names["gpx"].suffixes
    assert all(isinstance(r, hookspecs.Reader) for r in names.values())


def test_builtins_load_even_without_entry_points(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    plugins.reset()
    try:
        assert {r.name for r in plugins.readers()} >= {"fit", "gpx"}
    finally:
        plugins.reset()


def test_without_the_plugin_tcx_is_unknown():
    with pytest.raises(ReadError, match="unknown file format"):
        read_activity(SAMPLE)


def test_registered_example_plugin_reads_the_sample(tcx_plugin):
    act = read_activity(SAMPLE)
    assert act.format == "tcx" and act.sport == "running" and act.device == "Example Watch"
    assert len(act) == 61
    assert act.distance_m[-1] == pytest.approx(900.0)
    assert [(lap.start_s, lap.end_s, lap.distance_m) for lap in act.laps] == [(0.0, 330.0, 900.0)]
    assert act.pauses == [(150.0, 180.0)]
    assert act.cadence_spm[0] == 168.0 and act.heart_rate_bpm[0] == 140
    assert act.step_length_m[0] == pytest.approx(3.0 / (168 / 60))


def test_plugin_reader_errors_stay_one_line(tcx_plugin, tmp_path):
    bad = tmp_path / "bad.tcx"
    bad.write_text("<TrainingCenterDatabase><Activities/></TrainingCenterDatabase>")
    with pytest.raises(ReadError, match="bad.tcx: no trackpoints"):
        read_activity(bad)


def fake_install(site, dist: str, entry_points: str) -> None:
    """An installed distribution's metadata, as pip would leave it (without running pip)."""
    info = site / f"{dist}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def run_cli(site, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(EXAMPLE), str(REPO)]))
    return subprocess.run([sys.executable, "-m", "retrotrack", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_an_installed_plugin_is_found_through_its_entry_point(tmp_path):
    fake_install(tmp_path, "retrotrack_tcx", "[retrotrack]\ntcx = retrotrack_tcx\n")
    proc = run_cli(tmp_path, "analyze", str(SAMPLE), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["format"] == "tcx" and doc["summary"]["distance_m"] == pytest.approx(900.0)
    assert len(doc["laps"]) == 1


def test_a_broken_plugin_does_not_stop_the_builtins(tmp_path):
    fake_install(tmp_path, "broken_plugin", "[retrotrack]\nbroken = no_such_module_anywhere\n")
    gpx = tmp_path / "run.gpx"
    gpx.write_text(textwrap.dedent("""\
        <gpx version="1.1"><trk><trkseg>
        <trkpt lat="53.34" lon="-6.26"><time>2026-06-14T09:00:00Z</time></trkpt>
        <trkpt lat="53.34003" lon="-6.26"><time>2026-06-14T09:00:01Z</time></trkpt>
        </trkseg></trk></gpx>"""))
    proc = run_cli(tmp_path, "analyze", str(gpx), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    assert "broken" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["format"] == "gpx"


def test_a_broken_plugin_is_reported_by_the_cli_and_the_builtins_still_work(monkeypatch):
    from importlib.metadata import EntryPoint

    from click.testing import CliRunner

    from retrotrack.cli import cli

    broken = EntryPoint(name="broken", value="retrotrack_no_such_module:plugin", group=hookspecs.PROJECT)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [broken])
    plugins.reset()
    try:
        res = CliRunner().invoke(cli, ["analyze", str(REPO / "examples" / "demo_race" / "tracks" / "101.fit"),
                                                       "--json", "-"])
        assert res.exit_code == 0, res.stderr
        assert "warning: plugin 'broken' (retrotrack_no_such_module:plugin) could not be loaded" in res.stderr
        assert json.loads(res.stdout)["summary"]["distance_m"] > 0
    finally:
        plugins.reset()


def test_a_plugin_whose_hook_raises_is_left_out_with_a_warning():
    from click.testing import CliRunner

    from retrotrack.cli import cli

    class Faulty:
        @hookspecs.hookimpl
        def retrotrack_register_readers(self):
            raise RuntimeError("boom")

    faulty = Faulty()
    plugins.register(faulty, name="faulty")
    try:
        assert {r.name for r in plugins.readers()} >= {"fit", "gpx"}
        res = CliRunner().invoke(cli, ["analyze", str(REPO / "examples" / "demo_race" / "tracks" / "101.fit"),
                                       "--json", "-"])
        assert res.exit_code == 0, res.stderr
        assert "warning: plugin 'faulty' could not list its readers: RuntimeError: boom" in res.stderr
        assert json.loads(res.stdout)["format"] == "fit"
    finally:
        plugins.unregister(faulty)
        plugins.reset()
