"""Command line: ``curnlp COMMAND ...``, one module per command in this package.

Each command module exposes ``register(subparsers)`` (adds its subparser and sets
``func=run``) and ``run(args) -> int``; heavy imports happen inside ``run``, so
``curnlp route`` starts without pandas or scikit-learn. To add a command, write
``curnlp/cli/<name>.py`` with those two functions and list it in :data:`COMMANDS`.

Exit codes: 0 success, 1 a curnlp error (bad input, missing or corrupt model, unusable
corpus), 2 bad usage, 3 ``score``: no row could be routed, 4 ``score``: more rows failed
than ``--max-failed``, 130 interrupted (see ``curnlp score --help``).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__
from ..errors import CurnlpError

#: command modules of this package, in the order ``--help`` lists them
COMMANDS = ("route", "locate", "normalize", "score", "report", "incidents", "train", "evaluate", "compile",
            "learn_pack", "update", "replay")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``curnlp`` argument parser with every command of :data:`COMMANDS`, or with the
    one named ``only`` (what :func:`main` runs: no other command's module is imported)."""
    parser = argparse.ArgumentParser(prog="curnlp", description="Route Russian citizens' messages to the agency responsible.")
    parser.add_argument("--version", action="version", version=f"curnlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``curnlp`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a.replace("-", "_") for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        return args.func(args)
    except CurnlpError as exc:
        print(f"curnlp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
