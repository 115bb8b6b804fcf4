"""Ground truth of a simulated activity and how a direction track is scored against it.

Scoring is by time: every stretch between two record times is split at the true
phase boundaries and each piece counts for its length. `unknown` is never
correct; it is reported separately so a detector cannot look good by abstaining.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrotrack.model import Direction

MOVING = (Direction.FORWARD, Direction.BACKWARD)


@dataclass(frozen=True)
class TruthSegment:
    start_s: float
    end_s: float
    direction: Direction
    gait: str | None = None
    """forward_run, backward_run, forward_walk, backward_walk, or None when stopped."""


@dataclass
class Truth:
    """What the runner really did, as contiguous segments in time."""

    segments: list[TruthSegment]

    def direction_at(self, t_s) -> np.ndarray:
        """Direction codes at times `t_s`; STOPPED outside the activity."""
        t = np.asarray(t_s, dtype=float)
        starts = np.array([s.start_s for s in self.segments])
        codes = np.array([int(s.direction) for s in self.segments], dtype=np.uint8)
        idx = np.searchsorted(starts, t, side="right") - 1
        out = codes[np.clip(idx, 0, codes.size - 1)]
        end = self.segments[-1].end_s
        return np.where((idx < 0) | (t >= end), np.uint8(Direction.STOPPED), out)

    def moving_s(self) -> float:
        return float(sum(s.end_s - s.start_s for s in self.segments if s.direction in MOVING))

    def switches(self) -> list[tuple[float, Direction]]:
        """Each change between forward and backward (directly or across a stop): (time, new direction).

        Across a stop the switch is when moving resumes.
        """
        out = []
        prev = None
        for seg in self.segments:
            if seg.direction not in MOVING:
                continue
            if prev is not None and seg.direction != prev:
                out.append((seg.start_s, seg.direction))
            prev = seg.direction
        return out


def predicted_switches(t_s: np.ndarray, direction: np.ndarray) -> list[tuple[float, Direction]]:
    """Forward/backward changes in a per-interval label track, defined as for `Truth.switches`.

    Where unknown intervals (and no stop) separate the two directions, the switch is
    put mid-way through them.
    """
    t = np.asarray(t_s, dtype=float)
    lab = np.asarray(direction)
    if lab.size == 0:
        return []
    change = np.flatnonzero(np.diff(lab.astype(np.int16))) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [lab.size]))
    out = []
    prev_dir, prev_end, stopped_between = None, None, False
    for a, b in zip(starts.tolist(), stops.tolist()):
        d = Direction(int(lab[a]))
        if d == Direction.STOPPED:
            stopped_between = True
            continue
        if d == Direction.UNKNOWN:
            continue
        if prev_dir is not None and d != prev_dir:
            when = float(t[a]) if stopped_between else 0.5 * (prev_end + float(t[a]))
            out.append((when, d))
        prev_dir, prev_end, stopped_between = d, float(t[b]), False
    return out


@dataclass
class Score:
    """Time-weighted result of one activity (seconds)."""

    moving_s: float
    correct_s: float
    unknown_s: float
    wrong_s: float
    stopped_s: float
    """Truly moving time labelled stopped."""
    confusion_s: np.ndarray
    """4 x 4 seconds, [true code, predicted code]."""
    switch_errors_s: list[float] = field(default_factory=list)
    missed_switches: int = 0
    spurious_switches: int = 0

    @property
    def accuracy(self) -> float:
        """Correct share of the truly moving time (unknown and stopped count as not correct)."""
        return self.correct_s / self.moving_s if self.moving_s > 0 else 1.0

    @property
    def unknown_share(self) -> float:
        return self.unknown_s / self.moving_s if self.moving_s > 0 else 0.0


def confusion_s(truth: Truth, t_s: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Seconds of each (true, predicted) label pair over the recorded span."""
    t = np.asarray(t_s, dtype=float)
    bounds = np.array([s.start_s for s in truth.segments] + [truth.segments[-1].end_s])
    edges = np.unique(np.concatenate((t, bounds[(bounds > t[0]) & (bounds < t[-1])])))
    mid = 0.5 * (edges[:-1] + edges[1:])
    dur = np.diff(edges)
    pred = np.asarray(direction)[np.clip(np.searchsorted(t, mid, side="right") - 1, 0, len(direction) - 1)]
    true = truth.direction_at(mid)
    out = np.zeros((4, 4))
    np.add.at(out, (true.astype(int), pred.astype(int)), dur)
    return out


def score_track(truth: Truth, t_s: np.ndarray, direction: np.ndarray, tolerance_s: float = 20.0) -> Score:
    """Score per-interval labels (length len(t_s) - 1) against the truth."""
    conf = confusion_s(truth, t_s, direction)
    moving = [int(d) for d in MOVING]
    moving_s = float(conf[moving].sum())
    correct = float(sum(conf[d, d] for d in moving))
    unknown = float(conf[moving, int(Direction.UNKNOWN)].sum())
    stopped = float(conf[moving, int(Direction.STOPPED)].sum())
    errors, missed, used = [], 0, set()
    pred = predicted_switches(t_s, direction)
    for when, d in truth.switches():
        best, best_err = None, tolerance_s
        for k, (pw, pd) in enumerate(pred):
            if k in used or pd != d:
                continue
            err = abs(pw - when)
            if err <= best_err:
                best, best_err = k, err
        if best is None:
            missed += 1
        else:
            used.add(best)
            errors.append(best_err)
    return Score(
        moving_s=moving_s,
        correct_s=correct,
        unknown_s=unknown,
        wrong_s=moving_s - correct - unknown - stopped,
        stopped_s=stopped,
        confusion_s=conf,
        switch_errors_s=errors,
        missed_switches=missed,
        spurious_switches=len(pred) - len(used),
    )
