"""Extraction recall and guards of curnlp.places on hand-written messages (issue 12)."""
from __future__ import annotations

import pytest

from curnlp.places import extract_locations, locate


def kn(text):
    return [(l.kind, l.normal) for l in extract_locations(text)]


@pytest.mark.parametrize("text, expected", [
    ("Отвратительный проезд по адресу Ленина 94", [("street", "улица Ленина"), ("house", "дом 94")]),
    ("на пересечении Гагарина и Пушкина нет светофора", [("street", "улица Гагарина"), ("street", "улица Пушкина")]),
    ("возле дома 5 по Мирной темно", [("house", "дом 5"), ("street", "улица Мирная")]),
    ("По адресу Дейнеки 7/1 подъезд 1 сломан лифт", [("street", "улица Дейнеки"), ("house", "дом 7/1")]),
    ("во дворе К. МАРКСА 66/8, мусор", [("street", "улица К. Маркса"), ("house", "дом 66/8")]),
    ("Выезжая на Бойцов 9 Дивизии поворачивают", [("street", "улица Бойцов 9 Дивизии")]),
    ("Яма на пр.победы 25 у магазина", [("street", "проспект Победы"), ("house", "дом 25")]),
    ("дорогу к почте магистральный проезд 16б!", [("street", "проезд Магистральный"), ("house", "дом 16Б")]),
])
def test_streets_without_type_word(text, expected):
    assert kn(text) == expected


@pytest.mark.parametrize("text, house", [
    ("ул. Ленина 15 а", "дом 15А"),
    ("ул. Ленина 37б/2", "дом 37Б/2"),
    ("ул. Ленина д.43 строение А", "дом 43 строение А"),
    ("ул. Ленина №10-а", "дом 10-А"),
    ("улица Серёгина д 30 подъезд 2", "дом 30"),
    ("жители дома 16 б", "дом 16Б"),
])
def test_house_number_grammar(text, house):
    assert [n for k, n in kn(text) if k == "house"] == [house]


def test_house_lists():
    assert [n for k, n in kn("на Союзной дома №7, №10 нет света") if k == "house"] == ["дом 7", "дом 10"]
    assert [n for k, n in kn("ул. Ленина 50, 50а, 50б") if k == "house"] == ["дом 50", "дом 50А", "дом 50Б"]
    assert [n for k, n in kn("возле домов 6, 8, 10. Обращались") if k == "house"] == ["дом 6", "дом 8", "дом 10"]
    # quantities after a comma do not continue a list
    assert [n for k, n in kn("ул. Ленина, д. 5, 2 подъезд") if k == "house"] == ["дом 5"]


def test_number_before_house_word():
    assert kn("у 31 дома по ул. Ленина") == [("house", "дом 31"), ("street", "улица Ленина")]
    assert kn("в 11 доме не составили акт") == [("house", "дом 11")]
    assert kn("в 11 домах нет воды") == []


def test_unknown_villages_after_a_preposition():
    assert kn("в Верхних Лугах нет воды") == [("settlement", "населённый пункт Верхние Луга")]
    assert kn("дорога до Ивановки разбита") == [("settlement", "населённый пункт Ивановка")]
    assert kn("обратились в Пенсионный Фонд") == []
    assert kn("жалоба на Иванова") == []


def test_lower_case_ordinals_and_long_names():
    assert kn("Жители деревни сосновка Курского района") == [("settlement", "деревня Сосновка"),
                                                             ("district", "Курский район")]
    assert kn("Яма на 3-й Северный переулок") == [("street", "переулок 3-й Северный")]
    assert kn("на 2-ой Агрегатной улице") == [("street", "улица 2-я Агрегатная")]
    assert kn("по ул. Героев 9-й дивизии грязно") == [("street", "улица Героев 9-й Дивизии")]
    assert kn("ПРОСПЕКТ КУЛАКОВА ЯМЫ НА ДОРОГЕ") == [("street", "проспект КУЛАКОВА")]
    assert kn("между улицами Пионеров и Нижняя Луговая нет тротуара") == [("street", "улица Пионеров"),
                                                                         ("street", "улица Нижняя Луговая")]


@pytest.mark.parametrize("text", [
    "Мусор, ветки и т.д. Надоело",
    "согласно п. 6.2.4 ГОСТ Р 50597",
    "Директор А.Д. Петров не отвечает",
    "В 5 домах нет света",
])
def test_abbreviation_guards(text):
    assert kn(text) == []


def test_yo_spelled_e():
    assert kn("ул. Серегина 5") == [("street", "улица Серегина"), ("house", "дом 5")]
    assert kn("на Звездной 12") == [("street", "улица Звёздная"), ("house", "дом 12")]


def test_offsets_point_into_original_markup():
    raw = "<p>Яма&nbsp;по адресу Ленина 94</p>"
    locs = extract_locations(raw)
    assert [raw[l.start:l.end] for l in locs] == ["Ленина", "94"]


def test_street_lists_and_ordinal_lanes():
    assert kn("освещение на ул Парижской Коммуны, Цюрупы, Станционной и т.д.")[:2] == [
        ("street", "улица Парижской Коммуны"), ("street", "улица Цюрупы")]
    assert kn("по Новой Луговой или 40-му переулку")[-1] == ("street", "переулок 40-й")
    assert kn("ул. Ленина, Петрова сказала, что починят") == [("street", "улица Ленина")]
    assert kn("по ул.Радищева,Курские электрические сети отрыли траншею") == [("street", "улица Радищева")]


@pytest.mark.parametrize("text, expected", [
    ("Ленина ул, д. 5 - протекает крыша!!!", [("street", "улица Ленина"), ("house", "дом 5")]),
    ("г. Курск, Ленина ул. 40 — не работает светофор", [("city", "город Курск"), ("street", "улица Ленина"), ("house", "дом 40")]),
    ("Дружбы пр-т 12, яма во дворе", [("street", "проспект Дружбы"), ("house", "дом 12")]),
])
def test_a_pack_street_with_its_type_word_after_the_name(text, expected):
    """Address lists write the type word after the name («Ленина ул., д. 5»)."""
    assert [(loc.kind, loc.normal) for loc in locate(text).locations] == expected
