"""Generated archives for the analytics tests and benchmark: background messages spread over 60
days plus one injected water outage in one town in the last two days, scored by the shipped model.

Background texts are the real Kursk messages from ``$CURNLP_CORPUS`` when present (default
``../shared/corpora/kursk/appeals.csv`` next to the repository), else the hand-written ones below.
Scoring uses ``curnlp.load`` directly and writes the documented scored columns (no batch internals).
"""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]

#: A town in its case forms: nominative, prepositional ("в Фатеже"), genitive ("жители Фатежа").
TOWNS = {
    "Фатеж": {"nom": "Фатеж", "loc": "Фатеже", "gen": "Фатежа"},
    "Обоянь": {"nom": "Обоянь", "loc": "Обояни", "gen": "Обояни"},
    "Льгов": {"nom": "Льгов", "loc": "Льгове", "gen": "Льгова"},
    "Курчатов": {"nom": "Курчатов", "loc": "Курчатове", "gen": "Курчатова"},
    "Курск": {"nom": "Курск", "loc": "Курске", "gen": "Курска"},
}

#: 25 ways to write about one water outage: typos, caps, markup, VK mentions, with and without the word «вода».
OUTAGE = [
    "В {loc} нет воды с утра, что случилось?",
    "Третий день без воды! г. {nom}, ул. Ленина. Когда это закончится",
    "когда дадут воду в {loc}??? дети не мытые",
    "Здравствуйте, в городе {nom} отключили воду и никто ничего не говорит",
    "Нет вады на улице Мира, г.{nom}, сколько можно",
    "<p>Уважаемая администрация! В г. {nom} второй день отсутствует водоснабжение.</p>",
    "НЕТ ВОДЫ В {loc_upper}!!! ВТОРЫЕ СУТКИ",
    "г. {nom}, ул. Советская 12 - из крана ничего не течёт со вчерашнего дня, воды нет",
    "Когда включат воду? {nom} весь город сидит без воды",
    "прорыв водопровода в {loc}, вода хлещет на дорогу, а в домах воды нет",
    "Подвезите питьевую воду, в {loc} нет воды уже двое суток",
    "Без воды третий день, г. {nom}. Водоканал трубку не берет",
    "в {loc} опять нет холодной воды, ул. Садовая",
    "Почему в {loc} нет водоснабжения? Ни объявлений, ни подвоза воды",
    "Сколько ещё ждать воду? г. {nom}, улица Луначарского",
    "у нас в {loc} воды нет с понедельника, помогите",
    "[club123|Администрация {gen}] когда дадут воду людям?",
    "Вода отсутствует во всём городе {nom}... когда починят?",
    "Жители {gen} без воды уже 3 дня, куда смотрит водоканал",
    "нет воды!!! г. {nom} ул.Володарского д.5",
    "Водоснабжение в {loc} когда восстановят? Третьи сутки без воды",
    "в {loc} нет воды, бутилированную купить негде",
    "Здравствуйте! Когда дадут воду в {loc}? Нет ни холодной, ни горячей",
    "Третий день без воды в г.{nom}. Старики носят воду из колодца",
    "Опять без воды сидим, {nom}. Когда авария будет устранена? третий день без воды",
]

#: Background problems and places when the corpus is absent (combined at random: realistic, varied).
PROBLEMS = [
    "огромная яма на дороге, машины ломают колёса", "не вывозят мусор с контейнерной площадки уже неделю",
    "после дождя дорогу размыло, не проехать", "не работает уличное освещение, вечером темно и страшно",
    "автобус ходит раз в час, люди опаздывают на работу", "невозможно записаться к терапевту в поликлинике",
    "бродячие собаки нападают на детей у школы", "во дворе не убирают снег, не пройти",
    "течёт крыша, квартиры на пятом этаже затоплены", "прорвало канализацию, запах на весь квартал",
    "просим установить детскую площадку во дворе", "нет мобильной связи и интернета",
    "в школе холодно в классах, батареи еле тёплые", "не выплачивают пособие на ребёнка два месяца",
    "разбит тротуар, пожилым людям не пройти", "свалка мусора у леса, никто не убирает",
    "пробки из-за ремонта трамвайных путей", "до сих пор нет газа, обещали подвести в прошлом году",
    "сломаны качели на детской площадке", "не работает лифт в подъезде третью неделю",
    "аварийное дерево может упасть на провода", "высокие цены на лекарства в аптеке",
    "грязная вода из крана, ржавая", "не убирают подъезд, управляющая компания бездействует",
]
PLACES = ["в Курске на ул. Ленина", "г. Железногорск, ул. Мира", "в с. Клюква Курского района",
          "в Льгове на улице Кирова", "Курчатов, ул. Строителей", "Щигры, ул. Красная",
          "в г. Рыльск на ул. Советской", "в Обояни на ул. Жуковского", "в п. Золотухино",
          "в д. Духовец Курского района", "г. Суджа, ул. Щепкина", "в Фатеже на ул. Урицкого",
          "в Дмитриеве на ул. Чернышевского", "Курск, пр. Клыкова", "в Курске на ул. Серёгина", ""]
OPENERS = ["", "Здравствуйте! ", "Добрый день. ", "<p>Уважаемая администрация, ", "Помогите! "]


def corpus_path() -> Path | None:
    """The Kursk corpus: ``$CURNLP_CORPUS`` or ``../shared/corpora/kursk/appeals.csv``; None when absent."""
    path = Path(os.environ.get("CURNLP_CORPUS") or REPO.parent / "shared" / "corpora" / "kursk" / "appeals.csv")
    return path if path.exists() else None


def background_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` background texts: real corpus messages when available, else the hand-written ones repeated with noise."""
    rng = np.random.default_rng(seed)
    path = corpus_path()
    if path is not None:
        texts = pd.read_csv(path)["Текст Сообщения"].dropna().astype(str).tolist()
        picked = rng.choice(len(texts), size=n, replace=n > len(texts))
        return [texts[i] for i in picked]
    out = []
    for _ in range(n):
        place = PLACES[rng.integers(len(PLACES))]
        problem = PROBLEMS[rng.integers(len(PROBLEMS))]
        opener = OPENERS[rng.integers(len(OPENERS))]
        text = f"{opener}{place} {problem}".strip() if place else f"{opener}{problem}"
        out.append(text[0].upper() + text[1:] + ("</p>" if opener.startswith("<p>") else ""))
    return out


def outage_texts(town: str) -> list[str]:
    """The 25 outage messages for ``town`` (a key of :data:`TOWNS`)."""
    forms = dict(TOWNS[town])
    forms["loc_upper"] = forms["loc"].upper()
    return [t.format(**forms) for t in OUTAGE]


@functools.lru_cache(maxsize=8)
def scored_archive(town: str = "Фатеж", n_background: int = 2000, seed: int = 0) -> pd.DataFrame:
    """:func:`make_archive` scored by the shipped model (cached per session; copy before changing)."""
    return score(make_archive(town, n_background=n_background, seed=seed))


def make_archive(town: str = "Фатеж", n_background: int = 2000, days: int = 60, seed: int = 0,
                 end: str = "2026-11-30 18:00") -> pd.DataFrame:
    """An unscored archive: ``id``, ``Дата обращения`` (dd.mm.yyyy HH:MM), ``Текст`` and ``outage`` (truth)."""
    rng = np.random.default_rng(seed)
    end_ts = pd.Timestamp(end)
    back = background_texts(n_background, seed)
    back_t = end_ts - pd.to_timedelta(rng.uniform(0, days * 24, size=len(back)), unit="h")
    out = outage_texts(town)
    out_t = end_ts - pd.to_timedelta(rng.uniform(0, 48, size=len(out)), unit="h")
    frame = pd.DataFrame({"Текст": back + out, "t": list(back_t) + list(out_t),
                          "outage": [False] * len(back) + [True] * len(out)})
    frame = frame.sample(frac=1.0, random_state=seed).sort_values("t", kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [str(10_000 + i) for i in range(len(frame))])
    frame.insert(1, "Дата обращения", frame.pop("t").dt.strftime("%d.%m.%Y %H:%M"))
    return frame


def score(frame: pd.DataFrame, router=None, text: str = "Текст") -> pd.DataFrame:
    """``frame`` plus the scored columns of ``curnlp score`` (routed with the shipped model, no NER)."""
    import curnlp
    router = router or curnlp.load(entities=False)
    results = router.route_many(frame[text].tolist(), batch_size=256, errors="return")
    rows = []
    for r in results:
        if isinstance(r, Exception) or not hasattr(r, "topic"):
            rows.append((None, None, None, None, None, None, None, None, "[]", str(r)))
            continue
        rows.append((r.topic.label if r.topic else None, round(r.topic.confidence, 4) if r.topic else None,
                     r.group.label if r.group else None, r.group_name,
                     r.agency.label if r.agency else None, round(r.agency.confidence, 4) if r.agency else None,
                     bool(r.needs_review), r.municipality,
                     json.dumps([loc.to_dict() for loc in r.locations], ensure_ascii=False), None))
    cols = ["topic", "topic_confidence", "group", "group_name", "agency", "agency_confidence", "needs_review",
            "municipality", "locations", "error"]
    out = frame.copy()
    scored = pd.DataFrame(rows, columns=cols, index=frame.index)
    return pd.concat([out, scored], axis=1)
