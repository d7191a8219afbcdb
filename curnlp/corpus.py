"""Reading labelled archives (CSV, JSONL, Parquet, XLSX) with column mapping and validation."""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import io as _io
from .records import OTHER
from .errors import CorpusError, describe
from .io.dates import format_time, parse_times

log = logging.getLogger("curnlp")

__all__ = ["read_table", "sniff_delimiter", "LabelledCorpus", "load_corpus", "TEXT_COLUMNS", "guess_text_column", "OTHER",
           "parse_times", "format_time", "time_column"]

#: Text column names of common exports, tried in order when none is given.
TEXT_COLUMNS = ("Текст инцидента", "Текст Сообщения", "Текст сообщения", "Текст обращения", "Текст",
                "text", "Text", "message", "body")


#: The delimiter detector of scoring (:func:`curnlp.io.sniff_delimiter`): training reads tables with it too.
sniff_delimiter = _io.sniff_delimiter


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV (encoding and delimiter detected), JSONL, Parquet or XLSX file.

    Read by :func:`curnlp.io.read_frame`, with the detection and the broken-record recovery
    of ``curnlp score``; records that cannot be read are left out, logged, and listed in
    ``frame.attrs["read_problems"]``.

    Raises
    ------
    CorpusError
        If the file is missing, of an unknown type or unreadable.
    """
    return _io.read_frame(path)


def guess_text_column(columns) -> str:
    """The first of :data:`TEXT_COLUMNS` present in ``columns``."""
    for name in TEXT_COLUMNS:
        if name in columns:
            return name
    raise CorpusError(f"no text column found; looked for {list(TEXT_COLUMNS)}, the file has {list(columns)}")


def _label(value: Any) -> str | None:
    """A label as a clean string, or None when empty/missing (2.0 -> '2' for float-typed codes)."""
    if value is None or (not isinstance(value, (str, list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


@dataclass
class LabelledCorpus:
    """Texts and their labels after validation; a label is None where the row has none."""

    texts: list[str]
    labels: dict[str, list[str | None]]
    columns: dict[str, str]
    sha256: str
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def targets(self) -> list[str]:
        return list(self.labels)


def _norm_name(name: Any) -> str:
    return " ".join(str(name).replace("\ufeff", "").split()).casefold()


def _resolve_column(wanted: str, columns: list) -> str | None:
    """``wanted`` as present in ``columns``: exactly, else up to case, spaces and a BOM."""
    if wanted in columns:
        return wanted
    matches = [c for c in columns if _norm_name(c) == _norm_name(wanted)]
    return matches[0] if len(matches) == 1 else None


def _missing_columns_error(missing: Mapping[str, str], columns: list) -> CorpusError:
    import difflib
    by_norm = {_norm_name(c): c for c in columns}
    lines = []
    for target, name in missing.items():
        close = difflib.get_close_matches(_norm_name(name), list(by_norm), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(by_norm[c]) for c in close)}?)" if close else ""
        lines.append(f"{target}={name!r}{hint}")
    return CorpusError(f"column(s) not in the data: {'; '.join(lines)}. The data has the columns "
                       f"{[str(c) for c in columns]}")


def _examples(items, k: int = 8) -> str:
    items = list(items)
    shown = ", ".join(repr(x) for x in items[:k])
    return shown + (f", ... (+{len(items) - k})" if len(items) > k else "")


def load_corpus(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None,
                topic: str | None = None, group: str | None = None, agency: str | None = None,
                min_examples: int = 2, rare: str = "other") -> LabelledCorpus:
    """Validate a labelled archive and return its texts and labels.

    Parameters
    ----------
    data : DataFrame or path
        The archive (a path is read with :func:`read_table`).
    text, topic, group, agency : str
        Column names; ``text`` defaults to the first of :data:`TEXT_COLUMNS` present.
        At least one label column is required; names match up to case and spacing.
    min_examples : int
        Classes with fewer labelled rows are rare.
    rare : {"other", "keep", "error"}
        Merge rare classes into :data:`OTHER` («другое»), keep them as they are (they are
        reported in ``problems``), or raise.

    Returns
    -------
    LabelledCorpus
        Rows with an empty text are dropped; ``problems`` lists what was found and done
        (skipped rows, rare classes, rows without labels, duplicated texts with
        conflicting labels) for the caller to log.

    Raises
    ------
    CorpusError
        Missing columns (listing those present), no label column, no non-empty text, a
        label column with no values, rare classes with ``rare="error"``.

    Examples
    --------
    >>> from curnlp.sample import sample_archive
    >>> df = sample_archive(40)
    >>> df.loc[3, "Исполнитель"] = None
    >>> corpus = load_corpus(df, text="Текст обращения", group="Категория", agency="Исполнитель")
    >>> len(corpus), sorted(corpus.labels)
    (40, ['agency', 'group'])
    """
    if rare not in ("other", "keep", "error"):
        raise CorpusError(f"rare must be 'other', 'keep' or 'error', not {rare!r}")
    if isinstance(min_examples, bool) or not isinstance(min_examples, (int, np.integer)) or min_examples < 1:
        raise CorpusError(f"min_examples must be a positive integer, not {min_examples!r}")
    frame = read_table(data) if isinstance(data, (str, os.PathLike)) else data
    if not isinstance(frame, pd.DataFrame):
        raise CorpusError(f"expected a pandas DataFrame or a file path, got {describe(data)}")
    if frame.empty:
        raise CorpusError(f"the data has no rows (columns: {[str(c) for c in frame.columns]})")
    present = list(frame.columns)
    text = text or guess_text_column(present)
    wanted = {"text": text, "topic": topic, "group": group, "agency": agency}
    for target, name in wanted.items():
        if name is not None and not isinstance(name, str):
            raise CorpusError(f"{target}= must be a column name (str), got {describe(name)}")
    columns = {k: v for k, v in wanted.items() if v is not None}
    resolved = {k: _resolve_column(v, present) for k, v in columns.items()}
    missing = {k: columns[k] for k, v in resolved.items() if v is None}
    if missing:
        raise _missing_columns_error(missing, present)
    columns = {k: v for k, v in resolved.items() if v is not None}
    text = columns["text"]
    if len(columns) == 1:
        raise CorpusError("give at least one label column: topic=, group= or agency= "
                          f"(the data has the columns {[str(c) for c in present]})")
    if any(v == text for k, v in columns.items() if k != "text"):
        raise CorpusError(f"the text column {text!r} is also given as a label column")
    problems: list[str] = []
    raw_texts = frame[text].tolist()
    keep = [isinstance(t, str) and bool(t.strip()) for t in raw_texts]
    if not any(keep):
        raise CorpusError(f"column {text!r} has no non-empty text in its {len(raw_texts)} row(s)")
    if not all(keep):
        problems.append(f"{keep.count(False)} of {len(keep)} row(s) with an empty or non-text {text!r} were skipped")
    texts = [t for t, k in zip(raw_texts, keep) if k]
    labels: dict[str, list[str | None]] = {}
    for target in ("topic", "group", "agency"):
        column = columns.get(target)
        if column is None:
            continue
        values = [_label(v) for v, k in zip(frame[column].tolist(), keep) if k]
        if all(v is None for v in values):
            raise CorpusError(f"label column {column!r} ({target}) has no values in the rows with a text")
        counts = Counter(v for v in values if v is not None)
        small = sorted((c for c, n in counts.items() if n < min_examples), key=lambda c: (counts[c], c))
        if small:
            rows = sum(counts[c] for c in small)
            listed = _examples(f"{c} ({counts[c]})" for c in small)
            if rare == "error":
                raise CorpusError(
                    f"{len(small)} {target} class(es) of {column!r} have fewer than {min_examples} examples "
                    f"({rows} rows): {listed}. Pass rare='other' to merge them into {OTHER!r}, rare='keep' to "
                    "keep them, or a smaller min_examples")
            if rare == "other":
                smallset = set(small)
                values = [OTHER if v in smallset else v for v in values]
                problems.append(f"{len(small)} rare {target} class(es) (< {min_examples} rows; {rows} rows in all) "
                                f"merged into {OTHER!r}: {listed}")
            else:
                problems.append(f"{len(small)} {target} class(es) have fewer than {min_examples} rows "
                                f"({rows} rows, kept): {listed}")
        unlabelled = sum(v is None for v in values)
        if unlabelled:
            problems.append(f"{unlabelled} of {len(values)} row(s) have no {target} label ({column!r}); "
                            f"they are not used for the {target} model")
        labels[target] = values
    no_label = sum(all(labels[t][i] is None for t in labels) for i in range(len(texts)))
    if no_label:
        problems.append(f"{no_label} row(s) have no label at all")
    problems.extend(_duplicates(texts, labels))
    digest = hashlib.sha256()
    for row in zip(texts, *labels.values()):
        digest.update("\x1f".join("" if v is None else v for v in row).encode("utf-8"))
        digest.update(b"\x1e")
    return LabelledCorpus(texts, labels, columns, digest.hexdigest(), problems)


def _duplicates(texts: list[str], labels: Mapping[str, list[str | None]]) -> list[str]:
    """Reports on repeated texts (case and spacing aside): how many, and per target how many
    carry conflicting labels, with the most frequent example."""
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        rows.setdefault(" ".join(t.lower().split()), []).append(i)
    repeated = [idx for idx in rows.values() if len(idx) > 1]
    if not repeated:
        return []
    out = [f"{len(repeated)} text(s) occur more than once ({sum(map(len, repeated))} rows); "
           "cross-validation keeps each in one fold"]
    for target, values in labels.items():
        conflicts = []
        for idx in repeated:
            seen = Counter(values[i] for i in idx if values[i] is not None)
            if len(seen) > 1:
                conflicts.append((idx, seen))
        if conflicts:
            idx, seen = max(conflicts, key=lambda c: len(c[0]))
            preview = " ".join(re.sub(r"<[^>]*>", " ", texts[idx[0]]).split())
            preview = preview if len(preview) <= 60 else preview[:57] + "..."
            out.append(f"{len(conflicts)} duplicated text(s) ({sum(len(i) for i, _ in conflicts)} rows) carry "
                       f"conflicting {target} labels, e.g. {preview!r}: "
                       + ", ".join(f"{label!r} ×{n}" for label, n in seen.most_common(3)))
    return out


def time_column(frame: pd.DataFrame, column: str, text: str | None = None) -> tuple[np.ndarray, str, str]:
    """The parsed time column of a labelled archive, for the rows :func:`load_corpus` keeps
    (those with a non-empty text): ``(values, kind, column name as found)``."""
    present = list(frame.columns)
    found = _resolve_column(column, present)
    if found is None:
        raise _missing_columns_error({"time": column}, present)
    text_column = _resolve_column(text or guess_text_column(present), present) or text
    keep = [isinstance(t, str) and bool(t.strip()) for t in frame[text_column].tolist()]
    values = [v for v, k in zip(frame[found].tolist(), keep) if k]
    parsed, kind = parse_times(values, found)
    return parsed, kind, found
