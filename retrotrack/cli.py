"""The `retrotrack` command: a thin layer that parses options and calls the library."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from retrotrack import __version__
from retrotrack.errors import RetrotrackError
from retrotrack.text import fmt_clock, json_text


def _fail_cleanly(func):
    """Turn the library's one error class into a one-line message and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RetrotrackError as exc:
            click.echo(f"retrotrack: error: {exc.message}", err=True)
            sys.exit(1)

    return wrapper


@contextlib.contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """The library's progress callback (done, total), drawn as a bar when stderr is a terminal; None
    otherwise, so that logs and pipes get no control characters."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = click.progressbar(length=1, label=label, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        bar.render_finish()


def _warn(where: str, warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"retrotrack: warning: {where}: {w}", err=True)


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return fmt_clock(seconds)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="retrotrack")
def cli() -> None:
    """Backward (retro) running: analyse watch exports, time club races, publish results."""
    from retrotrack.plugins import load_problems

    for problem in load_problems():
        click.echo(f"retrotrack: warning: {problem}", err=True)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "json_out", metavar="PATH|-", help="Write the analysis as JSON to PATH, or to stdout with -.")
@click.option("--html", "html_out", metavar="PATH|-", help="Write an HTML report to PATH, or to stdout with -.")
@click.option("--split-m", type=click.FloatRange(min=1.0), default=1000.0, show_default=True, help="Split distance in metres (1609.344 for miles).")
@_fail_cleanly
def analyze(file: Path, json_out: str | None, html_out: str | None, split_m: float) -> None:
    """Split one watch export (FIT or GPX) into backward, forward and stopped running.

    \b
    Examples:
      retrotrack analyze run.fit
      retrotrack analyze run.gpx --json run.json --html run.html
      retrotrack analyze run.fit --json - --split-m 1609.344
    """
    from retrotrack.analysis import analysis_to_dict, analyze_file
    from retrotrack.atomic import write_atomic
    from retrotrack.text import method_words

    if json_out == "-" and html_out == "-":
        raise click.UsageError("--json - and --html - cannot both go to stdout")
    analysis = analyze_file(file, split_m=split_m)
    _warn(str(file), analysis.warnings)
    doc = analysis_to_dict(analysis)
    if json_out == "-":
        click.echo(json_text(doc), nl=False)
    elif json_out:
        write_atomic(Path(json_out), json_text(doc))
    if html_out:
        from retrotrack.render import render_activity_report

        page = render_activity_report(analysis)
        if html_out == "-":
            click.echo(page, nl=False)
        else:
            write_atomic(Path(html_out), page)
    if not json_out and not html_out:
        s = analysis.summary
        click.echo(f"{Path(file).name}: {s.distance_m / 1000:.2f} km in {_hms(s.elapsed_s)} (moving {_hms(s.moving_s)})")
        for name in ("backward", "forward", "unknown"):
            part = getattr(s, name)
            if part.time_s > 0:
                click.echo(f"  {name:8s} {part.distance_m / 1000:6.2f} km  {_hms(part.time_s):>8s}")
        click.echo(f"  direction told from: {method_words(analysis.directions.method)}")


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("site"), show_default=True, help="Folder for index.html, results.json, results.csv and runner pages.")
@click.option("--times", "times_file", type=click.Path(path_type=Path), help="A timing system's CSV export (bib and time columns) to merge in.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Tracks read in parallel (default: one per core).")
@click.option("--generated-at", default=None, help="A timestamp to print on the pages (default: none, so outputs are reproducible).")
@_fail_cleanly
def race(config: Path, out_dir: Path, times_file: Path | None, jobs: int | None, generated_at: str | None) -> None:
    """Time a race from a CONFIG.toml and its entries; write results pages, JSON and CSV."""
    from retrotrack.race import run_race, write_race_outputs
    from retrotrack.race.run import results_folder

    results_folder(out_dir, create=False)
    with _progress_bar("Reading tracks") as progress:
        result = run_race(config, times_path=times_file, jobs=jobs, progress=progress)
    for runner in result.results:
        if runner.warnings and runner.track:
            _warn(f"bib {runner.bib} ({runner.track})", runner.warnings)
    for w in result.warnings:
        click.echo(f"retrotrack: warning: {w}", err=True)
    write_race_outputs(result, out_dir, generated_at=generated_at)
    click.echo(f"{result.race.name}: {result.finishers} finished of {len(result.results)} entries; results in {out_dir}/index.html")


@cli.command("track-config")
@click.option("--finish", required=True, metavar="LAT,LON", help="Where the finish line meets the inside kerb of lane 1.")
@click.option("--bearing", type=float, required=True, help="Direction of travel along the home straight, degrees from true north.")
@click.option("--distance", "distance_m", type=float, required=True, help="100, 200, 400, 800, 1500, 3000, 5000 or 10000.")
@click.option("--lanes", type=click.IntRange(1, 10), default=8, show_default=True, help="Lanes on the track.")
@click.option("--start", "start_kind", type=click.Choice(["usual", "lanes"]), default="usual", show_default=True,
              help="lanes: the 800 m in lanes from a staggered start, gun-timed (usual: a waterfall line, chip-timed).")
@click.option("--name", default=None, help="The race's name.")
@click.option("--gun-time", default=None, help="The gun time with its time zone, e.g. 2026-06-14T09:00:00Z or "
              "2026-06-14T10:00:00+01:00 (the race's date is its date there). Without it, a placeholder is written, "
              "marked to be set.")
@click.option("--entries", "entries_file", default="entries.csv", show_default=True, help="Entries file named in the config.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write the config here (default: stdout).")
@_fail_cleanly
def track_config(finish: str, bearing: float, distance_m: float, lanes: int, start_kind: str, name: str | None,
                 gun_time: str | None, entries_file: str, out_file: Path | None) -> None:
    """Write a race config for a standard distance on a standard 400 m track.

    \b
    Example:
      retrotrack track-config --finish 53.3051,-6.2182 --bearing 352 --distance 1500 \\
          --gun-time 2026-06-14T10:00:00+01:00 --out race.toml
    """
    from retrotrack.atomic import write_atomic
    from retrotrack.errors import ConfigError
    from retrotrack.race.trackconfig import make_track_config

    try:
        text = make_track_config(finish, bearing, distance_m, lanes=lanes, name=name, gun_time=gun_time,
                                 entries_file=entries_file, lane_start=start_kind == "lanes")
    except ConfigError as exc:
        # Every value it checks is an option's: a usage error (exit 2), as click's own checks are.
        raise click.BadParameter(exc.problem, param_hint=f"'{exc.file}'") from None
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out_file, text)


def main() -> None:
    cli(prog_name="retrotrack")
