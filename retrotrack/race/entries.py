"""The entries CSV: one row per runner (`bib,name,sex,birth_year,club,track,time`).

Read the way spreadsheets write it: UTF-8 with or without a BOM, UTF-16 with a
BOM (Excel's "Unicode text"), Windows-1252 as a last resort; `,`, `;` or tab
separators (whichever the header uses); CRLF or LF line ends; header names in
any case, with spaces for underscores. A decimal comma in a time (17,84) is
read as a decimal point, as European Excel writes it.

Every mistake is a ConfigError naming the file, the line and the problem.

`track` is relative to the CSV. A track path that leads outside the race folder
(the config's folder) or names a folder is that runner's problem, not the
race's: the runner gets status `error` with the reason, and everyone else is
timed. A careful organiser would rather publish 149 results and fix one row
than publish nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from retrotrack.errors import ConfigError
from retrotrack.race.config import read_organiser_file

COLUMNS = ("bib", "name", "sex", "birth_year", "club", "track", "time")
SEXES = ("M", "F", "X")
STATUS_WORDS = {"DNF": "dnf", "DNS": "dns", "DQ": "dq", "DSQ": "dq", "DISQ": "dq"}


@dataclass
class Entry:
    """One runner as entered."""

    bib: str
    name: str
    sex: str
    birth_year: int | None
    club: str
    track: Path | None
    """Absolute path of the watch export, or None."""
    track_text: str
    """The `track` cell as written (for messages)."""
    time_s: float | None
    """A hand or timing-system time, official when given."""
    time_status: str | None = None
    """A status word written in the time cell (dnf, dns, dq)."""
    track_problem: str | None = None
    """Why the track cannot be used (outside the race folder, a folder), or None."""
    line: int = 0


def parse_time(text: str) -> float:
    """Seconds from `17.84`, `17,84`, `mm:ss[.s]` or `h:mm:ss[.s]`; ValueError if it is none of those."""
    s = text.strip().replace(",", ".")
    if not s:
        raise ValueError("empty")
    if re.fullmatch(r"\d+(\.\d+)?", s):
        v = float(s)
    else:
        m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)", s)
        if not m:
            raise ValueError(f"{text.strip()!r} is not a time (use seconds like 17.84, or [h:]mm:ss[.s])")
        h = int(m.group(1) or 0)
        mins = int(m.group(2))
        secs = float(m.group(3))
        if m.group(1) is not None and mins >= 60 or secs >= 60:
            raise ValueError(f"{text.strip()!r} has minutes or seconds of 60 or more")
        v = 3600 * h + 60 * mins + secs
    if v <= 0:
        raise ValueError(f"{text.strip()!r} is not a positive time")
    return v


def decode_text(raw: bytes) -> str:
    """Text of a spreadsheet export, whatever Excel saved it as."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if len(raw) >= 4 and raw[1:2] == b"\x00" and raw[3:4] == b"\x00":
        return raw.decode("utf-16-le")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """The separator the header uses: `;`, tab or `,`."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _norm_header(h: str) -> str:
    return re.sub(r"[\s\-]+", "_", h.strip().lower())


def read_table(path: Path, what: str = "file") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows of a CSV as spreadsheets write it; blank rows skipped."""
    if "\0" in str(path):
        raise ConfigError(str(path).replace("\0", "\\0"), f"a NUL character in the {what} name")
    raw = read_organiser_file(path, what)
    try:
        text = decode_text(raw)
    except UnicodeDecodeError:
        raise ConfigError(path, "is not readable text (save it as CSV UTF-8)") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise ConfigError(path, "is empty (it needs a header line: " + ",".join(COLUMNS) + ")")
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(first))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line_no = 1
    try:
        for cells in reader:
            this_line = line_no
            line_no = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [_norm_header(c) for c in cells]
                continue
            rows.append((this_line, cells))
    except csv.Error as exc:
        raise ConfigError(path, f"line {reader.line_num}: {exc}") from None
    return header or [], rows


def read_entries(path: str | Path, race_year: int, race_dir: str | Path | None = None) -> list[Entry]:
    """Every row of the entries CSV, checked; ConfigError on the first mistake."""
    path = Path(path)
    race_dir = Path(race_dir) if race_dir is not None else path.parent
    header, rows = read_table(path, "entries file")
    _check_header(path, header)
    col = {h: i for i, h in enumerate(header)}
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    root = race_dir.resolve()

    for line, cells in rows:
        def cell(name: str) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise ConfigError(path, f"line {line}: {len(cells)} fields but the header has {len(header)} (a separator inside a name? put it in quotes)")
        bib = cell("bib")
        if not bib:
            raise ConfigError(path, f"line {line}: the bib is empty")
        if bib in seen:
            raise ConfigError(path, f"line {line}: duplicate bib {bib} (first on line {seen[bib]})")
        seen[bib] = line
        name = cell("name")
        if not name:
            raise ConfigError(path, f"line {line}: bib {bib} has no name")
        sex = cell("sex").upper()
        if sex not in SEXES:
            raise ConfigError(path, f"line {line}: bib {bib}: unknown sex {cell('sex')!r} (use M, F or X)")
        where = f"line {line}: bib {bib}"
        birth_year = _birth_year(path, where, cell("birth_year"), race_year)
        time_s, time_status = _time_cell(path, where, cell("time"))
        track, track_text, problem = _track_cell(path, root, cell("track"))
        entries.append(Entry(bib=bib, name=name, sex=sex, birth_year=birth_year, club=cell("club"), track=track,
                             track_text=track_text, time_s=time_s, time_status=time_status, track_problem=problem,
                             line=line))
    return entries


def _check_header(path: Path, header: list[str]) -> None:
    """The header names bib, name, sex and birth_year, each once."""
    if "bib" not in header:
        raise ConfigError(path, f"line 1: the header has no `bib` column (expected {','.join(COLUMNS)}; found {','.join(header)})")
    dup = sorted({h for h in header if header.count(h) > 1 and h})
    if dup:
        raise ConfigError(path, f"line 1: column {dup[0]!r} appears twice in the header")
    for needed in ("name", "sex", "birth_year"):
        if needed not in header:
            raise ConfigError(path, f"line 1: the header has no `{needed}` column (expected {','.join(COLUMNS)})")


def _birth_year(path: Path, where: str, text: str, race_year: int) -> int:
    """A four-digit year that gives an age of 4 to 110 in the race's year."""
    if not re.fullmatch(r"\d{4}", text):
        raise ConfigError(path, f"{where}: birth_year {text!r} is not a four-digit year")
    year = int(text)
    if not race_year - 110 <= year <= race_year - 4:
        raise ConfigError(path, f"{where}: birth_year {year} gives an age of {race_year - year} in {race_year}")
    return year


def _time_cell(path: Path, where: str, text: str) -> tuple[float | None, str | None]:
    """A hand time in seconds, or a status word (DNF, DNS, DSQ ...); both None when the cell is empty."""
    if not text:
        return None, None
    word = text.upper().replace(".", "")
    if word in STATUS_WORDS:
        return None, STATUS_WORDS[word]
    try:
        return parse_time(text), None
    except ValueError as exc:
        raise ConfigError(path, f"{where}: time {exc}") from None


def _track_cell(path: Path, root: Path, text: str) -> tuple[Path | None, str, str | None]:
    """The track file a cell names, relative to the entries file: (resolved path, the cell as kept, what is
    wrong with it, if anything). A track outside the race folder, or a folder, is that runner's problem,
    not the race's."""
    if text and "\0" in text:
        return None, "", "the track name contains a NUL character"
    if not text:
        return None, text, None
    p = Path(text.replace("\\", "/"))
    track = (path.parent / p).resolve() if not p.is_absolute() else p.resolve()
    problem = None
    try:
        track.relative_to(root)
    except ValueError:
        problem = f"track {text} is outside the race folder"
    if problem is None and track.is_dir():
        problem = f"track {text} is a folder, not a watch export"
    return track, text, problem
