"""``curnlp replay DATA --time-column COL``: walk a dated archive in time order, routing,
observing and updating block by block; prints the summary as JSON."""
from __future__ import annotations

import argparse

from ..errors import CurnlpError
from ._common import add_label_columns, labels, print_json, progress, with_option_names


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("replay", help="prequential replay of a dated archive: train on the start, then "
                              "route, observe and update block by block")
    add_label_columns(p)
    p.add_argument("--every", default="1M",
                   help="block: a calendar period of the time column (1M, 7D, 1Y) or a number of messages (150)")
    p.add_argument("--start", type=float, default=0.2, help="share of the archive trained on first (default 0.2)")
    p.add_argument("--region", default=None, help="region pack name (kursk) or JSON file (default: none)")
    p.add_argument("--html", help="also write an HTML report (tables and plot) here")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..live.replay import replay
    if not args.time_column:
        raise SystemExit("curnlp replay: error: --time-column is required")
    every = int(args.every) if args.every.isdigit() else args.every
    cols = labels(args)
    try:
        result = replay(args.data, text=cols["text"], topic=cols["topic"], group=cols["group"], agency=cols["agency"],
                        time=args.time_column, every=every, start=args.start, region=args.region,
                        progress=progress(args))
    except CurnlpError as exc:
        raise with_option_names(exc) from exc
    if args.html:
        result.to_html(args.html)
    print_json({k: v for k, v in result.summary.items() if k != "blocks"}, args.pretty)
    return 0
