"""The shortcuts of the place stage find exactly what a scan of every token finds.

The extractor visits only the tokens where a recognizer can start (``_Scan.starts``), the
detector of other regions only the tokens whose lemma starts a name of the Russia index
(``RussiaIndex.first_lemmas``), and district look-ups are cached. Each test runs the stage
with the shortcut and with it switched off on realistic messages (markup, typos, lower
case, abbreviations) and, when the corpus is there, on every corpus message.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from curnlp.normalize import normalize
from curnlp.places import extract_locations, load_region, locate
from curnlp.places.packs import district_named
from curnlp.places import locations as locations_module
from curnlp.places.russia import RussiaIndex, detect_other_region, russia

CORPUS = os.environ.get("CURNLP_CORPUS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "corpora", "kursk", "appeals.csv")

MESSAGES = [
    "Яма на ул. Союзной, д.71б",
    "<p>ЯМА&nbsp;по адресу клыкова д 4, подъезд 2</p>",
    "на дериглазова нет света третий день",
    "в д. Духовец Курского р-на нет воды",
    "ПРОСПЕКТ КУЛАКОВА ЯМЫ на дороге!!!",
    "на пересечении Гагарина и Пушкина не работает светофор",
    "возле школы № 54 и детского сада №91 грязь",
    "у 31 дома по Союзной мусор",
    "в Льговском муниципальном округе, с.будище, темно",
    "Курск, Сеймский округ, ул. Энгельса 10",
    "живу в г. Белгород, ул. Щорса 10, нет отопления",
    "Железногорск Красноярского края, ул. Ленина 5",
    "в Ивановке Петровой сломан забор; до Верхних Лугах не доехать",
    "магистральный проезд 16б, 7-му Промышленному переулку",
    "по улицам Пионеров и Нижняя Луговая",
    "пр.победы 25 кв 3",
    "",
]


def _corpus_texts(limit: int | None = None) -> list[str]:
    if not os.path.isfile(CORPUS):
        return []
    with open(CORPUS, encoding="utf-8", newline="") as fh:
        rows = [row["Текст Сообщения"] for row in csv.DictReader(fh)]
    return rows[:limit]


def _every_token(self) -> list[int]:
    return list(range(self.n))


@pytest.mark.parametrize("region", ["kursk", "ryazan"])
def test_the_scan_skips_only_tokens_where_nothing_starts(monkeypatch, region):
    docs = [normalize(t) for t in MESSAGES + _corpus_texts()]
    reg = load_region(region)
    fast = [extract_locations(d, reg) for d in docs]
    monkeypatch.setattr(locations_module._Scan, "starts", _every_token)
    full = [extract_locations(d, reg) for d in docs]
    assert fast == full
    assert any(fast)  # the messages do name places
    if region == "kursk":  # a lower-case pack street in a lower-case message
        assert [(l.kind, l.normal) for l in fast[2]] == [("street", "проспект Дериглазова")]


def test_per_token_features_equal_their_definitions():
    """The scan's lowercase forms (ё folded) and capital flags, computed with map() over
    str methods, equal the per-token definitions, also for Ё, "3-я" and placeholders."""
    reg = load_region("kursk")
    texts = MESSAGES + ["ЁЛКИ у дома 3-я линия, ЁЖИКИ", "ё-моё 2-Я, 10-15 см, пишите на a@b.ru"] + _corpus_texts()
    for text in texts:
        doc = normalize(text)
        scan = locations_module._Scan(doc, reg)
        assert scan.low == [t.text.lower().replace("ё", "е") for t in doc.tokens], text
        assert scan.cap == [t.text[:1].isupper() or (t.text[:1].isdigit() and "-" in t.text)
                            for t in doc.tokens], text


class _Everything:
    """A first-lemma set that contains every lemma: the detector tries every word."""

    def __contains__(self, lemma: object) -> bool:
        return True


def test_other_region_detector_tries_only_words_that_start_a_name():
    index = russia()
    assert "белгород" in index.first_lemmas and "яма" not in index.first_lemmas
    slow = RussiaIndex.__new__(RussiaIndex)
    slow.__dict__.update(index.__dict__)
    slow.first_lemmas = _Everything()
    home = load_region("kursk")
    docs = [normalize(t) for t in MESSAGES + _corpus_texts()]
    fast = [detect_other_region(d, home, index=index) for d in docs]
    full = [detect_other_region(d, home, index=slow) for d in docs]
    assert fast == full
    assert fast[10] is not None and fast[10].region == "Белгородская область"
    assert fast[11] is not None and fast[11].region == "Красноярский край"


def test_cached_district_lookup_agrees_with_the_pack_also_for_typos():
    reg = load_region("kursk")
    for adjective, kind in [("Зотухинского", "district"), ("Курского", "district"), ("Сеймский", "city_okrug"),
                            ("Сеймский", "district"), ("Неизвестного", "district")]:
        assert district_named(reg, adjective, kind) == reg.district(adjective, kind)
    assert district_named(reg, "Зотухинского", "district").name == "Золотухинский район"
    assert locate("в Зотухинском р-не нет воды").municipality.name == "Золотухинский район"


def test_name_key_shortcut_for_one_word_names_equals_the_full_normalization():
    """packs.name_key keys a one-word name by its lemma without normalizing it (pack loading
    and the Russia index build while the router loads): same key as the full path, for every
    name of russia.json and of every shipped pack."""
    import json

    from curnlp.normalize import normalize
    from curnlp.places import packs
    from curnlp.places import russia as russia_module

    def full(name):
        return tuple(t.lemma for t in normalize(name).tokens if t.kind in ("word", "number"))

    data = json.loads(russia_module.DATA_FILE.read_text(encoding="utf-8"))
    names = [c["name"] for s in data["subjects"] for c in s["cities"]]
    names += [s["name"] for s in data["subjects"]] + [a for s in data["subjects"] for a in s.get("aliases", ())]
    names += ["ЁЛКИ", "Орёл", "Ростов-на-Дону", "Н. Новгород", "Santa"]

    def strings(o):
        if isinstance(o, str):
            yield o
        elif isinstance(o, dict):
            for k, v in o.items():
                yield k
                yield from strings(v)
        elif isinstance(o, list):
            for v in o:
                yield from strings(v)

    for pack in (Path(packs.__file__).parent / "regions").glob("*.json"):
        names += list(strings(json.loads(pack.read_text(encoding="utf-8"))))
    assert sum(n.isalpha() for n in names) > 2000  # most names take the shortcut
    for name in set(names):
        assert packs.name_key(name) == full(name), name
