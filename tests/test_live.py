"""The live loop on generated archives: update = retrain, replay through update, drift
alarm near the reorganization, Chuvash routed, kept rows / base checked by hashes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import curnlp
from curnlp.errors import CorpusError
from live_archive import CHANGE, CHUVASH, make_archive

COLS = dict(text="text", topic="topic", group="group", agency="agency")


@pytest.fixture(scope="module")
def archive() -> pd.DataFrame:
    return make_archive(900, seed=0)


@pytest.fixture(scope="module")
def replayed(archive):
    import curnlp.live.update as upd
    calls = []
    real = upd.update

    def counting(*args, **kwargs):
        calls.append(len(args[1]))
        return real(*args, **kwargs)
    upd.update = counting
    try:
        result = curnlp.replay(archive, **COLS, time="date", every="1M", start=0.3)
    finally:
        upd.update = real
    return result, calls


def test_update_equals_a_full_retrain(archive):
    a, b = archive.iloc[:400], archive.iloc[400:500]
    router = curnlp.train(a, **COLS, time="date", folds=0, forward_folds=0)
    updated = router.update(b, base=a)
    full = curnlp.train(pd.concat([a, b]), **COLS, time="date", folds=0, forward_folds=0)
    probe = archive.text.iloc[500:560].tolist()
    got = [r.agency for r in updated.route_many(probe)]
    want = [r.agency for r in full.route_many(probe)]
    assert [g.label for g in got] == [w.label for w in want]
    assert np.allclose([g.confidence for g in got], [w.confidence for w in want])
    lineage = updated.manifest["lineage"]
    assert lineage["parent"] == router.id and lineage["rows_added"] == 100 and lineage["rows_total"] == 500
    assert lineage["added_time_range"] == [b.date.min(), b.date.max()]


def test_base_is_checked_against_the_row_hashes(archive):
    a = archive.iloc[:300]
    router = curnlp.train(a, **COLS, time="date", folds=0, forward_folds=0)
    with pytest.raises(CorpusError, match="not the archive"):
        router.update(archive.iloc[300:350], base=archive.iloc[50:300])
    with pytest.raises(CorpusError, match="keep"):
        router.update(archive.iloc[300:350])


def test_kept_rows_go_into_the_bundle(archive, tmp_path):
    from curnlp.live import keep_rows
    a = archive.iloc[:300]
    router = keep_rows(curnlp.train(a, **COLS, time="date", folds=0, forward_folds=0), a)
    path = router.save(tmp_path / "b1")
    assert "rows.joblib" in router.manifest["files"]
    loaded = curnlp.load(path, entities=False)
    updated = loaded.update(archive.iloc[300:360])  # no base: the bundle has its rows
    assert updated.manifest["lineage"]["rows_total"] == 360 and updated.manifest["training"]["keeps_rows"]
    path2 = updated.save(tmp_path / "b2")
    assert "rows.joblib" in curnlp.load(path2, entities=False, warm_up=False).manifest["files"]


def test_replay_goes_through_update(replayed, archive):
    result, calls = replayed
    n0 = result.summary["trained_on_first"]
    assert len(calls) == result.summary["updates"] > 50
    assert sum(calls) + n0 + result.summary["blocks"][-1]["rows"] == len(archive)
    assert sum(r is None for r in result.routings) == n0 and len(result.routings) == len(archive)


def test_alarm_near_the_reorganization_and_rarely_elsewhere(replayed, archive):
    result, _ = replayed
    alarms = [a for a in result.summary["alarms"] if a["agency"] is None]
    dates = pd.to_datetime(archive.date)
    order = result.order
    change_pos = int(np.sum(dates.iloc[order[result.summary["trained_on_first"]:]] < pd.Timestamp(CHANGE)))
    near = [a for a in alarms if 0 <= a["position"] - change_pos <= 30]
    assert near, (alarms, change_pos)
    assert len(alarms) - len(near) <= 1
    assert abs(near[0]["change_time"] - pd.Timestamp(CHANGE).timestamp()) <= 40 * 86400


def test_flagged_convention_changed_then_recovers(replayed, archive):
    result, _ = replayed
    reasons = [r.review_reasons for r in result.routings if r is not None]
    assert any("convention_changed" in rr for rr in reasons)
    after = [i for i in result.order if result.routings[i] is not None and archive.date.iloc[i] >= "2020-06-01"]
    ok = np.mean([result.routings[i].agency is not None and result.routings[i].agency.label == archive.agency.iloc[i]
                  for i in after])
    assert ok >= 0.85


def test_chuvash_is_routed_not_withheld(replayed, archive):
    result, _ = replayed
    chuvash = [i for i in range(len(archive)) if result.routings[i] is not None and "урам" in archive.text.iloc[i]
               and any(c in archive.text.iloc[i] for c in "ӑӗҫӳ")]
    assert len(chuvash) > 30
    assert not any("not_russian" in result.routings[i].review_reasons for i in chuvash)
    right = np.mean([result.routings[i].topic.label == "Таблички" for i in chuvash])
    assert right >= 0.9


def test_a_model_without_chuvash_withholds_it(archive):
    router = curnlp.train(make_archive(300, chuvash=0.0, seed=5), **COLS, folds=0)
    r = router.route(CHUVASH[0].format(s="Ленина"))
    assert "not_russian" in r.review_reasons and r.agency is None
    learned = curnlp.train(archive.iloc[:400], **COLS, folds=0)
    assert "cv" in learned.languages and learned.manifest["languages"]["cv"] >= 20
    r = learned.route(CHUVASH[0].format(s="Ленина"))
    assert "not_russian" not in r.review_reasons and r.topic.label == "Таблички"


def test_summary_plot_and_html(replayed, tmp_path):
    result, _ = replayed
    agency = result.summary["targets"]["agency"]
    assert set(agency["overall"]) >= {"accuracy", "top3", "unflagged", "unflagged_accuracy"}
    page = result.to_html(str(tmp_path / "replay.html"))
    assert "<img" in page and (tmp_path / "replay.html").exists()


def test_a_detected_change_starts_a_period_at_once(archive):
    dates = pd.to_datetime(archive.date)
    cut = int((dates < pd.Timestamp(CHANGE)).sum()) + 12  # a dozen rows of the new names
    probe = archive.iloc[cut:cut + 100]
    accuracy = {}
    for name, opts in (("plain", {}), ("cut", {"change_times": (pd.Timestamp(CHANGE).timestamp(),)})):
        router = curnlp.train(archive.iloc[:cut], **COLS, time="date", folds=0, forward_folds=0, **opts)
        routed = router.route_many(probe.text.tolist(), times=probe.date.tolist())
        accuracy[name] = np.mean([r.agency.label == a for r, a in zip(routed, probe.agency)])
        if name == "cut":
            assert router.manifest["time"]["periods"][-1]["start"] == CHANGE
    assert accuracy["cut"] >= 0.5 and accuracy["cut"] >= accuracy["plain"] + 0.3, accuracy


def test_a_convention_that_comes_back_is_recognized():
    data = make_archive(900, seed=2, revert="2021-07-01")
    after = None
    accuracy = {}
    for name, switch in (("switch", 10), ("relearn", 10 ** 9)):
        result = curnlp.replay(data, **COLS, time="date", every=80, start=0.3, switch_after=switch)
        rows = [i for i in result.order if data.date.iloc[i] >= "2021-07-01"][:60]
        after = rows
        accuracy[name] = np.mean([result.routings[i].agency.label == data.agency.iloc[i] for i in after])
    assert accuracy["switch"] >= accuracy["relearn"] + 0.1 and accuracy["switch"] >= 0.6, accuracy


def test_cli_update_and_replay(archive, tmp_path, capsys):
    from curnlp.cli import main
    a, b = archive.iloc[:300], archive.iloc[300:360]
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    curnlp.train(a, **COLS, time="date", folds=0, forward_folds=0).save(tmp_path / "m")
    assert main(["update", str(tmp_path / "m"), str(tmp_path / "b.csv"), "-o", str(tmp_path / "m2")]) == 1
    assert "base" in capsys.readouterr().err  # no kept rows and no base: says what to pass
    assert main(["update", str(tmp_path / "m"), str(tmp_path / "b.csv"), "-o", str(tmp_path / "m2"),
                 "--base", str(tmp_path / "a.csv")]) == 0
    assert curnlp.load(tmp_path / "m2", entities=False, warm_up=False).manifest["lineage"]["rows_total"] == 360
    small = archive.iloc[::3]
    small.to_csv(tmp_path / "s.csv", index=False)
    assert main(["replay", str(tmp_path / "s.csv"), "--text-column", "text", "--agency-column", "agency",
                 "--time-column", "date", "--every", "50", "--start", "0.5", "--quiet"]) == 0
    assert '"agency"' in capsys.readouterr().out


def test_alarm_state_carries_over_in_the_bundle(archive, tmp_path):
    from curnlp.live import Monitor, keep_rows
    a = archive.iloc[:300]
    router = keep_rows(curnlp.train(a, **COLS, time="date", folds=0, forward_folds=0), a)
    router.monitor = Monitor()
    for _ in range(10):  # confidently wrong, unflagged
        router.monitor.observe("Комитет ЖКХ города", "Министерство культуры", flagged=False)
    assert router.monitor.alarm
    updated = router.update(archive.iloc[300:310])  # 10 rows: not enough to catch up
    loaded = curnlp.load(updated.save(tmp_path / "u"), entities=False, warm_up=False)
    r = loaded.route("Третий день нет воды в доме 5 по ул. Ленина")
    assert "convention_changed" in r.review_reasons and r.needs_review


def test_update_reads_the_services_feedback_store(archive, tmp_path):
    """Operators' final labels stored by `curnlp serve` (SQLite) feed `curnlp update` directly,
    their generic columns named as the bundle was trained."""
    from curnlp.cli import main
    from curnlp.service.feedback import FeedbackStore
    names = {"text": "Текст", "topic": "Тема", "group": "Группа", "agency": "Исполнитель", "date": "Дата"}
    a = archive.iloc[:300].rename(columns=names)
    bundle = curnlp.train(a, text="Текст", topic="Тема", group="Группа", agency="Исполнитель", time="Дата",
                          folds=0, forward_folds=0).save(tmp_path / "b")
    a.to_csv(tmp_path / "base.csv", index=False)
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    for row in archive.iloc[300:340].itertuples():
        store.add(text=row.text, labels={"topic": row.topic, "group": row.group, "agency": row.agency},
                  model="b", time=str(row.date))
    assert main(["update", str(bundle), str(tmp_path / "feedback.sqlite"), "--base", str(tmp_path / "base.csv"),
                 "-o", str(tmp_path / "b2")]) == 0
    lineage = curnlp.load(tmp_path / "b2", entities=False, warm_up=False).manifest["lineage"]
    assert lineage["rows_added"] == 40 and lineage["rows_total"] == 340
