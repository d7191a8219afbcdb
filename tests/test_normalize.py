"""normalize(): clean text, offsets back into the original, tokens and lemmas."""
import os
import subprocess
import sys

import pytest

from curnlp.errors import InvalidInput
from curnlp.normalize import normalize, clean_text, STOP_WORDS


def assert_offsets_point_into_original(n):
    """Every token's original span spells the token, except placeholders and entities."""
    for tok in n.tokens:
        a, b = n.span_to_original(tok.start, tok.stop)
        assert 0 <= a < b <= len(n.original)
        if tok.kind in ("word", "number"):
            assert n.original[a:b] == tok.text


def test_html_with_inline_styles_and_entities():
    raw = ('<p style="margin:0;font-family:Arial">Здравствуйте!&nbsp;На&nbsp;ул.&nbsp;Ленина'
           '<br/>яма&nbsp;&laquo;по&nbsp;колено&raquo;</p><p><span style="color:red">ПОМОГИТЕ</span></p>')
    n = normalize(raw)
    assert n.clean == "Здравствуйте! На ул. Ленина\nяма «по колено»\nПОМОГИТЕ"
    assert n.lemmas == ("здравствуйте", "на", "ул", "ленин", "яма", "по", "колено", "помочь")
    assert_offsets_point_into_original(n)


def test_double_escaped_entities_and_escaped_tags():
    n = normalize("&amp;nbsp;&lt;b&gt;Нет воды&lt;/b&gt; в доме &#8470;5 &quot;как всегда&quot;")
    assert n.clean == 'Нет воды в доме №5 "как всегда"'


def test_vk_markup_is_reduced_to_the_name():
    raw = "[club12345|Администрация Курского района] когда починят дорогу? [id987|Мария Иванова] подтвердит"
    n = normalize(raw)
    assert n.clean == "Администрация Курского района когда починят дорогу? Мария Иванова подтвердит"
    tok = next(t for t in n.tokens if t.text == "Администрация")
    a, b = n.span_to_original(tok.start, tok.stop)
    assert raw[a:b] == "Администрация"
    assert raw[n.to_original(n.clean.index("Мария")):].startswith("Мария Иванова]")


def test_leading_apostrophe_of_spreadsheet_exports():
    assert clean_text("'Добрый день, нет света") == "Добрый день, нет света"
    assert clean_text("  ''`Нет света") == "Нет света"
    assert clean_text("Дом 'Радуга' без света") == "Дом 'Радуга' без света"


def test_links_emails_phones_become_placeholders_and_are_kept():
    raw = ("Пишу уже 3 раз!!! фото тут https://vk.com/wall-123_456, и на сайте www.kursk.ru. "
           "Мой телефон +7 (910) 123-45-67, почта ivan.petrov@mail.ru звоните8-4712-55-66-77")
    n = normalize(raw)
    assert n.clean == ("Пишу уже 3 раз!!! фото тут URL, и на сайте URL. "
                       "Мой телефон PHONE, почта EMAIL звоните PHONE")
    assert [(p.kind, p.text) for p in n.placeholders] == [
        ("url", "https://vk.com/wall-123_456"),
        ("url", "www.kursk.ru"),
        ("phone", "+7 (910) 123-45-67"),
        ("email", "ivan.petrov@mail.ru"),
        ("phone", "8-4712-55-66-77"),
    ]
    for p in n.placeholders:
        assert raw[p.start:p.stop] == p.text
    kinds = [t.kind for t in n.tokens if t.text in ("URL", "PHONE", "EMAIL")]
    assert kinds == ["placeholder"] * 5
    url_tok = next(t for t in n.tokens if t.text == "URL")
    assert n.span_to_original(url_tok.start, url_tok.stop) == (n.placeholders[0].start, n.placeholders[0].stop)


def test_house_numbers_and_dates_are_not_phones():
    n = normalize("дом 89 кв 12, с 12-05-2021 нет отопления, 2021 год")
    assert n.placeholders == ()
    assert "89" in n.clean and "12-05-2021" in n.clean


def test_zero_width_and_control_characters_removed():
    raw = "Не\u00adт воды\x07 в\u202eдоме\ufeff \u200b!"
    assert clean_text(raw) == "Нет воды вдоме !"


def test_zero_width_space_between_letters_separates_words():
    # copied from a web form: ZWSP where the page could wrap; deleting it glued the words
    raw = "Третий\u200bдень нет\u200b\u200bводы на ул.\u200bЛенина\u200b, Курск\u200b"
    n = normalize(raw)
    assert n.clean == "Третий день нет воды на ул.Ленина, Курск"
    assert n.lemmas[:4] == ("третий", "день", "нет", "вода")
    assert_offsets_point_into_original(n)
    word = next(t for t in n.tokens if t.text == "воды")
    assert raw[slice(*n.span_to_original(word.start, word.stop))] == "воды"


def test_whitespace_collapsed_and_lines_kept():
    raw = "  Нет\t\tсвета   \r\n\r\n\n   уже   неделю  \n"
    n = normalize(raw)
    assert n.clean == "Нет света\nуже неделю"
    assert n.original == raw


def test_lowercase_lemmas_fold_yo_and_keep_abbreviations():
    n = normalize("ЁЛКИ на улице Пролетарской д. 5 не убрали, ещё мусор у подъезда")
    assert n.lemmas == ("елка", "на", "улица", "пролетарский", "д", "5", "не", "убрать",
                        "еще", "мусор", "у", "подъезд")


def test_typos_and_no_punctuation_still_tokenize():
    n = normalize("здраствуйте помогите нет воды третий день дом 5 улица садовая курск")
    assert [t.kind for t in n.tokens].count("word") == 10
    assert "вода" in n.lemmas and "садовый" in n.lemmas


def test_stop_word_flag():
    n = normalize("Я прошу и требую починить крышу")
    flags = {t.text: t.is_stop for t in n.tokens}
    assert flags["Я"] and flags["и"]
    assert not flags["крышу"] and not flags["требую"]
    assert "и" in STOP_WORDS


def test_emoji_and_caps():
    n = normalize("ОПЯТЬ НЕТ ГАЗА 😡😡 ДОКОЛЕ")
    assert n.clean == "ОПЯТЬ НЕТ ГАЗА 😡😡 ДОКОЛЕ"
    assert n.lemmas == ("опять", "нет", "газ", "доколе")
    assert any(t.kind == "punct" and "😡" in t.text for t in n.tokens)


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u200b", "<p></p><br>", "&nbsp;&nbsp;"])
def test_empty_or_blank_text_gives_empty_result(text):
    n = normalize(text)
    assert n.clean == "" and n.tokens == () and n.lemmas == ()
    assert n.to_original(0) == len(text) or text == ""


@pytest.mark.parametrize("bad", [None, b"\xd0\xbd\xd0\xb5\xd1\x82", 42, 3.5, ["текст"]])
def test_non_text_raises_invalid_input_naming_the_value(bad):
    with pytest.raises(InvalidInput) as info:
        normalize(bad)
    assert type(bad).__name__ in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


def test_offsets_outside_clean_text_raise():
    n = normalize("дом")
    with pytest.raises(IndexError):
        n.to_original(10)


def test_very_long_message_is_linear_and_maps_back():
    piece = ('<p style="x">Яма&nbsp;на ул. Ленина д.5, звоните 89001234567 https://t.me/a_b</p>'
             "[club1|Администрация] <b>ГРЯЗЬ</b> &amp;&lt; < > &#xAB;\n")
    small = normalize(piece * 1000)
    big_text = piece * 10000  # ~1 MB
    big = normalize(big_text)
    assert len(big_text) > 900_000
    assert len(big.tokens) == 10 * len(small.tokens)
    assert len(big.placeholders) == 20000
    last = big.tokens[-1]
    a, b = big.span_to_original(last.start, last.stop)
    assert big_text[a:b] == last.text or last.kind in ("placeholder", "punct")


def test_pathological_markup_does_not_backtrack():
    for evil in ("<" * 200_000, "<a " * 100_000, "&" * 200_000, "[club1|" * 50_000,
                 "<style>" * 50_000, "<!--" * 50_000, "+7" * 100_000):
        doc = normalize(evil)  # catastrophic backtracking would hang here (benchmarks/long_texts.py times it)
        a, b = doc.span_to_original(0, len(doc.clean)) if doc.clean else (0, 0)
        assert 0 <= a <= b <= len(evil), evil[:10]


def test_results_are_deterministic_and_comparable():
    raw = "<p>Нет&nbsp;воды</p>"
    assert normalize(raw) == normalize(raw)
    assert normalize(raw).to_dict()["clean"] == "Нет воды"


def test_import_loads_nothing_heavy_and_no_pymorphy2():
    code = ("import sys, curnlp; assert 'pymorphy3' not in sys.modules, 'heavy import';"
            "from curnlp.normalize import normalize; normalize('Яма на дороге');"
            "assert 'pymorphy2' not in sys.modules and 'natasha' not in sys.modules")
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True)


# ---------------------------------------------------------------------------
# Speed-ups that must not change results
# ---------------------------------------------------------------------------

CONTACT_TEXTS = [
    "Пишите на ivanov.ii@mail.ru или звоните 8 (4712) 51-23-45, 8-910-123-45-67 и +7 910 1234567",
    "сайт ГОСУСЛУГИ.РУ не работает, см. www.Gosuslugi.ru/help и http://localhost:8080/x",
    "курск.рф/новости; адм-курск.рф. Телефон 51-23-45! и 123-45-678 (не телефон)",
    "ſu.ru K.com ıı.net ЖКХ.РФ — домены с буквами, которые re.IGNORECASE сближает с латиницей",
    "ул. Ленина, д. 5, кв. 12; 25.11.2022 в 10:30 трубу прорвало; тел 89101234567.",
    "e-mail: a+b@x.org.ru, site.com/path?q=1). (www.test.me), mail@рф.рф",
]


@pytest.mark.parametrize("text", CONTACT_TEXTS)
def test_contacts_scan_only_the_parts_a_text_may_hold_with_the_same_matches(text):
    from curnlp import normalize as module
    full = [(m.lastgroup, m.span()) for m in module._CONTACTS.finditer(text)]
    reduced = module._contacts_in(text)
    assert full  # every sample holds a contact
    assert [(m.lastgroup, m.span()) for m in reduced.finditer(text)] == full


def test_a_text_without_contacts_skips_the_scan():
    from curnlp import normalize as module
    assert module._contacts_in("Во дворе дома 5 по ул. Ленина третий день нет света") is None


@pytest.mark.parametrize("text, clean", [
    ("Яма  на\tдороге", "Яма на дороге"),
    ("Яма \n\n на дороге", "Яма\nна дороге"),
    ("Яма\nна\u00a0дороге", "Яма\nна дороге"),
    ("Яма\r\n \r\nна дороге \n", "Яма\nна дороге"),
])
def test_whitespace_runs_collapse_and_offsets_point_into_the_original(text, clean):
    doc = normalize(text)
    assert doc.clean == clean
    for tok in doc.tokens:
        start, stop = doc.span_to_original(tok.start, tok.stop)
        assert text[start:stop] == tok.text


WORDS = ("стали мыла печь дорогами Ёжики ЖКХ д ул см пр-т по-прежнему Курчатова Курске Обояни "
         "Льговского сеймского мкр-не асфальтоукладчик автобусов колдобины гос-во сделали ямами").split()


@pytest.mark.parametrize("word", WORDS)
def test_lemma_shortcut_equals_pymorphy3s_best_parse(word):
    from curnlp import morph
    low = word.lower().replace("ё", "е")
    best = morph.analyzer().parse(low)[0]
    expected = low if "Abbr" in best.tag else best.normal_form.replace("ё", "е")
    assert morph.lemma(word) == expected


CORPUS = os.environ.get("CURNLP_CORPUS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "corpora", "kursk", "appeals.csv")


@pytest.mark.skipif(not os.path.isfile(CORPUS), reason=f"corpus not found at {CORPUS} (set CURNLP_CORPUS)")
def test_lemmas_of_the_corpus_vocabulary_equal_pymorphy3s():
    import csv
    from curnlp import morph
    from curnlp.mirrors.pymorphy3 import dictionary_parse
    from curnlp.normalize import clean_text, _tokenize
    with open(CORPUS, encoding="utf-8", newline="") as fh:
        corpus_texts = [row["Текст Сообщения"] for row in csv.DictReader(fh)]
    words = sorted({w for t in corpus_texts[:600] for _, _, w in _tokenize(clean_text(t)) if w.isalpha()})
    assert len(words) > 5000
    for word in words:
        low = word.lower().replace("ё", "е")
        best = morph.analyzer().parse(low)[0]
        expected = low if "Abbr" in best.tag else best.normal_form.replace("ё", "е")
        top = dictionary_parse(morph.analyzer(), low)
        if top is not None:
            assert (str(top[0]), top[1].replace("ё", "е")) == (str(best.tag), best.normal_form.replace("ё", "е")), word
        assert morph.lemma(word) == expected, word


def _tokens_by_finditer(text: str) -> list[tuple[int, int, str]]:
    """The reference for ``_tokens``' chunk shortcuts: every chunk cut by the match
    ``_CHUNK.finditer`` finds for it."""
    from curnlp.mirrors.razdel import chunk_tokens
    from curnlp.normalize import _CHUNK
    out = []
    for m in _CHUNK.finditer(text):
        at = m.start()
        word, mark, _, lead, core, trail, _ = m.groups()
        if m.lastindex in (1, 3, 7) or (m.lastindex is not None and mark is None
                                        and (core is None or lead is None and trail is None)):
            out.append((at, m.end(), m.group()))  # one token
        elif m.lastindex is None:
            out += [(at + a, at + b, sub) for a, b, sub in chunk_tokens(m.group())]
        elif mark is not None:
            out += [(at, at + len(word), word), (at + len(word), at + len(word) + 1, mark)]
        else:
            for part in (lead, core, trail):
                if part is not None:
                    out.append((at, at + len(part), part))
                    at += len(part)
    return out


def test_chunk_shortcuts_cut_as_the_chunk_pattern_does():
    """``_tokens`` tests common chunks with str methods and matches the others at their
    start: the same tokens as every match of ``_CHUNK.finditer``, on random texts over
    the characters the pattern distinguishes (other scripts, Unicode digits and spaces)."""
    import random
    from curnlp.normalize import _tokens
    rng = random.Random(5)
    alphabet = list("аяёЁЯАzZ09٣²½_-.,;:!?)(«»\"“”„'`[]{}№/\\ \n\t\u00a0\u2003xǅ") + ["\u200b", "\x1c"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20_000)]
    texts += ["Яма на ул. Ленина, д.5 (у «Магнита»)!", "25, 26; 3-я ул.Мира 2021г.", "ул .Мира\n\nд 7а/1"]
    for text in texts:
        assert [(t.start, t.stop, t.text) for t in _tokens(text)] == _tokens_by_finditer(text), repr(text)


@pytest.mark.skipif(not os.path.isfile(CORPUS), reason=f"corpus not found at {CORPUS} (set CURNLP_CORPUS)")
def test_chunk_shortcuts_cut_the_corpus_as_the_chunk_pattern_does():
    import csv
    from curnlp.normalize import _tokens, clean_text
    with open(CORPUS, encoding="utf-8", newline="") as fh:
        texts = [row["Текст Сообщения"] for row in csv.DictReader(fh)]
    for text in texts:
        for variant in (text, clean_text(text)):
            assert [(t.start, t.stop, t.text) for t in _tokens(variant)] == _tokens_by_finditer(variant)


def test_long_chunks_are_tokenized_but_never_cached():
    from curnlp.mirrors import razdel as module
    module._short_chunk_tokens.cache_clear()
    dots = "." * 5000
    doc = normalize(f"Яма {dots} (ул.Ленина)")
    assert [t.text for t in doc.tokens][:2] == ["Яма", dots]
    assert [t.text for t in doc.tokens][2:] == ["(", "ул", ".", "Ленина", ")"]
    cached = module._short_chunk_tokens.cache_info().currsize
    assert cached == 1  # «(ул.Ленина)», not the 5,000 dots


def test_every_lemma_of_the_table_equals_the_computed_one():
    """The shipped table (scripts/build_lemma_table.py) gives what pymorphy3 gives: routing
    is the same with or without it."""
    from curnlp import morph
    table = morph.lemma_table()
    assert len(table) == 100_000  # built for the installed dictionary: it is in use
    assert table["дорогами"] == "дорога" and table["курске"] == "курск"
    wrong = [(form, lem) for form, lem in table.items() if morph.computed_lemma(form) != lem]
    assert wrong == []


def test_a_table_for_another_dictionary_is_not_used(monkeypatch, caplog):
    import logging
    from curnlp import morph
    monkeypatch.setattr(morph, "_table", None)
    monkeypatch.setattr(morph, "dictionary_id", lambda: {"source_revision": "1", "corpus_revision": "2",
                                                         "compiled_at": "then"})
    with caplog.at_level(logging.INFO, logger="curnlp.morph"):
        assert morph.lemma_table() == {}
    assert "another pymorphy3 dictionary" in caplog.text
    morph.lemma.cache_clear()
    assert morph.lemma("Дорогами") == "дорога"  # computed
    monkeypatch.setattr(morph, "_table", None)
    morph.lemma.cache_clear()


@pytest.mark.parametrize("damage", ["no lemma block", "truncated", "not gzip", "missing"])
def test_a_damaged_table_is_not_used(monkeypatch, tmp_path, caplog, damage):
    import gzip
    import logging
    import pathlib
    from curnlp import morph
    bad = tmp_path / "lemmas.tsv.gz"
    shipped = pathlib.Path(morph.__file__).parent / morph.TABLE_FILE
    if damage == "no lemma block":
        bad.write_bytes(gzip.compress(b'{"words": 3}\n\nform'))
    elif damage == "truncated":
        bad.write_bytes(shipped.read_bytes()[:50_000])
    elif damage == "not gzip":
        bad.write_bytes(b"\x1f\x8b" + b"garbage" * 100)
    monkeypatch.setattr(morph, "_table", None)
    monkeypatch.setattr(morph, "TABLE_FILE", str(bad))
    monkeypatch.setattr(morph.resources, "files", lambda package: pathlib.Path("/"))
    with caplog.at_level(logging.WARNING, logger="curnlp.morph"):
        assert morph.lemma_table() == {}
    assert "not used" in caplog.text
    monkeypatch.setattr(morph, "_table", None)


def test_the_dictionary_comes_from_pymorphy3_dicts_ru_unless_the_environment_names_one(monkeypatch):
    import pymorphy3_dicts_ru
    from curnlp import morph
    variable = morph._DICT_PATH_VARIABLE  # PYMORPHY2_DICT_PATH in pymorphy3 2.0
    monkeypatch.delenv(variable, raising=False)
    assert morph._dictionary_path() == pymorphy3_dicts_ru.get_path()
    monkeypatch.setenv(variable, "/somewhere/else")
    assert morph._dictionary_path() is None  # pymorphy3 reads the variable itself


def _texts_for_patterns():
    import random
    rnd = random.Random(3)
    alphabet = list("ab Я \n\r\t\xa0\u2028\u200b\u200c\x07\x85&;#x1a9'`‘[]|") + [
        "&nbsp;", "&#171;", "&amp;quot;", "&#xAB;", "\r\n", "а\u200bб", "[club12|Администрация]", "[id5|Иван]", "  ", "\n\n"]
    texts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(20_000)]
    if os.path.isfile(CORPUS):
        import csv
        with open(CORPUS, encoding="utf-8", newline="") as fh:
            texts += [row["Текст Сообщения"] for row in csv.DictReader(fh)]
    return texts


def test_cleaning_patterns_with_a_lookahead_match_as_written_without():
    """The lookahead prefixes (a speed-up) change no match of the cleaning passes."""
    import re
    from curnlp import normalize as module
    c = module._CONTROL_CHARS
    originals = {
        module._CHARS: re.compile(
            r"(?<=\w)(?P<zwsp>\u200b+)(?=\w)|" f"(?P<control>[{c}]+)" r"|(?P<newline>\r\n?|[\u2028\u2029\x85])"
            r"|&(?:amp;)?(?P<entity>#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});"),
        module._MARKUP: re.compile(r"\[(?:club|public|id|event)\d{1,12}\|(?P<vk>[^\[\]\n|]{1,300})\]"
                                   r"|(?P<leading>\A[\s'`´‘’]*['`´‘’]+)"),
        module._SPACE: re.compile(r"\s{2,}|[^\S\n ]"),
    }
    for text in _texts_for_patterns():
        for fast, written in originals.items():
            got = [(m.span(), m.lastgroup, m.groupdict()) for m in fast.finditer(text)]
            assert got == [(m.span(), m.lastgroup, m.groupdict()) for m in written.finditer(text)], (written.pattern, text)


def test_a_pass_is_skipped_only_where_its_pattern_cannot_match():
    from curnlp import normalize as module
    texts = _texts_for_patterns() + ["<b>Яма</b>", " 'Яма", "‘Яма", "[club1|Адм]", "Яма [id2|Иван]", "\u2028x"]
    for pattern, run in module._HINTED:
        for text in texts:
            if pattern.search(text):
                assert run.hint(text), (pattern.pattern, text)


def test_to_dict_spans_are_start_end_like_locations():
    """``curnlp normalize`` output names spans as locations and entities do (start/end)."""
    raw = "<b>Нет ВОДЫ</b> с утра, пишите на jkh@kursk.ru или звоните +7 (4712) 55-55-55"
    data = normalize(raw).to_dict()
    clean = data["clean"]
    for tok in data["tokens"]:
        assert set(tok) == {"text", "lemma", "kind", "is_stop", "start", "end"}
        assert clean[tok["start"]:tok["end"]] == tok["text"]
    assert {p["kind"] for p in data["placeholders"]} == {"email", "phone"}
    for p in data["placeholders"]:
        assert "stop" not in p and raw[p["start"]:p["end"]] == p["text"]
