"""Messages of a labelled archive turned into classifier records, once per archive.

The records come from :class:`curnlp.pipeline.Pipeline`, the stages the Router runs, so
training and serving cannot build a record two ways.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..corpus import LabelledCorpus, format_time, load_corpus, read_table, time_column
from ..errors import CorpusError
from ..pipeline import MAX_LENGTH, Pipeline
from ..places import Region, load_region
from ..models import RoutingClassifier
from ..records import MessageRecord

log = logging.getLogger("curnlp")


@dataclass
class Prepared:
    """Messages turned into classifier records once, with their municipality."""

    records: list[MessageRecord]
    municipalities: list[str | None]
    groups: np.ndarray  # duplicate groups for grouped folds
    #: False where a message has no word after cleaning (the router would flag it ``no_words``)
    has_words: np.ndarray | None = None
    #: positions in the validated corpus of the rows kept (None: all)
    kept: np.ndarray | None = None


def _load_region(region: Region | str | os.PathLike[str] | None) -> Region | None:
    """A region pack, or None for "no pack" (no locations, no municipality)."""
    return None if region is None else load_region(region)


def prepare(texts: Sequence[str], region: Region | str | None = None, progress: bool = False,
            max_length: int = MAX_LENGTH) -> Prepared:
    """Every text through the Router's own per-message stages (:class:`curnlp.pipeline.Pipeline`)
    into a classifier record, so a model is trained on records built exactly as the ones it routes.

    With ``region=None`` no gazetteer is used: no locations are looked for and every
    record's municipality is None (the agency model then learns from the text alone). A
    message about another region gets no municipality, as when it is routed. A message with
    no word gets an empty record and ``has_words`` False.
    """
    pipeline = Pipeline(_load_region(region), max_length)
    records, munis, words = [], [], []
    iterator: Iterable[str] = texts
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(texts, desc="preparing", unit="msg")
    for text in iterator:
        read = pipeline.read(text)
        match = read.place.municipality if read.place is not None else None
        records.append(read.record if read.record is not None else _EMPTY)
        munis.append(match.name if match is not None else None)
        words.append(read.readable)
    keys = [" ".join(r.text.lower().split()) for r in records]
    return Prepared(records, munis, pd.factorize(pd.Series(keys, dtype=object))[0], np.array(words, dtype=bool))


_EMPTY = MessageRecord(())


def _with_words(corpus: LabelledCorpus, prepared: Prepared) -> tuple[LabelledCorpus, Prepared]:
    """The corpus and its prepared rows without the rows that have no words after cleaning
    (markup, digits, links or punctuation only: the router flags them ``no_words``), noting them in ``corpus.problems``."""
    keep = prepared.has_words
    if keep is None or keep.all():
        return corpus, prepared
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        raise CorpusError("no message has any word left after cleaning (markup, links, digits and punctuation removed)")
    problems = corpus.problems + [f"{int((~keep).sum())} row(s) with no words after cleaning (markup, digits "
                                  "or punctuation only) were skipped"]
    corpus = LabelledCorpus([corpus.texts[i] for i in idx], {t: [v[i] for i in idx] for t, v in corpus.labels.items()},
                            corpus.columns, corpus.sha256, problems)
    prepared = Prepared([prepared.records[i] for i in idx], [prepared.municipalities[i] for i in idx],
                        pd.factorize(prepared.groups[idx])[0], keep[idx], idx)
    return corpus, prepared


def _corpus(data, text, topic, group, agency, min_examples, rare) -> LabelledCorpus:
    """The validated corpus for training: every label column must have two classes or more."""
    corpus = load_corpus(data, text=text, topic=topic, group=group, agency=agency,
                         min_examples=min_examples, rare=rare)
    for target, values in corpus.labels.items():
        distinct = {v for v in values if v is not None}
        if len(distinct) < 2:
            raise CorpusError(f"label column {corpus.columns[target]!r} ({target}) has a single class "
                              f"{next(iter(distinct))!r}" + (" after merging the rare classes" if rare == "other" else "")
                              + f": nothing to learn; drop {target}= or lower min_examples")
    return corpus


_prepared_cache: dict[tuple, Prepared] = {}


def _prepared(corpus: LabelledCorpus, region: Region | None, progress: bool) -> tuple[LabelledCorpus, Prepared]:
    """:func:`prepare` of the corpus's texts, remembered for the last two lists of texts (records
    depend only on the texts and the region: ``train`` after ``cross_validate`` on the same data
    does not normalize everything again, whatever its label columns), then :func:`_with_words`."""
    digest = hashlib.sha256("\x1e".join(corpus.texts).encode("utf-8")).hexdigest()
    key = (digest, None if region is None else (region.name, region.source, id(region)))
    prepared = _prepared_cache.get(key)
    if prepared is None:
        prepared = prepare(corpus.texts, region, progress)
        while len(_prepared_cache) >= 2:
            _prepared_cache.pop(next(iter(_prepared_cache)))
        _prepared_cache[key] = prepared
    return _with_words(corpus, prepared)


@dataclass
class _Timed:
    """The time column of a training run: parsed values (aligned with the prepared rows),
    their kind and the column name as found."""

    values: np.ndarray
    kind: str
    column: str

    def format(self, value: float) -> str:
        return format_time(value, self.kind)


def _load_training_data(data, text, topic, group, agency, min_examples, rare, time_col, reg, progress
                        ) -> tuple[LabelledCorpus, Prepared, _Timed | None]:
    """Validated corpus, prepared rows and (with ``time_col``) the parsed times of the rows kept."""
    timed = None
    if time_col is not None:
        if not isinstance(time_col, str):
            raise CorpusError(f"time= must be a column name (str), got {type(time_col).__name__}")
        frame = read_table(data) if isinstance(data, (str, os.PathLike)) else data
        if not isinstance(frame, pd.DataFrame):
            raise CorpusError(f"expected a pandas DataFrame or a file path, got {type(data).__name__}")
        values, kind, found = time_column(frame, time_col, text)
        timed = _Timed(values, kind, found)
        data = frame
    corpus = _corpus(data, text, topic, group, agency, min_examples, rare)
    corpus, prepared = _prepared(corpus, reg, progress)
    if timed is not None and prepared.kept is not None:
        timed = _Timed(timed.values[prepared.kept], timed.kind, timed.column)
    for problem in corpus.problems:
        log.warning("curnlp: %s", problem)
    return corpus, prepared, timed


def check_options(options: Mapping[str, Any]) -> None:
    """Refuse keyword options that :class:`~curnlp.models.RoutingClassifier` does not take."""
    valid = sorted(set(RoutingClassifier().get_params()) - {"random_state"})
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; RoutingClassifier takes {valid}")
