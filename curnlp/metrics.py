"""Metrics of routing decisions: calibration and the accuracy–coverage trade-off."""
from __future__ import annotations

import numpy as np

__all__ = ["expected_calibration_error", "coverage_curve", "accuracy_at_coverage", "threshold_for_accuracy"]


def expected_calibration_error(confidence, correct, bins: int = 15) -> float:
    """ECE of top-1 confidences: the bin-weighted mean |accuracy - confidence| over equal-width bins."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return float("nan")
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(ok[mask].mean() - conf[mask].mean())
    return float(total / conf.size)


def coverage_curve(confidence, correct) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(coverage, accuracy, threshold) when only messages with confidence ≥ threshold are routed.

    Sorted by decreasing confidence: element i covers the i+1 most confident messages.
    """
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    order = np.argsort(-conf, kind="stable")
    hits = np.cumsum(ok[order])
    n = np.arange(1, conf.size + 1)
    return n / conf.size, hits / n, conf[order]


def accuracy_at_coverage(confidence, correct, coverage: float = 0.8) -> float:
    """Accuracy on the ``coverage`` share of messages with the highest confidence."""
    cov, acc, _ = coverage_curve(confidence, correct)
    if cov.size == 0:
        return float("nan")
    return float(acc[min(cov.size - 1, int(np.ceil(coverage * cov.size)) - 1)])


def threshold_for_accuracy(confidence, correct, target: float = 0.85) -> tuple[float, float]:
    """The lowest confidence threshold whose routed messages reach ``target`` accuracy.

    Returns ``(threshold, coverage)``; ``(1.0, 0.0)`` when no threshold reaches it.
    """
    cov, acc, thr = coverage_curve(confidence, correct)
    good = np.nonzero(acc >= target)[0]
    if good.size == 0:
        return 1.0, 0.0
    i = good[-1]
    # ties: route everything at exactly this confidence
    return float(thr[i]), float(cov[i])
