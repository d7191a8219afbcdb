"""What the classifiers see of a message, and the periods of an archive: the plain data
shared by training (:mod:`curnlp.features`, :mod:`curnlp.models`) and serving
(:mod:`curnlp.predictor`). Only numpy: routing imports this without scikit-learn.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import InvalidInput

__all__ = ["OTHER", "MessageRecord", "as_records", "lemma_doc", "char_doc", "Period", "period_of"]


#: The class that rare labels are merged into when training with ``rare="other"``. It is
#: learned (its messages are not lost) but never given as a decision: nobody can send a
#: message to «другое» (see :func:`curnlp.predictor.reported`).
OTHER = "другое"


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """What the classifiers see of one message.

    ``lemmas``: lemmas of the message (lowercase, ё→е); ``text``: the clean text;
    ``municipality``: resolved municipality name (e.g. ``"Курск"``, ``"Льговский район"``)
    or ``None``.
    """

    lemmas: tuple[str, ...]
    text: str = ""
    municipality: str | None = None

    @classmethod
    def from_normalized(cls, normalized: Any, municipality: str | None = None) -> "MessageRecord":
        """Build a record from a :class:`curnlp.normalize.Normalized`."""
        return cls(tuple(normalized.lemmas), normalized.clean, municipality)


def _one(rec: Any) -> MessageRecord:
    if isinstance(rec, MessageRecord):
        if rec.municipality is not None and not isinstance(rec.municipality, str):
            raise InvalidInput("MessageRecord.municipality must be a str or None")
        return rec
    if isinstance(rec, Mapping):
        try:
            lemmas = rec["lemmas"]
        except KeyError:
            raise InvalidInput("a message record needs the key 'lemmas'") from None
        if isinstance(lemmas, str):
            lemmas = tuple(lemmas.split())
        text = rec.get("text")
        if text is None:
            text = " ".join(lemmas)
        muni = rec.get("municipality")
        muni = muni.strip() or None if isinstance(muni, str) else None
        return MessageRecord(tuple(lemmas), str(text), muni)
    raise InvalidInput(f"expected a MessageRecord or a mapping, got {type(rec).__name__}")


def as_records(records: Iterable[Any]) -> list[MessageRecord]:
    """Validate and convert a sequence of records/mappings into :class:`MessageRecord` s."""
    if isinstance(records, (str, bytes, Mapping, MessageRecord)):
        raise InvalidInput("expected a sequence of message records, not a single record")
    return [_one(r) for r in records]



def lemma_doc(rec: MessageRecord) -> str:
    """The document the word TF-IDF reads: the lemmas joined by spaces."""
    return " ".join(rec.lemmas)


def char_doc(rec: MessageRecord) -> str:
    """The document the character n-grams read: the clean text (lemmas when there is
    none), lowercase, ё→е; character n-grams catch typos and unknown words."""
    return (rec.text or " ".join(rec.lemmas)).lower().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of the archive with one labelling convention: rows with ``start <= time <= end``
    (times as sortable numbers, see :func:`curnlp.corpus.parse_times`), their count, and the
    labels whose share in it differs most from the rest of the archive (``{label: share}``)."""

    start: float
    end: float
    rows: int
    labels: dict

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "rows": self.rows,
                "labels": {k: round(v, 3) for k, v in self.labels.items()}}


def period_of(times: Sequence[float] | None, periods: Sequence[Period], n: int) -> np.ndarray:
    """Index of the period of each time (``None``/NaN and ``times=None``: the latest
    period; before the first period: the first; between two: the earlier). ``n``: the
    number of records; InvalidInput when ``times`` has another length."""
    if times is None:
        return np.full(n, len(periods) - 1, dtype=int)
    times = list(times)
    if len(times) != n:
        raise InvalidInput(f"times: {len(times)} values for {n} records")
    t = np.array([np.nan if v is None else v for v in times], dtype=float)
    starts = np.array([p.start for p in periods])
    idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(periods) - 1)
    return np.where(np.isfinite(t), idx, len(periods) - 1).astype(int)
