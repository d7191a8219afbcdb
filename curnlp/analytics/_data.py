"""Reading scored archives (``curnlp score`` output) into pandas for the analytics.

Only the documented columns of a scored file are used (every input column plus ``topic``,
``group``, ``agency``, confidences, ``needs_review``, ``municipality``, ``locations``,
``error``; ``group_name`` and ``review_reasons`` when present), never batch internals.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import CorpusError
from ..io import SUFFIXES, read_frame
from ..io.dates import datetimes, parse_window

__all__ = ["ROUTING_COLUMNS", "DATE_HINTS", "TEXT_HINTS", "read_scored", "check_scored", "time_column",
           "text_column", "parse_times", "parse_window", "clean_label", "group_names", "municipality_parents",
           "place_mentions", "NO_LABEL", "NO_PLACE", "group_label", "place_label", "with_municipality_column",
           "fold_name"]

#: Columns ``curnlp score`` adds to every input row (present or future).
ROUTING_COLUMNS = ("topic", "topic_confidence", "group", "group_name", "agency", "agency_confidence",
                   "needs_review", "municipality", "locations", "review_reasons", "error")
#: Substrings of column names that suggest a date (lowercase).
DATE_HINTS = ("дата", "date", "время", "time", "создан", "created", "поступ", "timestamp", "day")
#: Substrings of column names that suggest the message text (lowercase).
TEXT_HINTS = ("текст", "text", "сообщени", "message", "обращени", "body", "content")
_TRUE = {"true", "1", "да", "yes", "1.0"}
#: Shown for a row without a municipality, and for a missing label.
NO_PLACE = "не определено"
NO_LABEL = "—"


def read_scored(path: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    """Read a scored archive (CSV or TSV with any delimiter and encoding ``curnlp score`` reads,
    JSONL, Parquet, XLSX) with :func:`curnlp.io.read_frame`; a DataFrame is returned as is.

    CSV cells stay strings (ids like ``007`` keep their zeros), empty cells are missing values.
    Raises :class:`CorpusError` when the file is missing or unreadable.
    """
    if isinstance(path, pd.DataFrame):
        return path
    p = Path(path)
    if not p.exists():
        raise CorpusError(f"{p} does not exist")
    frame = read_frame(p)
    if SUFFIXES.get(p.suffix.lower()) not in ("csv", "jsonl"):
        return frame
    for c in frame.columns[(frame.dtypes == object).to_numpy()]:
        # typed as pandas types a table it reads: an empty cell is missing, text columns are str
        column = frame[c]
        column = column.mask(column == "")
        kind = pd.api.types.infer_dtype(column, skipna=True)
        frame[c] = column.astype("str") if kind in ("string", "empty") else column.infer_objects()
    return frame


def check_scored(df: pd.DataFrame, source: str = "input", needed: Sequence[str] = ("topic", "group", "municipality")) -> None:
    """Raise :class:`CorpusError` unless ``df`` carries the routing columns ``needed``."""
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise CorpusError(f"{source} is not a scored archive (missing {missing}); run curnlp score first. "
                          f"Its columns are {list(df.columns)}")


def _input_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in ROUTING_COLUMNS]


def time_column(df: pd.DataFrame, name: str | None = None) -> str | None:
    """The column with message times: ``name`` (checked) or the first input column whose name
    suggests a date and whose values mostly parse; ``None`` when there is none."""
    if name is not None:
        if name not in df.columns:
            raise CorpusError(f"time column {name!r} not in the archive; its columns are {list(df.columns)}")
        return name
    for c in _input_columns(df):
        if any(h in str(c).lower() for h in DATE_HINTS):
            sample = df[c].head(500)
            if sample.notna().sum() and parse_times(sample).notna().mean() >= 0.5:
                return c
    return None


def text_column(df: pd.DataFrame, name: str | None = None) -> str:
    """The message text column: ``name`` (checked), a column named like a text, or the longest one."""
    if name is not None:
        if name not in df.columns:
            raise CorpusError(f"text column {name!r} not in the archive; its columns are {list(df.columns)}")
        return name
    candidates = [c for c in _input_columns(df) if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    if not candidates:
        raise CorpusError(f"no text column in the archive; its columns are {list(df.columns)}")
    named = [c for c in candidates if any(h in str(c).lower() for h in TEXT_HINTS)
             and not any(h in str(c).lower() for h in DATE_HINTS)]
    pool = named or candidates
    lengths = {c: df[c].head(2000).astype(str).str.len().mean() for c in pool}
    return max(pool, key=lambda c: lengths[c])


#: Timestamps of a column (naive, ``NaT`` where unparseable), by the date rules of :mod:`curnlp.io.dates`.
parse_times = datetimes


def clean_label(values: pd.Series) -> pd.Series:
    """Labels as strings: ``3.0`` → ``3``, blanks → ``<NA>``."""
    s = values.astype("string").str.strip()
    s = s.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return s.mask(s == "")


def is_true(values: pd.Series) -> pd.Series:
    """A boolean column read from any format (``True``/``true``/``1``/``да``)."""
    if values.dtype == bool:
        return values
    return values.astype("string").str.strip().str.lower().isin(_TRUE).fillna(False).astype(bool)


def group_names(df: pd.DataFrame, region: Any | None) -> dict[str, str]:
    """Group code → name, from the ``group_name`` column, else from the region pack's ``groups``."""
    names: dict[str, str] = {}
    if region is not None:
        names.update({str(k): str(v) for k, v in (getattr(region, "groups", None) or {}).items()})
    if "group_name" in df.columns and "group" in df.columns:
        pairs = pd.DataFrame({"g": clean_label(df["group"]), "n": clean_label(df["group_name"])}).dropna()
        for g, name in pairs.drop_duplicates("g").itertuples(index=False):
            names[str(g)] = str(name)
    return names


def municipality_parents(region: Any | None) -> dict[str, str]:
    """Inner city okrug name → its city's name (``Сеймский округ`` → ``Курск``) from a region pack."""
    if region is None:
        return {}
    munis: Mapping[str, Any] = region.municipalities
    return {m.name: munis[m.parent].name for m in munis.values()
            if m.kind == "city_okrug" and m.parent in munis}


def location_items(cell: Any) -> list[Mapping]:
    """The locations of one scored ``locations`` cell: a JSON list (as CSV and JSONL outputs
    write it) or a list; anything else (empty, NaN, unreadable) gives none."""
    if isinstance(cell, str):
        if not cell.startswith("["):
            return []
        try:
            cell = json.loads(cell)
        except ValueError:
            return []
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [loc for loc in cell if isinstance(loc, Mapping)]
    return []


def place_mentions(locations: Any, kinds: Sequence[str] = ("city", "settlement")) -> list[str]:
    """Normal forms of the places of ``kinds`` in one ``locations`` cell (JSON list or list)."""
    return [str(loc["normal"]) for loc in location_items(locations) if loc.get("kind") in kinds and loc.get("normal")]


def read_timed(data: pd.DataFrame | str | os.PathLike[str], time_column_name: str | None = None
               ) -> tuple[pd.DataFrame, str, str]:
    """A scored archive with a time column: ``(frame, source name, time column)``; raises
    :class:`CorpusError` when it is not scored or has no time column."""
    source = "input" if isinstance(data, pd.DataFrame) else os.fspath(data)
    df = read_scored(data)
    check_scored(df, source, ("municipality",))
    tcol = time_column(df, time_column_name)
    if tcol is None:
        raise CorpusError(f"{source}: no time column found; name it with --time-column")
    return df, source, tcol


def load_region_or_none(region: Any) -> Any | None:
    """A region pack from a name, path or object; ``None`` stays ``None``."""
    if region is None or not isinstance(region, (str, os.PathLike)):
        return region
    from ..places import load_region
    return load_region(region)


def group_label(code: Any, names: dict[str, str]) -> str:
    """«Name (code)» when the code has a name, else the code (or «—»)."""
    if code is None or code is pd.NA or (isinstance(code, float) and np.isnan(code)) or code == "":
        return NO_LABEL
    code = str(code)
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code


def place_label(m: str, parents: dict[str, str]) -> str:
    """«Курск › Сеймский округ» for an inner okrug, the name otherwise."""
    return f"{parents[m]} › {m}" if m in parents else m


def fold_name(text: Any) -> str:
    """A municipality name as compared: case folded, ё → е, spaces collapsed."""
    return " ".join(str(text).casefold().replace("ё", "е").split())


def with_municipality_column(df: pd.DataFrame, name: str | None, source: str = "input") -> pd.DataFrame:
    """``df`` whose ``municipality`` is filled from column ``name`` where the model gave none.

    A model trained without a region pack gives no municipality, and every per-place analysis
    (spikes, briefs, incidents) then has nothing to work on; the archive's own address,
    municipality or agency column can stand in. Values are stripped and spaces collapsed; the
    spellings that differ only in case or ё become the most frequent one («АДМИНИСТРАЦИЯ
    КУРСКА» and «Администрация Курска» are one place). A model's municipality is kept. ``None``
    returns ``df`` unchanged; a copy is returned otherwise (the caller's frame is not changed).
    """
    if not name:
        return df
    if name not in df.columns:
        raise CorpusError(f"{source}: municipality column {name!r} (--municipality-column) not found; "
                          f"its columns are {list(df.columns)}")
    values = df[name].astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    values = values.mask(values == "")
    folded = values.map(fold_name, na_action="ignore")
    spelling = (pd.DataFrame({"k": folded, "v": values}).dropna().groupby(["k", "v"]).size()
                .sort_values(ascending=False, kind="stable").reset_index().drop_duplicates("k")
                .set_index("k")["v"])
    cleaned = folded.map(spelling)
    out = df.copy(deep=False)
    if "municipality" in out.columns:
        own = clean_label(out["municipality"]).str.rstrip("?")
        own = own.mask(own == "")
        out["municipality"] = own.fillna(cleaned).astype(object).where(lambda s: s.notna(), None)
    else:
        out["municipality"] = cleaned.astype(object).where(cleaned.notna(), None)
    return out
