"""``curnlp incidents SCORED -o OUT``: group the messages of a scored archive into incidents."""
from __future__ import annotations

import argparse
import sys

from ._common import positive_int
from ._tables import add_municipality_column


def window(text: str) -> str:
    """An argparse ``type=`` for time windows: ``48h``, ``2d``, ``90min``, ``1w`` (the value is kept
    as given); a number without a unit or a window that is not positive is refused (exit 2)."""
    from ..io.dates import parse_window
    from ..errors import CorpusError
    try:
        parse_window(text)
    except CorpusError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], not {text}")
    return value


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("incidents", help="group messages about one problem in one place and time into incidents",
                              description="Link messages of a scored archive about the same problem in the same "
                                          "municipality within a time window. Writes every row with an 'incident' "
                                          "id, and an incident table (size, first/last time, place, topic, a "
                                          "representative message).")
    p.add_argument("scored", help="output of curnlp score (.csv/.tsv with any delimiter, .jsonl, .parquet, .xlsx)")
    p.add_argument("-o", "--output", required=True, help="rows with incident ids (.csv, .jsonl, .parquet, .xlsx)")
    p.add_argument("--table", help="incident table to write (default: OUTPUT with .incidents before the extension)")
    p.add_argument("--time-column", help="column with the message time (default: detected)")
    p.add_argument("--text-column", help="column with the message text (default: detected)")
    p.add_argument("--window", type=window, default="48h",
                   help="longest gap between linked messages: a number with a unit, min, h, d or w (default 48h; "
                        "e.g. 24h, 3d, 90min)")
    p.add_argument("--max-span", type=window, help="longest incident, same units (default: 2 x window)")
    p.add_argument("--threshold", type=_share, help="minimum link score, 0-1 (default 0.15; higher: smaller, "
                                                    "purer incidents)")
    add_municipality_column(p)
    p.add_argument("--author-column", help="column of the message's author: one author's messages link only when "
                   "they name the same street (or are near-duplicates)")
    p.add_argument("--min-size", type=positive_int, default=2, help="smallest incident in the table (default 2)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analytics.incidents import table_path, write_incidents
    table = args.table or table_path(args.output)
    extra = {"threshold": args.threshold} if args.threshold is not None else {}
    result = write_incidents(args.scored, args.output, table, text_column_name=args.text_column,
                             time_column_name=args.time_column, window=args.window, max_span=args.max_span,
                             min_size=args.min_size, municipality_column=args.municipality_column,
                             author=args.author_column, **extra)
    if not args.quiet:
        s = result.stats
        print(f"curnlp incidents: {s['rows']:,} rows, {s['incidents_min_size']:,} incidents of >= {args.min_size} "
              f"messages holding {s['rows_in_listed_incidents']:,} rows, in {s['seconds']['total']:.1f} s "
              f"-> {args.output}, {table}", file=sys.stderr)
    return 0
