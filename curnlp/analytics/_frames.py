"""What the calendar, points and control tables share: reading any archive (raw or scored),
periods (weeks from Monday, calendar months) and Russian dates and numbers.

Raw archives are read with the project's reader (:func:`curnlp.io.read_frame`: encoding and
``;``/``,`` detection, broken-record recovery); Parquet and XLSX with the analytics reader.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CorpusError, InvalidInput
from ._data import clean_label, parse_times, read_scored

__all__ = ["read_table", "column", "times_of", "as_timestamp", "period_start", "FREQS", "MONTHS_GEN",
           "MONTHS_NOM", "ru_date", "ru_period", "ru_number", "labels_of", "group_column"]

#: Period codes: W = weeks starting on Monday, M = calendar months.
FREQS = ("W", "M")
MONTHS_NOM = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
              "ноябрь", "декабрь")
MONTHS_GEN = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
              "ноября", "декабря")


def read_table(data: pd.DataFrame | str | os.PathLike[str]) -> tuple[pd.DataFrame, str]:
    """``(frame, source name)`` of a table: a DataFrame as is; CSV/TSV/JSONL with the project's
    reader (cells as strings); Parquet/XLSX with the analytics reader."""
    if isinstance(data, pd.DataFrame):
        return data, "input"
    p = Path(data)
    if not p.exists():
        raise CorpusError(f"{p} does not exist")
    if p.suffix.lower() in (".parquet", ".pq", ".xlsx", ".xlsm"):
        return read_scored(p), os.fspath(p)
    from ..io import read_frame
    frame = read_frame(p)
    frame = frame.where(frame.notna() & (frame.astype("string") != ""), None) if len(frame) else frame
    return frame, os.fspath(p)


def column(df: pd.DataFrame, name: str | None, what: str, option: str, source: str) -> str:
    """``name`` checked against the columns (one-line error naming the option)."""
    if not name:
        raise InvalidInput(f"{source}: name the {what} column with {option}")
    if name not in df.columns:
        raise CorpusError(f"{source}: {what} column {name!r} ({option}) not found; the columns are {list(df.columns)}")
    return name


def group_column(df: pd.DataFrame) -> str | None:
    """The scored group column (``group_name`` when present, else ``group``) or None."""
    for c in ("group_name", "group"):
        if c in df.columns:
            return c
    return None


def labels_of(values: pd.Series) -> pd.Series:
    """Labels as stripped strings (``<NA>`` for blanks)."""
    return clean_label(values)


def times_of(df: pd.DataFrame, name: str, source: str, option: str = "--time-column") -> pd.Series:
    """Parsed times of column ``name``; raises when none parses."""
    t = parse_times(df[name]) if len(df) else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if len(df) and not t.notna().any():
        raise CorpusError(f"{source}: no value of {option} {name!r} reads as a date (e.g. {df[name].dropna().head(1).tolist()})")
    return t


def as_timestamp(value: Any, what: str = "--as-of") -> pd.Timestamp | None:
    """A date given by a user (``2026-11-01``, ``01.11.2026``) or None."""
    if value is None or isinstance(value, pd.Timestamp):
        return value
    t = parse_times(pd.Series([str(value)]))[0]
    if pd.isna(t):
        raise InvalidInput(f"{what}: cannot read {value!r} as a date (use e.g. 2026-11-01)")
    return pd.Timestamp(t)


def period_start(times: pd.Series | pd.Timestamp, freq: str):
    """The first day (00:00) of the week (Monday) or month containing each time."""
    if isinstance(times, pd.Timestamp):
        return period_start(pd.Series([times]), freq).iloc[0]
    days = times.dt.normalize()
    if freq == "W":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days - pd.to_timedelta(days.dt.day - 1, unit="D")


def ru_number(value: float, digits: int = 0) -> str:
    """A number in Russian style: thin-space thousands, decimal comma."""
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def ru_date(t: pd.Timestamp, with_year: bool = True, with_time: bool = False) -> str:
    """``5 ноября 2026`` (``5 ноября`` without the year; ``, 14:05`` with the time)."""
    text = f"{t.day} {MONTHS_GEN[t.month - 1]}" + (f" {t.year}" if with_year else "")
    return text + (f", {t:%H:%M}" if with_time else "")


def ru_period(start: pd.Timestamp, freq: str, with_year: bool = True, phrase: bool = False) -> str:
    """A period as read: ``ноябрь 2026`` or ``неделя с 2 ноября 2026``; with ``phrase`` the form
    after «с»: ``ноября 2026`` / ``3-й недели ноября 2026``."""
    year = f" {start.year}" if with_year else ""
    if freq == "M":
        return (MONTHS_GEN if phrase else MONTHS_NOM)[start.month - 1] + year
    if phrase:
        mid = start + pd.Timedelta(days=3)  # the month the week mostly belongs to
        return f"{(mid.day - 1) // 7 + 1}-й недели {MONTHS_GEN[mid.month - 1]}{' ' + str(mid.year) if with_year else ''}"
    return f"неделя с {ru_date(start, with_year)}"
