#!/usr/bin/env python
"""The long fuzz run: mutate real and simulated FIT/GPX files and feed them to analyze and race.

    .venv/bin/python fuzz/run.py --inputs 10000

See fuzz/README.md. Exit status 0 when no input failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from fuzz import harness as H  # noqa: E402
from fuzz.corpus import Corpus, config_job, hostile_jobs, race_baseline  # noqa: E402
from fuzz.minimize import minimize  # noqa: E402
from fuzz.regressions import save_regression  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1000, help="mutated inputs to try (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="run seed: the same seed gives the same inputs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per input before it counts as a hang")
    ap.add_argument("--mem-mb", type=int, default=1024, help="address-space cap per input (RLIMIT_AS)")
    ap.add_argument("--race-share", type=float, default=0.12, help="share of inputs fed to a race as a runner's track")
    ap.add_argument("--config-share", type=float, default=0.08, help="share of inputs that mutate the race's config, entries or --times CSV")
    ap.add_argument("--source", action="append", help="only mutate these seed files (repeatable)")
    ap.add_argument("--no-hostile", action="store_true", help="skip the fixed hostile inputs (1 GB whitespace, XML bombs)")
    ap.add_argument("--failures", type=Path, default=REPO / "fuzz" / "failures", help="folder for failing inputs (default fuzz/failures)")
    ap.add_argument("--save-regressions", action="store_true", help="minimise one input per new failure kind into tests/data/regressions")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    H.preload()
    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="retrotrack-fuzz-"))
    try:
        return _run(args, tmp, t_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, tmp: Path, t_start: float) -> int:
    corpus = Corpus(only=args.source)
    secret = tmp / "secret.txt"
    secret.write_text(f"root:x:0:0:{H.SECRET_TOKEN}\n")
    print(f"seeds: {len(corpus.names)} files ({len(corpus.real)} real from {corpus.real_dir}, {len(corpus.sim)} simulated)")
    baseline, why = race_baseline(tmp / "baseline")
    race_ok = baseline is not None
    if not race_ok:
        print(f"race: not fuzzed ({why})")
    else:
        print("race: baseline " + ", ".join(f"{b}={r['status']} {r.get('time_s')}" for b, r in sorted(baseline.items())))
    args.failures.mkdir(parents=True, exist_ok=True)
    harness = H.Harness(tmp / "jobs", timeout=args.timeout, mem_mb=args.mem_mb, workers=args.workers, secret=secret, race_baseline=baseline, keep_failures=args.failures)
    harness.watch_code = True

    def rebaseline() -> None:
        if race_ok:
            new, why = race_baseline(tmp / f"baseline{harness.reloads}")
            harness.race_baseline = new
            print("  code changed on disk: re-imported; race baseline " + (", ".join(f"{b}={r['status']} {r.get('time_s')}" for b, r in sorted(new.items())) if new else f"unavailable ({why})"), flush=True)

    harness.on_reload = rebaseline

    counts: Counter = Counter()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    by_source: dict[str, Counter] = defaultdict(Counter)
    failures: dict[str, list[H.Outcome]] = defaultdict(list)
    peak = [0, ""]
    times: list[float] = []
    slow: list[tuple[float, str]] = []
    done = [0]

    def on_outcome(o: H.Outcome) -> None:
        done[0] += 1
        counts[o.category] += 1
        by_kind[o.job.kind][o.category] += 1
        by_source[o.job.source or o.job.name][o.category] += 1
        if o.maxrss_kb > peak[0]:
            peak[0], peak[1] = o.maxrss_kb, f"{o.job.source} seed={o.job.seed} {o.job.kind} {o.job.ops}"[:160]
        times.append(o.seconds)
        o.stdout = ""
        if o.category in H.GOOD:
            o.job.data = None
        slow.append((o.seconds, f"{o.job.source} seed={o.job.seed} {o.job.kind} {o.job.ops}"[:160]))
        slow.sort(reverse=True)
        del slow[5:]
        if o.category not in H.GOOD:
            failures[o.signature].append(o)
            first = len(failures[o.signature]) == 1
            if not first:
                o.job.data = None  # keep one input per failure kind in memory (for --save-regressions)
            if first or not args.quiet:
                print(f"  FAIL [{o.category}] {o.job.kind} {o.job.source} seed={o.job.seed} ops={o.job.ops} -> {o.detail.splitlines()[0][:300] if o.detail else ''}", flush=True)
            _record(args.failures, o)
        if done[0] % 250 == 0:
            el = time.monotonic() - t_start
            print(f"  ... {done[0]} inputs, {el:.0f} s, " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)

    jobs = []
    if not args.no_hostile:
        jobs.extend(hostile_jobs(tmp / "hostile", secret, race_ok))
    hostile_n = len(jobs)
    H._tame_malloc()
    rng = random.Random(args.seed)

    def generate():
        while jobs:  # popped, so the parent does not keep the big hostile inputs alive
            yield jobs.pop(0)
        for i in range(args.inputs - hostile_n if args.inputs > hostile_n else 0):
            source = corpus.names[i % len(corpus.names)]
            seed = args.seed * 1_000_000 + i
            r = rng.random()
            if race_ok and r < args.config_share and not args.source:
                yield config_job(seed)
                continue
            kind = "race" if race_ok and r < args.config_share + args.race_share else "analyze"
            m = corpus.mutant(source, seed, secret)
            split = {11: "1", 31: "1609.344", 51: "1e12"}.get(seed % 60) if kind == "analyze" else None
            ops = m.ops + ([f"--split-m {split}"] if split else []) + (["--jobs 2"] if kind == "race" and seed % 10 == 7 else [])
            yield H.Job(kind, m.name, m.data, source=source, seed=seed, ops=ops, json_stdout=(kind == "analyze" and seed % 10 == 3), split_m=split, race_jobs=2 if kind == "race" and seed % 10 == 7 else 1)

    harness.run(generate(), on_outcome)
    elapsed = time.monotonic() - t_start

    n_fail = sum(v for k, v in counts.items() if k not in H.GOOD)
    print()
    print(f"retrotrack fuzz run: seed {args.seed}, {len(corpus.names)} seed files, {args.workers} workers, timeout {args.timeout:.0f} s, memory cap {args.mem_mb} MB per input")
    n_cfg = sum(by_source["race-config"].values())
    print(f"inputs tried:      {done[0]}  (analyze {sum(by_kind['analyze'].values())}, race with a mutated track {sum(by_kind['race'].values()) - n_cfg}, race with mutated config/entries/times {n_cfg}; {hostile_n} fixed hostile inputs among them)")
    print(f"results:           {counts['ok']}")
    print(f"with warnings:     {counts['warn']}")
    print(f"clean errors:      {counts['error']}")
    print(f"tracebacks:        {counts['traceback']}")
    print(f"hangs:             {counts['hang']}")
    others = {k: counts[k] for k in H.FAILURES if k not in ("traceback", "hang") and counts[k]}
    print(f"other failures:    {sum(others.values())}" + (f"  ({', '.join(f'{k} {v}' for k, v in others.items())})" if others else ""))
    print(f"peak memory:       {peak[0] / 1024:.0f} MB (max RSS of a worker, counting the {harness.parent_peak_kb / 1024:.0f} MB it shares with the fork server; {peak[1]})")
    print(f"wall time:         {elapsed:.0f} s")
    if slow:
        times.sort()
        print(f"time per input:    median {times[len(times) // 2]:.2f} s, 99th percentile {times[int(len(times) * 0.99)]:.1f} s")
        print(f"slowest input:     {slow[0][0]:.1f} s  {slow[0][1]}")
    if harness.reloads:
        print(f"NOTE: retrotrack's code changed on disk during the run: the fork server re-imported it {harness.reloads} time(s) "
              "(and re-ran the intact race); inputs in flight at a change ran the older code.")
    if failures:
        print("\nfailure kinds (signature: count, first input):")
        for sig, outs in sorted(failures.items(), key=lambda kv: -len(kv[1])):
            o = outs[0]
            print(f"  {sig}: {len(outs)}  e.g. {o.job.kind} source={o.job.source} seed={o.job.seed}")
        print(f"inputs saved in {args.failures}")
    if args.save_regressions and failures:
        saved = 0
        for sig, outs in failures.items():
            o = outs[0]
            small = minimize(o, harness, corpus)
            path = save_regression(small, o, corpus)
            if path:
                saved += 1
                print(f"  regression saved: {path.relative_to(REPO)}")
        print(f"{saved} regressions saved")
    return 1 if n_fail else 0


def _record(folder: Path, o: H.Outcome) -> None:
    """Append the failure to fuzz/failures/failures.jsonl (recipe + detail), for replay and triage."""
    with open(folder / "failures.jsonl", "a", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "category": o.category,
                    "signature": o.signature,
                    "kind": o.job.kind,
                    "source": o.job.source,
                    "seed": o.job.seed,
                    "name": o.job.name,
                    "ops": o.job.ops,
                    "detail": o.detail[:4000],
                    "stderr": o.stderr[-2000:],
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    sys.exit(main())
