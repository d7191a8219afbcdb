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
