"""``curnlp learn-pack ARCHIVE -o PACK``: mine streets and settlements into a region pack to review."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from ._common import add_encoding, input_file, positive_int

#: the agency column looked for when --agency-column is not given
DEFAULT_AGENCY_COLUMN = "Ответственное лицо"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("learn-pack", help="mine streets and settlements of an archive into a region pack to review")
    p.add_argument("archive", type=input_file, help="archive of messages: .csv/.tsv (encoding and delimiter detected), "
                                                    ".jsonl, .parquet or .xlsx")
    p.add_argument("-o", "--output", required=True, help="pack JSON to write")
    p.add_argument("--base", default="kursk", help="pack to extend: name, JSON file or subject of Russia (its starting pack) (default: kursk)")
    p.add_argument("--text-column", default=None,
                   help="column with the message text (default: guessed from common names, as score and train do)")
    p.add_argument("--agency-column", default=None,
                   help=f"column with the responsible agency (default: {DEFAULT_AGENCY_COLUMN!r} when the archive "
                        "has it; '' for none)")
    add_encoding(p)
    p.add_argument("--min-count", type=positive_int, default=2, help="mentions an entry needs (default: 2)")
    p.add_argument("--min-share", type=float, default=0.8, help="share of mentions its municipality needs (default: 0.8)")
    p.set_defaults(func=run)
    return p


def _pairs(table, text_index: int, agency_index: int | None) -> Iterator[tuple[str, str]]:
    for row in table.rows():
        if row.error is not None:
            continue
        text = row.values[text_index]
        agency = row.values[agency_index] if agency_index is not None else ""
        yield (text if isinstance(text, str) else "", agency if isinstance(agency, str) else "")


def run(args: argparse.Namespace) -> int:
    from ..corpus import guess_text_column
    from ..io import open_table
    from ..places.learn import learn_pack, write_pack
    from ._common import encoding_hint
    # the command as typed, with the archive by file name only (no local paths in a shipped pack)
    argv = sys.argv[2:] if sys.argv[1:2] == ["learn-pack"] else []
    command = " ".join(["curnlp learn-pack", *(Path(x).name if x == args.archive else x for x in argv)]) if argv else None
    table = open_table(args.archive, encoding=args.encoding)
    try:
        columns = table.columns
        if args.text_column is None:
            try:
                text = guess_text_column(columns)
            except CorpusError as exc:
                raise CorpusError(f"{exc}; give --text-column{encoding_hint(args.archive, args.encoding)}") from None
        elif args.text_column in columns:
            text = args.text_column
        else:
            raise CorpusError(f"--text-column {args.text_column!r} not in {args.archive}; its columns are {columns}")
        agency = args.agency_column
        if agency is None:
            agency = DEFAULT_AGENCY_COLUMN if DEFAULT_AGENCY_COLUMN in columns else ""
        elif agency and agency not in columns:
            raise CorpusError(f"--agency-column {agency!r} not in {args.archive}; its columns are {columns}")
        pairs = _pairs(table, columns.index(text), columns.index(agency) if agency else None)
        pack = learn_pack(pairs, base=args.base, agency=agency or None, min_count=args.min_count,
                          min_share=args.min_share, command=command)
    finally:
        table.close()
    pack["provenance"]["archive"] = Path(args.archive).name  # rows were passed, not the file: name it
    path = write_pack(pack, args.output)
    mined = pack["provenance"]["mined"]
    print(f"{path}: {mined['streets']} mined streets, {mined['settlements']} mined settlements to review", file=sys.stderr)
    return 0
