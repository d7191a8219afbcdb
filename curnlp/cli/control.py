"""``curnlp control FILE --created-column C --answered-column A``: answered, open and overdue
messages and answer times per responsible (``--by``); the open messages go to ``OUT.open.csv``
(CSV output) or a section of the page (HTML)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._tables import add_municipality_column, check_output, positive, usage_error, write_table


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("control", help="control of answers: answered/open/overdue per responsible")
    p.add_argument("data", help="archive: .csv (, or ;), .tsv, .jsonl, .parquet or .xlsx")
    p.add_argument("--created-column", required=True, help="column with the time a message came in")
    p.add_argument("--answered-column", required=True, help="column with the time it was answered (blank: open)")
    p.add_argument("--by", help="column of the responsible (agency, official); default: one row for all")
    p.add_argument("--due-hours", default="24", help="an open message is overdue after this many hours (default 24)")
    p.add_argument("--as-of", help="the moment of the check (default: the latest time in the archive)")
    p.add_argument("--text-column", help="message text shown in the HTML list of open messages")
    add_municipality_column(p)
    p.add_argument("-o", "--output", help="OUT.csv (+ OUT.open.csv) or OUT.html (default: CSV on stdout)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        due = positive(args.due_hours, "--due-hours", integer=False)
        check_output(args.output)
    except ValueError as exc:
        return usage_error("control", str(exc))
    from ..errors import InvalidInput
    from ..analytics.control import control_page, control_table
    try:
        result = control_table(args.data, created=args.created_column, answered=args.answered_column, by=args.by,
                               due_hours=due, as_of=args.as_of, municipality_column=args.municipality_column)
    except InvalidInput as exc:
        return usage_error("control", str(exc))
    write_table(result.table, args.output, lambda: control_page(result, text_column=args.text_column))
    if args.output is not None and Path(args.output).suffix.lower() == ".csv":
        out = Path(args.output)
        write_table(result.open_messages, str(out.with_name(out.stem + ".open.csv")), str)
    return 0
