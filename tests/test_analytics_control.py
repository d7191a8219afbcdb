"""curnlp.analytics.control: every number of the control table equals a plain pandas computation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from curnlp.analytics import control_table, render_control_section
from curnlp.cli import main
from curnlp.errors import InvalidInput

AGENCIES = ["Администрация г. Курска", "Комитет ЖКХ", "МУП «Водоканал г. Курска»", "Курскэнерго", ""]


@pytest.fixture(scope="module")
def answers():
    """600 messages over 60 days; answered after 1 h – 5 days or never; some answers after as_of;
    a few unreadable creation times and one answer before its message."""
    rng = np.random.default_rng(7)
    n = 600
    created = pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.uniform(0, 60 * 24, n), unit="h")
    delay = pd.to_timedelta(rng.exponential(30, n), unit="h")
    answered = pd.Series(created + delay)
    answered[rng.random(n) < 0.15] = pd.NaT
    answered.iloc[3] = created[3] - pd.Timedelta(hours=2)  # a data error: answer before the message
    frame = pd.DataFrame({"Номер": [f"№{i:05d}" for i in range(n)],
                          "Дата поступления": created.strftime("%d.%m.%Y %H:%M"),
                          "Дата ответа": answered.dt.strftime("%d.%m.%Y %H:%M"),
                          "Ответственный": rng.choice(AGENCIES, n),
                          "Текст": ["Яма у дома 5 по ул. Ленина, примите меры!"] * n})
    frame.loc[[10, 11], "Дата поступления"] = ["вчера", ""]
    return frame


def expected_table(frame: pd.DataFrame, as_of: pd.Timestamp, due: float) -> pd.DataFrame:
    t0 = pd.to_datetime(frame["Дата поступления"], format="%d.%m.%Y %H:%M", errors="coerce")
    t1 = pd.to_datetime(frame["Дата ответа"], format="%d.%m.%Y %H:%M", errors="coerce")
    d = pd.DataFrame({"value": frame["Ответственный"].replace("", "(не указано)"), "t0": t0, "t1": t1})
    d = d[d["t0"].notna() & (d["t0"] <= as_of)]
    d["ans"] = d["t1"].notna() & (d["t1"] <= as_of)
    d["hours"] = (d["t1"] - d["t0"]).dt.total_seconds() / 3600
    rows = []
    for value, g in d.groupby("value"):
        ok = g[g["ans"] & (g["hours"] >= 0)]
        rows.append({"value": value, "messages": len(g), "answered": int(g["ans"].sum()),
                     "open": int((~g["ans"]).sum()),
                     "overdue": int(((~g["ans"]) & (g["t0"] < as_of - pd.Timedelta(hours=due))).sum()),
                     "median_hours": ok["hours"].median(), "share_24h": (ok["hours"] <= 24).mean()})
    return pd.DataFrame(rows).set_index("value").sort_index()


@pytest.mark.parametrize("as_of,due", [(None, 24), ("2026-10-15 12:00", 48)])
def test_every_number_equals_pandas(answers, as_of, due):
    got = control_table(answers, created="Дата поступления", answered="Дата ответа", by="Ответственный",
                        due_hours=due, as_of=as_of)
    cut = pd.Timestamp(as_of) if as_of else max(
        pd.to_datetime(answers["Дата поступления"], format="%d.%m.%Y %H:%M", errors="coerce").max(),
        pd.to_datetime(answers["Дата ответа"], format="%d.%m.%Y %H:%M", errors="coerce").max())
    assert got.as_of == cut
    want = expected_table(answers, cut, due)
    table = got.table.set_index("value").sort_index()
    assert list(got.table.columns) == ["value", "messages", "answered", "open", "overdue", "median_hours", "share_24h"]
    assert table.index.tolist() == want.index.tolist()
    for c in ("messages", "answered", "open", "overdue"):
        assert table[c].tolist() == want[c].tolist(), c
    np.testing.assert_allclose(table["median_hours"], want["median_hours"], atol=0.006)
    np.testing.assert_allclose(table["share_24h"], want["share_24h"], atol=6e-5)
    assert got.unreadable == 2 and got.answer_before_creation == 1
    assert len(got.open_messages) == table["open"].sum()
    assert got.open_messages["overdue"].sum() == table["overdue"].sum()
    assert (got.open_messages["hours_open"].diff().dropna() <= 0).all()  # oldest first
    if as_of:
        assert got.after_as_of > 0 and table["messages"].sum() < len(answers) - 2


def test_html_section_lists_open_and_overdue(answers):
    got = control_table(answers, created="Дата поступления", answered="Дата ответа", by="Ответственный")
    html = render_control_section(got, text_column="Текст")
    assert "Контроль исполнения" in html and "просрочено" in html and "Без ответа:" in html
    assert "Яма у дома 5" in html and "2026" in html
    assert "без читаемой даты создания: 2" in html  # «2 строк» was not Russian


def test_cli_control_writes_open_list_and_checks_due_hours(answers, tmp_path, capsys):
    src = tmp_path / "answers.csv"
    answers.to_csv(src, sep=";", index=False, encoding="utf-8-sig")
    out = tmp_path / "control.csv"
    assert main(["control", str(src), "--created-column", "Дата поступления", "--answered-column", "Дата ответа",
                 "--by", "Ответственный", "-o", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert set(table["value"]) == {a or "(не указано)" for a in AGENCIES}
    opened = pd.read_csv(tmp_path / "control.open.csv", dtype=str)
    assert len(opened) == table["open"].sum() and "Номер" in opened.columns
    html = tmp_path / "control.html"
    assert main(["control", str(src), "--created-column", "Дата поступления", "--answered-column", "Дата ответа",
                 "-o", str(html)]) == 0
    assert "Контроль исполнения" in html.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["control", str(src), "--created-column", "Дата поступления", "--answered-column", "Дата ответа",
                 "--due-hours", "-5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "curnlp control: error: --due-hours must be positive, not '-5'"
    with pytest.raises(InvalidInput):
        control_table(answers, created="Дата поступления", answered="Дата ответа", due_hours=0)
