"""``curnlp serve`` started as a user would (``python -m curnlp serve`` on 127.0.0.1, a free
port), checked over HTTP: routing equals the library's, limits and errors are JSON, feedback
survives ``kill -9``, hot reload refuses a broken bundle, and the operator's page works in a
real headless Chromium."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="curnlp serve needs the 'serve' extra (fastapi, uvicorn, prometheus-client)")
pytest.importorskip("uvicorn", reason="curnlp serve needs the 'serve' extra")
pytest.importorskip("prometheus_client", reason="curnlp serve needs the 'serve' extra")

from service_helpers import REPO, TOKEN, Server  # noqa: E402

ADMIN = {"X-Admin-Token": TOKEN}
MESSAGES = [
    "На ул. Ленина в г. Курске огромная яма, машины ломают подвеску!!!",
    "<p>Не горят фонари на улице Союзной 71б, вечером темно</p>",
    "мусор не вывозят уже неделю ул союзная 27а контейнеры полные вонь",
    "ХОЛОДНО В КВАРТИРЕ, БАТАРЕИ ЧУТЬ ТЕПЛЫЕ, Железногорск, ул. Школьная",
    "Автобус 41 не ходит по расписанию, на остановке ждём по часу 😡",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    srv = Server("--no-entities", "--feedback-db", str(tmp / "feedback.db"), log=tmp / "server.log")
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def router():
    import curnlp
    # entities do not change labels or review reasons (the classifier does not read them)
    return curnlp.load(entities=False)


def corpus_texts(n: int) -> list[str]:
    path = os.environ.get("CURNLP_CORPUS")
    if not path or not Path(path).is_file():
        pytest.skip("set CURNLP_CORPUS to the Kursk appeals.csv to compare on corpus messages")
    import pandas as pd
    return pd.read_csv(path)["Текст Сообщения"].fillna("").astype(str).head(n).tolist()


def test_route_equals_the_library_on_corpus_messages(server, router):
    for text in corpus_texts(50) + MESSAGES:
        status, got = server.post("/route", {"text": text})
        assert status == 200, got
        want = router.route(text).to_dict()
        assert got["agency"] == want["agency"], text
        assert got["review_reasons"] == want["review_reasons"], text
        assert got["locations"] == want["locations"] and got["model"] == want["model"]


def test_route_many_of_a_thousand_messages_keeps_order(server, router):
    texts = corpus_texts(1000)
    status, got = server.post("/route_many", {"texts": texts}, timeout=300)
    assert status == 200, got
    routings = got["routings"]
    assert len(routings) == 1000
    for i in (0, 1, 63, 64, 65, 500, 999):  # across the service's chunks
        assert routings[i]["agency"] == router.route(texts[i]).to_dict()["agency"], i


def test_route_many_too_many_texts_is_refused_naming_the_field(server):
    status, got = server.post("/route_many", {"texts": ["яма на дороге"] * 1001})
    assert status == 422 and got["field"] == "texts" and got["error"] == "too_many_texts"


@pytest.mark.parametrize("raw, status, field", [
    (b'{"text": "\xd1\x8f\xd0\xbc\xd0\xb0', 400, "body"),            # cut JSON
    (b"not json at all", 400, "body"),
    (b'["a list", "not an object"]', 422, "body"),
    (b'{"text": 42}', 422, "text"),
    (b'{"txt": "\xd1\x8f\xd0\xbc\xd0\xb0"}', 422, "text"),           # missing field
    (b'{"text": "\xd1\x8f\xd0\xbc\xd0\xb0", "time": [1, 2]}', 422, "time"),
    (b'{"text": "\xd1\x8f\xd0\xbc\xd0\xb0", "time": "\xd0\xb2\xd1\x87\xd0\xb5\xd1\x80\xd0\xb0"}', 422, "time"),
])
def test_bad_input_is_a_json_error_naming_the_field(server, raw, status, field):
    got_status, got = server.post("/route", raw)
    assert got_status == status, got
    assert got["field"] == field and got["error"] and got["message"]
    assert "Traceback" not in json.dumps(got)


def test_route_many_wrong_item_type_names_its_position(server):
    status, got = server.post("/route_many", {"texts": ["яма", 3, "фонарь"]})
    assert status == 422 and got["field"] == "texts[1]"


def test_body_over_the_limit_is_413(server):
    payload = json.dumps({"text": "яма на дороге " * 80_000}, ensure_ascii=False).encode()
    assert len(payload) > 2_000_000
    status, got = server.post("/route", payload)
    assert status == 413 and got["error"] == "body_too_large" and got["field"] == "body"


@pytest.mark.parametrize("text, reason", [
    ("Hello, the street light near my house is broken", "not_russian"),
    ("   !!! 😡😡 ... 123", "no_words"),
    ("", "no_words"),
])
def test_unreadable_text_is_an_ordinary_routing_with_its_reason(server, text, reason):
    status, got = server.post("/route", {"text": text})
    assert status == 200 and reason in got["review_reasons"] and got["needs_review"] is True


def test_locate(server):
    status, got = server.post("/locate", {"text": "Яма у дома 5 по ул. Литейной, г. Льгов"})
    assert status == 200 and got["municipality"]["name"] == "Льгов"
    assert {loc["kind"] for loc in got["locations"]} >= {"street", "city"}
    status, got = server.post("/locate", {"text": "яма", "region": "нет-такого-региона"})
    assert status == 422 and got["field"] == "region"


def test_health_info_metrics_and_docs(server, router):
    status, health = server.get("/health")
    assert status == 200 and health["status"] == "ready" and health["model"] == router.id
    status, info = server.get("/info")
    assert status == 200 and info["model"] == router.id and info["targets"] == list(router.targets)
    assert info["region"]["name"] == "kursk" and info["entities"] is False
    assert 0 < info["promise"]["accuracy"] <= 1 and info["promise"]["threshold"] == router.review_threshold
    assert "Администрация города Курска" in info["labels"]["agency"]
    server.post("/route", {"text": "Hello world"})
    status, text = server.get("/metrics")
    assert status == 200
    assert 'curnlp_review_messages_total{reason="not_russian"}' in text
    assert 'curnlp_request_seconds_bucket{endpoint="/route"' in text
    assert "curnlp_routed_messages_total" in text
    status, spec = server.get("/openapi.json")
    assert status == 200 and {"/route", "/route_many", "/locate", "/feedback"} <= set(spec["paths"])
    status, page = server.get("/docs")
    assert status == 200 and "/openapi.json" in page and "http" not in page.split("<body>")[0].replace(
        'href="/', "")


def test_feedback_is_stored_and_exported(server, router):
    row = {"text": "Яма на ул. Ленина, д. 5", "model": router.id, "time": "15.03.2021",
           "labels": {"agency": "Комитет дорожного хозяйства города Курска", "group": "0"}}
    status, got = server.post("/feedback", row)
    assert status == 201 and got["stored"] is True
    status, got = server.post("/feedback", {"id": 1234, "labels": {"topic": "Аварийные деревья"}})
    assert status == 201 and got["model"] == router.id  # the serving bundle by default
    status, got = server.post("/feedback", {"text": "яма", "labels": {}})
    assert status == 422 and got["field"] == "labels"
    status, got = server.post("/feedback", {"labels": {"agency": "x"}})
    assert status == 422 and got["field"] == "text"
    assert server.get("/feedback/export")[0] == 401  # a token is set: export needs it
    status, text = server.get("/feedback/export", headers=ADMIN)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and list(rows[0]) == ["text", "topic", "group", "agency", "time", "model", "received_at",
                                               "message_id"]
    assert rows[-2]["agency"] == "Комитет дорожного хозяйства города Курска" and rows[-2]["group"] == "0"
    assert rows[-2]["time"] == "15.03.2021" and rows[-1]["message_id"] == "1234" and rows[-1]["text"] == ""


def test_admin_needs_the_token_and_a_broken_bundle_is_refused(server, router, tmp_path):
    assert server.post("/admin/reload", {})[0] == 401
    assert server.post("/admin/reload", {}, headers={"X-Admin-Token": "wrong"})[0] == 401
    broken = tmp_path / "broken"
    shutil.copytree(REPO / "models" / "kursk", broken)
    (broken / "predictor.joblib").write_bytes(b"not a pickle")
    status, got = server.post("/admin/reload", {"model": str(broken)}, headers=ADMIN)
    assert status == 409 and got["error"] == "reload_refused"
    assert server.post("/route", {"text": MESSAGES[0]})[0] == 200  # the old bundle keeps serving
    good = tmp_path / "good"
    shutil.copytree(REPO / "models" / "kursk", good)
    answers, stop = [], threading.Event()

    def keep_routing():  # requests during the swap must all be answered
        while not stop.is_set() and len(answers) < 500:
            answers.append(server.post("/route", {"text": MESSAGES[len(answers) % len(MESSAGES)]})[0])

    worker = threading.Thread(target=keep_routing)
    worker.start()
    try:
        status, got = server.post("/admin/reload", {"model": str(good)},
                                  headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        stop.set()
        worker.join(60)
    assert status == 200 and got["model"] == router.id and got["model_path"] == str(good)
    assert answers and set(answers) == {200}
    assert server.get("/info")[1]["model_path"] == str(good)


def test_admin_is_disabled_without_a_token_and_feedback_survives_kill_9(tmp_path):
    db = tmp_path / "feedback.db"
    first = Server("--no-entities", "--feedback-db", str(db), token=None, log=tmp_path / "first.log")
    try:
        first.wait_ready()
        assert first.post("/admin/reload", {})[1]["error"] == "admin_disabled"
        for i in range(5):
            status, _ = first.post("/feedback", {"text": f"Не вывозят мусор, ул. Мира {i}",
                                                 "labels": {"agency": "Региональный оператор"}})
            assert status == 201
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
    finally:
        first.stop()
    second = Server("--no-entities", "--feedback-db", str(db), token=None, log=tmp_path / "second.log")
    try:
        second.wait_ready()
        status, text = second.get("/feedback/export")  # no token set: open
        rows = list(csv.DictReader(io.StringIO(text)))
        assert status == 200 and [r["text"] for r in rows] == [f"Не вывозят мусор, ул. Мира {i}" for i in range(5)]
    finally:
        second.stop()
    from curnlp.service.feedback import read_feedback
    frame = read_feedback(db)
    assert len(frame) == 5 and set(frame["agency"]) == {"Региональный оператор"}


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_operator_page_in_headless_chromium(server, router):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (apt-get install chromium): the operator's page is not tested in a browser")
    text = "Огромная яма на ул. Ленина в г. Курске, машины ломают подвеску"
    want = router.route(text)
    from urllib.parse import urlencode
    url = f"{server.base}/?{urlencode({'text': text})}"
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=90)
    dom = done.stdout
    assert 'data-state="routed"' in dom, (done.returncode, done.stderr[-2000:], dom[-2000:])
    assert want.agency.label in dom
    assert '<mark class="loc" title="улица">ул. Ленина</mark>' in dom
    assert '<mark class="loc" title="город">г. Курске</mark>' in dom
