"""Small statistics for deciding whether a hit rate beats chance."""

from __future__ import annotations

import math


def binomial_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p): how likely chance alone gives this many hits.

    Exact in log space for small samples, normal approximation for large ones
    (the decision thresholds are far from the boundary where they differ).
    """
    if successes <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0 or successes > trials:
        return 1.0 if p >= 1.0 else 0.0
    if trials > 2000:
        mean = trials * p
        sd = math.sqrt(trials * p * (1 - p))
        z = (successes - 0.5 - mean) / sd
        return 0.5 * math.erfc(z / math.sqrt(2))
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(successes, trials + 1):
        log_term = (
            math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + k * log_p + (trials - k) * log_q
        )
        total += math.exp(log_term)
    return min(1.0, total)
