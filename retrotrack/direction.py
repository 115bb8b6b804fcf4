"""Direction detection: label every interval between records backward, forward, stopped or unknown.

PROVISIONAL: until the detector lands, every moving interval is honestly `unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrotrack.model import Activity, Direction
from retrotrack.motion import stopped_intervals


@dataclass
class DirectionTrack:
    """Per-interval labels: element i covers [t_s[i], t_s[i+1]) of the activity."""

    direction: np.ndarray
    """uint8 Direction codes, length n - 1."""
    confidence: np.ndarray
    """Probability-like confidence in each label, 0..1, length n - 1."""
    method: str
    """Which evidence decided: "heading", "gait", "heading+gait" or "none"."""


def detect_direction(activity: Activity) -> DirectionTrack:
    """Label each interval of `activity`."""
    stopped = stopped_intervals(activity)
    direction = np.where(stopped, Direction.STOPPED, Direction.UNKNOWN).astype(np.uint8)
    confidence = np.where(stopped, 1.0, 0.0)
    return DirectionTrack(direction=direction, confidence=confidence, method="none")
