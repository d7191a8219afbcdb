"""curnlp: routing Russian citizens' complaints to the agency responsible.

The public surface is small: :func:`route` and :func:`route_many` with the shipped
default model, :func:`load` / :class:`Router` for a chosen bundle, :func:`train`,
:func:`evaluate` and :func:`cross_validate` for retraining. Importing curnlp loads
nothing heavy: analyzers, NER models and the default bundle are built on first use and
shared by the whole process.

>>> import curnlp
>>> r = curnlp.route("На ул. Ленина в Курске огромная яма")
>>> r.agency.label, r.municipality
('Комитет дорожного хозяйства города Курска', 'Курск')
"""
from __future__ import annotations

import threading
from typing import Any

from . import errors  # light (no third-party imports): ``except curnlp.errors.InvalidInput`` works at once
from ._lazy import lazy_getattr

__version__ = "0.1.0"

# public name -> module that defines it; resolved lazily on first attribute access
_LAZY: dict[str, str] = {
    "Router": "curnlp.router",
    "Routing": "curnlp.router",
    "Prediction": "curnlp.router",
    "train": "curnlp.training",
    "evaluate": "curnlp.training",
    "cross_validate": "curnlp.training",
    "Report": "curnlp.training",
    "locate": "curnlp.places",
    "Place": "curnlp.places",
    "replay": "curnlp.live.replay",
}

_default_router = None
_default_lock = threading.Lock()


def load(path: str | None = None, **options: Any):
    """Load a model bundle as a :class:`Router` (default: the shipped Kursk model).

    ``options`` go to :meth:`Router.load` (``entities=False`` for the fast mode,
    ``max_length``).
    """
    from .router import Router
    return Router.load(path, **options)


def default_router():
    """The process-wide Router of the shipped model, loaded once on first use."""
    global _default_router
    if _default_router is None:
        with _default_lock:
            if _default_router is None:
                _default_router = load()
    return _default_router


def route(text: str):
    """Route one message with the shipped default model; returns a :class:`Routing`."""
    return default_router().route(text)


def route_many(texts, **options: Any):
    """Route many messages with the shipped default model (see :meth:`Router.route_many`)."""
    return default_router().route_many(texts, **options)

__all__ = ["__version__", "route", "route_many", "load", "errors", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
