"""Run a race end to end: config and entries in, every runner timed (in parallel), results out.

Tracks are read and timed in worker processes (one per core by default,
biggest files first); each worker returns plain data (the race window only).
A track that is missing, unreadable or makes a worker fail gives that runner
status `error` with the reason; it never stops the race. Once every track is
in, the runners who lined up at the start line are re-timed with what the
field shows about how deep it stood (`settle_starts`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path

import numpy as np

from retrotrack.atomic import write_atomic
from retrotrack.errors import RetrotrackError
from retrotrack.race.config import load_race_config
from retrotrack.race.entries import Entry, read_entries
from retrotrack.race.model import RaceInfo, RaceResult
from retrotrack.race.progress import field_depth_priors
from retrotrack.race.results import OfficialTime, assign_places, build_result, results_to_csv, results_to_dict
from retrotrack.race.times_import import read_times
from retrotrack.race.timing import FAR_FROM_COURSE_M, RunnerTiming, apply_depth_prior, time_activity
from retrotrack.text import far_text, json_text

Progress = Callable[[int, int], None]
GATE_MISS_M = 30.0
"""A track that runs through a gate comes within its half-width plus GPS error of its centre."""


def time_track(track: str, race: RaceInfo) -> tuple[RunnerTiming | None, str | None, list[str]]:
    """Read and time one track: (timing, error reason, reader warnings). Never raises."""
    name = Path(track).name
    try:
        from retrotrack.readers import read_activity

        activity = read_activity(track)
    except RetrotrackError as exc:
        return None, f"track {name} cannot be read: {exc.problem}", []
    except Exception as exc:  # a reader bug must not stop the race
        return None, f"track {name} cannot be read ({type(exc).__name__}: {exc})", []
    try:
        timing = time_activity(activity, race)
    except Exception as exc:
        return None, f"track {name} could not be timed ({type(exc).__name__}: {exc})", list(activity.warnings)
    return timing, None, list(activity.warnings)


def settle_starts(timings: list[RunnerTiming], field_size: int | None = None) -> float | None:
    """Re-time every runner who lined up at the start line with a depth prior learnt from the field.

    `field_size` is how many runners the race has (entries): a small field cannot stand deep.
    Returns the median depth behind the line, or None where too few runners lined up to tell.
    """
    lined_up = [tm for tm in timings if tm.depth is not None and tm.depth.kind == "line"]
    priors = field_depth_priors([tm.depth.loglik for tm in lined_up], [tm.depth.onset_s for tm in lined_up],
                                field_size, [tm.depth.onset_sd_s for tm in lined_up])
    if priors is None:
        return None
    for tm, prior in zip(lined_up, priors):
        apply_depth_prior(tm, prior)
    return float(np.median([tm.depth_m for tm in lined_up]))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _official_times(entries: list[Entry], times_path, warnings: list[str]) -> dict[str, OfficialTime]:
    official: dict[str, OfficialTime] = {}
    for e in entries:
        if e.time_s is not None or e.time_status is not None:
            official[e.bib] = OfficialTime(e.time_s, e.time_status, "hand")
    if times_path is not None:
        imported, warns = read_times(times_path)
        warnings.extend(warns)
        bibs = {e.bib for e in entries}
        for it in imported:
            if it.bib not in bibs:
                warnings.append(f"{Path(times_path).name}: line {it.line}: bib {it.bib} is not in the entries, ignored")
                continue
            old = official.get(it.bib)
            if old is not None and old.time_s is not None and it.time_s is not None and abs(old.time_s - it.time_s) > 0.5:
                warnings.append(f"bib {it.bib}: the imported time replaces the entries' time {old.time_s:g} s")
            official[it.bib] = OfficialTime(it.time_s, it.status, "import")
    return official


def run_race(config_path, times_path=None, jobs: int | None = None, progress: Progress | None = None) -> RaceResult:
    """Time every runner of the race described by `config_path` (ConfigError for organiser mistakes)."""
    cfg = load_race_config(config_path)
    race = cfg.race
    entries = read_entries(cfg.entries_path, int(race.date[:4]), cfg.race_dir)
    warnings = list(cfg.warnings)
    official = _official_times(entries, times_path, warnings)
    warnings += _shared_track_warnings(entries)

    outcomes: dict[str, tuple[RunnerTiming | None, str | None, list[str]]] = {}
    todo: list[Entry] = []
    for e in entries:
        if e.track_problem:
            outcomes[e.bib] = (None, e.track_problem, [])
        elif e.track is None:
            continue
        elif not e.track.exists():
            outcomes[e.bib] = (None, f"track {e.track_text} is missing", [])
        else:
            todo.append(e)
    total = len(todo)
    done = 0
    if progress:
        progress(0, total)
    workers = max(1, min(jobs or _cores(), total))
    # Longest first, so no core is left with a big file at the end.
    todo.sort(key=lambda e: -_size(e.track))
    if workers == 1 or total < 4:
        for e in todo:
            outcomes[e.bib] = time_track(str(e.track), race)
            done += 1
            if progress:
                progress(done, total)
    else:
        import retrotrack.readers  # noqa: F401  (imported once here: forked workers inherit it)

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(time_track, str(e.track), race): e for e in todo}
            for fut in as_completed(futures):
                e = futures[fut]
                try:
                    outcomes[e.bib] = fut.result()
                except Exception as exc:  # a worker that died (memory, a crash in a library)
                    outcomes[e.bib] = (None, f"track {e.track_text} could not be analysed ({type(exc).__name__})", [])
                done += 1
                if progress:
                    progress(done, total)

    settle_starts([o[0] for o in outcomes.values() if o[0] is not None], field_size=len(entries))
    warnings += _misplaced_gate_warnings([o[0] for o in outcomes.values() if o[0] is not None], race, config_path)
    results = []
    for e in entries:
        timing, err, reader_warnings = outcomes.get(e.bib, (None, None, []))
        r = build_result(e, race, timing, err, official.get(e.bib))
        r.warnings = list(reader_warnings) + r.warnings
        results.append(r)
    return RaceResult(race=race, results=assign_places(results), warnings=warnings)


def _shared_track_warnings(entries: list[Entry]) -> list[str]:
    """Two runners named with one track file: a copy-and-paste slip in the entries that would give them
    the same result."""
    by_file: dict[Path, list[Entry]] = {}
    for e in entries:
        if e.track is not None:
            by_file.setdefault(e.track.resolve(), []).append(e)
    out = []
    for same in by_file.values():
        if len(same) > 1:
            bibs = [e.bib for e in same]
            out.append(f"bibs {', '.join(bibs[:-1])} and {bibs[-1]} name the same track {same[0].track_text}: "
                       "only one of them ran with it?")
    return out


def _misplaced_gate_warnings(timings: list[RunnerTiming], race: RaceInfo, config_path) -> list[str]:
    """Warnings for gates that are most likely in the wrong place: no track comes near any of them, or the
    tracks run the course but not one comes near this gate (a mistyped or swapped `at`)."""
    name = Path(config_path).name
    by_gate = [t.nearest_gate_m for t in timings if t.nearest_gate_m]
    if not by_gate:
        return []
    closest = min(min(d.values()) for d in by_gate)
    if closest > FAR_FROM_COURSE_M:
        return [f"{name}: none of the {len(by_gate)} tracks comes within {closest / 1000:,.1f} km of a gate: "
                "check the gate coordinates"]
    out = []
    for gate in race.gates:
        nearest = min(d.get(gate.name, np.inf) for d in by_gate)
        if nearest > gate.width_m / 2 + GATE_MISS_M:
            label = gate.name if gate.name in ("start", "finish") else f"checkpoint {gate.name!r}"
            out.append(f"{name}: no track comes within {far_text(nearest) if nearest >= 1000 else f'{nearest:.0f} m'} "
                       f"of the {label} gate, though the tracks run the course: check its `at` coordinates")
    return out


def results_folder(out_dir, *, create: bool = True) -> Path:
    """The folder results go to, made if need be; RetrotrackError if it cannot be. The CLI checks it
    (`create=False`) before a race is timed, so a wrong --out costs no wait."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise RetrotrackError(out, "is a file, not a folder for the results")
    if not create:
        return out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RetrotrackError(out, f"cannot create the output folder: {exc.strerror or exc}") from None
    return out


def write_race_outputs(result: RaceResult, out_dir, generated_at: str | datetime | None = None) -> list[Path]:
    """Write results.json, results.csv and the pages (index.html, runners/<bib>.html) into `out_dir`."""
    out = results_folder(out_dir)
    written = []
    p = out / "results.json"
    write_atomic(p, json_text(results_to_dict(result)))
    written.append(p)
    p = out / "results.csv"
    write_atomic(p, results_to_csv(result))
    written.append(p)
    from retrotrack.render import write_race_pages  # jinja2 only here, not in the track workers

    written += write_race_pages(result, out, generated_at=generated_at)
    return written
