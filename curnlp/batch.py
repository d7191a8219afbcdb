"""Streaming, multi-process scoring of archives (``curnlp score``).

:func:`score_file` reads a CSV, JSONL, Parquet or XLSX archive chunk by chunk, routes the
text column of every row and writes the input rows, in order and with all their columns,
plus the routing columns :data:`OUTPUT_COLUMNS`. Nothing is dropped: a row that cannot be
routed (empty, not text, too long, undecodable bytes, a broken CSV record) keeps its place
with a message in ``error`` and empty predictions.

Memory is bounded by the chunk size: at most ``2 * jobs + 1`` chunks are in flight, the
writer appends each finished chunk and forgets it. With ``jobs > 1`` the parent loads the
bundle once and forked workers inherit it (elsewhere each spawned worker loads it once in the
process-pool initializer), with BLAS limited to one thread; chunks are
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

Tables are read and written by :mod:`curnlp.io`; the process pool (also behind
``Router.route_many(n_jobs=N)``) is :mod:`curnlp.workers`.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import inspect
import itertools
import json
import logging
import math
import os
import re
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from .corpus import TEXT_COLUMNS, guess_text_column
from .errors import CorpusError, describe
from .io import FORMATS, PARTS_SUFFIX, PartsWriter, Row, StreamWriter, Table, Writer, format_of, open_table
from .workers import (BrokenProcessPool, broken_pool_error, forget_inherited, forks, limit_threads, load_router,
                      make_pool, one_blas_thread, route_in_processes, router_spec, stop_pool, worker_router)

__all__ = ["Summary", "score_file", "route_in_processes", "score_values", "open_table", "register",
           "failure_limit", "OUTPUT_COLUMNS", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_CHARS", "FORMATS", "TEXT_COLUMNS",
           "EXIT_CODES"]

log = logging.getLogger("curnlp")

#: Columns added to every row, in this order (``group_name``: the region pack's name of the group code).
OUTPUT_COLUMNS = ("topic", "topic_confidence", "group", "group_name", "agency", "agency_confidence",
                  "needs_review", "review_reasons", "region", "municipality", "locations", "error")
#: Arrow types of :data:`OUTPUT_COLUMNS` in Parquet and XLSX outputs.
_ADDED_TYPES = ("string", "float64", "string", "string", "string", "float64", "bool_", "string", "string",
                "string", "string", "string")
#: Rows per chunk (one unit of reading, routing, writing and checkpointing).
DEFAULT_CHUNK_SIZE = 1000
#: Messages longer than this many characters get an error (not a silent truncation).
DEFAULT_MAX_CHARS = 100_000
CHECKPOINT_SUFFIX = ".curnlp-progress.json"
_CHECKPOINT_VERSION = 3
_EMPTY_RESULT = (None,) * (len(OUTPUT_COLUMNS) - 1)
_REVIEW = OUTPUT_COLUMNS.index("needs_review")
_LABELS = tuple(OUTPUT_COLUMNS.index(c) for c in ("topic", "group", "agency"))
#: Exit status of ``curnlp score`` (and the other commands).
EXIT_CODES = {
    0: "done: every row written (rows that could not be routed carry an error)",
    1: "curnlp error: unreadable input, no such column, missing or broken model, a checkpoint that does not fit",
    2: "bad usage (unknown option, bad value)",
    3: "nothing routed: the input has rows but none of them could be routed or had Russian words (wrong --text-column?)",
    4: "more rows failed than --max-failed allows (the output is complete all the same)",
    130: "interrupted (Ctrl-C); the output is kept with its checkpoint for --resume",
}

Result = tuple  # one value per OUTPUT_COLUMNS


# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Counts of a scoring run (the whole file, including rows done before a resume).

    ``failures`` holds up to ten examples ``"row N (id X): message"``. For CSV and JSONL
    inputs ``lines`` is the number of physical lines of the input, ``header_lines`` and
    ``blank_lines`` those that are no record: every line is the header, part of a row (a
    quoted cell may span lines) or blank.
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
    lines: int | None = None
    header_lines: int = 0
    blank_lines: int = 0
    #: routed rows that got a label (not flagged ``no_words`` / ``not_russian`` without one)
    labelled: int | None = None

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
        lines = ""
        if self.lines is not None:
            in_rows = self.lines - self.header_lines - self.blank_lines
            lines = (f"{self.lines:,} lines ({self.header_lines} header, {in_rows:,} in rows, "
                     f"{self.blank_lines:,} blank); ")
        return (f"{lines}{self.rows_read:,} rows read{resumed}: {self.routed:,} routed, {self.needs_review:,} flagged "
                f"for review{review}, {self.failed:,} failed; {self.elapsed_s:.1f} s "
                f"({self.rows_per_s:,.0f} rows/s, {self.jobs} job{'s' if self.jobs != 1 else ''})")


# ---------------------------------------------------------------------------------------
# Scoring values (runs in the parent for jobs=1, in the workers otherwise)
# ---------------------------------------------------------------------------------------

def _result_of(routing: Any) -> Result:
    topic, group, agency = routing.topic, routing.group, routing.agency
    locations = json.dumps([loc.to_dict() for loc in routing.locations], ensure_ascii=False)
    return (topic.label if topic else None, round(topic.confidence, 4) if topic else None,
            group.label if group else None, getattr(routing, "group_name", None),
            agency.label if agency else None, round(agency.confidence, 4) if agency else None,
            bool(routing.needs_review), ";".join(routing.review_reasons) or None, routing.region,
            routing.municipality, locations, None)


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
                 batch_size: int = 256, times: Sequence[object] | None = None) -> list[Result]:
    """Route ``values`` with ``router``; one result tuple per value (see :data:`OUTPUT_COLUMNS`).

    ``times`` (one per value, None or empty = now) routes each message as of its time
    (:meth:`Router.route_many` ``times=``). Never raises for a bad value: it gets an error
    message instead. A failure inside the router on a batch (an unreadable time, a bug) is
    retried message by message so only the culprit gets the error.
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
    when = None if times is None else [times[i] for i in todo]  # the router reads an empty cell as now
    # the scored file has no evidence column: skip computing it when the Router can
    extra = {"evidence": False} if _accepts(router.route_many, "evidence") else {}
    try:
        routed: list[Any] = router.route_many(texts, batch_size=batch_size, errors="return",
                                              **({} if when is None else {"times": when}), **extra)
    except Exception:  # an unreadable time or a bug on some message: isolate it, keep the rest
        log.warning("curnlp: routing a batch of %d failed; retrying one by one", len(texts), exc_info=True)
        routed = []
        for k, text in enumerate(texts):
            try:
                one = {} if when is None else {"times": [when[k]]}
                routed.extend(router.route_many([text], errors="return", **one, **extra))
            except Exception as exc:  # noqa: BLE001 -- recorded in the row
                log.exception("curnlp: routing failed on a message")
                routed.append(RuntimeError(f"internal error: {type(exc).__name__}: {exc}"))
    for i, item in zip(todo, routed):
        results[i] = _error(str(item)) if isinstance(item, BaseException) else _result_of(item)
    return results  # type: ignore[return-value]


def _score_task(args: tuple[list[object], int, int, list[object] | None]) -> list[Result]:
    values, max_chars, batch_size, times = args
    return score_values(worker_router(), values, max_chars=max_chars, batch_size=batch_size, times=times)


# kept for callers of the old private names
_limit_threads = limit_threads


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


def _progress_bar(enabled: bool, table: Table, initial: int):
    from tqdm.auto import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: worker processes are forked while the bar lives

    show = enabled and sys.stderr.isatty()
    if table.consumed is not None:  # CSV, JSONL: bytes read of a known size (a file) from the start
        return Bar(total=table.size, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                   dynamic_ncols=True, disable=not show, file=sys.stderr, smoothing=0.1, desc="curnlp score")
    return Bar(total=table.total, initial=initial, unit=" rows", unit_scale=True, dynamic_ncols=True,
               disable=not show, file=sys.stderr, smoothing=0.1, desc="curnlp score")


class _Counts:
    def __init__(self, saved: dict | None = None) -> None:
        saved = saved or {}
        self.rows = int(saved.get("rows", 0))
        self.routed = int(saved.get("routed", 0))
        self.review = int(saved.get("needs_review", 0))
        self.failed = int(saved.get("failed", 0))
        self.labelled = int(saved.get("labelled", 0))
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
                self.review += bool(result[_REVIEW])
                self.labelled += any(result[k] is not None for k in _LABELS)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "routed": self.routed, "needs_review": self.review, "failed": self.failed,
                "labelled": self.labelled, "failures": self.failures}


def _resolve_router(router: Any, *, entities: bool, max_chars: int, jobs: int) -> tuple[Any, tuple[str, bool, int], str]:
    """(router loaded in this process or None, worker spec, bundle id)."""
    from .router import DEFAULT_MODEL
    if router is not None and not isinstance(router, (str, os.PathLike)):
        spec = router_spec(router) if jobs > 1 else (str(getattr(router, "path", "")), router.entities,
                                                     router.max_length)
        return router, spec, str(router.id)
    path = str(router if router is not None else DEFAULT_MODEL)
    spec = (path, entities, max_chars)
    if jobs > 1 and not forks():  # spawned workers load it; the parent only reads the manifest
        from .bundle import read_manifest
        return None, spec, str(read_manifest(path).get("bundle_id", "unsaved"))
    loaded = load_router(*spec)
    return loaded, spec, str(loaded.id)


def score_file(input: str | os.PathLike[str], output: str | os.PathLike[str], *, text_column: str | None = None,
               id_column: str | None = None, router: Any = None, jobs: int = 1,
               chunk_size: int = DEFAULT_CHUNK_SIZE, resume: bool = False, progress: bool = True,
               entities: bool = True, max_chars: int = DEFAULT_MAX_CHARS, input_format: str | None = None,
               output_format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
               batch_size: int = 256, safe_csv: bool = False, time_column: str | None = None) -> Summary:
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
    time_column : str, optional
        Column with each message's date or time (as in training): route it as of then, by
        the labelling convention of its period (a bundle trained with a time column; an
        empty cell routes as of now, an unreadable one gets an error for that row alone).
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
    safe_csv : bool
        CSV output only: prefix cells starting with ``= + - @`` (or tab, carriage return)
        with ``'`` so a spreadsheet does not take them for formulas (changes those values).
        XLSX output never holds a formula whatever this says.

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
    out_fmt = format_of(target, output_format, "output")
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
    writer: Writer | None = None
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
        if time_column is not None and time_column not in table.columns:
            raise CorpusError(f"time column {time_column!r} not in {source}; its columns are {table.columns}")
        time_index = table.columns.index(time_column) if time_column is not None else None
        columns = _output_columns(table.columns)

        loaded, spec, model_id = _resolve_router(router, entities=entities, max_chars=max_chars, jobs=jobs)
        limit = min(max_chars, spec[2]) if spec[2] else max_chars
        identity = _input_identity(source) if checkpoint_path is not None and source != "-" else None
        options = {"text_column": text_column, "time_column": time_column, "model": model_id, "entities": spec[1], "max_chars": limit,
                   "input_format": table.format, "output_format": out_fmt, "encoding": table.encoding,
                   "delimiter": table.delimiter, "safe_csv": bool(safe_csv) and out_fmt == "csv"}
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
                writer = StreamWriter(out_fmt, target, columns, OUTPUT_COLUMNS, delimiter=table.delimiter or ",",
                                      bom=bom, offset=int(saved_state.get("output_offset", 0)), safe_csv=safe_csv,
                                      json_columns=("locations",))
            else:
                writer = PartsWriter(out_fmt, target, columns, table.columns, table.schema,
                                     list(zip(OUTPUT_COLUMNS, _ADDED_TYPES)), parts=int(saved_state.get("parts", 0)))
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

        if jobs > 1:  # forked workers inherit the parent's loaded router
            pool = make_pool(spec, jobs, loaded)
        bytes_progress = table.consumed is not None
        bar = _progress_bar(progress, table, table.consumed if bytes_progress else done)

        def submit(chunk: list[Row]) -> Any:
            values = [row.values[text_index] if row.error is None else None for row in chunk]
            times = None if time_index is None else [row.values[time_index] if row.error is None else None
                                                      for row in chunk]
            if pool is None:
                return score_values(loaded, values, max_chars=limit, batch_size=batch_size, times=times)
            return pool.submit(_score_task, (values, limit, batch_size, times))

        def finish(chunk: list[Row], pending: Any, position: int) -> None:
            results = pending if pool is None else pending.result()
            results = [_error(row.error) if row.error is not None else result for row, result in zip(chunk, results)]
            if out_fmt != "jsonl" and not warned and any(row.extra for row in chunk):
                warned.append(True)
                log.warning("curnlp: JSONL rows have keys absent from the first %d lines; a %s output keeps "
                            "only the columns found there (a .jsonl output keeps every key)",
                            1000, out_fmt)
            writer.write(chunk, results)
            counts.add(chunk, results, id_index)
            checkpoint()
            bar.update(position - bar.n if bytes_progress else len(chunk))

        warned: list[bool] = []
        in_flight: deque = deque()
        try:
            with one_blas_thread() if pool is None else contextlib.nullcontext():
                for chunk in _chunks(rows, chunk_size):
                    in_flight.append((chunk, submit(chunk), table.consumed or 0))
                    while len(in_flight) > (2 * jobs if pool is not None else 0):
                        finish(*in_flight.popleft())
                while in_flight:
                    finish(*in_flight.popleft())
        except BrokenProcessPool as exc:  # from submit() or result()
            raise broken_pool_error(exc) from exc
        if bytes_progress and bar.total is not None and bar.n < bar.total:
            bar.update(bar.total - bar.n)  # the bytes after the last record (a final newline)
        bar.close()
        writer.finish()
        writer = None
        if checkpoint_path is not None:
            checkpoint_path.unlink(missing_ok=True)
    except BaseException:
        if writer is not None:
            writer.abort()
        if pool is not None:
            stop_pool(pool)
            pool = None
        raise
    finally:
        if bar is not None:
            bar.close()
        if pool is not None:
            pool.shutdown(wait=True)
        forget_inherited()
        table.close()
    elapsed = time.perf_counter() - t0
    summary = Summary(input=source, output=target, rows_read=counts.rows, routed=counts.routed,
                      needs_review=counts.review, failed=counts.failed, elapsed_s=elapsed, resumed_rows=done,
                      jobs=jobs, failures=tuple(counts.failures), lines=table.lines,
                      header_lines=table.header_lines, blank_lines=table.blank_lines, labelled=counts.labelled)
    log.info("curnlp score: %s", summary)
    return summary


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------

def failure_limit(text: str) -> tuple[int | None, float | None]:
    """Parse ``--max-failed``: ``N`` rows or ``P%`` of the rows read -> (rows, share)."""
    value = text.strip()
    try:
        if value.endswith("%"):
            share = float(value[:-1]) / 100
            if not 0 <= share <= 1:
                raise ValueError
            return None, share
        rows = int(value)
        if rows < 0:
            raise ValueError
        return rows, None
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of rows (50) or a percentage (2%), not {text!r}") from None


def exit_status(summary: Summary, max_failed: tuple[int | None, float | None] | None = None) -> tuple[int, str | None]:
    """The exit code of ``curnlp score`` for ``summary`` (see :data:`EXIT_CODES`) and its message."""
    if summary.rows_read and not summary.routed:
        reasons = ", ".join(f"{m!r} ×{n}" for m, n in _common_errors(summary.failures))
        return 3, (f"no row could be routed: all {summary.rows_read:,} rows failed ({reasons}). "
                   "Is --text-column the column with the messages?")
    if summary.rows_read and summary.labelled == 0:
        return 3, (f"no row could be routed: none of the {summary.rows_read:,} rows has Russian words "
                   "(each is flagged no_words or not_russian). Is --text-column the column with the messages?")
    if max_failed is not None:
        rows, share = max_failed
        allowed = rows if rows is not None else share * summary.rows_read
        if summary.failed > allowed:
            limit = f"{rows:,} rows" if rows is not None else f"{share:.1%} of {summary.rows_read:,} rows"
            return 4, (f"{summary.failed:,} rows failed ({summary.failed / summary.rows_read:.1%}), more than "
                       f"--max-failed {limit}; {summary.output} is complete with an error per failed row")
    return 0, None


def _common_errors(failures: Sequence[str]) -> list[tuple[str, int]]:
    from collections import Counter
    messages = Counter(re.sub(r"^row \d+( \(id [^)]*\))?: ", "", f) for f in failures)
    return messages.most_common(2)


def _cmd_score(args: argparse.Namespace) -> int:
    input_format = args.input_format or (args.format if args.input == "-" else None)
    output_format = args.output_format or (args.format if args.output == "-" else None)
    try:
        summary = score_file(
            args.input, args.output, text_column=args.text_column, id_column=args.id_column, router=args.model,
            jobs=args.jobs, chunk_size=args.chunk_size, resume=args.resume, progress=not args.quiet,
            entities=not args.no_entities, max_chars=args.max_chars,
            input_format=input_format, output_format=output_format,
            encoding=args.encoding, delimiter=args.delimiter, safe_csv=args.safe_csv, time_column=args.time_column)
    except KeyboardInterrupt:
        if args.output != "-":
            print(f"curnlp score: interrupted; {args.output} is kept with its checkpoint: run the same command "
                  "with --resume to finish it", file=sys.stderr)
        raise
    if not args.quiet:
        print(f"curnlp score: {summary}", file=sys.stderr)
        for failure in summary.failures[:5]:
            print(f"  {failure}", file=sys.stderr)
    code, message = exit_status(summary, args.max_failed)
    if message:
        print(f"curnlp score: error: {message}", file=sys.stderr)
    return code


def _exit_codes_text() -> str:
    return "exit status:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items())


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``score`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "score", help="route every row of an archive (CSV, JSONL, Parquet, XLSX) into a new file",
        description="Route every row of an archive and write it with topic, group, agency, confidences, "
                    "review flag, municipality, locations and an error column. Rows that cannot be routed "
                    "keep their place with an error. Streams in chunks; resumable with --resume.",
        epilog=_exit_codes_text() + "\n\nCSV output writes cells as they are: a cell starting with = + - @ may "
               "be taken for a formula by a spreadsheet; --safe-csv prefixes those with '. XLSX output stores "
               "every text as text (never a formula).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="archive: .csv/.tsv (encoding and delimiter detected), .jsonl, .parquet, .xlsx; "
                                 "'-' for stdin")
    p.add_argument("-o", "--output", required=True, help="scored file (format by suffix); '-' for stdout")
    p.add_argument("--format", choices=("csv", "jsonl"),
                   help="format of stdin and stdout when they are '-' (default csv)")
    p.add_argument("--input-format", choices=FORMATS, help="input format (default: by suffix; overrides --format)")
    p.add_argument("--output-format", choices=FORMATS, help="output format (default: by suffix; overrides --format)")
    p.add_argument("--text-column", help=f"column with the message (default: first of {', '.join(TEXT_COLUMNS)})")
    p.add_argument("--id-column", help="column with a row id (shown in failure examples)")
    p.add_argument("--time-column", help="column with each message's date or time: route it as of then "
                                         "(a bundle trained with --time-column; empty = now)")
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
    p.add_argument("--safe-csv", action="store_true",
                   help="CSV output: prefix cells starting with = + - @ with ' so spreadsheets show them as text")
    p.add_argument("--max-failed", type=failure_limit, metavar="N|P%",
                   help="exit with status 4 when more rows than N (or P%% of the rows) fail")
    p.set_defaults(func=_cmd_score)
    return p
