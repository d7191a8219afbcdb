"""Reading labelled archives (CSV, JSONL, Parquet, XLSX) with column mapping and validation."""
from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .errors import CorpusError, describe

__all__ = ["read_table", "LabelledCorpus", "load_corpus", "TEXT_COLUMNS", "guess_text_column", "OTHER"]

#: Text column names of common exports, tried in order when none is given.
TEXT_COLUMNS = ("Текст инцидента", "Текст Сообщения", "Текст сообщения", "Текст обращения", "Текст",
                "text", "Text", "message", "body")
#: Label given to the merged rare classes when ``rare="other"``.
OTHER = "другое"


def _decode(raw: bytes, source: str) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"{source}: neither UTF-8 nor cp1251 text")


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV (encoding and delimiter detected), JSONL, Parquet or XLSX file as strings.

    Raises
    ------
    CorpusError
        If the file is missing, of an unknown type or unreadable.
    """
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"no such file: {str(p)!r}")
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            text = _decode(p.read_bytes(), str(p))
            delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(text[:20_000])
            return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(p, lines=True, dtype=False).astype(object)
        if suffix == ".parquet":
            return pd.read_parquet(p)
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(p, dtype=str)
    except CorpusError:
        raise
    except Exception as exc:
        raise CorpusError(f"{p}: cannot read as {suffix[1:]}: {type(exc).__name__}: {exc}") from exc
    raise CorpusError(f"{p}: unknown file type {suffix!r}; use .csv, .tsv, .jsonl, .parquet or .xlsx")


def guess_text_column(columns) -> str:
    """The first of :data:`TEXT_COLUMNS` present in ``columns``."""
    for name in TEXT_COLUMNS:
        if name in columns:
            return name
    raise CorpusError(f"no text column found; looked for {list(TEXT_COLUMNS)}, the file has {list(columns)}")


def _label(value: Any) -> str | None:
    """A label as a clean string, or None when empty/missing (2.0 -> '2' for float-typed codes)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
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
        At least one label column is required.
    min_examples : int
        Classes with fewer labelled rows are rare.
    rare : {"other", "keep", "error"}
        Merge rare classes into :data:`OTHER`, keep them as they are, or raise.

    Raises
    ------
    CorpusError
        Missing columns (listing those present), no label column, empty texts only, a
        label column with no values, rare classes with ``rare="error"``.
    """
    if rare not in ("other", "keep", "error"):
        raise CorpusError(f"rare must be 'other', 'keep' or 'error', not {rare!r}")
    frame = read_table(data) if isinstance(data, (str, os.PathLike)) else data
    if not isinstance(frame, pd.DataFrame):
        raise CorpusError(f"expected a pandas DataFrame or a file path, got {describe(data)}")
    text = text or guess_text_column(frame.columns)
    wanted = {"text": text, "topic": topic, "group": group, "agency": agency}
    columns = {k: v for k, v in wanted.items() if v is not None}
    missing = [v for v in columns.values() if v not in frame.columns]
    if missing:
        raise CorpusError(f"column(s) {missing} not in the data; its columns are {list(frame.columns)}")
    if len(columns) == 1:
        raise CorpusError("give at least one label column: topic=, group= or agency=")
    problems: list[str] = []
    raw_texts = frame[text].tolist()
    keep = [isinstance(t, str) and bool(t.strip()) for t in raw_texts]
    if not any(keep):
        raise CorpusError(f"column {text!r} has no non-empty text")
    if not all(keep):
        problems.append(f"{keep.count(False)} row(s) with empty or non-text {text!r} were skipped")
    texts = [t for t, k in zip(raw_texts, keep) if k]
    labels: dict[str, list[str | None]] = {}
    for target in ("topic", "group", "agency"):
        column = columns.get(target)
        if column is None:
            continue
        values = [_label(v) for v, k in zip(frame[column].tolist(), keep) if k]
        if all(v is None for v in values):
            raise CorpusError(f"label column {column!r} ({target}) has no values")
        counts = Counter(v for v in values if v is not None)
        small = sorted(c for c, n in counts.items() if n < min_examples)
        if small:
            if rare == "error":
                raise CorpusError(f"{len(small)} {target} class(es) have fewer than {min_examples} examples: "
                                  f"{small[:10]}{' ...' if len(small) > 10 else ''}")
            if rare == "other":
                smallset = set(small)
                values = [OTHER if v in smallset else v for v in values]
                problems.append(f"{len(small)} rare {target} class(es) (< {min_examples} rows) merged into {OTHER!r}")
            else:
                problems.append(f"{len(small)} {target} class(es) have fewer than {min_examples} rows")
        labels[target] = values
    conflicts = _conflicting_duplicates(texts, labels)
    if conflicts:
        problems.append(conflicts)
    digest = hashlib.sha256()
    for row in zip(texts, *labels.values()):
        digest.update("\x1f".join("" if v is None else v for v in row).encode("utf-8"))
        digest.update(b"\x1e")
    return LabelledCorpus(texts, labels, columns, digest.hexdigest(), problems)


def _conflicting_duplicates(texts: list[str], labels: Mapping[str, list[str | None]]) -> str | None:
    seen: dict[str, set] = {}
    for i, t in enumerate(texts):
        seen.setdefault(" ".join(t.lower().split()), set()).add(tuple(v[i] for v in labels.values()))
    dups = sum(1 for k, v in seen.items() if len(v) > 1)
    if not dups:
        return None
    return f"{dups} duplicated text(s) carry conflicting labels"
