"""``curnlp learn-pack ARCHIVE -o PACK``: mine streets and settlements into a region pack to review."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("learn-pack", help="mine streets and settlements of an archive into a region pack to review")
    p.add_argument("archive", help="CSV archive of messages")
    p.add_argument("-o", "--output", required=True, help="pack JSON to write")
    p.add_argument("--base", default="kursk", help="pack to extend: name, JSON file or subject of Russia (its starting pack) (default: kursk)")
    p.add_argument("--text-column", default="Текст Сообщения", help="column with the message text")
    p.add_argument("--agency-column", default="Ответственное лицо", help="column with the responsible agency ('' for none)")
    p.add_argument("--min-count", type=int, default=2, help="mentions an entry needs (default: 2)")
    p.add_argument("--min-share", type=float, default=0.8, help="share of mentions its municipality needs (default: 0.8)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..places.learn import learn_pack, write_pack
    # the command as typed, with the archive by file name only (no local paths in a shipped pack)
    argv = sys.argv[2:] if sys.argv[1:2] == ["learn-pack"] else []
    command = " ".join(["curnlp learn-pack", *(Path(x).name if x == args.archive else x for x in argv)]) if argv else None
    pack = learn_pack(args.archive, base=args.base, text=args.text_column, agency=args.agency_column or None,
                      min_count=args.min_count, min_share=args.min_share, command=command)
    path = write_pack(pack, args.output)
    mined = pack["provenance"]["mined"]
    print(f"{path}: {mined['streets']} mined streets, {mined['settlements']} mined settlements to review", file=sys.stderr)
    return 0
