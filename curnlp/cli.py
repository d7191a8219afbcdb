"""Command line: ``curnlp route | score | report | incidents | train | evaluate | compile | learn-pack | locate |
normalize``.

Exit codes: 0 success, 1 a curnlp error (bad input, missing or corrupt model, unusable
corpus), 2 bad usage, 3 ``score``: no row could be routed, 4 ``score``: more rows failed
than ``--max-failed``, 130 interrupted (see ``curnlp score --help``).
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
    routing = router.route(_read_text(args))
    _print_json(routing.to_dict(), args.pretty)
    if routing.review_reasons:  # routed (exit 0), but a person must look: say why on stderr
        print(f"needs review: {', '.join(routing.review_reasons)}", file=sys.stderr)
    return 0


def _cmd_learn_pack(args: argparse.Namespace) -> int:
    from .places.learn import learn_pack, write_pack
    from pathlib import Path
    # the command as typed, with the archive by file name only (no local paths in a shipped pack)
    argv = sys.argv[2:] if sys.argv[1:2] == ["learn-pack"] else []
    command = " ".join(["curnlp learn-pack", *(Path(x).name if x == args.archive else x for x in argv)]) if argv else None
    pack = learn_pack(args.archive, base=args.base, text=args.text_column, agency=args.agency_column or None,
                      min_count=args.min_count, min_share=args.min_share, command=command)
    path = write_pack(pack, args.output)
    mined = pack["provenance"]["mined"]
    print(f"{path}: {mined['streets']} mined streets, {mined['settlements']} mined settlements to review", file=sys.stderr)
    return 0


def _cmd_locate(args: argparse.Namespace) -> int:
    from .places import locate
    _print_json(locate(_read_text(args), region=args.region).to_dict(), args.pretty)
    return 0


def _labels(args: argparse.Namespace) -> dict[str, str | None]:
    return {"text": args.text_column, "topic": args.topic_column, "group": args.group_column,
            "agency": args.agency_column}


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars on stderr: only on a terminal, never with --quiet."""
    return not args.quiet and sys.stderr.isatty()


_OPTION_NAMES = {"text": "--text-column", "topic": "--topic-column", "group": "--group-column",
                 "agency": "--agency-column", "rare": "--rare", "min_examples": "--min-examples"}


def _with_option_names(exc: CurnlpError) -> CurnlpError:
    """``exc`` with the Python argument names of the library (``topic=``) replaced by the
    command-line options (``--topic-column``)."""
    import re
    message = re.sub(r"\b(text|topic|group|agency|rare|min_examples)=('[^']*'|[^\s,;)]*)",
                     lambda m: _OPTION_NAMES[m.group(1)] + (" " + m.group(2) if m.group(2) else ""), str(exc))
    message = message.replace("a smaller min_examples", "a smaller --min-examples")
    return type(exc)(message) if message != str(exc) else exc


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        return _train(args)
    except CurnlpError as exc:
        raise _with_option_names(exc) from exc


def _train(args: argparse.Namespace) -> int:
    from .training import train
    router = train(args.data, **_labels(args), region=args.region, folds=args.folds, random_state=args.seed,
                   min_examples=args.min_examples, rare=args.rare, progress=_progress(args), time=args.time_column)
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


def _cmd_compile(args: argparse.Namespace) -> int:
    from .predictor import NotCompilable, compile_bundle
    try:
        predictor = compile_bundle(args.model)
    except NotCompilable as exc:
        print(f"curnlp: error: {args.model}: the classifier cannot be compiled ({exc}); it still routes as it is",
              file=sys.stderr)
        return 1
    print(f"{args.model}: added predictor.joblib ({predictor!r})", file=sys.stderr)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .router import Router
    from .training import evaluate
    router = Router.load(args.model, entities=False)
    try:
        report = evaluate(router, args.data, **_labels(args), progress=_progress(args),
                          time=args.time_column)
    except CurnlpError as exc:
        raise _with_option_names(exc) from exc
    if report.info.get("training_overlap_rows"):
        print(f"curnlp evaluate: warning: {report.info['training_overlap']:.0%} of these rows "
              f"({report.info['training_overlap_rows']:,}) were in the training data: the figures are not held-out",
              file=sys.stderr)
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
    p.add_argument("--time-column", help="column with dates/datetimes or numbers growing with time (e.g. id): train "
                   "learns the periods of labelling and routes as of the latest; evaluate routes each row as of its time")


#: commands whose parser needs no heavy import (the batch and analytics commands import
#: pandas to register theirs): ``curnlp route`` starts in well under a second
LIGHT_COMMANDS = frozenset({"route", "locate", "normalize", "compile"})


def build_parser(full: bool = True) -> argparse.ArgumentParser:
    """The ``curnlp`` argument parser; ``full=False`` leaves out the commands that are
    not in :data:`LIGHT_COMMANDS` (for running one of those)."""
    parser = argparse.ArgumentParser(prog="curnlp", description="Route Russian citizens' messages to the agency responsible.")
    parser.add_argument("--version", action="version", version=f"curnlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("route", help="route one message with a model bundle (JSON out)")
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--model", help="bundle directory (default: the shipped Kursk model)")
    p.add_argument("--no-entities", action="store_true", help="skip named entities (faster)")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(run=_cmd_route)

    p = sub.add_parser("locate", help="places and municipality of one message, no classifier (JSON out)")
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--region", default=None, help="region pack name or JSON file (default: kursk)")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(run=_cmd_locate)

    p = sub.add_parser("normalize", help="clean, tokenize and lemmatize one message (JSON out)")
    p.add_argument("text", nargs="?", help="the message; read from stdin when omitted or '-'")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(run=_cmd_normalize)

    p = sub.add_parser("compile", help="add the compiled predictor to a bundle of an older curnlp (loads without "
                       "scikit-learn)")
    p.add_argument("model", help="bundle directory")
    p.set_defaults(run=_cmd_compile)
    if not full:
        return parser

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

    p = sub.add_parser("learn-pack", help="mine streets and settlements of an archive into a region pack to review")
    p.add_argument("archive", help="CSV archive of messages")
    p.add_argument("-o", "--output", required=True, help="pack JSON to write")
    p.add_argument("--base", default="kursk", help="pack to extend: name or JSON file (default: kursk)")
    p.add_argument("--text-column", default="Текст Сообщения", help="column with the message text")
    p.add_argument("--agency-column", default="Ответственное лицо", help="column with the responsible agency ('' for none)")
    p.add_argument("--min-count", type=int, default=2, help="mentions an entry needs (default: 2)")
    p.add_argument("--min-share", type=float, default=0.8, help="share of mentions its municipality needs (default: 0.8)")
    p.set_defaults(run=_cmd_learn_pack)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``curnlp`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(full=command not in LIGHT_COMMANDS).parse_args(argv)
    try:
        return args.run(args)
    except CurnlpError as exc:
        print(f"curnlp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
