"""Entities of messages: the tagger's spans turned into :class:`Entity` values.

Tagging runs on :attr:`Normalized.clean` and reuses its razdel tokens, so nothing is
tokenized twice; offsets are mapped back into the original message. A message typed in
one case (CAPS LOCK, all lowercase) is re-cased for the tagger, which relies on
capitalization; the entity's text keeps the message's spelling. Span edges lose
placeholders and punctuation, a surname and the first name after it become one person,
and each entity gets its normal form (:mod:`curnlp.ner.forms`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..errors import InvalidInput, describe
from ..normalize import Normalized, Token, normalize
from .forms import STREET_WORDS, _normal_cached, _truecase
from .tagger import NER, chunk_ranges

__all__ = ["Entity", "ENTITY_TYPES", "extract_entities", "extract_entities_many"]

#: The entity types the tagger emits.
ENTITY_TYPES = ("PER", "ORG", "LOC")


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity found in a message.

    Attributes
    ----------
    type : str
        ``"PER"`` (person), ``"ORG"`` (organization) or ``"LOC"`` (location).
    text : str
        The entity as it reads in the clean text (markup removed, spacing collapsed).
    normal : str
        Nominative normal form, e.g. ``"Иванова Мария Петровна"`` for «Ивановой Марии
        Петровне»; capitalization of each word follows the message.
    start, end : int
        Offsets into the ORIGINAL message; ``original[start:end]`` is the raw source of
        the entity (equal to ``text`` unless markup or entities sat inside it).

    >>> Entity("LOC", "Курской области", "Курская область", 21, 36).to_dict()["normal"]
    'Курская область'
    """

    type: str
    text: str
    normal: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict of the fields."""
        return {"type": self.type, "text": self.text, "normal": self.normal,
                "start": self.start, "end": self.end}


def _as_doc(doc_or_text: Normalized | str) -> Normalized:
    if isinstance(doc_or_text, Normalized):
        return doc_or_text
    if isinstance(doc_or_text, str):
        return normalize(doc_or_text)
    hint = " (decode bytes first)" if isinstance(doc_or_text, (bytes, bytearray)) else ""
    raise InvalidInput(f"expected a message as str or Normalized, got {describe(doc_or_text)}{hint}")


_PLACEHOLDER_KIND = "placeholder"


def _merge_persons(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Join PER spans on adjacent tokens: the tagger often opens a new span at the first
    name after a surname («Кузнецовой | Светлане Ивановне»), two people never touch.

    >>> _merge_persons([(0, 1, "PER"), (1, 3, "PER"), (3, 4, "LOC"), (4, 5, "PER")])
    [(0, 3, 'PER'), (3, 4, 'LOC'), (4, 5, 'PER')]
    """
    out: list[tuple[int, int, str]] = []
    for a, b, type_ in spans:
        if out and type_ == "PER" and out[-1][2] == "PER" and out[-1][1] == a:
            out[-1] = (out[-1][0], b, "PER")
        else:
            out.append((a, b, type_))
    return out


# Letters of a message decide whether it is written in one case only: the tagger
# relies on capitalization, so CAPS LOCK and all-lowercase messages are re-cased
# for the tagger (offsets and the entity text are untouched).
_MIN_LETTERS_FOR_RECASING = 20
_UPPER = re.compile(r"[А-ЯЁA-Z]")
_LOWER = re.compile(r"[а-яёa-z]")


def _ner_words(doc: Normalized) -> list[str]:
    """The token texts fed to the tagger, re-cased when the message has one case only."""
    words = [t.text for t in doc.tokens]
    clean = doc.clean
    upper = len(_UPPER.findall(clean))
    if upper and len(clean) > 8 * upper:  # cheap exit for the usual mixed-case message
        return words
    letters = upper + len(_LOWER.findall(clean))
    if letters < _MIN_LETTERS_FOR_RECASING or (upper < 0.6 * letters and upper > 0):
        return words
    return [_truecase(t.text) if t.kind == "word" else t.text for t in doc.tokens]


def _after_street_word(tokens: Sequence[Token], index: int) -> bool:
    """Whether the token before ``index`` (skipping a dot) is a street word such as «ул.»."""
    j = index - 1
    if j >= 0 and tokens[j].text == ".":
        j -= 1
    return j >= 0 and tokens[j].text.lower() in STREET_WORDS


def _entities_of(doc: Normalized, chunk_spans: list[tuple[int, list[tuple[int, int, str]]]]) -> list[Entity]:
    tokens = doc.tokens
    clean = doc.clean
    out: list[Entity] = []
    for offset, spans in chunk_spans:
        for a, b, type_ in _merge_persons(spans):
            a += offset
            b += offset
            # trim placeholders and punctuation off the edges (quotes stay if balanced inside)
            while a < b and (tokens[a].kind == _PLACEHOLDER_KIND or (tokens[a].kind == "punct"
                                                                     and tokens[a].text not in "«\"")):
                a += 1
            while a < b and (tokens[b - 1].kind == _PLACEHOLDER_KIND or (tokens[b - 1].kind == "punct"
                                                                         and tokens[b - 1].text not in "»\"")):
                b -= 1
            if a >= b or not any(t.kind == "word" for t in tokens[a:b]):
                continue
            span_tokens: Sequence[Token] = tokens[a:b]
            cs, ce = span_tokens[0].start, span_tokens[-1].stop
            words = tuple(t.text for t in span_tokens)
            gaps = tuple(clean[x.stop:y.start] for x, y in zip(span_tokens, span_tokens[1:]))
            start, end = doc.span_to_original(cs, ce)
            text = clean[cs:ce]
            normal = text if _after_street_word(tokens, a) else _normal_cached(type_, words, gaps)
            out.append(Entity(type_, text, normal, start, end))
    return out


def extract_entities_many(docs_or_texts: Iterable[Normalized | str], ner: NER | None = None) -> list[list[Entity]]:
    """Entities of many messages, tagged in length-sorted batches.

    Parameters
    ----------
    docs_or_texts : iterable of str or Normalized
        Messages (raw text is normalized first).
    ner : NER, optional
        Tagger to use; default the shared one (:meth:`NER.shared`).

    Returns
    -------
    list of list of Entity
        One list per message, entities in text order; same as calling
        :func:`extract_entities` on each message.

    Raises
    ------
    InvalidInput
        If an item is neither ``str`` nor :class:`Normalized`.
    """
    docs = [_as_doc(d) for d in docs_or_texts]
    plan: list[tuple[int, int, int]] = []  # (doc index, token start, token stop)
    for di, doc in enumerate(docs):
        for a, b in chunk_ranges(doc):
            plan.append((di, a, b))
    if not plan:
        return [[] for _ in docs]
    ner = ner or NER.shared()
    words = [_ner_words(doc) for doc in docs]
    sequences = [words[di][a:b] for di, a, b in plan]
    tagged = ner.tag(sequences)
    per_doc: list[list[tuple[int, list[tuple[int, int, str]]]]] = [[] for _ in docs]
    for (di, a, _), spans in zip(plan, tagged):
        if spans:
            per_doc[di].append((a, spans))
    return [_entities_of(doc, chunks) if chunks else [] for doc, chunks in zip(docs, per_doc)]


def extract_entities(doc_or_text: Normalized | str, ner: NER | None = None) -> list[Entity]:
    """Persons, organizations and locations of one message.

    Parameters
    ----------
    doc_or_text : str or Normalized
        The message, raw or already normalized.
    ner : NER, optional
        Tagger to use; default the shared one, loaded on first call.

    Returns
    -------
    list of Entity
        In text order, offsets into the original message.

    Raises
    ------
    InvalidInput
        If the input is neither ``str`` nor :class:`Normalized`.

    Examples
    --------
    >>> [e.normal for e in extract_entities("Прошу наказать Иванову Марию Петровну")]
    ['Иванова Мария Петровна']
    """
    return extract_entities_many([doc_or_text], ner)[0]


#: Entities a Routing keeps per message: a long text repeats its names.
MAX_ENTITIES = 100


def distinct_entities(entities: Sequence[Entity], limit: int = MAX_ENTITIES) -> list[Entity]:
    """Each entity once (its first mention, by type and normal form), at most ``limit``.

    >>> e = [Entity("PER", "Ивановой", "Иванова", 0, 8), Entity("PER", "Иванова", "Иванова", 20, 27)]
    >>> [x.start for x in distinct_entities(e)]
    [0]
    """
    seen: set[tuple[str, str]] = set()
    out: list[Entity] = []
    for entity in entities:
        if (entity.type, entity.normal) not in seen:
            seen.add((entity.type, entity.normal))
            out.append(entity)
            if len(out) == limit:
                break
    return out
