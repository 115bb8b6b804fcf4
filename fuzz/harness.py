"""Run inputs through `retrotrack analyze` / `retrotrack race`, each bounded in time and memory.

A fork server: the parent imports retrotrack once, then forks one child per
input. The child starts its own process group, caps its address space with
RLIMIT_AS, points stdin at /dev/null and stdout/stderr at files, and calls the
CLI's click entry in-process. The parent kills the group when the input runs
past its timeout, and reads each child's peak RSS from wait4().

Each outcome is classified:

    ok          exit 0, no warnings
    warn        exit 0 with warnings (stderr `retrotrack: warning: ...`, JSON `warnings`)
    error       exit 1 with one clean line `retrotrack: error: <file>: ...`
  and the failures:
    traceback   an exception escaped the CLI (MemoryError included: the memory cap was hit)
    hang        still running at the timeout
    memory      peak RSS above 80% of the memory cap (even if the MemoryError was caught)
    crash       killed by a signal, or died without reporting
    dirty_error exit 1 but stderr is not one `retrotrack: error:` line naming the file
    noisy       exit 0 but stderr has lines that are not `retrotrack: warning:` lines
    bad_output  an output file half-written, invalid, or a temporary file left behind
    contract    the JSON breaks INTERFACE.md (segments not contiguous, unknown direction, ...)
    race_stopped  a runner's bad track made the whole race fail (exit != 0)
    race_other  intact runners' results changed because of another runner's bad track
    leak        a hostile XML input read the secret file (external entity)
    usage       exit 2 (click usage error) where none was expected
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import shutil
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

GOOD = ("ok", "warn", "error")
FAILURES = ("traceback", "hang", "memory", "crash", "dirty_error", "noisy", "bad_output", "contract", "race_stopped", "race_other", "leak", "usage")
DIRECTIONS = {"backward", "forward", "stopped", "unknown"}
STATUSES = {"finished", "dq", "dnf", "dns", "error"}
XSS_MARK = "<script>alert("
MAX_PLAUSIBLE_MPS = 100.0
"""360 km/h: no run, ride or drive in a watch export; anything faster is corrupt data that was used."""
IMPLAUSIBLE_JUMP_M = 10_000.0
SECRET_TOKEN = "RETROTRACK-FUZZ-SECRET-7f3a9c"


@dataclass
class Job:
    kind: str
    """"analyze" or "race"."""
    name: str
    data: bytes | None
    source: str = ""
    seed: int | None = None
    ops: list[str] = field(default_factory=list)
    path: Path | None = None
    """Use this existing file instead of writing `data` (the 1 GB input)."""
    json_stdout: bool = False
    split_m: str | None = None
    """--split-m for analyze (None: the default)."""
    race_jobs: int = 1
    timeout: float | None = None
    extra: dict[str, bytes] | None = None
    """kind "race": files to write over the intact race's (race.toml, entries.csv, times.csv)."""
    args: list[str] | None = None
    """kind "cli": the command line to run as is, in `cwd` (the caller prepares and keeps it)."""
    cwd: Path | None = None


@dataclass
class Outcome:
    category: str
    exit_code: int | None
    detail: str = ""
    stderr: str = ""
    maxrss_kb: int = 0
    seconds: float = 0.0
    job: Job | None = None
    signature: str = ""
    """What kind of failure: category + exception type + innermost project frame."""
    stdout: str = ""


def _tame_malloc() -> None:
    """Large buffers straight from mmap, so the parent hands freed mutants back to the OS.

    Forked children inherit the parent's address space: a parent bloated by a
    30 MB mutant it once built would eat into each child's RLIMIT_AS budget and
    inflate each child's reported peak RSS.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD, fixed (no dynamic growth)
        libc.malloc_trim(0)
    except Exception:  # noqa: BLE001 - not glibc: nothing to tame
        pass


def vm_kb() -> tuple[int, int]:
    """(VmSize, VmRSS) of this process in kB."""
    size = rss = 0
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                size = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return size, rss


def code_stamp() -> dict[str, float]:
    """Modification times of retrotrack's code and templates."""
    repo = Path(__file__).resolve().parent.parent
    roots = [repo / "retrotrack", repo / "templates"]
    return {str(p): p.stat().st_mtime for r in roots if r.is_dir() for p in r.rglob("*") if p.is_file() and p.suffix in (".py", ".html", ".js", ".css", ".j2")}


def reload_retrotrack() -> None:
    """Forget every retrotrack module and import them again (the code changed on disk)."""
    for name in [m for m in sys.modules if m == "retrotrack" or m.startswith("retrotrack.")]:
        del sys.modules[name]
    preload()


def preload() -> None:
    """Import everything the CLI imports lazily, so each forked child starts warm."""
    _tame_malloc()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    import importlib

    for mod in (
        "retrotrack.cli",
        "retrotrack.analysis",
        "retrotrack.readers",
        "retrotrack.readers.fit",
        "retrotrack.readers.gpx",
        "retrotrack.race",
        "retrotrack.render",
        "fitdecode",
        "gpxpy",
        "jinja2",
        "shapely",
    ):
        try:
            importlib.import_module(mod)
        except Exception:
            pass


# --- the child -----------------------------------------------------------------------------------


def _child(args: list[str], workdir: Path, mem_bytes: int, secret: str | None, timeout: float = 600.0) -> None:
    """Runs in the forked child; never returns."""
    code: object = None
    info: dict = {}
    try:
        os.setsid()
        # A backstop should the parent die: the child ends itself a little after its timeout.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(timeout) + 30)
        if mem_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024**3, 2 * 1024**3))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.chdir(workdir)
        devnull = os.open(os.devnull, os.O_RDONLY)
        out = os.open(workdir / "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(workdir / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        # Fresh streams on the new fds (under pytest, sys.stdout is its capture object).
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        opened: list[str] = []
        if secret:

            def hook(event, hargs, _secret=secret, _opened=opened):
                if event == "open" and hargs and _secret in str(hargs[0]):
                    _opened.append(str(hargs[0]))

            sys.addaudithook(hook)
        from retrotrack.cli import cli

        try:
            cli.main(args=args, prog_name="retrotrack", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            c = exc.code
            code = 0 if c is None else (c if isinstance(c, int) else 1)
        except BaseException as exc:  # noqa: BLE001 - that is what we are looking for
            code = "traceback"
            tb = traceback.format_exc()
            info["exc_type"] = type(exc).__name__
            info["exc"] = str(exc)[:500]
            info["where"], info["where_line"] = _innermost_project_frame(exc)
            info["traceback"] = tb[-6000:]
            try:
                sys.stderr.write(tb)
            except Exception:
                pass
        info["opened_secret"] = opened
    except BaseException as exc:  # noqa: BLE001
        code = "harness"
        info["exc"] = repr(exc)[:500]
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        info["code"] = code
        with open(workdir / "result.json", "w") as fh:
            json.dump(info, fh)
    finally:
        os._exit(0)


def _innermost_project_frame(exc: BaseException) -> tuple[str, str]:
    """(package/file.py:function, package/file.py:line) of the innermost retrotrack frame."""
    tb = exc.__traceback__
    best = ("", "")
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if "retrotrack" in f and "/fuzz/" not in f:
            rel = f"{Path(f).parent.name}/{Path(f).name}"
            best = (f"{rel}:{tb.tb_frame.f_code.co_name}", f"{rel}:{tb.tb_lineno}")
        tb = tb.tb_next
    return best


# --- the parent ----------------------------------------------------------------------------------


class Harness:
    def __init__(self, base: Path, *, timeout: float = 60.0, mem_mb: int = 2048, workers: int = 2, secret: Path | None = None, race_baseline: dict | None = None, keep_failures: Path | None = None):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.mem_bytes = mem_mb * 1024 * 1024
        self.workers = max(1, workers)
        self.secret = secret
        self.race_baseline = race_baseline
        self.keep_failures = keep_failures
        self._n = 0
        self.watch_code = False
        """Re-import retrotrack in the fork server when its files change (a long run during development)."""
        self.on_reload = None
        self.reloads = 0
        self._stamp: dict[str, float] | None = None
        self.parent_peak_kb = 0
        """The parent's largest RSS at a fork: each child's peak RSS starts from there."""

    # -- job setup
    def _prepare(self, job: Job) -> tuple[Path, list[str], Path | None]:
        self._n += 1
        if job.kind == "cli":
            wd = Path(job.cwd)
            for leftover in ("stdout.txt", "stderr.txt", "result.json"):
                (wd / leftover).unlink(missing_ok=True)
            return wd, list(job.args or []), None
        wd = self.base / f"job{self._n:06d}"
        if wd.exists():
            shutil.rmtree(wd)
        wd.mkdir(parents=True)
        safe = Path(job.name).name or "input"
        if job.kind == "analyze":
            inp = job.path if job.path is not None else wd / safe
            if job.path is None:
                inp.write_bytes(job.data or b"")
            args = ["analyze", str(inp)]
            if job.json_stdout:
                args += ["--json", "-"]
            else:
                args += ["--json", "out/result.json"]
            args += ["--html", "out/report.html"]
            if job.split_m:
                args += ["--split-m", job.split_m]
            return wd, args, inp
        from fuzz.seeds import write_race

        cfg = write_race(wd / "race", job.name, job.data)
        args = ["race", str(cfg), "--out", "site", "--jobs", str(job.race_jobs)]
        for rel, blob in (job.extra or {}).items():
            (wd / "race" / rel).write_bytes(blob)
        if job.extra and "times.csv" in job.extra:
            args += ["--times", str(wd / "race" / "times.csv")]
        return wd, args, None

    def run(self, jobs, on_outcome=None) -> list[Outcome]:
        """Run every job (an iterable), `workers` at a time.

        With `on_outcome`, each outcome goes to it as the job ends and nothing is
        kept (a long run must not hold every input); without, they are returned.
        """
        outcomes: list[Outcome] = []
        running: dict[int, tuple[Job, float, Path, list[str], Path | None]] = {}
        it = iter(jobs)
        exhausted = False
        sys.stdout.flush()
        sys.stderr.flush()
        while True:
            while not exhausted and len(running) < self.workers:
                try:
                    job = next(it)
                except StopIteration:
                    exhausted = True
                    break
                if self.watch_code and self._n % 20 == 0:
                    self._check_code()
                wd, args, inp = self._prepare(job)
                self.parent_peak_kb = max(self.parent_peak_kb, vm_kb()[1])
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(args, wd, self.mem_bytes, str(self.secret) if self.secret else None, job.timeout or self.timeout)
                running[pid] = (job, time.monotonic(), wd, args, inp)
            if not running:
                break
            reaped = False
            for pid in list(running):
                job, t0, wd, args, inp = running[pid]
                r_pid, status, ru = os.wait4(pid, os.WNOHANG)
                limit = job.timeout or self.timeout
                if r_pid == 0:
                    if time.monotonic() - t0 > limit:
                        _killgroup(pid)
                        r_pid, status, ru = os.wait4(pid, 0)
                        out = Outcome("hang", None, f"still running after {limit:.0f} s", maxrss_kb=ru.ru_maxrss, seconds=time.monotonic() - t0, job=job)
                        out.signature = f"hang:{job.kind}"
                        self._finish(out, wd, outcomes, on_outcome)
                        del running[pid]
                        reaped = True
                    continue
                _killgroup(pid)  # leftover grandchildren
                seconds = time.monotonic() - t0
                out = self._classify(job, wd, args, inp, status, ru.ru_maxrss, seconds)
                self._finish(out, wd, outcomes, on_outcome)
                del running[pid]
                reaped = True
            if not reaped:
                time.sleep(0.003)
        return outcomes

    def _check_code(self) -> None:
        stamp = code_stamp()
        if self._stamp is None:
            self._stamp = stamp
            return
        if stamp != self._stamp:
            time.sleep(2.0)  # let an editor finish writing
            self._stamp = code_stamp()
            reload_retrotrack()
            self.reloads += 1
            if self.on_reload is not None:
                self.on_reload()

    def _finish(self, out: Outcome, wd: Path, outcomes: list[Outcome], cb) -> None:
        """Hand the outcome over: to the callback (the long run keeps nothing), else to the returned list."""
        if out.job is not None and out.job.kind == "cli":
            if cb is not None:
                cb(out)
            else:
                outcomes.append(out)
            return
        if out.category not in GOOD and self.keep_failures is not None:
            dest = self.keep_failures / wd.name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(wd, dest, ignore=shutil.ignore_patterns("*.big"), symlinks=True)
        shutil.rmtree(wd, ignore_errors=True)
        if cb is not None:
            cb(out)
        else:
            outcomes.append(out)

    # -- classification
    def _classify(self, job: Job, wd: Path, args: list[str], inp: Path | None, status: int, maxrss: int, seconds: float) -> Outcome:
        def read(p: Path, limit: int = 200_000) -> str:
            try:
                with open(p, "rb") as fh:
                    return fh.read(limit).decode("utf-8", "replace")
            except OSError:
                return ""

        stderr = read(wd / "stderr.txt")
        stdout = read(wd / "stdout.txt", 64_000_000)
        res_path = wd / "result.json"
        mk = lambda cat, code, detail="", sig="": Outcome(cat, code, detail, stderr[-3000:], maxrss, seconds, job, sig or f"{cat}:{job.kind}", stdout)  # noqa: E731
        if os.WIFSIGNALED(status) or not res_path.exists():
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            return mk("crash", None, f"signal {sig}" if sig else "child died without reporting")
        try:
            info = json.loads(res_path.read_text())
        except ValueError:
            return mk("crash", None, "unreadable child report")
        code = info.get("code")
        if info.get("opened_secret"):
            return mk("leak", None, f"opened {info['opened_secret'][0]}", "leak")
        everything = stderr + read(wd / "stdout.txt") + "".join(read(p) for p in (wd / "out").glob("*")) if (wd / "out").is_dir() else stderr + read(wd / "stdout.txt")
        if job.kind == "race" and (wd / "site").is_dir():
            everything += "".join(read(p) for p in (wd / "site").rglob("*") if p.is_file())
        if SECRET_TOKEN in everything:
            return mk("leak", code if isinstance(code, int) else None, "the secret file's content is in the output", "leak")
        if code == "traceback":
            sig = f"traceback:{info.get('exc_type')}:{info.get('where')}"
            info["exc"] = f"{info.get('exc')} (at {info.get('where_line', '')})"  # noqa
            return mk("traceback", 1, f"{info.get('exc_type')}: {info.get('exc')}\n{info.get('traceback', '')}", sig)
        if code == "harness":
            return mk("crash", None, f"harness error in child: {info.get('exc')}", "harness")
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        if "Traceback (most recent call last)" in stderr:
            return mk("traceback", code, "a traceback was printed", "traceback:printed")
        if code == 2:
            return mk("usage", 2, stderr[-500:])
        if job.kind == "cli":
            if code == 1:
                ok = len(lines) == 1 and lines[0].startswith("retrotrack: error: ")
                return mk("error" if ok else "dirty_error", 1, lines[0] if lines else "")
            if code != 0:
                return mk("crash", code, f"exit status {code}")
            stray = [ln for ln in lines if not ln.startswith("retrotrack: warning: ")]
            if stray:
                return mk("noisy", 0, f"stray stderr: {stray[:3]}")
            return mk("warn" if lines else "ok", 0, lines[0] if lines else "")
        if self.mem_bytes and maxrss * 1024 > 0.8 * self.mem_bytes:
            # Handled or not, the input took most of the memory cap: a reader that is not bounded.
            return mk("memory", code if isinstance(code, int) else None, f"peak RSS {maxrss // 1024} MB of a {self.mem_bytes >> 20} MB cap; {lines[:1]}")
        if job.kind == "analyze":
            return self._classify_analyze(job, wd, inp, code, lines, mk)
        return self._classify_race(job, wd, code, lines, mk)

    def _classify_analyze(self, job, wd, inp, code, lines, mk) -> Outcome:
        name = Path(inp).name if inp else job.name
        problems = _check_outputs(wd, job.json_stdout)
        if code == 1:
            if len(lines) != 1 or not lines[0].startswith("retrotrack: error: "):
                return mk("dirty_error", 1, f"{len(lines)} stderr lines: {lines[:3]}")
            if name not in lines[0]:
                return mk("dirty_error", 1, f"the error line does not name {name}: {lines[0]}", "dirty_error:unnamed")
            if problems:
                return mk("bad_output", 1, "; ".join(problems))
            return mk("error", 1, lines[0])
        if code != 0:
            return mk("crash", code, f"exit status {code}")
        stray = [ln for ln in lines if not ln.startswith("retrotrack: warning: ")]
        if stray:
            return mk("noisy", 0, f"stray stderr: {stray[:3]}", "noisy:" + _shape(stray[0]))
        doc_path = wd / ("stdout.txt" if job.json_stdout else "out/result.json")
        for must in (doc_path, wd / "out/report.html"):
            if not must.is_file():
                problems.append(f"exit 0 but {must.name} was not written")
        if problems:
            return mk("bad_output", 0, "; ".join(problems))
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            return mk("bad_output", 0, f"the JSON on {'stdout' if job.json_stdout else 'result.json'} is not whole: {exc}")
        issues = check_analysis_doc(doc)
        if bool(doc.get("warnings")) != bool(lines):
            issues.append(f"JSON has {len(doc.get('warnings') or [])} warnings but stderr {len(lines)} warning lines")
        html = (wd / "out/report.html").read_text(encoding="utf-8", errors="replace")
        if XSS_MARK in html:
            issues.append("unescaped <script> from the input in the HTML report")
        if issues:
            return mk("contract", 0, "; ".join(issues[:5]), "contract:" + _shape(issues[0]))
        return mk("warn" if lines else "ok", 0, lines[0] if lines else "")

    def _classify_race(self, job, wd, code, lines, mk) -> Outcome:
        if job.extra and code == 1:
            # The organiser's own input was mutated: one clean error line is the right answer.
            if len(lines) == 1 and lines[0].startswith("retrotrack: error: "):
                problems = [p.name for p in (wd / "site").rglob("*.tmp")] if (wd / "site").is_dir() else []
                if problems:
                    return mk("bad_output", 1, f"temporary files left: {problems[:3]}")
                return mk("error", 1, lines[0])
            return mk("dirty_error", 1, f"{len(lines)} stderr lines: {lines[:3]}")
        if code != 0:
            return mk("race_stopped", code, " | ".join(lines[:3]), "race_stopped:" + _shape(lines[0] if lines else ""))
        stray = [ln for ln in lines if not ln.startswith("retrotrack: warning: ")]
        if stray:
            return mk("noisy", 0, f"stray stderr: {stray[:3]}", "noisy:" + _shape(stray[0]))
        site = wd / "site"
        problems = []
        for must in ("index.html", "results.json", "results.csv"):
            if not (site / must).is_file():
                problems.append(f"{must} missing")
        leftovers = [p.name for p in site.rglob("*.tmp")] if site.is_dir() else []
        if leftovers:
            problems.append(f"temporary files left: {leftovers[:3]}")
        if problems:
            return mk("bad_output", 0, "; ".join(problems))
        try:
            doc = json.loads((site / "results.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            return mk("bad_output", 0, f"results.json is not JSON: {exc}")
        for p in site.rglob("*.html"):
            err = _html_problem(p.read_text(encoding="utf-8", errors="replace"))
            if err:
                return mk("bad_output", 0, f"{p.name}: {err}")
            if XSS_MARK in p.read_text(encoding="utf-8", errors="replace"):
                return mk("contract", 0, f"{p.name}: unescaped <script>", "contract:xss")
        issues = check_race_doc(doc)
        if issues:
            return mk("contract", 0, "; ".join(issues[:5]), "contract:race:" + _shape(issues[0]))
        if self.race_baseline and not job.extra:
            by_bib = {r.get("bib"): r for r in doc.get("results", [])}
            for bib, want in self.race_baseline.items():
                got = by_bib.get(bib)
                if got is None:
                    return mk("race_other", 0, f"runner {bib} missing from results", "race_other:missing")
                for key in ("status", "time_s", "direction_check", "backward_fraction", "splits"):
                    if got.get(key) != want.get(key):
                        return mk("race_other", 0, f"runner {bib} {key}: {want.get(key)!r} -> {got.get(key)!r}", f"race_other:{key}")
        r103 = next((r for r in doc.get("results", []) if r.get("bib") == "103"), None)
        detail = f"103: {r103.get('status')} ({r103.get('reason')})" if r103 else "no 103"
        warned = bool(lines) or (r103 is not None and r103.get("status") == "error")
        return mk("warn" if warned else "ok", 0, detail)


def _killgroup(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _shape(text: str) -> str:
    """A failure line with numbers and quoted names removed, to group similar failures."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'_'", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return text[:80]


class _Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "link", "br", "img", "input", "hr", "col", "source", "area", "base", "wbr", "path", "circle", "rect", "line", "polyline", "stop", "use"):
            self.stack.append(tag)


def _html_problem(text: str) -> str | None:
    body = text.strip()
    if not body:
        return "empty"
    if not body.lower().startswith("<!doctype html"):
        return "does not start with <!doctype html>"
    if not body.lower().endswith("</html>"):
        return "does not end with </html> (half-written?)"
    try:
        _Strict().feed(text)
    except Exception as exc:  # noqa: BLE001
        return f"unparsable: {exc}"
    return None


def _check_outputs(wd: Path, json_stdout: bool) -> list[str]:
    """Outputs are either absent or whole; no temporaries left behind."""
    problems = []
    out = wd / "out"
    if out.is_dir():
        left = [p.name for p in out.iterdir() if p.name not in ("result.json", "report.html")]
        if left:
            problems.append(f"stray files in the output folder: {left[:3]}")
        j = out / "result.json"
        if j.exists():
            try:
                json.loads(j.read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"result.json is not whole JSON: {exc}")
        h = out / "report.html"
        if h.exists():
            err = _html_problem(h.read_text(encoding="utf-8", errors="replace"))
            if err:
                problems.append(f"report.html: {err}")
    return problems


def check_analysis_doc(doc: dict) -> list[str]:
    """INTERFACE.md's invariants for `analyze --json`. Empty when they all hold."""
    issues = []
    for key in ("file", "format", "sport", "start_time", "warnings", "summary", "segments", "splits", "laps"):
        if key not in doc:
            issues.append(f"missing key {key}")
    if issues:
        return issues
    s = doc["summary"]
    for key in ("distance_m", "elapsed_s", "moving_s"):
        v = s.get(key)
        if not isinstance(v, (int, float)) or v < 0:
            issues.append(f"summary.{key} = {v!r}")
    for part in ("backward", "forward", "unknown"):
        p = s.get(part) or {}
        for key in ("distance_m", "time_s"):
            v = p.get(key)
            if not isinstance(v, (int, float)) or v < 0:
                issues.append(f"summary.{part}.{key} = {v!r}")
    segs = doc["segments"]
    prev_end = 0.0
    for i, g in enumerate(segs):
        if g.get("direction") not in DIRECTIONS:
            issues.append(f"segment {i} direction {g.get('direction')!r}")
        a, b = g.get("start_s"), g.get("end_s")
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            issues.append(f"segment {i} start/end {a!r}/{b!r}")
            break
        if abs(a - prev_end) > 1e-6:
            issues.append(f"segment {i} starts at {a} but the previous ended at {prev_end}")
            break
        if b < a:
            issues.append(f"segment {i} ends ({b}) before it starts ({a})")
            break
        d = g.get("distance_m")
        if d is not None and (not isinstance(d, (int, float)) or d < 0):
            issues.append(f"segment {i} distance_m {d!r}")
        prev_end = b
    # INTERFACE.md: records that decode to nonsense (an impossible speed) are dropped, not used.
    # (Only over 10 km: a short test file with 500 m between fixes, like georust__with_accuracy.gpx, is read as it is.)
    for i, g in enumerate(segs):
        v = g.get("avg_speed_mps")
        d = g.get("distance_m")
        if isinstance(v, (int, float)) and v > MAX_PLAUSIBLE_MPS and isinstance(d, (int, float)) and d > IMPLAUSIBLE_JUMP_M:
            issues.append(f"impossible speed used: segment {i} averages {v:.0f} m/s")
            break
    moving = s.get("moving_s")
    dist = s.get("distance_m")
    if isinstance(moving, (int, float)) and isinstance(dist, (int, float)) and moving > 0 and dist / moving > MAX_PLAUSIBLE_MPS and dist > IMPLAUSIBLE_JUMP_M:
        issues.append(f"impossible speed used: {dist:.0f} m in {moving:.0f} s of moving time")
    el = s.get("elapsed_s")
    if segs and isinstance(el, (int, float)) and abs(prev_end - el) > 0.11 and el > 0:
        issues.append(f"segments end at {prev_end} but elapsed_s is {el}")
    prev = 0.0
    for sp in doc["splits"]:
        e = sp.get("elapsed_s")
        if not isinstance(e, (int, float)) or e + 1e-6 < prev:
            issues.append(f"split {sp.get('n')} elapsed_s {e!r} before the previous {prev}")
            break
        prev = e
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(doc["start_time"])):
        issues.append(f"start_time {doc['start_time']!r}")
    return issues


def check_race_doc(doc: dict) -> list[str]:
    issues = []
    results = doc.get("results")
    if not isinstance(results, list):
        return ["results is not a list"]
    for r in results:
        st = r.get("status")
        if st not in STATUSES:
            issues.append(f"bib {r.get('bib')} status {st!r}")
        if st != "finished" and not r.get("reason"):
            issues.append(f"bib {r.get('bib')} status {st} without a reason")
        if st == "finished" and not isinstance(r.get("time_s"), (int, float)):
            issues.append(f"bib {r.get('bib')} finished without a time")
        if st != "finished" and r.get("time_s") is not None:
            issues.append(f"bib {r.get('bib')} is {st} but has time_s")
        if r.get("direction_check") not in ("pass", "fail", "unverified"):
            issues.append(f"bib {r.get('bib')} direction_check {r.get('direction_check')!r}")
    return issues
