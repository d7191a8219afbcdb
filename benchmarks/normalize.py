"""Normalization throughput and memory: curnlp.normalize vs the obvious Natasha way.

Each approach runs in its own fresh process on one core over every corpus message,
twice (cold: first pass with empty caches; warm: second pass).

    python benchmarks/normalize.py [--corpus PATH]
"""
from __future__ import annotations

import functools
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def run_curnlp(path: str) -> dict:
    from curnlp.normalize import normalize
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    cold, warm, lemmas = _common.rates(lambda ts: sum(len(normalize(t).lemmas) for t in ts), texts)
    return {"name": "curnlp.normalize (clean + razdel + pymorphy3 lemmas)", "n": len(texts), "lemmas": lemmas,
            "cold": cold, "warm": warm, "rss": _common.peak_rss_mb(), "rss_base": base,
            **_common.per_item(normalize, texts)}


def run_natasha(path: str) -> dict:
    import warnings
    warnings.simplefilter("ignore")
    from natasha import Doc, MorphVocab, Segmenter  # natasha's own pymorphy2-based vocabulary
    texts = _common.corpus_texts(path)
    base = _common.peak_rss_mb()
    segmenter, vocab = Segmenter(), MorphVocab()

    def one(text: str) -> list[str]:
        doc = Doc(text)
        doc.segment(segmenter)
        return [vocab.parse(t.text)[0].normal_form for t in doc.tokens]

    cold, warm, lemmas = _common.rates(lambda ts: sum(len(one(t)) for t in ts), texts)
    return {"name": "natasha Doc.segment + MorphVocab lemmas (no cleaning)", "n": len(texts), "lemmas": lemmas,
            "cold": cold, "warm": warm, "rss": _common.peak_rss_mb(), "rss_base": base,
            **_common.per_item(one, texts)}


def main() -> None:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    _common.pin_one_core()
    rows = [_common.in_fresh_process(functools.partial(f, args.corpus)) for f in (run_curnlp, run_natasha)]
    print(f"corpus: {args.corpus} ({rows[0]['n']} messages), one core, each approach in a fresh process\n")
    print(f"{'approach':58} {'cold msg/s':>10} {'warm msg/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'peak RSS MB':>11}")
    for r in rows:
        print(f"{r['name']:58} {r['cold']:10.0f} {r['warm']:10.0f} {r['p50_ms']:7.2f} {r['p99_ms']:7.2f}"
              f" {r['rss']:11.0f}")
    print(f"\ncurnlp / natasha (warm): {rows[0]['warm'] / rows[1]['warm']:.2f}x")


if __name__ == "__main__":
    main()
