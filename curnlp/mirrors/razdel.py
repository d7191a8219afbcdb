"""razdel's tokenizer on one whitespace-free chunk, on plain tuples.

:func:`curnlp.normalize.normalize` cuts the common chunks of a message (a word, a number,
a word with one punctuation mark) itself and hands only the others («д.5,», «т.е.»,
«37б/2», «10-15», «Ростов-на-Дону», «:-)») to :func:`chunk_tokens`. razdel builds a split
object with cached properties for every pair of atoms; the mirror applies razdel's own
atom pattern and join rules, in razdel's order, to tuples, which gives the same tokens at
a fraction of the cost. It reads razdel's private ``segmenters`` modules, so it is used
only with the razdel releases of :data:`MIRRORS`; with another release every such chunk
goes through the public ``razdel.tokenize``.

>>> chunk_tokens("д.5,")
((0, 1, 'д'), (1, 2, '.'), (2, 3, '5'), (3, 4, ','))
>>> [text for _, _, text in chunk_tokens("Ростов-на-Дону,")]
['Ростов-на-Дону', ',']
"""
from __future__ import annotations

from functools import lru_cache

import razdel

from . import supported

__all__ = ["MIRRORS", "SUPPORTED", "CHUNK_CACHE_MAX_CHARS", "chunk_tokens", "split_chunk", "library_split"]

#: The razdel releases whose atoms and join rules :func:`mirror_split` copies.
MIRRORS = {"razdel": ("0.5.",)}
SUPPORTED = supported("razdel", MIRRORS)
if SUPPORTED:
    try:
        from razdel.segmenters.punct import DASHES as _DASHES, ENDINGS as _ENDINGS
        from razdel.segmenters.tokenize import ATOM as _ATOM, SMILE as _SMILE
    except ImportError:  # a patched or repackaged razdel: its internals moved
        SUPPORTED = False

#: Chunks up to this length keep their tokens in a cache («ул.», «д.5,», «т.е.» recur);
#: longer ones (a 100,000-dot "word") are tokenized each time, never kept.
CHUNK_CACHE_MAX_CHARS = 40

Span = tuple[int, int, str]


def chunk_tokens(chunk: str) -> tuple[Span, ...]:
    """``razdel.tokenize(chunk)`` as (start, stop, text), for a chunk without whitespace;
    cached for chunks up to :data:`CHUNK_CACHE_MAX_CHARS` characters."""
    if len(chunk) <= CHUNK_CACHE_MAX_CHARS:
        return _short_chunk_tokens(chunk)
    return split_chunk(chunk)


@lru_cache(maxsize=50_000)
def _short_chunk_tokens(chunk: str) -> tuple[Span, ...]:
    return split_chunk(chunk)


def split_chunk(chunk: str) -> tuple[Span, ...]:
    """:func:`chunk_tokens` without the cache: the mirror when the installed razdel is one of
    :data:`MIRRORS`, else razdel's public call.

    >>> split_chunk("37б/2") == library_split("37б/2")
    True
    """
    return mirror_split(chunk) if SUPPORTED else library_split(chunk)


def library_split(chunk: str) -> tuple[Span, ...]:
    """razdel's own answer (the reference of the mirror, and its fallback).

    >>> library_split("т.е.")
    ((0, 1, 'т'), (1, 2, '.'), (2, 3, 'е'), (3, 4, '.'))
    """
    return tuple((s.start, s.stop, s.text) for s in razdel.tokenize(chunk))


def mirror_split(chunk: str) -> tuple[Span, ...]:
    """razdel's atoms (its ``ATOM`` pattern) joined by its rules, for a whitespace-free chunk.

    Within a chunk every delimiter between atoms is empty, so razdel's rules reduce to the
    tests of :func:`_joins`. Only valid when :data:`SUPPORTED` (razdel's internals imported).
    """
    atoms = [(m.start(), m.end(), m.lastgroup, m.group()) for m in _ATOM.finditer(chunk)]
    if not atoms:
        return ()
    out = []
    n = len(atoms)
    start, stop = atoms[0][0], atoms[0][1]
    for i in range(1, n):
        if _joins(atoms, i, n, chunk, start, stop):
            stop = atoms[i][1]
        else:
            out.append((start, stop, chunk[start:stop]))
            start, stop = atoms[i][0], atoms[i][1]
    out.append((start, stop, chunk[start:stop]))
    return tuple(out)


if SUPPORTED:
    #: razdel's 2112 rules (dash, underscore, float, fraction): the delimiter atoms and whether
    #: the atoms around it must both be numbers (else: neither may be punctuation)
    _RULES_2112 = tuple((frozenset(chars), numbers) for chars, numbers in
                        ((_DASHES, False), ("_", False), (".,", True), ("/\\", True)))
    _RULE_CHARS = frozenset(_DASHES + "_.,/\\")


def _joins(atoms: list[tuple[int, int, str, str]], i: int, n: int, chunk: str, start: int, stop: int) -> bool:
    """Whether razdel joins atom ``i`` to the token ``chunk[start:stop]`` before it: its
    rules dash, underscore, float, fraction, punct, other and yahoo, the first that decides."""
    _, _, ltype, left = atoms[i - 1]
    _, _, rtype, right = atoms[i]
    if left in _RULE_CHARS or right in _RULE_CHARS:
        for chars, numbers in _RULES_2112:
            if left in chars:
                if i < 2:
                    continue
                a, b = atoms[i - 2][2], rtype
            elif right in chars:
                if i + 1 >= n:
                    continue
                a, b = ltype, atoms[i + 1][2]
            else:
                continue
            if (a == "INT" and b == "INT") if numbers else (a != "PUNCT" and b != "PUNCT"):
                return True
    if ltype == "PUNCT":
        # a smiley has at most 5 characters: longer tokens are not copied (linear time on
        # a long punctuation run)
        if rtype == "PUNCT" and (stop - start < 5 and _SMILE.match(chunk[start:stop] + right)
                                 or (left in _ENDINGS and right in _ENDINGS)
                                 or left + right in ("--", "**")):
            return True
    elif ltype == "OTHER":
        if rtype in ("OTHER", "RU", "LAT"):
            return True
    elif rtype == "OTHER" and ltype in ("RU", "LAT"):
        return True
    return right == "!" and left.lower() == "yahoo"
