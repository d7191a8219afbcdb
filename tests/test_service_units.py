"""The service's parts without a server: the feedback store, the reload state file, the
accuracy promise of ``/info``; and ``--workers 2`` following SIGHUP."""
from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

from curnlp.service.feedback import COLUMNS, FeedbackStore, read_feedback
from curnlp.service.holder import ModelHolder, read_state, write_state


def test_feedback_store_is_wal_and_reads_back_as_a_frame(tmp_path):
    db = tmp_path / "sub" / "labels.db"
    store = FeedbackStore(db)
    store.add(text="Яма на ул. Ленина!!!", labels={"agency": "Комитет дорожного хозяйства города Курска",
                                                  "topic": None, "group": "0"}, model="abc", time="2021-03-15")
    store.add(text=None, labels={"topic": "Аварийные деревья"}, model="abc", message_id="77")
    assert store.count() == 2
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    frame = read_feedback(db)  # while the writer is still open, as the live loop would
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 2
    assert frame.loc[0, "group"] == "0" and frame.loc[0, "time"] == "2021-03-15" and frame.loc[1, "message_id"] == "77"
    chunks = "".join(store.csv_chunks(batch=1))
    assert chunks.splitlines()[0] == ",".join(COLUMNS) and len(chunks.splitlines()) == 3
    store.close()


def test_read_feedback_of_a_missing_store_is_an_error_not_an_empty_frame(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_feedback(tmp_path / "nope.db")
    sqlite3.connect(tmp_path / "empty.db").close()
    assert list(read_feedback(tmp_path / "empty.db").columns) == list(COLUMNS)


def test_state_file_generations(tmp_path):
    path = str(tmp_path / "state.json")
    assert read_state(path) is None
    assert write_state(path, "/models/a", generation=0) == 0
    assert write_state(path, "/models/b") == 1 and read_state(path)["model"] == "/models/b"
    (tmp_path / "state.json").write_text("{broken")
    assert read_state(path) is None  # a half-written or foreign file changes nothing


def test_holder_refuses_a_broken_bundle_and_follows_a_good_one(tmp_path):
    from curnlp.service.holder import ReloadRefused
    state = str(tmp_path / "state.json")
    write_state(state, None, generation=0)
    holder = ModelHolder(None, entities=False, state_path=state)
    holder.load_initial()
    assert holder.ready and holder.error is None
    old = holder.router
    with pytest.raises(ReloadRefused):
        holder.reload(str(tmp_path / "missing"))
    assert holder.router is old and holder.generation == 0
    write_state(state, str(tmp_path / "missing"))  # another worker published a bundle we cannot load
    assert holder.follow() is False and holder.router is old and holder.generation == 1
    write_state(state, None)
    assert holder.follow() is True and holder.router is not old and holder.generation == 2


def test_promise_prefers_the_manifest_promise():
    pytest.importorskip("fastapi")
    from curnlp.service.app import promise_of
    manifest = {"review_threshold": 0.79, "review_accuracy": 0.85, "review_target": "agency"}
    assert promise_of(manifest) == {"source": "review threshold", "target": "agency", "threshold": 0.79,
                                    "accuracy": 0.85}
    promised = {**manifest, "metrics": {"promise": {"accuracy": 0.9, "coverage": 0.3}}}
    assert promise_of(promised)["accuracy"] == 0.9 and promise_of(promised)["source"] == "manifest promise"


def test_two_workers_follow_sighup(tmp_path):
    pytest.importorskip("fastapi")
    from service_helpers import Server
    srv = Server("--no-entities", "--workers", "2", "--feedback-db", str(tmp_path / "f.db"),
                 log=tmp_path / "server.log")
    try:
        srv.wait_ready()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both workers loaded: 10 answers in a row say ready
            if all(srv.get("/health")[0] == 200 for _ in range(10)):
                break
            time.sleep(0.2)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        generations = []
        while time.monotonic() < deadline:
            # a worker still loading its first bundle answers 503 not_ready: not there yet
            answers = [srv.get("/info") for _ in range(10)]
            assert all(status in (200, 503) for status, _ in answers), answers
            generations = [body["generation"] if status == 200 else -1 for status, body in answers]
            if min(generations) >= 1:
                break
            time.sleep(0.2)
        assert min(generations) >= 1, (generations, srv.log_text())
        status, got = srv.post("/route", {"text": "Не горят фонари на ул. Ленина"})
        assert status == 200 and got["agency"], json.dumps(got, ensure_ascii=False)
    finally:
        srv.stop()
    assert srv.proc.returncode == 0, srv.log_text()


def test_the_shared_socket_of_workers_is_tcp_so_asyncio_turns_off_nagle():
    # asyncio sets TCP_NODELAY only when sock.proto is IPPROTO_TCP; without it every answer
    # of a multi-worker service waited for the client's delayed ACK
    import socket
    from curnlp.service.config import ServeConfig
    from curnlp.service.server import _bind
    sock = _bind(ServeConfig(host="127.0.0.1", port=0))
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
