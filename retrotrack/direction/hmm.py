"""The two-state hidden Markov model that fuses the evidence, solved exactly by forward-backward.

The recursions are 2x2 matrix products, run as blocked parallel prefix products: a few vectorised
passes over the whole file instead of a Python loop per record.
"""

from __future__ import annotations

import numpy as np

def _mul(a1, b1, c1, d1, a2, b2, c2, d2):
    """Elementwise product of 2x2 matrices [[a, b], [c, d]], normalised to sum 1, and the log of the scale."""
    na = a1 * a2 + b1 * c2
    nb = a1 * b2 + b1 * d2
    nc = c1 * a2 + d1 * c2
    nd = c1 * b2 + d1 * d2
    s = na + nb + nc + nd
    return na / s, nb / s, nc / s, nd / s, np.log(s)


def _scan_small(a, b, c, d, ls):
    """In place: M[i] <- M[i] @ M[i-1] @ ... @ M[0] (Hillis-Steele; for short sequences)."""
    m = a.size
    k = 1
    while k < m:
        na, nb, nc, nd, lg = _mul(a[k:], b[k:], c[k:], d[k:], a[:-k], b[:-k], c[:-k], d[:-k])
        ls[k:] = ls[k:] + ls[:-k] + lg
        a[k:], b[k:], c[k:], d[k:] = na, nb, nc, nd
        k *= 2


def prefix_products(a, b, c, d):
    """Inclusive products M[i] @ M[i-1] @ ... @ M[0] of 2x2 matrices, normalised, with log scales.

    Blocked: a short sequential pass inside blocks (vectorised across blocks), a
    scan over the block totals, then one pass to apply them: O(n) work.
    """
    m = a.size
    s0 = a + b + c + d
    block = 16 if m > 4096 else 4
    nb_ = -(-m // block)
    pad = nb_ * block - m
    ident = (np.ones(pad), np.zeros(pad), np.zeros(pad), np.ones(pad))
    A, B, C, D = (np.concatenate((x / s0, y)).reshape(nb_, block) for x, y in zip((a, b, c, d), ident))
    LS = np.concatenate((np.log(s0), np.zeros(pad))).reshape(nb_, block)
    for j in range(1, block):
        A[:, j], B[:, j], C[:, j], D[:, j], lg = _mul(A[:, j], B[:, j], C[:, j], D[:, j], A[:, j - 1], B[:, j - 1], C[:, j - 1], D[:, j - 1])
        LS[:, j] += LS[:, j - 1] + lg
    # Carry into each block: the product of all earlier blocks (identity for the first).
    ta, tb, tc, td, tl = A[:, -1].copy(), B[:, -1].copy(), C[:, -1].copy(), D[:, -1].copy(), LS[:, -1].copy()
    _scan_small(ta, tb, tc, td, tl)
    ca, cb, cc, cd = (np.concatenate(([v], x[:-1])) for v, x in ((1.0, ta), (0.0, tb), (0.0, tc), (1.0, td)))
    cl = np.concatenate(([0.0], tl[:-1]))
    A, B, C, D, lg = _mul(A, B, C, D, ca[:, None], cb[:, None], cc[:, None], cd[:, None])
    LS = LS + cl[:, None] + lg
    return tuple(x.reshape(-1)[:m] for x in (A, B, C, D, LS))


def hmm_posterior(log_em: np.ndarray, switch_p: np.ndarray) -> tuple[np.ndarray, float]:
    """P(state 1) per step and the log-likelihood of a symmetric two-state HMM.

    `log_em` (m, 2): log emission per step and state. `switch_p` (m,): probability
    of switching state between step i-1 and step i (element 0 unused). Uniform start.
    """
    m = log_em.shape[0]
    if m == 0:
        return np.zeros(0), 0.0
    top = log_em.max(axis=1)
    e = np.exp(log_em - top[:, None])
    e0, e1 = e[:, 0], e[:, 1]
    p = np.clip(switch_p, 1e-12, 0.5)
    q = 1.0 - p
    # Forward: alpha_i = P_i ... P_0 1 with P_i = diag(e_i) A_i, P_0 = diag(e_0) / 2.
    a, b, c, d = e0 * q, e0 * p, e1 * p, e1 * q
    a[0], b[0], c[0], d[0] = 0.5 * e0[0], 0.0, 0.0, 0.5 * e1[0]
    a, b, c, d, ls = prefix_products(a, b, c, d)
    alpha0, alpha1 = a + b, c + d
    loglik = float(np.log(alpha0[-1] + alpha1[-1]) + ls[-1] + top.sum())
    # Backward: beta_i = H_i ... H_{m-1} 1 with H_i = A_{i+1} diag(e_{i+1}), H_{m-1} = I; a prefix scan reversed.
    ha, hb, hc, hd = np.ones(m), np.zeros(m), np.zeros(m), np.ones(m)
    ha[:-1], hb[:-1] = q[1:] * e0[1:], p[1:] * e1[1:]
    hc[:-1], hd[:-1] = p[1:] * e0[1:], q[1:] * e1[1:]
    ha, hb, hc, hd, _ = prefix_products(ha[::-1], hb[::-1], hc[::-1], hd[::-1])
    beta0, beta1 = (ha + hb)[::-1], (hc + hd)[::-1]
    n0 = alpha0 / (alpha0 + alpha1) * beta0 / (beta0 + beta1)
    n1 = alpha1 / (alpha0 + alpha1) * beta1 / (beta0 + beta1)
    return n1 / np.maximum(n0 + n1, 1e-300), loglik


def log_em_from_llr(llr: np.ndarray) -> np.ndarray:
    """Log emissions (forward, backward) carrying a log-likelihood ratio backward:forward."""
    return np.column_stack((-0.5 * llr, 0.5 * llr))
