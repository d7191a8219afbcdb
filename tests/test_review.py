"""Review reasons: every flagged Routing says why, and what the router cannot know is not routed.

no_words, not_russian, outside_region (with the in-region mentions of other cities that must
not trigger it), truncated, low_confidence; typed errors for non-strings; ``curnlp.errors``
right after ``import curnlp``.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import curnlp
from curnlp import Routing
from curnlp.errors import InvalidInput
from curnlp.language import guess_language, is_russian
from curnlp.normalize import normalize
from curnlp.places import load_region
from curnlp.places.russia import DATA_FILE, SUBJECTS, OtherRegion, build, default_city_csv, detect_other_region, russia
from curnlp.router import REVIEW_REASONS

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CITY_CSV = default_city_csv()  # $CURNLP_CITY_CSV or ../shared/data/russia-cities/city.csv


@pytest.fixture(scope="module")
def router():
    return curnlp.load(entities=False)


@pytest.fixture(scope="module")
def kursk():
    return load_region("kursk")


def read_eval(name: str = "other_region.tsv") -> list[tuple[str, str]]:
    with open(HERE / "data" / name, encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [(r["region"], r["text"]) for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


# --- curnlp.errors right after import ------------------------------------------------------

def test_errors_reachable_after_import_without_heavy_modules():
    code = ("import sys, curnlp\n"
            "assert issubclass(curnlp.errors.InvalidInput, curnlp.errors.CurnlpError)\n"
            "heavy = [m for m in ('sklearn', 'pymorphy3', 'razdel', 'numpy', 'slovnet', 'navec', 'pandas', "
            "'curnlp.router', 'curnlp.places') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# --- no words ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "    \n\t ", "😡😡😡", "12345 678", "!!! ??? ...", "<p>&nbsp;</p>",
                                  "https://vk.com/wall-123_456", "+7 (4712) 55-66-77 👍"])
def test_no_words_is_a_flagged_routing_without_labels(router, text):
    r = router.route(text)
    assert isinstance(r, Routing)
    assert (r.topic, r.group, r.agency, r.municipality, r.region) == (None, None, None, None, None)
    assert r.needs_review is True and r.review_reasons == ("no_words",)
    assert r.to_dict()["review_reasons"] == ["no_words"]
    json.dumps(r.to_dict(), ensure_ascii=False)


def test_one_word_is_enough_to_route(router):
    r = router.route("😡😡😡 Яма!!! 😡")
    assert "no_words" not in r.review_reasons and r.agency is not None


@pytest.mark.parametrize("bad", [None, b"\xd1\x8f\xd0\xbc\xd0\xb0", 42, 3.5, ["яма"]])
def test_only_non_strings_raise(router, bad):
    with pytest.raises(curnlp.errors.InvalidInput):
        router.route(bad)


def test_route_many_returns_flagged_routings_and_errors_in_place(router):
    out = router.route_many(["", "Яма на ул. Ленина в Курске", None, "🙂"], errors="return")
    assert out[0].review_reasons == ("no_words",) and out[3].review_reasons == ("no_words",)
    assert out[1].agency is not None and isinstance(out[2], InvalidInput)
    assert [r.review_reasons for r in router.route_many(["", "   "])] == [("no_words",), ("no_words",)]


def test_cli_route_on_a_no_word_message_exits_0_and_says_why():
    out = subprocess.run([sys.executable, "-m", "curnlp", "route", "--no-entities", "😡😡😡"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["review_reasons"] == ["no_words"] and d["needs_review"] is True and d["agency"] is None
    assert "needs review: no_words" in out.stderr


# --- not Russian --------------------------------------------------------------------------------

ENGLISH = ["There is a huge pothole on Lenin street, nobody has fixed it for a month!",
           "Hello, the street lights near school 5 do not work, children walk in the dark. Please help."]
GERMAN = ["Auf der Straße vor unserem Haus gibt es ein großes Loch, bitte reparieren Sie es.",
          "Seit drei Tagen haben wir kein warmes Wasser in der Wohnung."]


@pytest.mark.parametrize("text", ENGLISH + GERMAN)
def test_english_and_german_are_not_russian_and_get_no_labels(router, text):
    r = router.route(text)
    assert "not_russian" in r.review_reasons and r.needs_review
    assert (r.topic, r.group, r.agency) == (None, None, None)


@pytest.mark.parametrize("text", [
    "Не работает Wi-Fi в школе №5, роутер TP-Link сломан, фото https://disk.yandex.ru/i/AbCdEf",
    "Жалоба на taxi Yandex Go: водитель грубит и курит в салоне",
    "здраствуйте у нас на улице Сумской яма огромная машыны ломаюца помагите",  # typos
    "ВО ДВОРЕ ДОМА 5 НЕ ВЫВОЗЯТ МУСОР!!!",
    "Яма на дороге у с. Білопілля, не проехать",  # a Ukrainian place name inside Russian
    "Please help! Нет воды в доме на ул. Ленина",
    "<p>Посмотрите видео: https://www.youtube.com/watch?v=dQw4w9WgXcQ — так у нас течёт крыша</p>",
])
def test_russian_with_foreign_bits_is_russian(router, text):
    r = router.route(text)
    assert "not_russian" not in r.review_reasons, guess_language(text)
    assert r.topic is not None and r.agency is not None


def test_ukrainian_and_belarusian_are_not_russian_translit_is_not_either():
    assert is_russian("На вулиці Леніна величезна яма, ніхто не ремонтує вже місяць") is False
    assert is_russian("На вуліцы Леніна вялікая яма, ніхто не рамантуе ўжо месяц") is False
    assert is_russian("Na ulice Lenina ogromnaya yama, pochinite pozhaluysta") is False
    assert is_russian("ok") is None  # too few letters to tell
    assert is_russian("На улице Ленина огромная яма, никто не ремонтирует уже месяц") is True


# --- another region ---------------------------------------------------------------------------

def test_the_list_has_the_89_subjects_with_official_names():
    names = [s.name for s in SUBJECTS]
    assert len(names) == len(set(names)) == 89
    for name in ("Белгородская область", "Москва", "Республика Татарстан", "Санкт-Петербург",
                 "Ханты-Мансийский автономный округ — Югра", "Донецкая Народная Республика", "Курская область"):
        assert name in names
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert "CC BY-SA 4.0" in data["license"] and "hflabs/city" in data["source"]
    assert len(data["subjects"]) == 89 and sum(len(s["cities"]) for s in data["subjects"]) > 1100
    belgorod = next(s for s in data["subjects"] if s["name"] == "Белгородская область")
    assert {"Белгород", "Старый Оскол", "Шебекино"} <= {c["name"] for c in belgorod["cities"]}


@pytest.mark.skipif(not CITY_CSV.exists(), reason="../shared/data/russia-cities/city.csv not present")
def test_the_shipped_file_is_what_the_builder_makes(tmp_path):
    out = build(CITY_CSV, tmp_path / "russia.json")
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(DATA_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text, region, city, evidence", [
    ("г. Белгород, ул. Щорса 10, нет отопления", "Белгородская область", "Белгород", "Белгород"),
    ("в Воронеже на Плехановской яма", "Воронежская область", "Воронеж", "Воронеже"),
    ("<p>В&nbsp;Москве на Тверской разбит тротуар</p>", "Москва", "Москва", "Москве"),
    ("в г. Москве в районе Митино нет горячей воды", "Москва", "Москва", "Москве"),
    ("Республика Татарстан, г. Набережные Челны, двор не освещается", "Республика Татарстан", "Набережные Челны",
     "Республика Татарстан"),
    ("В Подмосковье, в Балашихе сосед затопил квартиру", "Московская область", "Балашиха", "Подмосковье"),
    ("Шебекино Белгородской области, ул. Ленина, нет воды", "Белгородская область", "Шебекино", "Шебекино"),
    ("В Железногорске Красноярского края отключили воду", "Красноярский край", None, "Красноярского края"),
    ("ТУЛА, УЛ. ЛЕНИНА 15 - НЕТ ГОРЯЧЕЙ ВОДЫ!!!", "Тульская область", "Тула", "ТУЛА"),
    ("в воронеже на остановке нет навеса", "Воронежская область", "Воронеж", "воронеже"),
    ("В Ростове-на-Дону в доме нет отопления", "Ростовская область", "Ростов-на-Дону", "Ростове-на-Дону"),
    ("Н.Новгород, ул. Родионова, ямы", "Нижегородская область", "Нижний Новгород", "Н.Новгород"),
    ("в Людиново закрыли поликлинику", "Калужская область", "Людиново", "Людиново"),
    ("в Коврове на ул. Шмидта разбитая дорога", "Владимирская область", "Ковров", "Коврове"),
    ("Проживаю в г. Брянск, ул. Красноармейская 100, холодно", "Брянская область", "Брянск", "Брянск"),
    ("Пишу из Орла, у нас на Наугорском шоссе не горят фонари", "Орловская область", "Орёл", "Орла"),
    ("Находка, ул. Постышева — яма", "Приморский край", "Находка", "Находка"),
    ("Белгородский район, п. Разумное: нет света", "Белгородская область", None, "Белгородский район"),
])
def test_other_region_is_found_with_offsets(kursk, text, region, city, evidence):
    found = detect_other_region(normalize(text), kursk)
    assert isinstance(found, OtherRegion)
    assert (found.region, found.city, found.evidence) == (region, city, evidence)
    assert text[found.start:found.end] == evidence


@pytest.mark.parametrize("text", [
    "трасса Курск — Белгород вся в ямах",
    "рейс на Москву отменили, на автовокзале нет информации",
    "сын уехал в Москву, а у нас в доме нет воды",
    "у нас как в Москве, тарифы растут",
    "по московскому времени в 10 утра отключили свет",
    "на ул. Московская разбит тротуар",
    "Воронежское шоссе разбито после зимы",
    "улица Белгородская не убрана",
    "На ул. Кирова нет света третий день",
    "Орлов Иван Петрович, прошу помочь с ремонтом крыши",
    "Пушкин А.С. — памятник в сквере весь в мусоре",
    "Почта России не доставляет пенсию",
    "Сбербанк г. Москва заблокировал карту",
    "Автобус Курск-Москва отменили",
    "Приехала из Воронежа, а на остановке грязь",
    "Живу в Московской области, а у мамы в деревне нет дороги",
    "Губернатор Белгородской области молодец, а у нас нет дорог",
    "В Мирном нет света с утра",          # a common word: needs «г.»
    "в Белом доме нет воды",
    "В Железногорске нет горячей воды",   # Kursk has Железногорск too: the home place wins
    "Живу в Москве, а у мамы в Льгове не вывозят мусор",
    "В Курске на ул. Белгородской как в Воронеже ямы",
    "Орлова Мария Ивановна, ул. Ломакина 5, нет отопления",
    "Обнинский Сергей: на ул. Курчатова не горят фонари",
    "поеду в г. Москву на лечение, а в поликлинике не дают направление",
    "Мирный, ул. Ленина 5 — нет воды",
])
def test_passing_mentions_are_not_another_region(kursk, text):
    assert detect_other_region(normalize(text), kursk) is None


def test_home_none_reports_any_region():
    found = detect_other_region(normalize("в Курске на ул. Ленина яма"), None)
    assert found is not None and found.region == "Курская область" and found.city == "Курск"


def test_outside_region_routing_has_no_agency_and_names_the_region(router):
    r = router.route("г. Белгород, ул. Щорса 10, нет отопления")
    assert r.review_reasons == ("outside_region",) and r.needs_review
    assert r.region == "Белгородская область" and r.agency is None and r.municipality is None
    assert r.topic is not None and "agency" not in r.evidence
    assert r.outside == OtherRegion("Белгородская область", "Белгород", "Белгород", 3, 11)
    d = r.to_dict()
    assert d["outside"]["region"] == "Белгородская область" and d["agency"] is None


def test_in_region_routing_names_the_home_region(router):
    r = router.route("в д. Духовец Курского района третий день нет воды")
    assert "outside_region" not in r.review_reasons and r.region == "Курская область"
    assert r.agency is not None


@pytest.mark.parametrize("name", ["other_region.tsv", "other_region_holdout.tsv", "other_region_holdout2.tsv"])
def test_hand_written_set_meets_the_bars(router, name):
    cases = read_eval(name)
    results = router.route_many([t for _, t in cases])
    other = [(exp, r) for (exp, _), r in zip(cases, results) if exp]
    home = [r for (exp, _), r in zip(cases, results) if not exp]
    assert len(other) >= 40 and len(home) >= 40
    named = sum(1 for exp, r in other if "outside_region" in r.review_reasons and r.region == exp)
    flagged = sum(1 for r in home if "outside_region" in r.review_reasons)
    assert named / len(other) >= 0.90
    assert flagged / len(home) <= 0.05
    for exp, r in other:
        if "outside_region" in r.review_reasons:
            assert r.agency is None and r.municipality is None


# --- every reason is named and documented ----------------------------------------------------------

def test_needs_review_exactly_when_there_is_a_reason(router):
    texts = ["На ул. Ленина в Курске огромная яма", "", "Hello there, big hole", "в Воронеже яма",
             "в д. Духовец Курского района третий день нет воды", "Водитель автобуса грубит"]
    for r in router.route_many(texts):
        assert r.needs_review == bool(r.review_reasons)
        assert set(r.review_reasons) <= set(REVIEW_REASONS)
        assert list(r.review_reasons) == sorted(r.review_reasons, key=REVIEW_REASONS.index)
        if r.agency is not None and "low_confidence" not in r.review_reasons:
            assert r.agency.confidence >= router.review_threshold


def test_low_confidence_keeps_the_labels_as_suggestions(router):
    texts = ["Водитель автобуса грубит", "Помогите", "плохо всё", "Когда будет порядок?"]
    low = [r for r in router.route_many(texts) if "low_confidence" in r.review_reasons]
    assert low, "none of these vague messages is below the threshold"
    for r in low:
        assert r.agency is not None and r.agency.confidence < router.review_threshold


def test_every_reason_is_documented():
    doc = Routing.__doc__
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for reason in REVIEW_REASONS:
        assert f"``{reason}``" in doc and f"`{reason}`" in readme, reason


def test_russia_index_is_shared():
    assert russia() is russia()


def test_the_letter_classes_are_the_case_insensitive_ones_they_spell_out():
    """language.py spells its classes out (faster than re.IGNORECASE): the same characters."""
    import re
    from curnlp import language
    cyrillic = re.compile(r"[а-яё]+", re.IGNORECASE)
    not_russian = re.compile(r"[іїєґўәғқңөұүһҳҷӣӯҗҫӑӗӳ]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        assert bool(language._CYRILLIC.fullmatch(ch)) == bool(cyrillic.fullmatch(ch)), hex(code)
        assert bool(language._NOT_RUSSIAN.fullmatch(ch)) == bool(not_russian.fullmatch(ch)), hex(code)


@pytest.mark.parametrize("text", ["Яма на дороге", "Please help! Нет воды", "Добрий день, у с. Білопілля немає світла",
                                  "ᲀᲁ ок", "", "123 !!", "Ёжик Ё"])
def test_language_guess_counts_letters(text):
    from curnlp.language import _CYRILLIC, _LETTER, _NOT_RUSSIAN
    guess = guess_language(text)
    assert guess.letters == sum(map(len, _LETTER.findall(text)))
    letters = sum(map(len, _LETTER.findall(text)))
    if letters:
        share = (sum(map(len, _CYRILLIC.findall(text))) + len(_NOT_RUSSIAN.findall(text))) / letters
        assert guess.cyrillic_share == pytest.approx(share)
