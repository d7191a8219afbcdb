"""What several commands share: reading the message, printing JSON, label-column options,
option types that refuse a bad value as a one-line usage error (exit 2)."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

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


def positive_int(text: str) -> int:
    """An option value that must be a whole number above zero."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, not {text!r}")
    return value


def jobs_count(text: str) -> int:
    """``--jobs``: a number of processes above 0, or -1 for one per core."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a number of processes above 0 (or -1: one per core), not {text!r}")
    return value


def input_file(text: str) -> str:
    """An input archive path ('-' for stdin); a directory is refused here, as a usage error."""
    if text != "-" and Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give an archive file "
                                         "(.csv, .tsv, .jsonl, .parquet, .xlsx)")
    return text


def add_encoding(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoding", help="CSV encoding (default: detected: UTF-8 with or without BOM, cp1251; "
                                      "give it for others, e.g. koi8-r)")


def read_archive(path: str, encoding: str | None):
    """A CSV archive as a DataFrame of strings, read in the ``encoding`` given (the other
    formats are returned as the path: the library reads them)."""
    from ..io import format_of, open_table
    if encoding is None or format_of(path, None, "input") != "csv":
        return path
    import pandas as pd
    table = open_table(path, encoding=encoding)
    try:
        kept = [row.values for row in table.rows() if row.error is None]  # as read_table: broken records left out
        return pd.DataFrame(kept, columns=table.columns, dtype=object)
    finally:
        table.close()


def encoding_hint(path: str, encoding: str | None) -> str:
    """What to add to a "no text column found" error of a CSV whose encoding was guessed."""
    from ..batch.scoring import encoding_hint as hint
    from ..io import open_table
    try:
        table = open_table(path, encoding=encoding)
    except Exception:  # noqa: BLE001 -- only a hint
        return ""
    try:
        return hint(table, path, given=encoding)
    finally:
        table.close()


def add_label_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=input_file, help="labelled archive: .csv, .tsv, .jsonl, .parquet or .xlsx")
    add_encoding(p)
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
