"""``curnlp score ARCHIVE -o OUTPUT``: route every row of an archive into a new file.

The scoring itself is :func:`curnlp.batch.score_file`; this module holds the options,
their checks (a bad value is a one-line usage error, exit 2), and what the run prints:
the summary, the review share by reason with what to do, and a warning when the archive
looks like another region's.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from ..batch.summary import EXIT_CODES
from ..batch.values import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CHARS
from ..io import FORMATS
from ._common import add_encoding, input_file, jobs_count, positive_int


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
    p.add_argument("input", type=input_file,
                   help="archive: .csv/.tsv (encoding and delimiter detected), .jsonl, .parquet, .xlsx; '-' for stdin")
    p.add_argument("-o", "--output", required=True, help="scored file (format by suffix); '-' for stdout")
    p.add_argument("--format", choices=("csv", "jsonl"),
                   help="format of stdin and stdout when they are '-' (default csv)")
    p.add_argument("--input-format", choices=FORMATS, help="input format (default: by suffix; overrides --format)")
    p.add_argument("--output-format", choices=FORMATS, help="output format (default: by suffix; overrides --format)")
    p.add_argument("--text-column", help="column with the message (default: guessed from common names such as "
                                         "«Текст обращения», «Текст Сообщения», text)")
    p.add_argument("--id-column", help="column with a row id (shown in failure examples)")
    p.add_argument("--time-column", help="column with each message's date or time: route it as of then "
                                         "(a bundle trained with --time-column; empty = now)")
    p.add_argument("--model", metavar="DIR", help="model bundle directory (default: the shipped Kursk model)")
    p.add_argument("--jobs", "-j", type=jobs_count, default=1, metavar="N", help="worker processes (-1: one per core)")
    p.add_argument("--chunk-size", type=positive_int, default=DEFAULT_CHUNK_SIZE, metavar="ROWS",
                   help=f"rows per chunk (default {DEFAULT_CHUNK_SIZE})")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into the same output")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    p.add_argument("--no-entities", action="store_true", help="skip NER (fast mode)")
    p.add_argument("--max-chars", type=positive_int, default=DEFAULT_MAX_CHARS, metavar="N",
                   help=f"longer messages get an error (default {DEFAULT_MAX_CHARS:,})")
    add_encoding(p)
    p.add_argument("--delimiter", help="CSV delimiter (default: detected among , ; tab |)")
    p.add_argument("--safe-csv", action="store_true",
                   help="CSV output: prefix cells starting with = + - @ with ' so spreadsheets show them as text")
    p.add_argument("--max-failed", type=failure_limit, metavar="N|P%",
                   help="exit with status 4 when more rows than N (or P%% of the rows) fail")
    p.set_defaults(func=run)
    return p


def _warn(message: str) -> None:
    print(f"curnlp score: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from ..batch import OptionMismatch, exit_status, score_file
    input_format = args.input_format or (args.format if args.input == "-" else None)
    output_format = args.output_format or (args.format if args.output == "-" else None)
    try:
        summary = score_file(
            args.input, args.output, text_column=args.text_column, id_column=args.id_column, router=args.model,
            jobs=args.jobs, chunk_size=args.chunk_size, resume=args.resume, progress=not args.quiet,
            entities=not args.no_entities, max_chars=args.max_chars,
            input_format=input_format, output_format=output_format,
            encoding=args.encoding, delimiter=args.delimiter, safe_csv=args.safe_csv, time_column=args.time_column,
            warn=_warn)
    except OptionMismatch as exc:  # an option that does not fit the input or the model: usage
        print(f"curnlp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.output != "-":
            print(f"curnlp score: interrupted; {args.output} is kept with its checkpoint: run the same command "
                  "with --resume to finish it", file=sys.stderr)
        raise
    if not args.quiet:
        print(f"curnlp score: {summary}", file=sys.stderr)
        for line in summary.advice():
            print(f"  review {line}", file=sys.stderr)
        for failure in summary.failures[:5]:
            print(f"  {failure}", file=sys.stderr)
    warning = summary.region_warning()
    if warning:
        _warn(warning)
    code, message = exit_status(summary, args.max_failed)
    if message:
        print(f"curnlp score: error: {message}", file=sys.stderr)
    return code
