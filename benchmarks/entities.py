"""Entity extraction throughput and memory: curnlp.ner vs natasha's own NER.

Every approach runs in its own fresh process pinned to one core (BLAS single-threaded)
over every corpus message, twice (cold: first pass, empty caches; warm: second pass):

- curnlp, one message at a time from raw text (normalize + NER + normal forms);
- curnlp, one message at a time from already normalized messages (NER + normal forms);
- curnlp ``extract_entities_many`` on the whole corpus (length-sorted batches);
- natasha ``Doc(text).segment(Segmenter()); doc.tag_ner(NewsNERTagger(NewsEmbedding()))``
  (spans only, no normal forms) on the same raw messages;
- and a sweep of curnlp's batch limit (padded tokens per batch).

    python benchmarks/entities.py [--corpus PATH] [--no-sweep]
"""
from __future__ import annotations

import functools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def run_curnlp_single(path: str) -> dict:
    from curnlp.ner import NER, extract_entities
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    t0 = time.perf_counter()
    NER.shared()
    load = time.perf_counter() - t0
    cold, warm, found = _common.rates(lambda ts: sum(len(extract_entities(t)) for t in ts), texts)
    return {"name": "curnlp extract_entities(text), one by one", "n": len(texts), "found": found,
            "load_s": load, "cold": cold, "warm": warm, "rss": _common.peak_rss_mb(), "rss_base": base,
            **_common.per_item(extract_entities, texts)}


def run_curnlp_normalized(path: str) -> dict:
    from curnlp.ner import NER, extract_entities
    from curnlp.normalize import normalize
    texts = _common.corpus_texts(path)
    docs = [normalize(t) for t in texts]
    NER.shared()
    cold, warm, found = _common.rates(lambda ds: sum(len(extract_entities(d)) for d in ds), docs)
    return {"name": "curnlp extract_entities(Normalized), one by one", "n": len(texts), "found": found,
            "cold": cold, "warm": warm, "rss": _common.peak_rss_mb()}


def run_curnlp_many(path: str) -> dict:
    from curnlp.ner import NER, extract_entities_many
    texts = _common.corpus_texts(path)
    NER.shared()
    cold, warm, found = _common.rates(lambda ts: sum(map(len, extract_entities_many(ts))), texts)
    return {"name": "curnlp extract_entities_many(texts)", "n": len(texts), "found": found,
            "cold": cold, "warm": warm, "rss": _common.peak_rss_mb()}


def run_natasha(path: str) -> dict:
    import warnings
    warnings.simplefilter("ignore")
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    t0 = time.perf_counter()
    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    load = time.perf_counter() - t0

    def one(text: str) -> int:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        return len(doc.spans)

    cold, warm, found = _common.rates(lambda ts: sum(one(t) for t in ts), texts)
    return {"name": "natasha Doc.segment + tag_ner (no normal forms)", "n": len(texts), "found": found,
            "load_s": load, "cold": cold, "warm": warm, "rss": _common.peak_rss_mb(), "rss_base": base,
            **_common.per_item(one, texts)}


def run_sweep(path: str) -> dict:
    """Batch limits on pre-normalized messages (NER + normal forms only), warm."""
    from curnlp.ner import extract_entities_many, tagger
    from curnlp.normalize import normalize
    texts = _common.corpus_texts(path)
    docs = [normalize(t) for t in texts]
    extract_entities_many(docs)  # warm caches
    out = {}
    for tokens, items in ((1, 1), (512, 64), (1024, 64), (4096, 64), (8192, 128), (16384, 256)):
        tagger._BATCH_TOKENS, tagger._BATCH_ITEMS = tokens, items
        best = min(_common.timed(lambda: extract_entities_many(docs))[1] for _ in range(2))
        out[f"{tokens}/{items}"] = len(docs) / best
    return out


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--no-sweep", action="store_true", help="skip the batch-size sweep")
    args = p.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # inherited by the spawned processes
    _common.pin_one_core()
    runs = (run_curnlp_single, run_curnlp_normalized, run_curnlp_many, run_natasha)
    rows = [_common.in_fresh_process(functools.partial(f, args.corpus)) for f in runs]
    print(f"corpus: {args.corpus} ({rows[0]['n']} messages), one core, BLAS 1 thread, fresh process each\n")
    print(f"{'approach':50} {'cold msg/s':>10} {'warm msg/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
          f" {'spans':>6} {'peak RSS MB':>11}")
    for r in rows:
        p50 = f"{r['p50_ms']:7.2f}" if "p50_ms" in r else f"{'':7}"
        p99 = f"{r['p99_ms']:7.2f}" if "p99_ms" in r else f"{'':7}"
        print(f"{r['name']:50} {r['cold']:10.0f} {r['warm']:10.0f} {p50} {p99} {r['found']:6d} {r['rss']:11.0f}")
    print(f"\nmodel load: curnlp {rows[0]['load_s']:.2f} s, natasha {rows[3]['load_s']:.2f} s")
    print(f"curnlp one-by-one / natasha (warm): {rows[0]['warm'] / rows[3]['warm']:.2f}x;"
          f" extract_entities_many / natasha: {rows[2]['warm'] / rows[3]['warm']:.2f}x")
    if not args.no_sweep:
        sweep = _common.in_fresh_process(functools.partial(run_sweep, args.corpus))
        print("\nbatch limit (padded tokens / sequences per batch) -> msg/s, pre-normalized, warm:")
        for k, v in sweep.items():
            print(f"  {k:>12}: {v:6.0f}")


if __name__ == "__main__":
    main()
