"""``curnlp serve``: the routing service over HTTP, with the operator's page at ``/``."""
from __future__ import annotations

import argparse

from ..service.config import ADMIN_TOKEN_ENV, DEFAULT_FEEDBACK_DB, MAX_BODY, MAX_TEXTS


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve", help="HTTP service: /route, /route_many, /locate, /feedback, the operator's page at /",
        description="Serve a model bundle over HTTP (FastAPI + uvicorn; needs the 'serve' extra: "
                    "pip install 'curnlp[serve]'). API docs at /docs. Admin endpoints (POST /admin/reload) "
                    f"need the token in ${ADMIN_TOKEN_ENV} and are disabled when it is unset; SIGHUP reloads "
                    "the bundle from its path.")
    p.add_argument("--model", help="bundle directory (default: the shipped Kursk model)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--no-entities", action="store_true", help="skip named entities (faster, less memory)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each loading the bundle once (default: 1; at most one per core)")
    p.add_argument("--feedback-db", default=DEFAULT_FEEDBACK_DB,
                   help=f"SQLite file of operators' labels (default: ./{DEFAULT_FEEDBACK_DB})")
    p.add_argument("--max-body", type=int, default=MAX_BODY, help=f"largest request body in bytes (default: {MAX_BODY})")
    p.add_argument("--max-texts", type=int, default=MAX_TEXTS,
                   help=f"most messages in one /route_many (default: {MAX_TEXTS})")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import sys
    if args.workers < 1 or not 0 <= args.port <= 65535 or args.max_body < 1 or args.max_texts < 1:
        print("curnlp serve: --workers, --max-body and --max-texts must be positive and --port 0-65535",
              file=sys.stderr)
        return 2
    from importlib.util import find_spec
    # found, not imported: prometheus-client must first be imported after the server has set
    # PROMETHEUS_MULTIPROC_DIR, or the workers' metrics would not add up
    missing = [name for name in ("fastapi", "uvicorn", "prometheus_client") if find_spec(name) is None]
    if missing:
        print(f"curnlp serve needs the 'serve' extra ({', '.join(missing)} missing): pip install 'curnlp[serve]'",
              file=sys.stderr)
        return 1
    from pathlib import Path
    if args.model is not None and not (Path(args.model) / "manifest.json").is_file():
        print(f"curnlp serve: no model bundle at {args.model!r} (expected a directory with manifest.json)",
              file=sys.stderr)
        return 1
    from ..service.server import serve
    from ..service.config import ServeConfig
    config = ServeConfig(model=args.model, host=args.host, port=args.port, entities=not args.no_entities,
                         workers=args.workers, feedback_db=args.feedback_db, max_body=args.max_body,
                         max_texts=args.max_texts, log_level=args.log_level)
    return serve(config)
