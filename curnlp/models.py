"""Stage 3b: the estimators for topic, topic group and agency.

:class:`RoutingClassifier` learns any non-empty subset of the three targets from
message records (see :mod:`curnlp.features`):

* every target is a linear SVM (one-vs-rest) on TF-IDF lemma n-grams (optionally
  character n-grams); its decision values become probabilities by a softmax whose
  temperature is fitted (max. likelihood) on grouped out-of-fold decision values, and
  the top-1 probability is then Platt-scaled on the same out-of-fold values, so the
  reported confidences are calibrated;
* the group is kept consistent with the topic: the topic→group map is learned from
  rows that have both, missing group labels are filled from it, the group
  probabilities are a mix of a direct group model and the topic probabilities summed
  per group, and the topic is chosen inside the chosen group;
* the agency model sees the text, the municipality (one-hot), the out-of-fold topic
  probabilities and municipality × topic interactions (stacking), so the same pothole
  can go to a city committee in Kursk and to a district administration elsewhere;
* class names that are descriptive text (topics such as «Неработающее наружное
  освещение», agencies such as «Администрация Льговского района»; not codes) are added,
  lemmatized, as one extra weighted training row per class: prior knowledge that costs
  nothing at prediction time and helps rare classes.

>>> from curnlp.normalize import normalize
>>> from curnlp.pipeline import to_record
>>> from curnlp.sample import messages
>>> rows = messages(64)
>>> records = [to_record(normalize(text), None) for text, *_ in rows]
>>> clf = RoutingClassifier().fit(records, topic=[r[1] for r in rows], agency=[r[3] for r in rows])
>>> clf.predict(records[:1])[0]["agency"].label
'Комитет дорожного хозяйства города Курска'
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GroupKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from .errors import InvalidInput
from .layout import AgencyLayout
from .predictor import Prediction, decide, group_proba, predictions, recalibrated, reported, top_contributions
from .predictor import apply_top1 as _apply_top1, logit as _logit, softmax as _softmax
from .features import (MessageRecord, MessageVectorizer, MunicipalityEncoder, Period, as_records, detect_periods,
                       period_of, recency_weights)

__all__ = ["TARGETS", "Prediction", "RoutingClassifier"]

TARGETS = ("topic", "group", "agency")


def _fit_top1(proba: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """Platt scaling of the top-1 log-odds: ``conf = sigmoid(a * logit(p_top) + b)``,
    fitted (max. likelihood, lightly regularized) on out-of-fold predictions."""
    z = _logit(proba.max(axis=1))
    c = correct.astype(float)
    if c.min() == c.max():
        return 1.0, 0.0

    def nll(ab):
        a, b = ab
        m = a * z + b
        return np.mean(np.logaddexp(0, m) - c * m) + 1e-4 * (a - 1) ** 2

    from scipy.optimize import minimize
    a, b = minimize(nll, np.array([1.0, 0.0]), method="L-BFGS-B", bounds=[(0.05, 5.0), (-5.0, 5.0)]).x
    return float(a), float(b)


def _labels(y, n: int, name: str) -> np.ndarray | None:
    """Labels as an object array of str, None where missing; None if no labels at all."""
    if y is None:
        return None
    y = list(y)
    if len(y) != n:
        raise InvalidInput(f"{name}: {len(y)} labels for {n} records")
    out = np.empty(n, dtype=object)
    for i, v in enumerate(y):
        missing = v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
        out[i] = None if missing else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return out if any(v is not None for v in out) else None


class _Head:
    """A linear one-vs-rest model with a temperature-scaled softmax on its decision values."""

    def __init__(self, C: float, class_weight, random_state: int):
        self.C, self.class_weight, self.random_state = C, class_weight, random_state

    def _svc(self, scale: float = 1.0):
        return LinearSVC(C=self.C * scale, class_weight=self.class_weight, random_state=self.random_state)

    def _fit_svc(self, X, y, extra, scale: float = 1.0, weight=None):
        svc = self._svc(scale)
        keep = None
        if extra is not None:
            keep = np.isin(extra[1], y)  # names of classes absent from this split would add classes
        if keep is None or not keep.any():
            return svc.fit(X, y, sample_weight=weight)
        Xe, ye, w = extra
        Xa = sparse.vstack([sparse.csr_matrix(X), sparse.csr_matrix(Xe)[keep]], format="csr")
        sw = np.concatenate([np.ones(X.shape[0]) if weight is None else weight, np.full(int(keep.sum()), float(w))])
        return svc.fit(Xa, np.concatenate([y, ye[keep]]), sample_weight=sw)

    def _decision(self, clf, X, classes) -> np.ndarray:
        """Decision values in the column order of ``classes`` (missing classes get -10)."""
        d = clf.decision_function(X)
        if d.ndim == 1:
            d = np.column_stack([-d, d])
        out = np.full((X.shape[0], len(classes)), -10.0)
        out[:, np.searchsorted(classes, clf.classes_)] = d
        return out

    def fit(self, X, y, cv: int, groups, extra=None, weight=None) -> "_Head":
        """``extra = (X_extra, y_extra, weight)``: rows added to every training split
        (inner folds and the final model) but never predicted out-of-fold; ``weight``:
        per-row sample weights (recency)."""
        self.classes_ = np.unique(y)
        self.oof_ = None
        if len(self.classes_) == 1:
            self.coef_ = np.zeros((1, X.shape[1]), np.float32)
            self.intercept_ = np.zeros(1)
            self.temperature_ = 1.0
            self.top1_ = (1.0, 0.0)
            self.oof_ = np.ones((X.shape[0], 1))
            return self
        # out-of-fold decision values: temperature calibration and stacking
        # identical texts share a group so they never sit on both sides of a split
        n_splits = min(cv, len(np.unique(groups)))
        if n_splits >= 2:
            oof = np.empty((X.shape[0], len(self.classes_)))
            splitter = GroupKFold(n_splits, shuffle=True, random_state=self.random_state)
            for tr, te in splitter.split(X, y, groups):
                if len(np.unique(y[tr])) < 2:
                    oof[te] = 0.0
                    continue
                # C * n / n_train keeps the per-sample regularization of the full model, so
                # out-of-fold margins are on the scale of the final model's margins
                svc = self._fit_svc(X[tr], y[tr], extra, X.shape[0] / len(tr), None if weight is None else weight[tr])
                oof[te] = self._decision(svc, X[te], self.classes_)
            idx = np.searchsorted(self.classes_, y)

            def nll(log_t):
                p = _softmax(oof, float(np.exp(log_t)))
                return -np.mean(np.log(p[np.arange(len(y)), idx] + 1e-12))

            self.temperature_ = float(np.exp(minimize_scalar(nll, bounds=(-3, 5), method="bounded").x))
            p = _softmax(oof, self.temperature_)
            self.top1_ = _fit_top1(p, p.argmax(axis=1) == idx)
            self.oof_ = _apply_top1(p, self.top1_)
        else:
            self.temperature_ = 1.0
            self.top1_ = (1.0, 0.0)
        clf = self._fit_svc(X, y, extra, weight=weight)
        coef, icpt = clf.coef_, clf.intercept_
        if coef.shape[0] == 1:  # binary: scores for [-class0, class1]
            coef, icpt = np.vstack([-coef, coef]), np.array([-icpt[0], icpt[0]])
        self.coef_ = np.asarray(coef, np.float32)
        self.intercept_ = np.asarray(icpt, np.float64)
        if self.oof_ is None:
            self.oof_ = self.predict_proba(X)
        idx = np.searchsorted(self.classes_, y)
        #: held-out top-1 confidence and correctness of every training row (review threshold)
        self.oof_top1_ = (self.oof_.max(axis=1), self.oof_.argmax(axis=1) == idx)
        return self

    def decision_function(self, X) -> np.ndarray:
        # scipy would copy coef_.T into a C-contiguous array on every product, for every
        # head and message; keep one copy, built on first use and not pickled
        weights = self.__dict__.get("_coef_t")
        if weights is None:
            weights = self.__dict__["_coef_t"] = np.ascontiguousarray(self.coef_.T)
        return np.asarray(X @ weights, np.float64) + self.intercept_

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_coef_t", None)
        return state

    def predict_proba(self, X) -> np.ndarray:
        return _apply_top1(_softmax(self.decision_function(X), self.temperature_), self.top1_)


def _split_at(periods: list[Period], times: np.ndarray, cuts, near: int = 20) -> list[Period]:
    """``periods`` cut again at the times in ``cuts`` (a detected change starts a period at
    once); a cut within ``near`` rows of a period start, or before the first row, is not made."""
    if not cuts:
        return periods
    ts = np.sort(times)
    starts = [p.start for p in periods]
    first = [int(np.searchsorted(ts, s, side="left")) for s in starts]
    for c in sorted(float(x) for x in cuts):
        k = int(np.searchsorted(ts, c, side="left"))
        if 0 < k < len(ts) and all(abs(f - k) >= near for f in first):
            starts.append(float(ts[k]))
            first.append(k)
    if len(starts) == len(periods):
        return periods
    starts = sorted(starts)
    out = []
    for i, s in enumerate(starts):
        lo = int(np.searchsorted(ts, s, side="left"))
        hi = int(np.searchsorted(ts, starts[i + 1], side="left")) if i + 1 < len(starts) else len(ts)
        parent = next((p for p in periods if p.start <= s <= p.end), None)
        out.append(Period(float(ts[lo]), float(ts[hi - 1]), hi - lo, dict(parent.labels) if parent else {}))
    return out


class RoutingClassifier(BaseEstimator):
    """Topic, topic-group and agency classifier with calibrated probabilities.

    Parameters
    ----------
    vectorizer : transformer or None, default=None
        Turns records into text features; ``None`` means :class:`MessageVectorizer()`.
    C : float, default=0.5
        Inverse regularization of the linear SVMs.
    class_weight : dict, "balanced" or None, default=None
    group_mix : float, default=0.3
        Weight of the direct group model against the summed topic probabilities
        when both exist (1 = direct model only, 0 = topics only).
    municipality_weight : float, default=1.0
        Scale of the one-hot municipality in the agency features (0 = ignore it).
    stack_weight : float, default=0.5
        Scale of the stacked out-of-fold topic (or group) probabilities and their
        municipality interactions in the agency features (0 = text only).
    stack_on : {"topic", "group"}, default="topic"
        Which probabilities are stacked into the agency model (the other one when the
        chosen target is not fitted). Topics name the jurisdiction ("... регионального
        значения" vs "... в границах городских округов"), so stacking them routed the agency
        better than stacking the groups on grouped CV.
    label_text_weight : float, default=2.0
        Sample weight of each class's own name (lemmatized) added as one extra training
        row of a model whose class names are descriptive text (at least two words; on
        Kursk: topics and agencies, not the numeric group codes): a prior that helps rare
        classes, which have few examples of their own. 0 disables.
    cv : int, default=5
        Inner folds for out-of-fold predictions (calibration + stacking).
    recency_half_life : float or None, default=None
        With ``times`` in :meth:`fit`: training rows are weighted ``0.5 ** (age / half_life)``,
        the age being the share of the archive (by time rank) after the row (``0.5``: the
        older half of the archive counts half). ``None``: equal weights.
    period_weight : float, default=1.0
        With ``times`` in :meth:`fit`: the archive is split into periods of stable agency
        labelling (:func:`curnlp.features.detect_periods`) and the agency model gets, next to
        its shared features, a copy of the bias, municipality and stacked topic features
        for the row's period (and of the text features with ``period_text``), scaled by this
        (0 = no period features). Predictions use the latest period unless given times.
    period_text : bool, default=False
        Also copy the text features per period (more parameters, larger bundle).
    change_times : tuple of float or None, default=None
        Times where a change of convention was detected (:class:`curnlp.live.Monitor`): each
        starts a period at once, before the chi-square test of the periods could see it.
    random_state : int, default=0

    Attributes
    ----------
    targets_ : tuple of str
        The targets learned.
    classes_ : dict target -> ndarray of str
    topic_to_group_ : dict str -> str
        The learned topic→group map (empty when either target is missing).
    periods_ : list of Period or None
        The periods of stable agency labelling found in the training times (``None``
        without times): time range, rows, labels whose share differs from the rest.
    vectorizer_, municipality_ : fitted transformers

    Examples
    --------
    >>> from curnlp.normalize import normalize
    >>> from curnlp.sample import messages
    >>> rows = messages(64)
    >>> records = [{"lemmas": normalize(text).lemmas, "municipality": None} for text, *_ in rows]
    >>> t, g, a = ([r[i] for r in rows] for i in (1, 2, 3))
    >>> clf = RoutingClassifier().fit(records, topic=t, group=g, agency=a)
    >>> p = clf.predict(records)[4]
    >>> p["topic"].label, p["group"].label
    ('Уличное освещение', 'ЖКХ')
    """

    def __init__(self, vectorizer=None, C=0.5, class_weight=None, group_mix=0.3,
                 municipality_weight=1.0, stack_weight=0.5, stack_on="topic", label_text_weight=2.0, cv=5,
                 recency_half_life=None, period_weight=1.0, period_text=False, change_times=None, random_state=0):
        self.vectorizer = vectorizer
        self.C = C
        self.class_weight = class_weight
        self.group_mix = group_mix
        self.label_text_weight = label_text_weight
        self.municipality_weight = municipality_weight
        self.stack_weight = stack_weight
        self.stack_on = stack_on
        self.cv = cv
        self.recency_half_life = recency_half_life
        self.period_weight = period_weight
        self.period_text = period_text
        self.change_times = change_times
        self.random_state = random_state

    #: for estimators pickled before the parameter existed
    change_times = None

    # ------------------------------------------------------------------ fit
    def fit(self, records, topic=None, group=None, agency=None, times=None) -> "RoutingClassifier":
        """Fit on message records and any non-empty subset of the targets.

        Labels may be missing (``None``/NaN/empty) on some rows; those rows are
        skipped for that target (group labels are first filled from the topic).
        ``times``: one sortable number per record (see :func:`curnlp.corpus.parse_times`);
        turns on the periods and the recency weights (see the class parameters).
        """
        recs = as_records(records)
        n = len(recs)
        if n == 0:
            raise InvalidInput("cannot fit on zero records")
        y = {"topic": _labels(topic, n, "topic"), "group": _labels(group, n, "group"),
             "agency": _labels(agency, n, "agency")}
        if all(v is None for v in y.values()):
            raise InvalidInput("give at least one of topic, group, agency")
        self.periods_: list[Period] | None = None
        weight = pidx = None
        if times is not None:
            t = np.asarray(times, dtype=float)
            if t.shape != (n,) or not np.isfinite(t).all():
                raise InvalidInput(f"times: expected {n} finite numbers, got {t.shape[0] if t.ndim else 0} "
                                   "(parse dates with curnlp.corpus.parse_times)")
            basis = next(y[k] for k in ("agency", "group", "topic") if y[k] is not None)
            self.periods_ = _split_at(detect_periods(t, basis), t, self.change_times)
            pidx = period_of(t, self.periods_, n)
            if self.recency_half_life:
                weight = recency_weights(t, self.recency_half_life)

        # topic -> group map (majority over rows that have both); fill missing groups
        self.topic_to_group_ = {}
        if y["topic"] is not None and y["group"] is not None:
            counts: dict[str, dict[str, int]] = {}
            for t, g in zip(y["topic"], y["group"]):
                if t is not None and g is not None:
                    counts.setdefault(t, {}).setdefault(g, 0)
                    counts[t][g] += 1
            self.topic_to_group_ = {t: max(sorted(c), key=c.get) for t, c in counts.items()}
            y["group"] = np.array([g if g is not None else self.topic_to_group_.get(t) if t is not None else None
                                   for t, g in zip(y["topic"], y["group"])], dtype=object)

        self.vectorizer_ = clone(self.vectorizer) if self.vectorizer is not None else MessageVectorizer()
        X = self.vectorizer_.fit_transform(recs)
        self.text_feature_names_ = self.vectorizer_.get_feature_names_out()

        ids: dict[tuple, int] = {}
        groups = np.array([ids.setdefault(r.lemmas, len(ids)) for r in recs])
        self.heads_: dict[str, _Head] = {}
        self.targets_ = tuple(t for t in TARGETS if y[t] is not None)
        rows = {}
        for t in ("topic", "group"):
            if y[t] is not None:
                rows[t] = np.array([v is not None for v in y[t]])
                extra = self._label_rows(y[t][rows[t]].astype(str), lambda recs: self.vectorizer_.transform(recs))
                self.heads_[t] = self._head().fit(X[rows[t]], y[t][rows[t]].astype(str), self.cv, groups[rows[t]],
                                                  extra, None if weight is None else weight[rows[t]])

        if "group" in self.heads_:
            self._index_hierarchy()
            self._fit_group_calibration(X, rows, y["group"])
        if y["agency"] is not None:
            self.municipality_ = MunicipalityEncoder().fit(recs)
            # out-of-fold stacked probabilities for every row (in-fold rows: OOF; others: full model)
            self.stack_target_ = None
            S = None
            if self.stack_weight and ("group" in self.heads_ or "topic" in self.heads_):
                if self.stack_on not in ("topic", "group"):
                    raise InvalidInput(f"stack_on must be 'topic' or 'group', not {self.stack_on!r}")
                other = "group" if self.stack_on == "topic" else "topic"
                self.stack_target_ = self.stack_on if self.stack_on in self.heads_ else other
                S = self._stack_proba(X, oof_rows=rows)
            A = self._agency_features(X, recs, S, pidx)
            r = np.array([v is not None for v in y["agency"]])
            k = S.shape[1] if S is not None else 0
            extra = self._label_rows(y["agency"][r].astype(str), lambda recs: self._agency_features(
                self.vectorizer_.transform(recs), recs, np.zeros((len(recs), k)) if S is not None else None, None))
            self.heads_["agency"] = self._head().fit(A[r], y["agency"][r].astype(str), self.cv, groups[r], extra,
                                                     None if weight is None else weight[r])
            self.agency_feature_names_ = self._agency_feature_names()
            if A.shape[1] != self._agency_layout().width():  # the layout predictors compile from
                raise RuntimeError(f"agency features: {A.shape[1]} columns, layout {self._agency_layout().width()}")
        self.classes_ = {t: self._classes(t) for t in self.targets_}
        self.recalibration_ = {}
        for head in self.heads_.values():
            head.oof_ = None  # only needed while fitting; keeps the pickled bundle small
        return self

    def _label_rows(self, labels: np.ndarray, features):
        """The class names themselves as extra training rows (``label_text_weight`` each),
        for names that are descriptive text: at least two words with letters
        ("Неработающее наружное освещение", "Администрация Льговского района"), not
        codes ("3") or catch-alls ("другое"). ``features(records)`` gives their features."""
        if not self.label_text_weight:
            return None
        from .normalize import normalize
        names, recs = [], []
        for name in np.unique(labels):
            if sum(any(ch.isalpha() for ch in w) for w in name.split()) < 2:
                continue
            lemmas = tuple(normalize(name).lemmas)
            if lemmas:
                names.append(name)
                recs.append(MessageRecord(lemmas, name, None))
        if not names:
            return None
        return features(recs), np.array(names, dtype=object).astype(str), float(self.label_text_weight)

    def oof_confidence(self, target: str) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold (inner grouped CV) top-1 confidence and correctness of ``target``
        on the training rows that had a label: what the review threshold is chosen on."""
        check_is_fitted(self, "heads_")
        if target not in self.heads_:
            raise InvalidInput(f"target {target!r} was not fitted; have {self.targets_}")
        return self.heads_[target].oof_top1_

    def recalibrate(self, target: str, confidence, correct) -> tuple[float, float]:
        """Fit a further top-1 Platt scaling of ``target`` on held-out ``(confidence,
        correct)`` pairs of models like this one (e.g. forward-in-time predictions, whose
        accuracy is lower than the inner cross-validation promises) and apply it from now
        on. Returns ``(a, b)``: ``conf' = sigmoid(a * logit(conf) + b)``."""
        check_is_fitted(self, "heads_")
        if target not in self.heads_:
            raise InvalidInput(f"target {target!r} was not fitted; have {self.targets_}")
        conf = np.asarray(confidence, dtype=float)
        ab = _fit_top1(conf[:, None], np.asarray(correct, dtype=bool))
        self.recalibration_ = {**getattr(self, "recalibration_", {}), target: ab}
        return ab

    def recalibrated_confidence(self, target: str, confidence) -> np.ndarray:
        """Top-1 confidences mapped by :meth:`recalibrate` (unchanged without it)."""
        conf = np.asarray(confidence, dtype=float)
        ab = getattr(self, "recalibration_", {}).get(target)
        return conf if ab is None else 1.0 / (1.0 + np.exp(-(ab[0] * _logit(conf) + ab[1])))

    def _recalibrated(self, target: str, proba: np.ndarray) -> np.ndarray:
        return recalibrated(proba, getattr(self, "recalibration_", {}).get(target))

    def _fit_group_calibration(self, X, rows, y_group):
        """Top-1 calibration of the mixed group probabilities, on out-of-fold values."""
        self.group_top1_ = (1.0, 0.0)
        if "topic" in self.heads_ and self.topic_to_group_:
            p_t = self.heads_["topic"].predict_proba(X)
            p_t[rows["topic"]] = self.heads_["topic"].oof_
            p_g = self.heads_["group"].predict_proba(X)
            p_g[rows["group"]] = self.heads_["group"].oof_
            P = self._group_proba(p_t, p_g)[rows["group"]]
            self.group_top1_ = _fit_top1(P, self.group_classes_[P.argmax(axis=1)] == y_group[rows["group"]].astype(str))

    def _head(self) -> _Head:
        return _Head(self.C, self.class_weight, self.random_state)

    def _classes(self, target):
        if target == "group" and self.topic_to_group_ and "topic" in self.heads_:
            return np.unique(np.concatenate([self.heads_["group"].classes_,
                                             np.array(sorted(set(self.topic_to_group_.values())), dtype=object)]
                                            ).astype(str))
        return self.heads_[target].classes_

    def _stack_proba(self, X, oof_rows=None) -> np.ndarray:
        """Probabilities of the stacked target: out-of-fold ones where available (fit)."""
        probs = {}
        for t in ("topic", "group"):
            if t in self.heads_:
                p = self.heads_[t].predict_proba(X)
                if oof_rows is not None:
                    p[oof_rows[t]] = self.heads_[t].oof_
                probs[t] = p
        if self.stack_target_ == "group":
            return _apply_top1(self._group_proba(probs.get("topic"), probs["group"]), self.group_top1_)
        return probs["topic"]

    def _index_hierarchy(self) -> None:
        """Precompute class positions of the group model and the topic->group matrix."""
        self.group_classes_ = self._classes("group")
        self.group_direct_pos_ = np.searchsorted(self.group_classes_, self.heads_["group"].classes_)
        self.topic_group_index_ = None
        self.topic_group_matrix_ = None
        if "topic" in self.heads_ and self.topic_to_group_:
            t_classes = self.heads_["topic"].classes_
            idx = np.array([np.searchsorted(self.group_classes_, self.topic_to_group_[t])
                            if t in self.topic_to_group_ else -1 for t in t_classes])
            M = np.zeros((len(t_classes), len(self.group_classes_)))
            M[np.flatnonzero(idx >= 0), idx[idx >= 0]] = 1.0
            self.topic_group_index_, self.topic_group_matrix_ = idx, M

    def _group_proba(self, p_topic, p_group) -> np.ndarray:
        """Group probabilities over ``group_classes_`` (see :func:`curnlp.predictor.group_proba`)."""
        return group_proba(p_topic, p_group, len(self.group_classes_), self.group_direct_pos_,
                           self.topic_group_matrix_, self.group_mix)

    def _periodic(self) -> bool:
        return bool(getattr(self, "periods_", None)) and len(self.periods_) > 1 and bool(self.period_weight)

    def _agency_features(self, X, recs, S, pidx=None):
        """Text, municipality, stacked probabilities and municipality × them; with periods,
        a copy of bias, municipality and stacked probabilities (and the text with
        ``period_text``) in the slot of the row's period (``pidx``; None: no slot)."""
        A = self._agency_base(X, recs, S)
        if not self._periodic():
            return A
        M = self.municipality_.transform(recs)
        parts = [sparse.csr_matrix(np.ones((X.shape[0], 1))), M]
        if S is not None:
            parts.append(sparse.csr_matrix(S * self.stack_weight))
        if self.period_text:
            parts.insert(0, X)
        B = sparse.hstack(parts, format="coo")
        d, p = B.shape[1], len(self.periods_)
        if pidx is None:
            P = sparse.csr_matrix((X.shape[0], d * p))
        else:
            pidx = np.asarray(pidx)
            P = sparse.csr_matrix((B.data * self.period_weight, (B.row, B.col + pidx[B.row] * d)),
                                  shape=(X.shape[0], d * p))
        return sparse.hstack([A, P], format="csr")

    def _agency_base(self, X, recs, S):
        blocks = [X]
        M = self.municipality_.transform(recs)
        if self.municipality_weight:
            blocks.append(M * self.municipality_weight)
        if S is not None:
            blocks.append(sparse.csr_matrix(S * self.stack_weight))
            # municipality x stacked-class interactions: one municipality per row -> S in its slot
            k = S.shape[1]
            Mc = M.tocoo()
            rows = np.repeat(Mc.row, k)
            cols = (Mc.col[:, None] * k + np.arange(k)[None, :]).ravel()
            vals = (S[Mc.row] * self.stack_weight).ravel()
            blocks.append(sparse.csr_matrix((vals, (rows, cols)), shape=(X.shape[0], M.shape[1] * k)))
        return sparse.hstack(blocks, format="csr")

    def _agency_layout(self) -> AgencyLayout:
        """The agency features' blocks (:mod:`curnlp.layout`, shared with the compiled predictor)."""
        return AgencyLayout(text=len(self.text_feature_names_),
                            municipalities=len(self.municipality_.get_feature_names_out()),
                            municipality_block=bool(self.municipality_weight), stacked=len(self._stack_names()),
                            periods=len(self.periods_) if self._periodic() else 0, period_text=bool(self.period_text))

    def _stack_names(self) -> list[str]:
        target = getattr(self, "stack_target_", None)
        return [] if target is None else [str(c) for c in self._classes(target)]

    def _layout_names(self) -> dict[str, Any]:
        return {"text_names": self.text_feature_names_, "municipality_names": self.municipality_.get_feature_names_out(),
                "stack_target": self.stack_target_, "stack_names": self._stack_names()}

    def _agency_feature_names(self):
        """Names of the agency columns before the period slots (see :meth:`_feature_name`)."""
        layout, names = self._agency_layout(), self._layout_names()
        return np.array([layout.name(i, **names) for i in range(layout.offsets()[3])], dtype=object)

    # -------------------------------------------------------------- predict
    def predict_proba(self, records, times=None) -> dict[str, np.ndarray]:
        """Calibrated probabilities per target: ``{target: (n, len(classes_[target]))}``.

        The group probabilities already include the topic evidence; see
        :meth:`predict` for the hierarchy-consistent labels. ``times``: route as of these
        times (one per record, None = now); default: as of now (the latest period).
        """
        return self._forward(as_records(records), times)[0]

    def period_index(self, times, n: int) -> np.ndarray | None:
        """The period of each time (``times=None``: the latest), or None without periods."""
        if not self._periodic():
            return None
        return period_of(times, self.periods_, n)

    def _forward(self, recs: list[MessageRecord], times=None) -> tuple[dict[str, np.ndarray], Any, Any]:
        """Probabilities per target plus the text and agency feature matrices (one pass)."""
        check_is_fitted(self, "heads_")
        X = self.vectorizer_.transform(recs)
        out = {}
        if "topic" in self.heads_:
            out["topic"] = self.heads_["topic"].predict_proba(X)
        if "group" in self.heads_:
            out["group"] = _apply_top1(self._group_proba(out.get("topic"), self.heads_["group"].predict_proba(X)),
                                       self.group_top1_)
        A = None
        if "agency" in self.heads_:
            S = None
            if self.stack_target_ is not None:
                S = out[self.stack_target_]
            A = self._agency_features(X, recs, S, self.period_index(times, len(recs)))
            out["agency"] = self.heads_["agency"].predict_proba(A)
        out = {t: self._recalibrated(t, p) for t, p in out.items()}
        return out, X, A

    def _reported(self, proba, agency_allowed=None, agency_own=None) -> dict[str, np.ndarray]:
        """The distributions labels are chosen from (:func:`curnlp.predictor.reported`):
        no merged rare class, the topic inside the chosen group, the agency among
        ``agency_allowed``."""
        return reported(proba, {t: [str(c) for c in self.classes_[t]] for t in proba},
                        getattr(self, "topic_group_index_", None), agency_allowed, agency_own)

    def _decide(self, proba) -> dict[str, np.ndarray]:
        """Chosen class index per row and target (argmax of :meth:`_reported`)."""
        return decide(self._reported(proba))

    def predict(self, records, top: int = 3, times=None) -> list[dict[str, Prediction]]:
        """Per record, ``{target: Prediction(label, confidence, alternatives)}``.

        The topic is consistent with the group (it belongs to the chosen group whenever
        the topic→group map knows it); ``confidence`` is the calibrated probability of
        the label; ``alternatives`` are the next ``top - 1`` most probable labels.
        """
        return [preds for preds, _ in self.predict_explained(records, k=0, top=top, times=times)]

    def predict_explained(self, records, k: int = 5, top: int = 3, explain: Sequence[str] = ("agency", "topic"),
                          times=None, agency_allowed=None, agency_own=None
                          ) -> list[tuple[dict[str, Prediction], dict[str, list[tuple[str, float]]]]]:
        """:meth:`predict` and, for the targets in ``explain``, :meth:`explain` of the
        predicted labels (``k`` features each), from one feature matrix: what a router
        needs per message, at the cost of one prediction."""
        recs = as_records(records)
        proba, X, A = self._forward(recs, times)
        shown = self._reported(proba, agency_allowed, agency_own)
        preds = predictions(shown, decide(shown), self.classes_, top)
        X = X.tocsr()
        matrices = {"agency": (A.tocsr() if A is not None else None, getattr(self, "agency_feature_names_", None))}
        out = []
        for i, p in enumerate(preds):
            evidence = {}
            if k > 0:
                for t in explain:
                    if t in p:
                        M, names = matrices.get(t, (X, self.text_feature_names_))
                        evidence[t] = self._contributions(M, i, t, p[t].label, names, k)
            out.append((p, evidence))
        return out

    def _contributions(self, M, row: int, target: str, label: str, names, k: int) -> list[tuple[str, float]]:
        """Top-``k`` positive value × weight contributions of row ``row`` of ``M`` to ``label``."""
        head = self.heads_[target]  # for "group": the direct group model's weights
        j = int(np.searchsorted(head.classes_, label))
        if j >= len(head.classes_) or head.classes_[j] != label:
            raise InvalidInput(f"unknown {target} label {label!r}")
        a, b = M.indptr[row], M.indptr[row + 1]
        indices = M.indices[a:b]
        return top_contributions(indices, M.data[a:b], head.coef_[j, indices], k,
                                 lambda i: self._feature_name(names, i))

    def _feature_name(self, names, i: int) -> str:
        """Feature ``i``'s name; the per-period copies are named ``t<period>:<name>``."""
        if i < len(names):
            return str(names[i])
        return self._agency_layout().name(i, **self._layout_names())

    def predict_labels(self, records, times=None) -> dict[str, np.ndarray]:
        """Vectorized labels and confidences: ``{target: labels}`` and ``{target+'_confidence': conf}``."""
        proba = self.predict_proba(records, times)
        idx = self._decide(proba)
        out = {}
        for t, p in proba.items():
            out[t] = self.classes_[t][idx[t]]
            out[t + "_confidence"] = p[np.arange(len(p)), idx[t]]
        return out

    # -------------------------------------------------------------- explain
    def explain(self, record, target: str, k: int = 5, label: str | None = None, time=None
                ) -> list[tuple[str, float]]:
        """Features with the largest positive contribution (value × weight) to ``label``
        (default: the predicted label) for one record: ``[(feature_name, contribution), ...]``.

        Names are prefixed ``w:`` (lemma n-gram), ``c:`` (character n-gram), ``m:``
        (municipality), ``p:``/``x:`` (stacked topic or group probability / municipality × it).
        """
        check_is_fitted(self, "heads_")
        if target not in self.heads_:
            raise InvalidInput(f"target {target!r} was not fitted; have {self.targets_}")
        recs = as_records([record])
        proba, X, A = self._forward(recs, None if time is None else [time])
        if label is None:
            label = self.classes_[target][self._decide(proba)[target][0]]
        if target == "agency":
            return self._contributions(A.tocsr(), 0, target, label, self.agency_feature_names_, k)
        return self._contributions(X.tocsr(), 0, target, label, self.text_feature_names_, k)
