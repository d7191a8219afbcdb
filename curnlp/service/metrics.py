"""Prometheus metrics of the service, summed over its worker processes.

prometheus-client's multiprocess mode keeps each worker's values in files under
``PROMETHEUS_MULTIPROC_DIR`` (set by :mod:`curnlp.service.server` to a folder of the
service's runtime directory before this module is imported); ``GET /metrics`` adds them up.
"""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

#: endpoints named in the metrics; any other path is counted as "other" (no unbounded label values)
ENDPOINTS = frozenset({"/", "/route", "/route_many", "/locate", "/health", "/info", "/metrics", "/feedback",
                       "/feedback/export", "/admin/reload", "/docs", "/openapi.json", "/static"})

REQUESTS = Counter("curnlp_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("curnlp_request_seconds", "Time to answer an HTTP request", ["endpoint"],
                    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30))
ROUTED = Counter("curnlp_routed_messages", "Messages routed (by /route and /route_many)")
REVIEW = Counter("curnlp_review_messages", "Routed messages flagged for review, by reason "
                 "(a message can have several; share = this / curnlp_routed_messages_total)", ["reason"])
NEEDS_REVIEW = Counter("curnlp_needs_review_messages", "Routed messages flagged for review (any reason)")
FEEDBACK = Counter("curnlp_feedback_rows", "Rows stored by POST /feedback")
RELOADS = Counter("curnlp_reloads", "Bundle reloads in this service", ["result"])


def endpoint_of(path: str) -> str:
    """The metric label of a request path."""
    if path.startswith("/static/"):
        return "/static"
    return path if path in ENDPOINTS else "other"


def count_routings(routings) -> None:
    """Count routed messages and their review reasons."""
    ROUTED.inc(len(routings))
    for routing in routings:
        if routing.review_reasons:
            NEEDS_REVIEW.inc()
            for reason in routing.review_reasons:
                REVIEW.labels(reason).inc()


def exposition() -> tuple[bytes, str]:
    """The Prometheus text of every worker's values, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
