"""What a Routing says must be something a person can act on (issue 24): places and names once
each and bounded on long texts, a region whenever there is a municipality, no half words."""
import json
import random

import pytest

import curnlp
from curnlp.places import locate


@pytest.fixture(scope="module", params=[False, True], ids=["fast", "entities"])
def router(request):
    return curnlp.load(entities=request.param)


def _long_message(n_chars: int) -> str:
    rnd = random.Random(7)
    names = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попов", "Лебедев", "Козлова"]
    streets = ["ул. Ленина", "улице Мира", "пр-т Победы", "ул. Союзной", "ул. Гагарина", "Садовой улице"]
    parts = []
    while sum(map(len, parts)) < n_chars:
        parts.append(f"<p>{rnd.choice(names)} {rnd.choice(['Иван', 'Анна', 'Олег'])} пишет: на {rnd.choice(streets)} "
                     f"д. {rnd.randint(1, 400)} яма,&nbsp;в д. Духовец Курского района нет воды!!!</p>\n")
    return "".join(parts)


def test_a_150k_message_keeps_at_most_100_places_and_200_kb(router):
    r = router.route(_long_message(150_000))
    assert "truncated" in r.review_reasons
    assert len(r.locations) <= 100 and len(r.entities) <= 100
    keys = [(loc.kind, loc.normal) for loc in r.locations if loc.kind != "house"]
    assert len(keys) == len(set(keys))  # each place once
    assert len(json.dumps(r.to_dict(), ensure_ascii=False).encode("utf-8")) <= 200_000


def test_a_cut_message_ends_between_words():
    router = curnlp.load(entities=False, max_length=60)
    text = "Яма на улице Ленина в Курске, машины ломают колёса, а на улице Краснознаменной темно"
    r = router.route(text)
    assert r.truncated
    assert all(text[loc.end:loc.end + 1] in ("", " ", ",", ".") for loc in r.locations)
    assert not any(loc.normal.endswith("Краснозн") for loc in r.locations)


@pytest.mark.parametrize("text", ["ул. Ленина 5, яма у подъезда", "Яма на ул. Ленина в Курске",
                                  "в д. Духовец Курского района нет воды", "д. 4Б, второй подъезд: не работает лифт",
                                  "г. Белгород, ул. Щорса 10, нет отопления"])
def test_region_whenever_municipality(text):
    place = locate(text)
    assert (place.municipality is None) or place.region == "Курская область"
    r = curnlp.load(entities=False).route(text)
    assert r.municipality is None or r.region is not None


def test_a_house_number_alone_or_an_unknown_street_is_no_municipality():
    assert locate("д. 4Б, второй подъезд: не работает лифт").municipality is None
    assert locate("на улице 70 лет Октября во дворе яма").municipality is None  # not a street of the pack


OMSK = ["На ул. 70 лет Октября д. 12 в Омске нет горячей воды", "Омск, ул. Лукашевича 25, не вывозят мусор",
        "Во дворе д. 4Б по ул. Масленникова огромная яма", "ул. Красный Путь 101, не горят фонари",
        "Просим отремонтировать дорогу на ул. 10 лет Октября, г. Омск", "Кировский округ Омска, ул. Перелета 9: затопило подвал",
        "д. 4Б, подъезд 2 — лифт не работает неделю", "ул. Ленина 5, яма у подъезда, Омск",
        "Остановка на пр. Мира, автобус 73 не ходит", "Советский округ, ул. 22 Апреля 30: нет отопления"]


def test_an_archive_of_another_region_is_not_routed_as_the_models(tmp_path, capsys):
    """Omsk messages scored with the Kursk model: most flagged outside or without a Kursk
    municipality, and the score run warns, naming the region it found."""
    import pandas as pd
    from curnlp.cli import main
    routed = curnlp.load(entities=False).route_many(OMSK)
    honest = [r for r in routed if "outside_region" in r.review_reasons or r.municipality is None]
    assert len(honest) >= 0.8 * len(OMSK)
    assert sum(r.region == "Омская область" for r in routed) >= 5
    src = tmp_path / "omsk.csv"
    pd.DataFrame({"id": range(len(OMSK)), "Текст обращения": OMSK}).to_csv(src, index=False)
    assert main(["score", str(src), "-o", str(tmp_path / "out.csv"), "--no-entities", "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "Омская область" in err


@pytest.mark.parametrize("text, outside", [
    ("я из Курска, живу в Москве, в Москве на ул. Тверской яма", "Москва"),  # the problem's place, not the origin
    ("Живу в Воронеже, а у мамы в Льгове на ул. Красной нет воды", None),    # residence elsewhere, problem at home
    ("в нашей деревне Духовец, как в Орле, дороги разбиты", None),           # a comparison
    ("Пишу из Курска: на ул. Ленина яма", None),
])
def test_the_problems_place_wins_over_the_writers(text, outside):
    r = curnlp.load(entities=False).route(text)
    if outside is None:
        assert "outside_region" not in r.review_reasons and r.region == "Курская область"
    else:
        assert "outside_region" in r.review_reasons and r.outside.city == outside
