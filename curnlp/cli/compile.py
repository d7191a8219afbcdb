"""``curnlp compile DIR``: add the compiled predictor to a bundle of an older curnlp."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("compile", help="add the compiled predictor to a bundle of an older curnlp (loads without "
                              "scikit-learn)")
    p.add_argument("model", help="bundle directory")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..predictor import NotCompilable, compile_bundle
    try:
        predictor = compile_bundle(args.model)
    except NotCompilable as exc:
        print(f"curnlp: error: {args.model}: the classifier cannot be compiled ({exc}); it still routes as it is",
              file=sys.stderr)
        return 1
    print(f"{args.model}: added predictor.joblib ({predictor!r})", file=sys.stderr)
    return 0
