"""The promise a bundle makes: its unflagged routings are right with probability ``accuracy``.

The review threshold is chosen by a risk-controlling rule on the latest *forward-in-time*
held-out predictions (each message routed by the model of its day, before that model
learned it: what an update sees of its new rows): candidate thresholds are tested from
the highest down (fixed-sequence testing, as in Learn-then-Test, which MAPIE's risk
control implements); at each one the Clopper-Pearson upper bound (level ``1 - delta``)
of the error of the routings at or above it must be ≤ ``1 - accuracy``; the threshold is
the lowest one reached before the first failure (thresholds routing too few messages for
even an error-free bound to pass are skipped, not failed: which ones they are depends on
the confidences alone). With probability ≥ ``1 - delta`` (over
the held-out rows, if tomorrow looks like them) the promise holds at that threshold. Using
a window of the latest ``window`` rows that moves one block per update keeps the
threshold stable from update to update, where a point estimate on a fresh split swings.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["choose_threshold", "upper_error", "WINDOW", "MIN_ROWS"]

#: held-out rows the promise is checked on (the latest ones)
WINDOW = 600
#: fewer held-out rows than this: keep training's threshold
MIN_ROWS = 100


def upper_error(errors: int, n: int, delta: float) -> float:
    """Clopper-Pearson upper confidence bound (level ``1 - delta``) of an error rate."""
    if n == 0:
        return 1.0
    if errors >= n:
        return 1.0
    from scipy.stats import beta
    return float(beta.ppf(1 - delta, errors + 1, n - errors))


def choose_threshold(confidence: Sequence[float], correct: Sequence[bool], accuracy: float = 0.85,
                     delta: float = 0.1, step: float = 0.025, first: float = 0.2) -> tuple[float, float, float]:
    """``(threshold, coverage, observed accuracy)``: the lowest threshold of the fixed
    sequence — the confidences at coverage ``first``, ``first + step``, ... 1 of the rows —
    reached before the first whose routings' error has an upper bound above
    ``1 - accuracy``; ``(1.0, 0.0, nan)`` when the first fails. A grid on coverage (not on
    every distinct confidence) keeps the tiny top sets, whose bounds are noise, out of the
    sequence: the threshold then moves little when the window moves."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0:
        return 1.0, 0.0, float("nan")
    order = np.argsort(-conf, kind="stable")
    c, wrong = conf[order], np.cumsum(~ok[order])
    best = (1.0, 0.0, float("nan"))
    for cov in np.arange(first, 1.0 + 1e-9, step):
        t = c[max(int(np.ceil(cov * c.size)) - 1, 0)]
        n = int(np.searchsorted(-c, -t, side="right"))  # rows with confidence >= t (ties routed together)
        if upper_error(0, n, delta) > 1 - accuracy:
            continue  # too few routings for any bound to pass: skipped (depends on confidences alone, not on errors)
        errors = int(wrong[n - 1])
        if upper_error(errors, n, delta) > 1 - accuracy:
            break
        best = (float(t), n / conf.size, 1 - errors / n)
    return best


def promise_of(history: Sequence[Sequence[Any]], accuracy: float, delta: float, fallback: float,
               since: float | None = None) -> dict[str, Any]:
    """The manifest's ``promise`` from held-out ``[confidence, correct, time]`` rows (latest
    last). With ``since`` (the latest detected change of convention) it is checked on the
    rows after it once there are :data:`MIN_ROWS` of them, and until then on the rows
    before it: the rows around a change were predicted by a model the change made stale
    and say nothing of the model once it has learned the new convention."""
    rows = list(history)[-WINDOW:]
    if since is not None:
        after = [r for r in rows if len(r) > 2 and r[2] is not None and r[2] >= since]
        rows = after if len(after) >= MIN_ROWS else [r for r in rows if len(r) < 3 or r[2] is None or r[2] < since]
    if len(rows) < MIN_ROWS:
        return {"accuracy": accuracy, "threshold": fallback, "coverage": None, "delta": delta,
                "checked_on": f"training's held-out choice ({len(rows)} forward rows, fewer than {MIN_ROWS})"}
    conf = np.array([r[0] for r in rows], dtype=float)
    ok = np.array([bool(r[1]) for r in rows])
    threshold, coverage, observed = choose_threshold(conf, ok, accuracy, delta)
    return {"accuracy": accuracy, "threshold": threshold, "coverage": round(coverage, 4),
            "overall_accuracy": round(float(ok.mean()), 4),
            "observed_accuracy": None if observed != observed else round(observed, 4), "delta": delta,
            "checked_on": f"latest {len(rows)} rows"}
