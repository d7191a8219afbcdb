"""``curnlp normalize [TEXT]``: the cleaning, tokens and lemmas of one message."""
from __future__ import annotations

import argparse

from ._common import add_text_argument, print_json, read_text


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("normalize", help="clean, tokenize and lemmatize one message (JSON out)")
    add_text_argument(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..normalize import normalize
    print_json(normalize(read_text(args)).to_dict(), args.pretty)
    return 0
