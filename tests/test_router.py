"""The public routing contract with the shipped model: route, route_many, load, Routing."""
import json
import shutil

import pytest

import curnlp
from curnlp import Prediction, Router, Routing
from curnlp.errors import CorruptModel, IncompatibleModel, InvalidInput, ModelNotFound
from curnlp.router import DEFAULT_MODEL

MESSAGES = [
    "<p>На ул. Ленина в Курске огромная яма,&nbsp;машины ломают колёса!!!</p>",
    "в д. Духовец Курского района третий день нет воды помогите",
    "НЕ ГОРЯТ ФОНАРИ НА УЛИЦЕ ЗАПАДНОЙ, ДЕТИ ХОДЯТ В ТЕМНОТЕ",
    "[club123|Администрация Льговского района] когда уберут свалку у дороги на Шерекино?",
    "Автобус 91 не пришёл утром, люди мерзнут на остановке по 40 минут 😡",
    "В поликлинике №5 невозможно записаться к терапевту, телефон не отвечает 8 (4712) 55-66-77",
]


@pytest.fixture(scope="module")
def router():
    return curnlp.load()


def test_route_returns_the_documented_contract(router):
    r = curnlp.route(MESSAGES[0])
    assert isinstance(r, Routing)
    for target in ("topic", "group", "agency"):
        p = getattr(r, target)
        assert isinstance(p, Prediction) and isinstance(p.label, str) and 0 < p.confidence <= 1
        assert all(isinstance(a, str) and 0 <= c <= p.confidence + 1e-9 for a, c in p.alternatives)
        assert p.label not in [a for a, _ in p.alternatives]
    assert r.municipality == "Курск"
    assert [(loc.kind, loc.normal) for loc in r.locations] == [("street", "улица Ленина"), ("city", "город Курск")]
    assert any(e.type == "LOC" and e.normal == "Курск" for e in r.entities)
    assert r.model == router.id and r.truncated is False
    assert isinstance(r.needs_review, bool)
    assert r.needs_review == (r.agency.confidence < router.review_threshold)
    assert r.review_reasons == (("low_confidence",) if r.needs_review else ())
    assert r.region == "Курская область" and r.outside is None
    assert r.group_name and r.group_name == router.region.groups[r.group.label]


def test_offsets_of_places_point_into_the_original(router):
    text = MESSAGES[0]
    for loc in router.route(text).locations:
        assert loc.text.replace(" ", "") in text[loc.start:loc.end].replace("&nbsp;", "").replace(" ", "")


def test_the_roads_message_goes_to_a_roads_topic_and_group(router):
    r = router.route(MESSAGES[0])
    assert "дорож" in r.topic.label.lower() or "ям" in r.topic.label.lower()
    assert r.group_name == "Дороги и дорожное хозяйство"
    assert any(w.endswith("яма") for w, _ in r.evidence["topic"])


def test_a_district_village_resolves_to_its_district(router):
    r = router.route(MESSAGES[1])
    assert r.municipality == "Курский район"


def test_group_agrees_with_topic(router):
    mapping = router.manifest["topic_to_group"]
    for r in router.route_many(MESSAGES):
        if r.topic.label in mapping:
            assert mapping[r.topic.label] == r.group.label


def test_to_dict_is_json_serializable_and_round_trips(router):
    d = router.route(MESSAGES[2]).to_dict()
    back = json.loads(json.dumps(d, ensure_ascii=False))
    assert back == d
    assert set(d) >= {"topic", "group", "agency", "needs_review", "municipality", "locations", "entities",
                      "evidence", "model", "truncated", "group_name", "review_reasons", "region", "outside"}
    assert back["agency"]["label"] == router.route(MESSAGES[2]).agency.label


def test_route_many_equals_route_one_by_one_and_is_deterministic(router):
    many = router.route_many(MESSAGES, batch_size=4)
    assert len(many) == len(MESSAGES)
    assert [m.to_dict() for m in many] == [router.route(t).to_dict() for t in MESSAGES]
    assert [m.to_dict() for m in router.route_many(MESSAGES)] == [m.to_dict() for m in many]


def test_fast_mode_skips_entities_only():
    fast = curnlp.load(entities=False)
    full = curnlp.load()
    for a, b in zip(fast.route_many(MESSAGES), full.route_many(MESSAGES)):
        assert a.entities == [] and a.agency == b.agency and a.topic == b.topic and a.locations == b.locations


@pytest.mark.parametrize("bad", [None, b"\xd0\xb9\xd0\xb0", 42, ["текст"]])
def test_non_text_raises_invalid_input(router, bad):
    with pytest.raises(InvalidInput, match=type(bad).__name__):
        router.route(bad)


@pytest.mark.parametrize("empty", ["", "   ", "<p>&nbsp;</p>", "!!! ??? ...", "\u200b\u200b"])
def test_nothing_to_route_is_a_flagged_routing(router, empty):
    r = router.route(empty)
    assert (r.topic, r.group, r.agency, r.municipality) == (None, None, None, None)
    assert r.needs_review and r.review_reasons == ("no_words",)


def test_route_many_keeps_bad_items_in_place_when_asked(router):
    out = router.route_many(["яма на дороге", None, "", "нет света в подъезде", 7], errors="return")
    assert isinstance(out[0], Routing) and isinstance(out[3], Routing)
    assert isinstance(out[1], InvalidInput) and "position 1" in str(out[1])
    assert isinstance(out[2], Routing) and out[2].review_reasons == ("no_words",)
    assert isinstance(out[4], InvalidInput) and "position 4" in str(out[4])
    with pytest.raises(InvalidInput, match="position 1"):
        router.route_many(["яма", None])
    with pytest.raises(InvalidInput):
        router.route_many("одна строка вместо списка")


def test_long_text_is_truncated_and_flagged():
    router = curnlp.load(entities=False, max_length=2000)
    text = "Во дворе дома 5 на улице Садовой не убирают мусор. " * 200
    r = router.route(text)
    assert r.truncated is True and r.agency is not None and "truncated" in r.review_reasons and r.needs_review
    assert router.route(text[:1500]).truncated is False


def test_save_and_load_route_identically(router, tmp_path):
    path = router.save(tmp_path / "copy")
    again = Router.load(path)
    assert again.id == router.id
    assert [r.to_dict() for r in again.route_many(MESSAGES)] == [r.to_dict() for r in router.route_many(MESSAGES)]


def test_tampered_or_missing_bundle(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(DEFAULT_MODEL, copy)
    with open(copy / "classifier.joblib", "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptModel, match="SHA-256"):
        curnlp.load(copy)
    with pytest.raises(ModelNotFound):
        curnlp.load(tmp_path / "nothing-here")


def test_incompatible_bundle_names_both_versions(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(DEFAULT_MODEL, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["scikit-learn"] = "1.0.2"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # routing reads the compiled predictor (numpy only): another scikit-learn does not matter to it
    router = curnlp.load(copy, entities=False)
    assert router.route("На ул. Ленина в Курске огромная яма").agency is not None
    # the scikit-learn classifier itself is refused, naming both versions
    with pytest.raises(IncompatibleModel, match="1.0.2"):
        router.classifier


def test_shipped_manifest_states_what_was_trained(router):
    m = router.manifest
    assert m["training"]["rows"] == 2403 and len(m["training"]["sha256"]) == 64
    assert set(m["labels"]) == {"topic", "group", "agency"}
    cv = m["metrics"]["cross_validation"]
    assert cv["agency"]["accuracy"] > 0.4 and cv["group"]["accuracy"] > 0.75
    assert 0 < m["review_threshold"] < 1


def test_cli_route_starts_without_pandas_or_scikit_learn(tmp_path):
    """`curnlp route` (the README's main job) builds only the light commands' parsers."""
    import subprocess
    import sys
    code = ("import sys; from curnlp.cli import main; rc = main(['route', '--no-entities', 'Яма на ул. Ленина в Курске']); "
            "print(rc, sorted(m for m in ('pandas', 'sklearn', 'scipy') if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["agency"]["label"]
    assert out.stderr.strip().splitlines()[-1] == "0 []"
    # the full parser still lists every command
    from curnlp.cli import build_parser
    help_text = build_parser().format_help()
    assert all(cmd in help_text for cmd in ("route", "score", "report", "incidents", "train", "compile"))


def test_route_many_without_evidence_decides_the_same(router):
    """evidence=False (batch scoring) skips the explanations, nothing else."""
    texts = ["<p>Огромная ЯМА на ул. Ленина, г. Курск</p>", "не горит фанарь во дворе дома 5 по ул. Сумской",
             "в д. Духовец Курского р-на нет воды третий день", "🙂🙂🙂"]
    full, bare = router.route_many(texts), router.route_many(texts, evidence=False)
    assert all(b.evidence == {} for b in bare)
    assert any(f.evidence for f in full)
    assert [{**f.to_dict(), "evidence": {}, "evidence_text": {}} for f in full] == [b.to_dict() for b in bare]


def test_without_entities_shares_the_model_and_leaves_the_router_as_it_is(router):
    """Evaluation and updates route for labels only; the router other threads use keeps its entities."""
    text = "Иванова Мария Петровна: на ул. Ленина в Курске огромная яма"
    fast = router.without_entities()
    assert fast is not router and router.entities and not fast.entities and fast.model is router.model
    assert fast.without_entities() is fast
    a, b = router.route(text), fast.route(text)
    assert a.entities and not b.entities
    assert (a.agency.label, a.agency.confidence, a.review_reasons) == (b.agency.label, b.agency.confidence, b.review_reasons)
