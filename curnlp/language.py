"""Is a message Russian? A light detector on letters, for the review of routings.

The classifier learned Russian lemmas, so a text in another language gets a guess, not a
decision. :func:`is_russian` looks only at the letters of the words (links, e-mails and
phone numbers are already placeholders after :func:`curnlp.normalize.normalize`, so «Яма,
фото: https://example.com/pothole-photo» stays Russian):

1. *script*: at least half of the letters must be Cyrillic (or 35% with two Cyrillic words or
   more: «Please help! Нет воды» is read) — English, German, French or Russian typed in Latin
   letters (translit) are not Russian; brand names in Latin letters («Wi-Fi», «Yandex Go»)
   inside Russian text do not matter;
2. *Cyrillic languages close to Russian*: a word with a letter Russian does not use
   (Ukrainian і ї є ґ, Belarusian ў, Kazakh/Tatar/Bashkir ә ғ қ ң ө ұ ү һ ...) counts against;
   when such words are at least 15% of the Cyrillic words (and there are two or more of
   them) and Russian function words are rarer than them, the text is not Russian. A Russian
   message quoting a Ukrainian name («с. Білопілля») stays Russian.

Text with fewer than three letters is not judged (``None``: there is nothing to say).
Typos do not matter (no dictionary look-up), and no dictionary means it is cheap enough to
run on every routed message (``python benchmarks/review.py`` measures it).

>>> is_russian("Яма на дороге по ул. Ленина, д.5 😡"), is_russian("Please fix the road near my house")
(True, False)
>>> is_russian("Вода в с. Білопілля є, а світла немає вже тиждень")
False
>>> is_russian("ok") is None
True
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LanguageGuess", "guess_language", "is_russian"]

# [а-яё]+ under re.IGNORECASE (which also takes the old letter variants ᲀ-ᲆ, U+1C80-1C86),
# spelled out because case-insensitive classes are slower (tests/test_review.py checks every character)
_CYRILLIC = re.compile("[а-яёА-ЯЁ\u1c80-\u1c86]+")
_LETTER = re.compile(r"[^\W\d_]+")
#: characters read: the start of a long message is enough to tell its language
_SAMPLE = 5000
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")
#: letters of Cyrillic alphabets that Russian does not use
_FOREIGN_LETTERS = "іїєґўәғқңөұүһҳҷӣӯҗҫӑӗӳ"
_NOT_RUSSIAN = re.compile(f"[{_FOREIGN_LETTERS}{_FOREIGN_LETTERS.upper()}]")
#: frequent Russian function words that are not (or rarely) Ukrainian / Belarusian words
_RUSSIAN_WORDS = frozenset("""и в не на что как это по из за для он она они мы вы уже нет есть был была было
были если или его её ее их только когда очень так же бы ли ни где кто что чтобы также тоже при без до
от у о об который которая которые который этот эта эти этого этой нам нас вам вас мне меня нам ещё еще
уже почему сколько пожалуйста здравствуйте просим прошу можно нужно""".split())


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """What :func:`guess_language` saw: ``russian`` (None: too few letters to tell),
    the share of Cyrillic letters among letters, and the words with non-Russian letters."""

    russian: bool | None
    cyrillic_share: float
    letters: int
    foreign_words: int
    words: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"russian": self.russian, "cyrillic_share": round(self.cyrillic_share, 3), "letters": self.letters,
                "foreign_words": self.foreign_words, "words": self.words}


def guess_language(text: str) -> LanguageGuess:
    """Look at the letters of ``text`` (best a clean text, with links replaced)."""
    text = text[:_SAMPLE]
    n = len(text)  # letters counted as what a substitution removes (no list of words)
    letters = n - len(_LETTER.sub("", text))
    cyrillic = n - len(_CYRILLIC.sub("", text))
    foreign = len(_NOT_RUSSIAN.findall(text)) if _NOT_RUSSIAN.search(text) else 0
    share = (cyrillic + foreign) / letters if letters else 0.0
    if letters < 3:
        return LanguageGuess(None, share, letters, 0, 0)
    if share < 0.5 and not (share >= 0.35 and len(_CYRILLIC.findall(text)) >= 2):
        return LanguageGuess(False, share, letters, 0, 0)
    if not foreign:
        return LanguageGuess(True, share, letters, 0, 0)
    words = [w.lower() for w in _WORD.findall(text) if _CYRILLIC.search(w) or _NOT_RUSSIAN.search(w)]
    n_foreign = sum(1 for w in words if _NOT_RUSSIAN.search(w))
    n_russian = sum(1 for w in words if w in _RUSSIAN_WORDS)
    russian = not (n_foreign >= 2 and n_foreign >= 0.15 * len(words) and n_russian < n_foreign)
    return LanguageGuess(russian, share, letters, n_foreign, len(words))


def is_russian(text: str) -> bool | None:
    """True when ``text`` reads as Russian, False when not, None with too few letters to tell."""
    return guess_language(text).russian
