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
import os
import sys
from typing import NoReturn, Sequence

from .. import __version__
from ..errors import CurnlpError

#: command modules of this package, in the order ``--help`` lists them
COMMANDS = ("route", "locate", "normalize", "score", "report", "incidents", "calendar", "points", "control", "train",
            "evaluate", "update", "replay", "compile", "learn_pack", "serve")


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, ``curnlp: error: ...`` (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"curnlp: error: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``curnlp`` argument parser with every command of :data:`COMMANDS`, or with the
    one named ``only`` (what :func:`main` runs: no other command's module is imported)."""
    parser = Parser(prog="curnlp", description="Route Russian citizens' messages to the agency responsible.")
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
        code = args.func(args)
        sys.stdout.flush()  # here, so a closed pipe is seen inside the try
        return code
    except BrokenPipeError:
        # the reader went away (``curnlp route ... | head -c 10``): stop quietly; stdout goes
        # to devnull so the flush at interpreter exit does not fail again
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except CurnlpError as exc:
        print(f"curnlp: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be read or written: what and where, without a traceback
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"curnlp: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
