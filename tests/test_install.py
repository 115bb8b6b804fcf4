"""The templates ship with the package: build a wheel, install it (not editable) in a fresh venv, render there.

Slow-ish (a wheel build, ~10 s) but kept in the default run: an editable
install finds templates/ in the checkout, so only a real install shows a
template missing from package_data.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from retrotrack import render

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
NETWORK_TROUBLE = ("NewConnectionError", "Temporary failure in name resolution", "Could not find a version that satisfies", "No matching distribution")


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.pop("PYTHONPATH", None)
    env.update(kw.pop("env", {}))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a clean copy of the sources (so the checkout gets no build/ folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "setup.py", "MANIFEST.in"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    for folder in ("retrotrack", "templates"):
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp / "dist"
    offline = importlib.util.find_spec("wheel") is not None  # setuptools can build offline only with `wheel` at hand
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(src)]
    if offline:
        cmd.insert(4, "--no-build-isolation")
    proc = _run(cmd)
    if proc.returncode != 0:
        if not offline and any(s in proc.stdout + proc.stderr for s in NETWORK_TROUBLE):
            pytest.skip("building a wheel needs setuptools and wheel from the package index, which is not reachable")
        raise AssertionError(f"pip wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    wheels = list(out.glob("retrotrack-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_holds_every_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = sorted(p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*") if p.is_file() and p.suffix in (".html", ".css", ".js", ".py"))
    assert "base.html" in wanted and "race_index.html" in wanted and "partials/macros.html" in wanted
    missing = [w for w in wanted if f"retrotrack/templates/{w}" not in names]
    assert missing == [], f"templates not in the wheel (see package_data in setup.cfg): {missing}"
    assert "retrotrack/render.py" in names and "retrotrack/svg.py" in names


def test_wheel_holds_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "retrotrack").rglob("*.py"))
    assert "retrotrack/direction/gait.py" in modules and "retrotrack/race/timing.py" in modules
    missing = [m for m in modules if m not in names]
    assert missing == [], f"modules not in the wheel (see packages in setup.cfg): {missing}"


def test_installed_package_renders_the_same_pages(wheel, tmp_path):
    venv = tmp_path / "venv"
    proc = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert proc.returncode == 0, proc.stderr
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # Dependencies (jinja2, numpy, ...) come from this interpreter's site-packages, added as a plain path:
    # .pth files there (such as an editable retrotrack's finder) are not run, so only the wheel provides retrotrack.
    (site / "retrotrack-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    proc = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "site"
    script = f"""
import json, sys
from importlib.resources import files
from pathlib import Path
sys.path.append({str(TESTS)!r})
import retrotrack, retrotrack.render as render
from render_samples import interval_analysis, race_result
paths = render.write_race_pages(race_result(), Path({str(out)!r}))
report = render.render_activity_report(interval_analysis())
Path({str(out)!r}, "report.html").write_text(report, encoding="utf-8")
print(json.dumps({{"module": retrotrack.__file__, "templates": str(files("retrotrack.templates")), "pages": [str(p) for p in paths]}}))
"""
    proc = _run([str(py), "-c", script], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["module"].startswith(str(site)), info["module"]
    assert info["templates"].startswith(str(site)), info["templates"]
    assert not info["module"].startswith(str(REPO))
    # Byte for byte what the checkout renders: the installed templates are the same templates.
    from render_samples import interval_analysis, race_result

    here = render.write_race_pages(race_result(), tmp_path / "here")
    assert [Path(p).name for p in info["pages"]] == [p.name for p in here]
    for theirs, ours in zip(info["pages"], here):
        assert Path(theirs).read_bytes() == ours.read_bytes(), Path(theirs).name
    assert (out / "report.html").read_text(encoding="utf-8") == render.render_activity_report(interval_analysis())
    assert "Riverside Retro 5000" in (out / "index.html").read_text(encoding="utf-8")
