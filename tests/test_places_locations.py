"""Tests of curnlp.places.locations on hand-written messages (no corpus rows)."""
from __future__ import annotations

import threading

import pytest

from curnlp.errors import InvalidInput
from curnlp.places import Location, extract_locations, extract_locations_many
from curnlp.normalize import normalize


def kinds_normals(text):
    return [(l.kind, l.normal) for l in extract_locations(text)]


def test_street_and_house_with_abbreviations():
    assert kinds_normals("Яма на ул. Союзной, д.71б") == [("street", "улица Союзная"), ("house", "дом 71Б")]


@pytest.mark.parametrize("text, normal", [
    ("на пр-т Кулакова", "проспект Кулакова"),
    ("на проспекте Кулакова", "проспект Кулакова"),
    ("пер. Светлый", "переулок Светлый"),
    ("по переулку Светлому", "переулок Светлый"),
    ("Магистральный проезд", "проезд Магистральный"),
    ("на Красной площади", "площадь Красная"),
    ("по улице Карла Маркса", "улица Карла Маркса"),
    ("по улице Пучковке", "улица Пучковка"),
    ("ул. 50 лет Октября", "улица 50 лет Октября"),
    ("по всему 7-му Промышленному переулку", "переулок 7-й Промышленный"),
])
def test_street_types_and_nominative(text, normal):
    assert kinds_normals(text) == [("street", normal)]


def test_house_with_corpus_and_number_sign():
    assert kinds_normals("дом № 24") == [("house", "дом 24")]
    assert kinds_normals("ул. Ленина, д. 5 корп. 2") == [("street", "улица Ленина"), ("house", "дом 5 корпус 2")]
    assert kinds_normals("д. 19Д") == [("house", "дом 19Д")]


def test_settlements():
    assert kinds_normals("в д. Духовец Курского р-на") == [("settlement", "деревня Духовец"), ("district", "Курский район")]
    assert kinds_normals("в деревне Старом Бузце") == [("settlement", "деревня Старый Бузец")]
    assert kinds_normals("х. Веселый") == [("settlement", "хутор Весёлый")]
    assert kinds_normals("мкр. КЗТЗ") == [("settlement", "микрорайон КЗТЗ")]
    assert kinds_normals("в СНТ «Березка»") == [("settlement", "СНТ Березка")]
    assert kinds_normals("жители с. Б.Солдатское") == [("settlement", "село Большое Солдатское")]


def test_city_region_okrug():
    assert kinds_normals("г.Курск, Сеймский округ") == [("city", "город Курск"), ("city_okrug", "Сеймский округ")]
    assert kinds_normals("в Курске и Железногорске") == [("city", "город Курск"), ("city", "город Железногорск")]
    assert kinds_normals("Курская обл.") == [("region", "Курская область")]
    assert kinds_normals("в Железнодорожном округе") == [("city_okrug", "Железнодорожный округ")]


def test_a_town_right_before_a_street_type_word_is_the_town():
    assert kinds_normals("по адресу Курск ул Энгельса д 138 А") == [
        ("city", "город Курск"), ("street", "улица Энгельса"), ("house", "дом 138А")]
    assert kinds_normals("в Курчатове улица Гайдара 8, нет света") == [
        ("city", "город Курчатов"), ("street", "улица Гайдара"), ("house", "дом 8")]
    assert kinds_normals("Льгов ул. Красная 5") == [("city", "город Льгов"), ("street", "улица Красная"), ("house", "дом 5")]
    # an adjective before the type word names the street; so does a name with no other name after the type word
    assert kinds_normals("на Майского бульвара 3") == [("street", "бульвар Майский"), ("house", "дом 3")]
    assert ("city", "город Курчатов") not in kinds_normals("на Курчатова улице 5 яма")


def test_lowercase_and_no_punctuation():
    assert kinds_normals("ул союзная 27а кв 5") == [("street", "улица Союзная"), ("house", "дом 27А")]
    assert kinds_normals("живу в курске на улице сумской") == [("city", "город Курск"), ("street", "улица Сумская")]


def test_missing_type_word():
    assert kinds_normals("Орловская 12 не вывозят мусор") == [("street", "улица Орловская"), ("house", "дом 12")]
    assert kinds_normals("Живу на Союзной, яма") == [("street", "улица Союзная")]
    assert kinds_normals("На Союзной улице яма") == [("street", "улица Союзная")]


@pytest.mark.parametrize("text", [
    "с Новым годом", "п. 3 ст. 28 Закона", "проезд закрыт", "по улице темно", "Во дворе яма уже год", "",
    "на улице. Без света",
])
def test_no_place(text):
    assert extract_locations(text) == []


def test_offsets_point_into_original_html():
    text = "<p>Яма&nbsp;на <b>ул.&nbsp;Союзной</b>, д.&nbsp;71б</p>"
    locs = extract_locations(text)
    assert [l.kind for l in locs] == ["street", "house"]
    street, house = locs
    assert "Союзной" in text[street.start:street.end]
    assert text[street.start:street.start + 3] == "ул."
    assert text[house.start:house.end] == "д.&nbsp;71б"
    assert street.text == "ул. Союзной"


def test_accepts_normalized_and_to_dict():
    doc = normalize("г. Льгов, ул. Красная")
    locs = extract_locations(doc)
    assert locs == extract_locations("г. Льгов, ул. Красная")
    assert locs[0].to_dict() == {"kind": "city", "text": "г. Льгов", "normal": "город Льгов", "start": 0, "end": 8}
    assert isinstance(locs[0], Location)
    with pytest.raises(AttributeError):
        locs[0].kind = "x"  # frozen


def test_many_and_invalid_input():
    assert [len(x) for x in extract_locations_many(["ул. Ленина 5", "ничего"])] == [2, 0]
    for bad in (None, b"ul", 5, ["ул. Ленина"]):
        with pytest.raises(InvalidInput):
            extract_locations(bad)
    with pytest.raises(InvalidInput):
        extract_locations_many("ул. Ленина")


def test_linear_on_large_input_and_threads():
    big = ("Яма на ул. Союзной, д. 5. " * 20000)[:1_000_000]
    locs = extract_locations(big)
    assert len(locs) > 1000
    results = []
    def work():
        results.append(kinds_normals("в п. Иванино Курчатовского района по ул. Строителей"))
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == [("settlement", "посёлок Иванино"), ("district", "Курчатовский район"), ("street", "улица Строителей")]
               for r in results) and len(results) == 4
