"""tests/data/regressions: every input that once failed, small, with a manifest.

MANIFEST.json lists each regression: either a `file` (minimised bytes kept in
the repo) or a `recipe` (source file + seed, replayed from ../shared when it
exists: used for inputs derived from GPL-licensed files, which stay out of the
repo). `status` "open" makes the test an xfail(strict=True) until the owner
fixes the bug; then flip it to "fixed".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fuzz import harness as H
from fuzz.seeds import is_gpl

REPO = Path(__file__).resolve().parent.parent
REG_DIR = REPO / "tests" / "data" / "regressions"
MANIFEST = REG_DIR / "MANIFEST.json"
MAX_BYTES = 256 * 1024

OWNERS = (
    ("readers/", "readers"),
    ("simulate/fitwriter", "readers"),
    ("race/", "race timing"),
    ("simulate/race", "race timing"),
    ("render", "pages"),
    ("direction", "direction detector + simulator"),
    ("motion", "direction detector + simulator"),
    ("simulate/", "direction detector + simulator"),
)


def owner_of(where: str) -> str:
    for key, owner in OWNERS:
        if key in (where or ""):
            return owner
    return "unowned (lead)"


def load_manifest() -> list[dict]:
    if not MANIFEST.exists():
        return []
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def write_manifest(entries: list[dict]) -> None:
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60].lower()


def save_regression(data: bytes | None, o: H.Outcome, corpus=None) -> Path | None:
    """Add one failing input to the manifest (bytes if small and free to copy, else a recipe)."""
    entries = load_manifest()
    job = o.job
    if any(e.get("signature") == o.signature for e in entries):
        return None
    where = ""
    if o.category == "traceback":
        where = o.signature.split(":", 2)[-1]
    entry = {
        "id": f"{len(entries) + 1:03d}-{_slug(o.signature)}",
        "kind": job.kind,
        "signature": o.signature,
        "status": "open",
        "owner": owner_of(where or o.detail),
        "reason": (o.detail.splitlines() or [""])[0][:300],
        "ops": job.ops,
    }
    options = {"split_m": job.split_m, "json_stdout": job.json_stdout or None, "race_jobs": job.race_jobs if job.race_jobs != 1 else None}
    options = {k: v for k, v in options.items() if v}
    if options:
        entry["options"] = options
    source = job.source or ""
    if job.extra:
        REG_DIR.mkdir(parents=True, exist_ok=True)
        entry["extra"] = {}
        for rel, blob in job.extra.items():
            fname = f"{entry['id']}__{rel}"
            (REG_DIR / fname).write_bytes(blob[:MAX_BYTES])
            entry["extra"][rel] = fname
        path = REG_DIR / fname
    elif data is not None and not is_gpl(source) and len(data) <= MAX_BYTES:
        ext = "".join(Path(job.name).suffixes[-2:]) or ".bin"
        fname = f"{entry['id']}{ext}"
        REG_DIR.mkdir(parents=True, exist_ok=True)
        (REG_DIR / fname).write_bytes(data)
        entry["file"] = fname
        entry["name"] = Path(job.name).name
        path = REG_DIR / fname
    elif job.seed is not None and source:
        entry["recipe"] = {"source": source, "seed": job.seed}
        path = MANIFEST
    else:
        return None
    entries.append(entry)
    write_manifest(entries)
    return path
