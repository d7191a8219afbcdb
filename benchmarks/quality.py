"""Routing quality on the Kursk corpus: grouped random cross-validation AND forward in time.

Grouped 5-fold CV: identical texts (after cleaning, case and spacing aside) share a fold.
Forward in time (by ``id``, which grows with time): the earliest 80% against the latest 20%,
and an expanding window over the latest 40% in four 10% blocks (each block predicted by a
model trained on every earlier message, as of the end of its training data).

On the same folds, in the same run: the baseline (TF-IDF on lemmas + LinearSVC, softmax of
the decision values as confidence), curnlp without time (``RoutingClassifier()``) and
curnlp time-aware (``time="id"``: periods of stable agency labelling; grouped CV predicts
each message as of its own time, forward as of the end of training). Then the
accuracy–coverage curve of the agency both ways, and a simulation of the "latest 20% of
unseen messages" test: a random 20% of the corpus is held out, the time-aware model is
trained on the rest (with its forward-chosen review threshold, as ``curnlp.train`` does),
and it is scored on the held-out messages in the latest 20% by id.

    python benchmarks/quality.py [--corpus PATH] [--folds 5] [--seed 0] [--quick]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

from curnlp.corpus import load_corpus, parse_times, read_table  # noqa: E402
from curnlp.metrics import threshold_for_accuracy  # noqa: E402
from curnlp.models import RoutingClassifier  # noqa: E402
from curnlp.training import REVIEW_ACCURACY, Report, forward_splits, prepare  # noqa: E402
from curnlp.training.cross_validation import _cross_validate_prepared, _folds  # noqa: E402
from curnlp.training.report import _target_report  # noqa: E402
from curnlp.training.train import _same_convention  # noqa: E402

COLUMNS = dict(text="Текст Сообщения", topic="Тематика", group="Категория", agency="Ответственное лицо")


def baseline(corpus, prepared, splits) -> Report:
    """TF-IDF + LinearSVC per target on the given splits (rows no split tests are left out)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC
    docs = np.array([" ".join(r.lemmas) for r in prepared.records], dtype=object)
    n = len(docs)
    pred = {t: np.empty(n, dtype=object) for t in corpus.labels}
    conf = {t: np.zeros(n) for t in corpus.labels}
    top3 = {t: np.zeros(n, dtype=bool) for t in corpus.labels}
    tested = np.zeros(n, dtype=bool)
    for train_idx, test_idx in splits:
        tested[test_idx] = True
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
            best = svc.classes_[np.argsort(-d, axis=1)[:, :3]]
            top3[t][test_idx] = [labels[i] in set(b) for i, b in zip(test_idx, best)]
    keep = np.flatnonzero(tested)
    return Report({t: _target_report(t, [corpus.labels[t][i] for i in keep], pred[t][keep], conf[t][keep],
                                     [prepared.municipalities[i] for i in keep], None, top3[t][keep])
                   for t in corpus.labels}, {"kind": "baseline"})


def table(title: str, reports: dict[str, Report]) -> None:
    print(f"\n## {title}")
    print(f"{'target':8}{'model':16}{'n':>6}{'acc':>7}{'top3':>7}{'mF1':>7}{'ECE':>7}{'acc@80%':>9}"
          f"{'thr@85%':>9}{'cov@85%':>9}")
    for t in ("topic", "group", "agency"):
        for name, rep in reports.items():
            m = rep.targets[t].metrics()
            print(f"{t:8}{name:16}{m['n']:6d}{m['accuracy']:7.3f}{m.get('top3_accuracy', np.nan):7.3f}"
                  f"{m['macro_f1']:7.3f}{m['ece']:7.3f}{m['accuracy_at_80_coverage']:9.3f}"
                  f"{m['threshold_for_85_accuracy']:9.2f}{m['coverage_at_85_accuracy']:9.2f}")


def curve(title: str, rep: Report) -> None:
    c = rep.coverage("agency")
    cells = []
    for cov in (1.0, 0.8, 0.6, 0.4, 0.25, 0.1):
        row = c.iloc[min(len(c) - 1, int(np.ceil(cov * len(c))) - 1)]
        cells.append(f"{cov:.0%}: {row['accuracy']:.3f} (≥{row['threshold']:.2f})")
    print(f"  {title:34}" + "  ".join(cells))


def per_block(rep: Report, times: np.ndarray, splits) -> str:
    r = rep.targets["agency"]
    keep = np.sort(np.concatenate([test_idx for _, test_idx in splits]))  # report rows: tested rows in order
    return " / ".join(f"{r.correct[np.searchsorted(keep, test_idx)].mean():.3f}" for _, test_idx in splits)


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="forward only (skip grouped CV)")
    args = p.parse_args()
    frame = read_table(args.corpus)
    corpus = load_corpus(frame, **COLUMNS)
    times, _ = parse_times(frame["id"].tolist(), "id")
    t0 = time.perf_counter()
    prepared = prepare(corpus.texts, "kursk")
    print(f"corpus: {args.corpus}: {len(corpus)} messages, ids {times.min():g}–{times.max():g}; "
          f"prepare {time.perf_counter() - t0:.1f} s; seed {args.seed}")
    seconds = {}

    def run(name, fn):
        t = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - t
        return out

    for label, folds, size in (("forward: earliest 80% -> latest 20%", 1, 0.2),
                               ("forward: expanding window, latest 40% in 4 blocks of 10%", 4, 0.1)):
        splits = forward_splits(times, folds, size)
        reports = {
            "baseline": run(f"{label} baseline", lambda: baseline(corpus, prepared, splits)),
            "curnlp": run(f"{label} curnlp", lambda: _forward_plain(corpus, prepared, splits, args.seed)),
            "curnlp time=id": run(f"{label} time", lambda: _cross_validate_prepared(
                corpus, prepared, folds, args.seed, {}, times=times, scheme="forward", test_size=size)),
        }
        table(label, reports)
        print("  agency per block, time-aware: " + per_block(reports["curnlp time=id"], times, splits))
        print("  agency accuracy–coverage (share routed: accuracy of the routed, at confidence ≥):")
        for name, rep in reports.items():
            curve(name, rep)
        forward_report = reports["curnlp time=id"]
    if not args.quick:
        reports = {
            "baseline": run("grouped baseline", lambda: baseline(corpus, prepared,
                                                                 list(_folds(prepared, args.folds, args.seed)))),
            "curnlp": run("grouped curnlp", lambda: _cross_validate_prepared(corpus, prepared, args.folds,
                                                                             args.seed, {})),
            "curnlp time=id": run("grouped time", lambda: _cross_validate_prepared(
                corpus, prepared, args.folds, args.seed, {}, times=times)),
        }
        table(f"grouped {args.folds}-fold random CV (time-aware: each message as of its own time)", reports)
        print("  agency accuracy–coverage:")
        for name, rep in reports.items():
            curve(name, rep)
    simulate(corpus, prepared, times, args.seed, forward_report)
    print("\nseconds: " + "; ".join(f"{k} {v:.0f}" for k, v in seconds.items()))


def _forward_plain(corpus, prepared, splits, seed) -> Report:
    """curnlp without time on the forward splits (what a retrain without time= gives)."""
    n = len(corpus)
    pred = {t: np.full(n, "", dtype=object) for t in corpus.labels}
    conf = {t: np.zeros(n) for t in corpus.labels}
    top3 = {t: np.zeros(n, dtype=bool) for t in corpus.labels}
    tested = np.zeros(n, dtype=bool)
    for train_idx, test_idx in splits:
        clf = RoutingClassifier(random_state=seed).fit([prepared.records[i] for i in train_idx],
                                                       **{t: [v[i] for i in train_idx] for t, v in corpus.labels.items()})
        recs = [prepared.records[i] for i in test_idx]
        out, proba = clf.predict_labels(recs), clf.predict_proba(recs)
        tested[test_idx] = True
        for t in corpus.labels:
            pred[t][test_idx], conf[t][test_idx] = out[t], out[t + "_confidence"]
            best = clf.classes_[t][np.argsort(-proba[t], axis=1)[:, :3]]
            top3[t][test_idx] = [corpus.labels[t][i] in set(b) for i, b in zip(test_idx, best)]
    keep = np.flatnonzero(tested)
    return Report({t: _target_report(t, [corpus.labels[t][i] for i in keep], pred[t][keep], conf[t][keep],
                                     [prepared.municipalities[i] for i in keep], None, top3[t][keep])
                   for t in corpus.labels}, {"kind": "forward, no time"})


def simulate(corpus, prepared, times, seed, forward_report) -> None:
    """Hold out a random 20%, train time-aware on the rest, score the held-out latest 20% by id."""
    from curnlp.training import Prepared
    rng = np.random.default_rng(seed)
    n = len(corpus)
    test = np.sort(rng.permutation(n)[: n // 5])
    train = np.setdiff1d(np.arange(n), test)
    latest = test[times[test] >= np.quantile(times[test], 0.8)]
    sub = type(corpus)([corpus.texts[i] for i in train], {t: [v[i] for i in train] for t, v in corpus.labels.items()},
                       corpus.columns, corpus.sha256, [])
    sub_prep = Prepared([prepared.records[i] for i in train], [prepared.municipalities[i] for i in train],
                        prepared.groups[train])
    t0 = time.perf_counter()
    fwd = _cross_validate_prepared(sub, sub_prep, 4, seed, {}, times=times[train], scheme="forward")
    clf = RoutingClassifier(random_state=seed).fit(sub_prep.records, **sub.labels, times=times[train])
    held = fwd.targets["agency"]
    same = _same_convention(clf, times[train], 4, 0.1, sub.labels["agency"])  # as curnlp.train does
    clf.recalibrate("agency", held.confidence[same], held.correct[same])
    thr_fwd, cov_fwd = threshold_for_accuracy(clf.recalibrated_confidence("agency", held.confidence[same]),
                                              held.correct[same], REVIEW_ACCURACY)
    print(f"\n  (forward rows used for the threshold: {same.sum()} of {len(same)}; the rest follow a convention "
          f"change)")
    fit_s = time.perf_counter() - t0
    recs = [prepared.records[i] for i in latest]
    out = clf.predict_labels(recs)
    proba = clf.predict_proba(recs)
    truth = np.array([corpus.labels["agency"][i] for i in latest], dtype=object)
    ok = out["agency"] == truth
    best = clf.classes_["agency"][np.argsort(-proba["agency"], axis=1)[:, :3]]
    top3 = np.mean([y in set(b) for y, b in zip(truth, best)])
    conf = out["agency_confidence"]
    print(f"\n## simulated unseen latest 20%: {len(test)} random messages held out, time-aware model trained on "
          f"the other {len(train)} (forward CV + fit {fit_s:.0f} s); {len(latest)} held-out messages with id ≥ "
          f"{times[latest].min():g}")
    print(f"  agency accuracy {ok.mean():.3f}, top-3 {top3:.3f}; group "
          f"{np.mean([a == b for a, b, in zip(out['group'], [corpus.labels['group'][i] for i in latest]) if b]):.3f}")
    for name, thr in (("forward-chosen threshold", thr_fwd), ("threshold 0.5", 0.5), ("threshold 0.4", 0.4)):
        m = conf >= thr
        print(f"  {name} {thr:.3f} (forward coverage {cov_fwd:.2f}): not flagged {m.mean():.2f} of messages, "
              f"{ok[m].mean() if m.any() else float('nan'):.3f} right")


if __name__ == "__main__":
    main()
