"""The one shared pymorphy3 analyzer of curnlp, built lazily, and cached lemmatization.

Everything in curnlp that needs lemmas or inflection goes through this module, so a
process holds one dictionary and one bounded lemma cache. Nothing here imports
pymorphy2 or natasha's MorphVocab.
"""
from __future__ import annotations

import threading
from functools import lru_cache

import pymorphy3

__all__ = ["analyzer", "lemma", "parse", "LEMMA_CACHE_SIZE"]

#: How many distinct words keep their lemma in memory (a bounded LRU cache).
LEMMA_CACHE_SIZE = 200_000

_lock = threading.Lock()
_analyzer: pymorphy3.MorphAnalyzer | None = None


def analyzer() -> pymorphy3.MorphAnalyzer:
    """The process-wide pymorphy3 analyzer (Russian), created on first use."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = pymorphy3.MorphAnalyzer(lang="ru")
    return _analyzer


@lru_cache(maxsize=50_000)
def parse(word: str) -> tuple:
    """pymorphy3 parses of ``word`` (cached; the tuple is shared, do not mutate)."""
    return tuple(analyzer().parse(word))


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def lemma(word: str) -> str:
    """Lowercase dictionary form of ``word`` with ё folded to е.

    Words without Cyrillic letters are only lowercased.

    >>> lemma("Дорогами")
    'дорога'
    """
    low = word.lower().replace("ё", "е")
    if not any("а" <= ch <= "я" for ch in low):
        return low
    best = analyzer().parse(low)[0]
    if "Abbr" in best.tag:  # "д", "ул", "см": keep abbreviations as written
        return low
    return best.normal_form.replace("ё", "е")
