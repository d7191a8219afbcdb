"""The compiled predictor (what routing runs, numpy only) computes what the scikit-learn
classifier computes: labels, probabilities and evidence, for every layout of features."""
import os

import joblib
import numpy as np
import pytest

import curnlp
from curnlp.errors import InvalidInput
from curnlp.features import MessageVectorizer
from curnlp.models import RoutingClassifier
from curnlp.normalize import normalize
from curnlp.predictor import NotCompilable, Predictor
from curnlp.pipeline import to_record

# messy, realistic messages: markup, caps, typos, a long one, one without a known word
MESSAGES = [
    "<p>На ул. Ленина в Курске огромная ЯМА,&nbsp;машины бьют колёса!!!</p>",
    "не горит фанарь у дома 5 по ул. Сумской г. Курск уже неделю",
    "В д. Духовец Курского р-на третий день нет воды, звонили в администрацию — тишина",
    "ХОЛОДНЫЕ БАТАРЕИ в квартире, управляющая компания не отвечает. Железногорск, ул. Гагарина 12",
    "Автобус 42 не ходит по расписанию, остановка на Дзержинского, люди мерзнут " * 40,
    "Свалка мусора за гаражами в Льгове, никто не вывозит",
    "qwerty zxcv",
]


def _same(clf, predictor, records, times=None):
    a = clf.predict_explained(records, times=times)
    b = predictor.predict_explained(records, times=times)
    for (pa, ea), (pb, eb) in zip(a, b):
        assert pa.keys() == pb.keys()
        for t in pa:
            assert pa[t].label == pb[t].label
            assert [x for x, _ in pa[t].alternatives] == [x for x, _ in pb[t].alternatives]
            assert pa[t].confidence == pytest.approx(pb[t].confidence, abs=1e-6)
        assert ea.keys() == eb.keys()
        for t in ea:
            assert [x for x, _ in ea[t]] == [x for x, _ in eb[t]]
            assert np.allclose([v for _, v in ea[t]], [v for _, v in eb[t]], atol=1e-6)
    pa, pb = clf.predict_proba(records, times=times), predictor.predict_proba(records, times=times)
    for t in pa:
        assert np.abs(pa[t] - pb[t]).max() < 1e-6


@pytest.fixture(scope="module")
def shipped():
    router = curnlp.load(entities=False)
    records = [to_record(normalize(m), None) for m in MESSAGES]
    records += [to_record(normalize(m), router.route(m).place.municipality) for m in MESSAGES]
    return router, records


def test_the_shipped_predictor_equals_its_classifier(shipped):
    router, records = shipped
    assert isinstance(router.model, Predictor)
    _same(router.classifier, router.model, records)
    # routed as of an old period (another labelling convention), too
    _same(router.classifier, router.model, records, times=[0.0] * len(records))


def test_the_shipped_predictor_equals_its_classifier_on_the_corpus(shipped):
    corpus = os.environ.get("CURNLP_CORPUS")
    if not corpus or not os.path.exists(corpus):
        pytest.skip("CURNLP_CORPUS not set")
    import csv
    with open(corpus, encoding="utf-8", newline="") as fh:
        texts = [row["Текст Сообщения"] for row in csv.DictReader(fh)][::6]
    router, _ = shipped
    records = [to_record(normalize(t), router.route(t).place.municipality) for t in texts]
    _same(router.classifier, router.model, records)


def _small_corpus():
    """Labelled records: three topics in two groups, agency by place and topic."""
    rows = []
    topics = [("яма на дороге асфальт разбит", "Ямы", "дороги"), ("не горит фонарь темно освещение", "Свет", "город"),
              ("мусор свалка не вывозят контейнер", "Мусор", "город")]
    places = ["Курск", "Льговский район", None, "Курск?"]
    for i in range(72):
        words, topic, group = topics[i % 3]
        place = places[(i // 3) % 4]
        lemmas = tuple(words.split()) + (f"слово{i % 7}",)
        agency = ("Комитет дорог" if topic == "Ямы" else "Комитет ЖКХ") if place in ("Курск", "Курск?") \
            else "Администрация Льговского района"
        if i >= 48 and agency == "Комитет ЖКХ":
            agency = "Администрация города Курска"  # a new convention in the latest third
        rows.append(({"lemmas": lemmas, "text": " ".join(lemmas).capitalize(), "municipality": place},
                     topic, group if i % 5 else None, agency, float(i)))
    return rows


@pytest.mark.parametrize("options", [
    {},
    {"vectorizer": MessageVectorizer(min_df=1, word_ngram_range=(1, 2), char_ngram_range=(2, 4),
                                     char_weight=0.5, municipality_weight=0.7)},
    {"period_text": True, "stack_on": "group"},
    {"municipality_weight": 0.0, "stack_weight": 0.0},
])
@pytest.mark.parametrize("with_times", [False, True])
def test_every_feature_layout_compiles_to_the_same_predictions(options, with_times):
    rows = _small_corpus()
    records = [r for r, *_ in rows]
    clf = RoutingClassifier(cv=3, **options).fit(
        records, topic=[r[1] for r in rows], group=[r[2] for r in rows], agency=[r[3] for r in rows],
        times=[r[4] for r in rows] if with_times else None)
    predictor = Predictor.from_classifier(clf)
    probe = records[::5] + [{"lemmas": ("яма", "неизвестное"), "text": "Яма неизвестное", "municipality": "Тула"},
                            {"lemmas": (), "text": "", "municipality": None}]
    _same(clf, predictor, probe)
    if with_times:
        _same(clf, predictor, probe, times=[0.0, 60.0] * (len(probe) // 2) + [None] * (len(probe) % 2))


def test_a_topic_only_model_compiles():
    rows = _small_corpus()
    clf = RoutingClassifier(cv=3).fit([r for r, *_ in rows], topic=[r[1] for r in rows])
    predictor = Predictor.from_classifier(clf)
    assert predictor.targets_ == ("topic",)
    _same(clf, predictor, [r for r, *_ in rows][:10])


def test_what_cannot_be_compiled_says_so():
    from sklearn.feature_extraction.text import TfidfVectorizer

    class Custom(MessageVectorizer):
        pass

    rows = _small_corpus()
    clf = RoutingClassifier(cv=3, vectorizer=Custom(min_df=1)).fit([r for r, *_ in rows], topic=[r[1] for r in rows])
    with pytest.raises(NotCompilable, match="Custom"):
        Predictor.from_classifier(clf)
    # a router still routes with such a classifier, through scikit-learn
    router = curnlp.Router(clf, {}, region=None, entities=False)
    assert router.model is clf and router.route("яма на дороге").topic.label == "Ямы"
    with pytest.raises(InvalidInput, match="not fitted"):
        Predictor.from_classifier(RoutingClassifier())
    assert TfidfVectorizer  # the analyzers a predictor mirrors are scikit-learn's


def test_a_predictor_pickles_without_scikit_learn_objects(tmp_path):
    rows = _small_corpus()
    clf = RoutingClassifier(cv=3).fit([r for r, *_ in rows], topic=[r[1] for r in rows], agency=[r[3] for r in rows])
    path = tmp_path / "p.joblib"
    joblib.dump(Predictor.from_classifier(clf), path)
    import subprocess
    import sys
    # in a process where importing scikit-learn or scipy fails
    code = ("import sys; sys.modules['sklearn'] = sys.modules['scipy'] = None; import joblib; "
            f"print(joblib.load({str(path)!r}).targets_)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "('topic', 'agency')"
    loaded = joblib.load(path)
    _same(clf, loaded, [r for r, *_ in rows][:12])
