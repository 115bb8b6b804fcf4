"""How much retrotrack adds on top of just decoding the largest real FIT and GPX files.

For each file: decode-only time with the plain library (fitdecode iterating
every frame with its default settings; gpxpy.parse), our read_activity, and
end to end (read_activity + analyze_activity + analysis_to_dict). The target
is end-to-end within 1.2x decode-only. Best of 3 runs each.

    .venv/bin/python benchmarks/bench_readers.py
"""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL = REPO.parent / "shared" / "fixtures" / "real"
FIT_FILE = REAL / "fitparse__activity-large-fenxi2-multisport.fit"
GPX_FILE = REAL / "sweatpy__activity_4078723797.gpx"
RUNS = 3
TARGET = 1.2


def fitdecode_default(path: Path) -> None:
    import fitdecode

    with fitdecode.FitReader(str(path)) as reader:
        for _ in reader:
            pass


def fitdecode_fastest(path: Path) -> None:
    import fitdecode

    with fitdecode.FitReader(str(path), processor=None, check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for _ in reader:
            pass


def gpxpy_parse(path: Path) -> None:
    import gpxpy

    gpxpy.parse(path.read_text(encoding="utf-8-sig"))


def etree_parse(path: Path) -> None:
    ET.fromstring(path.read_bytes())


def ours(path: Path) -> None:
    from retrotrack.readers import read_activity

    read_activity(path)


def end_to_end(path: Path) -> None:
    from retrotrack.analysis import analysis_to_dict, analyze_activity
    from retrotrack.readers import read_activity

    analysis_to_dict(analyze_activity(read_activity(path)))


def report(label: str, path: Path, baselines: list[tuple[str, callable]]) -> bool:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.2f} MB)")
    ours(path)  # warm imports and the plugin manager
    variants = baselines + [("read_activity", ours), ("end to end (read+analyze+dict)", end_to_end)]
    best = {name: float("inf") for name, _ in variants}
    for _ in range(RUNS):  # interleaved, so a busy moment does not favour one variant
        for name, func in variants:
            start = time.perf_counter()
            func(path)
            best[name] = min(best[name], time.perf_counter() - start)
    width = max(len(name) for name in best)
    for name, secs in best.items():
        kind = "decode only: " if name in dict(baselines) else ""
        print(f"  {(kind + name):{width + 13}s} {secs:7.3f} s")
    e2e = best["end to end (read+analyze+dict)"]
    for name, _ in baselines:
        print(f"  {'end to end / ' + name:{width + 13}s} {e2e / best[name]:7.2f}")
    reference = baselines[0][0]
    ok = e2e <= TARGET * best[reference]
    print(f"  target: end to end <= {TARGET:.2f} x {reference}: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    if not REAL.is_dir():
        print(f"skipped: the real exports ({REAL}) are not here")
        return 0
    sys.path.insert(0, str(REPO))
    ok = report("FIT", FIT_FILE, [("fitdecode (defaults)", fitdecode_default),
                                 ("fitdecode (no processor/CRC)", fitdecode_fastest)])
    ok &= report("GPX", GPX_FILE, [("gpxpy.parse", gpxpy_parse), ("xml.etree fromstring", etree_parse)])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
