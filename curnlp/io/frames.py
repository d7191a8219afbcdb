"""Whole tables as pandas DataFrames: :func:`read_frame` and :func:`write_frame`.

Training (:func:`curnlp.corpus.read_table`) and the analytics (``curnlp report``, ``curnlp
incidents``) read through :func:`read_frame`: CSV and JSONL with the streaming readers of
``curnlp score`` (:func:`curnlp.io.open_table`: encoding and delimiter detected, broken
records recovered), so any file ``curnlp score`` reads or writes (``,`` ``;`` tab ``|``;
UTF-8 or cp1251) reads the same way everywhere. pandas is imported by the functions.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorpusError
from .readers import SUFFIXES, format_of, open_table

__all__ = ["read_frame", "write_frame", "plain_value"]

log = logging.getLogger("curnlp")

_FORMULA = re.compile(r"^[=+\-@\t\r]")


def read_frame(path: str | os.PathLike[str], *, format: str | None = None, encoding: str | None = None,
               delimiter: str | None = None):
    """A whole table (CSV, TSV, JSONL, Parquet, XLSX; format by suffix unless given) as a DataFrame.

    CSV cells are strings (``""`` when empty; ids like ``007`` keep their zeros), JSONL values
    as in the JSON, XLSX cells as strings, Parquet columns typed. CSV and JSONL records that
    cannot be read are left out, logged, and described in ``frame.attrs["read_problems"]``.

    Raises
    ------
    CorpusError
        The file is missing, of an unknown type or unreadable.
    """
    import pandas as pd
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"no such file: {str(p)!r}")
    suffix = p.suffix.lower()
    if format is None and suffix not in SUFFIXES and suffix != ".xls":
        raise CorpusError(f"{p}: unknown file type {suffix!r}; use .csv, .tsv, .jsonl, .parquet or .xlsx")
    fmt = format_of(str(p), format, "input")
    if fmt in ("csv", "jsonl"):
        table = open_table(p, format=fmt, encoding=encoding, delimiter=delimiter)
        try:
            kept, problems = [], []
            for row in table.rows():
                if row.error is not None:
                    problems.append(row.error)
                else:
                    kept.append(row.values)
            frame = pd.DataFrame(kept, columns=table.columns, dtype=object)
        finally:
            table.close()
        if problems:
            log.warning("curnlp: %s: %d record(s) could not be read and were left out, e.g. %s",
                        p, len(problems), problems[0])
        frame.attrs["read_problems"] = problems
        return frame
    try:
        if fmt == "parquet":
            return pd.read_parquet(p)
        return pd.read_excel(p, dtype=str)
    except ImportError as exc:
        name = exc.name or ("pyarrow" if fmt == "parquet" else "openpyxl")
        raise CorpusError(f"reading {fmt} needs the package {name!r}, which is not installed: "
                          f"pip install {name}") from exc
    except Exception as exc:
        raise CorpusError(f"{p}: cannot read as {fmt}: {type(exc).__name__}: {exc}") from exc


def plain_value(value: Any) -> Any:
    """A cell as a plain Python value: ``None`` for every kind of missing, numpy scalars as
    ``int``/``float``, timestamps as ``YYYY-MM-DD HH:MM:SS`` text."""
    import pandas as pd
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return value


def write_frame(frame, path: str | os.PathLike[str], sheet_name: str = "incidents") -> None:
    """Write a DataFrame as CSV (``.tsv``: tab-separated), JSONL, Parquet or XLSX, by suffix,
    through a temporary file (a reader never sees half a file). Datetime columns are written as
    ``YYYY-MM-DD HH:MM:SS``; XLSX strings never become formulas (a citizen's ``=...`` stays text)."""
    import pandas as pd
    p = Path(path)
    suffix = p.suffix.lower()
    tmp = p.with_name(p.name + ".tmp")
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    if suffix in (".parquet", ".pq"):
        out.to_parquet(tmp, index=False)
    elif suffix in (".jsonl", ".ndjson"):
        out.to_json(tmp, orient="records", lines=True, force_ascii=False)
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet_name)
        ws.append([str(c) for c in out.columns])
        for record in out.itertuples(index=False):
            cells = []
            for v in record:
                v = plain_value(v)
                cell = WriteOnlyCell(ws, value=v)
                if isinstance(v, str) and _FORMULA.match(v):
                    cell.data_type = "s"
                cells.append(cell)
            ws.append(cells)
        wb.save(tmp)
    else:
        out.to_csv(tmp, index=False, sep="\t" if suffix in (".tsv", ".tab") else ",")
    os.replace(tmp, p)
