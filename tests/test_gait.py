"""Gait against speed (direction/gait.py): the per-activity line fit and the weighing of hypotheses,
on gait windows built directly (speed and step rate per interval, as windows.py measures them)."""

from __future__ import annotations

import numpy as np
import pytest

from retrotrack.direction.gait import GAIT_PRIORS, _otsu_split, fit_line, fit_regime, judge_gait
from retrotrack.direction.windows import GaitFeatures, GaitWindows


def features(speed_mps: np.ndarray, step_rate_spm: np.ndarray, *, walk: bool | np.ndarray = False, seed: int = 0) -> GaitFeatures:
    """Gait windows for one interval per second, with the scatter a watch's windows show (1 % in step
    rate, 2 % in speed)."""
    rng = np.random.default_rng(seed)
    n = speed_mps.size
    log_v = np.log(speed_mps) + rng.normal(0.0, 0.02, n)
    log_c = np.log(step_rate_spm) + rng.normal(0.0, 0.01, n)
    windows = GaitWindows(log_v, log_c, np.broadcast_to(walk, (n,)).copy(), np.full(n, 0.1), np.zeros(n))
    return GaitFeatures(windows, windows, np.zeros(n), np.array([], dtype=int))


def forward_rate_spm(speed_mps: np.ndarray, at_3_mps: float = 168.0) -> np.ndarray:
    return at_3_mps * (speed_mps / 3.0) ** 0.17


def judge(f: GaitFeatures, switches_at: list[int] = ()):
    n = f.stretch.log_v.size
    switch_p = np.full(n, 1e-3)
    switch_p[list(switches_at)] = 0.5
    return judge_gait(f, np.zeros((n, 2)), switch_p)


def test_the_line_fit_recovers_slope_and_backward_shift():
    rng = np.random.default_rng(1)
    x = np.column_stack((rng.uniform(-0.4, 0.3, 400), np.zeros(400)))
    back = (np.arange(400) % 2).astype(float)
    y = np.log(170.0) + 0.2 * x[:, 0] + 0.13 * back + rng.normal(0.0, 0.01, 400)
    model = fit_line("run", GAIT_PRIORS["run"].line, x, y, back, np.ones(400))
    assert model.theta[0] == pytest.approx(np.log(170.0), abs=0.005)
    assert model.theta[1] == pytest.approx(0.2, abs=0.02)
    assert model.shift == pytest.approx(0.13, abs=0.005)
    assert model.sd == pytest.approx(0.01, rel=0.2)


def test_the_backward_shift_never_falls_below_the_populations_least():
    rng = np.random.default_rng(2)
    x = np.column_stack((rng.uniform(-0.3, 0.3, 300), np.zeros(300)))
    back = (np.arange(300) % 2).astype(float)
    y = np.log(170.0) + 0.17 * x[:, 0] + 0.01 * back + rng.normal(0.0, 0.01, 300)
    model = fit_regime("run", x, y, back, np.ones(300))
    assert model.shift == pytest.approx(GAIT_PRIORS["run"].delta[2])


def test_otsu_split_falls_between_two_groups():
    r = np.concatenate((np.random.default_rng(3).normal(0.0, 0.01, 200), np.random.default_rng(4).normal(0.12, 0.01, 50)))
    cut = _otsu_split(r, np.ones(r.size))
    assert 0.03 < cut < 0.09


def test_backward_reps_among_forward_running_are_a_second_class():
    # 6 x 60 s backward at 2.2 m/s (steps 12 % quicker than forward at that speed) between 90 s forward at 3.2 m/s.
    legs = [(90, 3.2, False), (60, 2.2, True)] * 6 + [(90, 3.2, False)]
    speed = np.concatenate([np.full(d, v) for d, v, _ in legs])
    back = np.concatenate([np.full(d, b) for d, _, b in legs])
    rate = forward_rate_spm(speed) * np.where(back, np.exp(0.12), 1.0)
    verdict = judge(features(speed, rate), switches_at=list(np.cumsum([d for d, _, _ in legs])[:-1]))
    assert verdict.p_hypothesis["mixed"] > 0.99
    assert verdict.covered.all()
    said_backward = verdict.p_backward > 0.5
    assert (said_backward == back).mean() > 0.97


def test_one_steady_run_at_the_populations_forward_gait_is_forward():
    speed = np.random.default_rng(5).uniform(2.8, 3.4, 900)
    verdict = judge(features(speed, forward_rate_spm(speed)))
    assert verdict.p_hypothesis["forward"] > 0.9
    assert verdict.p_backward.max() < 0.1


def test_one_slow_run_with_quick_short_steps_is_backward():
    speed = np.random.default_rng(6).uniform(1.9, 2.3, 900)
    verdict = judge(features(speed, forward_rate_spm(speed) * np.exp(0.15)))
    assert verdict.p_hypothesis["backward"] > verdict.p_hypothesis["forward"]
    assert verdict.p_backward.min() > 0.85


def test_too_little_steady_gait_is_no_verdict():
    speed = np.full(20, 3.0)
    assert judge(features(speed, forward_rate_spm(speed))) is None


def test_walking_forward_round_one_backward_run_is_a_split():
    """Walk to the start, run backward, walk off: the walking is forward at walking's step rate, the running
    backward (12 % quicker steps than forward at its speed). 'All forward' and 'all backward' each misfit one
    of them; running one way and walking the other fits both."""
    legs = [(150, 1.4, True), (600, 2.1, False), (150, 1.35, True)]
    speed = np.concatenate([np.full(d, v) for d, v, _ in legs])
    walk = np.concatenate([np.full(d, w) for d, _, w in legs])
    rate = np.where(walk, 114.0 * (speed / 1.4) ** 0.5, forward_rate_spm(speed) * np.exp(0.12))
    verdict = judge(features(speed, rate, walk=walk), switches_at=[150, 750])
    ph = verdict.p_hypothesis
    assert max(ph, key=ph.get) == "run backward, walk forward"
    assert verdict.p_backward[~walk].min() > 0.6
    assert verdict.p_backward[walk].max() < 0.1
