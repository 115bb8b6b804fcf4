"""Sharper crossings from the watch's own distance, and the start depth from the field.

GPS position error is a few metres that wanders slowly (tens of seconds to
minutes), so near a line it is close to a constant offset: averaging the fixes
near the line cannot remove it, and 3 m is a second at backward racing pace. A
watch's distance channel (Doppler speed or a foot pod) does not share that
offset: it tells how far the runner went between two moments to a few
centimetres, though not where they were.

So each pass of a line becomes a *mark*: the watch distance at which the runner
was level with the line, read from the fixes around it (each fix's watch
distance minus how far past the line the GPS puts it, over the stretch where
the course runs straight through the line: the longer, the more of the wander
averages out). A mark is off by the GPS error along the course at that moment,
whatever the pace. Then every mark is explained at once by a small linear
model (`fit_marks`):

- each line has one offset (its mark on the first pass) and all lines share one
  lap length (what a lap measures on this watch, for this runner's line), give
  or take a random walk (the runner's line differs a little from lap to lap);
- the runner's start, where they stood still behind the start line before the
  gun, is the watch distance at which they set off plus their depth `d` behind
  the line, and the GPS position while standing is a mark of that line;
- in lanes (gun timing, one pass), the finish mark is about the start mark plus
  the race distance: the runner's line is the measured one give or take a few
  tenths of a metre a bend.

The GPS errors of the marks are correlated as a slowly wandering offset is
(exponentially in time, projected on each line's direction), so the fit is
generalised least squares. It is linear in the depth, whose likelihood it
returns: one track pins the depth down only to the GPS error, the field does
better (`field_depth_priors`: a front row just behind the line, rows behind it
setting off later).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrotrack.race.gates import GateGeometry

NEAR_M = 15.0
"""Fixes this close to the line (along the course) give a pass its mark."""
NEAR_S = 10.0
"""...and this close in time to the crossing."""
STRAIGHT_M = 150.0
STRAIGHT_S = 45.0
"""Further out, fixes this far (and this long) either side of the line count where the course runs straight."""
STRAIGHT_DEG = 20.0
"""Travel within this angle of the gate's bearing (over a few fixes either side: GPS jitter bends short
chords) is along it."""
ALIGN_FIXES = 3
MAX_ALIGN_FIXES = 12
ALIGN_NOISE_DEG = 6.0
"""The direction of travel is judged over ALIGN_FIXES either side, up to MAX_ALIGN_FIXES where jitter
would otherwise tilt it by more than ALIGN_NOISE_DEG."""
ALIGN_VOTE = 2
"""A fix counts as travelling along the gate where most of the 2 * ALIGN_VOTE + 1 fixes around it do."""
ACROSS_DRIFT_M = 8.0
"""...and where the runner stays this close to where they crossed along the line (not a parallel street)."""
ACROSS_MEDIAN_FIXES = 3
"""Where the runner is across the line is judged on the median of this many fixes either side: one fix
that jitters by a few metres neither sets the reference nor ends the stretch."""
GPS_SD_M = 3.5
"""Typical GPS position error (one axis) of a watch: 2-5 m."""
GPS_CORR_S = 60.0
"""Typical correlation time of that error (20-120 s)."""
ERROR_CORR_GRID_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 240.0)
"""Correlation times of the GPS error tried when learning it from a runner's own fixes."""
LINGER_MAX_S = 120.0
"""The slowest wander of a moving watch's GPS error (see lingering_share)."""
MIN_WINDOW_FIXES = 6
"""A pass with fewer fixes says too little about how they scatter."""
SLOW_WANDER_S = 15.0
"""GPS error correlated over this long or longer is a slow wander (see error_model)."""
JITTER_EVIDENCE = 5.0
"""Log-likelihood by which a quick error must beat every slow wander to be believed."""
SD_RANGE_M = (0.5, 8.0)
"""A learnt GPS error size is kept within this range."""
MARK_JITTER_M = 0.7
"""The part of a mark's error that does not persist from one second to the next."""
PATH_WALK_M2_PER_M = 0.02
"""How fast the watch distance and the course drift apart, as a random walk (variance per metre run).
A watch integrates its distance from a Doppler speed whose error (about 0.1 m/s) persists for a few
seconds, so it drifts by 0.06 m^2 a second: about 0.02 per metre at backward racing pace, 3 m a
lap; the runner's own line wanders by a metre or two more on a course with corners."""
PATH_WALK_GRID = (0.005, PATH_WALK_M2_PER_M, 0.08, 0.3)
"""Random walks tried where the passes say more: a foot pod or a straight road drifts less, a watch
that smooths its positions into its distance more."""
WALK_EVIDENCE = 4.0
"""Log-likelihood by which another walk must beat PATH_WALK_M2_PER_M to be believed."""
DEPTH_GRID_M = np.concatenate((np.arange(0.0, 3.0, 0.1), np.arange(3.0, 45.01, 0.5)))
"""Depths behind the start line the start is integrated over."""


def independent_distance(t_s: np.ndarray, distance_m: np.ndarray, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray | None:
    """The watch's cumulative distance, if it is usable and not just the positions' path length."""
    d = np.asarray(distance_m, dtype=float)
    if d.size < 10 or not np.isfinite(d).all():
        return None
    if np.any(np.diff(d) < -0.01) or d[-1] - d[0] < 50.0:
        return None
    ok = np.isfinite(x_m) & np.isfinite(y_m)
    if ok.sum() < 10:
        return None
    xi, yi = x_m[ok], y_m[ok]
    path = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(xi), np.diff(yi)))))
    dd = d[ok] - d[ok][0]
    # Distance computed from these very positions matches their path length step by step.
    steps_pos = np.diff(path)
    steps_dev = np.diff(dd)
    if np.allclose(steps_pos, steps_dev, atol=0.05, rtol=0.01):
        return None
    return d


SPARSE_GAP_S = 1.5
"""Records further apart than this (smart recording) are joined by the watch's speed, not a straight line."""
HERMITE_STEP_S = 0.25


def _between_records(t: np.ndarray, d: np.ndarray, speed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times and distances with the gaps wider than SPARSE_GAP_S filled every HERMITE_STEP_S by the cubic
    that meets each record's distance at its speed (a runner speeding up covers less of a gap early on
    than a straight line says). Speeds are held to what keeps the distance rising (Fritsch-Carlson)."""
    gaps = np.flatnonzero(np.diff(t) > SPARSE_GAP_S)
    if gaps.size == 0:
        return t, d
    v = np.where(np.isfinite(speed), np.maximum(speed, 0.0), np.nan)
    ts, ds = [t], [d]
    for i in gaps.tolist():
        h = t[i + 1] - t[i]
        step = d[i + 1] - d[i]
        slope = step / h
        v0, v1 = v[i], v[i + 1]
        if not (np.isfinite(v0) and np.isfinite(v1)) or step <= 0.0:
            continue
        v0, v1 = min(v0, 3.0 * slope), min(v1, 3.0 * slope)
        u = np.arange(HERMITE_STEP_S, h, HERMITE_STEP_S) / h
        h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
        ts.append(t[i] + u * h)
        ds.append(h00 * d[i] + h10 * h * v0 + h01 * d[i + 1] + h11 * h * v1)
    tt = np.concatenate(ts)
    order = np.argsort(tt, kind="stable")
    return tt[order], np.maximum.accumulate(np.concatenate(ds)[order])


class ProgressClock:
    """Watch distance against time, both ways (interpolated on the records where it advances; across
    the gaps of smart recording, by the watch's speed where it is given)."""

    def __init__(self, t_s: np.ndarray, distance_m: np.ndarray, speed_mps: np.ndarray | None = None):
        d = np.maximum.accumulate(np.asarray(distance_m, dtype=float))
        self.t_s = np.asarray(t_s, dtype=float)
        self.d_m = d
        self.speed_mps = None if speed_mps is None else np.asarray(speed_mps, dtype=float)
        tf, df = (self.t_s, d) if speed_mps is None else _between_records(self.t_s, d, self.speed_mps)
        self._tf, self._df = tf, df
        keep = np.concatenate(([True], np.diff(df) > 1e-6))
        self._tk = tf[keep]
        self._dk = df[keep]

    def mark_at(self, when_s) -> np.ndarray | float:
        return np.interp(when_s, self._tf, self._df)

    def time_at(self, mark_m) -> np.ndarray | float:
        """When the watch distance reached `mark_m` (the first moment, where it paused); beyond either end
        of the records, when it would have at the pace of the nearest few seconds (a watch started or
        stopped at a line)."""
        mark = np.asarray(mark_m, dtype=float)
        tk, dk = self._tk, self._dk
        when = np.interp(mark, dk, tk)
        if tk.size >= 2:
            i = min(int(np.searchsorted(tk, tk[-1] - 5.0)), tk.size - 2)
            pace = (dk[-1] - dk[i]) / (tk[-1] - tk[i])
            if pace > 0.5:
                when = np.where(mark > dk[-1], tk[-1] + (mark - dk[-1]) / pace, when)
            j = min(max(int(np.searchsorted(tk, tk[0] + 5.0)), 1), tk.size - 1)
            pace = (dk[j] - dk[0]) / (tk[j] - tk[0])
            if pace > 0.5:
                when = np.where(mark < dk[0], tk[0] + (mark - dk[0]) / pace, when)
        return when if np.ndim(when) else float(when)


@dataclass(frozen=True)
class PassMark:
    """One pass of a line read off the fixes around it."""

    mark_m: float
    """The watch distance level with the line: the mean of the fixes' own marks."""
    t_s: float
    """The mean time of those fixes."""
    fix_t_s: np.ndarray
    fix_marks_m: np.ndarray
    """Each averaged fix's time and own mark (its watch distance minus how far past the line it is)."""


def pass_mark(geom: GateGeometry, t_s: np.ndarray, x_m: np.ndarray, y_m: np.ndarray, clock: ProgressClock,
              index: int, t_cross: float, aligned: np.ndarray | None = None, across: np.ndarray | None = None
              ) -> PassMark | None:
    """The mark of one pass: the watch distance level with the line, from the fixes around it.

    Each fix gives its watch distance minus how far past the line the GPS puts
    it. Near the line that is all fixes; further out only while the runner
    keeps travelling along the gate's bearing (on a bend the distance past the
    line is no longer progress), keeps moving (standing before a start or
    after a finish says nothing about the pass), and stays within STRAIGHT_S
    and STRAIGHT_M. The GPS error wanders with a correlation time of tens of
    seconds, so a longer stretch averages more of it away. `aligned` and
    `across` are `aligned_with` and `smoothed_across` of the line, where the
    caller has them.
    """
    n = t_s.size
    a_m = geom.along(x_m, y_m)
    ok = np.isfinite(a_m)
    c_m = smoothed_across(geom, x_m, y_m) if across is None else across
    if aligned is None:
        aligned = aligned_with(geom, x_m, y_m)
    c0 = c_m[index] if ok[index] else 0.0

    def usable(i: int, j: int) -> bool:
        """Fix i, next to fix j already in the window."""
        if not ok[i] or abs(clock.d_m[max(i, j)] - clock.d_m[min(i, j)]) <= 0.2:
            return False
        if abs(a_m[i]) <= NEAR_M and abs(t_s[i] - t_cross) <= NEAR_S:
            return True
        return bool(aligned[i] and abs(a_m[i]) <= STRAIGHT_M and abs(t_s[i] - t_cross) <= STRAIGHT_S
                    and abs(c_m[i] - c0) <= ACROSS_DRIFT_M)

    lo = index
    while lo - 1 >= 0 and usable(lo - 1, lo):
        lo -= 1
    hi = min(index + 1, n - 1)
    while hi + 1 < n and usable(hi + 1, hi):
        hi += 1
    sel = np.arange(lo, hi + 1)
    sel = sel[ok[sel]]
    if sel.size < 2:
        return None
    marks = clock.d_m[sel] - a_m[sel]
    return PassMark(float(np.mean(marks)), float(np.mean(t_s[sel])), t_s[sel], marks)


def running_median(values: np.ndarray, ok: np.ndarray, half: int) -> np.ndarray:
    """Median of the `ok` values among `half` either side of each (NaN where none)."""
    v = np.where(ok, values, np.nan)
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(np.pad(v, half, constant_values=np.nan),
                                                                2 * half + 1), axis=1)  # NaNs last
    k = np.isfinite(windows).sum(axis=1)
    lo = np.take_along_axis(windows, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(windows, (k // 2)[:, None], axis=1)[:, 0]
    return np.where(k > 0, 0.5 * (lo + hi), np.nan)


def smoothed_across(geom: GateGeometry, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Per fix, how far along the line from its centre the runner is: the median over
    ACROSS_MEDIAN_FIXES either side, so one fix that jitters by a few metres does not move it."""
    c = geom.across(x_m, y_m)
    return running_median(c, np.isfinite(c), ACROSS_MEDIAN_FIXES)


def aligned_with(geom: GateGeometry, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Per fix: travelling along the gate's bearing (the least-squares slope of its position over a few
    fixes either side), with stray fixes (GPS jitter) forgiven where most of their neighbours are.

    The window is ALIGN_FIXES either side, longer where the fixes jitter from
    one to the next (`align_half_window`): a short chord through noisy fixes
    points anywhere."""
    n = x_m.size
    a = geom.along(x_m, y_m)
    c = geom.across(x_m, y_m)
    finite = np.isfinite(a) & np.isfinite(c)
    if finite.sum() < 2:
        return np.zeros(n, dtype=bool)
    idx = np.arange(n)
    af = np.interp(idx, idx[finite], a[finite])
    cf = np.interp(idx, idx[finite], c[finite])
    k = align_half_window(af, cf)
    offs = np.arange(-k, k + 1)
    near = np.clip(idx[:, None] + offs[None, :], 0, n - 1)
    da = af[near] @ offs
    dc = cf[near] @ offs
    ok = finite & (da > 0) & (np.abs(dc) <= np.tan(np.radians(STRAIGHT_DEG)) * da)
    # Most of the fixes either side agree: one or two that GPS noise knocked out of line still count.
    votes = np.convolve(ok.astype(np.int16), np.ones(2 * ALIGN_VOTE + 1, dtype=np.int16), mode="same")
    return finite & (ok | (votes > ALIGN_VOTE))


def align_half_window(a_m: np.ndarray, c_m: np.ndarray) -> int:
    """Fixes either side over which a direction of travel is judged: enough that the fix-to-fix jitter
    (from second differences, which smooth motion and slowly wandering GPS error barely have) tilts it by
    no more than ALIGN_NOISE_DEG at the runner's usual step between fixes."""
    if a_m.size < 12:
        return ALIGN_FIXES
    d2 = np.concatenate((np.diff(a_m, 2), np.diff(c_m, 2)))
    jitter_m = 1.4826 * float(np.median(np.abs(d2))) / np.sqrt(6.0)
    step_m = max(float(np.percentile(np.hypot(a_m[10:] - a_m[:-10], c_m[10:] - c_m[:-10]), 75)) / 10.0, 1.0)
    for k in range(ALIGN_FIXES, MAX_ALIGN_FIXES):
        m = 2 * k + 1
        if jitter_m * np.sqrt(12.0 / (m * (m * m - 1))) <= np.tan(np.radians(ALIGN_NOISE_DEG)) * step_m:
            return k
    return MAX_ALIGN_FIXES


@dataclass
class MarkObs:
    """One observed mark: a pass of a line (or the GPS position while standing at the start line)."""

    line: int
    """Which line (gates at the same place and bearing share one)."""
    lap: int
    """Passes of this line since the start (the start itself is lap 0 of the start line)."""
    t_s: float
    """When, for how its GPS error correlates with the others'."""
    mark_m: float
    ux: float
    uy: float
    """The line's course direction: the GPS error that matters is along it."""
    run_m: float = 0.0
    """Metres run since the start: how far watch and course may have drifted apart."""
    key: object = None
    """The caller's handle for this pass."""
    fix_t_s: np.ndarray | None = None
    """When the fixes averaged into the mark were taken (None: one fix at `t_s`)."""
    fix_marks_m: np.ndarray | None = None
    """Each of those fixes' own mark: how they scatter tells how the GPS error wanders."""


@dataclass
class StartAnchor:
    """The runner stood still before setting off at watch distance `mark_m`, some depth behind the start."""

    mark_m: float
    line: int | None
    """The start line's index among the lines, or None where the config has no line there (lanes, gun timing)."""


@dataclass
class DistanceRule:
    """The finish (`line`, `lap`) is about the race distance past the start mark."""

    line: int
    lap: int
    distance_m: float
    sd_m: float


@dataclass
class MarkFit:
    """Fitted marks as straight lines in the start depth d: mark = base + slope * d."""

    marks: dict = field(default_factory=dict)
    """caller key -> (base, slope)."""
    rule_mark: tuple[float, float] | None = None
    """The finish mark the distance rule speaks of, as (base, slope)."""
    depth_loglik: np.ndarray | None = None
    """Log-likelihood of each depth in DEPTH_GRID_M from the marks (None without a start anchor)."""


def _covariance(obs: list[MarkObs], sd_m: float, corr_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The marks' covariance apart from the watch's drift, and the drift's shape (times the walk rate)."""
    t = np.array([o.t_s for o in obs])
    u = np.array([[o.ux, o.uy] for o in obs])
    c = np.array([o.run_m for o in obs])
    cos = u @ u.T
    cov = sd_m**2 * np.exp(-np.abs(t[:, None] - t[None, :]) / corr_s) * cos
    # A mark averages its fixes' errors: only as much of the error as they share is left.
    for i, o in enumerate(obs):
        if o.fix_t_s is not None and o.fix_t_s.size > 1:
            ft = o.fix_t_s
            cov[i, i] = sd_m**2 * float(np.mean(np.exp(-np.abs(ft[:, None] - ft[None, :]) / corr_s)))
    cov[np.diag_indices_from(cov)] += MARK_JITTER_M**2
    return cov, np.minimum(c[:, None], c[None, :])


def _walk_rate(A: np.ndarray, bvec: np.ndarray, y: np.ndarray, cov: np.ndarray, walk: np.ndarray) -> float:
    """How fast this watch's distance drifts from the course (see PATH_WALK_GRID): restricted maximum
    likelihood of the marks, the line offsets, lap length and depth unknown."""
    X = np.column_stack((A, bvec)) if np.any(bvec) else A
    X = X[:, np.linalg.norm(X, axis=0) > 0]
    if y.size - X.shape[1] < 3:
        return PATH_WALK_M2_PER_M
    scores = []
    for rate in PATH_WALK_GRID:
        V = cov + rate * walk
        try:
            L = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            return PATH_WALK_M2_PER_M
        wx = np.linalg.solve(L, X)
        wy = np.linalg.solve(L, y)
        info = wx.T @ wx
        sign, logdet_info = np.linalg.slogdet(info)
        if sign <= 0:
            return PATH_WALK_M2_PER_M
        coef = np.linalg.solve(info, wx.T @ wy)
        r = wy - wx @ coef
        scores.append(-0.5 * (2.0 * np.sum(np.log(np.diag(L))) + logdet_info + r @ r))
    best = int(np.argmax(scores))
    usual = PATH_WALK_GRID.index(PATH_WALK_M2_PER_M)
    return PATH_WALK_GRID[best] if scores[best] - scores[usual] >= WALK_EVIDENCE else PATH_WALK_M2_PER_M


def gps_error_model(obs: list[MarkObs]) -> tuple[float, float] | None:
    """(sd_m, corr_s) of this runner's GPS error along the course, from how each pass's fixes scatter
    about their own mark (see `error_model`)."""
    return error_model([(o.fix_t_s, o.fix_marks_m) for o in obs
                        if o.fix_t_s is not None and o.fix_marks_m is not None])


def _error_loglik(windows: list[tuple[np.ndarray, np.ndarray]], trend: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The restricted log-likelihood of each of ERROR_CORR_GRID_S, and the error variance it implies, from
    windows of (time, value) whose true values are a constant (`trend` 0) or a steady pace (`trend` 1),
    the constant or the pace of each window unknown. None when the windows hold too few fixes to tell."""
    windows = [(np.asarray(ft, dtype=float), np.asarray(y, dtype=float)) for ft, y in windows
               if len(ft) >= MIN_WINDOW_FIXES]
    if sum(ft.size - 1 - trend for ft, _ in windows) < 20:
        return None
    corr = np.asarray(ERROR_CORR_GRID_S)[:, None]
    q_sum = np.zeros(corr.size)
    logdet = np.zeros(corr.size)
    dof = 0
    for ft, y in windows:
        # The Gauss-Markov process whitened by its innovations, every correlation time at once.
        phi = np.exp(-np.diff(ft)[None, :] / corr)
        scale = np.sqrt(1.0 - phi**2)
        # Columns: the data, then the constant (and the pace); each whitened for every correlation time.
        cols = np.column_stack((y, np.vander(ft - ft.mean(), trend + 1)))
        rest = (cols[None, 1:] - phi[..., None] * cols[None, :-1]) / scale[..., None]
        white = np.concatenate((np.broadcast_to(cols[:1], (corr.size, 1, cols.shape[1])), rest), axis=1)
        wy, wx = white[..., 0], white[..., 1:]
        info = np.einsum("tnp,tnq->tpq", wx, wx)
        coef = np.linalg.solve(info, np.einsum("tnp,tn->tp", wx, wy)[..., None])[..., 0]
        r = wy - np.einsum("tnp,tp->tn", wx, coef)
        q_sum += np.sum(r**2, axis=1)
        logdet += 2.0 * np.sum(np.log(scale), axis=1) + np.linalg.slogdet(info)[1]
        dof += ft.size - 1 - trend
    var = np.maximum(q_sum / dof, 1e-6)  # fixes that never move (a synthetic track) have no log of zero
    return -0.5 * (dof * np.log(var) + logdet), var


def error_model(windows: list[tuple[np.ndarray, np.ndarray]], trend: int = 0) -> tuple[float, float] | None:
    """(sd_m, corr_s) of a track's GPS error, learnt from windows of (time, value) whose true values are
    a constant (`trend` 0) or a steady pace (`trend` 1): restricted maximum likelihood over
    ERROR_CORR_GRID_S, the constant or the pace of each window unknown.

    Watches differ: some wander slowly (tens of seconds), some jitter from one fix to the next, and
    averaging fixes removes the jitter but not the wander. A window of a minute or less shows only the
    rate of a slow wander, not its size: unless an error correlated over less than SLOW_WANDER_S
    explains them clearly better (JITTER_EVIDENCE) than any slower one, the answer is the typical
    GPS_SD_M and GPS_CORR_S. None when the windows hold too few fixes to tell.
    """
    fitted = _error_loglik(windows, trend)
    if fitted is None:
        return None
    ll, var = fitted
    slow = np.asarray(ERROR_CORR_GRID_S) >= SLOW_WANDER_S
    best = int(np.argmax(ll))
    sd = float(np.sqrt(var[best]))
    if slow[best] or (slow.any() and ll[best] - ll[slow].max() < JITTER_EVIDENCE):
        return GPS_SD_M, GPS_CORR_S
    return float(np.clip(sd, *SD_RANGE_M)), float(ERROR_CORR_GRID_S[best])


def lingering_share(windows: list[tuple[np.ndarray, np.ndarray]], lags_s: np.ndarray) -> np.ndarray | None:
    """How much of a track's GPS error is still there `lags_s` later, learnt from windows of fixes whose true
    values are a constant (the runner standing still): exp(-lag / corr) averaged over ERROR_CORR_GRID_S,
    each correlation time weighted by how well it explains the windows.

    Half a minute of fixes tells an error that jitters from fix to fix from one that wanders, but hardly
    a wander of ten seconds from one of a minute, so the answer is a shrunk one rather than a guess
    (error_model's typical GPS_CORR_S would be right for most watches and far too much for the rest).
    Nor can it tell a minute from several: a moving watch's error is taken to wander over no more than
    LINGER_MAX_S. None when the windows hold too few fixes to tell."""
    fitted = _error_loglik(windows, 0)
    if fitted is None:
        return None
    ll = fitted[0]
    corr = np.asarray(ERROR_CORR_GRID_S)
    w = np.where(corr <= LINGER_MAX_S, np.exp(ll - ll.max()), 0.0)
    lags = np.maximum(np.asarray(lags_s, dtype=float), 0.0)
    return np.exp(-lags[:, None] / corr[None, :]) @ w / w.sum()


def fit_marks(obs: list[MarkObs], anchor: StartAnchor | None = None, rule: DistanceRule | None = None,
              *, sd_m: float = GPS_SD_M, corr_s: float = GPS_CORR_S) -> MarkFit | None:
    """Explain every observed mark by line offsets, one lap length and (with an anchor) the start depth.

    Generalised least squares for the offsets and the lap length at each depth;
    the depth itself is left to the caller's prior (its likelihood is returned).
    Returns None when there is nothing to fit. With no anchor and one pass per
    line the fitted marks are the observed ones.
    """
    if not obs and anchor is None:
        return None
    start_line = anchor.line if anchor is not None else None
    lines = sorted({o.line for o in obs} | ({rule.line} if rule is not None else set()))
    free = [ln for ln in lines if ln != start_line]
    col = {ln: i for i, ln in enumerate(free)}
    laps_by_line: dict[int, set[int]] = {}
    for o in obs:
        laps_by_line.setdefault(o.line, set()).add(o.lap)
    if start_line is not None:
        laps_by_line.setdefault(start_line, set()).add(0)
    with_lap = any(len(v) >= 2 for v in laps_by_line.values())
    n_par = len(free) + (1 if with_lap else 0)

    def design(line: int, lap: int) -> tuple[np.ndarray, float, float]:
        """mark of (line, lap) = row @ theta + b * d + c."""
        row = np.zeros(n_par)
        b = c = 0.0
        if line == start_line:
            b, c = 1.0, anchor.mark_m
        else:
            row[col[line]] = 1.0
        if with_lap:
            row[-1] = lap
        return row, b, c

    rows, bs, ys = [], [], []
    for o in obs:
        r, b, c = design(o.line, o.lap)
        rows.append(r)
        bs.append(b)
        ys.append(o.mark_m - c)
    cov, walk = _covariance(obs, sd_m, corr_s) if obs else (np.zeros((0, 0)), np.zeros((0, 0)))
    use_rule = rule is not None and anchor is not None and (with_lap or rule.lap == 0)
    if use_rule:
        r, b, c = design(rule.line, rule.lap)
        # finish mark - (anchor + d) = D   ->   r @ theta + (b - 1) d = D + anchor - c
        rows.append(r)
        bs.append(b - 1.0)
        ys.append(rule.distance_m + anchor.mark_m - c)
        cov = np.pad(cov, (0, 1))
        cov[-1, -1] = rule.sd_m**2
        walk = np.pad(walk, (0, 1))
    m = len(ys)
    A = np.array(rows, dtype=float).reshape(m, n_par)
    bvec = np.array(bs, dtype=float)
    y = np.array(ys, dtype=float)
    rate = _walk_rate(A, bvec, y, cov, walk) if m else 0.0
    if m:
        cov = cov + rate * walk
        try:
            W = np.linalg.inv(cov)
        except np.linalg.LinAlgError:
            return None
    else:
        W = np.zeros((0, 0))
    if n_par and m:
        AtW = A.T @ W
        G = np.linalg.pinv(AtW @ A)
        M = W - AtW.T @ G @ AtW
        th0 = G @ (AtW @ y)
        th1 = -(G @ (AtW @ bvec))
    else:
        M = W
        th0 = th1 = np.zeros(n_par)

    fit = MarkFit()
    if anchor is not None:
        info = float(bvec @ M @ bvec) if m else 0.0
        if info > 1e-9:
            d_hat = float(bvec @ M @ y) / info
            fit.depth_loglik = -0.5 * info * (DEPTH_GRID_M - d_hat) ** 2
        else:
            fit.depth_loglik = np.zeros(DEPTH_GRID_M.size)

    def line_mark(line: int, lap: int) -> tuple[float, float]:
        r, b, c = design(line, lap)
        return float(r @ th0 + c), float(r @ th1 + b)

    # Each pass's mark is the line's place on the watch plus where the watch's drift had got to by then:
    # that drift is predicted from every mark (kriging), residuals weighted as the fit weighed them.
    drift0 = drift1 = np.zeros(len(obs))
    if m:
        k = rate * walk[: len(obs)]
        drift0 = k @ (W @ (y - A @ th0))
        drift1 = -(k @ (W @ (A @ th1 + bvec)))
    for i, o in enumerate(obs):
        base, slope = line_mark(o.line, o.lap)
        fit.marks[o.key] = (base + float(drift0[i]), slope + float(drift1[i]))
    if use_rule:
        fit.rule_mark = line_mark(rule.line, rule.lap)
    return fit


def depth_prior(depth_max_m: float) -> np.ndarray:
    """Prior density (per metre) at each depth of DEPTH_GRID_M: any depth from 0 to `depth_max_m` alike.

    The rows of a field fill it evenly; the edge tapers over a few tenths of a
    metre. Lanes or a single row have a small `depth_max_m`, a deep mass start
    a large one.
    """
    g = DEPTH_GRID_M
    dens = 1.0 / (1.0 + np.exp(np.clip((g - depth_max_m) / 0.3, -50, 50)))
    return dens / float(dens @ DEPTH_CELL_M)


DEPTH_CELL_M = np.gradient(DEPTH_GRID_M)
"""The width of depth each grid point stands for (densities times this are probabilities)."""


FIELD_FRONT_M = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 9.0)
"""Candidate depths of a runner who sets off with the gun."""
DEPTH_PER_RUNNER_M = 0.35
"""A packed field is no deeper than this per runner (two abreast at arm's length: most fields are far
wider, so this only bounds small fields)."""
MIN_DEEPEST_M = 2.0
FRONT_SCALE_M = 1.5
"""Runners line up just behind the line: beforehand, a front row d metres behind it (or rows spread
over d metres) is exp(-d / FRONT_SCALE_M) as likely as one right on it. A deep field shows itself."""
FIELD_WAVE_MPS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)
"""Candidate depth per second of delay in setting off (the start moves back through a packed field
as a wave; none in lanes or a single row)."""
FIELD_SPREAD_M = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Candidate spreads of depth among runners who set off at the same moment."""
MIN_FIELD = 3
"""Runners lined up at the line needed before the field's depth is learnt from them."""
STRAY = 0.05
"""The share of runners allowed to stand anywhere, whatever the rest of the field did."""


def field_depth_priors(logliks: list[np.ndarray], onsets_s: list[float], field_size: int | None = None,
                       onset_sd_s: list[float] | None = None) -> list[np.ndarray] | None:
    """Each lined-up runner's depth prior, learnt from the whole field (densities over DEPTH_GRID_M).

    One track pins its runner's depth to a few metres at best (GPS error), but
    a field lined up together has a shape: a front row just behind the line,
    rows behind it, and the rows further back setting off later as the start
    moves back through the crowd. The field is modelled as depth ~ normal(front
    + wave * delay, spread), kept to depth >= 0, with a small share of strays;
    every (front, wave, spread) on a grid is weighed by how well it explains
    all runners' own likelihoods at once (no relation to the delay and a
    single row are among them), and each runner gets the weighted mixture at
    their own delay. A field of `field_size` runners (all entries) cannot
    stand deeper than DEPTH_PER_RUNNER_M each (all but the strays). A runner
    whose delay is known only to `onset_sd_s` (set off as judged from
    positions alone) gets the spread that uncertainty puts on their depth.
    None with fewer than MIN_FIELD runners.
    """
    n = len(logliks)
    if n < MIN_FIELD:
        return None
    g = DEPTH_GRID_M
    L = np.array([np.exp(ll - ll.max()) for ll in logliks]) * DEPTH_CELL_M  # (n, G)
    delay = np.asarray(onsets_s, dtype=float)
    delay = np.maximum(delay - np.min(delay), 0.0)
    wide = depth_prior(float(g[-1]))
    cap = np.ones(g.size)
    if field_size is not None:
        deepest = max(MIN_DEEPEST_M, DEPTH_PER_RUNNER_M * field_size)
        cap = 1.0 / (1.0 + np.exp(np.clip((g - deepest) / 0.3, -50, 50)))
    wave = np.array(FIELD_WAVE_MPS)[:, None, None, None]
    unsure = np.zeros(n) if onset_sd_s is None else np.asarray(onset_sd_s, dtype=float)
    spread = np.sqrt(np.array(FIELD_SPREAD_M)[None, :, None, None] ** 2 + (wave * unsure[None, None, :, None]) ** 2)

    def densities(front: float) -> np.ndarray:
        """Each runner's prior density for one front depth, every (wave, spread): shape (W, S, n, G)."""
        mean = front + wave * delay[None, None, :, None]
        dens = np.exp(-0.5 * ((g - mean) / spread) ** 2) * cap
        dens /= np.maximum(np.sum(dens * DEPTH_CELL_M, axis=-1, keepdims=True), 1e-300)
        return (1.0 - STRAY) * dens + STRAY * wide

    # How well each (front, wave, spread) explains the whole field; runners line up just behind the
    # line, so a front row far back needs the field's evidence.
    score = np.array([np.sum(np.log(np.maximum(np.sum(densities(f) * L, axis=-1), 1e-300)), axis=-1) - f / FRONT_SCALE_M
                      for f in FIELD_FRONT_M])  # (F, W, S)
    score = score - np.array(FIELD_SPREAD_M)[None, None, :] / FRONT_SCALE_M
    w = np.exp(score - score.max())
    w /= w.sum()
    priors = np.zeros((len(logliks), g.size))
    for i, f in enumerate(FIELD_FRONT_M):
        if w[i].max() > 1e-6:
            priors += np.einsum("ws,wsng->ng", w[i], densities(f))
    return list(priors)
