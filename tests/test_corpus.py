"""Reading labelled archives and validating them: every CorpusError case, every file format."""
from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from curnlp.corpus import OTHER, load_corpus, read_table
from curnlp.errors import CorpusError

ROWS = [
    ("Яма на дороге по улице Ленина, машины бьют колёса", "Дороги", "Администрация города"),
    ("Не горит уличный фонарь во дворе дома 5", "Освещение", "Администрация города"),
    ("В подъезде течёт крыша, управляющая компания не отвечает", "ЖКХ", "Жилищная инспекция"),
    ("Не вывозят мусор с контейнерной площадки третью неделю", "Мусор", "Региональный оператор"),
    ("Невозможно записаться к терапевту в поликлинику", "Здравоохранение", "Министерство здравоохранения"),
    ("Разбитый тротуар у школы, дети ходят по проезжей части", "Дороги", "Администрация города"),
]


def frame(**renames) -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["Текст обращения", "Категория", "Исполнитель"])
    return df.rename(columns=renames)


def test_dataframe_with_other_column_names():
    corpus = load_corpus(frame(), text="Текст обращения", group="Категория", agency="Исполнитель", rare="keep")
    assert len(corpus) == len(ROWS)
    assert corpus.targets == ["group", "agency"]
    assert corpus.columns == {"text": "Текст обращения", "group": "Категория", "agency": "Исполнитель"}
    assert corpus.labels["agency"][0] == "Администрация города"
    assert len(corpus.sha256) == 64


def test_text_column_guessed_and_names_match_up_to_case_and_spaces():
    df = frame(**{"Исполнитель": " исполнитель "})
    corpus = load_corpus(df, agency="ИСПОЛНИТЕЛЬ", rare="keep")  # text guessed: «Текст обращения»
    assert corpus.columns == {"text": "Текст обращения", "agency": " исполнитель "}


def test_missing_column_lists_present_ones_and_suggests():
    with pytest.raises(CorpusError) as err:
        load_corpus(frame(), text="Текст обращения", agency="Исполнители")
    message = str(err.value)
    assert "agency='Исполнители'" in message and "did you mean 'Исполнитель'" in message
    assert "['Текст обращения', 'Категория', 'Исполнитель']" in message


def test_no_text_column_found():
    with pytest.raises(CorpusError, match="no text column found"):
        load_corpus(frame(**{"Текст обращения": "Описание"}), agency="Исполнитель")


def test_no_label_column():
    with pytest.raises(CorpusError, match="at least one label column"):
        load_corpus(frame(), text="Текст обращения")


def test_text_column_used_as_label():
    with pytest.raises(CorpusError, match="also given as a label"):
        load_corpus(frame(), text="Текст обращения", agency="Текст обращения")


def test_empty_texts_skipped_and_reported():
    df = frame()
    df.loc[1, "Текст обращения"] = "   "
    df.loc[2, "Текст обращения"] = None
    corpus = load_corpus(df, text="Текст обращения", agency="Исполнитель", rare="keep")
    assert len(corpus) == len(ROWS) - 2
    assert any("2 of 6 row(s) with an empty" in p for p in corpus.problems)


def test_all_texts_empty():
    df = frame()
    df["Текст обращения"] = ""
    with pytest.raises(CorpusError, match="no non-empty text"):
        load_corpus(df, text="Текст обращения", agency="Исполнитель")


def test_labels_all_empty():
    df = frame()
    df["Категория"] = None
    with pytest.raises(CorpusError, match=r"'Категория' \(group\) has no values"):
        load_corpus(df, text="Текст обращения", group="Категория", agency="Исполнитель")


def test_no_rows():
    with pytest.raises(CorpusError, match="no rows"):
        load_corpus(frame().iloc[:0], text="Текст обращения", agency="Исполнитель")


def test_not_a_table():
    with pytest.raises(CorpusError, match="DataFrame or a file path"):
        load_corpus([{"text": "x"}], text="text", agency="a")


def test_bad_rare_and_min_examples():
    with pytest.raises(CorpusError, match="rare must be"):
        load_corpus(frame(), agency="Исполнитель", rare="drop")
    with pytest.raises(CorpusError, match="min_examples"):
        load_corpus(frame(), agency="Исполнитель", min_examples=0)


def test_rare_classes_merged_kept_or_refused():
    merged = load_corpus(frame(), group="Категория", min_examples=2)
    assert merged.labels["group"].count(OTHER) == 4  # Освещение, ЖКХ, Мусор, Здравоохранение
    assert merged.labels["group"].count("Дороги") == 2
    assert any("4 rare group class(es)" in p and OTHER in p and "'ЖКХ (1)'" in p for p in merged.problems)

    kept = load_corpus(frame(), group="Категория", min_examples=2, rare="keep")
    assert "ЖКХ" in kept.labels["group"]
    assert any("kept" in p for p in kept.problems)

    with pytest.raises(CorpusError) as err:
        load_corpus(frame(), group="Категория", min_examples=2, rare="error")
    assert "fewer than 2 examples" in str(err.value) and "rare='other'" in str(err.value)


def test_partial_labels_reported():
    df = frame()
    df.loc[[0, 3], "Категория"] = None
    corpus = load_corpus(df, group="Категория", agency="Исполнитель", rare="keep")
    assert corpus.labels["group"][0] is None and corpus.labels["group"][1] == "Освещение"
    assert any("2 of 6 row(s) have no group label" in p for p in corpus.problems)


def test_duplicates_with_conflicting_labels_reported_with_counts():
    df = pd.concat([frame(), frame().iloc[[0, 0, 1]]], ignore_index=True)
    df.loc[6, "Исполнитель"] = "Комитет дорожного хозяйства"
    df.loc[7, "Текст обращения"] = "  ЯМА на дороге по улице Ленина,   машины бьют колёса "  # same text, other spacing
    corpus = load_corpus(df, text="Текст обращения", agency="Исполнитель", rare="keep")
    assert any("2 text(s) occur more than once (5 rows)" in p for p in corpus.problems)
    conflict = [p for p in corpus.problems if "conflicting agency labels" in p]
    assert conflict and conflict[0].startswith("1 duplicated text(s) (3 rows)")
    assert "'Администрация города' ×2" in conflict[0] and "'Комитет дорожного хозяйства' ×1" in conflict[0]


def test_missing_label_is_not_a_conflict():
    df = pd.concat([frame(), frame().iloc[[0]]], ignore_index=True)
    df.loc[6, "Категория"] = None
    corpus = load_corpus(df, group="Категория", agency="Исполнитель", rare="keep")
    assert not any("conflicting" in p for p in corpus.problems)


def test_float_codes_and_pandas_na_labels():
    df = frame()
    df["Код"] = pd.array([0, 3, None, 3, 0, 0], dtype="Int64")
    corpus = load_corpus(df, group="Код", rare="keep")
    assert corpus.labels["group"] == ["0", "3", None, "3", "0", "0"]
    df["Код"] = [0.0, 3.0, float("nan"), 3.0, 0.0, 0.0]
    assert load_corpus(df, group="Код", rare="keep").labels["group"] == ["0", "3", None, "3", "0", "0"]


# ----------------------------------------------------------------------------- files

def test_cp1251_semicolon_csv(tmp_path):
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="cp1251", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Текст обращения", "Категория", "Исполнитель"])
        for text, group, agency in ROWS:
            writer.writerow([text.replace("ё", "е") + "; срочно, пожалуйста", group, agency])
    table = read_table(path)
    assert list(table.columns) == ["Текст обращения", "Категория", "Исполнитель"]
    assert len(table) == len(ROWS)
    assert table.loc[0, "Текст обращения"].endswith("; срочно, пожалуйста")
    corpus = load_corpus(path, text="Текст обращения", group="Категория", agency="Исполнитель", rare="keep")
    assert corpus.labels["agency"][2] == "Жилищная инспекция"


def test_utf8_bom_comma_csv_with_multiline_cells(tmp_path):
    path = tmp_path / "export.csv"
    df = frame()
    df.loc[0, "Текст обращения"] = "Первая строка;\nвторая строка, с запятой"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    table = read_table(path)
    assert list(table.columns) == list(df.columns)
    assert table.loc[0, "Текст обращения"] == "Первая строка;\nвторая строка, с запятой"


def test_xlsx(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "export.xlsx"
    df = frame()
    df["Код"] = [0, 1, 2, 3, 4, 0]
    df.to_excel(path, index=False)
    corpus = load_corpus(path, group="Код", agency="Исполнитель", rare="keep")
    assert corpus.texts[0] == ROWS[0][0]
    assert corpus.labels["group"][:3] == ["0", "1", "2"]


def test_jsonl_and_tsv(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "agency": a}, ensure_ascii=False) for t, _, a in ROWS),
                    encoding="utf-8")
    assert load_corpus(path, text="text", agency="agency", rare="keep").texts[1] == ROWS[1][0]
    tsv = tmp_path / "export.tsv"
    frame().to_csv(tsv, sep="\t", index=False)
    assert read_table(tsv).shape == (6, 3)


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "export.parquet"
    frame().to_parquet(path)
    assert load_corpus(path, agency="Исполнитель", rare="keep").labels["agency"][4] == "Министерство здравоохранения"


def test_file_errors(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "a.docx").write_bytes(b"x")
    with pytest.raises(CorpusError, match="unknown file type"):
        read_table(tmp_path / "a.docx")
    (tmp_path / "a.xls").write_bytes(b"x")
    with pytest.raises(CorpusError, match=r"save it as \.xlsx"):
        read_table(tmp_path / "a.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(CorpusError, match="cannot read as xlsx"):
        read_table(tmp_path / "broken.xlsx")
