"""``curnlp train DATA -o DIR``: train a bundle on a labelled archive."""
from __future__ import annotations

import argparse
import sys

from ..errors import CurnlpError
from ._common import add_label_columns, encoding_hint, labels, progress, read_archive, with_option_names


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train a bundle on a labelled archive")
    add_label_columns(p)
    p.add_argument("-o", "--output", required=True, help="bundle directory to write")
    p.add_argument("--region", default=None,
                   help="region pack name (kursk), JSON file or subject of Russia (its starting pack), for municipality features (default: none)")
    p.add_argument("--folds", type=int, default=5, help="grouped CV folds for the manifest metrics (0: skip)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--min-examples", type=int, default=2, help="classes with fewer rows are rare (default: 2)")
    p.add_argument("--rare", choices=("other", "keep", "error"), default="other",
                   help="merge rare classes into «другое», keep them, or stop with an error")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        return _train(args)
    except CurnlpError as exc:
        if "no text column found" in str(exc):
            raise type(exc)(f"{with_option_names(exc)}{encoding_hint(args.data, args.encoding)}") from exc
        raise with_option_names(exc) from exc


def _train(args: argparse.Namespace) -> int:
    from ..training import train
    router = train(read_archive(args.data, args.encoding), **labels(args), region=args.region, folds=args.folds, random_state=args.seed,
                   min_examples=args.min_examples, rare=args.rare, progress=progress(args), time=args.time_column)
    path = router.save(args.output)
    metrics = (router.manifest.get("metrics") or {}).get("cross_validation") or {}
    for target, m in metrics.items():
        print(f"{target}: grouped {args.folds}-fold CV accuracy {m['accuracy']:.3f}, macro F1 {m['macro_f1']:.3f}, "
              f"ECE {m['ece']:.3f}", file=sys.stderr)
    forward = (router.manifest.get("metrics") or {}).get("forward") or {}
    for target in ("topic", "group", "agency"):
        if isinstance(forward.get(target), dict) and forward[target].get("n"):
            m = forward[target]
            print(f"{target}: forward-in-time accuracy {m['accuracy']:.3f} (top-3 {m.get('top3_accuracy', float('nan')):.3f}) "
                  f"on the latest {forward.get('folds')} × {forward.get('test_size', 0):.0%}", file=sys.stderr)
    for p in (router.manifest.get("time") or {}).get("periods") or []:
        print(f"period {p['start']} – {p['end']} ({p['rows']} rows): "
              + "; ".join(f"{k} {v:.0%}" for k, v in list(p["labels"].items())[:3]), file=sys.stderr)
    print(f"bundle {router.id} written to {path}; review threshold {router.review_threshold:.3f}", file=sys.stderr)
    return 0
