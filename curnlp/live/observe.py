"""Feeding true labels to a router's drift monitor (:meth:`curnlp.router.Router.observe`)."""
from __future__ import annotations

from typing import Any, Mapping

from .monitor import Monitor

__all__ = ["observe", "monitor_of"]


def monitor_of(router: Any) -> Monitor:
    """The router's monitor, made on first use from the manifest (``live.monitor``: parameters
    and alarm state) and the promised accuracy."""
    if router.monitor is None:
        promise = router.manifest.get("promise") or {}
        accuracy = float(promise.get("accuracy", router.manifest.get("review_accuracy", 0.85)))
        router.monitor = Monitor.from_dict((router.manifest.get("live") or {}).get("monitor"), accuracy)
    return router.monitor


def observe(router: Any, routing: Any, labels: Mapping[str, str] | str | None, *, time: object = None) -> bool:
    """Feed one routed message's true labels (a mapping target -> label, or the deciding
    target's label) to the router's monitor; True when this raised an alarm."""
    target = router.review_target
    truth = labels.get(target) if isinstance(labels, Mapping) else labels
    truth = truth.strip() if isinstance(truth, str) and truth.strip() else None
    pred = getattr(routing, target, None)
    when = None
    if time is not None:
        parsed = router._times([time], 1)
        when = None if parsed is None else parsed[0]
    return monitor_of(router).observe(None if pred is None else pred.label, truth,
                                      flagged=bool(routing.needs_review), time=when)
