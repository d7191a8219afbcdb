"""``curnlp route [TEXT]``: route one message, JSON out."""
from __future__ import annotations

import argparse
import sys

from ._common import add_text_argument, print_json, read_text


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("route", help="route one message with a model bundle (JSON out)")
    add_text_argument(p)
    p.add_argument("--model", help="bundle directory (default: the shipped Kursk model)")
    p.add_argument("--no-entities", action="store_true", help="skip named entities (faster)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..router import Router
    router = Router.load(args.model, entities=not args.no_entities)
    routing = router.route(read_text(args))
    print_json(routing.to_dict(), args.pretty)
    if routing.review_reasons:  # routed (exit 0), but a person must look: say why on stderr
        print(f"needs review: {', '.join(routing.review_reasons)}", file=sys.stderr)
    return 0
