"""The one shared pymorphy3 analyzer of curnlp, built lazily, and cached lemmatization.

Everything in curnlp that needs lemmas or inflection goes through this module, so a
process holds one dictionary and one bounded lemma cache. Nothing here imports
pymorphy2 or natasha's MorphVocab.

Lemmas of the 100,000 commonest Russian dictionary words come precomputed from
``data/lemmas_ru.tsv.gz`` (built by ``scripts/build_lemma_table.py`` with this module's
:func:`computed_lemma`, see there): a word seen for the first time then costs a dictionary
look-up instead of a pymorphy3 analysis. The table is used only with the pymorphy3
dictionary it was built from (else every lemma is computed, the same as without it).
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
    package entry points (scanning them costs ~25 ms of a load); None (pymorphy3 decides)
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
    """:func:`lemma` of a lowercase Cyrillic word with ё folded, from pymorphy3 (no table, no cache)."""
    top = _top_dictionary_parse(low)
    tag, normal_form = top if top is not None else _top_guessed_parse(low)
    if "Abbr" in tag:  # "д", "ул", "см": keep abbreviations as written
        return low
    return normal_form.replace("ё", "е")


def _top_dictionary_parse(low: str) -> tuple | None:
    """(tag, normal form) of ``analyzer().parse(low)[0]`` for a lowercase dictionary word,
    without building every parse: None when the dictionary does not know ``low``.

    The same steps as pymorphy3: the dictionary readings of the word (for lowercase
    input the abbreviated-initial units add none, and the dictionary unit group is then
    terminal), each scored by P(tag | word); the first reading with the highest
    probability wins (pymorphy3 sorts stably, and keeps the order when all are 0).
    2-3x faster than ``parse()`` on words not seen before; identical lemmas are checked
    by ``tests/test_normalize.py`` on the corpus vocabulary.
    """
    morph = analyzer()
    estimator = morph.prob_estimator
    if estimator is None:
        return None
    dictionary = morph.dictionary
    found = dictionary.words.similar_items(low, morph.char_substitutes)
    if not found:
        return None
    if len(found) == 1 and len(found[0][1]) == 1:  # one reading: no probability to compare (half the words)
        fixed_word, ((para_id, idx),) = found[0]
        return dictionary.build_tag_info(para_id, idx), dictionary.build_normal_form(para_id, idx, fixed_word)
    prob = estimator.p_t_given_w.prob
    best, best_p = None, -1.0
    for fixed_word, parses in found:
        for para_id, idx in parses:
            tag = dictionary.build_tag_info(para_id, idx)
            p = prob(low, tag)
            if p > best_p:
                best, best_p = (fixed_word, para_id, idx, tag), p
    if best is None:
        return None
    fixed_word, para_id, idx, tag = best
    return tag, dictionary.build_normal_form(para_id, idx, fixed_word)


def _top_guessed_parse(low: str) -> tuple:
    """(tag, normal form) of ``analyzer().parse(low)[0]`` for a word the dictionary does not
    know (typos, compounds, prefixed forms), without building every parse.

    pymorphy3's own loop over its analyzer units (prefixes, suffixes, hyphens...: the costly
    part, unchanged), then its choice of the first parse: the first one with the highest
    P(tag | word) when the word has any, else the first one (pymorphy3 keeps the units'
    order then). ~40% faster than ``parse()`` on unknown words, which build a scored
    ``Parse`` for each of their 10-50 guesses; identical results are checked by
    ``tests/test_normalize.py``. Falls back to :func:`parse` when pymorphy3's internals differ.
    """
    morph = analyzer()
    units = getattr(morph, "_units", None)
    estimator = morph.prob_estimator
    if not isinstance(units, list) or estimator is None:
        best = parse(low)[0]
        return best.tag, best.normal_form
    found: list = []
    seen: set = set()
    for unit, is_terminal in units:
        found.extend(unit.parse(low, low, seen))
        if is_terminal and found:
            break
    best = found[0]  # the last unit (UNKN) answers when no other did
    p_t_given_w = estimator.p_t_given_w
    has_prefix = getattr(p_t_given_w, "has_keys_with_prefix", None)
    if len(found) > 1 and (has_prefix is None or has_prefix(low + ":")):
        best_p = 0.0
        for guess in found:
            p = p_t_given_w.prob(low, guess[1])
            if p > best_p:
                best, best_p = guess, p
    return best[1], best[2]
