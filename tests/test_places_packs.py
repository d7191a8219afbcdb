"""Tests of curnlp.places (packs, municipality): packs and municipality resolution (hand-written messages)."""
from __future__ import annotations

import json

import pytest

from curnlp.errors import CorpusError, InvalidInput
from curnlp.places import extract_locations
from curnlp.places import MunicipalityMatch, RegionPackError, load_region, resolve_municipality


def resolve(text, region=None):
    return resolve_municipality(extract_locations(text, region), region)


def test_kursk_pack_contents():
    r = load_region()
    assert r is load_region("kursk")
    districts = [m for m in r.municipalities.values() if m.kind == "district"]
    assert len(districts) == 28
    assert {m.name for m in r.municipalities.values() if m.kind == "urban_okrug"} == {"Железногорск", "Курчатов", "Льгов", "Щигры"}
    assert r.by_administration("Администрация г. Обояни").name == "Обоянь"
    assert r.by_administration("Администрация города Льгов").name == "Льгов"


def test_district_and_village():
    m = resolve("в д. Духовец Курского р-на")
    assert (m.name, m.kind, m.administration, m.parent, m.confidence) == (
        "Курский район", "district", "Администрация Курского района", None, 1.0)
    assert m.evidence == ("д. Духовец", "Курского р-на")
    assert resolve("в п. Иванино прорвало трубу").administration == "Администрация Курчатовского района"


def test_inner_okrug_beats_city():
    m = resolve("г. Курск, Сеймский округ, ул. Энгельса")
    assert (m.name, m.kind, m.parent, m.administration) == (
        "Сеймский округ", "city_okrug", "Курск", "Администрация Сеймского округа города Курска")
    assert m.evidence == ("Сеймский округ", "г. Курск")


def test_cities_and_towns():
    assert resolve("в Железногорске нет воды").administration == "Администрация города Железногорска"
    m = resolve("г. Обоянь, ул. Ленина")
    assert (m.name, m.kind, m.parent) == ("Обоянь", "city", "Обоянский район")


def test_village_near_district_centre_goes_to_district():
    m = resolve("д. Кукушкино под Льговом")
    assert m.name == "Льговский район"


def test_street_only_defaults_to_kursk_with_low_confidence():
    m = resolve("яма на ул. Ленина")  # a street of many towns: the pack ties it to none
    assert (m.name, m.confidence) == ("Курск", 0.35)
    assert resolve("в деревне Кукушкино на ул. Садовой") is None  # an unknown village blocks the default
    assert resolve("просто жалоба") is None


def test_typo_in_district():
    assert resolve("Зотухинского района").name == "Золотухинский район"


def test_to_dict_and_invalid():
    m = resolve("в Курске")
    assert m.to_dict() == {"name": "Курск", "kind": "city", "administration": "Администрация города Курска",
                           "parent": None, "confidence": 0.9, "evidence": ["Курске"]}
    assert isinstance(m, MunicipalityMatch)
    with pytest.raises(InvalidInput):
        resolve_municipality("г. Курск")
    with pytest.raises(InvalidInput):
        resolve_municipality([1, 2])
    with pytest.raises(InvalidInput):
        load_region(42)


def _pack(**over):
    pack = {
        "format": "curnlp-region/1", "name": "test",
        "region": {"name": "Тестовая область", "adjective": "Тестовая"},
        "municipalities": [
            {"id": "t", "name": "Тестоград", "kind": "urban_okrug", "administration": "Администрация города Тестограда",
             "default_for_streets": True},
            {"id": "d", "name": "Лесной район", "kind": "district", "adjective": "Лесной",
             "administration": "Администрация Лесного района"},
        ],
        "settlements": [{"name": "Кукушкино", "type": "деревня", "municipality": "d"}],
    }
    pack.update(over)
    return pack


def test_custom_pack_from_file(tmp_path):
    path = tmp_path / "test.json"
    path.write_text(json.dumps(_pack(), ensure_ascii=False), encoding="utf-8")
    r = load_region(str(path))
    assert r.name == "test" and load_region(path) is r
    assert resolve("в Тестограде на ул. Мира", r).administration == "Администрация города Тестограда"
    assert resolve("в д. Кукушкино", r).administration == "Администрация Лесного района"
    assert resolve("ул. Мира 5", r) is None  # a street the pack does not know: any town's
    assert resolve("в Курске", r) is None


@pytest.mark.parametrize("pack, message", [
    ("{not json", "not valid JSON"),
    (json.dumps(_pack(format="x")), "format"),
    (json.dumps(_pack(municipalities=[])), "municipalities"),
    (json.dumps(_pack(settlements=[{"name": "X", "type": "деревня", "municipality": "nope"}])), "unknown municipality"),
    (json.dumps(_pack(municipalities=[{"id": "d", "name": "Р", "kind": "district", "administration": "А"}])), "adjective"),
    (json.dumps(_pack(streets={"name": "Мира"})), "'streets' must be a list"),
    (json.dumps(_pack(streets=[{"name": "Мира", "type": "аллея", "municipality": None}])), "type 'аллея'"),
    (json.dumps(_pack(streets=[{"name": "Мира", "type": "улица", "municipality": "nope"}])), "unknown municipality"),
    (json.dumps(_pack(settlements=[{"name": "X", "type": "деревня", "municipality": "d", "source": "guessed"}])),
     "source 'guessed'"),
    (json.dumps(_pack(streets=[{"name": "Мира", "type": "улица", "municipality": None, "count": -1}])), "count"),
])
def test_malformed_pack(tmp_path, pack, message):
    path = tmp_path / "bad.json"
    path.write_text(pack, encoding="utf-8")
    with pytest.raises(RegionPackError, match=message) as err:
        load_region(str(path))
    assert isinstance(err.value, CorpusError) and isinstance(err.value, ValueError)


def test_streets_and_landmarks_of_a_custom_pack(tmp_path):
    pack = _pack(streets=[{"name": "Берёзовая", "type": "улица", "municipality": "d", "source": "mined", "count": 3},
                          {"name": "Мира", "type": "улица", "municipality": None}])
    pack["municipalities"][0]["numbered_landmarks"] = {"школа": 7}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    r = load_region(path)
    assert r.streets_named("Березовая")[0].count == 3  # ё folded
    assert resolve("яма у дома 5 по Берёзовой", r).administration == "Администрация Лесного района"
    assert resolve("яма на Мира 5", r).name == "Тестоград"  # no municipality for Мира: the default
    assert resolve("у школы № 9 яма", r).name == "Тестоград" and resolve("у школы № 3 яма", r) is None


def test_unknown_pack_name():
    with pytest.raises(RegionPackError, match="unknown region pack"):
        load_region("atlantis")
    with pytest.raises(RegionPackError):
        load_region("/nonexistent/pack.json")
