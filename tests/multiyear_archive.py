"""A generated three-year scored archive from a model trained without a region pack: no row has a
``municipality``; the archive's own «Адрес» column names the town (mixed case, extra spaces);
some rows have no responsible (``agency`` empty), none has a topic; an answer-time column for the
control; an unusual snowfall in one town in the last two days."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seasonal_archive import SNOW_PER_DAY

TOWNS = ["Белгород", "Старый Оскол", "Губкин"]
SPELLINGS = {"Белгород": ["Белгород", "БЕЛГОРОД", " белгород ", "Белгород"],
             "Старый Оскол": ["Старый Оскол", "старый  оскол", "Старый Оскол"],
             "Губкин": ["Губкин", "губкин"]}
SNOW = ["Не чистят снег во дворе дома {n}, ул. Мира", "<p>Гололёд на тротуаре, люди падают</p>",
        "снег не убран уже неделю!!! машины не проехать", "Когда почистят дорогу от снега? улица Ленина"]
GARBAGE = ["Не вывозят мусор с площадки, ул. Садовая {n}", "мусорные баки переполнены, запах ужасный",
           "КОНТЕЙНЕРЫ НЕ ВЫВЕЗЕНЫ третий день", "Свалка мусора возле дома {n} по ул. Королёва"]


def multiyear_archive(years: int = 3, end: str = "2026-06-29 12:00", seed: int = 0, snowfall: int = 40,
                      town: str = "Губкин", daily: float = 3.0) -> pd.DataFrame:
    """The archive (see the module docstring); ``snowfall`` extra snow messages in ``town`` in the
    last 48 hours (June: nothing of the kind is expected)."""
    rng = np.random.default_rng(seed)
    t_end = pd.Timestamp(end)
    days = pd.date_range(t_end.normalize() - pd.Timedelta(days=int(365.25 * years)), t_end.normalize(), freq="D")
    rows = []
    for day in days:
        for group, lam in (("1", SNOW_PER_DAY[day.month - 1]), ("2", daily)):
            for _ in range(rng.poisson(lam)):
                t = day + pd.Timedelta(seconds=float(rng.uniform(0, 86400)))
                if t <= t_end:
                    rows.append((t, group, TOWNS[rng.integers(len(TOWNS))]))
    for _ in range(snowfall):
        rows.append((t_end - pd.Timedelta(hours=float(rng.uniform(0, 47))), "1", town))
    rows.sort(key=lambda r: r[0])
    out = []
    for k, (t, group, place) in enumerate(rows):
        pool = SNOW if group == "1" else GARBAGE
        text = pool[rng.integers(len(pool))].format(n=int(rng.integers(1, 60)))
        spelled = SPELLINGS[place][rng.integers(len(SPELLINGS[place]))]
        answered = t + pd.Timedelta(hours=float(rng.exponential(20))) if rng.random() < 0.9 else None
        out.append({"id": str(100_000 + k), "Дата": t.strftime("%d.%m.%Y %H:%M"), "Текст": text,
                    "Адрес": f"{spelled}", "topic": None, "topic_confidence": None, "group": group,
                    "group_name": "Снег и гололёд" if group == "1" else "Мусор",
                    "agency": None if rng.random() < 0.1 else ("Дорожная служба" if group == "1" else "Управляющая компания"),
                    "agency_confidence": 0.7, "needs_review": bool(rng.random() < 0.2), "municipality": None,
                    "locations": "[]", "error": None,
                    "Ответ": answered.strftime("%d.%m.%Y %H:%M") if answered is not None and answered <= t_end else None})
    return pd.DataFrame(out)
