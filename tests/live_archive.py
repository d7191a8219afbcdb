"""A generated dated archive for the live-loop tests: agencies renamed on a known date,
and a share of messages in Chuvash (formulaic complaints about bilingual street signs)."""
from __future__ import annotations

import random

import pandas as pd

CHANGE = "2020-01-01"
#: topic -> (group, agency before the change, agency after it)
TOPICS = {
    "Ямы на дорогах": ("Дороги", "Комитет дорожного хозяйства", "Министерство транспорта и дорог"),
    "Уборка снега": ("Дороги", "Комитет дорожного хозяйства", "Министерство транспорта и дорог"),
    "Нет воды": ("ЖКХ", "Комитет ЖКХ города", "Министерство строительства и ЖКХ"),
    "Отопление": ("ЖКХ", "Комитет ЖКХ города", "Министерство строительства и ЖКХ"),
    "Мусор": ("Экология", "Управление благоустройства", "Министерство природных ресурсов"),
    "Автобусы": ("Транспорт", "Комитет транспорта", "Министерство транспорта и дорог"),
    "Таблички": ("Культура", "Комитет по культуре", "Министерство культуры"),
}
STREETS = ["Ленина", "Гагарина", "Карла Маркса", "Пушкина", "Садовая", "Мира", "Победы", "Советская", "Чапаева"]
TEMPLATES = {
    "Ямы на дорогах": ["На ул. {s} огромная яма, машины бьют колеса!!!", "Дорога по улице {s} вся в ямах, когда отремонтируют?",
                       "яма на проезжей части ул {s} возле дома {n}, прошу заделать", "<p>Разбитый асфальт на {s}, д. {n}</p>"],
    "Уборка снега": ["Не чистят снег на ул. {s} уже неделю", "Снег не убран во дворе дома {n} по {s}, пройти нельзя",
                     "гололед и сугробы на тротуаре ул.{s}, когда уберут снег?"],
    "Нет воды": ["Третий день нет воды в доме {n} по ул. {s}", "отключили холодную воду на {s} без предупреждения!",
                 "Нет водоснабжения ул. {s} д.{n}, когда дадут воду?"],
    "Отопление": ["В квартире холодно, батареи еле теплые, ул. {s} {n}", "Нет отопления в доме {n} по улице {s}",
                  "Отопление не включили, дом {n} на {s}, дети мерзнут"],
    "Мусор": ["Мусорные баки на ул. {s} переполнены, вывоза нет", "Свалка мусора во дворе дома {n} по {s}",
              "контейнерную площадку на {s} не убирают две недели"],
    "Автобусы": ["Автобус №{n} не ходит по расписанию на ул. {s}", "Маршрут {n} отменили, как добраться с {s}?",
                 "Водитель автобуса {n} грубит пассажирам, остановка {s}"],
    "Таблички": ["Табличку с названием улицы {s} сорвали, просим повесить новую", "На доме {n} по ул. {s} нет таблички с номером дома"],
}
CHUVASH = ["{s} урамӗнчи табличкӑсем вырӑсла кӑна ҫырнӑ, чӑвашла та ҫырмалла. Тархасшӑн, пулӑшӑр!",
           "Пирӗн урамра ({s}) ҫӗнӗ табличкӑсем ҫакнӑ, анчах чӑвашла ҫырнӑ мар. Тӳрлетӗр тархасшӑн.",
           "Урам ячӗсене икӗ чӗлхепе ҫырмалла: {s} урамӗнче чӑвашла ят ҫук. Пулӑшӑр!",
           "{s} урамӗнче ҫурт номерӗсем чӑвашла ҫук, тархасшӑн тӳрлетӗр."]


def make_archive(n: int = 900, chuvash: float = 0.1, seed: int = 0, start: str = "2016-01-01",
                 end: str = "2022-12-31", noise: float = 0.0, revert: str | None = None) -> pd.DataFrame:
    """``n`` messages spread evenly over ``start``..``end`` (columns text, topic, group, agency, date);
    ``noise``: share of rows whose agency is another one of the same era (labelling mistakes);
    ``revert``: the date the old agency names come back."""
    rng = random.Random(seed)
    days = pd.date_range(start, end, periods=n)
    change = pd.Timestamp(CHANGE)
    rows = []
    topics = list(TOPICS)
    for day in days:
        if rng.random() < chuvash:
            topic, text = "Таблички", rng.choice(CHUVASH).format(s=rng.choice(STREETS))
        else:
            topic = rng.choice(topics)
            text = rng.choice(TEMPLATES[topic]).format(s=rng.choice(STREETS), n=rng.randint(1, 99))
            if rng.random() < 0.2:
                text = text.upper() if rng.random() < 0.3 else text.lower()
        group, old, new = TOPICS[topic]
        agency = new if day >= change and (revert is None or day < pd.Timestamp(revert)) else old
        if rng.random() < noise:
            agency = rng.choice(sorted({v[2 if day >= change else 1] for v in TOPICS.values()} - {agency}))
        rows.append({"text": text, "topic": topic, "group": group, "agency": agency,
                     "date": day.strftime("%Y-%m-%d")})
    return pd.DataFrame(rows)
