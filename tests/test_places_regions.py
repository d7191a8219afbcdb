"""The shipped region packs for Рязанская, Иркутская, Волгоградская and Архангельская области.

Locations go through ``extract_locations(text, region)`` + ``resolve_municipality(locs, region)``.
Tests that compare a pack with ``city.csv`` read it by path ($CURNLP_CITY_CSV, else
``../shared/data/russia-cities/city.csv`` relative to the repo) and are skipped without it.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import os
from pathlib import Path

import pytest

from curnlp.places import extract_locations, load_region, locate, resolve_municipality

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("ryazan", "irkutsk", "volgograd", "arkhangelsk")
CITY_CSV = Path(os.environ.get("CURNLP_CITY_CSV") or ROOT.parent / "shared" / "data" / "russia-cities" / "city.csv")
needs_city_csv = pytest.mark.skipif(not CITY_CSV.is_file(), reason=f"city.csv not found at {CITY_CSV}")


def _load_script(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def muni(text: str, region: str):
    return locate(text, region=region).municipality


def name_of(text: str, region: str) -> str | None:
    m = muni(text, region)
    return m.name if m else None


# -- structure -----------------------------------------------------------------

@pytest.mark.parametrize("region, districts, urban_okrugs, inner", [
    ("ryazan", 25, 1, 4),        # Рязань; Касимов, Сасово, Скопин merged into okrugs 2023-2026
    ("irkutsk", 32, 10, 4),
    ("volgograd", 32, 6, 8),
    ("arkhangelsk", 19, 7, 8),
])
def test_pack_has_every_district_urban_okrug_and_inner_district(region, districts, urban_okrugs, inner):
    reg = load_region(region)
    kinds = [m.kind for m in reg.municipalities.values()]
    assert kinds.count("district") == districts
    assert kinds.count("urban_okrug") == urban_okrugs
    assert kinds.count("city_okrug") == inner
    # every district has a centre and a municipal administration
    for m in reg.municipalities.values():
        if m.kind == "district":
            assert m.centre and m.adjective and m.administration.startswith("Администрация ")
            assert "муниципального" in m.administration
    defaults = [m for m in reg.municipalities.values() if m.default_for_streets]
    assert len(defaults) == 1 and defaults[0].kind == "urban_okrug"


@pytest.mark.parametrize("region", REGIONS)
def test_pack_carries_provenance_and_the_city_csv_licence(region):
    data = json.loads((ROOT / "curnlp" / "places" / "regions" / f"{region}.json").read_text(encoding="utf-8"))
    prov = data["provenance"]
    assert prov["sources"] and prov["reforms"] and prov["as_of"].startswith("20")
    assert prov["city_csv"]["sha256"] and len(prov["city_csv"]["sha256"]) == 64
    assert "CC BY-SA 4.0" in data["licence"]["city_csv_part"]
    assert "Creative Commons Attribution-ShareAlike 4.0" in data["licence"]["notice"]
    towns = [m for m in data["municipalities"] if m.get("from") == "city.csv"]
    assert towns, "the city.csv-derived entries are marked"


@pytest.mark.parametrize("region", REGIONS)
def test_district_centres_resolve_to_their_district(region):
    reg = load_region(region)
    for m in reg.municipalities.values():
        if m.kind != "district":
            continue
        found = reg.city(m.centre) or next(iter(reg.settlements_named(m.centre)), None)
        assert found is not None, f"centre {m.centre} of {m.name} unknown"
        if found.__class__.__name__ == "Settlement":
            assert found.municipality == m.id and found.district_centre
        elif found.kind == "city":
            assert found.parent == m.id


# -- districts and towns in case forms ---------------------------------------------

@pytest.mark.parametrize("region, text, expected", [
    ("ryazan", "В Касимове на ул. Советской не вывозят мусор", "Касимов"),
    ("ryazan", "жители Касимовского района третий день без света", "Касимовский район"),
    ("ryazan", "Шацкий район, нет автобуса до Рязани с понедельника", "Шацкий район"),
    ("ryazan", "из Касимова не доехать, дорога разбита", "Касимов"),
    ("ryazan", "ямы на въезде в Спас-Клепики", "Спас-Клепики"),
    ("ryazan", "В РЯЖСКЕ НЕТ ВОДЫ!!!", "Ряжск"),
    ("ryazan", "Скопинского р-на жители просят отремонтировать мост", "Скопинский район"),
    ("ryazan", "на въезде в р.п. Шилово сломан светофор", "Шиловский район"),
    ("irkutsk", "в Усть-Куте отключили отопление", "Усть-Кут"),
    ("irkutsk", "Жители Усолья-Сибирского просят проверить воду", "Усолье-Сибирское"),
    ("irkutsk", "Тулунского района администрация не отвечает на обращения", "Тулунский район"),
    ("irkutsk", "В Железногорске-Илимском не работает поликлиника", "Железногорск-Илимский"),
    ("irkutsk", "Эхирит-Булагатский район: нет интернета в школе", "Эхирит-Булагатский район"),
    ("irkutsk", "в г. Зима на ул. Ленина яма", "Зима"),
    ("volgograd", "В Калаче-на-Дону прорвало трубу", "Калач-на-Дону"),
    ("volgograd", "в Волжском на ул. Мира не горят фонари", "Волжский"),
    ("volgograd", "Калачевского района жители жалуются на пыль от карьера", "Калачёвский район"),
    ("volgograd", "В Петровом Вале закрыли аптеку", "Петров Вал"),
    ("volgograd", "Новоаннинского района хутор без газа", "Новоаннинский район"),
    ("volgograd", "в станице Клетской не вывозят мусор", "Клетский район"),
    ("arkhangelsk", "В Северодвинске на пр. Труда подтопление", "Северодвинск"),
    ("arkhangelsk", "в Каргополе разбита дорога к больнице", "Каргополь"),
    ("arkhangelsk", "Холмогорского района жители просят паром", "Холмогорский район"),
    ("arkhangelsk", "в Карпогорах закрыли аптеку", "Пинежский район"),
])
def test_districts_and_towns_resolve_in_case_forms(region, text, expected):
    assert name_of(text, region) == expected


@pytest.mark.parametrize("region, text, expected", [
    ("ryazan", "д. Ивановка Ряжского р-на, нет освещения", "Ряжский район"),
    ("ryazan", "с. Ерахтур Шиловского района - ямы", "Шиловский район"),
    ("irkutsk", "деревня Шеберта, Нижнеудинский район: нет связи", "Нижнеудинский район"),
    ("volgograd", "х. Ляпичев Калачевского района: нет воды", "Калачёвский район"),
    ("arkhangelsk", "Вельский район, деревня Горка Муравьевская: нет связи", "Вельский район"),
    # a village named beside a town that is its district's centre belongs to the district
    ("ryazan", "в деревне Ибредь под Шацком нет воды", "Шацкий район"),
])
def test_village_named_with_its_district_resolves_to_the_district(region, text, expected):
    assert name_of(text, region) == expected


@pytest.mark.parametrize("region, text, expected, parent", [
    ("volgograd", "В Дзержинском районе Волгограда яма на дороге", "Дзержинский район", "Волгоград"),
    ("volgograd", "Спартановка: не вывозят мусор", "Тракторозаводский район", "Волгоград"),
    ("volgograd", "в красноармейском районе сломана площадка", "Красноармейский район", "Волгоград"),
    ("ryazan", "в Московском районе Рязани прорвало трубу", "Московский район", "Рязань"),
    ("irkutsk", "Ленинский округ Иркутска, нет света на остановке", "Ленинский округ", "Иркутск"),
    ("arkhangelsk", "в Соломбальском округе не чистят снег", "Соломбальский территориальный округ", "Архангельск"),
    ("arkhangelsk", "в Цигломени закрыли почту", "Исакогорский и Цигломенский территориальный округ", "Архангельск"),
])
def test_inner_districts_of_the_capital_resolve(region, text, expected, parent):
    m = muni(text, region)
    assert m is not None and (m.name, m.kind, m.parent) == (expected, "city_okrug", parent)


@pytest.mark.parametrize("region, text", [
    ("ryazan", "во дворе снесли сараи и не вывезли мусор"),
    ("ryazan", "рыбное хозяйство на пруду загрязняет воду"),
    ("ryazan", "Гражданин Михайлов не платит за свет"),
    ("irkutsk", "Видим, что яму так и не засыпали"),
    ("irkutsk", "зима пришла, а отопления нет"),
    ("arkhangelsk", "в воде из крана сульфат выше нормы"),
])
def test_place_names_that_are_common_words_need_a_place_context(region, text):
    assert not [loc for loc in extract_locations(text, region) if loc.kind in ("city", "settlement")]


@pytest.mark.parametrize("region, text, expected", [
    ("ryazan", "в Рыбном нет воды", "Рыбное"),
    ("ryazan", "г. Михайлов, ул. Победы - яма", "Михайлов"),
    ("irkutsk", "в Зиме не чистят снег", "Зима"),
    ("ryazan", "в Сараях закрыли аптеку", "Сараевский район"),
])
def test_strict_names_still_resolve_after_a_preposition_or_type_word(region, text, expected):
    assert name_of(text, region) == expected


def test_a_street_only_message_goes_to_the_capital_only_when_the_pack_knows_the_street():
    """A street the pack knows (several towns share «Ленина»: no town of its own) falls back to
    the capital, unsure; one it does not know may be any town's, or another region's: none."""
    known = next(s for s in load_region("kursk").streets if s.municipality is None and s.type == "улица")
    m = muni(f"На улице {known.name} 18 корп 2 лифт не работает", "kursk")
    assert m is not None and m.name == "Курск" and m.confidence < 0.5
    for text in ("На улице Зубковой 18 корп 2 лифт не работает", "д. 4Б, второй подъезд: не работает лифт"):
        assert muni(text, "ryazan") is None and muni(text, "kursk") is None


def test_town_of_a_municipal_okrug_carries_the_okrug_administration():
    reg = load_region("ryazan")
    ryazhsk, district = reg.city("Ряжск"), reg.municipalities["Ряжский"]
    assert ryazhsk.parent == "Ряжский" and ryazhsk.administration == district.administration
    assert district.administration == "Администрация Ряжского муниципального округа"


# -- other regions get no municipality ------------------------------------------------

@pytest.mark.parametrize("text", [
    "Курский район, д. Духовец - нет воды",
    "В Обояни сломали остановку, прошу восстановить",
    "Жители Железногорска просят отремонтировать дорогу",
    "Щигровского района жители без газа",
])
def test_kursk_message_located_with_the_ryazan_pack_gets_no_municipality(text):
    assert name_of(text, "kursk") is not None  # the Kursk pack knows it
    assert muni(text, "ryazan") is None


def test_kursk_street_message_located_with_the_ryazan_pack_gets_no_municipality():
    assert muni("В г. Курске на ул. Союзной 27 не работает лифт", "ryazan") is None


def test_a_message_about_one_new_region_gets_nothing_from_another():
    assert muni("В Касимове на ул. Советской не вывозят мусор", "ryazan") is not None
    assert muni("Касимовского района жители без света", "volgograd") is None
    assert muni("в Каргополе разбита дорога", "irkutsk") is None


# -- the 32 benchmark messages ------------------------------------------------------

def test_benchmark_messages_resolve_right():
    bench = _load_script("region_packs_bench", ROOT / "benchmarks" / "region_packs.py")
    hits = [bench.municipality(region, text) == expected for region, text, expected in bench.MESSAGES]
    assert len(hits) == 32
    assert sum(hits) >= 30, f"{sum(hits)}/32"


# -- against city.csv ---------------------------------------------------------------

def _fold(s: str) -> str:
    return s.replace("ё", "е")


@needs_city_csv
@pytest.mark.parametrize("region", REGIONS)
def test_no_pack_entry_contradicts_the_city_list(region):
    reg = load_region(region)
    short = reg.region_name.split()[0]
    with CITY_CSV.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["region"] == short]
    assert rows
    for row in rows:
        m = reg.city(row["city"])
        assert m is not None, f"{row['city']} of city.csv is missing from the {region} pack"
        assert _fold(m.name) == _fold(row["city"]) or row["city"] in m.variants
        if row["area"] and m.kind == "city":
            district = reg.municipalities[m.parent]
            assert _fold(district.adjective) == _fold(row["area"]), (row["city"], row["area"], district.name)
        if m.kind == "urban_okrug":
            assert row["oktmo"][2] == "7", f"{row['city']} is no urban okrug in city.csv"


@needs_city_csv
def test_shipped_packs_are_what_the_builder_makes():
    build = _load_script("build_region_packs", ROOT / "scripts" / "build_region_packs.py")
    for region in REGIONS:
        shipped = (ROOT / "curnlp" / "places" / "regions" / f"{region}.json").read_text(encoding="utf-8")
        assert build.render(build.build(region, CITY_CSV)) == shipped, f"{region}: rebuild the pack"


@needs_city_csv
def test_builder_refuses_a_town_in_another_district(tmp_path):
    build = _load_script("build_region_packs", ROOT / "scripts" / "build_region_packs.py")
    lines = CITY_CSV.read_text(encoding="utf-8").splitlines()
    bad = [line.replace(",р-н,Ряжский,", ",р-н,Шацкий,") if ",г,Ряжск," in line else line for line in lines]
    assert bad != lines
    fake = tmp_path / "city.csv"
    fake.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(build.BuildError, match="Ряжск"):
        build.build("ryazan", fake)
