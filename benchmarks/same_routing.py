"""Check that a code change leaves routing unchanged: route every corpus message and
write (``--dump``) or compare (``--compare``) the ``Routing.to_dict()`` outputs as JSONL.

    PYTHONPATH=/path/to/old/checkout python benchmarks/same_routing.py --dump old.jsonl
    python benchmarks/same_routing.py --compare old.jsonl [--ignore model]

Both modes route with and without entities (``entities``/``fast`` fields per line).
Exit status 1 when any message differs; the first differences are printed.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def routings(corpus: str) -> list[dict]:
    import curnlp
    texts = _common.corpus_texts(corpus)
    full = curnlp.load().route_many(texts, errors="return")
    fast = curnlp.load(entities=False).route_many(texts, errors="return")
    as_dict = lambda r: r.to_dict() if hasattr(r, "to_dict") else {"error": repr(r)}
    return [{"i": i, "entities": as_dict(a), "fast": as_dict(b)} for i, (a, b) in enumerate(zip(full, fast))]


def main() -> int:
    p = _common.parser(__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", metavar="JSONL")
    mode.add_argument("--compare", metavar="JSONL")
    p.add_argument("--ignore", action="append", default=[], metavar="FIELD",
                   help="leave this Routing field out of the comparison (repeatable), e.g. model when only the "
                        "bundle id changed")
    args = p.parse_args()
    import curnlp
    print(f"curnlp from {os.path.dirname(curnlp.__file__)}", file=sys.stderr)
    rows = routings(args.corpus)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"wrote {len(rows)} routings to {args.dump}")
        return 0
    with open(args.compare, encoding="utf-8") as fh:
        old = [json.loads(line) for line in fh]
    new = [json.loads(json.dumps(row, ensure_ascii=False, sort_keys=True)) for row in rows]
    for row in old + new:
        for mode_ in ("entities", "fast"):
            for field in args.ignore:
                row[mode_].pop(field, None)
    if len(old) != len(new):
        print(f"different lengths: {len(old)} before, {len(new)} now")
        return 1
    differ = [(a, b) for a, b in zip(old, new) if a != b]
    for a, b in differ[:5]:
        for mode_ in ("entities", "fast"):
            if a[mode_] != b[mode_]:
                keys = [k for k in a[mode_] if a[mode_].get(k) != b[mode_].get(k)]
                print(f"message {a['i']} ({mode_}) differs in {keys}:\n  before {[a[mode_].get(k) for k in keys]}"
                      f"\n  now    {[b[mode_].get(k) for k in keys]}")
    print(f"{len(new)} messages x 2 modes: {len(new) - len(differ)} identical, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
