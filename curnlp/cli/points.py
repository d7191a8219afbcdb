"""``curnlp points FILE``: places (house, street, settlement within their municipality) with
repeated complaints, as CSV or HTML; a raw archive gets the place stage here."""
from __future__ import annotations

import argparse

from ._tables import add_municipality_column, check_output, positive, usage_error, write_table


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("points", help="problem points: places with repeated complaints")
    p.add_argument("data", help="archive: .csv (, or ;), .tsv, .jsonl, .parquet or .xlsx; raw or scored")
    p.add_argument("--text-column", help="column with the message text (default: guessed)")
    p.add_argument("--time-column", help="column with the message dates (default: guessed; needed by --days)")
    p.add_argument("--topic-column", help="column for the main topic of each place (default: the scored group, "
                   "else a column named like «Тематика»)")
    p.add_argument("--days", help="only the last N days before the latest message")
    p.add_argument("--region", help="region pack for the place stage (default: kursk)")
    p.add_argument("--min-messages", default="2", help="leave out places with fewer messages (default 2)")
    add_municipality_column(p)
    p.add_argument("-o", "--output", help="OUT.csv or OUT.html (default: CSV on stdout)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        days = positive(args.days, "--days") if args.days is not None else None
        least = positive(args.min_messages, "--min-messages")
        check_output(args.output)
    except ValueError as exc:
        return usage_error("points", str(exc))
    from ..errors import InvalidInput
    from ..analytics.points import find_points, points_page
    try:
        found = find_points(args.data, text=args.text_column, time=args.time_column, days=days, region=args.region,
                            topic=args.topic_column, min_messages=least,
                            municipality_column=args.municipality_column)
    except InvalidInput as exc:
        return usage_error("points", str(exc))
    write_table(found, args.output, lambda: points_page(found))
    return 0
