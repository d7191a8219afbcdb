"""Command line: ``curnlp normalize``.

Exit codes: 0 success, 1 a curnlp error (bad input, missing or corrupt model), 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from . import __version__
from .errors import CurnlpError


def _read_text(args: argparse.Namespace) -> str:
    if args.text is not None and args.text != "-":
        return args.text
    return sys.stdin.read()


def _print_json(obj: object, pretty: bool) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2 if pretty else None)
    sys.stdout.write("\n")


def _cmd_normalize(args: argparse.Namespace) -> int:
    from .normalize import normalize
    _print_json(normalize(_read_text(args)).to_dict(), args.pretty)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curnlp", description="Route Russian citizens' messages to the agency responsible.")
    parser.add_argument("--version", action="version", version=f"curnlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("normalize", help="clean, tokenize and lemmatize one message (JSON out)")
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(run=_cmd_normalize)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``curnlp`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CurnlpError as exc:
        print(f"curnlp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
