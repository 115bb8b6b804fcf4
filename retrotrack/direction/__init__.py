"""Direction detection: label every interval between records backward, forward, stopped or unknown.

Evidence, strongest first:

1. Facing against travel (heading.py). Where the file records the device's facing direction
   (`heading_deg`), it is compared with the direction of travel taken from the
   positions over a spatial baseline of several metres: near 180 degrees apart is
   backward. Each record gives a bounded log-likelihood ratio (a von Mises model
   with an outlier floor, for arm swing; a slowly varying compass bias is taken
   out first), weighted by how straight and long the baseline is.
2. Gait against speed (measured over windows in windows.py, weighed in gait.py).
   At one speed, backward steps are quicker and shorter.
   Per activity and per regime (walking, running), log step rate is regressed on
   log speed with an offset for backward, with population priors on every
   coefficient. The hypotheses are weighed by their Laplace-approximated
   evidence: all forward, all backward, mixed (a two-class model fitted by EM
   with time-smoothed class probabilities) and, where there is both running and
   walking, running one way and walking the other (a backward race with the walk
   to the start and off again). Only two classes a few noise widths
   apart count as two gaits; with one gait, population priors on step rate and
   speed decide, and a near call is left unknown. Ground contact time, where the
   file has running dynamics, is fitted beside step rate and tells the gaits apart.
3. Hints (hints.py): stops, lap presses, sharp changes of pace and turning back the way
   one came (a shuttle's turn) make a switch likelier.

Everything is fused by a two-state hidden Markov model (hmm.py) over the moving
intervals, solved exactly by forward-backward with blocked prefix products (a
few vectorised passes, even for a long file). The posterior is the confidence;
a stretch that stays near a coin flip, or lies far from any evidence, is
`unknown`. Time in sessions that are not on foot is `unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrotrack.direction.gait import judge_gait
from retrotrack.direction.heading import HEADING_CORR_S, heading_llr
from retrotrack.direction.hints import CHANGE_SWITCH_P, switch_probability
from retrotrack.direction.hmm import hmm_posterior, log_em_from_llr
from retrotrack.direction.track import path_distance
from retrotrack.direction.windows import gait_features
from retrotrack.model import Activity, Direction
from retrotrack.motion import stopped_intervals

MAX_EXTRAPOLATE_S = 30.0
"""A verdict reaches this far (moving time) beyond the evidence; further on, unknown."""
MAX_CONFIDENCE = 0.999
MIN_CONFIDENCE = 0.55
"""An interval below this is a coin flip: unknown."""
MIN_SEGMENT_CONFIDENCE = 0.8
"""A stretch of one label whose mean confidence is below this is unknown."""


@dataclass
class DirectionTrack:
    """Per-interval labels: element i covers [t_s[i], t_s[i+1]) of the activity."""

    direction: np.ndarray
    """uint8 Direction codes, length n - 1."""
    confidence: np.ndarray
    """Probability-like confidence in each label, 0..1, length n - 1."""
    method: str
    """Which evidence decided, joined by "+": "heading", "gait" (step rate and length against speed),
    "contact" (ground contact time, beside gait), or "none"."""
    p_backward: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Probability that each interval was run backward (NaN where stopped or not on foot)."""


def _near(evidence: np.ndarray, active: np.ndarray, dt: np.ndarray, within_s: float) -> np.ndarray:
    """Intervals within `within_s` of moving time of an interval with evidence."""
    clock = np.cumsum(np.where(active, dt, 0.0))
    have = np.flatnonzero(evidence)
    if have.size == 0:
        return np.zeros(evidence.size, dtype=bool)
    at = clock[have]
    pos = np.searchsorted(at, clock)
    before = at[np.clip(pos - 1, 0, at.size - 1)]
    after = at[np.clip(pos, 0, at.size - 1)]
    return np.minimum(np.abs(clock - before), np.abs(after - clock)) <= within_s


def _labels(p_back: np.ndarray, active: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and confidence from P(backward): unknown where it is a coin flip."""
    label = np.where(p_back >= 0.5, Direction.BACKWARD, Direction.FORWARD).astype(np.uint8)
    # An inferred direction is never certain.
    conf = np.minimum(np.where(p_back >= 0.5, p_back, 1.0 - p_back), MAX_CONFIDENCE)
    label[~active] = Direction.UNKNOWN
    conf[~active] = 0.0
    label[active & (conf < MIN_CONFIDENCE)] = Direction.UNKNOWN
    # Whole stretches of one label that are, on average, unsure.
    change = np.flatnonzero(np.diff(label.astype(np.int16))) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [label.size]))
    csum = np.concatenate(([0.0], np.cumsum(conf * dt)))
    tsum = np.concatenate(([0.0], np.cumsum(dt)))
    for a, b in zip(starts.tolist(), stops.tolist()):
        if label[a] in (Direction.FORWARD, Direction.BACKWARD):
            span = tsum[b] - tsum[a]
            if span > 0 and (csum[b] - csum[a]) / span < MIN_SEGMENT_CONFIDENCE:
                label[a:b] = Direction.UNKNOWN
    return label, conf


def detect_direction(activity: Activity) -> DirectionTrack:
    """Label each interval of `activity` with a direction and a confidence."""
    t = activity.t_s
    n = t.size
    if n < 2:
        return DirectionTrack(np.zeros(0, np.uint8), np.zeros(0), "none", np.zeros(0))
    dt = np.diff(t)
    mid = 0.5 * (t[:-1] + t[1:])
    stopped = stopped_intervals(activity)
    foot = activity.on_foot_at(mid)
    active = ~stopped & foot
    dist = path_distance(activity)
    switch_p = switch_probability(activity, dt, ~active, dist)

    llr = np.zeros(n - 1)
    methods = []
    h = heading_llr(activity, dist)
    if h is not None:
        per_interval = 0.5 * (h[:-1] + h[1:]) * np.minimum(dt, HEADING_CORR_S) / HEADING_CORR_S
        llr += np.where(active, per_interval, 0.0)
        if np.any(np.abs(llr) > 0.5):
            methods.append("heading")
    heading_em = log_em_from_llr(llr)

    f = gait_features(activity, path_distance(activity, steady=False), active)
    if f is not None and f.change.size == switch_p.size:
        # Clear changes of pace or step rate: where a switch of gait would show.
        switch_p[f.change_at] = np.maximum(switch_p[f.change_at], CHANGE_SWITCH_P)
    verdict = judge_gait(f, heading_em, switch_p) if f is not None else None
    if verdict is not None:
        methods += ["gait", "contact"] if verdict.contact else ["gait"]
        p_back = verdict.p_backward
    elif methods:
        p_back, _ = hmm_posterior(heading_em, switch_p)
    else:
        direction = np.where(stopped, Direction.STOPPED, Direction.UNKNOWN).astype(np.uint8)
        return DirectionTrack(direction, np.where(stopped, 1.0, 0.0), "none", np.full(n - 1, np.nan))
    evidence = np.abs(llr) > 0.05
    if verdict is not None:
        evidence |= verdict.covered
    p_back = np.where(_near(evidence, active, dt, MAX_EXTRAPOLATE_S), p_back, 0.5)
    label, conf = _labels(p_back, active, dt)
    label[stopped] = Direction.STOPPED
    conf[stopped] = 1.0
    p_out = np.where(active, p_back, np.nan)
    return DirectionTrack(label, conf, "+".join(methods), p_out)
