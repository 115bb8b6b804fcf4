"""Run every benchmark in turn and print their figures: `python benchmarks/run_all.py`.

Each benchmark is also a command of its own (see the files beside this one).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("bench_readers.py", "bench_direction.py", "bench_race.py", "bench_memory.py")


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        print(f"\n===== {name} =====", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / name), *sys.argv[1:]]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
