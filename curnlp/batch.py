"""Streaming, multi-process scoring of archives (``curnlp score``).

:func:`score_file` reads a CSV, JSONL, Parquet or XLSX archive chunk by chunk, routes the
text column of every row and writes the input rows, in order and with all their columns,
plus the routing columns :data:`OUTPUT_COLUMNS`. Nothing is dropped: a row that cannot be
routed (empty, not text, too long, undecodable bytes, a broken CSV record) keeps its place
with a message in ``error`` and empty predictions.

Memory is bounded by the chunk size: at most ``2 * jobs + 1`` chunks are in flight, the
writer appends each finished chunk and forgets it. With ``jobs > 1`` each worker process
loads the bundle once (process-pool initializer) with BLAS limited to one thread; chunks are
routed in parallel and written back in input order. Each chunk is routed as one
``route_many`` call in every mode, so the output does not depend on ``jobs``.

Resume: after every chunk the output is flushed and fsynced, then a sidecar checkpoint
``OUTPUT.curnlp-progress.json`` (input identity, rows done, output byte offset or parts
written, counts) is replaced atomically. ``resume=True`` verifies the input is the same
file and the options and model are the same, truncates the output to the checkpointed
offset and skips the rows done, so an interrupted run (Ctrl-C, ``kill -9``) finishes
without a lost or duplicated row. CSV and JSONL outputs are appended in place; Parquet
and XLSX outputs, which cannot be appended, are written as Parquet parts in
``OUTPUT.curnlp-parts/`` and assembled at the end (so they resume too).

:func:`route_in_processes` is the process pool behind ``Router.route_many(n_jobs=N)``.
"""
from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import datetime as _dt
import functools
import hashlib
import inspect
import io
import itertools
import json
import logging
import math
import multiprocessing as mp
import os
import shutil
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Sequence

from .corpus import TEXT_COLUMNS, guess_text_column, sniff_delimiter
from .errors import CorpusError, CurnlpError, InvalidInput, describe

__all__ = ["Summary", "score_file", "route_in_processes", "score_values", "open_table", "register",
           "OUTPUT_COLUMNS", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_CHARS", "FORMATS", "TEXT_COLUMNS"]

log = logging.getLogger("curnlp")

#: Columns added to every row, in this order.
OUTPUT_COLUMNS = ("topic", "topic_confidence", "group", "agency", "agency_confidence", "needs_review",
                  "municipality", "locations", "error")
#: Rows per chunk (one unit of reading, routing, writing and checkpointing).
DEFAULT_CHUNK_SIZE = 1000
#: Messages longer than this many characters get an error (not a silent truncation).
DEFAULT_MAX_CHARS = 100_000
#: File formats read and written.
FORMATS = ("csv", "jsonl", "parquet", "xlsx")
CHECKPOINT_SUFFIX = ".curnlp-progress.json"
PARTS_SUFFIX = ".curnlp-parts"
_CHECKPOINT_VERSION = 1
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_HEAD_BYTES = 1 << 16
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_EMPTY_RESULT = (None,) * (len(OUTPUT_COLUMNS) - 1)

Result = tuple  # (topic, topic_confidence, group, agency, agency_confidence, needs_review, municipality, locations, error)


# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Counts of a scoring run (the whole file, including rows done before a resume).

    ``failures`` holds up to ten examples ``"row N (id X): message"``.
    """

    input: str
    output: str
    rows_read: int
    routed: int
    needs_review: int
    failed: int
    elapsed_s: float
    resumed_rows: int = 0
    jobs: int = 1
    failures: tuple[str, ...] = ()

    @property
    def rows_per_s(self) -> float:
        """Rows scored per second in this run (resumed rows excluded)."""
        done = self.rows_read - self.resumed_rows
        return done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        out = asdict(self)
        out["failures"] = list(self.failures)
        out["elapsed_s"] = round(self.elapsed_s, 3)
        out["rows_per_s"] = round(self.rows_per_s, 1)
        return out

    def __str__(self) -> str:
        review = f" ({self.needs_review / self.routed:.1%})" if self.routed else ""
        resumed = f", {self.resumed_rows:,} of them from the earlier run" if self.resumed_rows else ""
        return (f"{self.rows_read:,} rows read{resumed}: {self.routed:,} routed, {self.needs_review:,} flagged "
                f"for review{review}, {self.failed:,} failed; {self.elapsed_s:.1f} s "
                f"({self.rows_per_s:,.0f} rows/s, {self.jobs} job{'s' if self.jobs != 1 else ''})")


# ---------------------------------------------------------------------------------------
# Scoring values (runs in the parent for jobs=1, in the workers otherwise)
# ---------------------------------------------------------------------------------------

def _result_of(routing: Any) -> Result:
    topic, group, agency = routing.topic, routing.group, routing.agency
    locations = json.dumps([loc.to_dict() for loc in routing.locations], ensure_ascii=False)
    return (topic.label if topic else None, round(topic.confidence, 4) if topic else None,
            group.label if group else None,
            agency.label if agency else None, round(agency.confidence, 4) if agency else None,
            bool(routing.needs_review), routing.municipality, locations, None)


def _error(message: str) -> Result:
    return (*_EMPTY_RESULT, message)


def _precheck(value: object, max_chars: int) -> str | None:
    """Why ``value`` cannot be routed, or None."""
    if not isinstance(value, str):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no text: the cell is empty"
        return f"not text: {describe(value)}"
    # an empty or no-word text is routed: a Routing flagged no_words (needs_review, no labels)
    if len(value) > max_chars:
        return f"too long: {len(value):,} characters, more than max-chars {max_chars:,}"
    return None


@functools.lru_cache(maxsize=32)
def _accepts_cached(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _accepts(method: Any, name: str) -> bool:
    """Whether ``method`` (bound) takes a keyword ``name``."""
    return _accepts_cached(getattr(method, "__func__", method), name)


def score_values(router: Any, values: Sequence[object], *, max_chars: int = DEFAULT_MAX_CHARS,
                 batch_size: int = 256) -> list[Result]:
    """Route ``values`` with ``router``; one result tuple per value (see :data:`OUTPUT_COLUMNS`).

    Never raises for a bad value: it gets an error message instead. A failure inside the
    router on a batch is retried message by message so only the culprit gets the error.
    """
    results: list[Result | None] = [None] * len(values)
    todo: list[int] = []
    for i, value in enumerate(values):
        problem = _precheck(value, max_chars)
        if problem is None:
            todo.append(i)
        else:
            results[i] = _error(problem)
    texts = [values[i] for i in todo]
    # the scored file has no evidence column: skip computing it when the Router can
    extra = {"evidence": False} if _accepts(router.route_many, "evidence") else {}
    try:
        routed: list[Any] = router.route_many(texts, batch_size=batch_size, errors="return", **extra)
    except Exception:  # a bug on some message: isolate it, keep the rest
        log.warning("curnlp: routing a batch of %d failed; retrying one by one", len(texts), exc_info=True)
        routed = []
        for text in texts:
            try:
                routed.extend(router.route_many([text], errors="return", **extra))
            except Exception as exc:  # noqa: BLE001 -- recorded in the row
                log.exception("curnlp: routing failed on a message")
                routed.append(RuntimeError(f"internal error: {type(exc).__name__}: {exc}"))
    for i, item in zip(todo, routed):
        results[i] = _error(str(item)) if isinstance(item, BaseException) else _result_of(item)
    return results  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _limit_threads() -> None:
    """One BLAS/OpenMP thread in this process (NER is several times slower when they compete)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
        _WORKER["limits"] = threadpool_limits(1)
    except Exception:  # noqa: BLE001 -- threadpoolctl is optional here
        log.debug("curnlp: threadpoolctl unavailable; BLAS threads not limited", exc_info=True)


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread while the block runs (restored after)."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(1)
    except Exception:  # noqa: BLE001
        return contextlib.nullcontext()


def _load_router(path: str, entities: bool, max_length: int) -> Any:
    from .router import Router
    return Router.load(path, entities=entities, max_length=max_length)


def _init_worker(path: str, entities: bool, max_length: int) -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_threads()
    try:
        _WORKER["router"] = _load_router(path, entities, max_length)
    except BaseException as exc:  # noqa: BLE001 -- reported by the first task, not a respawn loop
        _WORKER["failure"] = exc


def _worker_router() -> Any:
    if "failure" in _WORKER:
        raise _WORKER["failure"]
    return _WORKER["router"]


def _score_task(args: tuple[list[object], int, int]) -> list[Result]:
    values, max_chars, batch_size = args
    return score_values(_worker_router(), values, max_chars=max_chars, batch_size=batch_size)


def _route_task(items: list[object]) -> list[Any]:
    return _worker_router().route_many(items, batch_size=max(1, len(items)), errors="return")


def _context() -> mp.context.BaseContext:
    # fork is cheap and needs no __main__ guard in the caller's script; spawn elsewhere
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _router_spec(router: Any) -> tuple[str, bool, int]:
    path = getattr(router, "path", None)
    if path is None:
        raise InvalidInput("an unsaved Router cannot be used by worker processes; save() it first")
    return str(path), bool(router.entities), int(router.max_length)


def _pool(spec: tuple[str, bool, int], jobs: int) -> ProcessPoolExecutor:
    # an executor, not multiprocessing.Pool: a worker killed by the OOM killer breaks the
    # pool with an error instead of leaving the parent waiting for ever
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker, initargs=spec)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: pending chunks cancelled, workers terminated."""
    processes = dict(getattr(pool, "_processes", None) or {})  # private, but the only handle on the workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        try:
            process.terminate()
        except Exception:  # noqa: BLE001
            pass


def _broken(exc: BaseException) -> CurnlpError:
    return CurnlpError(f"a worker process died ({exc}); it may have run out of memory: try fewer --jobs or a "
                       "smaller --chunk-size, and continue with --resume")


def route_in_processes(router: Any, items: Sequence[object], *, batch_size: int = 256, n_jobs: int = 2,
                       errors: str = "raise") -> list[Any]:
    """Route ``items`` in ``n_jobs`` worker processes; the result keeps the input order.

    Each worker rebuilds the Router from ``router.path`` (same ``entities`` and
    ``max_length``) once, with one BLAS thread. ``errors`` as in ``Router.route_many``.
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
    items = list(items)
    spec = _router_spec(router)
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    out: list[Any] = []
    with _pool(spec, max(1, min(n_jobs, len(batches)))) as pool:
        try:
            for batch in pool.map(_route_task, batches):
                out.extend(batch)
        except BrokenProcessPool as exc:
            raise _broken(exc) from exc
    if errors == "raise":
        for i, item in enumerate(out):
            if isinstance(item, BaseException):
                raise InvalidInput(f"message {i}: {item}") from item
    return out


# ---------------------------------------------------------------------------------------
# Reading tables in chunks
# ---------------------------------------------------------------------------------------

@dataclass
class Row:
    """One input record: its values (one per column), a read error, keys beyond the columns."""

    values: list[Any]
    error: str | None = None
    extra: dict[str, Any] | None = None


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


def _detect_encoding(head: bytes, complete: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoded = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=complete)
    bad = decoded.count("\ufffd")
    non_ascii = sum(1 for ch in decoded if ord(ch) > 127)
    # a few broken bytes in a UTF-8 export stay row errors; mostly-invalid means cp1251
    if bad == 0 or (non_ascii and bad / non_ascii < 0.01):
        return "utf-8"
    return "cp1251"


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


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _scrub(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text


class _Table:
    """A table read row by row: ``columns``, :meth:`rows`, and progress facts."""

    format: str = ""
    columns: list[str]
    total: int | None = None          # exact row count when the format knows it
    size: int | None = None           # bytes of input, for an estimate of the row count
    encoding: str | None = None
    delimiter: str | None = None
    schema: Any = None                # pyarrow schema of a Parquet input

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    @property
    def consumed(self) -> int | None:
        return None

    def close(self) -> None:
        pass


class _CsvTable(_Table):
    format = "csv"

    def __init__(self, source: BinaryIO, name: str, *, encoding: str | None = None, delimiter: str | None = None,
                 size: int | None = None, owns: bool = True) -> None:
        self.name, self.size, self._source, self._owns = name, size, source, owns
        head = source.read(_HEAD_BYTES)
        complete = len(head) < _HEAD_BYTES
        self.encoding = encoding or _detect_encoding(head, complete)
        try:
            codecs.lookup(self.encoding)
        except LookupError as exc:
            raise CorpusError(f"unknown encoding {self.encoding!r}") from exc
        self._raw = _CountingReader(head, source)
        self._text = io.TextIOWrapper(io.BufferedReader(self._raw, 1 << 16), encoding=self.encoding,
                                      errors="surrogateescape", newline="")
        if delimiter is None:
            sample = head.decode(self.encoding, "replace") if self.encoding != "utf-8-sig" else \
                head.decode("utf-8-sig", "replace")
            delimiter = "\t" if name.lower().endswith(".tsv") else sniff_delimiter(sample[:20_000])
        self.delimiter = delimiter
        csv.field_size_limit(_CSV_FIELD_LIMIT)
        self._reader = csv.reader(self._text, delimiter=delimiter)
        try:
            header = next(self._reader)
        except StopIteration:
            raise CorpusError(f"{name}: empty file (no header row)") from None
        except csv.Error as exc:
            raise CorpusError(f"{name}: unreadable CSV header: {exc}") from exc
        if _has_surrogates("".join(header)):
            raise CorpusError(f"{name}: the header is not valid {self.encoding} text; give --encoding")
        self.columns = _dedupe(h.strip() for h in header)

    @property
    def consumed(self) -> int | None:
        return self._raw.consumed

    def rows(self) -> Iterator[Row]:
        width = len(self.columns)
        reader = self._reader
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row([""] * width, f"bad CSV record ending at line {reader.line_num}: {exc}")
                continue
            if not record:
                continue  # a blank line is no record
            error = None
            if len(record) != width:
                error = (f"bad CSV record ending at line {reader.line_num}: {len(record)} fields where the header "
                         f"has {width}")
                if len(record) < width:
                    record = record + [""] * (width - len(record))
                else:  # keep every field: the extra ones go into the last column
                    record = record[:width - 1] + [self.delimiter.join(record[width - 1:])]
            if any(_has_surrogates(v) for v in record):
                bad = [c for c, v in zip(self.columns, record) if _has_surrogates(v)]
                error = error or f"undecodable bytes (not {self.encoding}) in column(s) {bad}"
                record = [_scrub(v) for v in record]
            yield Row(record, error)

    def close(self) -> None:
        if self._owns:
            self._source.close()


class _JsonlTable(_Table):
    format = "jsonl"
    _PRIME = 1000

    def __init__(self, source: BinaryIO, name: str, *, size: int | None = None, owns: bool = True) -> None:
        self.name, self.size, self._source, self._owns = name, size, source, owns
        self._raw = _CountingReader(b"", source)
        self._lines = enumerate(io.BufferedReader(self._raw, 1 << 16), 1)
        self._buffer: list[tuple[int, Any]] = []
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
            if not line.strip():
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
                yield Row([None] * width, str(parsed))
            elif not isinstance(parsed, dict):
                yield Row([None] * width, f"line {number}: expected a JSON object, got {describe(parsed)}")
            else:
                extra = {k: v for k, v in parsed.items() if k not in self._known} or None
                yield Row([parsed.get(c) for c in self.columns], None, extra)
        self._buffer = []

    def close(self) -> None:
        if self._owns:
            self._source.close()


class _ParquetTable(_Table):
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


class _XlsxTable(_Table):
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


def _format_of(path: str, given: str | None, role: str) -> str:
    if given:
        if given not in FORMATS:
            raise CorpusError(f"unknown format {given!r}; use one of {list(FORMATS)}")
        return given
    if path == "-":
        return "csv"
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise CorpusError(f"cannot tell the format of the {role} {path!r} from its suffix; "
                          f"use .csv, .tsv, .jsonl, .parquet or .xlsx (or give the format)")
    return found


def open_table(path: str | os.PathLike[str], *, format: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, batch_rows: int = DEFAULT_CHUNK_SIZE) -> _Table:
    """Open a table for streaming (``"-"``: stdin, CSV or JSONL). Call ``rows()``, then ``close()``.

    Raises
    ------
    CorpusError
        Missing file, unknown format, unreadable header.
    """
    name = os.fspath(path)
    fmt = _format_of(name, format, "input")
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
        raise CorpusError(f"reading {fmt} needs {exc.name}: pip install pyarrow") from exc
    except Exception as exc:
        raise CorpusError(f"{name}: cannot read as {fmt}: {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

def _text_value(value: Any) -> str:
    """A cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


class _Writer:
    """Appends finished chunks; ``state()`` is what a checkpoint needs to resume."""

    def write(self, columns: Sequence[str], rows: Sequence[Row], results: Sequence[Result]) -> None:
        raise NotImplementedError

    def state(self) -> dict:
        return {}

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _StreamWriter(_Writer):
    """CSV or JSONL to a file (appendable: resumes from a byte offset) or to stdout."""

    def __init__(self, fmt: str, output: str, columns: Sequence[str], *, delimiter: str = ",", bom: bool = False,
                 offset: int | None = None) -> None:
        self.fmt, self.output = fmt, output
        self._columns = list(columns)
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
                self._csv.writerow(self._columns)
        self._sync()

    def write(self, input_columns: Sequence[str], rows: Sequence[Row], results: Sequence[Result]) -> None:
        if self.fmt == "csv":
            self._csv.writerows([_text_value(v) for v in itertools.chain(row.values, result)]
                                for row, result in zip(rows, results))
        else:
            names = self._columns[:len(self._columns) - len(OUTPUT_COLUMNS)]
            lines = []
            for row, result in zip(rows, results):
                record = dict(zip(names, row.values))
                for key, value in (row.extra or {}).items():
                    while key in record or key in OUTPUT_COLUMNS:
                        key += "_input"
                    record[key] = value
                record.update(zip(OUTPUT_COLUMNS, result))
                if record["locations"] is not None:
                    record["locations"] = json.loads(record["locations"])
                lines.append(json.dumps(record, ensure_ascii=False, default=_json_default))
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


_ADDED_TYPES = ("string", "float64", "string", "string", "float64", "bool_", "string", "string", "string")


class _PartsWriter(_Writer):
    """Parquet or XLSX output: each chunk is a Parquet part; assembled by :meth:`finish`."""

    def __init__(self, fmt: str, output: str, columns: Sequence[str], input_columns: Sequence[str],
                 input_schema: Any, *, parts: int = 0) -> None:
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
        fields += [pa.field(name, getattr(pa, kind)()) for name, kind in zip(OUTPUT_COLUMNS, _ADDED_TYPES)]
        self.schema = pa.schema(fields)
        self._typed = typed
        self._width = len(input_columns)

    def write(self, input_columns: Sequence[str], rows: Sequence[Row], results: Sequence[Result]) -> None:
        pa = self._pa
        data: list[list[Any]] = [[] for _ in self.schema]
        for row, result in zip(rows, results):
            values = row.values if self._typed else [None if v is None else _text_value(v) for v in row.values]
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
            _write_xlsx(tmp, self.schema.names, (pq.read_table(p) for p in self._part_files()))
        os.replace(tmp, self.output)
        shutil.rmtree(self.dir, ignore_errors=True)


def _write_xlsx(path: Path, columns: Sequence[str], tables: Iterable[Any]) -> None:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("scored")
    sheet.append(list(columns))

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, default=_json_default)
        if isinstance(value, _dt.datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value

    for table in tables:
        for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
            sheet.append([cell(v) for v in row])
    book.save(path)


# ---------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------

def _input_identity(path: str) -> dict:
    p = Path(path)
    stat = p.stat()
    with open(p, "rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
    return {"path": str(p.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "head_sha256": head}


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _load_checkpoint(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorpusError(f"cannot read the checkpoint {path}: {exc}; remove it and the output to start again") from exc
    if data.get("version") != _CHECKPOINT_VERSION:
        raise CorpusError(f"{path} was written by another curnlp version; remove it and the output to start again")
    return data


# ---------------------------------------------------------------------------------------
# score_file
# ---------------------------------------------------------------------------------------

def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while True:
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return
        yield chunk


def _output_columns(input_columns: Sequence[str]) -> list[str]:
    taken = set(input_columns)
    out = []
    for name in input_columns:
        if name in OUTPUT_COLUMNS:
            new, n = f"{name}_input", 1
            while new in taken:
                n += 1
                new = f"{name}_input{n}"
            log.warning("curnlp: input column %r collides with an output column; written as %r", name, new)
            taken.add(new)
            name = new
        out.append(name)
    return out + list(OUTPUT_COLUMNS)


def _progress_bar(enabled: bool, table: _Table, initial: int):
    from tqdm.auto import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: worker processes are forked while the bar lives

    show = enabled and sys.stderr.isatty()
    return Bar(total=table.total, initial=initial, unit=" rows", unit_scale=True, dynamic_ncols=True,
                disable=not show, file=sys.stderr, smoothing=0.1, desc="curnlp score")


class _Counts:
    def __init__(self, saved: dict | None = None) -> None:
        saved = saved or {}
        self.rows = int(saved.get("rows", 0))
        self.routed = int(saved.get("routed", 0))
        self.review = int(saved.get("needs_review", 0))
        self.failed = int(saved.get("failed", 0))
        self.failures: list[str] = list(saved.get("failures", []))

    def add(self, rows: Sequence[Row], results: Sequence[Result], id_index: int | None) -> None:
        for row, result in zip(rows, results):
            self.rows += 1
            if result[-1] is not None:
                self.failed += 1
                if len(self.failures) < 10:
                    ident = f" (id {row.values[id_index]})" if id_index is not None else ""
                    self.failures.append(f"row {self.rows}{ident}: {result[-1]}")
            else:
                self.routed += 1
                self.review += bool(result[5])

    def to_dict(self) -> dict:
        return {"rows": self.rows, "routed": self.routed, "needs_review": self.review, "failed": self.failed,
                "failures": self.failures}


def _resolve_router(router: Any, *, entities: bool, max_chars: int, jobs: int) -> tuple[Any, tuple[str, bool, int], str]:
    """(router loaded in this process or None, worker spec, bundle id)."""
    from .router import DEFAULT_MODEL
    if router is not None and not isinstance(router, (str, os.PathLike)):
        spec = _router_spec(router) if jobs > 1 else (str(getattr(router, "path", "")), router.entities,
                                                     router.max_length)
        return router, spec, str(router.id)
    path = str(router if router is not None else DEFAULT_MODEL)
    spec = (path, entities, max_chars)
    if jobs > 1:  # workers load it; the parent only reads the manifest (and fails early when it is absent)
        from .bundle import read_manifest
        return None, spec, str(read_manifest(path).get("bundle_id", "unsaved"))
    loaded = _load_router(*spec)
    return loaded, spec, str(loaded.id)


def score_file(input: str | os.PathLike[str], output: str | os.PathLike[str], *, text_column: str | None = None,
               id_column: str | None = None, router: Any = None, jobs: int = 1,
               chunk_size: int = DEFAULT_CHUNK_SIZE, resume: bool = False, progress: bool = True,
               entities: bool = True, max_chars: int = DEFAULT_MAX_CHARS, input_format: str | None = None,
               output_format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
               batch_size: int = 256) -> Summary:
    """Route every row of an archive and write it with the routing columns, streaming.

    Parameters
    ----------
    input, output : path or "-"
        CSV (encoding and delimiter detected), JSONL, Parquet or XLSX, by suffix; ``"-"`` is
        stdin/stdout (CSV unless ``input_format``/``output_format`` says ``jsonl``).
    text_column : str, optional
        Column with the message (default: the first of :data:`TEXT_COLUMNS` present).
    id_column : str, optional
        Column with a row id, used in the failure examples of the summary.
    router : Router or path, optional
        A loaded Router or a bundle directory (default: the shipped model).
    jobs : int
        Worker processes (``-1`` or ``0``: one per core).
    chunk_size : int
        Rows read, routed, written and checkpointed together; memory grows with it.
    resume : bool
        Continue an interrupted run from ``OUTPUT.curnlp-progress.json``.
    progress : bool
        Show a tqdm bar (only when stderr is a terminal).
    entities : bool
        Run NER (when ``router`` is a path); ``False`` is the fast mode.
    max_chars : int
        Longer messages get an error instead of being routed.
    encoding, delimiter : str, optional
        Override the CSV detection.

    Returns
    -------
    Summary

    Raises
    ------
    CorpusError
        Unreadable input, no text column (the message lists the columns), a checkpoint
        that does not match the input or options.
    ModelNotFound, CorruptModel, IncompatibleModel
        The bundle cannot be loaded.
    """
    t0 = time.perf_counter()
    source, target = os.fspath(input), os.fspath(output)
    if chunk_size < 1:
        raise CorpusError(f"chunk_size must be positive, got {chunk_size}")
    if max_chars < 1:
        raise CorpusError(f"max_chars must be positive, got {max_chars}")
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    out_fmt = _format_of(target, output_format, "output")
    if target == "-" and out_fmt not in ("csv", "jsonl"):
        raise CorpusError("stdout can be written as csv or jsonl only")
    if target != "-" and source != "-" and Path(source).resolve() == Path(target).resolve():
        raise CorpusError("the output would overwrite the input; choose another output path")
    checkpoint_path = Path(target + CHECKPOINT_SUFFIX) if target != "-" else None
    saved: dict | None = None
    if resume:
        if source == "-" or checkpoint_path is None:
            raise CorpusError("--resume needs an input file and an output file (not '-')")
        if checkpoint_path.exists():
            saved = _load_checkpoint(checkpoint_path)
        elif Path(target).exists():
            raise CorpusError(f"nothing to resume: {target} exists without a checkpoint {checkpoint_path.name} "
                              "(it is finished, or not written by curnlp score); remove it to start again")
        else:
            log.info("curnlp: no checkpoint for %s; starting from the beginning", target)
    if saved is not None:
        chunk_size = int(saved["chunk_size"])  # same chunk boundaries as the interrupted run

    table = open_table(source, format=input_format, encoding=encoding, delimiter=delimiter,
                       batch_rows=chunk_size)
    pool = None
    writer: _Writer | None = None
    bar = None
    try:
        if text_column is None:
            text_column = guess_text_column(table.columns)
        elif text_column not in table.columns:
            raise CorpusError(f"text column {text_column!r} not in {source}; its columns are {table.columns}")
        if id_column is not None and id_column not in table.columns:
            raise CorpusError(f"id column {id_column!r} not in {source}; its columns are {table.columns}")
        text_index = table.columns.index(text_column)
        id_index = table.columns.index(id_column) if id_column is not None else None
        columns = _output_columns(table.columns)

        loaded, spec, model_id = _resolve_router(router, entities=entities, max_chars=max_chars, jobs=jobs)
        limit = min(max_chars, spec[2]) if spec[2] else max_chars
        identity = _input_identity(source) if checkpoint_path is not None and source != "-" else None
        options = {"text_column": text_column, "model": model_id, "entities": spec[1], "max_chars": limit,
                   "input_format": table.format, "output_format": out_fmt, "encoding": table.encoding,
                   "delimiter": table.delimiter}
        if saved is not None:
            if saved.get("input") != identity:
                raise CorpusError(f"cannot resume: {source} is not the file the checkpoint was made for "
                                  f"(size, modification time or first bytes differ); remove {target} and "
                                  f"{checkpoint_path.name} to start again")
            changed = {k: (saved["options"].get(k), v) for k, v in options.items() if saved["options"].get(k) != v}
            if changed:
                raise CorpusError(f"cannot resume with other options or another model: {changed} "
                                  "(checkpoint value, now); use the same ones or start again")
        done = int(saved["rows_done"]) if saved else 0
        counts = _Counts(saved.get("counts") if saved else None)

        saved_state = dict(saved.get("state", {})) if saved else {}
        streamed = out_fmt in ("csv", "jsonl")

        def checkpoint() -> None:
            if checkpoint_path is not None:
                _write_json_atomic(checkpoint_path, {
                    "version": _CHECKPOINT_VERSION, "input": identity, "output": str(Path(target).resolve()),
                    "chunk_size": chunk_size, "options": options, "rows_done": counts.rows,
                    "state": writer.state() if writer is not None else saved_state, "counts": counts.to_dict()})

        if saved is not None and streamed:
            have = Path(target).stat().st_size if Path(target).exists() else 0
            if have < int(saved_state.get("output_offset", 0)):
                raise CorpusError(f"cannot resume: {target} has {have} bytes, fewer than the checkpoint's "
                                  f"{saved_state.get('output_offset')}; it was changed since; start again")
        try:
            if saved is None:  # a fresh run: a checkpoint at row 0 first, so a kill at any point can resume
                saved_state = {"output_offset": 0} if streamed else {"parts": 0}
                checkpoint()
            if streamed:
                bom = table.format == "csv" and table.encoding in ("utf-8-sig", "cp1251", "utf-16")
                writer = _StreamWriter(out_fmt, target, columns, delimiter=table.delimiter or ",", bom=bom,
                                       offset=int(saved_state.get("output_offset", 0)))
            else:
                writer = _PartsWriter(out_fmt, target, columns, table.columns, table.schema,
                                      parts=int(saved_state.get("parts", 0)))
        except OSError as exc:
            raise CorpusError(f"cannot write {target}: {exc.strerror or exc}") from exc
        except ImportError as exc:  # Parquet and XLSX outputs are assembled from Parquet parts
            raise CorpusError(f"writing {out_fmt} needs pyarrow: pip install pyarrow") from exc
        checkpoint()
        rows = table.rows()
        skipped = sum(1 for _ in itertools.islice(rows, done))
        if skipped != done:
            raise CorpusError(f"cannot resume: the checkpoint says {done} rows were done, the input has {skipped}")
        if done:
            log.info("curnlp: resuming %s after %d rows", target, done)

        if jobs > 1:
            pool = _pool(spec, jobs)
        bar = _progress_bar(progress, table, done)

        def submit(chunk: list[Row]):
            values = [row.values[text_index] if row.error is None else None for row in chunk]
            if pool is None:
                return score_values(loaded, values, max_chars=limit, batch_size=batch_size)
            return pool.submit(_score_task, (values, limit, batch_size))

        def finish(chunk: list[Row], pending: Any) -> None:
            results = pending if pool is None else pending.result()
            results = [_error(row.error) if row.error is not None else result for row, result in zip(chunk, results)]
            if out_fmt != "jsonl" and not warned and any(row.extra for row in chunk):
                warned.append(True)
                log.warning("curnlp: JSONL rows have keys absent from the first %d lines; a %s output keeps "
                            "only the columns found there (a .jsonl output keeps every key)",
                            _JsonlTable._PRIME, out_fmt)
            writer.write(table.columns, chunk, results)
            counts.add(chunk, results, id_index)
            checkpoint()
            bar.update(len(chunk))
            if table.total is None and table.size and table.consumed:
                bar.total = max(counts.rows, int(counts.rows * table.size / table.consumed))
                bar.refresh()

        warned: list[bool] = []
        in_flight: deque = deque()
        try:
            with _one_blas_thread() if pool is None else contextlib.nullcontext():
                for chunk in _chunks(rows, chunk_size):
                    in_flight.append((chunk, submit(chunk)))
                    while len(in_flight) > (2 * jobs if pool is not None else 0):
                        finish(*in_flight.popleft())
                while in_flight:
                    finish(*in_flight.popleft())
        except BrokenProcessPool as exc:  # from submit() or result()
            raise _broken(exc) from exc
        if bar.total != bar.n:
            bar.total = bar.n
            bar.refresh()
        bar.close()
        writer.finish()
        writer = None
        if checkpoint_path is not None:
            checkpoint_path.unlink(missing_ok=True)
    except BaseException:
        if writer is not None:
            writer.abort()
        if pool is not None:
            _stop(pool)
            pool = None
        raise
    finally:
        if bar is not None:
            bar.close()
        if pool is not None:
            pool.shutdown(wait=True)
        table.close()
    elapsed = time.perf_counter() - t0
    summary = Summary(input=source, output=target, rows_read=counts.rows, routed=counts.routed,
                      needs_review=counts.review, failed=counts.failed, elapsed_s=elapsed, resumed_rows=done,
                      jobs=jobs, failures=tuple(counts.failures))
    log.info("curnlp score: %s", summary)
    return summary


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------

def _cmd_score(args: argparse.Namespace) -> int:
    input_format = args.input_format or (args.format if args.input == "-" else None)
    output_format = args.output_format or (args.format if args.output == "-" else None)
    try:
        summary = score_file(
            args.input, args.output, text_column=args.text_column, id_column=args.id_column, router=args.model,
            jobs=args.jobs, chunk_size=args.chunk_size, resume=args.resume, progress=not args.quiet,
            entities=not args.no_entities, max_chars=args.max_chars,
            input_format=input_format, output_format=output_format,
            encoding=args.encoding, delimiter=args.delimiter)
    except KeyboardInterrupt:
        if args.output != "-":
            print(f"curnlp score: interrupted; {args.output} is kept with its checkpoint: run the same command "
                  "with --resume to finish it", file=sys.stderr)
        raise
    if not args.quiet:
        print(f"curnlp score: {summary}", file=sys.stderr)
        for failure in summary.failures[:5]:
            print(f"  {failure}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``score`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "score", help="route every row of an archive (CSV, JSONL, Parquet, XLSX) into a new file",
        description="Route every row of an archive and write it with topic, group, agency, confidences, "
                    "review flag, municipality, locations and an error column. Rows that cannot be routed "
                    "keep their place with an error. Streams in chunks; resumable with --resume.")
    p.add_argument("input", help="archive: .csv/.tsv (encoding and delimiter detected), .jsonl, .parquet, .xlsx; "
                                 "'-' for stdin")
    p.add_argument("-o", "--output", required=True, help="scored file (format by suffix); '-' for stdout")
    p.add_argument("--format", choices=("csv", "jsonl"),
                   help="format of stdin and stdout when they are '-' (default csv)")
    p.add_argument("--input-format", choices=FORMATS, help="input format (default: by suffix; overrides --format)")
    p.add_argument("--output-format", choices=FORMATS, help="output format (default: by suffix; overrides --format)")
    p.add_argument("--text-column", help=f"column with the message (default: first of {', '.join(TEXT_COLUMNS)})")
    p.add_argument("--id-column", help="column with a row id (shown in failure examples)")
    p.add_argument("--model", metavar="DIR", help="model bundle directory (default: the shipped Kursk model)")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="worker processes (0: one per core)")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="ROWS",
                   help=f"rows per chunk (default {DEFAULT_CHUNK_SIZE})")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into the same output")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    p.add_argument("--no-entities", action="store_true", help="skip NER (fast mode)")
    p.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, metavar="N",
                   help=f"longer messages get an error (default {DEFAULT_MAX_CHARS:,})")
    p.add_argument("--encoding", help="CSV encoding (default: detected: UTF-8 with or without BOM, cp1251)")
    p.add_argument("--delimiter", help="CSV delimiter (default: detected among , ; tab |)")
    p.set_defaults(run=_cmd_score)
    return p
