"""Tests of curnlp.features / curnlp.models on a tiny synthetic corpus written for the tests."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from curnlp.errors import InvalidInput
from curnlp.features import MessageRecord, MessageVectorizer, as_records
from curnlp.models import Prediction, RoutingClassifier

# (text, topic, group, agency-in-Kursk, agency-elsewhere)
_TEMPLATES = [
    ("Большая яма на дороге по улице {s}, машины ломают колеса", "Ямы на дорогах", "дороги", "Комитет дорожного хозяйства", "Администрация района"),
    ("На улице {s} разбит асфальт, ямы глубокие, дорогу не ремонтируют", "Ямы на дорогах", "дороги", "Комитет дорожного хозяйства", "Администрация района"),
    ("Не горит фонарь возле дома на улице {s}, вечером темно", "Освещение", "благоустройство", "Комитет городского хозяйства", "Администрация района"),
    ("Уличное освещение не работает уже неделю, улица {s} без света", "Освещение", "благоустройство", "Комитет городского хозяйства", "Администрация района"),
    ("Аварийное дерево у дома на улице {s} может упасть на провода", "Аварийные деревья", "благоустройство", "Комитет городского хозяйства", "Администрация района"),
    ("Несанкционированная свалка мусора за гаражами на улице {s}", "Свалки", "экология", "Комитет природных ресурсов", "Комитет природных ресурсов"),
    ("В квартире нет горячей воды, дом на улице {s}, управляющая компания молчит", "Водоснабжение", "ЖКХ", "Жилищная инспекция", "Жилищная инспекция"),
    ("Холодные батареи, отопление не работает, дом {s}", "Отопление", "ЖКХ", "Жилищная инспекция", "Жилищная инспекция"),
    ("В поликлинике на улице {s} невозможно записаться к врачу", "Поликлиники", "здравоохранение", "Комитет здравоохранения", "Комитет здравоохранения"),
    ("Автобус по маршруту через улицу {s} не ходит по расписанию", "Общественный транспорт", "транспорт", "Департамент транспорта", "Администрация района"),
]
_STREETS = ["Ленина", "Гоголя", "Садовая", "Мира", "Советская", "Школьная"]
_MUNIS = ["Курск", "Льговский район"]


def _lemmas(text):
    return tuple(w.strip(",.").lower().replace("ё", "е") for w in text.split() if w.strip(",."))


@pytest.fixture(scope="module")
def data():
    rows = []
    for ti, (tpl, topic, group, a_city, a_district) in enumerate(_TEMPLATES):
        for si, street in enumerate(_STREETS):
            muni = _MUNIS[(ti + si) % 2]
            text = tpl.format(s=street)
            rows.append({"text": text, "lemmas": _lemmas(text), "municipality": muni,
                         "topic": topic, "group": group if si % 3 else None,  # a third without group
                         "agency": a_city if muni == "Курск" else a_district})
    return pd.DataFrame(rows)


def _records(df):
    return [{"lemmas": r.lemmas, "text": r.text, "municipality": r.municipality} for r in df.itertuples()]


@pytest.fixture(scope="module")
def fitted(data):
    clf = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3)
    return clf.fit(_records(data), topic=data.topic, group=data.group, agency=data.agency)


def test_records_accept_dicts_and_dataclasses():
    recs = as_records([{"lemmas": ("яма",), "text": "Яма"}, MessageRecord(("фонарь",), "Фонарь", "Курск")])
    assert recs[0].municipality is None and recs[1].municipality == "Курск"
    with pytest.raises(InvalidInput):
        as_records({"lemmas": ("яма",)})


def test_shapes_and_probabilities(fitted, data):
    recs = _records(data)
    proba = fitted.predict_proba(recs)
    assert set(proba) == {"topic", "group", "agency"}
    for t, p in proba.items():
        assert p.shape == (len(data), len(fitted.classes_[t]))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
        assert (p >= 0).all()
    preds = fitted.predict(recs)
    assert len(preds) == len(data)
    first = preds[0]["topic"]
    assert isinstance(first, Prediction) and 0 < first.confidence <= 1
    # runners-up: at most two, from the same distribution as the label (topics of the chosen group)
    assert len(first.alternatives) <= 2 and first.label not in [label for label, _ in first.alternatives]
    assert [q for _, q in first.alternatives] == sorted((q for _, q in first.alternatives), reverse=True)
    assert all(q <= first.confidence for _, q in first.alternatives)
    acc = np.mean([p["topic"].label == t for p, t in zip(preds, data.topic)])
    assert acc > 0.9  # training data of a separable toy corpus


def test_group_consistent_with_topic(fitted, data):
    assert fitted.topic_to_group_["Ямы на дорогах"] == "дороги"
    for p in fitted.predict(_records(data)):
        assert fitted.topic_to_group_[p["topic"].label] == p["group"].label


def test_agency_depends_on_municipality(fitted):
    text = "Большая яма на дороге по улице Ленина, машины ломают колеса"
    city = fitted.predict([{"lemmas": _lemmas(text), "text": text, "municipality": "Курск"}])[0]
    village = fitted.predict([{"lemmas": _lemmas(text), "text": text, "municipality": "Льговский район"}])[0]
    assert city["agency"].label == "Комитет дорожного хозяйства"
    assert village["agency"].label == "Администрация района"


@pytest.mark.parametrize("targets", [("agency",), ("group", "agency"), ("topic",)])
def test_subset_of_targets(data, targets):
    clf = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3)
    clf.fit(_records(data), **{t: data[t] for t in targets})
    assert clf.targets_ == tuple(t for t in ("topic", "group", "agency") if t in targets)
    p = clf.predict(_records(data)[:2])
    assert set(p[0]) == set(targets)


def test_no_targets_rejected(data):
    with pytest.raises(InvalidInput):
        RoutingClassifier().fit(_records(data))


def test_deterministic(data):
    recs = _records(data)
    kw = dict(topic=data.topic, group=data.group, agency=data.agency)
    a = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3).fit(recs, **kw).predict_proba(recs)
    b = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3).fit(recs, **kw).predict_proba(recs)
    for t in a:
        np.testing.assert_array_equal(a[t], b[t])


def test_clone_and_params(fitted):
    params = fitted.get_params()
    assert params["cv"] == 3 and "vectorizer__min_df" in params
    c = clone(fitted)
    assert not hasattr(c, "heads_")
    c.set_params(C=0.1, vectorizer__char_ngram_range=None)
    assert c.C == 0.1 and c.vectorizer.char_ngram_range is None


def test_explain_returns_real_features(fitted, data):
    rec = _records(data)[0]
    names = set(fitted.vectorizer_.get_feature_names_out())
    ev = fitted.explain(rec, "topic", k=5)
    assert 0 < len(ev) <= 5
    assert all(n in names for n, _ in ev)
    assert all(v > 0 for _, v in ev)
    assert [v for _, v in ev] == sorted((v for _, v in ev), reverse=True)
    ev_a = fitted.explain(rec, "agency", k=5)
    assert all(n in set(fitted.agency_feature_names_) for n, _ in ev_a)


def test_records_of_wrong_type_rejected(fitted):
    with pytest.raises(InvalidInput):
        fitted.predict([42])


def test_label_names_become_training_rows(data):
    """A topic seen once, whose message shares no word with its name, is still learned from
    the name itself: a message with the name's words gets it only when names are used."""
    recs = _records(data)
    text = "Во дворе гуляют бездомные собаки, кусают детей"
    extra = {"lemmas": _lemmas(text), "text": text, "municipality": "Курск"}
    topics = list(data.topic) + ["Отлов безнадзорных животных"]
    query_text = "отлов безнадзорный животное"
    query = [{"lemmas": tuple(query_text.split()), "text": query_text, "municipality": None}]
    vec = MessageVectorizer(min_df=1)
    with_names = RoutingClassifier(vectorizer=vec, cv=3).fit(recs + [extra], topic=topics)
    without = RoutingClassifier(vectorizer=vec, cv=3, label_text_weight=0).fit(recs + [extra], topic=topics)
    assert with_names.predict(query)[0]["topic"].label == "Отлов безнадзорных животных"
    assert without.predict(query)[0]["topic"].label != "Отлов безнадзорных животных"


def test_label_rows_skip_codes_and_single_words(fitted):
    rows = fitted._label_rows(np.array(["3", "другое", "Ямы на дорогах"]), lambda recs: recs)
    recs, names, weight = rows
    assert list(names) == ["Ямы на дорогах"] and weight == fitted.label_text_weight
    from curnlp.normalize import normalize
    assert recs[0].lemmas == tuple(normalize("Ямы на дорогах").lemmas)  # lemmatized like any message
    assert fitted._label_rows(np.array(["3", "16"]), lambda recs: recs) is None


@pytest.mark.parametrize("stack_on", ["topic", "group"])
def test_agency_stacks_the_chosen_target(data, stack_on):
    clf = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3, stack_on=stack_on)
    clf.fit(_records(data), topic=data.topic, group=data.group, agency=data.agency)
    assert clf.stack_target_ == stack_on
    n_cls = len(clf.classes_[stack_on])
    assert sum(n.startswith(f"p:{stack_on}=") for n in clf.agency_feature_names_) == n_cls
    assert clf.agency_feature_names_.shape[0] == clf.heads_["agency"].coef_.shape[1]
    # only the group is fitted: stacking falls back to it
    only = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3, stack_on="topic")
    only.fit(_records(data), group=data.group, agency=data.agency)
    assert only.stack_target_ == "group"
    with pytest.raises(InvalidInput):
        RoutingClassifier(stack_on="agency").fit(_records(data), topic=data.topic, agency=data.agency)


def test_merged_rare_class_is_learned_but_never_decided(data):
    """«другое» (rare agencies merged) keeps its messages in training, yet no prediction is «другое»:
    nobody can send a message there. Messages most like the rare ones get a real agency, and every
    label is the argmax of the distribution its alternatives come from."""
    from curnlp.predictor import Predictor
    from curnlp.records import OTHER
    rare = pd.DataFrame([{"text": t, "lemmas": _lemmas(t), "municipality": "Курск", "topic": "Прочее",
                          "group": None, "agency": OTHER}
                         for t in ["Соседи шумят по ночам, музыка до утра, улица {s}".format(s=s) for s in _STREETS]])
    both = pd.concat([data, rare], ignore_index=True)
    clf = RoutingClassifier(vectorizer=MessageVectorizer(min_df=1), cv=3).fit(
        _records(both), topic=both.topic, group=both.group, agency=both.agency)
    assert OTHER in list(clf.classes_["agency"])
    probe = [{"lemmas": _lemmas(t), "text": t, "municipality": "Курск"}
             for t in ["соседи ШУМЯТ ночью, музыка, улица Ленина", "шумят соседи до утра!!! ул. Мира"]]
    proba = clf.predict_proba(probe)["agency"]
    assert (np.asarray(clf.classes_["agency"])[proba.argmax(axis=1)] == OTHER).all()  # the raw argmax is «другое»
    for model in (clf, Predictor.from_classifier(clf)):
        for p in model.predict(_records(both) + probe):
            for pred in p.values():
                assert pred.label != OTHER and OTHER not in [label for label, _ in pred.alternatives]
                assert all(q <= pred.confidence for _, q in pred.alternatives)
    assert OTHER not in set(clf.predict_labels(probe)["agency"])  # what cross-validation scores
