"""What several commands share: reading the message, printing JSON, label-column options."""
from __future__ import annotations

import argparse
import json
import re
import sys

from ..errors import CurnlpError


def read_text(args: argparse.Namespace) -> str:
    """The message argument, or standard input when it is omitted or ``-``."""
    if args.text is not None and args.text != "-":
        return args.text
    return sys.stdin.read()


def print_json(obj: object, pretty: bool) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2 if pretty else None)
    sys.stdout.write("\n")


def add_text_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")


def add_label_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="labelled archive: .csv, .tsv, .jsonl, .parquet or .xlsx")
    p.add_argument("--text-column", help="column with the message text (default: guessed from common names)")
    p.add_argument("--topic-column", help="column with the fine topic")
    p.add_argument("--group-column", help="column with the topic group")
    p.add_argument("--agency-column", help="column with the responsible agency")
    p.add_argument("--time-column", help="column with dates/datetimes or numbers growing with time (e.g. id): train "
                   "learns the periods of labelling and routes as of the latest; evaluate routes each row as of its time")


def labels(args: argparse.Namespace) -> dict[str, str | None]:
    return {"text": args.text_column, "topic": args.topic_column, "group": args.group_column,
            "agency": args.agency_column}


def progress(args: argparse.Namespace) -> bool:
    """Progress bars on stderr: only on a terminal, never with --quiet."""
    return not args.quiet and sys.stderr.isatty()


_OPTION_NAMES = {"text": "--text-column", "topic": "--topic-column", "group": "--group-column",
                 "agency": "--agency-column", "rare": "--rare", "min_examples": "--min-examples"}


def with_option_names(exc: CurnlpError) -> CurnlpError:
    """``exc`` with the Python argument names of the library (``topic=``) replaced by the
    command-line options (``--topic-column``)."""
    message = re.sub(r"\b(text|topic|group|agency|rare|min_examples)=('[^']*'|[^\s,;)]*)",
                     lambda m: _OPTION_NAMES[m.group(1)] + (" " + m.group(2) if m.group(2) else ""), str(exc))
    message = message.replace("a smaller min_examples", "a smaller --min-examples")
    return type(exc)(message) if message != str(exc) else exc
