"""Streaming table readers: CSV (with recovery of broken records), JSONL, Parquet, XLSX.

:func:`open_table` returns a table with ``columns`` and :meth:`~Table.rows`, one :class:`Row`
per input record, in order. Nothing is dropped: a record that cannot be read keeps its
place with a message in ``Row.error``. CSV and JSONL inputs count physical lines
(``lines``, ``header_lines``, ``blank_lines``) so that a summary accounts for every line.

A broken CSV record costs only itself. Records are parsed strictly; when a record that
spans several physical lines is broken (an unterminated quote that swallowed the
following records: a parse error, the end of the file inside quotes, a field count other
than the header's, or continuation lines that are themselves complete records), its first
line becomes an error row and the following lines are read again as records.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import os
import re
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from ..errors import CorpusError, describe
from .detect import HEAD_BYTES, detect_encoding, sniff_delimiter

__all__ = ["Row", "Table", "open_table", "format_of", "FORMATS", "SUFFIXES"]

#: File formats read and written.
FORMATS = ("csv", "jsonl", "parquet", "xlsx")
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_DEFAULT_BATCH_ROWS = 1000


@dataclass
class Row:
    """One input record: its values (one per column), a read error, keys beyond the columns,
    and the physical line it starts on (CSV and JSONL)."""

    values: list[Any]
    error: str | None = None
    extra: dict[str, Any] | None = None
    line: int | None = None


class _CountingReader(io.RawIOBase):
    """A raw stream that first replays ``head`` then reads ``source``; counts bytes given out."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self._head = memoryview(head)
        self._source = source
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head.nbytes:
            n = min(len(buffer), self._head.nbytes)
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._source.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.consumed += n
        return n


def _dedupe(names: Iterable[Any]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = f"column_{i + 1}" if name is None or str(name).strip() == "" else str(name)
        base, n = name, seen.get(name, 0)
        while name in seen:
            n += 1
            name = f"{base}.{n}"
        seen[base] = n
        seen[name] = 0
        out.append(name)
    return out


_SURROGATE = re.compile("[\udc80-\udcff]")


def _has_surrogates(text: str) -> bool:
    """Whether ``text`` holds undecodable bytes (``surrogateescape``); a regex scan, not a Python loop."""
    return _SURROGATE.search(text) is not None


def _scrub(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text


class Table:
    """A table read row by row: ``columns``, :meth:`rows`, and progress facts."""

    format: str = ""
    columns: list[str]
    total: int | None = None          # exact row count when the format knows it
    size: int | None = None           # bytes of input (a file), the progress total
    encoding: str | None = None
    delimiter: str | None = None
    schema: Any = None                # pyarrow schema of a Parquet input
    lines: int | None = None          # physical lines read so far (CSV, JSONL)
    header_lines: int = 0
    blank_lines: int = 0

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    @property
    def consumed(self) -> int | None:
        """Bytes read from the input so far (None when unknown)."""
        return None

    def close(self) -> None:
        pass


class _LineFeed:
    """Physical lines of a text stream for ``csv.reader``, numbered, with push-back; ``taken``
    holds the lines given out since it was last cleared (the lines of the current record)."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text = text
        self._back: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.read = 0

    def __iter__(self) -> "_LineFeed":
        return self

    def __next__(self) -> str:
        if self._back:
            number, line = self._back.popleft()
        else:
            line = self._text.readline()
            if not line:
                raise StopIteration
            self.read += 1
            number = self.read
        self.taken.append((number, line))
        return line

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(lines))


_INT = re.compile(r"\s*\d+\s*")
_DATE = re.compile(r"\s*\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*")


def _shape(value: str) -> str | None:
    """The shape of a key-like first field: an integer or a date, else None."""
    if _INT.fullmatch(value):
        return "int"
    if _DATE.fullmatch(value):
        return "date"
    return None


class _CsvTable(Table):
    format = "csv"
    _LEARN = 50  # good one-line records looked at to learn the shape of the first column

    def __init__(self, source: BinaryIO, name: str, *, encoding: str | None = None, delimiter: str | None = None,
                 size: int | None = None, owns: bool = True) -> None:
        self.name, self.size, self._source, self._owns = name, size, source, owns
        head = source.read(HEAD_BYTES)
        complete = len(head) < HEAD_BYTES
        self.encoding = encoding or detect_encoding(head, complete)
        try:
            codecs.lookup(self.encoding)
        except LookupError as exc:
            raise CorpusError(f"unknown encoding {self.encoding!r}") from exc
        self._raw = _CountingReader(head, source)
        self._text = io.TextIOWrapper(io.BufferedReader(self._raw, 1 << 16), encoding=self.encoding,
                                      errors="surrogateescape", newline="")
        if delimiter is None:
            sample = head.decode(self.encoding, "replace")
            delimiter = "\t" if name.lower().endswith(".tsv") else sniff_delimiter(sample[:20_000])
        self.delimiter = delimiter
        csv.field_size_limit(_CSV_FIELD_LIMIT)
        self._feed = _LineFeed(self._text)
        self._reader = csv.reader(self._feed, delimiter=delimiter, strict=True)
        header: list[str] | None = None
        while header is None:
            self._feed.taken = []
            try:
                header = next(self._reader)
            except StopIteration:
                raise CorpusError(f"{name}: empty file (no header row)") from None
            except csv.Error:
                header = self._lenient(self._feed.taken[0][1]) if self._feed.taken else None
                self._feed.push_back(self._feed.taken[1:])
                self._feed.taken = self._feed.taken[:1]
            if header == []:
                self.blank_lines += 1
                header = None
        self.header_lines = len(self._feed.taken)
        if _has_surrogates("".join(header)):
            raise CorpusError(f"{name}: the header is not valid {self.encoding} text; give --encoding")
        self.columns = _dedupe(h.strip() for h in header)
        self._keys: dict[int, str] = {}
        self._shapes: list[list[str | None]] = []

    @property
    def consumed(self) -> int | None:
        return self._raw.consumed

    @property
    def lines(self) -> int:  # type: ignore[override]
        return self._feed.read

    def _lenient(self, line: str) -> list[str]:
        """One physical line parsed on its own, tolerantly (stray quotes kept as text)."""
        try:
            return next(csv.reader([line.rstrip("\r\n")], delimiter=self.delimiter), [])
        except csv.Error:
            return line.rstrip("\r\n").split(self.delimiter)

    def _fit(self, record: list[str], number: int, why: str | None) -> Row:
        """A row of exactly the header's width (missing fields empty, extra ones kept in the
        last column), with an error when the width was wrong or ``why`` is given."""
        width = len(self.columns)
        error = f"bad CSV record at line {number}: {why}" if why else None
        if len(record) != width:
            error = error or f"bad CSV record at line {number}: {len(record)} fields where the header has {width}"
            if len(record) < width:
                record = record + [""] * (width - len(record))
            else:  # keep every field: the extra ones go into the last column
                record = record[:width - 1] + [self.delimiter.join(record[width - 1:])]
        if _has_surrogates("".join(record)):
            bad = [c for c, v in zip(self.columns, record) if _has_surrogates(v)]
            error = error or f"undecodable bytes (not {self.encoding}) in column(s) {bad}"
            record = [_scrub(v) for v in record]
        return Row(record, error, line=number)

    def _learn(self, record: list[str]) -> None:
        """Learn which columns always hold an integer or a date (ids, dates) from the first
        good one-line records."""
        if len(self._shapes) < self._LEARN:
            self._shapes.append([_shape(v) for v in record])
            if len(self._shapes) >= 3:
                self._keys = {i: self._shapes[0][i] for i in range(len(record))
                              if self._shapes[0][i] is not None and all(r[i] == self._shapes[0][i] for r in self._shapes)}

    def _is_record(self, fields: list[str]) -> bool:
        """Whether ``fields`` look like a full record: the header's width, and every id or date
        column with a value of its shape."""
        return (bool(self._keys) and len(fields) == len(self.columns)
                and all(_shape(fields[i]) == shape for i, shape in self._keys.items()))

    def _swallowed(self, record: list[str], taken: list[tuple[int, str]]) -> bool:
        """Whether a multi-line record of the right width is records joined by a stray quote:
        a continuation line is itself a full record (its id and date columns, learned from
        the records so far, have the shapes they always had)."""
        if not self._is_record(record):
            return False
        return any(self._is_record(self._lenient(line)) for _, line in taken[1:])

    def rows(self) -> Iterator[Row]:
        width = len(self.columns)
        feed, reader = self._feed, self._reader
        while True:
            feed.taken = []
            problem = None
            try:
                record: list[str] | None = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                record, problem = None, str(exc)
            taken = feed.taken
            if not taken:
                return
            number = taken[0][0]
            if record == []:
                self.blank_lines += len(taken)
                continue
            if len(taken) == 1:
                if record is None:  # a stray quote on one line: read it tolerantly
                    record = self._lenient(taken[0][1])
                elif len(record) == width:
                    self._learn(record)
                yield self._fit(record, number, None)
                continue
            # a record over several lines: a quoted multi-line cell, or a broken quote
            if record is not None and len(record) == width and not self._swallowed(record, taken):
                yield self._fit(record, number, None)
                continue
            if record is None:
                why = ("a quoted field is not closed before the end of the file" if "end of data" in problem
                       else f"a quoted field opened here is not closed properly ({problem})")
            elif len(record) != width:
                why = (f"a quoted field opened here runs over {len(taken)} lines into a record of "
                       f"{len(record)} fields where the header has {width}")
            else:
                why = "a quoted field opened here is not closed on its line and swallows the next records"
            feed.push_back(taken[1:])
            yield self._fit(self._lenient(taken[0][1]), number,
                            f"{why}; the following lines are read again as records")

    def close(self) -> None:
        if self._owns:
            self._source.close()


class _JsonlTable(Table):
    format = "jsonl"
    _PRIME = 1000

    def __init__(self, source: BinaryIO, name: str, *, size: int | None = None, owns: bool = True) -> None:
        self.name, self.size, self._source, self._owns = name, size, source, owns
        self._raw = _CountingReader(b"", source)
        self._lines = enumerate(io.BufferedReader(self._raw, 1 << 16), 1)
        self._buffer: list[tuple[int, Any]] = []
        self.lines = 0
        keys: dict[str, None] = {}
        for number, parsed in self._parsed():
            self._buffer.append((number, parsed))
            if isinstance(parsed, dict):
                keys.update(dict.fromkeys(parsed))
            if len(self._buffer) >= self._PRIME:
                break
        self.columns = list(keys) or ["text"]
        self._known = set(self.columns)

    @property
    def consumed(self) -> int | None:
        return self._raw.consumed

    def _parsed(self) -> Iterator[tuple[int, Any]]:
        for number, line in self._lines:
            self.lines = number
            if not line.strip():
                self.blank_lines += 1
                continue
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield number, CorpusError(f"line {number}: undecodable bytes (not UTF-8): {exc.reason}")
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, CorpusError(f"line {number}: invalid JSON: {exc.msg} at column {exc.colno}")

    def rows(self) -> Iterator[Row]:
        width = len(self.columns)
        for number, parsed in itertools.chain(self._buffer, self._parsed()):
            if isinstance(parsed, CorpusError):
                yield Row([None] * width, str(parsed), line=number)
            elif not isinstance(parsed, dict):
                yield Row([None] * width, f"line {number}: expected a JSON object, got {describe(parsed)}",
                          line=number)
            else:
                extra = {k: v for k, v in parsed.items() if k not in self._known} or None
                yield Row([parsed.get(c) for c in self.columns], None, extra, line=number)
        self._buffer = []

    def close(self) -> None:
        if self._owns:
            self._source.close()


class _ParquetTable(Table):
    format = "parquet"

    def __init__(self, path: Path, *, batch_rows: int) -> None:
        import pyarrow.parquet as pq
        self._file = pq.ParquetFile(path)
        self.schema = self._file.schema_arrow
        self.columns = list(self.schema.names)
        self.total = self._file.metadata.num_rows
        self._batch_rows = batch_rows

    def rows(self) -> Iterator[Row]:
        for batch in self._file.iter_batches(batch_size=self._batch_rows):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*columns):
                yield Row(list(values))

    def close(self) -> None:
        self._file.close()


class _XlsxTable(Table):
    format = "xlsx"

    def __init__(self, path: Path) -> None:
        import openpyxl
        self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        self._sheet = self._book.worksheets[0]
        self._iter = self._sheet.iter_rows(values_only=True)
        header: tuple = ()
        for header in self._iter:
            if any(v is not None and str(v).strip() for v in header):
                break
        while header and header[-1] is None:
            header = header[:-1]
        if not header:
            raise CorpusError(f"{path}: the first sheet has no header row")
        self.columns = _dedupe(str(h).strip() if h is not None else None for h in header)
        max_row = self._sheet.max_row
        self.total = max_row - 1 if max_row else None

    def rows(self) -> Iterator[Row]:
        width = len(self.columns)
        pending = 0  # blank rows are kept only when a filled row follows (no trailing blanks)
        for values in self._iter:
            values = list(values)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                pending += 1
                continue
            for _ in range(pending):
                yield Row([None] * width)
            pending = 0
            error = None
            if len(values) > width:
                if any(v is not None for v in values[width:]):
                    error = f"values beyond the header's {width} columns"
                values = values[:width]
            yield Row(values + [None] * (width - len(values)), error)

    def close(self) -> None:
        self._book.close()


def format_of(path: str, given: str | None, role: str) -> str:
    """The format of ``path`` (``given`` wins; ``"-"`` is CSV)."""
    if given:
        if given not in FORMATS:
            raise CorpusError(f"unknown format {given!r}; use one of {list(FORMATS)}")
        return given
    if path == "-":
        return "csv"
    found = SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        if Path(path).suffix.lower() == ".xls":
            raise CorpusError(f"{path}: old Excel .xls files are not supported; save it as .xlsx or .csv")
        raise CorpusError(f"cannot tell the format of the {role} {path!r} from its suffix; "
                          f"use .csv, .tsv, .jsonl, .parquet or .xlsx (or give the format)")
    return found


def open_table(path: str | os.PathLike[str], *, format: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, batch_rows: int = _DEFAULT_BATCH_ROWS) -> Table:
    """Open a table for streaming (``"-"``: stdin, CSV or JSONL). Call ``rows()``, then ``close()``.

    Raises
    ------
    CorpusError
        Missing file, unknown format, unreadable header.
    """
    name = os.fspath(path)
    fmt = format_of(name, format, "input")
    if name == "-":
        if fmt not in ("csv", "jsonl"):
            raise CorpusError("stdin can be read as csv or jsonl only")
        stream = sys.stdin.buffer
        return (_CsvTable(stream, "<stdin>", encoding=encoding, delimiter=delimiter, owns=False) if fmt == "csv"
                else _JsonlTable(stream, "<stdin>", owns=False))
    p = Path(name)
    if not p.is_file():
        raise CorpusError(f"no such file: {name!r}")
    try:
        if fmt == "csv":
            return _CsvTable(open(p, "rb"), name, encoding=encoding, delimiter=delimiter, size=p.stat().st_size)
        if fmt == "jsonl":
            return _JsonlTable(open(p, "rb"), name, size=p.stat().st_size)
        if fmt == "parquet":
            return _ParquetTable(p, batch_rows=batch_rows)
        return _XlsxTable(p)
    except CorpusError:
        raise
    except ImportError as exc:
        raise CorpusError(f"reading {fmt} needs {exc.name}: pip install {exc.name}") from exc
    except Exception as exc:
        raise CorpusError(f"{name}: cannot read as {fmt}: {type(exc).__name__}: {exc}") from exc
