"""``curnlp calendar FILE --time-column C``: the risk calendar (expected messages per topic for the
next weeks or months, with an interval) as CSV or HTML; ``--backtest`` scores the model on the
archive itself against naive forecasts."""
from __future__ import annotations

import argparse

from ._tables import add_municipality_column, check_output, positive, usage_error, write_table


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("calendar", help="risk calendar: expected messages per topic for the next weeks/months")
    p.add_argument("data", help="archive: .csv (, or ;), .tsv, .jsonl, .parquet or .xlsx; raw or scored")
    p.add_argument("--time-column", required=True, help="column with the message dates")
    p.add_argument("--by", help="column to forecast per value (default: the scored group column)")
    p.add_argument("--freq", default="M", help="W (weeks from Monday) or M (months, default)")
    p.add_argument("--as-of", help="forecast from this date, reading only the rows before it (default: after the "
                   "last message)")
    p.add_argument("--periods", default="3", help="how many weeks/months ahead (default 3)")
    p.add_argument("--backtest", action="store_true", help="print the model's error on the archive itself (monthly "
                   "origins, three months ahead) against naive forecasts, and the interval coverage")
    add_municipality_column(p)
    p.add_argument("-o", "--output", help="OUT.csv or OUT.html (default: CSV on stdout; with --backtest: none)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        periods = positive(args.periods, "--periods")
        if args.freq not in ("W", "M"):
            raise ValueError(f"--freq must be W or M, not {args.freq!r}")
        check_output(args.output)
    except ValueError as exc:
        return usage_error("calendar", str(exc))
    from ..errors import InvalidInput
    from ..analytics.calendar import backtest_calendar, calendar_page, forecast_calendar
    try:
        if args.backtest:
            print(backtest_calendar(args.data, time=args.time_column, by=args.by).text())
            if args.output is None:
                return 0
        forecast = forecast_calendar(args.data, time=args.time_column, by=args.by, freq=args.freq,
                                     as_of=args.as_of, periods=periods,
                                     municipality_column=args.municipality_column)
    except InvalidInput as exc:
        return usage_error("calendar", str(exc))
    write_table(forecast.drop(columns=["method"]), args.output, lambda: calendar_page(forecast))
    return 0
