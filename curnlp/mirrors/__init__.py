"""Copies of libraries' internals, kept in one place.

curnlp re-implements a few private pieces of its dependencies where the public call is
too slow for routing (razdel's join rules, pymorphy3's unknown-word loop, slovnet/Navec
inference, a scikit-learn sparse helper). Each mirror module here:

* names the releases it mirrors (``MIRRORS``: distribution -> version prefixes);
* checks the installed versions once, at import (:func:`supported`), and when they differ
  uses the library's own public call instead (slower, never wrong), logging it once;
* is tested equal to the library on a small sample shipped with the tests, so the
  equality tests never skip for want of the corpus.
"""
from __future__ import annotations

import logging
from importlib import metadata

log = logging.getLogger("curnlp")


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def supported(mirror: str, versions: dict[str, tuple[str, ...]]) -> bool:
    """Whether every distribution of ``versions`` is installed at one of its listed version
    prefixes (``"0.5."`` matches 0.5.0); logs once, naming the mirror, when not."""
    for distribution, prefixes in versions.items():
        got = installed_version(distribution)
        if got is None or not any(got == p.rstrip(".") or got.startswith(p) for p in prefixes):
            log.info("curnlp: %s mirrors %s %s, found %s: using the library's own call",
                     mirror, distribution, " or ".join(prefixes), got)
            return False
    return True
