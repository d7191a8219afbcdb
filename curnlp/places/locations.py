"""Structured locations in a message: region, district, city, inner okrug, settlement, street, house.

A single left-to-right scan over the tokens of a :class:`~curnlp.normalize.Normalized`
message: type words ("ул.", "пр-т", "д.", "р-н", "с.", ...) are dictionary lookups on the
lowercase token, names are the capitalized (or, in an all-lowercase message, the
grammatically fitting) words next to them, and names written without a type word are
found by looking their lemmas up in the region gazetteer (:mod:`curnlp.places.packs`). pymorphy3
(through :mod:`curnlp.morph`, cached) is consulted only for the few candidate words, to
put names into the nominative (``улица Союзная``, ``переулок Светлый``). No regex runs
over the text, so time is linear in its length.

This module holds the result type and the scan loop; the parts it runs are
:mod:`~curnlp.places.lexicon` (type words and guards), :mod:`~curnlp.places.names` (names
into the nominative), :mod:`~curnlp.places.scan` (per-message state and shared helpers),
:mod:`~curnlp.places.houses` (house numbers) and :mod:`~curnlp.places.recognizers` (streets,
settlements, cities, districts, landmarks).

>>> [(l.kind, l.normal) for l in extract_locations("Яма на ул. Союзной, д.71б")]
[('street', 'улица Союзная'), ('house', 'дом 71Б')]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..errors import InvalidInput, describe
from ..normalize import Normalized, normalize
from .lexicon import (ADDRESS_WORDS, BEFORE_POST, CROSSING, HOUSE, INSTITUTION_QUALIFIERS, INSTITUTIONS, LANDMARKS, MARKERS,
                      PREP_PLACE, START_WORDS)
from .packs import Region, load_region
from .recognizers import PlaceScan

__all__ = ["Location", "KINDS", "extract_locations", "extract_locations_many"]

#: Location kinds, from the largest unit to the smallest; then numbered landmarks ("школа № 54").
KINDS = ("region", "district", "city", "city_okrug", "settlement", "street", "house", "landmark")


@dataclass(frozen=True, slots=True)
class Location:
    """A place mentioned in a message.

    ``text`` is the mention as written (from the clean text, markup removed), ``normal``
    its canonical form (``улица Союзная``, ``дом 71Б``, ``Курский район``,
    ``город Курск``), ``start``/``end`` its offsets in the ORIGINAL message.
    """

    kind: str
    text: str
    normal: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"kind": self.kind, "text": self.text, "normal": self.normal, "start": self.start, "end": self.end}


class _Scan(PlaceScan):
    """One scan of one message: which recognizer runs on which token. Not shared between calls."""

    __slots__ = ()

    def starts(self) -> list[int]:
        """Tokens where a recognizer of :meth:`scan` can start: numbers and "№", and the words that
        pass the entry test of some recognizer (the tests at the top of marker, post_marker,
        house_marker, landmark, crossing and unmarked, repeated here in one loop for speed; keep
        them in step: tests/test_places_shortcuts.py compares with a scan of every token).
        The scan skips every other token (most words)."""
        low, cap, n = self.low, self.cap, self.n
        street_keys, surface_names, lower_doc = self.region.street_keys, self.region.surface_names, self.lower_doc
        out = []
        for i, t in enumerate(self.toks):
            if t.kind == "word":
                w = low[i]
                if (cap[i] or lower_doc or w in START_WORDS or t.lemma in LANDMARKS
                        or i + 1 < n and low[i + 1] in BEFORE_POST
                        or i > 0 and (low[i - 1] in ADDRESS_WORDS or low[i - 1] == ":"
                                      or low[i - 1] in PREP_PLACE and surface_names(t.lemma))
                        or street_keys(t.lemma)):
                    out.append(i)
            elif t.kind == "number" or low[i] == "№":
                out.append(i)
        return out

    def scan(self) -> None:
        toks, low, n = self.toks, self.low, self.n
        i = 0  # tokens before i are done
        for k in self.starts():
            if k < i or self.used[k]:
                continue
            i = k
            w = low[i]
            if toks[i].kind != "word" or w[:1].isdigit():
                nxt = self.number_house(i)
                if nxt is not None:
                    i = nxt
                    continue
            # each recognizer is tried only on the words that can start it (see starts())
            nxt = self.marker(i, w) if w in MARKERS else None
            if nxt is None and i + 1 < n and low[i + 1] in BEFORE_POST:
                nxt = self.post_marker(i, w)
            if nxt is None and w in HOUSE:
                nxt = self.house_marker(i, w)
            if nxt is None and toks[i].lemma in LANDMARKS:
                nxt = self.landmark(i)
            if (nxt is None and i + 1 < n and (toks[i + 1].lemma in INSTITUTIONS or toks[i + 1].lemma in INSTITUTION_QUALIFIERS)
                    and (self.cap[i] or self.lower_doc)):
                nxt = self.institution(i)
            if nxt is None and w in CROSSING:
                nxt = self.crossing(i)
            if nxt is None:
                nxt = self.unmarked(i, w)
            i = nxt if nxt is not None and nxt > i else i + 1

    def result(self) -> list[Location]:
        doc = self.doc
        spans = [(self.toks[a].start, self.toks[b - 1].stop, kind, normal) for a, b, kind, normal in self.out]
        locs = []
        for cs, ce, kind, normal in sorted(spans + self.pieces):
            start, end = doc.span_to_original(cs, ce)
            locs.append(Location(kind, doc.clean[cs:ce], normal, start, end))
        return locs



def _region(region: Region | str | None) -> Region:
    return load_region("kursk" if region is None else region)


def extract_locations(doc_or_text: str | Normalized, region: Region | str | None = None) -> list[Location]:
    """Locations mentioned in one message, in text order.

    Parameters
    ----------
    doc_or_text : str or Normalized
        The raw message (normalized here) or an already normalized one.
    region : Region or str, optional
        Gazetteer for names written without a type word ("в Курске", "Коренево");
        default the shipped Kursk pack.

    Raises
    ------
    InvalidInput
        If ``doc_or_text`` is neither a ``str`` nor a :class:`Normalized`.

    Examples
    --------
    >>> [l.normal for l in extract_locations("в д. Духовец Курского р-на")]
    ['деревня Духовец', 'Курский район']
    """
    if isinstance(doc_or_text, Normalized):
        doc = doc_or_text
    elif isinstance(doc_or_text, str):
        doc = normalize(doc_or_text)
    else:
        raise InvalidInput(f"expected a message as str or Normalized, got {describe(doc_or_text)}")
    scan = _Scan(doc, _region(region))
    scan.scan()
    return scan.result()


def extract_locations_many(texts: Iterable[str | Normalized], region: Region | str | None = None) -> list[list[Location]]:
    """:func:`extract_locations` for many messages (the region pack is loaded once)."""
    if isinstance(texts, (str, bytes, Normalized)):
        raise InvalidInput(f"expected an iterable of messages, got {describe(texts)}")
    reg = _region(region)
    return [extract_locations(t, reg) for t in texts]
