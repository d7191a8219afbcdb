"""Review reasons: how often and how fast messages are flagged, on hand-written sets and the corpus.

    python benchmarks/review.py [--corpus PATH] [--eval tests/data/other_region.tsv] [--show]

Prints
* ``outside_region`` on the hand-written sets (``tests/data/other_region*.tsv``): the share of
  other-region messages flagged with the right region named, and the share of in-region
  messages (many mention another city in passing) flagged;
* the reasons on the 2,403 Kursk corpus messages (all in-region: ``outside_region`` there is
  a false alarm unless the message really is about another region; ``--show`` lists them);
* the speed of the language detector and of the other-region detector, messages/s on one
  core (warm caches, the normalization not counted).
"""
from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, corpus_texts, parser, rates  # noqa: E402

EVAL = [REPO / "tests" / "data" / name for name in ("other_region.tsv", "other_region_holdout.tsv",
                                                  "other_region_holdout2.tsv")]


def read_eval(path: Path) -> list[tuple[str, str]]:
    """(expected region or "", text) rows of the hand-written set."""
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [(row["region"], row["text"]) for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--eval", nargs="+", default=[str(e) for e in EVAL], help="hand-written TSVs (region, text)")
    p.add_argument("--show", action="store_true", help="print the flagged corpus messages and the misses")
    args = p.parse_args()

    import curnlp
    from curnlp.language import is_russian
    from curnlp.normalize import normalize
    from curnlp.places.russia import detect_other_region, russia
    from curnlp.pipeline import words_of

    router = curnlp.load(entities=False)
    for path in args.eval:
        cases = read_eval(Path(path))
        routed = router.route_many([t for _, t in cases])
        other = [(exp, t, r) for (exp, t), r in zip(cases, routed) if exp]
        home = [(exp, t, r) for (exp, t), r in zip(cases, routed) if not exp]
        hit = [r for exp, _, r in other if "outside_region" in r.review_reasons and r.region == exp]
        false = [(t, r) for _, t, r in home if "outside_region" in r.review_reasons]
        print(f"hand-written set {path}:")
        print(f"  other-region messages flagged outside_region with the right region: {len(hit)}/{len(other)} "
              f"= {len(hit) / len(other):.1%} (bar >= 90%)")
        print(f"  in-region messages flagged outside_region: {len(false)}/{len(home)} "
              f"= {len(false) / len(home):.1%} (bar <= 5%)")
        if args.show:
            for exp, t, r in other:
                if not ("outside_region" in r.review_reasons and r.region == exp):
                    print(f"    MISS {exp} <- {r.region} {r.review_reasons}: {t}")
            for t, r in false:
                print(f"    FALSE {r.region} ({r.outside.evidence}): {t}")

    texts = corpus_texts(args.corpus)
    results = router.route_many(texts)
    reasons = Counter(reason for r in results for reason in r.review_reasons)
    n = len(texts)
    print(f"Kursk corpus {args.corpus}: {n:,} messages")
    for reason in ("no_words", "not_russian", "outside_region", "truncated", "low_confidence"):
        print(f"  {reason}: {reasons[reason]} ({reasons[reason] / n:.2%})")
    print(f"  needs_review: {sum(r.needs_review for r in results)} ({sum(r.needs_review for r in results) / n:.1%})")
    if args.show:
        for t, r in zip(texts, results):
            if "outside_region" in r.review_reasons or "not_russian" in r.review_reasons:
                where = f"{r.region} ({r.outside.evidence})" if r.outside else ""
                print(f"    {r.review_reasons} {where}: {t[:200]!r}")

    docs = [normalize(t) for t in texts]
    region = router.region
    russia()  # build the index outside the timing
    words = [words_of(d) for d in docs]
    _, warm, _ = rates(lambda items: [is_russian(w) for w in items], words, repeat=3)
    print(f"language detector (curnlp.language.is_russian on the words): {warm:,.0f} msg/s (warm, one core)")
    cold, warm, _ = rates(lambda items: [detect_other_region(d, region) for d in items], docs, repeat=3)
    print(f"other-region detector (detect_other_region on Normalized): {cold:,.0f} msg/s cold, {warm:,.0f} msg/s warm")


if __name__ == "__main__":
    main()
