"""Retraining on a small archive with other column names: group+agency and agency only, with a
region pack of our own and without any; evaluation, reports, saved bundles and the CLI."""
from __future__ import annotations

import html.parser
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import curnlp
from curnlp import cli
from curnlp.errors import CorpusError
from curnlp.training import Report

TEXT, GROUP, AGENCY = "Текст обращения", "Категория", "Исполнитель"

# Two towns of an imaginary region pack; roads and yards go to the town's administration,
# health and schools to regional ministries, housing to the housing inspectorate.
TOWNS = {"Старый Оскол": ("в Старом Осколе", "Старооскольского", "Администрация Старооскольского округа"),
         "Губкин": ("в Губкине", "Губкинского", "Администрация Губкинского округа")}
PLACES = ["на улице Ленина", "на улице Мира у дома 12", "возле остановки на проспекте Молодёжи",
          "в микрорайоне Жукова", "около рынка на улице Революционной", "на перекрёстке улиц Ватутина и Советской"]
SUBJECTS = {
    "Дороги": ["Огромная яма на дороге {place} {town}, машины бьют колёса, просим заделать",
               "Разбит асфальт {place} {town}, после дождя лужи по колено",
               "Не работает светофор {place} {town}, пешеходы переходят с риском для жизни",
               "Провал на проезжей части {place} {town}, уже две аварии за неделю"],
    "Здравоохранение": ["Невозможно записаться к терапевту в поликлинику {town}, телефон регистратуры не отвечает",
                        "В больнице {town} нет лекарств для льготников, отправляют покупать самим",
                        "Скорая помощь ехала к пожилой маме больше часа, живём {place} {town}",
                        "Нет врача-педиатра в детской поликлинике {town} уже третий месяц"],
    "Образование": ["В школе {place} {town} холодно в классах, дети сидят в куртках",
                    "Не хватает мест в детском саду {town}, очередь не двигается два года",
                    "В школьной столовой {town} кормят холодной едой, родители возмущены",
                    "Школьный автобус {town} не приходит по утрам, дети опаздывают на уроки"],
    "ЖКХ": ["Управляющая компания не убирает подъезд {place} {town}, грязь и мусор",
            "Течёт крыша в доме {place} {town}, УК не реагирует на заявки",
            "Нет горячей воды в доме {place} {town} вторую неделю, управляющая компания молчит",
            "Завышены начисления за отопление в квитанции, дом {place} {town}"],
}
AGENCIES = {"Здравоохранение": "Министерство здравоохранения области",
            "Образование": "Министерство образования области",
            "ЖКХ": "Государственная жилищная инспекция области"}


def archive() -> pd.DataFrame:
    """96 messages: 4 groups × 2 towns × 12 (4 templates × 3 places)."""
    rows = []
    for group, templates in SUBJECTS.items():
        for town, (locative, _, administration) in TOWNS.items():
            for k in range(12):
                place = PLACES[(k + len(group)) % len(PLACES)]
                text = templates[k % 4].format(place=place, town=locative)
                if k % 3 == 1:
                    text = text.replace(", с", ". С").replace(", п", ". П") + " Примите меры!"
                agency = administration if group == "Дороги" else AGENCIES[group]
                rows.append({"№": len(rows) + 1, TEXT: text, GROUP: group, AGENCY: agency})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return archive()


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """A region pack of our own, written the way docs/new_region.md tells."""
    path = tmp_path_factory.mktemp("region") / "oskol.json"
    pack = {"format": "curnlp-region/1", "name": "oskol", "title": "Тестовая область",
            "region": {"name": "Белгородская область", "adjective": "Белгородская"},
            "municipalities": [{"id": town, "name": town, "kind": "urban_okrug", "administration": admin}
                               for town, (_, _, admin) in TOWNS.items()],
            "groups": {"Дороги": "Дороги и транспорт"}}
    path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def split(data):
    test = data.index % 5 == 0
    return data[~test].reset_index(drop=True), data[test].reset_index(drop=True)


@pytest.fixture(scope="module")
def router(split, pack):
    train_rows, _ = split
    return curnlp.train(train_rows, text=TEXT, group=GROUP, agency=AGENCY, region=pack, folds=3)


def test_group_and_agency_with_a_region_pack(router, pack):
    assert router.targets == ("group", "agency")
    assert router.region.name == "oskol"
    manifest = router.manifest
    assert manifest["region"] == "oskol" and manifest["region_pack"]["name"] == "oskol"
    assert manifest["training"]["columns"] == {"text": TEXT, "group": GROUP, "agency": AGENCY}
    assert manifest["training"]["municipality_resolved"] > 0.9
    assert set(manifest["metrics"]["cross_validation"]) == {"group", "agency"}
    r = router.route("Яма на дороге на улице Мира в Губкине, просим заделать")
    assert r.topic is None
    assert r.municipality == "Губкин"
    assert r.group.label == "Дороги" and r.group_name == "Дороги и транспорт"
    assert r.agency.label == "Администрация Губкинского округа"
    assert router.route("Течёт крыша, УК не отвечает, Старый Оскол").agency.label.startswith("Государственная")


def test_evaluate_on_held_out_rows(router, split):
    _, test_rows = split
    report = curnlp.evaluate(router, test_rows, text=TEXT, group=GROUP, agency=AGENCY)
    assert isinstance(report, Report)
    assert set(report.targets) == {"group", "agency"}
    assert report.targets["agency"].n == len(test_rows)
    assert report.metric("accuracy", "group") >= 0.9
    assert report.metric("accuracy", "agency") >= 0.8
    munis = report.by_municipality("agency")
    assert set(munis.index) == {"Старый Оскол", "Губкин"}
    assert report.info["kind"] == "evaluation" and report.info["refused"] == 0


def test_saved_and_loaded_router_routes_identically(router, split, tmp_path):
    _, test_rows = split
    path = router.save(tmp_path / "bundle")
    loaded = curnlp.load(path, entities=False)
    assert loaded.region is not None and loaded.region.name == "oskol"  # the embedded pack, not a shipped one
    texts = test_rows[TEXT].tolist()
    fast = curnlp.Router(router.classifier, router.manifest, region=router.region, entities=False)
    for a, b in zip(fast.route_many(texts), loaded.route_many(texts)):
        assert a.to_dict() | {"model": ""} == b.to_dict() | {"model": ""}


def test_agency_only_without_region(data, tmp_path):
    router = curnlp.train(data, text=TEXT, agency=AGENCY)  # region=None: no gazetteer
    assert router.targets == ("agency",)
    assert router.region is None and router.manifest["region"] is None
    r = router.route("Нет врача в поликлинике в Губкине, запись только через месяц")
    assert r.agency.label == "Министерство здравоохранения области"
    assert r.municipality is None and r.locations == [] and r.group is None and r.group_name is None
    loaded = curnlp.load(router.save(tmp_path / "b"), entities=False)
    assert loaded.region is None
    assert loaded.route(r"Яма на дороге в Старом Осколе").agency.label.startswith("Администрация")
    assert "region=None" in repr(loaded)


def test_cross_validate_grouped_report(data):
    doubled = pd.concat([data, data], ignore_index=True)  # every text twice
    report = curnlp.cross_validate(doubled, text=TEXT, group=GROUP, agency=AGENCY, folds=4)
    # a text and its copy share a fold: accuracy is not inflated to 1.0 by memorising
    assert report.info["folds"] == 4 and report.info["rows"] == len(doubled)
    summary = report.summary()
    for target in ("group", "agency"):
        m = summary[target]
        assert m["n"] == len(doubled)
        assert 0.5 < m["accuracy"] <= 1 and 0 <= m["macro_f1"] <= 1
        assert 0 <= m["ece"] <= 1
    per_class = report.to_frame()
    assert {"target", "label", "precision", "recall", "f1", "support"} <= set(per_class.columns)
    assert per_class[per_class.target == "group"].support.sum() == len(doubled)
    assert list(report.calibration("agency").columns[:3]) == ["bin", "low", "high"]
    curve = report.coverage("agency")
    assert curve["coverage"].iloc[-1] == 1.0
    pairs = report.confused_pairs("agency")
    assert list(pairs.columns) == ["true", "predicted", "count", "share_of_true"]
    errors = report.errors("agency", k=5)
    assert list(errors.columns) == ["text", "true", "predicted", "confidence", "municipality"]
    assert (errors["true"] != errors["predicted"]).all()


def test_folds_keep_identical_texts_together(data):
    from curnlp.training import prepare
    from curnlp.training.cross_validation import _folds
    texts = data[TEXT].tolist() + [t.upper() + "  " for t in data[TEXT]]
    prepared = prepare(texts)
    assert len(set(prepared.groups)) < len(data)  # upper-cased, spaced copies share a group
    for train_idx, test_idx in _folds(prepared, 5, 0):
        assert not set(prepared.groups[train_idx]) & set(prepared.groups[test_idx])


def test_report_plots_and_html_round_trip(data, tmp_path):
    report = curnlp.cross_validate(data, text=TEXT, group=GROUP, agency=AGENCY, folds=3)
    for fig in (report.plot_confusion("group"), report.plot_coverage(), report.plot_calibration()):
        assert fig.axes
    path = report.to_html(tmp_path / "report.html")
    page = Path(path).read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 + 2  # coverage, calibration, 2 confusion matrices

    class Tables(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cells, self.headings, self._cell, self._h = 0, [], [], False, False

        def handle_starttag(self, tag, attrs):
            self.tables += tag == "table"
            self._cell = tag in ("td", "th")
            self._h = tag in ("h2", "h3")

        def handle_data(self, d):
            if self._cell and d.strip():
                self.cells.append(d.strip())
            if self._h and d.strip():
                self.headings.append(d.strip())

        def handle_endtag(self, tag):
            self._cell = self._cell and tag not in ("td", "th")
            self._h = self._h and tag not in ("h2", "h3")

    parsed = Tables()
    parsed.feed(page)
    # summary + per target: confused pairs, calibration, municipality, per class
    assert parsed.tables == 1 + 2 * 4
    assert "Исполнитель: частые ошибки" in parsed.headings and "Группа: по классам" in parsed.headings
    assert "Министерство образования области" in parsed.cells and "F1 взвешенная" in parsed.cells
    assert f"{report.metric('accuracy', 'agency'):.1%}".replace(".", ",") in parsed.cells
    assert str(len(data)) in parsed.cells and f"{len(data)}.000" not in page


def _synthetic_report(n: int = 358, overlap: float | None = None):
    """A Report of ``n`` held-out agency predictions (3 in 4 right) without training anything."""
    from curnlp.training.report import TargetReport
    rng = np.random.default_rng(7)
    labels = np.array(["Комитет ЖКХ г. Курска", "Администрация Курского района", "Министерство образования"])
    truth = labels[rng.integers(0, 3, n)]
    pred = np.where(rng.random(n) < 0.75, truth, labels[rng.integers(0, 3, n)])
    munis = np.array(["Курск", "Курский район", None], dtype=object)[rng.integers(0, 3, n)]
    target = TargetReport("agency", truth, pred, rng.uniform(0.3, 1.0, n), munis)
    info = {"kind": "evaluation", "model": "a7f064f373d19f73", "rows": n, "refused": 0, "seconds": 1.5}
    if overlap is not None:
        info.update(training_overlap=overlap, training_overlap_rows=round(overlap * n))
    return Report({"agency": target}, info)


def test_report_speaks_russian_with_whole_counts(tmp_path):
    report = _synthetic_report(1358)
    text = str(report)
    assert text.startswith("Исполнитель") and "n=1\u202f358" in text and "1358.0" not in text
    assert "верных" in text and "acc " not in text and "WARNING" not in text
    assert report.summary_frame()["n"].tolist() == [1358]
    page = Path(report.to_html(tmp_path / "eval.html")).read_text(encoding="utf-8")
    shown = html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))
    assert '<html lang="ru">' in page and "Оценка модели curnlp" in shown and "Сводка" in shown
    for english in ("summary", "evaluation", "most confused", "per class", "per municipality", "calibration",
                    "precision", "recall", "support", "predicted", "WARNING", "1358.000", "1,358"):
        assert english not in shown, english
    assert "1\u202f358" in shown and "Точность" in shown and "Полнота" in shown
    assert "проверка на размеченном архиве" in shown and "(не определено)" in shown
    jupyter = report._repr_html_()
    assert "Доля верных" in jupyter and "1\u202f358" in jupyter and ".000" not in jupyter


def test_report_overlap_warning_is_russian(tmp_path):
    report = _synthetic_report(40, overlap=0.75)
    assert str(report).splitlines()[-1] == report.overlap_warning()
    assert report.overlap_warning().startswith("ВНИМАНИЕ: 75,0% этих строк (30) были в обучающих данных")
    page = Path(report.to_html(tmp_path / "seen.html")).read_text(encoding="utf-8")
    assert '<div class="alert">ВНИМАНИЕ: 75,0% этих строк (30)' in page
    assert _synthetic_report(40).overlap_warning() is None


def test_training_surfaces_problems(data, caplog):
    df = data.copy()
    df.loc[0, TEXT] = ""
    df.loc[1, TEXT] = "<p>!!!</p>"
    df.loc[2, AGENCY] = "Прокуратура"  # a single row: rare
    with caplog.at_level(logging.WARNING, logger="curnlp"):
        router = curnlp.train(df, text=TEXT, agency=AGENCY)
    problems = router.manifest["training"]["problems"]
    assert any("1 of 96 row(s) with an empty" in p for p in problems)
    assert any("no words after cleaning" in p for p in problems)
    assert any("'Прокуратура (1)'" in p for p in problems)
    assert "другое" in router.manifest["labels"]["agency"]
    assert router.manifest["training"]["rows"] == 94
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert all(p in logged for p in problems)


def test_training_errors(data):
    with pytest.raises(CorpusError, match="single class"):
        curnlp.train(data.assign(**{AGENCY: "Администрация"}), text=TEXT, agency=AGENCY)
    with pytest.raises(CorpusError, match="did you mean 'Исполнитель'"):
        curnlp.train(data, text=TEXT, agency="Исполнители")
    with pytest.raises(TypeError, match="unknown option"):
        curnlp.train(data, text=TEXT, agency=AGENCY, C_value=3)
    with pytest.raises(CorpusError, match="folds"):
        curnlp.cross_validate(data.iloc[[0, 12, 24]], text=TEXT, agency=AGENCY, folds=5, rare="keep")


# ------------------------------------------------------------------------------ CLI

def test_cli_train_and_evaluate(split, pack, tmp_path, capsys):
    train_rows, test_rows = split
    train_csv, test_csv = tmp_path / "train.csv", tmp_path / "test.csv"
    train_rows.to_csv(train_csv, index=False, sep=";", encoding="cp1251")
    test_rows.to_csv(test_csv, index=False)
    bundle = tmp_path / "bundle"
    code = cli.main(["train", str(train_csv), "--text-column", TEXT, "--group-column", GROUP,
                     "--agency-column", AGENCY, "--region", str(pack), "--folds", "3", "-o", str(bundle), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0 and (bundle / "manifest.json").is_file()
    assert "grouped 3-fold CV accuracy" in err and "written to" in err
    html_path = tmp_path / "report.html"
    code = cli.main(["evaluate", str(bundle), str(test_csv), "--text-column", TEXT, "--group-column", GROUP,
                     "--agency-column", AGENCY, "--html", str(html_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("Группа ") and "Исполнитель " in out and f"n={len(test_rows)} " in out
    assert html_path.is_file()
    # a curnlp error: exit 1 with the message; bad usage: exit 2
    assert cli.main(["train", str(train_csv), "--agency-column", "Нет такой", "-o", str(tmp_path / "x")]) == 1
    assert "curnlp: error: column(s) not in the data" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", str(train_csv), "--agency-column", AGENCY])  # no -o
    assert exit_.value.code == 2


def test_cli_exit_codes_in_a_subprocess(tmp_path):
    path = tmp_path / "a.csv"
    archive().head(8).to_csv(path, index=False)
    run = subprocess.run([sys.executable, "-m", "curnlp", "train", str(path), "--agency-column", "Агентство",
                          "-o", str(tmp_path / "b")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "curnlp: error: column(s) not in the data: --agency-column 'Агентство'" in run.stderr
    assert "Исполнитель" in run.stderr and "\r" not in run.stderr  # no progress bar in a pipe
    run = subprocess.run([sys.executable, "-m", "curnlp", "evaluate"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2


def test_training_twice_on_the_same_texts_keeps_each_runs_columns():
    """Prepared records are remembered per texts, never the corpus: a second run on the same
    texts under other column names records its own columns and labels."""
    from curnlp.sample import sample_archive
    data = sample_archive(64)
    first = curnlp.train(data, text="Текст обращения", agency="Исполнитель", folds=0)
    renamed = data.rename(columns={"Текст обращения": "Текст", "Исполнитель": "Кому"})
    second = curnlp.train(renamed, text="Текст", agency="Кому", folds=0)
    assert first.manifest["training"]["columns"] == {"text": "Текст обращения", "agency": "Исполнитель"}
    assert second.manifest["training"]["columns"] == {"text": "Текст", "agency": "Кому"}
