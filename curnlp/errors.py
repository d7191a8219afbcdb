"""Typed exceptions raised by curnlp.

Every error a caller can meet derives from :class:`CurnlpError`, so a service can
catch them all in one place; each also derives from the built-in exception that
describes it best (``InvalidInput`` is both a ``TypeError`` and a ``ValueError``).
"""
from __future__ import annotations

__all__ = [
    "CurnlpError",
    "InvalidInput",
    "ModelNotFound",
    "IncompatibleModel",
    "CorruptModel",
    "CorpusError",
]


class CurnlpError(Exception):
    """Base class of every curnlp error."""


class InvalidInput(CurnlpError, TypeError, ValueError):
    """The input is not a text curnlp can process (None, bytes, a number, ...)."""


class ModelNotFound(CurnlpError, FileNotFoundError):
    """No model bundle at the given path."""


class IncompatibleModel(CurnlpError):
    """The bundle was written by a curnlp or scikit-learn version this one cannot load."""


class CorruptModel(CurnlpError):
    """A bundle file is missing, truncated, modified or unreadable."""


class CorpusError(CurnlpError, ValueError):
    """A labelled corpus is unusable as given (missing columns, empty labels, ...)."""


def describe(value: object) -> str:
    """A short description of ``value`` for error messages: its type and a preview."""
    preview = repr(value)
    if len(preview) > 60:
        preview = preview[:57] + "..."
    return f"{type(value).__name__} {preview}"
