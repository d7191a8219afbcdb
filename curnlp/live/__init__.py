"""The live loop: update a bundle from corrections, notice a change of convention, keep the
promise of its unflagged routings, and replay an archive in time order to measure all that.

* :func:`update` (``Router.update``): retrain on the bundle's rows plus new labelled rows;
* :class:`Monitor` (``Router.observe``): a CUSUM on the errors of unflagged routings that
  flags ``convention_changed`` when they go wrong more often than promised;
* :func:`choose_threshold`: the risk-controlling review threshold behind ``Router.promise``;
* :func:`replay`: prequential evaluation of all of the above on a dated archive.

Importing this package loads nothing heavy (names resolve on first use).
"""
from __future__ import annotations


from .._lazy import lazy_getattr

_LAZY = {"update": "curnlp.live.update", "keep_rows": "curnlp.live.update", "rows_of": "curnlp.live.update",
         "Monitor": "curnlp.live.monitor", "observe": "curnlp.live.observe",
         "choose_threshold": "curnlp.live.promise", "replay": "curnlp.live.replay",
         "ReplayResult": "curnlp.live.replay"}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
