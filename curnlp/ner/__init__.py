"""Stage 2a: named entities (persons, organizations, locations) with normal forms.

Natasha's news NER (slovnet + Navec, read from the files natasha ships, without importing
natasha or pymorphy2) tags the tokens of a normalized message; pymorphy3 gives each entity
its nominative normal form («Ивановой Марии Петровне» -> «Иванова Мария Петровна»).

* :mod:`curnlp.ner.extract` — :func:`extract_entities`, :func:`extract_entities_many, distinct_entities`,
  :class:`Entity`: from a message to its entities with offsets into the original text;
* :mod:`curnlp.ner.tagger` — :class:`NER`: the model files, batching, long messages;
* :mod:`curnlp.ner.forms` — :func:`normal_form`;
* the numpy inference itself is :mod:`curnlp.mirrors.slovnet`.

>>> [(e.type, e.normal) for e in extract_entities(
...     "Жалоба на МУП «Водоканал» города Курска, звонила Петровой Ольге")]
[('ORG', 'МУП «Водоканал»'), ('LOC', 'Курск'), ('PER', 'Петрова Ольга')]
"""
from __future__ import annotations

from .extract import ENTITY_TYPES, Entity, distinct_entities, extract_entities, extract_entities_many
from .forms import normal_form
from .tagger import NER

__all__ = ["Entity", "NER", "extract_entities", "extract_entities_many", "distinct_entities", "normal_form", "ENTITY_TYPES"]
