"""A Router shared by many threads gives exactly the sequential results.

The messages are generated here from templates (streets, villages, districts, HTML,
VK markup, CAPS, typos, phones, links, emoji) — no corpus rows. The shared lazy state
(pymorphy3 analyzer, NER model, default router, region packs) is built exactly once
even when many threads ask for it at the same moment.
"""
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from threadpoolctl import threadpool_limits

import curnlp
from curnlp import morph, normalize as normalize_mod
from curnlp.ner import NER, forms as ner_forms
from curnlp.places import names as place_names, packs as regions
from curnlp import pipeline as pipeline_mod, router as router_mod

THREADS = 8
TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def one_blas_thread():
    """8 Python threads x OpenBLAS's own threads on 2 cores is mostly contention."""
    with threadpool_limits(1):
        yield

STREETS = ["ул. Ленина", "улице Союзной", "ул.Карла Маркса", "проспекте Дружбы", "пр-т Победы", "ул. 50 лет Октября",
           "улица Радищева", "по ул. Дзержинского", "на Сумской", "пер. Светлый", "ул. Энгельса", "ул. Белгородская",
           "Орловская", "бульвар Экспедиционный", "ул. Станционная", "3-й Промышленный переулок", "ул. Пучковка"]
PLACES = ["в Курске", "г. Курск", "в г. Железногорске", "Льгов", "в д. Духовец", "с. Клюква", "п. Кшенский",
          "в деревне Шерекино", "Курского района", "Льговского р-на", "в Сеймском округе", "Обояни", "пос. Касторное",
          "в селе Беседино", "хутор Кукуевка", "мкр. Северный", "СНТ «Березка»", "Курской области"]
PROBLEMS = ["огромная яма на дороге", "третий день нет воды", "не горят фонари", "мусор не вывозят две недели",
            "автобус 91 не ходит", "течёт крыша", "в подъезде не убирают", "нет отопления, дети мерзнут",
            "светофор не работает", "затопило подвал", "бродячие собаки нападают на детей", "сломана детская площадка",
            "не отвечает управляющая компания", "снег не чистят", "тротуар разбит", "нет газа", "ливневка забита",
            "в поликлинике нет записи к терапевту", "шум от кафе по ночам", "незаконная парковка на газоне"]
PEOPLE = ["Иванова Мария Петровна", "Петров И.И.", "глава администрации Сидоров", "ООО «Жилсервис»",
          "Комитет дорожного хозяйства", "УК «Уют»", "депутат Кузнецова Светлана Ивановна"]
ENDINGS = ["Помогите!", "Примите меры.", "Сколько можно?!", "Жалуемся уже год.", "😡😡", "Спасибо.", "!!!", "",
           "Звоните 8-900-123-45-67", "тел. +7 (4712) 55-66-77", "фото: https://vk.com/photo-1_2",
           "[club123|Администрация района] ответьте", "пишу на admin@kursk.ru"]
HOUSES = ["д. 5", "д.71б", "дом № 24", "дома 5 корп. 2", "12", "д 3/1", "д. 19Д"]


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rnd.randrange(1, len(word) - 1)
    return rnd.choice([word[:i] + word[i + 1:], word[:i] + word[i + 1] + word[i] + word[i + 2:], word + word[-1]])


def make_message(rnd: random.Random) -> str:
    parts = [rnd.choice(PROBLEMS)]
    if rnd.random() < 0.8:
        parts.append(rnd.choice(["на", "по", "у дома на", ""]) + " " + rnd.choice(STREETS))
        if rnd.random() < 0.5:
            parts.append(rnd.choice(HOUSES))
    if rnd.random() < 0.7:
        parts.append(rnd.choice(PLACES))
    if rnd.random() < 0.3:
        parts.append(rnd.choice(["обращаемся к", "виноват", "ответственный"]) + " " + rnd.choice(PEOPLE))
    rnd.shuffle(parts)
    text = ", ".join(p.strip() for p in parts if p.strip()) + ". " + rnd.choice(ENDINGS)
    text = text[:1].upper() + text[1:]
    style = rnd.random()
    if style < 0.12:
        text = text.upper()
    elif style < 0.22:
        text = text.lower()
    if rnd.random() < 0.2:
        text = " ".join(_typo(w, rnd) for w in text.split(" "))
    if rnd.random() < 0.2:
        text = f"<p>{text.replace(', ', ',&nbsp;', 1)}</p><br/><div class='sign'>{rnd.choice(ENDINGS)}</div>"
    if rnd.random() < 0.1:
        text = "'" + text + "\u200b\r\n"
    if rnd.random() < 0.1:
        text = text + " " + rnd.choice(PROBLEMS) + " " * rnd.randrange(1, 4) + rnd.choice(STREETS)
    return text


def make_messages(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    return [make_message(rnd) for _ in range(n)]


def _clear_caches() -> None:
    """Cold caches make the threads race on misses, not only on hits."""
    for cache in (morph.parse, morph.lemma, normalize_mod._word_info, regions.name_key, ner_forms._truecase,
                  ner_forms._normal_cached, place_names.adjective_genders, place_names.inflect_adjective,
                  place_names.noun_nominative, place_names.street_noun, place_names.lower_name_ok,
                  place_names.lower_name_ok_strict):
        cache.cache_clear()


def _run_threads(router, texts: list[str], per_thread: int, seed: int) -> list[list[tuple[int, dict]]]:
    rnd = random.Random(seed)
    plans = [rnd.sample(range(len(texts)), per_thread) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def work(plan):
        start.wait()
        return [(i, router.route(texts[i]).to_dict()) for i in plan]

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(work, plan) for plan in plans]
        done, pending = wait(futures, timeout=TIMEOUT_S)
        assert not pending, f"threads did not finish within {TIMEOUT_S} s (deadlock?)"
        return [f.result() for f in futures]


def test_messages_are_varied():
    texts = make_messages(2500)
    assert len(set(texts)) > 2400
    assert sum(t.isupper() for t in texts) > 100 and sum("<p>" in t for t in texts) > 300


def test_shared_router_without_entities_matches_sequential():
    router = curnlp.load(entities=False)
    texts = make_messages(1500)
    expected = [router.route(t).to_dict() for t in texts]
    _clear_caches()
    results = _run_threads(router, texts, per_thread=300, seed=1)  # fails if the threads never finish
    for per_thread in results:
        for i, got in per_thread:
            assert got == expected[i], texts[i]


def test_shared_router_with_entities_matches_sequential():
    router = curnlp.load(entities=True)
    texts = make_messages(240, seed=11)
    expected = [router.route(t).to_dict() for t in texts]
    assert sum(bool(d["entities"]) for d in expected) > 30
    _clear_caches()
    NER.shared().encode_word.cache_clear()
    for per_thread in _run_threads(router, texts, per_thread=40, seed=2):
        for i, got in per_thread:
            assert got == expected[i], texts[i]


def test_route_many_in_threads_matches_route():
    router = curnlp.load(entities=False)
    texts = make_messages(200, seed=5)
    expected = [router.route(t).to_dict() for t in texts]
    chunks = [texts[k::4] for k in range(4)]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(router.route_many, chunk, batch_size=1) for chunk in chunks]
        done, pending = wait(futures, timeout=TIMEOUT_S)
        assert not pending
    for k, f in enumerate(futures):
        assert [r.to_dict() for r in f.result()] == expected[k::4]


def test_one_pass_classification_equals_predict_and_explain():
    """predict_explained (what the router uses) gives what predict() + explain() give."""
    router = curnlp.load(entities=False)
    clf = router.classifier
    for text in make_messages(200, seed=3):
        record = pipeline_mod.to_record(normalize_mod.normalize(text), None)
        preds, evidence = clf.predict_explained([record], k=router_mod.EVIDENCE_WORDS)[0]
        assert preds == clf.predict([record])[0]
        for target in ("agency", "topic"):
            assert evidence[target] == clf.explain(record, target, k=router_mod.EVIDENCE_WORDS,
                                                   label=preds[target].label)


# ---------------------------------------------------------------------------
# lazy singletons: built once under contention
# ---------------------------------------------------------------------------

def _race(fn, n=THREADS):
    barrier = threading.Barrier(n)

    def call():
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(call) for _ in range(n)]
        done, pending = wait(futures, timeout=TIMEOUT_S)
        assert not pending
    return [f.result() for f in futures]


def _slow_counter(result):
    calls = []

    def build(*args, **kwargs):
        calls.append(1)
        time.sleep(0.05)  # widen the race window
        return result

    return build, calls


def test_analyzer_is_built_once(monkeypatch):
    sentinel = object()
    build, calls = _slow_counter(sentinel)
    monkeypatch.setattr(morph, "_analyzer", None)
    monkeypatch.setattr(morph.pymorphy3, "MorphAnalyzer", build)
    assert all(a is sentinel for a in _race(morph.analyzer)) and len(calls) == 1


def test_ner_is_built_once(monkeypatch):
    calls = []

    def slow_init(self, *args, **kwargs):
        calls.append(1)
        time.sleep(0.05)

    monkeypatch.setattr(NER, "_shared", None)
    monkeypatch.setattr(NER, "__init__", slow_init)
    got = _race(NER.shared)
    assert len({id(x) for x in got}) == 1 and len(calls) == 1


def test_default_router_is_loaded_once(monkeypatch):
    sentinel = object()
    build, calls = _slow_counter(sentinel)
    monkeypatch.setattr(curnlp, "_default_router", None)
    monkeypatch.setattr(curnlp, "load", build)
    assert all(r is sentinel for r in _race(curnlp.default_router)) and len(calls) == 1


def test_region_pack_is_parsed_once(monkeypatch, tmp_path):
    pack = tmp_path / "pack.json"
    pack.write_text(regions._PACKS.joinpath("kursk.json").read_text(encoding="utf-8"),
                    encoding="utf-8")
    real = regions._parse_pack
    calls = []

    def parse(text, source):
        calls.append(1)
        time.sleep(0.05)
        return real(text, source)

    monkeypatch.setattr(regions, "_parse_pack", parse)
    got = _race(lambda: regions.load_region(pack))
    assert len({id(r) for r in got}) == 1 and len(calls) == 1
    regions._cache.pop(next(k for k in regions._cache if k[0] == "path" and k[1] == str(pack.resolve())))


@pytest.mark.parametrize("words", [["Курск", "дорога", "ямы"], ["Иванова", "Мария", "Петровна"]])
def test_pymorphy3_parse_is_safe_concurrently(words):
    """pymorphy3's MorphAnalyzer.parse reads immutable DAWGs; only idempotent lazy caches change."""
    a = morph.analyzer()
    expected = {w: [(str(p.tag), p.normal_form, p.score) for p in a.parse(w)] for w in words}

    def work():
        out = []
        for _ in range(300):
            for w in words:
                out.append((w, [(str(p.tag), p.normal_form, p.score) for p in a.parse(w)]))
        return out

    for result in _race(work):
        assert all(parses == expected[w] for w, parses in result)
