"""``curnlp report SCORED -o PAGE.html``: the HTML digest of a scored archive, or a one-page brief."""
from __future__ import annotations

import argparse
import sys

from ._common import positive_int
from ._tables import add_municipality_column
from .incidents import window


def _hours(text: str) -> float:
    from ._tables import positive
    try:
        return positive(text, "--due-hours", integer=False)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("report", help="HTML digest of a scored archive (spikes, incidents, map, trends, "
                                             "groups, municipalities) or a one-page municipality brief",
                              description="Summarise a file written by 'curnlp score' as one self-contained "
                                          "Russian HTML page with tables and charts; with --municipality, a "
                                          "printable A4 brief for one municipality.")
    p.add_argument("scored", help="output of curnlp score (.csv/.tsv with any delimiter, .jsonl, .parquet, .xlsx)")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--time-column", "--date-column", dest="time_column",
                   help="column with the message date/time (default: detected)")
    p.add_argument("--window", type=window, default="48h",
                   help="latest window for spikes and incident window: a number with a unit, min, h, d or w "
                        "(default 48h)")
    p.add_argument("--municipality", help="write the one-page brief of this municipality or town instead")
    p.add_argument("--region", default="kursk", help="region pack for group names, okrugs and the map "
                                                     "(name or JSON file; 'none' for none; default kursk)")
    add_municipality_column(p)
    p.add_argument("--created-column", help="column with the time a message came in, for the control of answers "
                   "(default: the time column)")
    p.add_argument("--answered-column", help="column with the time a message was answered (blank: open); adds the "
                   "control of answers (answered / open / overdue per responsible)")
    p.add_argument("--due-hours", type=_hours, default=24, help="an open message is overdue after this many hours "
                   "(default 24)")
    p.add_argument("--author-column", help="column of the message's author: one author's messages about different "
                   "places are not one incident")
    p.add_argument("--cities", help="city.csv with coordinates to use instead of the shipped table")
    p.add_argument("--no-incidents", action="store_true", help="skip the incident search (faster on huge files)")
    p.add_argument("--period", choices=("auto", "week", "month"), default="auto",
                   help="time buckets of the trend table (default: weeks up to 120 days, else months)")
    p.add_argument("--top", type=positive_int, default=10, help="groups shown as columns, topics listed x2 (default 10)")
    p.add_argument("--title", help="page title")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analytics.report import write_report
    digest = write_report(args.scored, args.output, time_column=args.time_column, period=args.period, top=args.top,
                          title=args.title, window=args.window, region=None if args.region == "none" else args.region,
                          cities=args.cities, incidents=not args.no_incidents, municipality=args.municipality,
                          municipality_column=args.municipality_column, created_column=args.created_column,
                          answered_column=args.answered_column, author_column=args.author_column,
                          due_hours=args.due_hours)
    if not args.quiet:
        what = f"brief for {args.municipality}" if args.municipality else "report"
        print(f"curnlp report: {digest.rows:,} rows ({digest.routed:,} routed, {digest.failed:,} failed, "
              f"{digest.review_share:.1%} need review) -> {what} {args.output}", file=sys.stderr)
    return 0
