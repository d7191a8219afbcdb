"""extract_entities(): Natasha NER spans with pymorphy3 normal forms and original offsets."""
import subprocess
import sys
import threading

import pytest

from curnlp.ner import NER, Entity, extract_entities, extract_entities_many, normal_form
from curnlp.errors import InvalidInput
from curnlp.normalize import normalize


def by_normal(entities):
    return {(e.type, e.normal) for e in entities}


def assert_offsets(text, entities):
    for e in entities:
        assert 0 <= e.start < e.end <= len(text)
        raw = text[e.start:e.end]
        # raw source spells the entity, up to markup/entities collapsed by cleaning
        assert raw == e.text or e.text.split()[0] in raw, (raw, e)


# ---------------------------------------------------------------------------
# End-to-end on realistic messages
# ---------------------------------------------------------------------------

def test_html_message_org_and_location_with_offsets_into_original():
    text = ("<p>Уважаемый Роман Владимирович!</p><p>Прошу разобраться с работой Комитета дорожного "
            "хозяйства города Курска.&nbsp;Дорогу не ремонтируют третий год.</p>")
    ents = extract_entities(text)
    assert ("ORG", "Комитет дорожного хозяйства") in by_normal(ents)
    assert ("LOC", "Курск") in by_normal(ents)
    org = next(e for e in ents if e.type == "ORG")
    assert text[org.start:org.end] == "Комитета дорожного хозяйства" == org.text
    assert_offsets(text, ents)


def test_feminine_person_in_dative_and_nominative():
    text = ("Обращаюсь к главе Железногорского района. Учитель Иванова Мария Петровна грубит детям, "
            "прошу передать жалобу Ивановой Марии Петровне лично.")
    ents = extract_entities(text)
    pers = [e for e in ents if e.type == "PER"]
    assert [e.normal for e in pers] == ["Иванова Мария Петровна", "Иванова Мария Петровна"]
    assert [text[e.start:e.end] for e in pers] == ["Иванова Мария Петровна", "Ивановой Марии Петровне"]
    assert ("LOC", "Железногорский район") in by_normal(ents)


def test_surname_then_first_name_is_one_person():
    text = "Жалуюсь на ООО «Жилсервис». Обращение писала Кузнецовой Светлане Ивановне."
    ents = extract_entities(text)
    assert ("PER", "Кузнецова Светлана Ивановна") in by_normal(ents)
    assert ("ORG", "ООО «Жилсервис»") in by_normal(ents)  # quoted names are kept as written


def test_caps_lock_message_is_recased_for_the_tagger_but_keeps_its_spelling():
    text = ("ЗДРАВСТВУЙТЕ! В ПОСЕЛКЕ ЮБИЛЕЙНЫЙ КУРСКОГО РАЙОНА НЕТ ВОДЫ УЖЕ НЕДЕЛЮ, УПРАВЛЯЮЩАЯ КОМПАНИЯ "
            "НЕ ОТВЕЧАЕТ. ЖАЛОБУ НАПРАВЛЯЛА ПЕТРОВОЙ ЕЛЕНЕ СЕРГЕЕВНЕ")
    ents = extract_entities(text)
    assert ("LOC", "КУРСКИЙ РАЙОН") in by_normal(ents)
    assert ("PER", "ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА") in by_normal(ents)
    assert_offsets(text, ents)


def test_lowercase_message_without_punctuation():
    text = "добрый день в курске яма прошу передать губернатору старовойту роману владимировичу"
    ents = extract_entities(text)
    assert ("PER", "старовойт роман владимирович") in by_normal(ents)
    assert ("LOC", "курск") in by_normal(ents)


def test_region_and_agency_agreement():
    text = ("Прошу Государственную жилищную инспекцию Курской области проверить управляющую компанию. "
            "С уважением, Сидорова Анна Викторовна")
    ents = extract_entities(text)
    assert by_normal(ents) >= {("ORG", "Государственная жилищная инспекция"), ("LOC", "Курская область"),
                               ("PER", "Сидорова Анна Викторовна")}


def test_phone_placeholder_is_not_an_entity_and_offsets_skip_it():
    text = "Пишу по просьбе мамы Ефремовой Нины Григорьевны (тел. +79081216069). Живем в Курском районе"
    ents = extract_entities(text)
    assert ("PER", "Ефремова Нина Григорьевна") in by_normal(ents)
    assert all("PHONE" not in e.text for e in ents)
    per = next(e for e in ents if e.type == "PER")
    assert text[per.start:per.end] == "Ефремовой Нины Григорьевны"


def test_entity_spanning_html_entity_maps_to_the_raw_source():
    text = "Прошу&nbsp;помочь. Жалоба на Администрацию Сеймского&nbsp;округа г. Курска."
    ents = extract_entities(text)
    loc = next(e for e in ents if "Сеймск" in e.text)
    assert loc.text == "Сеймского округа"
    assert text[loc.start:loc.end] == "Сеймского&nbsp;округа"
    assert loc.normal == "Сеймский округ"


def test_long_message_linear_and_offsets_at_the_end():
    sentence = "Прошу администрацию Железногорского района помочь с ремонтом дороги в городе Курске. "
    text = sentence * 3000 + "Отдельно благодарю Ивановой Марии Петровне."
    ents = extract_entities(text)
    assert len([e for e in ents if e.normal == "Железногорский район"]) == 3000
    last = ents[-1]
    assert last.normal == "Иванова Мария Петровна"
    assert text[last.start:last.end] == "Ивановой Марии Петровне"


def test_one_huge_sentence_without_punctuation_is_chunked():
    text = "слово " * 5000 + "в Курске"
    ents = extract_entities(text)
    assert ents and ents[-1].normal == "Курск"
    assert text[ents[-1].start:ents[-1].end] == "Курске"


# ---------------------------------------------------------------------------
# Edge cases and API
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n ", "<p>&nbsp;</p>", "!!!", "123 456"])
def test_empty_or_entityless_text(text):
    assert extract_entities(text) == []


@pytest.mark.parametrize("value", [None, b"\xd0\x9a\xd1\x83\xd1\x80\xd1\x81\xd0\xba", 42, ["Курск"]])
def test_non_text_is_invalid_input(value):
    with pytest.raises(InvalidInput):
        extract_entities(value)
    with pytest.raises(InvalidInput):
        extract_entities_many(["Курск", value])
    with pytest.raises(TypeError):  # InvalidInput is also a TypeError
        extract_entities(value)


MESSAGES = [
    "В Льгове и Курчатове нет автобусов до Москвы, прошу Министерство транспорта Курской области разобраться",
    "",
    "Добрый день! Жалоба на МУП «Водоканал» г. Курска, звонила Петровой Ольге 8 (4712) 55-55-55",
    "<p>Прошу губернатора Курской области Старовойта Романа Владимировича помочь</p>",
    "ничего интересного тут нет",
    "Уважаемая Наталья Сергеевна! В Советском районе не вывозят мусор.",
]


def test_many_equals_one_by_one_and_accepts_normalized():
    many = extract_entities_many(MESSAGES)
    assert many == [extract_entities(m) for m in MESSAGES]
    assert extract_entities_many([normalize(m) for m in MESSAGES]) == many
    assert extract_entities_many(iter(MESSAGES)) == many
    assert extract_entities_many([]) == []


def test_threads_share_one_tagger():
    expected = extract_entities_many(MESSAGES)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append([extract_entities(m) for m in MESSAGES])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)
    assert NER.shared() is NER.shared()


def test_entity_is_frozen_and_serializable():
    e = extract_entities("Прошу помочь жителям Курской области")[0]
    assert e.to_dict() == {"type": "LOC", "text": "Курской области", "normal": "Курская область",
                           "start": 21, "end": 36}
    with pytest.raises(AttributeError):
        e.normal = "x"
    assert isinstance(e, Entity)


def test_street_names_keep_their_fixed_form():
    ents = extract_entities("На улице Гагарина в Железногорске яма")
    assert [(e.type, e.normal) for e in ents] == [("LOC", "Гагарина"), ("LOC", "Железногорск")]


def test_no_pymorphy2_no_natasha_and_lazy_loading():
    code = (
        "import sys, curnlp, curnlp.ner as E\n"
        "assert E.NER._shared is None and 'slovnet' not in sys.modules and 'navec' not in sys.modules\n"
        "print(E.extract_entities('Прошу передать Ивановой Марии Петровне')[0].normal)\n"
        "assert 'pymorphy2' not in sys.modules, 'pymorphy2'\n"
        "assert 'natasha' not in sys.modules, 'natasha'\n"
    )
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Иванова Мария Петровна"


# ---------------------------------------------------------------------------
# Normal forms (pymorphy3 only, no tagger)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("type_, words, expected", [
    ("PER", "Ивановой Марии Петровне", "Иванова Мария Петровна"),
    ("PER", "Иванову Ивану Петровичу", "Иванов Иван Петрович"),
    ("PER", "Иванова Мария", "Иванова Мария"),
    ("PER", "Кузнецовой", "Кузнецова"),
    ("PER", "Петрову", "Петров"),
    ("PER", "Валерием Юровым", "Валерий Юров"),
    ("PER", "Наталье Сергеевне", "Наталья Сергеевна"),
    ("PER", "Саши Петровой", "Саша Петрова"),
    ("PER", "Никите Иванову", "Никита Иванов"),
    ("PER", "Шевчук Марии Ивановны", "Шевчук Мария Ивановна"),
    ("PER", "Старовойту Роману Владимировичу", "Старовойт Роман Владимирович"),
    ("PER", "Александра Александровича Дейнеки", "Александр Александрович Дейнека"),
    ("PER", "Римского-Корсакова", "Римский-Корсаков"),
    ("PER", "Алёны Королёвой", "Алёна Королёва"),
    ("PER", "ИВАНОВОЙ МАРИИ", "ИВАНОВА МАРИЯ"),
    ("PER", "Кутеповой Т . В", "Кутепова Т . В"),
    ("PER", "Сороцкая Л . В", "Сороцкая Л . В"),
    ("PER", "Савенкову А . А", "Савенков А . А"),
    ("PER", "Льва Толстого", "Лев Толстой"),
    ("LOC", "Железногорского района", "Железногорский район"),
    ("LOC", "Курской области", "Курская область"),
    ("LOC", "КУРСКОЙ ОБЛАСТИ", "КУРСКАЯ ОБЛАСТЬ"),
    ("LOC", "Сеймском округе", "Сеймский округ"),
    ("LOC", "Курского р-на", "Курский р-н"),
    ("LOC", "Курской обл", "Курская обл"),
    ("LOC", "Курске", "Курск"),
    ("LOC", "Обояни", "Обоянь"),
    ("LOC", "Санкт-Петербурга", "Санкт-Петербург"),
    ("LOC", "Ростова-на-Дону", "Ростов-на-Дону"),
    ("LOC", "улице Ленина", "улица Ленина"),
    ("LOC", "Верхней Луговой", "Верхняя Луговая"),
    ("ORG", "Комитета дорожного хозяйства", "Комитет дорожного хозяйства"),
    ("ORG", "Комитетом образования города Курска", "Комитет образования города Курска"),
    ("ORG", "Администрации Курской области", "Администрация Курской области"),
    ("ORG", "Государственной жилищной инспекции", "Государственная жилищная инспекция"),
    ("ORG", "Городской поликлиники № 5", "Городская поликлиника № 5"),
    ("ORG", "Льговскую ЦРБ", "Льговская ЦРБ"),
    ("ORG", "Комитете ЖКХ", "Комитет ЖКХ"),
    ("ORG", "ЦУМа", "ЦУМ"),
    ("ORG", "Роспотребнадзора", "Роспотребнадзор"),
    ("ORG", 'МУП " Водоканал "', 'МУП " Водоканал "'),
    ("ORG", "Курскэнерго", "Курскэнерго"),
    ("ORG", "Прокуратуру Курской области", "Прокуратура Курской области"),
])
def test_normal_form(type_, words, expected):
    assert normal_form(type_, words.split()) == expected


def test_normal_form_keeps_spacing_given():
    assert normal_form("PER", ["Ивановой", "Н", ".", "Г", "."], ["\n", "", "", ""]) == "Иванова\nН.Г."
    assert normal_form("LOC", []) == ""


# ---------------------------------------------------------------------------
# Model files (the mirror's equality with slovnet: tests/test_mirror_slovnet.py)
# ---------------------------------------------------------------------------

def test_a_damaged_model_file_raises_corrupt_model(tmp_path):
    import os
    import shutil
    from curnlp.errors import CorruptModel
    from curnlp.ner import tagger as module
    base = module._natasha_dir()
    navec_copy = tmp_path / "navec.tar"
    shutil.copy(os.path.join(base, module._NAVEC_FILE), navec_copy)
    with open(navec_copy, "r+b") as fh:  # cut inside pq.bin
        fh.truncate(os.path.getsize(navec_copy) // 2)
    with pytest.raises(CorruptModel):
        NER(str(navec_copy), os.path.join(base, module._NER_FILE))
    (tmp_path / "ner.tar").write_bytes(b"not a tar file")
    with pytest.raises(CorruptModel):
        NER(os.path.join(base, module._NAVEC_FILE), str(tmp_path / "ner.tar"))


def test_loading_ner_does_not_import_navec():
    code = ("import sys, curnlp.ner as E\n"
            "E.NER.shared()\n"
            "print(E.extract_entities('Жители Курска просят Старовойта помочь')[0].type)\n"
            "assert 'navec' not in sys.modules and 'natasha' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("PER", "ORG", "LOC")
