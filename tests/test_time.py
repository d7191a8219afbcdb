"""Time-aware training and routing: a synthetic archive whose road messages go to an umbrella
administration until 1 June 2021 and to the road committee after; dates in several formats;
forward-in-time cross-validation; unreadable dates."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

import curnlp
from curnlp.corpus import parse_times
from curnlp.errors import CorpusError, InvalidInput
from curnlp.training import cross_validate, forward_splits

UMBRELLA = "Администрация города Курска"
ROADS = "Комитет дорожного хозяйства города Курска"
LIGHT = "Комитет городского хозяйства города Курска"
HOUSING = "Государственная жилищная инспекция Курской области"
SWITCH = dt.datetime(2021, 6, 1)

STREETS = ["ул. Ленина", "улице Дзержинского", "пр-те Победы", "ул. Карла Маркса у д. 12", "улице Радищева",
           "ул.Сумской", "перекрёстке Белгородской и Кирова", "Хуторской улице"]
ROAD = ["Огромная яма на дороге по {s}, машины бьют колёса!!!", "<p>Разбит асфальт на {s}, после дождя лужи</p>",
        "ПРОВАЛ на проезжей части {s}, просим заделать ямы", "ямы на дороге {s} уже год не ремонтируют",
        "Дорогу на {s} размыло, асфальт разбит, ямы по колено", "Прошу отремонтировать дорожное покрытие на {s}"]
LAMP = ["Не горит уличное освещение на {s}, вечером темно", "фонари на {s} не работают третью неделю",
        "<b>Темно!</b> Не работает наружное освещение {s}", "Опора освещения на {s} без лампы, прошу заменить"]
HOUSE = ["Управляющая компания не убирает подъезд дома на {s}", "В доме на {s} течёт крыша, УК не реагирует",
         "Управляйка не чинит лифт в доме на {s} второй месяц", "Протекает кровля в доме на {s}, заявки игнорируют"]


def archive(n: int = 300, seed: int = 0, date_format: str = "%Y-%m-%d") -> pd.DataFrame:
    """Messages from Jan 2021 to Dec 2021; roads → umbrella before SWITCH, committee after."""
    rnd = random.Random(seed)
    start = dt.datetime(2021, 1, 1)
    rows = []
    for i in range(n):
        when = start + dt.timedelta(days=364 * i / n, hours=rnd.randrange(8, 20))
        kind = rnd.choice(["road", "road", "lamp", "house"])
        street = rnd.choice(STREETS)
        template = rnd.choice({"road": ROAD, "lamp": LAMP, "house": HOUSE}[kind])
        agency = {"road": UMBRELLA if when < SWITCH else ROADS, "lamp": LIGHT, "house": HOUSING}[kind]
        rows.append({"Дата": when.strftime(date_format), "Текст обращения": template.format(s=street),
                     "Исполнитель": agency})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)  # not in time order


@pytest.fixture(scope="module")
def router():
    return curnlp.train(archive(), text="Текст обращения", agency="Исполнитель", time="Дата", folds=0)


ROAD_MESSAGE = "Здравствуйте! На ул. Щепкина огромная ЯМА на дороге, вчера пробил колесо, прошу заделать"


def test_routes_with_the_new_convention_by_default(router):
    routing = router.route(ROAD_MESSAGE)
    assert routing.agency.label == ROADS
    # messages the change did not touch keep their agency
    assert router.route("на ул. Щепкина не горит фонарь, темно вечером").agency.label == LIGHT


def test_routes_as_of_an_old_date_with_the_old_convention(router):
    assert router.route(ROAD_MESSAGE, time="15.03.2021").agency.label == UMBRELLA
    assert router.route(ROAD_MESSAGE, time=dt.date(2021, 3, 15)).agency.label == UMBRELLA
    assert router.route(ROAD_MESSAGE, time="2021-11-02T10:00:00").agency.label == ROADS
    out = router.route_many([ROAD_MESSAGE] * 3, times=["2021-02-01", None, "01.10.2021 09:30"])
    assert [r.agency.label for r in out] == [UMBRELLA, ROADS, ROADS]
    with pytest.raises(InvalidInput):
        router.route(ROAD_MESSAGE, time="в прошлом году")
    with pytest.raises(InvalidInput):
        router.route_many([ROAD_MESSAGE], times=["2021-02-01", "2021-02-02"])


def test_manifest_names_the_periods_and_the_labels_they_affect(router):
    info = router.manifest["time"]
    assert info["column"] == "Дата" and info["kind"] == "datetime"
    assert info["first"].startswith("2021-01-01") and info["last"].startswith("2021-12")
    periods = info["periods"]
    assert len(periods) >= 2
    starts = [pd.Timestamp(p["start"]) for p in periods[1:]]
    # one boundary within three weeks of the switch
    assert min(abs((s - pd.Timestamp(SWITCH)).days) for s in starts) <= 21
    first, last = periods[0], periods[-1]
    assert first["labels"].get(UMBRELLA, 0) > 0.2 and UMBRELLA in last["labels"] and last["labels"][UMBRELLA] < 0.05
    assert sum(p["rows"] for p in periods) == 300
    # the review threshold was chosen on forward-in-time held-out predictions
    assert router.manifest["review_chosen_on"] == "forward"
    assert router.manifest["metrics"]["forward"]["agency"]["n"] > 0


def test_saved_bundle_keeps_the_periods(router, tmp_path):
    router.save(tmp_path / "bundle")
    loaded = curnlp.load(tmp_path / "bundle", warm_up=False)
    assert loaded.route(ROAD_MESSAGE).agency.label == ROADS
    assert loaded.route(ROAD_MESSAGE, time="2021-02-10").agency.label == UMBRELLA


def test_without_a_time_column_nothing_changes():
    plain = curnlp.train(archive(), text="Текст обращения", agency="Исполнитель", folds=0)
    assert "time" not in plain.manifest and plain.classifier.periods_ is None
    # the time is accepted and has no effect
    assert plain.route(ROAD_MESSAGE, time="2021-02-10").agency == plain.route(ROAD_MESSAGE).agency


def test_unreadable_dates_name_the_rows():
    data = archive(60)
    data.loc[3, "Дата"] = "вчера вечером"
    data.loc[7, "Дата"] = ""
    with pytest.raises(CorpusError) as err:
        curnlp.train(data, text="Текст обращения", agency="Исполнитель", time="Дата", folds=0)
    message = str(err.value)
    assert "'Дата'" in message and "row 4 ('вчера вечером')" in message and "row 8 ('')" in message
    with pytest.raises(CorpusError, match="Датa|column"):
        curnlp.train(archive(60), text="Текст обращения", agency="Исполнитель", time="Датa", folds=0)


@pytest.mark.parametrize("values, kind", [
    (["15.03.2021", "16.03.2021 10:30", "2021-03-17", "2021-03-17T08:00:00+03:00"], "datetime"),
    (["15/03/2021", "1/4/2021"], "datetime"),
    ([dt.datetime(2021, 3, 15, 9), pd.Timestamp("2021-03-16")], "datetime"),
    (["2675", "12", 3000, 7.5], "number"),
])
def test_parse_times_formats(values, kind):
    parsed, got = parse_times(values)
    assert got == kind and np.isfinite(parsed).all()
    if kind == "datetime" and isinstance(values[0], str):
        assert parsed[0] < parsed[1]  # day first: 15.03 before 16.03 / 01.04


def test_parse_times_reads_day_first():
    (march, april), _ = parse_times(["01.04.2021", "02.03.2021"])
    assert april < march  # 2 March is before 1 April


def test_forward_cross_validation_trains_on_the_past_only():
    times = np.array([5, 1, 3, 2, 4, 9, 8, 7, 6, 10] * 3, dtype=float)
    for train_idx, test_idx in forward_splits(times, folds=3, test_size=0.1):
        assert times[train_idx].max() <= times[test_idx].min()
    report = cross_validate(archive(), text="Текст обращения", agency="Исполнитель", time="Дата",
                            scheme="forward", folds=2, test_size=0.2)
    agency = report.metric("accuracy", "agency")
    assert report.info["kind"] == "forward cross-validation" and report.targets["agency"].n == 120
    # the latest 40% are all after the switch, and the model routes with the latest convention
    assert agency > 0.9
    assert report.metric("top3_accuracy", "agency") >= agency
    assert report.shares is not None and UMBRELLA in report.shares.columns
    fig = report.plot_shares()
    assert fig.axes
    with pytest.raises(CorpusError, match="time"):
        cross_validate(archive(), text="Текст обращения", agency="Исполнитель", scheme="forward")


def test_grouped_cross_validation_with_time_predicts_each_message_as_of_its_time():
    report = cross_validate(archive(), text="Текст обращения", agency="Исполнитель", time="Дата", folds=3)
    plain = cross_validate(archive(), text="Текст обращения", agency="Исполнитель", folds=3)
    # road messages before the switch can only be right when the model knows the period
    assert report.metric("accuracy", "agency") > plain.metric("accuracy", "agency") + 0.1


def test_detect_periods_finds_an_umbrella_stretch_and_nothing_in_a_stable_archive():
    from curnlp.features import detect_periods, period_of
    rnd = np.random.default_rng(0)
    t = np.arange(1200, dtype=float)
    y = rnd.choice([ROADS, LIGHT, HOUSING], size=1200, p=[0.5, 0.3, 0.2]).astype(object)
    stable = detect_periods(t, y)
    assert len(stable) == 1 and stable[0].rows == 1200 and stable[0].labels == {}
    y[(t >= 400) & (t < 800) & (y == ROADS)] = UMBRELLA  # roads go to the umbrella for a while
    periods = detect_periods(t, y)
    # three stretches; a block that straddles a change may stay a short period of its own
    assert 3 <= len(periods) <= 5 and sum(p.rows for p in periods) == 1200
    assert all(min(abs(p.start - 400), abs(p.start - 800)) <= 60 for p in periods[1:])
    for when in (100.0, 1100.0):
        assert periods[int(period_of([when], periods, 1)[0])].labels.get(UMBRELLA, 0.0) < 0.05
    middle = periods[int(period_of([600.0], periods, 1)[0])]
    assert middle.labels[UMBRELLA] > 0.3 and middle.labels[ROADS] < 0.1
    assert period_of(None, periods, 2).tolist() == [len(periods) - 1] * 2
    assert period_of([-5.0, 1e9], periods, 2).tolist() == [0, len(periods) - 1]


def test_recalibration_lowers_confidence_but_keeps_the_decisions(router):
    clf = router.classifier
    messages = [ROAD_MESSAGE, "не горит фонарь во дворе", "течёт крыша, УК молчит"]
    recs = [router.route(m).agency for m in messages]
    before = router.route_many(messages)
    saved = dict(clf.recalibration_)
    try:
        clf.recalibrate("agency", np.array([0.9] * 50 + [0.95] * 50), np.array([True, False] * 50))
        # a Router routes with a compiled snapshot of its classifier: the change needs a new one
        assert [r.to_dict() for r in router.route_many(messages)] == [r.to_dict() for r in before]
        after = curnlp.Router(clf, router.manifest, region=router.region, entities=False).route_many(messages)
        assert [a.agency.label for a in after] == [b.agency.label for b in before] == [r.label for r in recs]
        # held-out data said: 90-95% confident, half right -> confidences near one half at most
        assert all(a.agency.confidence < 0.6 for a in after)
        assert any(a.agency.confidence < b.agency.confidence for a, b in zip(after, before))
    finally:
        clf.recalibration_ = saved


def test_cli_train_and_evaluate_with_a_time_column(tmp_path, capsys):
    from curnlp import cli
    data = archive(date_format="%d.%m.%Y %H:%M")
    path = tmp_path / "archive.csv"
    data.to_csv(path, sep=";", index=False, encoding="cp1251")
    out = tmp_path / "bundle"
    assert cli.main(["train", str(path), "--text-column", "Текст обращения", "--agency-column", "Исполнитель",
                     "--time-column", "дата", "--folds", "0", "-o", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "forward-in-time accuracy" in err and "period " in err
    loaded = curnlp.load(out, warm_up=False)
    assert loaded.manifest["time"]["column"] == "Дата"
    assert loaded.route(ROAD_MESSAGE, time="10.02.2021").agency.label == UMBRELLA
    html = tmp_path / "report.html"
    assert cli.main(["evaluate", str(out), str(path), "--text-column", "Текст обращения", "--agency-column",
                     "Исполнитель", "--time-column", "Дата", "--html", str(html), "--quiet"]) == 0
    assert "Метки во времени" in html.read_text(encoding="utf-8")  # the report is Russian
    data.loc[5, "Дата"] = "31.13.2021"
    data.to_csv(path, sep=";", index=False, encoding="cp1251")
    assert cli.main(["train", str(path), "--text-column", "Текст обращения", "--agency-column", "Исполнитель",
                     "--time-column", "Дата", "--folds", "0", "-o", str(out), "--quiet"]) == 1
    assert "row 6 ('31.13.2021')" in capsys.readouterr().err


def test_score_routes_each_row_as_of_its_time(router, tmp_path):
    """curnlp score --time-column: old rows by the old convention, empty = now, a bad date
    costs its own row only; the summary counts it as failed."""
    from curnlp.batch import score_file
    router.save(tmp_path / "bundle")
    rows = pd.DataFrame({"Дата": ["15.03.2021", "", "2021-11-02", "в прошлом году", "01.02.2021 10:00"],
                         "Текст обращения": [ROAD_MESSAGE] * 5})
    src = tmp_path / "in.csv"
    rows.to_csv(src, index=False)
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}.csv"
        summary = score_file(src, out, router=str(tmp_path / "bundle"), time_column="Дата", progress=False,
                             jobs=jobs, entities=False, chunk_size=2)
        scored = pd.read_csv(out, keep_default_na=False)
        assert list(scored["agency"]) == [UMBRELLA, ROADS, ROADS, "", UMBRELLA]
        assert scored["error"][3] and not any(scored["error"][i] for i in (0, 1, 2, 4))
        assert (summary.rows_read, summary.failed) == (5, 1)
    with pytest.raises(CorpusError, match="time column"):
        score_file(src, tmp_path / "x.csv", router=str(tmp_path / "bundle"), time_column="Когда", progress=False)


def test_a_blank_time_means_now_in_the_router_as_in_batch_scoring(router):
    """An empty cell of a time column (None, NaN, '', spaces) routes as of now."""
    now = router.route(ROAD_MESSAGE)
    assert router.route(ROAD_MESSAGE, time="  ") == now == router.route(ROAD_MESSAGE, time=float("nan"))
    assert router.route_many([ROAD_MESSAGE] * 3, times=["", None, "\t"]) == [now] * 3
    with pytest.raises(InvalidInput, match="not a date"):
        router.route(ROAD_MESSAGE, time="вчера вечером")
