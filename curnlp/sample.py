"""A small labelled archive of hand-written messages, for examples, notebooks and tests.

The messages are written for curnlp (no citizen's message is in them), with the mess real
ones carry: markup, VK mentions, emoji, capitals, typos. Each comes with a topic, a group
and an agency, so that training, cross-validation and evaluation can be tried without data:

>>> from curnlp.sample import sample_archive
>>> df = sample_archive(32)
>>> df.columns.tolist()
['Текст обращения', 'Тематика', 'Категория', 'Исполнитель', 'Дата']
>>> df.loc[0, "Исполнитель"]
'Комитет дорожного хозяйства города Курска'
"""
from __future__ import annotations

__all__ = ["TEMPLATES", "STREETS", "messages", "sample_archive"]

ROADS = ("Комитет дорожного хозяйства города Курска", "Дороги")
LIGHT = ("Комитет ЖКХ города Курска", "ЖКХ")
WASTE = ("Региональный оператор по обращению с ТКО", "Экология")
HEAT = ("Управляющая компания", "ЖКХ")
BUS = ("Комитет транспорта Курской области", "Транспорт")
#: (template with a ``{street}`` slot, topic, (agency, group))
TEMPLATES = [
    ("Огромная яма на дороге по {street}, машины ломают подвеску", "Ямы на дорогах", ROADS),
    ("<p>На {street}&nbsp;разбит асфальт, ямы по колено!!!</p>", "Ямы на дорогах", ROADS),
    ("ЯМЫ НА ДОРОГЕ {street} УЖЕ ГОД НИКТО НЕ РЕМОНТИРУЕТ", "Ямы на дорогах", ROADS),
    ("'Дорогу на {street} размыло, ямы и лужи, пройти невозможно 😡", "Ямы на дорогах", ROADS),
    ("Не горят фонари на {street}, вечером темно и страшно", "Уличное освещение", LIGHT),
    ("[club123|Администрация Курска], когда включат освещение на {street}? фанари не работают", "Уличное освещение", LIGHT),
    ("Уличное освещение не работает у дома на {street}<br>Дети ходят в темноте", "Уличное освещение", LIGHT),
    ("Не вывозят мусор с контейнерной площадки на {street}, баки переполнены 🤢", "Вывоз мусора", WASTE),
    ("мусор не вывозят уже неделю {street} контейнеры полные вонь", "Вывоз мусора", WASTE),
    ("<div>Свалка мусора возле площадки на {street}, региональный оператор не вывозит</div>", "Вывоз мусора", WASTE),
    ("В квартире холодные батареи, отопление не работает, {street}", "Отопление", HEAT),
    ("Нет отопления в доме на {street}, в квартире +14, дети болеют!", "Отопление", HEAT),
    ("ХОЛОДНО В КВАРТИРЕ, БАТАРЕИ ЧУТЬ ТЕПЛЫЕ, {street}", "Отопление", HEAT),
    ("Автобус 41 не ходит по расписанию, на остановке на {street} ждем по часу", "Общественный транспорт", BUS),
    ("маршрутка не пришла, водитель автобуса хамит, остановка {street}", "Общественный транспорт", BUS),
    ("Отменили автобусный рейс, как добираться до работы с {street}?", "Общественный транспорт", BUS),
]
#: addresses the templates are filled with (Kursk streets and two towns of the region)
STREETS = ["ул. Ленина, д. 5", "улице Союзной 71б", "пр-т Победы 14", "ул. Карла Маркса", "ул союзная 27а",
           "ул. Школьной в Железногорске", "пр. Дружбы в Курчатове", "ул. Мира с. Верхнее Гуторово"]


def messages(n: int, *, start: int = 0) -> list[tuple[str, str, str, str]]:
    """``n`` generated (text, topic, group, agency) rows, deterministic."""
    out = []
    for i in range(start, start + n):
        template, topic, (agency, group) = TEMPLATES[i % len(TEMPLATES)]
        out.append((template.format(street=STREETS[(i // len(TEMPLATES)) % len(STREETS)]), topic, group, agency))
    return out


def sample_archive(n: int = 160):
    """A pandas DataFrame of ``n`` generated messages with the columns of a typical export:
    «Текст обращения», «Тематика», «Категория», «Исполнитель» and «Дата» (one a day from
    2023-01-01, as ``DD.MM.YYYY``)."""
    import datetime as dt

    import pandas as pd
    start = dt.date(2023, 1, 1)
    rows = [(text, topic, group, agency, (start + dt.timedelta(days=i)).strftime("%d.%m.%Y"))
            for i, (text, topic, group, agency) in enumerate(messages(n))]
    return pd.DataFrame(rows, columns=["Текст обращения", "Тематика", "Категория", "Исполнитель", "Дата"])
