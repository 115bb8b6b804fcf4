"""A timing system's CSV export (`race --times FILE`): bib and time columns, merged in as official times.

Timing systems name their columns many ways; the bib column is the first header
matching BIB_NAMES and the time column the first matching TIME_NAMES (net/chip
times before gun/clock times). A time cell may hold a status word instead
(DNF, DNS, DQ/DSQ). Bibs that are not in the entries are reported as warnings,
not errors: timing exports often include other races or test chips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retrotrack.errors import ConfigError
from retrotrack.race.entries import STATUS_WORDS, parse_time, read_table

BIB_NAMES = ("bib", "bib_num", "bib_number", "bib_no", "bibno", "bib#", "number", "no", "race_no", "race_number", "dorsal", "startnummer")
TIME_NAMES = ("net_time", "chip_time", "chiptime", "nettime", "time", "finish_time", "result", "clock_time", "gun_time", "gross_time", "elapsed")


@dataclass
class ImportedTime:
    bib: str
    time_s: float | None
    status: str | None
    line: int


def _norm(h: str) -> str:
    return h.replace(" ", "_").replace(".", "").lower()


def read_times(path: str | Path) -> tuple[list[ImportedTime], list[str]]:
    """(times, warnings) from a timing system's CSV; ConfigError when no bib/time columns or a bad cell."""
    path = Path(path)
    header, rows = read_table(path, "times file")
    names = [_norm(h) for h in header]
    bib_col = next((names.index(n) for n in BIB_NAMES if n in names), None)
    time_col = next((names.index(n) for n in TIME_NAMES if n in names), None)
    if bib_col is None:
        raise ConfigError(path, f"line 1: no bib column (looked for Bib, bib_num, BIB, Bib#, ...; found {', '.join(header)})")
    if time_col is None:
        raise ConfigError(path, f"line 1: no time column (looked for Time, Chip Time, Net Time, clock_time, ...; found {', '.join(header)})")
    out: list[ImportedTime] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        bib = cells[bib_col].strip() if bib_col < len(cells) else ""
        text = cells[time_col].strip() if time_col < len(cells) else ""
        if not bib:
            warnings.append(f"{path.name}: line {line}: no bib, row ignored")
            continue
        if bib in seen:
            raise ConfigError(path, f"line {line}: bib {bib} appears twice (first on line {seen[bib]})")
        seen[bib] = line
        if not text:
            warnings.append(f"{path.name}: line {line}: bib {bib} has no time, row ignored")
            continue
        word = text.upper().replace(".", "")
        if word in STATUS_WORDS:
            out.append(ImportedTime(bib, None, STATUS_WORDS[word], line))
            continue
        try:
            out.append(ImportedTime(bib, parse_time(text), None, line))
        except ValueError as exc:
            raise ConfigError(path, f"line {line}: bib {bib}: time {exc}") from None
    return out, warnings
