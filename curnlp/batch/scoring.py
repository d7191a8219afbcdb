"""Streaming, multi-process scoring of archives: :func:`score_file` (``curnlp score``).

:func:`score_file` reads a CSV, JSONL, Parquet or XLSX archive chunk by chunk, routes the
text column of every row and writes the input rows, in order and with all their columns,
plus the routing columns :data:`~curnlp.batch.values.OUTPUT_COLUMNS`. Nothing is dropped:
a row that cannot be routed (empty, not text, too long, undecodable bytes, a broken CSV
record) keeps its place with a message in ``error`` and empty predictions.

Memory is bounded by the chunk size: at most ``2 * jobs + 1`` chunks are in flight, the
writer appends each finished chunk and forgets it. With ``jobs > 1`` the parent loads the
bundle once and forked workers inherit it (elsewhere each spawned worker loads it once in the
process-pool initializer), with BLAS limited to one thread; chunks are routed in parallel
and written back in input order. Each chunk is routed as one ``route_many`` call in every
mode, so the output does not depend on ``jobs``.

Resume (:mod:`curnlp.batch.checkpoints`): an interrupted run (Ctrl-C, ``kill -9``) finishes
with ``resume=True`` without a lost or duplicated row. CSV and JSONL outputs are appended
in place; Parquet and XLSX outputs, which cannot be appended, are written as Parquet parts
in ``OUTPUT.curnlp-parts/`` and assembled at the end (so they resume too).
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..corpus import guess_text_column
from ..errors import CorpusError
from ..io import PartsWriter, Row, StreamWriter, Table, Writer, format_of, open_table
from .checkpoints import (CHECKPOINT_SUFFIX, CHECKPOINT_VERSION, check_resumable, input_identity, load_checkpoint,
                          write_json_atomic)
from .summary import Counts, Summary, region_warning
from .values import (ADDED_TYPES, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CHARS, OUTPUT_COLUMNS, Result, error_result,
                     score_values)
from .workers import (BrokenProcessPool, WorkerSpec, broken_pool_error, forget_inherited, forks, make_pool,
                      one_blas_thread, stop_pool, worker_router)

__all__ = ["score_file", "DEFAULT_CHUNK_SIZE", "OptionMismatch"]

log = logging.getLogger("curnlp")

#: Rows of the time column read before the first chunk to check it fits the bundle.
TIME_SAMPLE_ROWS = 20


class OptionMismatch(CorpusError):
    """An option does not fit the input or the model (a usage error: exit 2 in the CLI)."""


def _score_task(args: tuple[list[object], int, int, list[object] | None]) -> list[Result]:
    values, max_chars, batch_size, times = args
    return score_values(worker_router(), values, max_chars=max_chars, batch_size=batch_size, times=times)


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



def _resolve_router(router: Any, *, entities: bool, max_chars: int, jobs: int) -> tuple[Any, WorkerSpec, dict]:
    """(router loaded in this process or None, worker spec, bundle manifest)."""
    from ..router import DEFAULT_MODEL, Router
    if router is not None and not isinstance(router, (str, os.PathLike)):
        spec = WorkerSpec(type(router).load, str(getattr(router, "path", "")), router.entities, router.max_length)
        if jobs > 1:
            from .workers import router_spec
            spec = router_spec(router)
        return router, spec, dict(getattr(router, "manifest", None) or {"bundle_id": str(router.id)})
    path = str(router if router is not None else DEFAULT_MODEL)
    spec = WorkerSpec(Router.load, path, entities, max_chars)
    if jobs > 1 and not forks():  # spawned workers load it; the parent only reads the manifest
        from ..bundle import read_manifest
        return None, spec, dict(read_manifest(path))
    loaded = spec.build()
    return loaded, spec, dict(loaded.manifest)


def _home_region(router: Any, manifest: dict) -> str | None:
    """The official name of the model's region («Курская область»), or None."""
    if router is not None:
        region = getattr(router, "region", None)
    else:  # spawned workers load the router; read the region the manifest names
        try:
            from ..router import region_of
            region = region_of(None, manifest)
        except Exception:  # noqa: BLE001 -- only the warning's wording depends on it
            region = None
    return getattr(region, "region_name", None)


#: Encodings tried on the header when the detected one finds no text column.
_OTHER_ENCODINGS = ("utf-8", "cp1251", "koi8-r", "cp866", "mac-cyrillic", "utf-16")


def encoding_hint(table: Table, source: str, given: str | None) -> str:
    """When a CSV's encoding was guessed: which one, and the one whose header has a text
    column (mojibake column names are the usual sign of a wrong guess)."""
    if table.format != "csv" or given is not None or source == "-":
        return ""
    from ..corpus import TEXT_COLUMNS
    try:
        with open(source, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return ""
    first = head.split(b"\n", 1)[0]
    fits = []
    for name in _OTHER_ENCODINGS:
        if name == table.encoding:
            continue
        try:
            header = first.decode(name)
        except UnicodeDecodeError:
            continue
        if any(column in header for column in TEXT_COLUMNS):
            fits.append(name)
    hint = f"; the encoding was guessed as {table.encoding}"
    if fits:
        return hint + f": the header reads right as {fits[0]}, try --encoding {fits[0]}"
    if first.isascii():  # plain ASCII names read the same in every encoding: not the cause
        return ""
    return hint + ": if the column names look garbled, give --encoding (e.g. koi8-r, cp1251, utf-8)"


def _time_mismatch(manifest: dict, column: str, sample: Sequence[object]) -> str | None:
    """Why the time column cannot be read as the bundle's kind of time, judged on the
    first non-empty cells, or None when at least one of them fits (or the bundle has no time)."""
    from ..corpus import parse_times
    trained = manifest.get("time") or {}
    kind = trained.get("kind")
    values = [v for v in sample if v is not None and not (isinstance(v, str) and not v.strip())
              and not (isinstance(v, float) and v != v)]
    if kind is None or not values:
        return None
    for value in values:
        try:
            got = parse_times([value], column)[1]
        except CorpusError:
            continue
        if got == kind or (kind == "datetime" and got == "number" and not isinstance(value, str)):
            return None
    shown = ", ".join(repr(v) for v in values[:3])
    example = f" such as {trained['first']!r}" if trained.get("first") is not None else ""
    return (f"--time-column {column!r} holds {shown}, but this model was trained on {kind} times{example} "
            f"(column {trained.get('column')!r}); give that column, or leave --time-column out to route as of now")


def score_file(input: str | os.PathLike[str], output: str | os.PathLike[str], *, text_column: str | None = None,
               id_column: str | None = None, router: Any = None, jobs: int = 1,
               chunk_size: int = DEFAULT_CHUNK_SIZE, resume: bool = False, progress: bool = True,
               entities: bool = True, max_chars: int = DEFAULT_MAX_CHARS, input_format: str | None = None,
               output_format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
               batch_size: int = 256, safe_csv: bool = False, time_column: str | None = None,
               warn: Callable[[str], None] | None = None) -> Summary:
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
    warn : callable, optional
        Called with a warning for a person while the run goes on (default: the ``curnlp``
        logger): after the first chunk, when most rows that name a place are outside the
        model's region.

    Returns
    -------
    Summary

    Raises
    ------
    CorpusError
        Unreadable input, no text column (the message lists the columns, and the encoding
        guessed when that may be why), a checkpoint that does not match the input or options.
    OptionMismatch
        ``time_column`` holds times the model cannot read (dates for a model trained on
        numbers): refused before anything is written.
    ModelNotFound, CorruptModel, IncompatibleModel
        The bundle cannot be loaded.
    """
    t0 = time.perf_counter()
    source, target = os.fspath(input), os.fspath(output)
    warn = warn or log.warning
    if source != "-" and Path(source).is_dir():
        raise CorpusError(f"{source} is a directory; give an archive file (.csv, .tsv, .jsonl, .parquet, .xlsx)")
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
            saved = load_checkpoint(checkpoint_path)
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
            try:
                text_column = guess_text_column(table.columns)
            except CorpusError as exc:
                raise CorpusError(f"{exc}{encoding_hint(table, source, given=encoding)}") from None
        elif text_column not in table.columns:
            raise CorpusError(f"text column {text_column!r} not in {source}; its columns are {table.columns}"
                              f"{encoding_hint(table, source, given=encoding)}")
        if id_column is not None and id_column not in table.columns:
            raise CorpusError(f"id column {id_column!r} not in {source}; its columns are {table.columns}")
        text_index = table.columns.index(text_column)
        id_index = table.columns.index(id_column) if id_column is not None else None
        if time_column is not None and time_column not in table.columns:
            raise CorpusError(f"time column {time_column!r} not in {source}; its columns are {table.columns}")
        time_index = table.columns.index(time_column) if time_column is not None else None
        columns = _output_columns(table.columns)

        loaded, spec, manifest = _resolve_router(router, entities=entities, max_chars=max_chars, jobs=jobs)
        model_id = str(manifest.get("bundle_id", "unsaved"))
        limit = min(max_chars, spec.max_length) if spec.max_length else max_chars
        identity = input_identity(source) if checkpoint_path is not None and source != "-" else None
        options = {"text_column": text_column, "time_column": time_column, "model": model_id, "entities": spec.entities,
                   "max_chars": limit,
                   "input_format": table.format, "output_format": out_fmt, "encoding": table.encoding,
                   "delimiter": table.delimiter, "safe_csv": bool(safe_csv) and out_fmt == "csv"}
        if saved is not None:
            check_resumable(saved, identity, options, source, target, checkpoint_path)
        rows = table.rows()
        if time_index is not None:  # refuse a time column the model cannot read before writing anything
            head = list(itertools.islice(rows, TIME_SAMPLE_ROWS))
            rows = itertools.chain(head, rows)
            problem = _time_mismatch(manifest, time_column, [r.values[time_index] for r in head if r.error is None])
            if problem:
                raise OptionMismatch(problem)
        home = _home_region(loaded, manifest)
        done = int(saved["rows_done"]) if saved else 0
        counts = Counts(saved.get("counts") if saved else None)

        saved_state = dict(saved.get("state", {})) if saved else {}
        streamed = out_fmt in ("csv", "jsonl")

        def checkpoint() -> None:
            if checkpoint_path is not None:
                write_json_atomic(checkpoint_path, {
                    "version": CHECKPOINT_VERSION, "input": identity, "output": str(Path(target).resolve()),
                    "chunk_size": chunk_size, "options": options, "rows_done": counts.rows,
                    "state": writer.state() if writer is not None else saved_state, "counts": counts.to_dict()})

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
                                     list(zip(OUTPUT_COLUMNS, ADDED_TYPES)), parts=int(saved_state.get("parts", 0)))
        except OSError as exc:
            raise CorpusError(f"cannot write {target}: {exc.strerror or exc}") from exc
        except ImportError as exc:  # Parquet and XLSX outputs are assembled from Parquet parts
            raise CorpusError(f"writing {out_fmt} needs pyarrow: pip install pyarrow") from exc
        checkpoint()
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
            results = [error_result(row.error) if row.error is not None else result for row, result in zip(chunk, results)]
            if out_fmt != "jsonl" and not warned and any(row.extra for row in chunk):
                warned.append(True)
                log.warning("curnlp: JSONL rows have keys absent from the first %d lines; a %s output keeps "
                            "only the columns found there (a .jsonl output keeps every key)",
                            1000, out_fmt)
            writer.write(chunk, results)
            counts.add(chunk, results, id_index)
            if not region_checked:
                region_checked.append(True)
                warning = region_warning(counts.regions, home, counts.routed)
                if warning:
                    warn(f"after the first {counts.rows:,} rows: {warning}")
            checkpoint()
            bar.update(position - bar.n if bytes_progress else len(chunk))

        warned: list[bool] = []
        region_checked: list[bool] = []
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
                      header_lines=table.header_lines, blank_lines=table.blank_lines, labelled=counts.labelled,
                      reasons=dict(counts.reasons), regions=dict(counts.regions), home_region=home)
    log.info("curnlp score: %s", summary)
    return summary
