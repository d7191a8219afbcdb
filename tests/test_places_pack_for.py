"""pack_for: a starting region pack for any subject of Russia (issue 25), on hand-written messages.

Every subject with a capital in russia.json is tried under each of its names (official, short,
city.csv's spelling); towns of three regions are located in messages written the way citizens
write (case forms, typos, markup, capitals, lower case).
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

import curnlp
from curnlp.cli import main
from curnlp.errors import InvalidInput
from curnlp.places import Region, RegionPackError, learn_pack, load_region, locate, pack_for, write_pack
from curnlp.places.russia import DATA_FILE
from curnlp.places.starter import SOURCE_PREFIX, subject_named

SUBJECTS = json.loads(DATA_FILE.read_text(encoding="utf-8"))["subjects"]
CHUVASHIA = "Чувашская Республика — Чувашия"


def _capital(subject: dict) -> str | None:
    if subject["kind"] == "federal_city":
        return subject["name"]
    return next((c["name"] for c in subject["cities"] if c.get("capital")), None)


WITH_CAPITAL = [s for s in SUBJECTS if _capital(s)]


def test_russia_json_names_each_subject_as_city_csv_writes_it():
    assert len(SUBJECTS) == 89 and len(WITH_CAPITAL) == 83
    by_name = {s["name"]: s for s in SUBJECTS}
    assert by_name[CHUVASHIA]["csv_name"] == "Чувашская Республика - Чувашия"
    assert by_name["Республика Адыгея"]["csv_name"] == "Респ Адыгея"
    assert by_name["Курская область"]["csv_name"] == "Курская обл"
    assert by_name["Республика Саха (Якутия)"]["csv_name"] == "Респ Саха /Якутия/"
    towns = {c["name"]: c for c in by_name[CHUVASHIA]["cities"]}
    assert towns["Козловка"]["district"] == "Козловский район" and "district" not in towns["Канаш"]
    assert "CC BY-SA 4.0" in json.loads(DATA_FILE.read_text(encoding="utf-8"))["license"]


@pytest.mark.parametrize("subject", WITH_CAPITAL, ids=lambda s: s["name"])
def test_every_subject_with_a_capital_under_every_name_locates_its_capital(subject):
    capital = _capital(subject)
    names = [subject["name"], subject["csv_name"], *subject.get("aliases", ())]
    packs = {id(pack_for(n)) for n in names}
    assert len(packs) == 1  # one pack, cached, whatever the spelling
    region = pack_for(subject["csv_name"])
    assert isinstance(region, Region) and region.region_name == subject["name"]
    place = locate(f"г. {capital}, ул. Ленина 5", region=region)
    assert place.outside is None
    assert place.municipality is not None and place.municipality.name == capital
    assert place.region == subject["name"]
    # a street the pack does not know may be any town's (or another region's): no municipality
    assert locate("ул. Ленина 5, яма у подъезда", region=region).municipality is None


def test_names_in_any_order_case_and_punctuation():
    for name in ("чувашия", "ЧУВАШСКАЯ РЕСПУБЛИКА", "Чувашская Республика - Чувашия", "Чувашская Республика — Чувашия"):
        assert subject_named(name)["name"] == CHUVASHIA, name
    assert subject_named("обл Курская")["name"] == "Курская область"
    assert subject_named("Саха /Якутия/")["name"] == "Республика Саха (Якутия)"
    assert subject_named("Ханты-Мансийский Автономный округ - Югра АО")["name"].startswith("Ханты-Мансийский")
    assert subject_named("Еврейская Аобл")["name"] == "Еврейская автономная область"
    assert subject_named("Атлантида") is None and subject_named("") is None and subject_named("область") is None


def test_the_structure_of_a_starting_pack():
    reg = pack_for("Чувашская Республика")
    munis = {m.name: m for m in reg.municipalities.values()}
    assert munis["Чебоксары"].kind == "urban_okrug" and munis["Чебоксары"].default_for_streets
    assert munis["Канаш"].kind == "urban_okrug" and munis["Канаш"].parent is None
    assert munis["Козловка"].kind == "city" and munis["Козловка"].parent == "Козловский район"
    district = munis["Козловский район"]
    assert (district.kind, district.adjective, district.centre) == ("district", "Козловский", "Козловка")
    assert district.administration == "Администрация Козловского района"
    assert munis["Канаш"].administration == "Администрация города Канаш"
    assert reg.district("Мариинско-Посадского").name == "Мариинско-Посадский район"
    assert not reg.settlements and not reg.streets
    # it says what it lacks and how to add it
    assert "villages" in reg.provenance["lacks"] and "streets" in reg.provenance["lacks"]
    assert "learn_pack" in reg.provenance["how_to_add"]
    assert reg.source == SOURCE_PREFIX + CHUVASHIA
    # towns inside another town's urban okrug (Moscow oblast, 2021)
    mo = {m.name: m for m in pack_for("Московская обл").municipalities.values()}
    assert mo["Апрелевка"].kind == "city" and mo["Апрелевка"].parent == "Наро-Фоминск"
    # federal cities are their own city
    assert [m.name for m in pack_for("Санкт-Петербург").municipalities.values()] == ["Санкт-Петербург"]


#: (subject as the user names it, message, town the message is about)
MESSAGES = [
    ("Чувашская Республика", "В Новочебоксарске на ул. Винокурова 10 третий день нет горячей воды", "Новочебоксарск"),
    ("Чувашская Республика", "<p>г.Новочебоксарск, ул Советская д.25 - не вывозят мусор</p>", "Новочебоксарск"),
    ("Чувашская Республика", "жители новочебоксарска просят отремонтировать дорогу по улице промышленной", "Новочебоксарск"),
    ("Чувашская Республика", "Новочебоксарск. ул.Винокурова,дом 61 - лифт стоит с понедельника", "Новочебоксарск"),
    ("Чувашская Республика", "г. Новочебоксарк ул. Винокурова 10 нет воды", "Новочебоксарск"),  # typo
    ("Чувашия", "г. Канаш, ул. Железнодорожная 45, протекает крыша", "Канаш"),
    ("Чувашия", "В Канаше на остановке у вокзала нет освещения!!!", "Канаш"),
    ("Чувашия", "Прошу помочь: из Канаша не ходит автобус в райцентр уже неделю", "Канаш"),
    ("Чувашия", "&nbsp;КАНАШ, улица Пушкина 3 &mdash; нет воды", "Канаш"),
    ("Чувашская Республика - Чувашия", "Шумерля, ул. Ленина 12 - яма во дворе", "Шумерля"),
    ("Чувашская Республика - Чувашия", "В городе Шумерле отключили отопление в детском саду №5", "Шумерля"),
    ("Чувашская Республика - Чувашия", "Шумерля ул Ленина 12 яма во дворе", "Шумерля"),
    ("Чувашская Республика - Чувашия", "Администрация Шумерли не реагирует на жалобы по уборке снега", "Шумерля"),
    ("Чувашская Республика - Чувашия", "г Алатырь ул. Комсомола д 3 подъезд 2 не работает домофон", "Алатырь"),
    ("Чувашская Республика - Чувашия", "в Алатыре на улице Гончарова прорвало трубу, вода течёт по дороге", "Алатырь"),
    ("Чувашская Республика", "Чебоксары, Московский пр-т 15 - сломана детская площадка", "Чебоксары"),
    ("Чувашская Республика", "В Чебоксарах по ул. Гагарина не убирают снег", "Чебоксары"),
    ("Чувашская Республика", "чебоксары ул ленина 5 нет света", "Чебоксары"),
    ("Чувашская Республика", "Цивильск, ул. Павлова - нет тротуара, дети идут по дороге", "Цивильск"),
    ("Респ Адыгея", "В Майкопе на ул. Пионерской 300 яма на дороге", "Майкоп"),
    ("Респ Адыгея", "г.Адыгейск, пр-т Ленина 10 - нет уличного освещения", "Адыгейск"),
    ("Тамбовская обл", "В Мичуринске по ул. Советской не работает светофор", "Мичуринск"),
    ("Тамбовская обл", "Моршанск, ул. Пушкина д.12: прорвало канализацию", "Моршанск"),
    ("Тамбовская обл", "в Рассказове на ул. Пушкина сломана лавочка", "Рассказово"),
    ("Тамбовская обл", "г. Котовск, ул. Октябрьская 5, нет отопления", "Котовск"),
    ("Тамбовская обл", "Тамбов, ул. Интернациональная 16 - ямы на дороге", "Тамбов"),
]


def test_towns_of_three_regions_in_hand_written_messages():
    got = [(text, want, locate(text, region=pack_for(subject)).municipality) for subject, text, want in MESSAGES]
    wrong = [(text, want, m.name if m else None) for text, want, m in got if m is None or m.name != want]
    assert len(wrong) <= len(MESSAGES) // 10, wrong  # at least 90 % right
    chuvash = [g for g, (subject, _, _) in zip(got, MESSAGES) if subject.startswith("Чуваш")]
    assert sum(m is not None and m.name == want for _, want, m in chuvash) >= 0.9 * len(chuvash)


def test_a_typo_in_a_long_town_name_still_finds_the_town():
    reg = pack_for("Чувашия")
    assert reg.city_like("Новочебоксарк").name == "Новочебоксарск" and reg.city("Новочебоксарк") is None
    assert locate("г. Новочебоксарк ул. Винокурова 10 нет воды", region=reg).municipality.name == "Новочебоксарск"
    assert locate("г. Железногоск, ул. Мира 10 - яма").municipality.name == "Железногорск"  # the Kursk pack too
    assert load_region("kursk").city_like("Курс") is None  # short names: exact only
    assert reg.city_like("Чебоксарыы").name == "Чебоксары"


def test_other_regions_are_outside_and_home_towns_are_not():
    reg = pack_for("Чувашия")
    kursk = locate("В г. Курске на ул. Союзной 27 не работает лифт", region=reg)
    assert kursk.outside is not None and kursk.region == "Курская область" and kursk.municipality is None
    home = locate("В Новочебоксарске на ул. Винокурова 10 нет воды", region=reg)
    assert home.outside is None and home.region == CHUVASHIA
    # and a Chuvash town is another region for the Kursk pack
    assert locate("В Новочебоксарске на ул. Винокурова 10 нет воды").region == CHUVASHIA


def test_load_region_and_the_cli_accept_a_subject_name(capsys):
    assert load_region("Чувашская Республика") is pack_for(CHUVASHIA)
    assert load_region("Респ Саха /Якутия/").region_name == "Республика Саха (Якутия)"  # a "/" but no file
    assert load_region("kursk").name == "kursk"  # shipped packs first
    assert main(["locate", "--region", "Чувашская Республика", "в Канаше нет воды, ул. Ленина 5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["municipality"]["name"] == "Канаш" and out["region"] == CHUVASHIA


def test_errors():
    with pytest.raises(RegionPackError, match="no subject"):
        pack_for("Атлантида")
    with pytest.raises(RegionPackError, match="no town"):
        pack_for("Запорожская область")  # not in city.csv of 2021
    with pytest.raises(InvalidInput):
        pack_for(42)
    with pytest.raises(RegionPackError, match="unknown region pack"):
        load_region("Атлантида")


ARCHIVE = [
    ("Яма на ул. Винокурова, д. 5", "Администрация города Новочебоксарск"),
    ("ул.Винокурова не чищена от снега!", "Администрация г. Новочебоксарск"),
    ("<p>На улице Винокурова нет света</p>", "Администрация города Новочебоксарск"),
    ("В д. Тоганаш Козловского района нет воды", ""),
    ("жители д. Тоганаш просят грейдер", "Администрация Козловского района"),
    ("По ул. Садовой яма", "Администрация города Канаш"),
    ("По ул. Садовой опять яма", "Администрация города Шумерля"),
]


def test_learn_pack_adds_the_districts_and_real_administrations_its_agencies_name(tmp_path):
    archive = ARCHIVE + [
        ("В д. Шакулово нет воды третий день", "Администрация Канашского муниципального округа"),
        ("жители д. Шакулово просят грейдер!!", "Администрация Канашского муниципального округа"),
        ("с. Ухманы: не вывозят мусор", "Администрация Канашского муниципального округа"),
        ("Шумерля, ул. Ленина: яма", "Администрация города Шумерля Чувашской Республики"),
        ("г. Шумерля, нет света на ул. Октябрьской", "Администрация города Шумерля Чувашской Республики"),
        ("яма у школы", "Министерство образования Чувашской Республики"),  # not a district
    ]
    pack = learn_pack(archive, base="Чувашская Республика")
    munis = {m["name"]: m for m in pack["municipalities"]}
    kanash = munis["Канашский район"]
    assert (kanash["kind"], kanash["adjective"], kanash["source"]) == ("district", "Канашский", "mined")
    assert kanash["administration"] == "Администрация Канашского муниципального округа"
    assert munis["Шумерля"]["administration"] == "Администрация города Шумерля Чувашской Республики"  # the archive's
    assert munis["Канаш"]["administration"] == "Администрация города Канаш"  # seen once: generic kept
    assert pack["provenance"]["mined"]["districts"] == 1 and pack["provenance"]["mined"]["administrations"] == 1
    assert {s["name"]: s["municipality"] for s in pack["settlements"]}["Шакулово"] == "Канашский район"
    path = write_pack(pack, tmp_path / "chuvashia.json")
    assert locate("в д. Шакулово яма на дороге", region=path).municipality.name == "Канашский район"
    # a curated base keeps its own names and districts
    kursk = learn_pack([("д. Кукуевка: нет воды", "Администрация Канашского района")] * 3, base="kursk")
    assert not any(m.get("source") == "mined" for m in kursk["municipalities"])


def test_learn_pack_grows_a_starting_pack(tmp_path):
    pack = learn_pack(ARCHIVE, base=pack_for("Чувашия"))
    assert pack["name"] == CHUVASHIA and pack["provenance"]["mined_by"] == "curnlp.places.learn_pack"
    streets = {s["name"]: s for s in pack["streets"]}
    assert streets["Винокурова"]["municipality"] == "Новочебоксарск" and streets["Садовая"]["municipality"] is None
    villages = {s["name"]: s for s in pack["settlements"]}
    assert villages["Тоганаш"]["municipality"] == "Козловский район"
    path = write_pack(pack, tmp_path / "chuvashia.json")
    assert locate("сломан фонарь на ул. Винокурова", region=path).municipality.name == "Новочебоксарск"
    assert locate("сломан фонарь на ул. Винокурова", region=pack_for("Чувашия")).municipality is None  # unknown street


def test_train_with_a_starting_pack_saves_and_loads_it_by_name(tmp_path):
    towns = {"Новочебоксарск": "в Новочебоксарске", "Канаш": "в Канаше", "Алатырь": "в Алатыре"}
    rows = []
    for town, where in towns.items():
        for k, (text, group) in enumerate([("Яма на дороге {w} на ул. Ленина {n}", "Дороги"),
                                           ("Не вывозят мусор {w}, ул. Мира {n}", "ЖКХ"),
                                           ("Нет света на улице {w}, дом {n}", "ЖКХ"),
                                           ("Разбит асфальт {w} у дома {n}", "Дороги")] * 3):
            rows.append({"text": text.format(w=where, n=k + 1), "group": group,
                         "agency": f"Администрация города {town}"})
    router = curnlp.train(pd.DataFrame(rows), text="text", group="group", agency="agency",
                          region="Чувашская Республика", folds=0)
    assert router.region is pack_for(CHUVASHIA)
    assert router.manifest["region"] == CHUVASHIA and "region_pack" not in router.manifest
    loaded = curnlp.load(router.save(tmp_path / "bundle"), entities=False)
    assert loaded.region is pack_for(CHUVASHIA)
    assert loaded.route("Яма на дороге в Канаше на ул. Ленина 3").municipality == "Канаш"
