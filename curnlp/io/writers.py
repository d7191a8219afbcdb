"""Table writers: CSV and JSONL streamed (appendable, for resume), Parquet and XLSX from parts.

Cell values are written as they are, with two guards against spreadsheet formulas:

* XLSX: every string is stored as a string cell (never a formula), and a string starting
  with ``=`` gets Excel's quote prefix, so it shows as typed and is never evaluated.
* CSV is plain text: a cell starting with ``= + - @`` (or tab / carriage return) is
  written as it is, and a spreadsheet that opens the file may take it for a formula.
  ``safe_csv=True`` prefixes such cells with ``'`` (the OWASP advice for CSV injection);
  it changes the values, so use it for files meant for people, not for pipelines.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import itertools
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from .readers import Row

__all__ = ["Writer", "StreamWriter", "PartsWriter", "write_xlsx", "text_value", "json_default", "csv_safe",
           "FORMULA_START", "PARTS_SUFFIX"]

PARTS_SUFFIX = ".curnlp-parts"
#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """``value`` with a ``'`` in front when a spreadsheet would take it for a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def text_value(value: Any) -> str:
    """A cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback for dates, bytes, durations and numpy scalars."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


class Writer:
    """Appends finished chunks; ``state()`` is what a checkpoint needs to resume."""

    def write(self, rows: Sequence[Row], results: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def state(self) -> dict:
        return {}

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


class StreamWriter(Writer):
    """CSV or JSONL to a file (appendable: resumes from a byte offset) or to stdout.

    ``columns`` are the input columns (renamed where needed) followed by ``added``, the
    names of the values in each result; ``json_columns`` hold JSON text written as JSON
    values in JSONL.
    """

    def __init__(self, fmt: str, output: str, columns: Sequence[str], added: Sequence[str], *,
                 delimiter: str = ",", bom: bool = False, offset: int | None = None, safe_csv: bool = False,
                 json_columns: Iterable[str] = ()) -> None:
        self.fmt, self.output = fmt, output
        self._columns = list(columns)
        self._added = list(added)
        self._json = [i for i, name in enumerate(self._added) if name in set(json_columns)]
        self._safe = safe_csv
        self._to_stdout = output == "-"
        if self._to_stdout:
            self._binary: BinaryIO = sys.stdout.buffer
            fresh = True
        else:
            fresh = not offset
            self._binary = open(output, "wb" if fresh else "r+b")
            if not fresh:
                self._binary.truncate(offset)
                self._binary.seek(offset)
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="", write_through=False)
        if fmt == "csv":
            self._csv = csv.writer(self._text, delimiter=delimiter, lineterminator="\r\n")
            if fresh:
                if bom:
                    self._text.write("\ufeff")
                self._csv.writerow([csv_safe(c) for c in self._columns] if safe_csv else self._columns)
        self._sync()

    def write(self, rows: Sequence[Row], results: Sequence[Sequence[Any]]) -> None:
        if self.fmt == "csv":
            cells = ([text_value(v) for v in itertools.chain(row.values, result)] for row, result in zip(rows, results))
            if self._safe:
                cells = ([csv_safe(c) for c in line] for line in cells)
            self._csv.writerows(cells)
        else:
            names = self._columns[:len(self._columns) - len(self._added)]
            lines = []
            for row, result in zip(rows, results):
                record = dict(zip(names, row.values))
                for key, value in (row.extra or {}).items():
                    while key in record or key in self._added:
                        key += "_input"
                    record[key] = value
                record.update(zip(self._added, result))
                for i in self._json:
                    name = self._added[i]
                    if record[name] is not None:
                        record[name] = json.loads(record[name])
                lines.append(json.dumps(record, ensure_ascii=False, default=json_default))
            lines.append("")
            self._text.write("\n".join(lines))
        self._sync()

    def _sync(self) -> None:
        self._text.flush()
        if not self._to_stdout:
            os.fsync(self._binary.fileno())

    def state(self) -> dict:
        return {"output_offset": self._binary.tell()} if not self._to_stdout else {}

    def _close(self) -> None:
        if self._to_stdout:
            self._text.flush()
            self._text.detach()
        else:
            self._text.close()

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        try:
            self._close()
        except Exception:  # noqa: BLE001
            pass


class PartsWriter(Writer):
    """Parquet or XLSX output: each chunk is a Parquet part; assembled by :meth:`finish`.

    ``added`` are (name, pyarrow type name) of the result values.
    """

    def __init__(self, fmt: str, output: str, columns: Sequence[str], input_columns: Sequence[str],
                 input_schema: Any, added: Sequence[tuple[str, str]], *, parts: int = 0) -> None:
        import pyarrow as pa
        self._pa = pa
        self.fmt, self.output = fmt, output
        self.dir = Path(output + PARTS_SUFFIX)
        if parts == 0 and self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(exist_ok=True)
        for stale in self.dir.glob("part-*.parquet"):
            if int(stale.stem.split("-")[1]) >= parts:
                stale.unlink()
        self.parts = parts
        typed = input_schema is not None
        fields = [input_schema.field(i).with_name(name) if typed else pa.field(name, pa.string())
                  for i, name in enumerate(columns[:len(input_columns)])]
        fields += [pa.field(name, getattr(pa, kind)()) for name, kind in added]
        self.schema = pa.schema(fields)
        self._typed = typed

    def write(self, rows: Sequence[Row], results: Sequence[Sequence[Any]]) -> None:
        pa = self._pa
        data: list[list[Any]] = [[] for _ in self.schema]
        for row, result in zip(rows, results):
            values = row.values if self._typed else [None if v is None else text_value(v) for v in row.values]
            for column, value in zip(data, itertools.chain(values, result)):
                column.append(value)
        table = pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(data, self.schema)],
                                     schema=self.schema)
        import pyarrow.parquet as pq
        target = self.dir / f"part-{self.parts:06d}.parquet"
        tmp = target.with_suffix(".tmp")
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        self.parts += 1

    def state(self) -> dict:
        return {"parts": self.parts}

    def _part_files(self) -> list[Path]:
        return [self.dir / f"part-{i:06d}.parquet" for i in range(self.parts)]

    def finish(self) -> None:
        import pyarrow.parquet as pq
        tmp = Path(self.output + ".curnlp-tmp")
        if self.fmt == "parquet":
            with pq.ParquetWriter(tmp, self.schema) as writer:
                for part in self._part_files():
                    writer.write_table(pq.read_table(part, schema=self.schema))
        else:
            write_xlsx(tmp, self.schema.names, (pq.read_table(p) for p in self._part_files()))
        os.replace(tmp, self.output)
        shutil.rmtree(self.dir, ignore_errors=True)


def write_xlsx(path: str | os.PathLike[str], columns: Sequence[str], tables: Iterable[Any],
               sheet_name: str = "scored") -> None:
    """Write pyarrow ``tables`` (same columns) as one XLSX sheet; strings stay strings (no formula)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)

    def cell(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, default=json_default)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):  # openpyxl would store it as a formula
                out = WriteOnlyCell(sheet, value=value)
                out.data_type = "s"
                out.quotePrefix = True
                return out
            return value
        if isinstance(value, _dt.datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value

    sheet.append([cell(c) for c in columns])
    for table in tables:
        for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
            sheet.append([cell(v) for v in row])
    book.save(path)
