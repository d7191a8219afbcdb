"""Routing quality on grouped 5-fold cross-validation of the Kursk corpus.

Identical texts (after cleaning, case and spacing aside) share a fold. In the same run
and on the same folds: the baseline (TF-IDF on lemmas + LinearSVC, softmax of the
decision values as confidence) and curnlp's RoutingClassifier through the full
pipeline (normalize → locations → municipality → classifier).

    python benchmarks/quality.py [--corpus PATH] [--folds 5] [--seed 0]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

from curnlp.corpus import load_corpus  # noqa: E402
from curnlp.training import Report, _cross_validate_prepared, _folds, _target_report, prepare  # noqa: E402

COLUMNS = dict(text="Текст Сообщения", topic="Тематика", group="Категория", agency="Ответственное лицо")


def baseline(corpus, prepared, folds: int, seed: int) -> Report:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC
    docs = np.array([" ".join(r.lemmas) for r in prepared.records], dtype=object)
    n = len(docs)
    pred = {t: np.empty(n, dtype=object) for t in corpus.labels}
    conf = {t: np.zeros(n) for t in corpus.labels}
    for train_idx, test_idx in _folds(prepared, folds, seed):
        vec = TfidfVectorizer(token_pattern=r"\S+")
        X_train, X_test = vec.fit_transform(docs[train_idx]), vec.transform(docs[test_idx])
        for t, labels in corpus.labels.items():
            y = np.array([labels[i] for i in train_idx], dtype=object)
            has = np.array([v is not None for v in y])
            svc = LinearSVC().fit(X_train[has], y[has].astype(str))
            d = svc.decision_function(X_test)
            e = np.exp(d - d.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            pred[t][test_idx] = svc.classes_[d.argmax(axis=1)]
            conf[t][test_idx] = p.max(axis=1)
    return Report({t: _target_report(t, corpus.labels[t], pred[t], conf[t], prepared.municipalities)
                   for t in corpus.labels}, {"kind": "baseline"})


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    corpus = load_corpus(args.corpus, **COLUMNS)
    t0 = time.perf_counter()
    prepared = prepare(corpus.texts, "kursk")
    prep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline(corpus, prepared, args.folds, args.seed)
    base_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = _cross_validate_prepared(corpus, prepared, args.folds, args.seed, {})
    ours_s = time.perf_counter() - t0
    print(f"corpus: {args.corpus}: {len(corpus)} messages; grouped {args.folds}-fold CV, seed {args.seed}")
    print(f"prepare (normalize + locations + municipality) {prep_s:.1f} s; baseline {base_s:.1f} s; "
          f"curnlp {ours_s:.1f} s\n")
    header = f"{'target':8}{'model':10}{'n':>6}{'acc':>7}{'wF1':>7}{'mF1':>7}{'ECE':>7}{'acc@80%':>9}{'thr@85%':>9}{'cov@85%':>9}"
    print(header)
    for t in ("topic", "group", "agency"):
        for name, rep in (("baseline", base), ("curnlp", ours)):
            m = rep.targets[t].metrics()
            print(f"{t:8}{name:10}{m['n']:6d}{m['accuracy']:7.3f}{m['weighted_f1']:7.3f}{m['macro_f1']:7.3f}"
                  f"{m['ece']:7.3f}{m['accuracy_at_80_coverage']:9.3f}{m['threshold_for_85_accuracy']:9.2f}"
                  f"{m['coverage_at_85_accuracy']:9.2f}")
    print("\nagency accuracy–coverage (curnlp):")
    curve = ours.coverage("agency")
    for cov in (1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.1):
        row = curve.iloc[min(len(curve) - 1, int(np.ceil(cov * len(curve))) - 1)]
        print(f"  coverage {cov:4.0%}: accuracy {row['accuracy']:.3f} at confidence ≥ {row['threshold']:.2f}")
    consistent = ours.targets["group"]
    print(f"\ngroup rows evaluated: {consistent.n} (rows with a Категория code)")


if __name__ == "__main__":
    main()
