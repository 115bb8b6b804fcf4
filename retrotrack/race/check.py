"""The direction check: did a runner cover their race the required way, and what stands up as evidence?

The detector's labels over the race give the share run backward. A share
below the race's minimum disqualifies only where the evidence holds: a change
of gait within the race, or the watch's compass agreeing. Otherwise the check
is `unverified`, for officials to look at, never a disqualification.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrotrack.model import Activity, Direction
from retrotrack.motion import true_runs
from retrotrack.race.model import RaceInfo
from retrotrack.text import fmt_clock, method_words, round_m

UNVERIFIED_BELOW = 0.5
"""The direction check is unverified when less than this share of the moving time has a known direction."""
CONTRAST_SHARE = 0.1
"""A race with at least this share called the required way shows a change of gait to compare."""
FACING_COVERAGE = 0.5
"""The compass speaks for a wrong-way call when it covers at least this share of the wrong-way time."""
FACING_BASELINE_M = 6.0
FACING_CONE_DEG = 60.0


@dataclass
class DirectionCheck:
    """The share of the race run in the required direction, and whether that passes."""

    backward_fraction: float | None
    check: str
    reason: str | None = None
    known_s: float = 0.0
    moving_s: float = 0.0


def direction_check(
    t_gun: np.ndarray,
    labels: np.ndarray,
    start_s: float,
    end_s: float,
    race: RaceInfo,
    race_dist_m: np.ndarray,
    facing: np.ndarray | None = None,
    method: str = "none",
) -> DirectionCheck:
    """Share of the known-direction moving time in [start_s, end_s] run in `race.direction`.

    `method` is the detector's (DirectionTrack.method): where the race has no
    known direction, the reason says whether the track had nothing to tell it
    by or what it had could not tell.

    A share below `min_backward_fraction` fails only with evidence that stands
    up: the runner's gait changed during the race (some of it is called the
    required way: a cheat's forward stretch shows against their own backward
    running), or the watch's compass agrees (`facing`: per interval +1 facing
    the required way against travel, -1 the other, 0 unknown; see
    `facing_evidence`). A whole race called the wrong way from gait alone
    rests on comparing it with a warm-up at a very different speed (a backward
    sprint at 6-7 m/s is outside anything the gait model has seen): that is
    `unverified`, for officials to check, never a disqualification.
    """
    if t_gun.size < 2 or end_s <= start_s:
        return DirectionCheck(None, "unverified", "no track over the race")
    lo = np.clip(t_gun[:-1], start_s, end_s)
    hi = np.clip(t_gun[1:], start_s, end_s)
    dur = hi - lo
    want = Direction.BACKWARD if race.direction == "backward" else Direction.FORWARD
    other = Direction.FORWARD if want == Direction.BACKWARD else Direction.BACKWARD
    good = float(dur[labels == want].sum())
    bad = float(dur[labels == other].sum())
    unknown = float(dur[labels == Direction.UNKNOWN].sum())
    moving = good + bad + unknown
    known = good + bad
    frac = good / known if known > 0 else None
    if moving <= 0 or known < UNVERIFIED_BELOW * moving:
        if known <= 0:
            why = _nothing_known(method)
        else:
            why = f"the direction is known for only {100 * known / moving:.0f} % of the moving time"
        return DirectionCheck(frac, "unverified", why, known, moving)
    if frac is not None and frac >= race.min_backward_fraction:
        return DirectionCheck(frac, "pass", None, known, moving)
    other_word = other.label
    contrast = good >= CONTRAST_SHARE * known
    if facing is not None and facing.size == dur.size:
        # Where the detector says the wrong way, what does the compass say?
        wrong = labels == other
        f_contra = float(dur[wrong & (facing > 0)].sum())
        f_agree = float(dur[wrong & (facing < 0)].sum())
        if f_contra + f_agree >= FACING_COVERAGE * bad:
            if f_contra > f_agree:
                return DirectionCheck(frac, "unverified", (
                    f"the gait says {other_word} for {fmt_clock(bad)} but the watch's compass says {race.direction} "
                    "there: check by other means"), known, moving)
            contrast = True  # the compass agrees: the verdict stands
    if not contrast:
        return DirectionCheck(frac, "unverified", (
            f"gait alone calls {100 * bad / known:.0f} % of the race {other_word}, with no change of gait in the race "
            "to compare it with: check by other means"), known, moving)
    where = _wrong_stretches(t_gun, labels == other, start_s, end_s, race_dist_m)
    reason = f"ran {other_word} {fmt_clock(bad)} of {fmt_clock(known)} ({100 * bad / known:.0f} %)"
    if where:
        reason += " " + " and ".join(where)
    return DirectionCheck(frac, "fail", reason, known, moving)


def _nothing_known(method: str) -> str:
    """Why no moment of the race has a known direction, given the detector's `method`."""
    if method == "none":
        return "nothing in the track tells backward from forward (no cadence or heading, or too little of it)"
    return f"{method_words(method)} cannot tell backward from forward over the race: check by other means"


def facing_evidence(activity: Activity, x: np.ndarray, y: np.ndarray, want: str) -> np.ndarray | None:
    """Per interval: +1 where the watch faces the `want` way relative to travel, -1 the other way, 0 unknown.

    Travel is the chord over a few fixes either side (at least FACING_BASELINE_M
    long); facing within FACING_CONE_DEG of against travel is backward, of
    along it forward. None without a compass.
    """
    h = np.asarray(activity.heading_deg, dtype=float)
    n = h.size
    if n < 2 or np.isfinite(h).sum() < 10:
        return None
    lo = np.clip(np.arange(n) - 2, 0, n - 1)
    hi = np.clip(np.arange(n) + 2, 0, n - 1)
    dx, dy = x[hi] - x[lo], y[hi] - y[lo]
    ok = np.isfinite(h) & np.isfinite(dx) & np.isfinite(dy) & (np.hypot(dx, dy) >= FACING_BASELINE_M)
    travel = np.degrees(np.arctan2(dx, dy))
    diff = np.abs((h - travel + 180.0) % 360.0 - 180.0)
    back = ok & (diff >= 180.0 - FACING_CONE_DEG)
    fwd = ok & (diff <= FACING_CONE_DEG)
    sign = np.where(back, 1, np.where(fwd, -1, 0))
    if want != "backward":
        sign = -sign
    return sign[:-1].astype(np.int8)


def _wrong_stretches(t_gun, wrong: np.ndarray, start_s, end_s, dist) -> list[str]:
    """Where the wrong-direction running was, as "between 400 m and 700 m" phrases (the main stretches)."""
    inside = (t_gun[:-1] >= start_s - 1) & (t_gun[1:] <= end_s + 1)
    w = wrong & inside
    if not w.any():
        return []
    runs = []
    for a, b in true_runs(w):
        if runs and t_gun[a] - t_gun[runs[-1][1]] <= 20.0:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    total = sum(t_gun[b] - t_gun[a] for a, b in runs)
    keep = [r for r in runs if t_gun[r[1]] - t_gun[r[0]] >= max(10.0, 0.15 * total)][:3]
    if not keep:
        keep = sorted(runs, key=lambda r: t_gun[r[1]] - t_gun[r[0]], reverse=True)[:1]
    out = []
    for a, b in keep:
        d0 = round_m(dist[a])
        d1 = round_m(dist[min(b, dist.size - 1)])
        out.append(f"between {d0} m and {d1} m")
    return out
