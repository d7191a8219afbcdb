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

:func:`language_of` names the language (an ISO 639-1 code of :data:`LANGUAGES`): Russian
exactly when :func:`is_russian` says so; else the letters each alphabet alone has (Chuvash
ӑ ӗ ӳ, Tatar җ, Bashkir ҡ ҙ, Kazakh қ ұ, Ukrainian ї є ґ, Belarusian ў) and frequent
function words tell apart the languages whose letters overlap (Tatar / Bashkir ә ө ү ң һ,
Chuvash / Bashkir ҫ). A model learns the languages its archive contains: the manifest lists
them (``languages``) and the router withholds labels only for a language it has not learned.
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

__all__ = ["LanguageGuess", "guess_language", "is_russian", "language_of", "language_counts", "learned_languages",
           "LANGUAGES"]

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


#: The languages :func:`language_of` names (ISO 639-1 codes).
LANGUAGES = {"ru": "Russian", "cv": "Chuvash", "tt": "Tatar", "ba": "Bashkir", "uk": "Ukrainian",
             "be": "Belarusian", "kk": "Kazakh", "en": "English"}
#: Rows of a language the training archive must hold for the model to count as having learned it.
MIN_LEARNED_ROWS = 20

# every letter each alphabet adds to Russian's, and those it alone has among these languages
_LETTERS = {"cv": "ӑӗҫӳ", "tt": "әөүҗңһ", "ba": "әөүғҡңҙҫһ", "kk": "әғқңөұүһі", "uk": "іїєґ", "be": "ўі"}
_OWN = {"cv": "ӑӗӳ", "tt": "җ", "ba": "ҡҙ", "kk": "құ", "uk": "їєґ", "be": "ў"}
# frequent function and everyday words (lowercase), chosen not to be Russian words
_WORDS = {
    "cv": set("""тата мар пур ҫук ҫине валли ман эпир сирӗн пирӗн вӑл вӗсем кунта унта ҫакӑ ҫак хула урам ял
              пулӑшӑр тархасшӑн ҫырнӑ чӑвашла ҫӗнӗ пӗр ҫул паян ыран кӑна анчах мӗншӗн мӗн""".split()),
    "tt": set("""һәм белән өчен бу юк бар безнең сезнең түгел дә да шәһәр урамы урамда зинһар ярдәм
              итегез татарча язулар бик кирәк монда анда ләкин әле инде""".split()),
    "ba": set("""менән өсөн беҙҙең һеҙҙең ҡала ҡалала урамында юҡ бар түгел был ошо ярҙам итегеҙ зинһар
              башҡортса яҙыу бик кәрәк бында унда ләкин әле""".split()),
    "kk": set("""және мен үшін бұл жоқ бар емес біздің сіздің көше көшесінде қала қазақша жазу өте керек
              мұнда онда бірақ әлі көмектесіңіз өтінемін""".split()),
    "uk": set("""що та і й це як не є був була було вулиці вулиця будь ласка місто міста дуже потрібно
              немає тут там який яка які але також ще""".split()),
    "be": set("""што і ў гэта як не быў была было вуліцы вуліца калі ласка горад горада вельмі трэба
              няма тут там які якая але таксама яшчэ""".split()),
    "en": set("""the and is are of to in on please there no not this that our street water help with for
              have has was were it we you""".split()),
}


def language_of(text: str) -> str | None:
    """The language of ``text`` as a code of :data:`LANGUAGES`; ``"ru"`` exactly when
    :func:`is_russian` is True; None with too few letters; ``"und"`` for a language not named here."""
    guess = guess_language(text)
    if guess.russian is None:
        return None
    if guess.russian:
        return "ru"
    words = [w.lower() for w in _WORD.findall(text[:_SAMPLE])]
    if guess.cyrillic_share < 0.5:
        return "en" if sum(w in _WORDS["en"] for w in words) >= 2 or (
            words and sum(w in _WORDS["en"] for w in words) >= 0.2 * len(words)) else "und"
    score = {}
    for lang, letters in _LETTERS.items():
        own = _OWN[lang]
        score[lang] = sum((any(c in letters for c in w) + 2 * any(c in own for c in w)
                           + 2 * (w in _WORDS[lang])) for w in words)
    best = max(score, key=lambda k: (score[k], -list(score).index(k)))
    return best if score[best] > 0 else "und"


def language_counts(texts) -> dict[str, int]:
    """How many of ``texts`` are in each language (``language_of``; texts too short to tell left out)."""
    out: dict[str, int] = {}
    for text in texts:
        lang = language_of(text)
        if lang is not None:
            out[lang] = out.get(lang, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def learned_languages(manifest) -> frozenset[str]:
    """The non-Russian languages a bundle learned: those its manifest's ``languages`` counts
    at least :data:`MIN_LEARNED_ROWS` rows of (none for a bundle trained before languages were recorded)."""
    counts = (manifest or {}).get("languages") or {}
    return frozenset(k for k, v in counts.items() if k not in ("ru", "und") and v >= MIN_LEARNED_ROWS)
