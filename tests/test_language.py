"""language_of names the region's languages; is_russian stays as it was for Russian text."""
from __future__ import annotations

import pytest

from curnlp.language import is_russian, language_counts, language_of, learned_languages

SENTENCES = {
    "cv": ["Урам ячӗсене чӑвашла та ҫырмалла, анчах табличкӑсем вырӑсла кӑна. Пулӑшӑр тархасшӑн!",
           "Пирӗн урамра ҫӗнӗ табличкӑсем ҫакнӑ, чӑвашла ҫырнӑ мар.",
           "Шупашкар хулинче Ленин урамӗнче ҫул ҫинче шӑтӑк пур, машинӑсем ҫӳреймеҫҫӗ."],
    "tt": ["Безнең урамда исемнәр татарча язылмаган, зинһар ярдәм итегез.",
           "Урамда су юк инде өч көн, бик кирәк, җавап бирегез."],
    "ba": ["Беҙҙең ҡалала урам исемдәре башҡортса яҙылмаған, ярҙам итегеҙ.",
           "Ошо урамда һыу юҡ, бик кәрәк, зинһар ярҙам итегеҙ."],
    "kk": ["Біздің көшеде су жоқ, өтінемін көмектесіңіз.", "Қала көшесінде жол өте нашар, жөндеу керек."],
    "uk": ["На вулиці Шевченка немає води вже третій день, будь ласка допоможіть.",
           "Що робити, якщо у під'їзді не працює ліфт? Дуже потрібно."],
    "be": ["На вуліцы Леніна няма святла ўжо тыдзень, калі ласка дапамажыце.",
           "Калі ласка, прыміце меры: на вуліцы Міра ўжо тыдзень няма святла."],
    "en": ["There is no water on our street, please help.", "The road near the school has a huge hole in it."],
    "ru": ["На ул. Ленина огромная яма, прошу помочь!", "нет воды третий день в д. Духовец",
           "ЗДРАВСТВУЙТЕ!!! когда починят фонарь на ул.Гагарина??",
           "Please help! Нет воды уже три дня на ул. Мира"],
}


@pytest.mark.parametrize("lang,text", [(k, t) for k, v in SENTENCES.items() for t in v])
def test_language_is_named(lang, text):
    assert language_of(text) == lang


@pytest.mark.parametrize("text", [t for k, v in SENTENCES.items() for t in v])
def test_russian_exactly_when_is_russian(text):
    assert (language_of(text) == "ru") == (is_russian(text) is True)


def test_tatar_and_bashkir_share_letters_but_not_words():
    # ә ө ү ң һ only: the words decide
    assert language_of("Бу урамда һәм шәһәр үзәгендә су юк, бик кирәк") == "tt"
    assert language_of("Был урамда һәм ҡала үҙәгендә һыу юҡ, бик кәрәк") == "ba"


def test_too_short_is_not_judged_and_unknown_is_und():
    assert language_of("ok") is None
    assert language_of("Bitte helfen Sie uns, die Straße ist kaputt") == "und"


def test_counts_and_learned_languages():
    texts = SENTENCES["cv"] * 10 + SENTENCES["ru"] * 3 + SENTENCES["uk"]
    counts = language_counts(texts)
    assert counts["cv"] == 30 and counts["ru"] == 3 * len(SENTENCES["ru"]) and counts["uk"] == 2
    assert learned_languages({"languages": counts}) == {"cv"}  # Ukrainian: too few rows to have learned it
    assert learned_languages({}) == frozenset()
