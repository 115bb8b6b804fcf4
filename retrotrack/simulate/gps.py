"""GPS position error as a watch produces it: a few metres, slowly wandering, not white noise.

Consumer GNSS error is dominated by slowly varying terms (multipath, atmosphere,
the receiver's own filter), so consecutive fixes are strongly correlated. A
first-order Gauss-Markov process captures that with two numbers: the stationary
standard deviation and the correlation time.
"""

from __future__ import annotations

import numpy as np


def _gaps(n: int, dt_s: float | np.ndarray) -> np.ndarray:
    """The n - 1 gaps between samples, from a constant step or an array of gaps."""
    if np.ndim(dt_s) == 0:
        return np.full(max(n - 1, 0), float(dt_s))
    gaps = np.asarray(dt_s, dtype=float)
    if gaps.size == n and n > 0:
        # Sample times rather than gaps.
        gaps = np.diff(gaps)
    if gaps.size != max(n - 1, 0):
        raise ValueError(f"dt_s must be a number, n - 1 gaps or n times; got {gaps.size} values for n={n}")
    if np.any(gaps < 0):
        raise ValueError("dt_s must not be negative")
    return gaps


def gauss_markov(n: int, dt_s: float | np.ndarray, sigma: float, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """One stationary first-order Gauss-Markov (AR(1)) series of `n` samples.

    Each step decays by exp(-dt / tau) and adds exactly the innovation that keeps
    the variance at sigma**2, so irregular sampling (smart recording, gaps) is exact.
    """
    if n <= 0:
        return np.zeros(0)
    gaps = _gaps(n, dt_s)
    if sigma <= 0:
        return np.zeros(n)
    if tau_s <= 0:
        return sigma * rng.standard_normal(n)
    phi = np.exp(-gaps / tau_s)
    innovation = sigma * np.sqrt(1.0 - phi**2) * rng.standard_normal(n - 1)
    out = np.empty(n)
    out[0] = sigma * rng.standard_normal()
    x = out[0]
    for k in range(n - 1):
        x = phi[k] * x + innovation[k]
        out[k + 1] = x
    return out


def _low_pass(x: np.ndarray, gaps: np.ndarray, tau_s: float) -> np.ndarray:
    """First-order low-pass filter over irregular samples (exact for piecewise-constant input)."""
    alpha = 1.0 - np.exp(-gaps / tau_s)
    out = np.empty_like(x)
    y = x[0]
    out[0] = y
    for k in range(x.size - 1):
        y += alpha[k] * (x[k + 1] - y)
        out[k + 1] = y
    return out


def correlated_gps_error(
    n: int, dt_s: float | np.ndarray, sigma_m: float, tau_s: float, rng: np.random.Generator, *, smooth_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """East and north position error in metres: independent Gauss-Markov processes.

    `dt_s` is the sampling step, or the n - 1 gaps between samples (n sample
    times are accepted too). `sigma_m` is each axis's stationary standard
    deviation; `tau_s` the correlation time (typical watch: 2-5 m, 20-120 s).
    `smooth_s` > 0 passes each axis through a first-order low-pass of that
    time constant (a receiver's own filter) and rescales to keep `sigma_m`:
    the error then drifts smoothly, as fixes from a watch do, instead of
    jumping by tens of centimetres every second.
    """
    if smooth_s <= 0 or n < 2:
        return gauss_markov(n, dt_s, sigma_m, tau_s, rng), gauss_markov(n, dt_s, sigma_m, tau_s, rng)
    gaps = _gaps(n, dt_s)
    # Warm the filter up over a few time constants before the first sample.
    lead = int(np.ceil(5 * smooth_s / max(float(np.median(gaps)), 1e-3)))
    all_gaps = np.concatenate((np.full(lead, float(np.median(gaps))), gaps))
    gain = np.sqrt((tau_s + smooth_s) / tau_s) if tau_s > 0 else 1.0
    out = []
    for _ in range(2):
        raw = gauss_markov(n + lead, all_gaps, sigma_m, tau_s, rng)
        out.append(gain * _low_pass(raw, all_gaps, smooth_s)[lead:])
    return out[0], out[1]
