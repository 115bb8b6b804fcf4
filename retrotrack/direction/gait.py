"""Gait against speed: at one speed, backward steps are quicker and shorter.

Per activity and per regime (walking, running), log step rate is regressed on log speed with an
offset for backward, with population priors on every coefficient (and ground contact time, where
the file has running dynamics, beside it). All forward, all backward, a two-class mixture fitted
by EM and, with both running and walking, running one way and walking the other are weighed by their
Laplace-approximated evidence.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np

from retrotrack.direction.hmm import hmm_posterior, log_em_from_llr
from retrotrack.direction.windows import GAIT_CORR_S, GaitFeatures, GaitWindows
from retrotrack.model import Direction

GAIT_OUTLIER = 0.05
MIN_GAIT_SD = 0.008
MIN_REGIME_S = 30.0
EM_ITERATIONS = 5
EM_TOLERANCE = 1e-4
"""EM stops early once no class probability moves by more than this."""
SEPARATION_MIN = 3.5
"""Backward and forward step rates must differ by this many noise widths to count as two gaits."""
EM_MAX_BLOCKS = 1500
STRONG_EVIDENCE = 3.0
"""Log Bayes factor for 'strong' evidence (Kass and Raftery 1995: a factor of 20)."""
SINGLE_CLASS_SHARE = 0.05
"""A regime with less than this share of its windows (and under MIN_REGIME_S of them) in one class is a
one-class regime."""


@dataclass(frozen=True)
class GaitPrior:
    """Population knowledge for one regime: log step rate = alpha + beta log(v / v_ref) [+ delta backward]."""

    v_ref_mps: float
    alpha: tuple[float, float]
    """Forward log step rate at v_ref: mean, sd (between runners)."""
    beta: tuple[float, float, float, float]
    """Step rate exponent on speed: mean, sd, min, max (step rate never falls as one gait speeds up)."""
    delta: tuple[float, float, float, float]
    """Backward minus forward log step rate at one speed: mean, sd, min, max."""
    speed: dict
    """Typical log speed of a whole stretch, forward and backward: (mean, sd)."""
    speed_ratio: tuple[float, float]
    """log(backward / forward typical speed) in one session: mean, sd."""
    hill: tuple[float, float, float, float]
    """Change of log step rate at a given speed per unit of grade (uphill +): mean, sd, min, max.
    Uphill, step rate at a given speed rises as it does running backward: +4.5 % at 7 % grade for trained
    runners on a treadmill (Padulo et al. 2012, J Strength Cond Res 26:1331), 0.64 per unit grade; less
    for some runners and on the road, little walking. Each activity learns its own from its hills."""

    @functools.cached_property
    def line(self) -> "LinePrior":
        return LinePrior(np.array([self.alpha[0], self.beta[0], self.hill[0], self.delta[0]]),
                         np.array([self.alpha[1], self.beta[1], self.hill[1], self.delta[1]]),
                         np.array([-np.inf, self.beta[2], self.hill[2], self.delta[2]]),
                         np.array([np.inf, self.beta[3], self.hill[3], self.delta[3]]))


@dataclass(frozen=True)
class LinePrior:
    """Gaussian prior (mean, sd) and bounds on (a, b1, b2, d) of y = a + b1 x1 + b2 x2 + d * backward."""

    mean: np.ndarray
    sd: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


GAIT_PRIORS = {
    "run": GaitPrior(3.0, (np.log(168.0), 0.06), (0.17, 0.05, 0.03, 0.4), (0.12, 0.04, 0.07, 0.35),
                     {Direction.FORWARD: (np.log(3.0), 0.3), Direction.BACKWARD: (np.log(2.1), 0.3)},
                     (np.log(0.72), 0.15), (0.35, 0.3, 0.0, 1.5)),
    "walk": GaitPrior(1.4, (np.log(114.0), 0.07), (0.5, 0.12, 0.2, 0.8), (0.22, 0.07, 0.1, 0.45),
                      {Direction.FORWARD: (np.log(1.4), 0.2), Direction.BACKWARD: (np.log(0.9), 0.3)},
                      (np.log(0.65), 0.25), (0.0, 0.15, -0.5, 0.5)),
}
BACKWARD_CEILING_MPS = 4.0
BACKWARD_CEILING_WIDTH = 0.04
"""Backward running that averages more than this is within a few per cent of the world bests (10 km in
39:20 is 4.24 m/s): the typical-speed prior's tail falls away above it by e per 4 %."""
STANCE_REF_SPM = 168.0
STANCE_LINE = LinePrior(np.array([np.log(260.0), -0.3, -1.0, 0.0]), np.array([0.4, 0.3, 0.5, 0.15]),
                        np.array([-np.inf, -1.5, -3.0, -0.5]), np.array([np.inf, 0.5, 1.0, 0.5]))
"""Running dynamics: log ground contact time = a + b1 log(v / v_ref) + b2 log(step rate / STANCE_REF_SPM)
+ d * backward, learnt per activity. Contact takes a share of each step, so it shortens as step rate rises
(b2 near -1); backward, the aerial phase is longer (Cavagna et al. 2012, J Exp Biol 215:75), but how a
watch or chest strap estimates contact running backward is not published, so the prior on d has no
sign: contact time tells two gaits apart, the step rate says which is which."""
HYPOTHESIS_PRIOR = {"forward": 0.5, "backward": 0.2, "mixed": 0.3, "run backward, walk forward": 0.2,
                    "run forward, walk backward": 0.05}
"""Relative weights before the data: most sessions are all forward; some mix; few are all backward. A session
with both running and walking may also run one way and walk the other (the two splits, weighed only then): a
backward runner walks forward to the start, between reps and after the finish; walking backward between
forward runs is a rarer drill."""
SPLITS = {"run backward, walk forward": {"run": 1, "walk": 0}, "run forward, walk backward": {"run": 0, "walk": 1}}
SPLIT_LLR = 50.0
"""Under a split, each regime's windows are of its direction whatever else the file says."""


@dataclass
class RegimeModel:
    """Fitted log step rate = a + b log(v / v_ref) + h grade + d * backward, noise sd, for one regime.

    `theta` is (a, b, h, d); covariates `x` are rows of (log(v / v_ref), grade).
    """

    regime: str
    theta: np.ndarray
    sd: float
    log_evidence: float
    """log prior at the fit, plus the Laplace volume term."""

    @property
    def shift(self) -> float:
        """Backward minus forward log step rate at one speed and grade."""
        return float(self.theta[3])

    def forward_line(self, x: np.ndarray) -> np.ndarray:
        return self.theta[0] + x @ self.theta[1:3]

    def spread_on(self, x: np.ndarray, y: np.ndarray, x_ref: np.ndarray, y_ref: np.ndarray, w: np.ndarray) -> float:
        """Noise sd of windows (x, y) that the model was not fitted on, from how far each strays from
        the fitted window (x_ref, y_ref) of the same interval: a difference in which the direction
        cancels, so a wrong guess of direction cannot inflate it."""
        d = (y - self.forward_line(x)) - (y_ref - self.forward_line(x_ref))
        cap = (3.0 * max(1.4826 * float(np.median(np.abs(d))), self.sd)) ** 2
        extra = float(np.sum(w * np.minimum(d * d, cap)) / max(w.sum(), 1e-12))
        return max(float(np.sqrt(self.sd**2 + extra)), MIN_GAIT_SD)

    def log_em(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-point log density (forward, backward), with an outlier floor."""
        r = (y - self.forward_line(x)) / self.sd
        top = np.log((1 - GAIT_OUTLIER) / (np.sqrt(2 * np.pi) * self.sd))
        floor = np.log(GAIT_OUTLIER)
        lf = np.logaddexp(top - 0.5 * r * r, floor)
        rb = r - self.shift / self.sd
        lb = np.logaddexp(top - 0.5 * rb * rb, floor)
        return np.column_stack((lf, lb))


def fit_regime(regime: str, x: np.ndarray, y: np.ndarray, z: np.ndarray, w: np.ndarray) -> RegimeModel:
    """Step rate against speed and grade for one regime, with the population's priors."""
    return fit_line(regime, GAIT_PRIORS[regime].line, x, y, z, w)


def fit_line(name: str, pri: LinePrior, x: np.ndarray, y: np.ndarray, z: np.ndarray, w: np.ndarray) -> RegimeModel:
    """MAP fit of y = a + x @ (b1, b2) + d * backward with priors and bounds `pri`, given P(backward) z per point.

    Works from weighted moments, so refits cost O(1); one winsorised pass sets the
    noise level so that a few windows at a turn or a GPS jump cannot.
    """
    m0 = np.concatenate(([0.0], pri.mean[1:]))
    lam = np.diag(1.0 / pri.sd**2)
    lo, hi = pri.lo, pri.hi
    yc = y - pri.mean[0]
    # Design rows (1, x, grade, backward); backward enters as its probability z, and z^2 as z.
    design = np.column_stack((np.ones(y.size), x))
    wd = design * w[:, None]
    cross = wd.T @ z
    ata = np.empty((4, 4))
    ata[:3, :3] = wd.T @ design
    ata[:3, 3] = ata[3, :3] = cross
    ata[3, 3] = float(np.sum(w * z))
    aty = np.concatenate((wd.T @ yc, [float(np.sum(w * z * yc))]))
    syy, big_s = float(np.sum(w * yc * yc)), float(w.sum())

    def solve(sd: float) -> np.ndarray:
        lhs = ata / sd**2 + lam
        rhs = aty / sd**2 + lam @ m0
        free = np.ones(4, dtype=bool)
        theta = np.linalg.solve(lhs, rhs)
        for _ in range(3):
            out = free & ((theta < lo) | (theta > hi))
            if not out.any():
                break
            theta = np.clip(theta, lo, hi)
            free &= ~out
            held = ~free
            theta[free] = np.linalg.solve(lhs[np.ix_(free, free)], rhs[free] - lhs[np.ix_(free, held)] @ theta[held])
        return theta

    def mean_square(theta: np.ndarray) -> float:
        return max(float(syy - 2 * theta @ aty + theta @ ata @ theta) / max(big_s, 1e-12), 0.0)

    sd = 0.03
    for _ in range(3):
        theta = solve(sd)
        sd = max(np.sqrt(mean_square(theta)), MIN_GAIT_SD)
    cap = (3.0 * sd) ** 2
    q0 = np.minimum((yc - design @ theta[:3]) ** 2, cap)
    q1 = np.minimum((yc - design @ theta[:3] - theta[3]) ** 2, cap)
    sd = max(float(np.sqrt((np.sum(w * q0) + np.sum(w * z * (q1 - q0))) / max(big_s, 1e-12))), MIN_GAIT_SD)
    theta = solve(sd)
    prec = ata / sd**2 + lam
    k = m0.size
    log_prior = float(-0.5 * (theta - m0) @ lam @ (theta - m0) + 0.5 * np.log(np.linalg.det(lam)) - 0.5 * k * np.log(2 * np.pi))
    _, logdet = np.linalg.slogdet(prec)
    laplace = 0.5 * k * np.log(2 * np.pi) - 0.5 * logdet
    theta = theta + np.array([pri.mean[0], 0.0, 0.0, 0.0])
    return RegimeModel(name, theta, sd, log_prior + laplace)


def _otsu_split(r: np.ndarray, w: np.ndarray) -> float:
    """The threshold that best separates two groups of values (weighted Otsu)."""
    order = np.argsort(r)
    rs, ws = r[order], w[order]
    cw = np.cumsum(ws)
    cr = np.cumsum(ws * rs)
    total_w, total_r = cw[-1], cr[-1]
    w0 = cw[:-1]
    w1 = total_w - w0
    ok = (w0 > 0.05 * total_w) & (w1 > 0.05 * total_w)
    if not ok.any():
        return float(np.median(r))
    m0 = cr[:-1] / np.maximum(w0, 1e-12)
    m1 = (total_r - cr[:-1]) / np.maximum(w1, 1e-12)
    between = np.where(ok, w0 * w1 * (m1 - m0) ** 2, -1.0)
    k = int(np.argmax(between))
    return float(0.5 * (rs[k] + rs[k + 1]))


@dataclass
class GaitVerdict:
    """The gait's say: which hypothesis, and per interval P(backward) under each."""

    p_hypothesis: dict
    p_mixed: np.ndarray
    covered: np.ndarray
    """Intervals with gait data."""
    contact: bool = False
    """Ground contact time (running dynamics) took part."""
    p_split: dict = field(default_factory=dict)
    """Per interval P(backward) under each split hypothesis (running one way, walking the other)."""

    @property
    def p_backward(self) -> np.ndarray:
        """Per interval P(backward) over all the hypotheses."""
        ph = self.p_hypothesis
        p = ph["backward"] + ph["mixed"] * self.p_mixed
        for name, p_split in self.p_split.items():
            p = p + ph[name] * p_split
        return p


def _log_normal_pdf(x: float, mean_sd: tuple[float, float]) -> float:
    mu, sd = mean_sd
    return float(-0.5 * ((x - mu) / sd) ** 2 - np.log(sd * np.sqrt(2 * np.pi)))


def _speed_term(regime: str, log_v: np.ndarray, w: np.ndarray, z: np.ndarray) -> float:
    """Typical speeds against population priors: forward's level, and backward's relative to it
    (or its own level when it is alone). Backward is slower than forward for the same effort."""
    pri = GAIT_PRIORS[regime]
    wf, wb = w * (1 - z), w * z
    has_f, has_b = wf.sum() > 0.05 * w.sum(), wb.sum() > 0.05 * w.sum()
    out = 0.0
    if has_f:
        mean_f = float(np.sum(wf * log_v) / wf.sum())
        out += _log_normal_pdf(mean_f, pri.speed[Direction.FORWARD])
    if has_b:
        mean_b = float(np.sum(wb * log_v) / wb.sum())
        if has_f:
            out += _log_normal_pdf(mean_b - mean_f, pri.speed_ratio)
        else:
            out += _log_normal_pdf(mean_b, pri.speed[Direction.BACKWARD])
        out -= float(np.logaddexp(0.0, (mean_b - np.log(BACKWARD_CEILING_MPS)) / BACKWARD_CEILING_WIDTH))
    return out


def _covariates(regime: str, g: GaitWindows, sel: np.ndarray) -> np.ndarray:
    """Rows of (log(v / v_ref), grade) for the windows `sel`."""
    return np.column_stack((g.log_v[sel] - np.log(GAIT_PRIORS[regime].v_ref_mps), g.grade[sel]))


@dataclass
class _Regime:
    """One regime's gait windows on the coarse grid: which blocks, covariates, log step rate, weights,
    log speed."""

    name: str
    mask: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    log_v: np.ndarray


@dataclass
class _ContactRows:
    """The rows of one regime's windows that have contact time: grid blocks, which of the regime's windows,
    covariates (log speed, log step rate), log contact time, weights."""

    blocks: np.ndarray
    sel: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray


@dataclass
class _Mixed:
    """The mixed model after EM: its log evidence, fits and classes per regime, the regimes taken as one
    class (blurred), those of them blurred because the heading alone tells their classes apart (blind),
    and the contact-time fits."""

    log_evidence: float
    models: dict
    z: dict
    blurred: set
    blind: set
    contacts: dict


class _Judge:
    """One activity's gait evidence on a coarse grid, and the hypotheses weighed on it.

    Long files are judged on blocks of k intervals, each carrying its summed
    heading evidence and the gait window of its first interval (weighted k
    times; windows are correlated over GAIT_CORR_S anyway).
    """

    def __init__(self, f: GaitFeatures, heading_em: np.ndarray, switch_p: np.ndarray) -> None:
        m = heading_em.shape[0]
        k = max(1, -(-m // EM_MAX_BLOCKS))
        idx = np.arange(m) // k
        nblk = int(idx[-1]) + 1
        stay = np.log1p(-np.clip(switch_p, 0.0, 0.5))
        stay[0] = 0.0
        self.block_p = 1.0 - np.exp(np.bincount(idx, stay, nblk))
        self.block_p[0] = 0.5
        self.head = np.column_stack((np.bincount(idx, heading_em[:, 0], nblk), np.bincount(idx, heading_em[:, 1], nblk)))
        self.strong_head = np.abs(self.head[:, 1] - self.head[:, 0]) > 0.5 * k
        sub = np.arange(0, m, k)
        g = f.stretch
        self.regimes: list[_Regime] = []
        for regime in ("run", "walk"):
            mask = g.of_regime(regime)[sub]
            w = k * g.weight[sub][mask]
            if w.sum() * GAIT_CORR_S >= MIN_REGIME_S:
                self.regimes.append(_Regime(regime, mask, _covariates(regime, g, sub[mask]), g.log_c[sub][mask], w,
                                            g.log_v[sub][mask]))
        self.contact: dict[str, _ContactRows] = {}
        if g.log_s is not None:
            for r in self.regimes:
                ls = g.log_s[sub][r.mask]
                sel = np.isfinite(ls)
                if r.w[sel].sum() * GAIT_CORR_S >= MIN_REGIME_S:
                    xs = np.column_stack((r.x[sel, 0], r.y[sel] - np.log(STANCE_REF_SPM)))
                    self.contact[r.name] = _ContactRows(np.flatnonzero(r.mask)[sel], sel, xs, ls[sel], r.w[sel])
        self.fixed = {(r.name, label): self._one_direction(label, r) for r in self.regimes for label in (0, 1)}
        # Contact time as one class: the same for either direction, but part of the evidence against 'mixed'.
        self.contact_one = 0.0
        for regime in self.contact:
            em = np.zeros((nblk, 2))
            one = self.add_contact(em, regime, None)
            self.contact_one += float(em[:, 0].sum()) + one.log_evidence

    def add_contact(self, em: np.ndarray, regime: str, zr: np.ndarray | None, model: RegimeModel | None = None) -> RegimeModel:
        """Fit contact time given classes `zr` (None: one class), or take `model`; add its log densities to `em`."""
        c = self.contact[regime]
        if model is None:
            model = fit_line(f"{regime} contact", STANCE_LINE, c.x, c.y, np.zeros(c.y.size) if zr is None else zr[c.sel], c.w)
        em[c.blocks] += c.w[:, None] * model.log_em(c.x, c.y)
        return model

    def _one_direction(self, label: int, r: _Regime) -> tuple[float, RegimeModel]:
        """Log evidence that every window of one regime is of one direction (population priors), and the fit."""
        z = np.full(r.y.size, float(label))
        model = fit_regime(r.name, r.x, r.y, z, r.w)
        score = float(np.sum(r.w * model.log_em(r.x, r.y)[:, label])) + model.log_evidence + _speed_term(r.name, r.log_v, r.w, z)
        return score, model

    def score_fixed(self, label: int) -> float:
        """Log evidence of 'all forward' (0) or 'all backward' (1)."""
        return float(self.head[:, label].sum()) + sum(self.fixed[r.name, label][0] for r in self.regimes) + self.contact_one

    def start_classes(self) -> dict:
        """Where EM starts: the heading where it speaks, else a two-group split of step rate."""
        p_head = hmm_posterior(self.head, self.block_p)[0]
        z = {}
        for r in self.regimes:
            pri = GAIT_PRIORS[r.name]
            resid = r.y - r.x @ np.array([pri.beta[0], pri.hill[0]])
            z0 = np.where(resid > _otsu_split(resid, r.w), 0.98, 0.02)
            if self.strong_head[r.mask].sum() > 0.3 * r.mask.sum():
                z0 = np.where(self.strong_head[r.mask], p_head[r.mask], z0)
            z[r.name] = z0
        return z

    def evidence(self, loglik: float, models: dict, z: dict, contacts: dict) -> float:
        """The mixed model's log evidence: its HMM likelihood, the fits' priors and the typical speeds."""
        return loglik + sum(models[r.name].log_evidence + _speed_term(r.name, r.log_v, r.w, z[r.name])
                            for r in self.regimes) + sum(m.log_evidence for m in contacts.values())

    def mixed_from(self, z: dict) -> _Mixed:
        """EM from the class probabilities `z`, then any regime whose two classes are one gait taken as one."""
        z = dict(z)
        for _ in range(EM_ITERATIONS):
            em = self.head.copy()
            models, contacts = {}, {}
            for r in self.regimes:
                models[r.name] = fit_regime(r.name, r.x, r.y, z[r.name], r.w)
                em[r.mask] += r.w[:, None] * models[r.name].log_em(r.x, r.y)
                if r.name in self.contact:
                    contacts[r.name] = self.add_contact(em, r.name, z[r.name])
            post, loglik = hmm_posterior(em, self.block_p)
            moved = max(float(np.max(np.abs(post[r.mask] - z[r.name]), initial=0.0)) for r in self.regimes)
            for r in self.regimes:
                z[r.name] = post[r.mask]
            if moved < EM_TOLERANCE:
                break
        fitted = _Mixed(self.evidence(loglik, models, z, contacts), models, z, set(), set(), contacts)
        # Two classes closer than a few noise widths (in step rate and contact time together) are one gait
        # with untidy noise, not two gaits.
        blurred = {name for name, mod in models.items()
                   if np.hypot(mod.shift / mod.sd, contacts[name].shift / contacts[name].sd if name in contacts else 0.0) < SEPARATION_MIN}
        best = self._with_blurred(fitted, blurred) if blurred else fitted
        # Where the heading tells the classes apart, a runner whose two gaits share one step rate at a
        # speed (outside the population's range) is better explained with the gait blind to direction
        # than by forcing a population-sized shift on it.
        blind = set()
        if self.strong_head.any():
            for name in sorted(set(models) - best.blurred):
                alt = self._with_blurred(fitted, best.blurred | {name})
                if alt.log_evidence > best.log_evidence:
                    best, blind = alt, blind | {name}
        best.blind = blind
        return best

    def _with_blurred(self, fitted: _Mixed, blurred: set) -> _Mixed:
        """The EM fit `fitted` with the `blurred` regimes as one class (gait blind to direction), and its
        total log evidence."""
        models, z, contacts = dict(fitted.models), dict(fitted.z), dict(fitted.contacts)
        em = self.head.copy()
        for r in self.regimes:
            if r.name in blurred:
                one = fit_regime(r.name, r.x, r.y, np.zeros(r.y.size), r.w)
                models[r.name] = RegimeModel(r.name, one.theta * np.array([1.0, 1.0, 1.0, 0.0]), one.sd, one.log_evidence)
                z[r.name] = np.zeros(r.y.size)
            em[r.mask] += r.w[:, None] * models[r.name].log_em(r.x, r.y)
            if r.name in self.contact:
                contacts[r.name] = (self.add_contact(em, r.name, None) if r.name in blurred
                                    else self.add_contact(em, r.name, None, contacts[r.name]))
        total = self.evidence(hmm_posterior(em, self.block_p)[1], models, z, contacts)
        if len(blurred) == len(models) and not self.strong_head.any():
            total = -np.inf
        return _Mixed(total, models, z, set(blurred), set(), contacts)

    def best_mixed(self) -> _Mixed:
        """EM finds a local optimum: also start each regime from all forward (where the heading is silent),
        and take that only on strong evidence, since noise in speed favours fewer classes a little anyway."""
        z = self.start_classes()
        best = self.mixed_from(z)
        for r in self.regimes:
            alt = self.mixed_from({**z, r.name: np.where(self.strong_head[r.mask], z[r.name], 0.02)})
            if alt.log_evidence > best.log_evidence + STRONG_EVIDENCE:
                best = alt
        return best

    def score_split(self, labels: dict) -> float:
        """Log evidence that each regime is all of one direction, `labels[regime]` (0 forward, 1 backward):
        the regimes' own one-direction fits; blocks with no gait take either direction."""
        inside = np.zeros(self.head.shape[0], dtype=bool)
        total = self.contact_one
        for r in self.regimes:
            total += float(self.head[r.mask, labels[r.name]].sum()) + self.fixed[r.name, labels[r.name]][0]
            inside |= r.mask
        return total + float(np.sum(np.logaddexp(self.head[~inside, 0], self.head[~inside, 1]) - np.log(2.0)))

    def splits(self) -> dict:
        """The split hypotheses this activity can hold: it needs both running and walking."""
        return SPLITS if {r.name for r in self.regimes} == {"run", "walk"} else {}

    def hypotheses(self, mixed: _Mixed) -> dict:
        """P of each hypothesis ('forward', 'backward', 'mixed' and the splits) given the evidence and
        HYPOTHESIS_PRIOR."""
        scores = {
            "forward": self.score_fixed(0) + np.log(HYPOTHESIS_PRIOR["forward"]),
            "backward": self.score_fixed(1) + np.log(HYPOTHESIS_PRIOR["backward"]),
            "mixed": mixed.log_evidence + np.log(HYPOTHESIS_PRIOR["mixed"]),
        }
        for name, labels in self.splits().items():
            scores[name] = self.score_split(labels) + np.log(HYPOTHESIS_PRIOR[name])
        top = max(scores.values())
        unnorm = {key: np.exp(v - top) for key, v in scores.items()}
        total = sum(unnorm.values())
        return {key: v / total for key, v in unnorm.items()}

    def one_class_refits(self, mixed: _Mixed) -> dict:
        """The regimes the population decides, as ((P(forward), fit), (P(backward), fit)).

        A regime the mixed model puts (nearly) all in one class has no second class to compare with, so
        which class that is was set by its neighbours in time, not by its own gait. The population decides
        instead: the regime is refitted as all forward and as all backward, and the labels are the mix of
        both, weighted by how well each explains it (a near tie stays a near tie, not a confident label).
        A small minority that still holds MIN_REGIME_S of steady gait (one 45 s rep in a long session) is
        a second class all the same: its step rate against the other's says which is which.
        """
        refit = {}
        for r in self.regimes:
            zr = mixed.z[r.name]
            minority = min(float(np.sum(r.w * zr)), float(np.sum(r.w * (1.0 - zr))))
            one_class = minority < SINGLE_CLASS_SHARE * r.w.sum() and minority * GAIT_CORR_S < MIN_REGIME_S
            if r.name not in mixed.blind and (r.name in mixed.blurred or one_class):
                (s0, m0), (s1, m1) = self.fixed[r.name, 0], self.fixed[r.name, 1]
                p1 = float(1.0 / (1.0 + np.exp(np.clip(s0 - s1, -50.0, 50.0))))
                refit[r.name] = ((1.0 - p1, m0), (p1, m1))
        return refit


def judge_gait(f: GaitFeatures, heading_em: np.ndarray, switch_p: np.ndarray) -> GaitVerdict | None:
    """Weigh 'all forward', 'all backward', 'mixed' (an HMM over a two-class gait model) and the splits
    (running one way, walking the other) on the evidence.

    The hypotheses are weighed on a coarse grid (_Judge); the chosen models then
    label every interval at full resolution.
    """
    judge = _Judge(f, heading_em, switch_p)
    if not judge.regimes:
        return None
    mixed = judge.best_mixed()
    p_hypothesis = judge.hypotheses(mixed)
    post, covered = _label_intervals(f, heading_em, switch_p, judge, mixed, judge.one_class_refits(mixed))
    p_split = {name: _split_labels(f.short, heading_em, switch_p, labels) for name, labels in judge.splits().items()}
    return GaitVerdict(p_hypothesis, post, covered, bool(judge.contact), p_split)


def _split_labels(g: GaitWindows, heading_em: np.ndarray, switch_p: np.ndarray, labels: dict) -> np.ndarray:
    """P(backward) per interval when running is all one way and walking all the other (`labels`): each
    window takes its regime's direction, and the intervals between follow the heading and the switch hints."""
    llr = np.zeros(heading_em.shape[0])
    for regime, label in labels.items():
        llr[g.of_regime(regime)] = SPLIT_LLR if label else -SPLIT_LLR
    return hmm_posterior(heading_em + log_em_from_llr(llr), switch_p)[0]


def _label_intervals(f: GaitFeatures, heading_em: np.ndarray, switch_p: np.ndarray, judge: _Judge, mixed: _Mixed,
                     refit: dict) -> tuple[np.ndarray, np.ndarray]:
    """P(backward) per interval under the mixed model, and which intervals have gait data.

    Full resolution, on short windows: the fitted lines, with the short windows'
    own (larger) scatter about them. Each regime's candidate models give their own
    log likelihood ratios; every combination of candidates is labelled, weighted
    by its probability.
    """
    m = heading_em.shape[0]
    g, fit_on = f.short, f.stretch
    covered = np.zeros(m, dtype=bool)
    pieces = []
    for r in judge.regimes:
        full = g.of_regime(r.name)
        covered |= full
        if r.name in mixed.blind or not full.any():
            continue
        x = _covariates(r.name, g, full)
        both = fit_on.of_regime(r.name)[full]
        x_fit = _covariates(r.name, fit_on, full)
        options = []
        for weight, model in refit.get(r.name, ((1.0, mixed.models[r.name]),)):
            if both.any():
                sd = model.spread_on(x[both], g.log_c[full][both], x_fit[both], fit_on.log_c[full][both], g.weight[full][both])
                model = RegimeModel(r.name, model.theta, sd, model.log_evidence)
            em_r = model.log_em(x, g.log_c[full])
            llr = g.weight[full] * (em_r[:, 1] - em_r[:, 0])
            if r.name in mixed.contacts and r.name not in refit:
                llr += _contact_llr(mixed.contacts[r.name], g, fit_on, full, x, x_fit, both)
            options.append((weight, llr))
        pieces.append((full, options))
    post = np.zeros(m)
    for pick in itertools.product(*(options for _, options in pieces)):
        weight = float(np.prod([w for w, _ in pick]))
        if weight > 1e-6:
            llr = np.zeros(m)
            for (full, _), (_, part) in zip(pieces, pick):
                llr[full] = part
            post += weight * hmm_posterior(heading_em + log_em_from_llr(llr), switch_p)[0]
    return post, covered


def _contact_llr(model: RegimeModel, g: GaitWindows, fit_on: GaitWindows, full: np.ndarray, x: np.ndarray,
                 x_fit: np.ndarray, both: np.ndarray) -> np.ndarray:
    """Per short window of `full`: log P(backward) - log P(forward) from contact time under `model`,
    with the short windows' own scatter (as for step rate)."""
    ys, yr = g.log_s[full], fit_on.log_s[full]
    xs = np.column_stack((x[:, 0], g.log_c[full] - np.log(STANCE_REF_SPM)))
    out = np.zeros(ys.size)
    ok = np.isfinite(ys)
    if not ok.any():
        return out
    ref = ok & both & np.isfinite(yr)
    if ref.any():
        xr = np.column_stack((x_fit[:, 0], fit_on.log_c[full] - np.log(STANCE_REF_SPM)))
        sd = model.spread_on(xs[ref], ys[ref], xr[ref], yr[ref], g.weight[full][ref])
        model = RegimeModel(model.regime, model.theta, sd, model.log_evidence)
    em = model.log_em(xs[ok], ys[ok])
    out[ok] = g.weight[full][ok] * (em[:, 1] - em[:, 0])
    return out
