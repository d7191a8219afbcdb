"""``curnlp locate [TEXT]``: places and municipality of one message, no classifier."""
from __future__ import annotations

import argparse

from ._common import add_text_argument, print_json, read_text


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("locate", help="places and municipality of one message, no classifier (JSON out)")
    add_text_argument(p)
    p.add_argument("--region", default=None, help="region pack name, JSON file or subject of Russia (its starting pack) (default: kursk)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..places import locate
    print_json(locate(read_text(args), region=args.region).to_dict(), args.pretty)
    return 0
