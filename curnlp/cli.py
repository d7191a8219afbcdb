"""Command line: ``curnlp route | score | report | incidents | train | evaluate | normalize``.

Exit codes: 0 success, 1 a curnlp error (bad input, missing or corrupt model, unusable
corpus), 2 bad usage, 130 interrupted.
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


def _cmd_route(args: argparse.Namespace) -> int:
    from .router import Router
    router = Router.load(args.model, entities=not args.no_entities)
    _print_json(router.route(_read_text(args)).to_dict(), args.pretty)
    return 0


def _labels(args: argparse.Namespace) -> dict[str, str | None]:
    return {"text": args.text_column, "topic": args.topic_column, "group": args.group_column,
            "agency": args.agency_column}


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars on stderr: only on a terminal, never with --quiet."""
    return not args.quiet and sys.stderr.isatty()


def _cmd_train(args: argparse.Namespace) -> int:
    from .training import train
    router = train(args.data, **_labels(args), region=args.region, folds=args.folds, random_state=args.seed,
                   min_examples=args.min_examples, rare=args.rare, progress=_progress(args))
    path = router.save(args.output)
    metrics = (router.manifest.get("metrics") or {}).get("cross_validation") or {}
    for target, m in metrics.items():
        print(f"{target}: grouped {args.folds}-fold CV accuracy {m['accuracy']:.3f}, macro F1 {m['macro_f1']:.3f}, "
              f"ECE {m['ece']:.3f}", file=sys.stderr)
    print(f"bundle {router.id} written to {path}; review threshold {router.review_threshold:.3f}", file=sys.stderr)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .router import Router
    from .training import evaluate
    router = Router.load(args.model, entities=False)
    report = evaluate(router, args.data, **_labels(args), progress=_progress(args))
    print(report)
    if args.html:
        report.to_html(args.html)
        print(f"report written to {args.html}", file=sys.stderr)
    return 0


def _add_label_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="labelled archive: .csv, .tsv, .jsonl, .parquet or .xlsx")
    p.add_argument("--text-column", help="column with the message text (default: guessed from common names)")
    p.add_argument("--topic-column", help="column with the fine topic")
    p.add_argument("--group-column", help="column with the topic group")
    p.add_argument("--agency-column", help="column with the responsible agency")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curnlp", description="Route Russian citizens' messages to the agency responsible.")
    parser.add_argument("--version", action="version", version=f"curnlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("route", help="route one message with a model bundle (JSON out)")
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--model", help="bundle directory (default: the shipped Kursk model)")
    p.add_argument("--no-entities", action="store_true", help="skip named entities (faster)")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(run=_cmd_route)

    from . import batch
    from .analytics import incidents, report
    batch.register(sub)
    report.register(sub)
    incidents.register(sub)

    p = sub.add_parser("train", help="train a bundle on a labelled archive")
    _add_label_columns(p)
    p.add_argument("-o", "--output", required=True, help="bundle directory to write")
    p.add_argument("--region", default=None,
                   help="region pack name (kursk) or JSON file, for municipality features (default: none)")
    p.add_argument("--folds", type=int, default=5, help="grouped CV folds for the manifest metrics (0: skip)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--min-examples", type=int, default=2, help="classes with fewer rows are rare (default: 2)")
    p.add_argument("--rare", choices=("other", "keep", "error"), default="other",
                   help="merge rare classes into «другое», keep them, or stop with an error")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a bundle on a labelled archive")
    p.add_argument("model", help="bundle directory")
    _add_label_columns(p)
    p.add_argument("--html", help="also write an HTML report with charts here")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_cmd_evaluate)

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
