"""Municipality accuracy of the four new region packs on 32 hand-written messages (8 per region).

The messages imitate ЦУР appeals (typos, lowercase, markup) and were written by the pack author
from public knowledge of each region, not taken from any archive. Each has the municipality a
human router would pick (a pack municipality name) or None. A Kursk message located with the
Ryazan pack must get no municipality.

    python benchmarks/region_packs.py          # prints per-message results and the total
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import curnlp  # noqa: E402
from curnlp.places import extract_locations, resolve_municipality  # noqa: E402

#: ``curnlp.locate`` once the places issue lands; until then its two steps
_LOCATE = getattr(curnlp, "locate", None)

#: (region, message, expected municipality name)
MESSAGES: list[tuple[str, str, str | None]] = [
    # Рязанская область
    ("ryazan", "Здравствуйте! В Касимове на ул. Советской третью неделю не вывозят мусор, контейнеры переполнены", "Касимов"),
    ("ryazan", "Жители с. Ерахтур Шиловского района просят отремонтировать дорогу до школы, ямы по колено", "Шиловский район"),
    ("ryazan", "в шацком районе в д. Лесное Конобеево нет уличного освещения уже месяц", "Шацкий район"),
    ("ryazan", "Прошу разобраться: в Октябрьском районе Рязани на ул. Костычева прорвало трубу, вода течёт по улице", "Октябрьский район"),
    ("ryazan", "Спасск-Рязанский, ул. Ленина д.45 - отключили отопление в подъезде, управляющая компания не отвечает", "Спасск-Рязанский"),
    ("ryazan", "<p>Когда починят мост в Сасове? Объезд 20 км, автобус не ходит</p>", "Сасово"),
    ("ryazan", "На улице Зубковой 18 корп 2 лифт не работает вторую неделю, в доме пожилые люди", "Рязань"),
    ("ryazan", "Рыбновский район, село Константиново - разбита дорога к музею Есенина, туристы жалуются", "Рыбновский район"),
    # Иркутская область
    ("irkutsk", "В Ангарске в 95 квартале дом 12 затопило подвал, стоит запах канализации", "Ангарский городской округ"),
    ("irkutsk", "Свердловский округ Иркутска, ул. Лермонтова - нет освещения на остановке, страшно ходить вечером", "Свердловский округ"),
    ("irkutsk", "п. Листвянка Иркутского района, свалка мусора прямо на берегу Байкала!!!", "Иркутский район"),
    ("irkutsk", "Жители Усолья-Сибирского просят провести проверку качества воды, из крана идет ржавая", "Усолье-Сибирское"),
    ("irkutsk", "в братске по ул. Мира не убирают снег с тротуаров, люди падают", "Братск"),
    ("irkutsk", "Нижнеудинский район, деревня Шеберта - нет связи и интернета, мобильная вышка не работает", "Нижнеудинский район"),
    ("irkutsk", "Прошу отремонтировать крышу детского сада в г. Шелехове, протекает в группах", "Шелехов"),
    ("irkutsk", "Черемховский р-н, п. Михайловка: не ходит автобус до Черемхово с понедельника", "Черемховский район"),
    # Волгоградская область
    ("volgograd", "В Дзержинском районе Волгограда на ул. 8-й Воздушной Армии яма на дороге, машины бьют колеса", "Дзержинский район"),
    ("volgograd", "г.Волжский, ул. Мира 45 - не работает лифт, управляющая компания не реагирует", "Волжский"),
    ("volgograd", "В Камышине на ул. Ленина снесли деревья без разрешения", "Камышин"),
    ("volgograd", "Калачевский район х. Ляпичев - нет питьевой воды третий день", "Калачёвский район"),
    ("volgograd", "Спартановка, ул. Кропоткина 3 - не вывозят мусор неделю", "Тракторозаводский район"),
    ("volgograd", "Жители Урюпинска жалуются на отсутствие горячей воды в домах по ул. Штеменко", "Урюпинск"),
    ("volgograd", "Среднеахтубинский р-н, в Краснослободске на набережной разрушена лестница", "Краснослободск"),
    ("volgograd", "Красноармейский район: на ул. Удмуртской сломана детская площадка", "Красноармейский район"),
    # Архангельская область
    ("arkhangelsk", "В Северодвинске на пр. Труда 40 подтопление подвала, сырость в квартирах", "Северодвинск"),
    ("arkhangelsk", "Холмогорский район, село Емецк - не чистят дороги от снега, скорая не может проехать", "Холмогорский район"),
    ("arkhangelsk", "В Соломбальском округе Архангельска не работает уличное освещение на ул. Челюскинцев", "Соломбальский территориальный округ"),
    ("arkhangelsk", "Котлас, ул. Мелентьева - яма на дороге, засыпьте пожалуйста", "Котлас"),
    ("arkhangelsk", "В Няндоме отключили воду без предупреждения, что происходит?", "Няндома"),
    ("arkhangelsk", "Плесецкий район п. Савинский - закрыли фельдшерский пункт, ездить некуда", "Плесецкий район"),
    ("arkhangelsk", "На Майской Горке на ул. Галушина не убирают мусорную площадку", "Территориальный округ Майская Горка"),
    ("arkhangelsk", "Вельский район, деревня Горка Муравьевская: нет связи", "Вельский район"),
]

#: a Kursk message and the pack it must not be located with
KURSK_MESSAGES = [
    "В Обояни на улице Ленина яма, прошу отремонтировать",
    "Курский район, д. Духовец - нет воды",
    "В г. Курске на ул. Союзной 27 не работает лифт",
]


def municipality(region: str, text: str) -> str | None:
    """The name of the municipality ``text`` resolves to with the ``region`` pack, or None."""
    if _LOCATE is not None:
        m = _LOCATE(text, region=region).municipality
    else:
        m = resolve_municipality(extract_locations(text, region), region)
    return m.name if m else None


def main() -> int:
    ok = 0
    per_region: dict[str, list[int]] = {}
    for region, text, expected in MESSAGES:
        got = municipality(region, text)
        hit = got == expected
        ok += hit
        per_region.setdefault(region, []).append(hit)
        print(f"{'ok ' if hit else 'BAD'} {region:11s} expected {expected!s:35s} got {got!s:35s} | {text[:60]}")
    print()
    for region, hits in per_region.items():
        print(f"{region}: {sum(hits)}/{len(hits)}")
    print(f"municipality right: {ok}/{len(MESSAGES)} (through {'curnlp.locate' if _LOCATE else 'extract_locations + resolve_municipality'})")
    leaks = [(t, municipality("ryazan", t)) for t in KURSK_MESSAGES]
    bad = [(t, m) for t, m in leaks if m is not None]
    print(f"Kursk messages with a municipality under the Ryazan pack: {len(bad)}/{len(leaks)} {bad or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
