"""Helpers for the fuzz, hostile-input and determinism tests: run the CLI bounded in time and memory.

Each run forks a child (fuzz/harness.py) with an address-space cap and a
timeout: the timeout is a harness guard against hangs, not a timing assertion.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from fuzz import harness as H  # noqa: E402

H.preload()

GOOD = H.GOOD
TIMEOUT_S = 120.0
MEM_MB = 1536


def run_cli(args: list[str], cwd: Path, *, timeout: float = TIMEOUT_S, mem_mb: int = MEM_MB, secret: str | Path | None = None) -> H.Outcome:
    """`retrotrack ARGS` in `cwd`, in a forked child capped at `mem_mb` and killed after `timeout`.

    The outcome's category: ok / warn / error (one clean line) or a failure
    (traceback, hang, crash, dirty_error, noisy, leak, usage).
    """
    cwd = Path(cwd)
    h = H.Harness(cwd / ".harness", timeout=timeout, mem_mb=mem_mb, workers=1, secret=Path(secret) if secret else None)
    return h.run([H.Job("cli", "cli", None, args=[str(a) for a in args], cwd=cwd)])[0]


def run_analyze_job(name: str, data: bytes | None, tmp: Path, *, path: Path | None = None, timeout: float = TIMEOUT_S, mem_mb: int = MEM_MB, secret: Path | None = None, json_stdout: bool = False) -> H.Outcome:
    """One input through `retrotrack analyze FILE --json out/result.json --html out/report.html`, fully classified."""
    h = H.Harness(Path(tmp) / "jobs", timeout=timeout, mem_mb=mem_mb, workers=1, secret=secret)
    return h.run([H.Job("analyze", name, data, path=path, json_stdout=json_stdout)])[0]


def run_jobs(jobs: list[H.Job], tmp: Path, *, timeout: float = TIMEOUT_S, mem_mb: int = MEM_MB, secret: Path | None = None, race_baseline: dict | None = None, workers: int = 2) -> list[H.Outcome]:
    h = H.Harness(Path(tmp) / "jobs", timeout=timeout, mem_mb=mem_mb, workers=workers, secret=secret, race_baseline=race_baseline)
    return h.run(jobs)


def describe(o: H.Outcome) -> str:
    """A failure message for assertions: what ran, how it ended, the end of its stderr."""
    job = o.job
    what = f"{job.kind} {job.source or job.name} seed={job.seed} ops={job.ops}" if job else "?"
    return f"{what}\n -> {o.category} (exit {o.exit_code}): {o.detail[:3000]}\n stderr: {o.stderr[-1500:]}"


def race_importable() -> bool:
    try:
        from retrotrack.race import run_race, write_race_outputs  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True
