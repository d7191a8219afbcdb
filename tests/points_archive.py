"""A generated raw archive with known problem points, in the words of Kursk messages: one street
written many ways (case, abbreviations, the type word after the name, typos around it), a house,
a village, the same street name in another town, and a background of streets mentioned once or twice."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: ways to write «улица Ленина» (Курск)
LENINA = ["Яма на ул. Ленина возле остановки, колесо пробил", "на улице Ленина третий день не убирают мусор",
          "Ленина ул, д. 5 - протекает крыша!!!", "УЛ. ЛЕНИНА НЕТ ОСВЕЩЕНИЯ", "ул.ленина , тротуар весь в ямах",
          "по ул Ленина машины паркуются на газоне", "<p>Уважаемая администрация, на улице Ленина опять гололед</p>",
          "Здраствуйте, на ул. Ленина д 12 не вывозят мусор", "г. Курск, Ленина ул. 40 — не работает светофор",
          "на ул. Ленина в районе дома 7 прорвало трубу"]
#: ways to write «проспект Дружбы, дом 12»
DRUZHBY = ["пр-т Дружбы 12 - нет горячей воды", "Проспект Дружбы, дом 12, отопление еле тёплое",
           "в доме 12 по проспекту Дружбы не работает лифт", "пр-т. Дружбы, д.12 подъезд не убирается",
           "Дружбы пр-т 12, крыша течет уже месяц"]
KLUKVA = ["В селе Клюква Курского района нет воды", "с. Клюква Курский район — дорогу размыло",
          "Клюква, Курский р-н: не горят фонари, село Клюква", "в с.Клюква нет автобуса до Курска"]
ZHELEZNOGORSK = ["Железногорск, ул. Ленина 3 - яма во дворе", "г. Железногорск, улица Ленина, не убран снег"]
BACKGROUND_STREETS = ["Сумская", "Радищева", "Карла Маркса", "Гагарина", "Студенческая", "Орловская", "Союзная",
                      "Хуторская", "Запольная", "Челюскинцев", "Малых", "Володарского", "Обоянская", "Энгельса",
                      "Пигорева", "Кати Зеленко", "Белгородская", "Димитрова", "Красной Армии", "Советская"]
PROBLEMS = ["не вывозят мусор", "яма на дороге", "не горит фонарь", "нет отопления", "упало дерево"]
TOPICS = {"Ленина": "Дороги", "Дружбы": "ЖКХ", "Клюква": "Водоснабжение", "Железногорск": "Дороги"}


def points_archive(seed: int = 0, lenina: int = 40, druzhby: int = 25, klukva: int = 12, other_town: int = 8,
                   background: int = 200) -> pd.DataFrame:
    """Rows ``id``, ``Текст Сообщения``, ``Тематика``, ``Дата`` (2025–2026); ``attrs["truth"]`` the counts."""
    rng = np.random.default_rng(seed)
    rows = []
    for pool, k, topic in ((LENINA, lenina, "Дороги"), (DRUZHBY, druzhby, "ЖКХ"), (KLUKVA, klukva, "Водоснабжение"),
                           (ZHELEZNOGORSK, other_town, "Дороги")):
        rows += [(pool[i % len(pool)], topic) for i in range(k)]
    for _ in range(background):
        street = BACKGROUND_STREETS[rng.integers(len(BACKGROUND_STREETS))]
        rows.append((f"ул. {street}, {rng.integers(1, 90)} - {PROBLEMS[rng.integers(len(PROBLEMS))]}",
                     "Прочее" if rng.random() < 0.5 else "Дороги"))
    rows.append(("Спасибо за быстрый ответ", "Прочее"))
    order = rng.permutation(len(rows))
    times = pd.Timestamp("2025-03-01") + pd.to_timedelta(np.sort(rng.uniform(0, 500, len(rows))), unit="D")
    frame = pd.DataFrame({"id": range(1, len(rows) + 1), "Текст Сообщения": [rows[i][0] for i in order],
                          "Тематика": [rows[i][1] for i in order], "Дата": times.strftime("%d.%m.%Y %H:%M")})
    frame.attrs["truth"] = {"улица Ленина": lenina, "проспект Дружбы": druzhby, "село Клюква": klukva}
    return frame
