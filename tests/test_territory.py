"""A message surely placed in one municipality goes to that municipality's bodies, not to
another municipality's (issue 24): the territory of each agency is read from its name."""
import numpy as np
import pytest

import curnlp
from curnlp.places import load_region
from curnlp.territory import Territories

TOWN_MESSAGES = [  # (message naming a town of the Kursk region and a street, municipality, its own bodies)
    ("Во дворе дома 3 по ул. Ленина в Обояни не работает фонарь", "Обоянь", "Обоян"),
    ("г. Льгов, ул. Красная, д. 12 — яма на дороге уже полгода", "Льгов", "Льгов"),
    ("В Курчатове на улице Гайдара не вывозят мусор", "Курчатов", "Курчатов"),
    ("Щигры, ул. Октябрьская 45: нет воды третий день", "Щигры", "Щигр"),
    ("ЖЕЛЕЗНОГОРСК, ул. Ленина 50, в подъезде не убирают!!!", "Железногорск", "Железногорск"),
    ("В г. Рыльске на ул. Луначарского разбит тротуар", "Рыльск", "Рыльск"),
    ("Фатеж, улица Тихая: не горят фонари на всей улице", "Фатеж", "Фатеж"),
    ("г. Суджа ул. Щепкина 3 прорвало трубу, течет вода", "Суджа", "Судж"),
    ("<p>Обоянь, ул. Жукова 10 — во дворе огромная лужа после ремонта дороги</p>", "Обоянь", "Обоян"),
    ("в г.Льгове по улице Примакова не горит освещение", "Льгов", "Льгов"),
]


@pytest.fixture(scope="module")
def router():
    return curnlp.load(entities=False)


def test_a_towns_messages_go_to_its_own_bodies(router):
    misses = []
    for text, municipality, stem in TOWN_MESSAGES:
        r = router.route(text)
        assert r.municipality == municipality, text
        if stem not in r.agency.label:
            misses.append((text, r.agency.label))
        assert all("города Курска" not in label for label, _ in r.agency.alternatives), text
    assert len(misses) <= 1, misses


def test_the_capitals_bodies_still_serve_the_capital_and_its_okrugs(router):
    for text in ("Огромная яма на ул. Ленина в Курске, машины ломают колёса",
                 "яма на дороге в Сеймском округе г. Курска, ул. Энергетиков"):
        assert "Курск" in router.route(text).agency.label


def test_homes_and_allowed_agencies():
    agencies = ["Комитет дорожного хозяйства города Курска", "Администрация г. Обояни",
                "Администрация Обоянского района", "Государственная жилищная инспекция Курской области",
                "Администрация Курского района"]
    t = Territories(agencies, load_region("kursk"))
    assert t.homes == ("Курск", "Обоянь", "Обоянский район", None, "Курский район")
    # the district serves its town; the town's own administration comes first
    assert t.allowed("Обоянь").tolist() == [False, True, True, True, False]
    assert t.own("Обоянь") == 1 and t.own("Обоянский район") == 2
    # Курский район is not Курск (a district around the city, not inside it)
    assert t.allowed("Курский район").tolist() == [False, False, False, True, True]
    assert t.allowed("Нигде") is None and t.own("Нигде") == -1


def test_the_moved_probability_goes_to_the_own_body_and_labels_stay_argmax():
    from curnlp.predictor import reported
    proba = {"agency": np.array([[0.6, 0.3, 0.05, 0.05], [0.6, 0.3, 0.05, 0.05]])}
    classes = {"agency": ["Комитет города Курска", "Администрация г. Обояни", "Инспекция области", "другое"]}
    allowed = np.array([[False, True, True, True], [True, True, True, True]])
    shown = reported(proba, classes, None, allowed, np.array([1, -1]))["agency"]
    np.testing.assert_allclose(shown[0], [0.0, 0.9, 0.05, 0.0])   # «другое» is never a decision either
    np.testing.assert_allclose(shown[1], [0.6, 0.3, 0.05, 0.0])   # no sure municipality: unchanged
