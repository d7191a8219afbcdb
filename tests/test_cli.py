"""The command line tells a person what went wrong and what to do (issue 24): one line
``curnlp: error: ...`` and no traceback; exit 2 for usage errors, 1 for curnlp errors."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from curnlp.cli import main

from conftest import REPO, read_scored_csv, write_csv

KURSK_ROWS = [
    "Огромная яма на дороге по ул. Ленина в Курске, машины ломают подвеску",
    "Не горят фонари на улице Союзной в г. Курске, вечером темно",
    "В Железногорске на ул. Мира не вывозят мусор, баки переполнены",
    "г. Курск, пр-т Победы 14 - нет отопления, в квартире +14!!!",
]
OMSK_MOSCOW_ROWS = [
    "г. Омск, ул. Красный Путь 10, огромная яма на дороге, машины ломают подвеску",
    "В Омске на улице Ленина нет отопления в доме 12, дети мерзнут",
    "Омск, ул. 70 лет Октября — не вывозят мусор уже неделю!!!",
    "г.Омск пр-т Мира 5 фонари не горят вечером темно",
    "Москва, Тверская улица 5 — разбит асфальт, ямы по колено",
    "В Москве на ул. Арбат не работает уличное освещение",
    "г. Москва, Ленинский проспект 30, не убирают снег во дворе",
    "ОМСК УЛ. ЛЕНИНА 8 ХОЛОДНЫЕ БАТАРЕИ",
]


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("curnlp: error: ") and "Traceback" not in err, err
    return lines[0]


def _rows(texts: list[str]) -> list[dict]:
    return [{"id": str(i + 1), "Дата": f"{1 + i % 28:02d}.03.2023", "Текст обращения": t} for i, t in enumerate(texts)]


# --- a directory is not an archive ---------------------------------------------------------------

@pytest.mark.parametrize("command", [["score", "{dir}", "-o", "{tmp}/o.csv"], ["train", "{dir}", "-o", "{tmp}/b"],
                                     ["evaluate", "{tmp}/b", "{dir}"], ["learn-pack", "{dir}", "-o", "{tmp}/p.json"]])
def test_a_directory_as_input_is_a_usage_error_in_one_line(tmp_path, capsys, command):
    (tmp_path / "archive").mkdir()
    argv = [a.format(dir=tmp_path / "archive", tmp=tmp_path) for a in command]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    line = _one_line_error(capsys.readouterr().err)
    assert stop.value.code == 2 and "is a directory" in line and "suffix" not in line


# --- encodings -----------------------------------------------------------------------------------

def test_a_koi8r_archive_is_detected(tmp_path, capsys):
    src = write_csv(tmp_path / "koi8.csv", _rows(KURSK_ROWS), encoding="koi8-r", delimiter=";")
    out = tmp_path / "o.csv"
    assert main(["score", str(src), "-o", str(out), "--no-entities", "-q"]) == 0
    scored = read_scored_csv(out)
    assert list(scored["Текст обращения"]) == KURSK_ROWS and scored["agency"].str.len().min() > 0


def test_an_archive_in_an_encoding_not_guessed_names_the_guess_and_works_when_given(tmp_path, capsys):
    src = write_csv(tmp_path / "dos.csv", _rows(KURSK_ROWS), encoding="cp866", delimiter=";")
    out = tmp_path / "o.csv"
    assert main(["score", str(src), "-o", str(out), "--no-entities", "-q"]) == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "no text column found" in line and "guessed as" in line and "--encoding cp866" in line
    assert main(["score", str(src), "-o", str(out), "--no-entities", "-q", "--encoding", "cp866"]) == 0
    scored = read_scored_csv(out)
    assert list(scored["Текст обращения"]) == KURSK_ROWS and scored["agency"].str.len().min() > 0


def test_a_cp1251_archive_is_detected(tmp_path, capsys):
    src = write_csv(tmp_path / "win.csv", _rows(KURSK_ROWS), encoding="cp1251", delimiter=";")
    assert main(["score", str(src), "-o", str(tmp_path / "o.csv"), "--no-entities", "-q"]) == 0
    assert list(read_scored_csv(tmp_path / "o.csv")["Текст обращения"]) == KURSK_ROWS


def test_train_names_the_guessed_encoding_too(tmp_path, capsys):
    rows = [dict(r, Тема="Дороги") for r in _rows(KURSK_ROWS)]
    src = write_csv(tmp_path / "dos.csv", rows, encoding="cp866", delimiter=";")
    assert main(["train", str(src), "-o", str(tmp_path / "b"), "--topic-column", "id", "--folds", "0", "--quiet"]) == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "guessed as" in line and "--encoding cp866" in line


# --- learn-pack guesses the text column as score and train do -----------------------------------

def test_learn_pack_guesses_the_text_column_and_reads_cp1251(tmp_path, capsys):
    rows = [{"Текст обращения": f"Яма на дороге на ул. Литейной д. {i} в г. Льгове", "Ответственное лицо":
             "Администрация города Льгов"} for i in range(4)]
    src = write_csv(tmp_path / "a.csv", rows, encoding="cp1251", delimiter=";")
    out = tmp_path / "pack.json"
    assert main(["learn-pack", str(src), "-o", str(out)]) == 0
    assert "1 mined streets" in capsys.readouterr().err
    assert any(s["name"] == "Литейная" for s in json.loads(out.read_text(encoding="utf-8"))["streets"])
    src = write_csv(tmp_path / "b.csv", [{"a": "1", "b": "2"}])
    assert main(["learn-pack", str(src), "-o", str(out)]) == 1
    assert "no text column found" in _one_line_error(capsys.readouterr().err)


# --- the time column must be of the model's kind ----------------------------------------------

def test_dates_for_a_model_trained_on_numeric_times_are_refused_before_any_row(tmp_path, capsys):
    src = write_csv(tmp_path / "in.csv", _rows(KURSK_ROWS))
    out = tmp_path / "o.csv"
    # the shipped bundle was trained with time = id (numbers); «Дата» holds dates
    code = main(["score", str(src), "-o", str(out), "--no-entities", "--time-column", "Дата"])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2 and "trained on number times" in line and "'01.03.2023'" in line
    assert not out.exists()
    rows = _rows(KURSK_ROWS)
    rows[2]["id"] = "третий"  # one unreadable time costs its own row, said in its error cell, no traceback
    src = write_csv(tmp_path / "ids.csv", rows)
    assert main(["score", str(src), "-o", str(out), "--no-entities", "--time-column", "id"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "row 3: time 'третий': not a date, datetime or number" in err
    assert list(read_scored_csv(out)["error"]) == ["", "", "time 'третий': not a date, datetime or number", ""]


# --- every error is one line ------------------------------------------------------------------

def test_missing_file_and_unwritable_output_are_one_line(tmp_path, capsys):
    assert main(["score", str(tmp_path / "нет.csv"), "-o", str(tmp_path / "o.csv"), "--no-entities"]) == 1
    assert "no such file" in _one_line_error(capsys.readouterr().err)
    src = write_csv(tmp_path / "in.csv", _rows(KURSK_ROWS))
    assert main(["score", str(src), "-o", str(tmp_path / "нет" / "o.csv"), "--no-entities", "-q"]) == 1
    _one_line_error(capsys.readouterr().err)
    with pytest.raises(SystemExit) as stop:
        main(["score", str(src)])  # no -o
    assert stop.value.code == 2 and "--output" in _one_line_error(capsys.readouterr().err)


def test_route_into_a_closed_pipe_ends_quietly():
    code = "import sys; from curnlp.cli import main; sys.exit(main(['route', 'Яма на дороге по ул. Ленина', '--no-entities', '--pretty']))"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the command writes (as `| head -c 0`)
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    done = subprocess.run(f"{sys.executable} -m curnlp route 'Яма на дороге по ул. Ленина' --no-entities --pretty "
                          "| head -c 10", shell=True, cwd=REPO, capture_output=True)
    assert len(done.stdout) == 10 and b"Traceback" not in done.stderr


# --- the summary says what to do ------------------------------------------------------------

def test_summary_states_review_share_by_reason_and_warns_of_another_region(tmp_path, capsys):
    src = write_csv(tmp_path / "omsk.csv", _rows(OMSK_MOSCOW_ROWS + KURSK_ROWS[:2]))
    code = main(["score", str(src), "-o", str(tmp_path / "o.csv"), "--no-entities", "--chunk-size", "4"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "outside_region 80%: is this archive of another region? pick that region's pack / model" in err
    first, *rest = [line for line in err.splitlines() if "warning:" in line]
    assert "after the first 4 rows" in first and "Омская область" in first
    assert rest and "8 of the 10 rows that name a place" in rest[-1] and "Москва 3" in rest[-1] \
        and "Омская область 5" in rest[-1]
    assert err.index("after the first 4 rows") < err.index("rows read")  # at the start, not only at the end


def test_a_home_archive_gets_advice_and_no_region_warning(tmp_path, capsys):
    src = write_csv(tmp_path / "kursk.csv", _rows(KURSK_ROWS * 3))
    assert main(["score", str(src), "-o", str(tmp_path / "o.csv"), "--no-entities"]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err
    assert re.search(r"\n  review low_confidence \d+%: retrain on your region's archive with a time column "
                     r"\(`curnlp train \.\.\. --time-column`\)\n", err), err


def test_train_and_evaluate_read_a_koi8r_archive_when_told(tmp_path, capsys):
    from conftest import messages
    rows = [{"Текст обращения": text.encode("koi8-r", "ignore").decode("koi8-r"), "Тема": topic, "Исполнитель": agency}
            for text, topic, _group, agency in messages(96)]
    src = write_csv(tmp_path / "koi8.csv", rows, encoding="koi8-r", delimiter=";")
    bundle = tmp_path / "bundle"
    assert main(["train", str(src), "-o", str(bundle), "--encoding", "koi8-r", "--topic-column", "Тема",
                 "--agency-column", "Исполнитель", "--folds", "0", "--quiet"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["evaluate", str(bundle), str(src), "--encoding", "koi8-r", "--topic-column", "Тема",
                 "--agency-column", "Исполнитель", "--quiet"]) == 0
    report = capsys.readouterr().out
    assert "Исполнитель" in report and "n=96 " in report
