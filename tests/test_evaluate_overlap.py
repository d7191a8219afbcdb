"""evaluate() warns when the evaluated rows were in the bundle's training data; CLI errors name options."""
from __future__ import annotations

import numpy as np
import pandas as pd

from curnlp import overlap
from curnlp.router import Router
from curnlp.training import evaluate

from conftest import messages, run_cli


def test_hashes_fold_case_and_spacing_and_round_trip():
    texts = ["Яма на дороге  по ул. Ленина", "яма на дороге по УЛ. ленина\n", "Не горят фонари"]
    hashes = overlap.text_hashes(texts)
    assert hashes.dtype == np.uint64 and len(hashes) == 2 and list(hashes) == sorted(hashes)
    assert np.array_equal(overlap.decode_hashes(overlap.encode_hashes(hashes)), hashes)
    assert len(overlap.encode_hashes(overlap.text_hashes(f"сообщение {i}" for i in range(3000)))) < 3000 * 11


def test_evaluate_on_training_rows_says_the_figures_are_not_held_out(bundle_path, tmp_path, caplog):
    router = Router.load(bundle_path, entities=False)
    assert router.manifest["training"]["row_hashes"]  # stored at train time (160 messages, 8 bytes each)
    seen = pd.DataFrame(messages(40), columns=["text", "topic", "group", "agency"])
    new = pd.DataFrame([(f"Нет горячей воды в доме {i} на проспекте Кулакова, трубы текут", "Водоснабжение", "ЖКХ",
                         "Управляющая компания") for i in range(10)], columns=["text", "topic", "group", "agency"])
    mixed = pd.concat([seen.iloc[:30], new], ignore_index=True)
    report = evaluate(router, mixed, text="text", topic="topic", agency="agency")
    assert report.info["training_overlap_rows"] == 30 and report.info["training_overlap"] == 0.75
    assert str(report).splitlines()[-1].startswith("ВНИМАНИЕ: 75,0% этих строк (30) были в обучающих данных")
    assert "not held-out" in caplog.text
    held_out = evaluate(router, new, text="text", topic="topic", agency="agency")
    assert held_out.info["training_overlap_rows"] == 0 and "ВНИМАНИЕ" not in str(held_out)
    path = tmp_path / "seen.csv"
    seen.to_csv(path, index=False)
    done = run_cli(["evaluate", str(bundle_path), str(path), "--text-column", "text", "--topic-column", "topic",
                    "--quiet"])
    assert done.returncode == 0, done.stderr.decode()
    assert ("100% of these rows (40) were in the training data: the figures are not held-out"
            in done.stderr.decode())


def test_bundle_without_row_hashes_falls_back_to_the_data_digest(bundle_path):
    router = Router.load(bundle_path, entities=False)
    manifest = {k: v for k, v in router.manifest.items()}
    manifest["training"] = {k: v for k, v in manifest["training"].items() if k != "row_hashes"}
    found = overlap.training_overlap(manifest, ["a"], manifest["training"]["sha256"])
    assert found == {"rows": 1, "share": 1.0, "how": "same data"}
    assert overlap.training_overlap(manifest, ["a"], "другие данные") is None


def test_train_errors_name_the_command_line_options(tmp_path):
    path = tmp_path / "labelled.csv"
    pd.DataFrame(messages(20), columns=["Текст", "Тема", "Группа", "Исполнитель"]).to_csv(path, index=False)
    done = run_cli(["train", str(path), "-o", str(tmp_path / "m"), "--topic-column", "тема обращения", "--quiet"])
    err = done.stderr.decode()
    assert done.returncode == 1 and "--topic-column 'тема обращения'" in err and "topic=" not in err
    none = run_cli(["train", str(path), "-o", str(tmp_path / "m"), "--quiet"])
    assert "--topic-column, --group-column or --agency-column" in none.stderr.decode()
