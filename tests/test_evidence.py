"""Evidence codes read in Russian (curnlp.evidence) and Routing.to_dict()["evidence_text"]."""
import json

import pytest

import curnlp
from curnlp.evidence import readable, readable_all, stack_target_of


@pytest.mark.parametrize("code, stack_target, text", [
    ("w:яма", None, "слово «яма»"),
    ("w:яма дорога", None, "слова «яма дорога»"),
    ("c: ям", None, "буквы «ям»"),
    ("m:Курск", None, "муниципалитет Курск"),
    ("m:Курск?", None, "муниципалитет Курск (предположительно)"),
    ("p:topic=Уличное освещение", None, "тема «Уличное освещение»"),
    ("p:group=3", None, "группа «3»"),
    ("x:Курск&topic=Уличное освещение", None, "Курск и тема «Уличное освещение»"),
    ("x:Курск?&topic=Уличное освещение", None, "Курск (предположительно) и тема «Уличное освещение»"),
    ("t5:bias", None, "период 6 разметки"),
    ("t0:bias", None, "период 1 разметки"),
    ("t5:p:Уличное освещение", "topic", "период 6: тема «Уличное освещение»"),
    ("t5:p:Уличное освещение", None, "период 6: тема или группа «Уличное освещение»"),
    ("t5:Обоянь", None, "период 6: муниципалитет Обоянь"),
    ("t2:Курск?", None, "период 3: муниципалитет Курск (предположительно)"),
    ("t5:w:яма", None, "период 6: слово «яма»"),
    ("bias", None, "общая склонность модели"),
    ("z:новый блок", None, "z:новый блок"),
])
def test_every_code_reads_in_russian(code, stack_target, text):
    assert readable(code, stack_target) == text


def test_period_classes_take_the_target_from_the_same_routing():
    ev = {"agency": [("t5:p:Нет воды", 0.4), ("m:Льгов", 0.3)], "topic": [("w:вода", 0.2)]}
    assert stack_target_of(["t5:p:Нет воды", "x:Льгов&group=3"]) == "group"
    assert stack_target_of(["t5:p:Нет воды"], {"topic": ["Нет воды", "Яма"], "group": ["3"]}) == "topic"
    assert stack_target_of(["t5:p:Нет воды"]) is None
    assert readable_all(ev, {"topic": ["Нет воды"]}) == {
        "agency": ["период 6: тема «Нет воды»", "муниципалитет Льгов"], "topic": ["слово «вода»"]}


@pytest.fixture(scope="module")
def router():
    return curnlp.load()


def test_routing_evidence_text_is_parallel_to_the_codes(router):
    texts = ["<p>в г.Обоянь на ул. Войкова нет АСФАЛЬТА,&nbsp;одна грязь!!!</p>",
             "не горит фанарь во дворе дома 5 по ул. Сумской",
             "в д. Духовец Курского р-на нет воды третий день"]
    seen = set()
    for r in router.route_many(texts):
        d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
        # the machine codes stay [code, weight] pairs (the operator page and older consumers read them)
        assert all(len(pair) == 2 and isinstance(pair[1], float) for ev in d["evidence"].values() for pair in ev)
        assert set(d["evidence_text"]) == set(d["evidence"])
        for target, pairs in d["evidence"].items():
            readings = d["evidence_text"][target]
            assert readings == [readable(code, "topic") for code, _ in pairs]
            assert not any(t.startswith(("w:", "m:", "p:", "x:", "t")) for t in readings), readings
            seen.update(readings)
    assert "муниципалитет Обоянь" in seen and "слово «обоянь»" in seen


def test_operator_page_reads_the_russian_evidence():
    from importlib import resources
    script = resources.files("curnlp").joinpath("service/static/app.js").read_text(encoding="utf-8")
    assert "evidence_text" in script
