"""Runners and their gaits: step rate and step length at a given speed, forward and backward.

Published figures the model follows:
- forward running: step rate grows slowly with speed (about speed**0.2), about
  165-175 steps/min at 3 m/s for a runner of average height; taller runners
  (longer legs) take fewer, longer steps;
- backward running at the same speed: ~11 % higher step rate and 10-20 %
  shorter steps; chosen backward speeds ~70 % of forward for the same effort;
- walking: step rate and step length both grow about as speed**0.5; walking
  backward, steps are 15-25 % shorter at the same speed and speeds are lower;
- ground contact (running dynamics): a share of each step (the duty factor)
  that falls as speed rises, about 0.74 at 3 m/s; backward, the aerial phase
  is longer (0.098 against 0.072 s in Cavagna et al. 2012, J Exp Biol
  215:75), so contact is a smaller share of an already shorter step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from retrotrack.model import Direction


class Gait(enum.Enum):
    FORWARD_RUN = "forward_run"
    BACKWARD_RUN = "backward_run"
    FORWARD_WALK = "forward_walk"
    BACKWARD_WALK = "backward_walk"

    @property
    def direction(self) -> Direction:
        return Direction.BACKWARD if self in (Gait.BACKWARD_RUN, Gait.BACKWARD_WALK) else Direction.FORWARD

    @property
    def running(self) -> bool:
        return self in (Gait.FORWARD_RUN, Gait.BACKWARD_RUN)


@dataclass(frozen=True)
class Runner:
    """One runner's gait: how step rate depends on speed for each of the four gaits."""

    name: str
    height_m: float
    run_cadence_3mps: float
    """Forward running step rate at 3 m/s, steps/min."""
    run_cadence_exp: float
    """Forward running: step rate grows as speed**exp."""
    back_run_cadence_ratio: float
    """Backward / forward running step rate at the same speed (> 1: shorter steps)."""
    walk_cadence_1p4mps: float
    """Forward walking step rate at 1.4 m/s."""
    back_walk_step_ratio: float
    """Backward / forward walking step length at the same speed (< 1)."""
    forward_run_mps: float
    backward_run_mps: float
    forward_walk_mps: float
    backward_walk_mps: float
    run_duty_3mps: float = 0.74
    """Forward running: ground contact time / step time at 3 m/s (falls as speed**-0.3)."""
    back_run_duty_ratio: float = 0.88
    """Backward / forward duty factor at the same speed (< 1: a longer aerial phase)."""

    def cruise_speed_mps(self, gait: Gait) -> float:
        return {
            Gait.FORWARD_RUN: self.forward_run_mps,
            Gait.BACKWARD_RUN: self.backward_run_mps,
            Gait.FORWARD_WALK: self.forward_walk_mps,
            Gait.BACKWARD_WALK: self.backward_walk_mps,
        }[gait]

    def cadence_spm(self, gait: Gait, speed_mps) -> np.ndarray:
        """Step rate (both feet) at `speed_mps` in `gait`; speeds below 0.3 m/s count as 0.3."""
        v = np.maximum(np.asarray(speed_mps, dtype=float), 0.3)
        if gait.running:
            c = self.run_cadence_3mps * (v / 3.0) ** self.run_cadence_exp
            return c * self.back_run_cadence_ratio if gait is Gait.BACKWARD_RUN else c
        c = self.walk_cadence_1p4mps * (v / 1.4) ** 0.5
        return c / self.back_walk_step_ratio if gait is Gait.BACKWARD_WALK else c

    def stance_time_ms(self, gait: Gait, speed_mps, cadence_spm) -> np.ndarray:
        """Ground contact time per step running in `gait` at `speed_mps` and `cadence_spm` (NaN walking)."""
        if not gait.running:
            return np.full(np.shape(speed_mps), np.nan)
        v = np.maximum(np.asarray(speed_mps, dtype=float), 1.0)
        duty = self.run_duty_3mps * (v / 3.0) ** -0.3
        if gait is Gait.BACKWARD_RUN:
            duty = duty * self.back_run_duty_ratio
        with np.errstate(divide="ignore"):
            return np.where(cadence_spm > 0, duty * 60000.0 / np.asarray(cadence_spm, dtype=float), np.nan)

    def step_length_m(self, gait: Gait, speed_mps) -> np.ndarray:
        v = np.maximum(np.asarray(speed_mps, dtype=float), 0.3)
        return 60.0 * v / self.cadence_spm(gait, v)


def make_runner(rng: np.random.Generator, kind: str = "typical", name: str | None = None) -> Runner:
    """A random runner. `kind`: typical, tall, short, fast (forward cadence 185+),
    slow_backward (a slow backward jogger), or overlap (backward and forward
    gaits close together: small step-rate gap, similar speeds)."""
    height = {
        "tall": rng.uniform(1.88, 2.02),
        "short": rng.uniform(1.50, 1.60),
    }.get(kind, float(np.clip(rng.normal(1.74, 0.08), 1.55, 1.95)))
    leg = 0.53 * height
    style = rng.normal(1.0, 0.03)
    c3 = 170.0 * np.sqrt(0.90 / leg) * style
    exp = rng.uniform(0.1, 0.25)
    ratio = float(np.clip(rng.normal(1.13, 0.035), 1.07, 1.25))
    fwd = rng.uniform(2.6, 3.6)
    back = fwd * rng.uniform(0.62, 0.78)
    walk_c = 114.0 * np.sqrt(0.90 / leg) * rng.normal(1.0, 0.03)
    walk_ratio = rng.uniform(0.74, 0.86)
    fwd_walk = rng.uniform(1.25, 1.6)
    back_walk = rng.uniform(0.7, 1.1)
    if kind == "fast":
        fwd = rng.uniform(4.4, 5.4)
        # Fast, high-cadence runners: 185+ steps/min at their forward pace.
        c3 = max(c3, 185.0 / (fwd / 3.0) ** exp + rng.uniform(0.0, 4.0))
        back = rng.uniform(2.6, 3.3)
    elif kind == "slow_backward":
        fwd = rng.uniform(2.3, 2.9)
        back = rng.uniform(1.35, 1.8)
    elif kind == "overlap":
        ratio = rng.uniform(1.05, 1.09)
        fwd = rng.uniform(2.3, 2.8)
        back = fwd * rng.uniform(0.85, 1.0)
        walk_ratio = rng.uniform(0.84, 0.9)
    elif kind == "tall":
        back = fwd * rng.uniform(0.7, 0.85)
    # Contact-time traits from their own generator, so that adding them left every other draw as it was.
    own = np.random.default_rng(int(c3 * 1e6) % 2**32)
    duty = float(np.clip(own.normal(0.74, 0.04), 0.62, 0.86))
    duty_ratio = float(np.clip(own.normal(0.88, 0.035), 0.78, 0.97))
    if kind == "overlap":
        duty_ratio = float(own.uniform(0.92, 0.97))
    return Runner(
        name=name or f"{kind} {height:.2f} m",
        height_m=float(height),
        run_cadence_3mps=float(c3),
        run_cadence_exp=float(exp),
        back_run_cadence_ratio=float(ratio),
        walk_cadence_1p4mps=float(walk_c),
        back_walk_step_ratio=float(walk_ratio),
        forward_run_mps=float(fwd),
        backward_run_mps=float(back),
        forward_walk_mps=float(fwd_walk),
        backward_walk_mps=float(back_walk),
        run_duty_3mps=duty,
        back_run_duty_ratio=duty_ratio,
    )
