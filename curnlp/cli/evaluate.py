"""``curnlp evaluate DIR DATA``: evaluate a bundle on a labelled archive."""
from __future__ import annotations

import argparse
import sys

from ..errors import CurnlpError
from ._common import add_label_columns, encoding_hint, labels, progress, read_archive, with_option_names


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("evaluate", help="evaluate a bundle on a labelled archive")
    p.add_argument("model", help="bundle directory")
    add_label_columns(p)
    p.add_argument("--html", help="also write the Russian HTML report with charts here")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..router import Router
    from ..training import evaluate
    router = Router.load(args.model, entities=False)
    try:
        report = evaluate(router, read_archive(args.data, args.encoding), **labels(args), progress=progress(args),
                          time=args.time_column)
    except CurnlpError as exc:
        if "no text column found" in str(exc):
            raise type(exc)(f"{with_option_names(exc)}{encoding_hint(args.data, args.encoding)}") from exc
        raise with_option_names(exc) from exc
    if report.info.get("training_overlap_rows"):
        print(f"curnlp evaluate: warning: {report.info['training_overlap']:.0%} of these rows "
              f"({report.info['training_overlap_rows']:,}) were in the training data: the figures are not held-out",
              file=sys.stderr)
    print(report)
    if args.html:
        report.to_html(args.html)
        print(f"report written to {args.html}", file=sys.stderr)
    return 0
