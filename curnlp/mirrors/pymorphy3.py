"""pymorphy3's first parse of a word, without building every scored ``Parse``.

curnlp needs only the tag and normal form of ``MorphAnalyzer.parse(word)[0]`` to lemmatize
a word. ``parse()`` builds and scores a ``Parse`` for each reading: 2-5 for a dictionary
word, 10-50 guesses for a typo or an unknown compound, and sorts them. The mirror runs
the same steps on pymorphy3's raw tuples and keeps only the best one. It reads
pymorphy3's private ``_units`` and its dictionary and probability tables, so it is used
only with the pymorphy3 releases of :data:`MIRRORS` (and only while ``_units`` looks as
it does there); otherwise it asks ``parse()``. pymorphy3-dicts-ru is data read through
pymorphy3's own code: its release does not change what the mirror copies.

>>> from curnlp.morph import analyzer
>>> tag, normal_form = first_parse(analyzer(), "дорогами")
>>> normal_form, tag.POS
('дорога', 'NOUN')
>>> first_parse(analyzer(), "почнму")[1] == library_first_parse(analyzer(), "почнму")[1]
True
"""
from __future__ import annotations

from typing import Any

from . import supported

__all__ = ["MIRRORS", "SUPPORTED", "first_parse", "dictionary_parse", "guessed_parse", "library_first_parse"]

#: The pymorphy3 releases whose analysis loop and first-parse choice are copied here.
MIRRORS = {"pymorphy3": ("2.0.6",)}
SUPPORTED = supported("pymorphy3", MIRRORS)

#: (tag, normal form) of a parse; the tag is pymorphy3's ``OpencorporaTag``.
TagAndForm = tuple[Any, str]


def first_parse(morph, low: str) -> TagAndForm:
    """(tag, normal form) of ``morph.parse(low)[0]`` for a lowercase word.

    ``morph`` is a ``pymorphy3.MorphAnalyzer``.
    """
    if not SUPPORTED:
        return library_first_parse(morph, low)
    top = dictionary_parse(morph, low)
    return top if top is not None else guessed_parse(morph, low)


def library_first_parse(morph, low: str) -> TagAndForm:
    """pymorphy3's own answer (the reference of the mirror, and its fallback)."""
    best = morph.parse(low)[0]
    return best.tag, best.normal_form


def dictionary_parse(morph, low: str) -> TagAndForm | None:
    """:func:`first_parse` of a lowercase word the dictionary knows; None for any other word.

    pymorphy3's steps: the dictionary readings of the word (for lowercase input the
    abbreviated-initial units add none, and the dictionary unit group is then terminal),
    each scored by P(tag | word); the first reading with the highest probability wins
    (pymorphy3 sorts stably, and keeps the order when all are 0).
    """
    if not SUPPORTED:
        if not morph.word_is_known(low):
            return None
        return library_first_parse(morph, low)
    estimator = morph.prob_estimator
    if estimator is None:
        return None
    dictionary = morph.dictionary
    found = dictionary.words.similar_items(low, morph.char_substitutes)
    if not found:
        return None
    if len(found) == 1 and len(found[0][1]) == 1:  # one reading: no probability to compare
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


def guessed_parse(morph, low: str) -> TagAndForm:
    """:func:`first_parse` of a lowercase word the dictionary does not know (typos,
    compounds, prefixed forms).

    pymorphy3's own loop over its analyzer units (prefixes, suffixes, hyphens...: the costly
    part, unchanged), then its choice of the first parse: the first one with the highest
    P(tag | word) when the word has any, else the first one (pymorphy3 keeps the units'
    order then). Asks ``parse()`` when the units are not held as in the mirrored releases.
    """
    units = getattr(morph, "_units", None)
    estimator = morph.prob_estimator
    if not SUPPORTED or not isinstance(units, list) or estimator is None:
        return library_first_parse(morph, low)
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
