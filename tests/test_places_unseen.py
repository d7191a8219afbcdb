"""Places of messages the pack was not mined from: street lists, institutions named by a district's
adjective, registration asides, typos in known street names, lowercase names after «улица»."""
from __future__ import annotations

import pytest

from curnlp.places import extract_locations, locate


def kn(text: str) -> list[tuple[str, str]]:
    return [(loc.kind, loc.normal) for loc in extract_locations(text)]


def municipality(text: str) -> str | None:
    m = locate(text).municipality
    return m.name if m is not None else None


# -- street lists after one type word --------------------------------------------------------

def test_a_street_list_goes_on_after_the_first_item():
    assert kn("Была насыпана щебенка (ул. Анциферовка, Какуринка, Заречка и др) Жильцы села надеялись") == [
        ("street", "улица Анциферовка"), ("street", "улица Какуринка"), ("street", "улица Заречка")]
    assert kn("посыпать песком ул.Литейную, ул.Глинко, Чернышевского и Уфимцева.")[-2:] == [
        ("street", "улица Чернышевского"), ("street", "улица Уфимцева")]


@pytest.mark.parametrize("text, expected", [
    ("яма на ул. Ленина, Иван сказал", [("street", "улица Ленина")]),  # a first name, not a street
    ("пробка на пр. Победы, ГМЦ не работает", [("street", "проспект Победы")]),  # an abbreviation
    ("ул. Союзная, Курск - яма", [("street", "улица Союзная"), ("city", "город Курск")]),  # the town
    ("ул. Ленина, Администрация не отвечает", [("street", "улица Ленина")]),
])
def test_a_street_list_stops_at_what_is_not_a_street(text, expected):
    assert kn(text) == expected


# -- institutions named by a district's adjective ----------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("3 марта сделал 2 прививку в Горшеченский больнице нет сертификата", "Горшеченский район"),
    ("В Обоянской центральной районной больнице нет врачей!!!", "Обоянский район"),
    ("Записаться к лору в Льговскую ЦРБ невозможно", "Льговский район"),
    ("курчатовская городская больница не принимает анализы".capitalize(), "Курчатов"),
    ("В Курской ЦРБ очередь с утра", "Курский район"),
    ("лечусь в Курской областной больнице, нет лекарств", None),  # the region's hospital
    ("Директор Сугровской школы не отвечает", None),  # a village school, no district of that name
])
def test_an_institution_named_by_a_district_places_the_message(text, expected):
    assert municipality(text) == expected


def test_an_institution_weighs_less_than_a_named_town():
    assert municipality("Мама лежала в Горшеченской больнице, теперь в г. Льгов на ул. Красной 5 нет света") == "Льгов"


# -- registration asides -------------------------------------------------------------------------

def test_where_someone_is_registered_is_not_where_the_problem_is():
    text = ("Муж прописан в Курчатовском районе, а живём мы в г. Курске на ул. Союзной 5: "
            "третью неделю не вывозят мусор")
    assert municipality(text) == "Курск"
    # alone, the registration place is all the message says: it still counts
    assert municipality("Я прописан в г. Льгов. Не горит фонарь уже месяц") == "Льгов"


def test_a_registration_aside_ends_with_its_sentence():
    text = "Я зарегистрирована тут давно. В Курчатовском районе, в д. Дичня, нет дороги"
    assert municipality(text) == "Курчатовский район"


# -- known streets written with a typo -----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Я проживаю по адресу ул Карла Липкнехта дом 17 кв 6, нет отопления",
    "яма у дома 100 по ул. 50-лет Октября",
    "На ул. Дзержинкого 5 прорвало трубу",
])
def test_a_known_street_with_a_typo_still_places_the_message(text):
    assert municipality(text) == "Курск"


def test_a_typo_never_makes_another_street():
    # «Московская» is two letters from «Маяковского»: not a typo of it
    assert municipality("Прошу восстановить освещение по улице Московская напротив дома №3") is None


# -- lowercase names and «Набережная» after «улица» ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Я проживаю по улице генерала григорова. В нашем микрорайоне 8 домов", [("street", "улица Генерала Григорова")]),
    ("Скорые не могут проехать на ул. пионеров.... Чтобы туда попасть", [("street", "улица Пионеров")]),
    ("Опасный переход в районе ул. 8 марта, дом 1", [("street", "улица 8 Марта"), ("house", "дом 1")]),
    ("Много ям на дороге по ул Нижняя Набережная", [("street", "улица Нижняя Набережная")]),
    ("Прошу убрать лежачие полицейские с улицы Набережной", [("street", "улица Набережная")]),
    ("Дерево на пересечении улиц Малых и Нижняя Набережная. Это опасно",
     [("street", "улица Малая"), ("street", "улица Нижняя Набережная")]),
])
def test_lowercase_names_after_the_street_word(text, expected):
    assert kn(text) == expected


@pytest.mark.parametrize("text", [
    "Холодно. На улице зима, а батареи холодные",
    "Вечером на улице людей нет, фонари не горят. Примите меры",
])
def test_ordinary_words_after_the_street_word_are_not_names(text):
    assert [k for k, _ in kn(text)] == []


# -- streets the pack does not know, written without a type word, before a house number ----------

@pytest.mark.parametrize("text, expected", [
    ("уже есть подобные проблемы на Батова 2. В частности", [("street", "улица Батова"), ("house", "дом 2")]),
    ("Площадка во дворе дома Островского 4: сломаны качели", [("street", "улица Островского"), ("house", "дом 4")]),
    ("Во дворе Семеновской, 79 с сентября нарушено", [("street", "улица Семёновская"), ("house", "дом 79")]),
    ("Всю зиму напротив дома (Григорова 42) стоят КАМАЗы", [("street", "улица Григорова"), ("house", "дом 42")]),
    ("Свалка на Карла Маркса 66/8", [("street", "улица Карла Маркса"), ("house", "дом 66/8")]),
    ("Мы живем на 9 этаже дома Сентюрева 1/3 в 3 подъезде", [("street", "улица Сентюрева"), ("house", "дом 1/3")]),
    ("Во дворе дома Парковая 14 нет освещения", [("street", "улица Парковая"), ("house", "дом 14")]),
    ("Территория домов по улице Пигорева 22 , Пигорева 24 и Дейнеки 8. Просьба разъяснить",
     [("street", "улица Пигорева"), ("house", "дом 22"), ("street", "улица Пигорева"), ("house", "дом 24"),
      ("street", "улица Дейнеки"), ("house", "дом 8")]),
])
def test_an_unknown_street_before_a_house_number(text, expected):
    assert kn(text) == expected


@pytest.mark.parametrize("text", [
    "Прошу помочь моей маме Токаревой Анне Михайловне 07.02.1942 года рождения",  # a person and a date
    "Хочу пожаловаться на Европу 5 раз писала",  # a shopping centre
    "Петрова 25 лет работает в школе",
    "К Иванову 3 раза ходила на приём",
])
def test_names_before_numbers_that_are_not_addresses(text):
    assert [k for k, _ in kn(text)] == []


def test_an_address_list_goes_on_only_with_street_names():
    assert kn("Живу на ул. Ленина 5, Иванов 3 раза звонил в управляющую компанию") == [
        ("street", "улица Ленина"), ("house", "дом 5")]


def test_the_typo_lookup_reads_names_with_numbers():
    from curnlp.places import load_region

    pack = load_region("kursk")
    assert [s.name for s in pack.streets_like("50-лет Октября")] == ["50 лет Октября"]
    assert [s.name for s in pack.streets_like("3-я Песковская")] == ["3-я Песковская"]  # an ordinal stays one word
    assert [s.name for s in pack.streets_like("8 марта")] == ["8 Марта"]  # a number without a hyphen
    assert pack.streets_like("12 Декабря") == ()


def test_a_lowercase_town_after_a_preposition():
    place = locate("в братске по ул. Мира не убирают снег с тротуаров", "irkutsk")
    assert place.municipality is not None and place.municipality.name == "Братск"
    assert kn("живу в курске на ул. Союзной")[0] == ("city", "город Курск")
    # a common word that is also a town («Орёл») stays a word
    assert kn("В орле нет света, в мире нет справедливости") == []


@pytest.mark.parametrize("text, expected", [
    ("В сквере на Веспремской трава не скошена", [("street", "улица Веспремская")]),
    ("Выезжая с Институтской на Кавказскую, невозможно повернуть",
     [("street", "улица Институтская"), ("street", "улица Кавказская")]),
    ("Ремонт на Курской АЭС затянулся", []),  # an organisation, not the pack's «улица Курская»
    ("Диагноз от Сапрановой, были ошарашены", []),  # a surname
    ("Совместно с Центральной дирекцией вокзалов", []),
])
def test_an_adjective_after_a_preposition_names_a_street_only_alone(text, expected):
    assert kn(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Яма на пересечении улиц Карла Маркса - Ломакина.", [("street", "улица Карла Маркса"), ("street", "улица Ломакина")]),
    ("Около перекрёстка Маяковского/Октябрьская не скошена трава",
     [("street", "улица Маяковского"), ("street", "улица Октябрьская")]),
    ("В районе деревни клишино, спуск к реке размыт", [("settlement", "деревня Клишино")]),
    ("Запах с кухни ближайшего дома номер 38 - терпение кончилось", [("house", "дом 38")]),
    ("Живу на ул. Ленина - это главная улица", [("street", "улица Ленина")]),
])
def test_crossings_with_a_dash_lowercase_unknown_names_and_spelled_out_numbers(text, expected):
    assert kn(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Прошу провести ремонт по ул. Хуторской (подъезд к домам : 12б, 12г, 16а) со стороны ТЦ",
     [("street", "улица Хуторская"), ("house", "дом 12Б"), ("house", "дом 12Г"), ("house", "дом 16А")]),
    ("Жители домов NN 78-80 по ул.Дубровинского просят спилить дерево",
     [("house", "дом 78-80"), ("street", "улица Дубровинского")]),
    ("Между домами улиц Союзная 51 и Союзная 53 отсутствует освещение",
     [("street", "улица Союзная"), ("house", "дом 51"), ("street", "улица Союзная"), ("house", "дом 53")]),
    ("Сухие деревья вблизи детской площадки В.Клыкова, д. 15 опасны", [("street", "проспект В. Клыкова"), ("house", "дом 15")]),
    ("На пересечении 7-го промышленного переулка и улицы Менделеева упал знак",
     [("street", "переулок 7-й Промышленный"), ("street", "улица Менделеева")]),
    ("Жители дома Магистральный проезд, 24Б жалуются", [("street", "проезд Магистральный"), ("house", "дом 24Б")]),
    ("В сторону Дериглазова вечером не уехать", [("street", "проспект Дериглазова")]),
    ("Почему в Районе Курском не дают подарки?", []),  # the district's adjective, not «улица Курская»
    ("Законы в Российской Федерации для всех", []),
])
def test_house_lists_plural_streets_and_streets_named_by_direction(text, expected):
    assert kn(text) == expected


def test_a_known_village_beats_the_district_centre_it_is_named_with():
    assert municipality("Прошу продлить маршрут Льгов (ЦЕНТР) - д. Шерекино до школы") == "Льговский район"
    assert municipality("г. Льгов, ул. Красная 5: нет света") == "Льгов"


def test_a_village_with_its_centre_town_is_placed_surely_in_the_district():
    m = locate("Прошу продлить маршрут Льгов (ЦЕНТР) - д. Шерекино до школы").municipality
    assert m.name == "Льговский район" and m.confidence >= 0.5  # the town supports its district


def test_the_stops_of_a_route_are_places_that_do_not_place_the_message():
    place = locate("Прошу пустить по маршруту Курск-Теткино, Луидор вместо ПАЗа")
    assert [(loc.kind, loc.text, loc.normal) for loc in place.locations] == [
        ("city", "Курск", "город Курск"), ("settlement", "Теткино", "село Тёткино")]
    assert place.municipality is None  # a route is the region's
    # a crossing of two streets written with a hyphen is no route
    assert kn("Тротуар на пересечении Ломакина-Карла Маркса разбит") == []
    # a route does not outvote the place the message names
    place = locate("Светофор на трассе Рыльск-Конышевка в городе Льгов на улице Красной")
    assert place.municipality.name == "Льгов"
