"""Routing throughput, bundle load time and peak memory on the Kursk corpus, one core.

Each row runs in a fresh process pinned to one core with one BLAS thread:
``route_many`` with entities (full) and without (fast mode), and, for comparison,
natasha's own ``Doc.segment + tag_ner`` on the same messages.

    python benchmarks/speed.py [--corpus PATH] [--repeat 2]
"""
from __future__ import annotations

import functools
import os
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def run_curnlp(path: str, entities: bool, repeat: int) -> dict:
    _common.pin_one_core()
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    t0 = time.perf_counter()
    import curnlp
    router = curnlp.load(entities=entities)
    load_s = time.perf_counter() - t0
    cold, best, _ = _common.rates(router.route_many, texts, repeat)
    name = "curnlp route_many, entities" if entities else "curnlp route_many, fast mode (no entities)"
    return {"name": name, "n": len(texts), "load_s": load_s, "cold": cold, "warm": best,
            "rss": _common.peak_rss_mb(), "rss_base": base}


def run_natasha(path: str, repeat: int) -> dict:
    _common.pin_one_core()
    import warnings
    warnings.simplefilter("ignore")
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    t0 = time.perf_counter()
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    load_s = time.perf_counter() - t0

    def one(text: str) -> None:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)

    cold, best, _ = _common.rates(lambda ts: [one(t) for t in ts], texts, repeat)
    return {"name": "natasha Doc.segment + tag_ner (NER only)", "n": len(texts), "load_s": load_s, "cold": cold,
            "warm": best, "rss": _common.peak_rss_mb(), "rss_base": base}


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=2, help="warm passes; the best is reported")
    args = p.parse_args()
    rows = [
        _common.in_fresh_process(functools.partial(run_curnlp, args.corpus, True, args.repeat)),
        _common.in_fresh_process(functools.partial(run_curnlp, args.corpus, False, args.repeat)),
        _common.in_fresh_process(functools.partial(run_natasha, args.corpus, args.repeat)),
    ]
    print(f"corpus: {args.corpus} ({rows[0]['n']} messages); one core, one BLAS thread, each row a fresh process;"
          f" load average {os.getloadavg()[0]:.1f}\n")
    print(f"{'pipeline':46} {'load s':>7} {'cold msg/s':>10} {'warm msg/s':>10} {'peak RSS MB':>11}")
    for r in rows:
        print(f"{r['name']:46} {r['load_s']:7.2f} {r['cold']:10.0f} {r['warm']:10.0f} {r['rss']:11.0f}")
    print(f"\ncurnlp with entities / natasha NER alone (warm): {rows[0]['warm'] / rows[2]['warm']:.2f}x")


if __name__ == "__main__":
    main()
