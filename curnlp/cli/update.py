"""``curnlp update BUNDLE LABELLED -o NEW_BUNDLE``: retrain a bundle on its rows plus corrections."""
from __future__ import annotations

import argparse
import sys

from ..errors import CurnlpError
from ._common import with_option_names


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("update", help="learn from corrections: a new bundle trained on the bundle's rows "
                              "plus new labelled rows (same columns as training)")
    p.add_argument("bundle", help="bundle directory to update")
    p.add_argument("labelled", help="new labelled rows: .csv, .tsv, .jsonl, .parquet, .xlsx, or the feedback store of "
                   "`curnlp serve --feedback-db` (SQLite)")
    p.add_argument("-o", "--output", required=True, help="new bundle directory to write")
    p.add_argument("--base", help="the archive the bundle was trained on (checked against its row hashes); "
                   "needed unless the bundle keeps its rows")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep-rows", dest="keep", action="store_true", default=None,
                      help="store the training rows in the new bundle (personal data: never ship such a bundle)")
    keep.add_argument("--no-keep-rows", dest="keep", action="store_false", help="store only row hashes")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..live.update import update
    from ..router import Router
    try:
        router = Router.load(args.bundle, entities=False, warm_up=False)
        new = update(router, args.labelled, base=args.base, keep=args.keep)
    except CurnlpError as exc:
        raise with_option_names(exc) from exc
    path = new.save(args.output)
    lineage, promise = new.manifest["lineage"], new.promise or {}
    print(f"bundle {new.id} written to {path}: {lineage['rows_added']} rows added to {router.id} "
          f"({lineage['rows_total']} in all); review threshold {new.review_threshold:.3f} "
          f"(promise: {promise.get('accuracy')} accuracy, checked on {promise.get('checked_on')})", file=sys.stderr)
    return 0
