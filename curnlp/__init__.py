"""curnlp: routing Russian citizens' complaints to the agency responsible.

Importing curnlp loads nothing heavy: analyzers, NER models and the default model
bundle are built on first use and shared by the whole process.

>>> from curnlp.normalize import normalize
>>> normalize("<p>Яма&nbsp;на дороге</p>").clean
'Яма на дороге'
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it; resolved lazily on first attribute access
_LAZY: dict[str, str] = {
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'curnlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
