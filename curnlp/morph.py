"""The one shared pymorphy3 analyzer of curnlp, built lazily, and cached lemmatization.

Everything in curnlp that needs lemmas or inflection goes through this module, so a
process holds one dictionary and one bounded lemma cache. Nothing here imports
pymorphy2 or natasha's MorphVocab.

Lemmas of the 100,000 commonest Russian dictionary words come precomputed from
``data/lemmas_ru.tsv.gz`` (built by ``scripts/build_lemma_table.py`` with this module's
:func:`computed_lemma`, see there): a word seen for the first time then costs a dictionary
look-up instead of a pymorphy3 analysis. The table is used only with the pymorphy3
dictionary it was built from (else every lemma is computed, the same as without it).
Computed lemmas take pymorphy3's first parse through :mod:`curnlp.mirrors.pymorphy3`,
which skips scoring every reading when the installed pymorphy3 is one it mirrors.
"""
from __future__ import annotations

import gzip
import json
import logging
import os
import re
import threading
import zlib
from functools import lru_cache
from importlib import resources

import pymorphy3

from .mirrors.pymorphy3 import first_parse

__all__ = ["analyzer", "lemma", "computed_lemma", "parse", "lemma_table", "dictionary_id", "LEMMA_CACHE_SIZE",
           "LEMMA_RULES"]

log = logging.getLogger(__name__)

#: How many distinct words keep their lemma in memory (a bounded LRU cache).
LEMMA_CACHE_SIZE = 200_000

#: Version of the rules :func:`lemma` adds to pymorphy3 (ё folding, abbreviations kept):
#: a lemma table built under other rules is not used.
LEMMA_RULES = 1
#: The dictionary fields a lemma table must match (pymorphy3-dicts-ru's revision).
_DICTIONARY_KEYS = ("source_revision", "corpus_revision", "compiled_at")
TABLE_FILE = "data/lemmas_ru.tsv.gz"

_lock = threading.RLock()  # the table reader asks for the analyzer
_CYRILLIC = re.compile("[а-я]")  # a lowercase Russian letter (ё is folded to е first)
_analyzer: pymorphy3.MorphAnalyzer | None = None
_table: dict[str, str] | None = None
#: The environment variable naming a dictionary directory to pymorphy3 (PYMORPHY2_DICT_PATH in 2.0)
_DICT_PATH_VARIABLE = getattr(pymorphy3.MorphAnalyzer, "DICT_PATH_ENV_VARIABLE", "PYMORPHY2_DICT_PATH")


def analyzer() -> pymorphy3.MorphAnalyzer:
    """The process-wide pymorphy3 analyzer (Russian), created on first use."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = pymorphy3.MorphAnalyzer(path=_dictionary_path(), lang="ru")
    return _analyzer


def _dictionary_path() -> str | None:
    """pymorphy3-dicts-ru's data directory, the one pymorphy3 would find through the
    package entry points, without scanning every installed package; None (pymorphy3 decides)
    when pymorphy3's ``PYMORPHY2_DICT_PATH`` (sic) is set or the package is not importable."""
    if _DICT_PATH_VARIABLE in os.environ:
        return None
    try:
        import pymorphy3_dicts_ru
    except ImportError:
        return None
    return pymorphy3_dicts_ru.get_path()


def dictionary_id() -> dict[str, str]:
    """What identifies the installed pymorphy3 dictionary (a lemma table must match it)."""
    meta = analyzer().dictionary.meta
    return {k: str(meta.get(k)) for k in _DICTIONARY_KEYS}


def lemma_table() -> dict[str, str]:
    """The precomputed lemmas (lowercase form with ё folded → lemma), loaded on first use;
    empty when the file is missing or was built for another dictionary or other rules."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _read_table()
    return _table


def _read_table() -> dict[str, str]:
    try:
        data = gzip.decompress(resources.files("curnlp").joinpath(TABLE_FILE).read_bytes()).decode("utf-8")
        head, forms, lemmas = data.split("\n\n")
        meta = json.loads(head)
    except (OSError, EOFError, zlib.error, ValueError) as exc:  # missing, truncated, damaged: lemmas are computed
        log.warning("curnlp: lemma table %s not used (%s)", TABLE_FILE, exc)
        return {}
    if meta.get("rules") != LEMMA_RULES or meta.get("dictionary") != dictionary_id():
        log.info("curnlp: lemma table %s was built for another pymorphy3 dictionary; lemmas are computed", TABLE_FILE)
        return {}
    forms_list, lemmas_list = forms.split("\n"), lemmas.split("\n")
    if len(forms_list) != len(lemmas_list) or len(forms_list) != meta.get("words"):
        log.warning("curnlp: lemma table %s is inconsistent; lemmas are computed", TABLE_FILE)
        return {}
    return dict(zip(forms_list, lemmas_list))


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
    if _CYRILLIC.search(low) is None:
        return low
    known = lemma_table().get(low)
    return known if known is not None else computed_lemma(low)


def computed_lemma(low: str) -> str:
    """:func:`lemma` of a lowercase Cyrillic word with ё folded, from pymorphy3 (no table, no cache):
    the normal form of pymorphy3's first parse, or the word itself for an abbreviation.

    >>> computed_lemma("ул"), computed_lemma("улицах"), computed_lemma("почнму")
    ('ул', 'улица', 'почнм')
    """
    tag, normal_form = first_parse(analyzer(), low)
    if "Abbr" in tag:  # "д", "ул", "см": keep abbreviations as written
        return low
    return normal_form.replace("ё", "е")
