"""Dates and times of archives: one set of rules for training, routing and the analytics.

A value is a date or time when it is

* an ISO date or datetime, with or without a zone: ``2021-03-15``, ``2021-03-15 10:30``,
  ``2021-03-15T10:30:00+03:00`` (zoned values are converted to UTC);
* a day-first date, as Russian exports write them: ``15.03.2021``, ``15.03.21``,
  ``15/03/2021 10:30``, ``15.03.2021 10:30:00``;
* a ``datetime``/``Timestamp`` object.

Times become naive UTC timestamps. A bare number is never a date: training takes a column of
numbers as numbers growing with time (an ``id``, a year). :func:`parse_times` (training and
routing) refuses a column with a value it cannot read, naming the rows; :func:`datetimes` (the
analytics) leaves ``NaT`` there. :func:`parse_window` reads time windows (``48h``, ``2d``).

pandas is imported by the functions that need it, so importing :mod:`curnlp.io` stays light.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from ..errors import CorpusError

__all__ = ["FORMATS", "parse_one", "parse_times", "datetimes", "format_time", "parse_window", "WINDOW_UNITS"]

#: Formats tried on a whole column at once (fast): the one that reads most of a sample is used for
#: every value, and the values it cannot read are read one by one with :func:`parse_one`.
FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
           "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "ISO8601")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, (str, list, tuple, dict)):
        return False
    import pandas as pd
    return bool(pd.isna(value))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return isinstance(value, str) and bool(_NUMBER.match(value.strip()))


def parse_one(value: Any):
    """``value`` as a naive UTC ``Timestamp``, or ``None`` when it is empty, a number or not a date."""
    import pandas as pd
    if _missing(value) or _is_number(value):
        return None
    if isinstance(value, str):
        s = value.strip()
        iso = bool(_ISO.match(s))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format": each value is parsed alone
            stamp = pd.to_datetime(s, errors="coerce", dayfirst=not iso, format="ISO8601" if iso else None)
    else:
        stamp = pd.to_datetime(value, errors="coerce")
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def parse_times(values: Any, column: str = "time") -> tuple[np.ndarray, str]:
    """A time column as sortable numbers: ``(values, kind)``.

    ``kind`` is ``"number"`` when every value is a number (an ``id`` that grows with time, a
    year; kept as is), else ``"datetime"``: every value a date or time (see the module), as
    seconds since 1970-01-01 UTC.

    Raises
    ------
    CorpusError
        Naming the first rows (1-based, among the rows given) whose value is empty or
        cannot be read, with those values.

    >>> parse_times(["15.03.2021", "2021-03-16", "17/03/2021 10:30"])[1]
    'datetime'
    >>> parse_times(["12", "7", 3])[0].tolist()
    [12.0, 7.0, 3.0]
    """
    import pandas as pd
    items = list(values.tolist() if hasattr(values, "tolist") else values)
    n = len(items)

    def fail(bad: list[int], why: str) -> CorpusError:
        shown = ", ".join(f"row {i + 1} ({items[i]!r})" for i in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return CorpusError(f"time column {column!r}: {len(bad)} of {n} value(s) {why}: {shown}{more}. Use dates "
                           "(2021-03-15, 15.03.2021, with or without a time) or numbers that grow with time")

    empty = [_missing(v) for v in items]
    numeric = [not e and _is_number(v) for v, e in zip(items, empty)]
    if all(a or b for a, b in zip(numeric, empty)):
        if any(empty):
            raise fail([i for i, e in enumerate(empty) if e], "are empty")
        return np.array([float(str(v).strip().replace(",", ".")) for v in items], dtype=float), "number"
    out = np.full(n, np.nan)
    for i, v in enumerate(items):
        stamp = parse_one(v)  # a lone number among dates is not a date
        if stamp is not None:
            out[i] = (stamp - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
    bad = np.flatnonzero(~np.isfinite(out)).tolist()
    if bad:
        raise fail(bad, "are empty or cannot be read as a date or time")
    return out, "datetime"


def datetimes(values):
    """A column (``pandas.Series``) as naive UTC timestamps, ``NaT`` where a value is empty, a
    number or not a date. The format that reads most of a sample is applied to the whole column
    (fast); values it cannot read (another format, a zone) are read one by one."""
    import pandas as pd
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
        return out.dt.tz_convert(None) if getattr(out.dt, "tz", None) is not None else out
    strings = values.astype("string").str.strip()
    sample = strings.dropna().head(300)
    best, best_share = None, -1.0
    for fmt in FORMATS:
        try:
            share = pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean() if len(sample) else 0.0
        except (ValueError, TypeError):
            continue
        if share > best_share:
            best, best_share = fmt, share
        if share == 1.0:
            break
    try:
        out = pd.to_datetime(strings, format=best, errors="coerce")
    except (ValueError, TypeError):  # mixed zones under ISO8601: every value is read on its own below
        out = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[ns]")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    left = (out.isna() & strings.notna() & (strings != "")).to_numpy()
    if left.any():
        rest = strings[left]
        read = {s: parse_one(s) for s in rest.unique().tolist()}
        out = out.copy()
        out[left] = pd.to_datetime(rest.map(read), errors="coerce").to_numpy()
    return out


def format_time(value: float, kind: str) -> str:
    """A parsed time back as text: the number, or an ISO date (with the time when not midnight)."""
    import pandas as pd
    if kind != "datetime":
        return f"{value:g}"
    stamp = pd.Timestamp(0) + pd.Timedelta(seconds=float(value))
    return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")


#: Units of a time window (a number then the unit): English and Russian spellings.
WINDOW_UNITS = {"minutes": ("min", "mins", "minute", "minutes", "m", "мин", "минута", "минуты", "минут"),
                "hours": ("h", "hr", "hrs", "hour", "hours", "ч", "час", "часа", "часов"),
                "days": ("d", "day", "days", "д", "дн", "день", "дня", "дней", "сут", "сутки", "суток"),
                "weeks": ("w", "wk", "week", "weeks", "нед", "неделя", "недели", "недель")}
_UNIT = {spelling: unit for unit, spellings in WINDOW_UNITS.items() for spelling in spellings}
_WINDOW = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*([a-zа-яё]+)\.?")
_UNITS_HINT = "a number with a unit: min, h, d or w (e.g. 48h, 2d, 90min, 1w)"


def parse_window(window: Any):
    """A time window as a positive ``pandas.Timedelta``: ``"48h"``, ``"2d"``, ``"90min"``,
    ``"3 дня"``, a Timedelta, or hours as a number. A string without a unit (``"2"``) is refused:
    it is not clear whether hours or days are meant.

    Raises
    ------
    CorpusError
        A window that cannot be read, has no unit or is not positive (one line, naming the units).
    """
    import pandas as pd
    if isinstance(window, pd.Timedelta):
        td = window
    elif isinstance(window, (int, float, np.integer, np.floating)) and not isinstance(window, bool):
        td = pd.Timedelta(hours=float(window))
    else:
        text = str(window).strip().lower().replace("ё", "е")
        match = _WINDOW.fullmatch(text)
        if match and match.group(2) in _UNIT:
            td = pd.Timedelta(**{_UNIT[match.group(2)]: float(match.group(1).replace(",", "."))})
        elif not re.search(r"[a-zа-я]", text):
            if re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", text):
                raise CorpusError(f"time window {window!r} has no unit; use {_UNITS_HINT}")
            raise CorpusError(f"cannot read time window {window!r}; use {_UNITS_HINT}")
        else:
            try:  # compound forms pandas reads: "1h30min", "1 days 02:00:00"
                td = pd.Timedelta(text)
            except ValueError:
                raise CorpusError(f"cannot read time window {window!r}; use {_UNITS_HINT}") from None
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise CorpusError(f"time window must be positive, not {window!r}; use {_UNITS_HINT}")
    return td
