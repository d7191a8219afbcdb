"""Normal forms of named entities: «Ивановой Марии Петровне» -> «Иванова Мария Петровна».

Built with the shared pymorphy3 analyzer (:mod:`curnlp.morph`) by agreement heuristics,
not by a syntax parser: a person's name words take one gender and one case; an
organization or a place puts its head noun and the adjectives before it in the
nominative and keeps the rest (a genitive tail, a quoted name) as written. Also here:
:func:`_truecase`, the likely writing of a word in a message typed in one case, which
the tagger needs because it relies on capitalization.

>>> normal_form("LOC", ["Сеймском", "округе"])
'Сеймский округ'
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from .. import morph

__all__ = ["normal_form", "STREET_WORDS"]

_ADJ = frozenset(("ADJF", "PRTF"))
_NAME_TAGS = frozenset(("Name", "Surn", "Patr"))
_WORD = re.compile(r"[а-яё]", re.IGNORECASE)
_SPLIT = re.compile(r"(\W+)")
# Abbreviations pymorphy3 does not know (inflected hyphenated forms): written -> normal.
_ABBREVIATIONS = {f"{stem}-{end}": f"{stem}-н" for stem in ("р", "мкр") for end in ("на", "не", "ну", "ном", "н")}
_ABBREVIATIONS.update({"мкр": "мкр", "мкрн": "мкрн", "пр-т": "пр-т", "пр-та": "пр-т", "пр-те": "пр-т",
                       "б-р": "б-р", "б-ра": "б-р", "б-ре": "б-р", "пр": "пр", "пл": "пл"})
# Words after which a name is the street's own name, already in its fixed (usually
# genitive) form: «ул. Ленина» must stay «Ленина», not become «Ленин».
STREET_WORDS = frozenset("""
ул улица улицы улице улицу улицей пер переулок переулка переулке переулку переулком пр пр-т просп
проспект проспекта проспекте проспекту проспектом б-р бульвар бульвара бульваре бульвару бульваром
проезд проезда проезде проездом пл площадь площади площадью ш шоссе тупик тупика тупике наб набережная
набережной набережную им имени мкр мкрн микрорайон микрорайона микрорайоне кв-л квартал квартала
квартале аллея аллеи аллее тракт тракта
""".split())


def _recover_shape(word: str, ref: str) -> str:
    """``word`` (lowercase) written with the capitalization of ``ref``, part by part.

    ``ё`` produced by the dictionary is folded to ``е`` when ``ref`` has none.
    """
    low = ref.lower()
    if "ё" in word and "ё" not in low:
        word = word.replace("ё", "е")
    if word == low:
        return ref
    if ref.islower():
        return word
    if ref.isupper() and len(ref) > 1:
        return word.upper()
    parts, ref_parts = _SPLIT.split(word), _SPLIT.split(ref)
    if len(parts) == len(ref_parts):
        out = []
        for part, r in zip(parts, ref_parts):
            if r.isupper() and len(r) > 1:
                out.append(part.upper())
            elif r.islower() or not r.isalpha():
                out.append(part)
            elif r[:1].isupper() and r[1:].islower():
                out.append(part[:1].upper() + part[1:])
            else:  # mixed case such as «ЦУМа»: letter by letter
                out.append("".join(c.upper() if k < len(r) and r[k].isupper() else c for k, c in enumerate(part)))
        return "".join(out)
    return "".join(c.upper() if i < len(ref) and ref[i].isupper() else c for i, c in enumerate(word))


def _inflect(parse, grammemes: set[str]) -> str | None:
    try:
        form = parse.inflect(grammemes)
    except (ValueError, KeyError):  # pymorphy3 refuses some grammeme sets
        return None
    return form.word if form is not None else None


def _is_word(text: str) -> bool:
    return _WORD.search(text) is not None


def _predicted(parse) -> bool:
    """True when pymorphy3 guessed the parse from a suffix (the word is not in its dictionary)."""
    stack = parse.methods_stack
    return len(stack) > 1 or type(stack[0][0]).__name__ != "DictionaryAnalyzer"


def _person_candidates(word: str) -> list:
    """Singular noun/adjective parses of a name word, in pymorphy3's order.

    When the word has name readings (first name, surname, patronymic) only those are
    kept, and guessed first-name/patronymic readings give way to a surname reading
    («Сороцкая» is not the genitive of a first name «Сороцкай», «Кутеповой» is not a
    masculine common noun).
    """
    parses = [p for p in morph.parse(word.lower()) if p.tag.POS in ("NOUN", "ADJF") and p.tag.number != "plur"
              and p.tag.case != "voct"]
    if any(_NAME_TAGS & p.tag.grammemes for p in parses):
        parses = [p for p in parses if _NAME_TAGS & p.tag.grammemes]
    if any("Surn" in p.tag for p in parses):
        parses = [p for p in parses if not (_predicted(p) and ("Name" in p.tag or "Patr" in p.tag))]
    return parses


def _fits(parse, gender: str, case: str) -> bool:
    tag = parse.tag
    if "Fixd" in tag:  # indeclinable: any case
        return tag.gender in (gender, None) or "Ms-f" in tag
    return tag.case == case and (tag.gender == gender or tag.gender is None or "Ms-f" in tag)


def _person_normal(words: list[str]) -> list[str]:
    """Nominative of a person's name: one gender and one case for all name words.

    The (gender, case) pair chosen is the one most words can be read in; then the
    one backed by dictionary first names/patronymics; then, for several words, the
    nominative (the name may already be normal); then pymorphy3's own ranking.
    """
    idx = [i for i, w in enumerate(words) if _is_word(w) and len(w) > 1]
    cands = {i: _person_candidates(words[i]) for i in idx}
    idx = [i for i in idx if cands[i]]
    if not idx:
        return words
    # a full name (also «Кутепова Т.В.») is kept as written when it may be nominative
    several = sum(1 for w in words if _is_word(w)) > 1
    best_key, choice = None, None
    for gender in ("masc", "femn"):
        for case in ("nomn", "gent", "datv", "accs", "ablt", "loct"):
            count = support = 0
            rank = 0.0
            for i in idx:
                fit = [(n, p) for n, p in enumerate(cands[i]) if _fits(p, gender, case)]
                if not fit:
                    continue
                count += 1
                n, p = fit[0]
                rank -= n
                if any(("Name" in q.tag or "Patr" in q.tag) and not _predicted(q) for _, q in fit):
                    support += 1
            if not count:
                continue
            key = (count, support, several and case == "nomn", rank)
            if best_key is None or key > best_key:
                best_key, choice = key, (gender, case)
    out = list(words)
    if choice is None or choice[1] == "nomn":
        return out
    gender, case = choice
    for i in idx:
        fit = [p for p in cands[i] if _fits(p, gender, case)]
        if not fit:
            continue
        fit.sort(key=lambda p: not (_NAME_TAGS & p.tag.grammemes))
        p = fit[0]
        if "Fixd" in p.tag:
            continue
        word = _inflect(p, {"nomn", "sing", gender}) or _inflect(p, {"nomn", "sing"})
        if word:
            out[i] = _recover_shape(word, words[i])
    return out


def _abbreviation(word: str, parses) -> str | None:
    """The normal spelling when ``word`` is an indeclinable abbreviation, else None."""
    low = word.lower()
    if low in _ABBREVIATIONS:
        return _recover_shape(_ABBREVIATIONS[low], word)
    top = parses[0].tag
    if "Abbr" in top or "Fixd" in top:
        return word
    if word.isupper() and len(word) > 1 and (len(word) <= 5 or top.POS is None):
        return word
    return None


def _adjectival(parses) -> bool:
    """Whether the word reads mostly as an adjective/participle (not a substantivized noun)."""
    adj = sum(p.score for p in parses if p.tag.POS in _ADJ)
    noun = sum(p.score for p in parses if p.tag.POS == "NOUN")
    return adj > 0 and adj >= noun


def _agrees(adj, noun) -> bool:
    a, n = adj.tag, noun.tag
    if a.case != n.case or a.number != n.number:
        return False
    if n.number == "sing" and n.gender is not None and a.gender != n.gender and "Ms-f" not in n:
        return False
    return True


def _head_rank(parse, prefer: str) -> int:
    tag = parse.tag
    if "voct" in tag or "Infr" in tag:
        return 3
    named = "Surn" in tag or "Name" in tag or "Patr" in tag
    marker = "Geox" if prefer == "LOC" else "Orgn"
    return 0 if marker in tag else 2 if named else 1


def _adjectives_normal(words: list[str], out: list[str], adjectives: list[int]) -> None:
    """Adjectives without an inflectable head: to the nominative, own gender and number kept."""
    options = [[p for p in morph.parse(words[i].lower()) if p.tag.POS in _ADJ] for i in adjectives]
    # a reading all adjectives share (same case, number, gender), else each its first one
    shared = None
    for p in options[0]:
        picks = [p]
        for ps in options[1:]:
            q = next((q for q in ps if (q.tag.case, q.tag.number, q.tag.gender) ==
                      (p.tag.case, p.tag.number, p.tag.gender)), None)
            if q is None:
                break
            picks.append(q)
        else:
            shared = picks
            break
    for i, p in zip(adjectives, shared or [ps[0] for ps in options]):
        if p.tag.case == "nomn":
            continue
        grams = {"nomn", p.tag.number or "sing"}
        if p.tag.number == "sing" and p.tag.gender:
            grams.add(p.tag.gender)
        word = _inflect(p, grams) or _inflect(p, {"nomn"})
        if word:
            out[i] = _recover_shape(word, words[i])


def _phrase_normal(words: list[str], prefer: str) -> list[str]:
    """Nominative of an organization / location: adjectives + head noun, the tail kept.

    The head is the first noun (or abbreviation) before any punctuation, quote or
    number; the adjectives and participles before it are put in the nominative in
    agreement with it. Nothing after the head changes (the genitive tail of «Комитет
    дорожного хозяйства», the quoted name of «ООО "Жилсервис"»). When no reading of
    the head agrees with its adjectives the words are left as written.
    """
    out = list(words)
    adjectives: list[int] = []
    for i, w in enumerate(words):
        if not _is_word(w):
            break
        parses = morph.parse(w.lower())
        abbr = _abbreviation(w, parses)
        if abbr is not None:
            out[i] = abbr
            if adjectives:
                _adjectives_normal(words, out, adjectives)
            return out
        if _adjectival(parses):
            adjectives.append(i)
            continue
        heads = [p for p in parses if p.tag.POS == "NOUN"]
        if not heads:
            break
        heads.sort(key=lambda p: _head_rank(p, prefer))
        adj_parses = [[p for p in morph.parse(words[j].lower()) if p.tag.POS in _ADJ] for j in adjectives]
        for hp in heads:
            picks = []
            for ps in adj_parses:
                match = next((p for p in ps if _agrees(p, hp)), None)
                if match is None:
                    break
                picks.append(match)
            else:
                break
        else:
            return out  # nothing agrees: keep as written
        if not adjectives:
            # keep a nominative reading that is nearly as likely as the best one
            top = max(p.score for p in heads if _head_rank(p, prefer) == _head_rank(hp, prefer))
            if any(p.tag.case == "nomn" and p.score >= top / 2 and _head_rank(p, prefer) <= _head_rank(hp, prefer)
                   for p in heads):
                return out
        if hp.tag.case == "nomn" or (not adjectives and hp.tag.number == "plur" and _predicted(hp)):
            return out  # already normal, or an unknown word guessed as a plural: keep
        number = hp.tag.number or "sing"
        word = _inflect(hp, {"nomn", number}) or _inflect(hp, {"nomn"})
        if word:
            out[i] = _recover_shape(word, w)
        grams = {"nomn", number}
        if number == "sing" and hp.tag.gender:
            grams.add(hp.tag.gender)
        for j, p in zip(adjectives, picks):
            word = _inflect(p, grams) or _inflect(p, {"nomn"})
            if word:
                out[j] = _recover_shape(word, words[j])
        return out
    if adjectives:
        _adjectives_normal(words, out, adjectives)
    return out


@lru_cache(maxsize=100_000)
def _truecase(word: str) -> str:
    """Likely writing of a word in a one-case message: proper nouns and adjectives from
    place names capitalized, known abbreviations in capitals, the rest lowercase.

    >>> _truecase("КУРСКОЙ"), _truecase("ОБЛАСТИ"), _truecase("мчс")
    ('Курской', 'области', 'МЧС')
    """
    low = word.lower()
    if not _is_word(low):
        return word
    parses = morph.parse(low)
    top = parses[0]
    if "Abbr" in top.tag and len(low) > 1:
        return low.upper()
    cut = top.score * 0.3
    for p in parses:
        if p.score < cut:
            break
        if {"Name", "Surn", "Patr", "Geox", "Orgn"} & p.tag.grammemes:
            return low[:1].upper() + low[1:]
        if p.tag.POS in _ADJ and p.normal_form.endswith(("ский", "цкий")) and "Qual" not in p.tag:
            return low[:1].upper() + low[1:]
    return low



@lru_cache(maxsize=50_000)
def _normal_cached(type_: str, words: tuple[str, ...], gaps: tuple[str, ...]) -> str:
    if type_ == "PER":
        out = _person_normal(list(words))
    else:
        out = _phrase_normal(list(words), type_)
    parts = [out[0]]
    for gap, w in zip(gaps, out[1:]):
        parts.append(gap)
        parts.append(w)
    return "".join(parts)


def normal_form(type_: str, words: Sequence[str], gaps: Sequence[str] | None = None) -> str:
    """Nominative normal form of an entity given its words.

    Parameters
    ----------
    type_ : {"PER", "ORG", "LOC"}
        Entity type; persons agree in gender and case, the others inflect the head
        noun and the adjectives before it.
    words : sequence of str
        The entity's tokens.
    gaps : sequence of str, optional
        The whitespace between consecutive tokens (default: one space).

    Examples
    --------
    >>> normal_form("PER", ["Ивановой", "Марии", "Петровне"])
    'Иванова Мария Петровна'
    >>> normal_form("ORG", ["Комитета", "дорожного", "хозяйства"])
    'Комитет дорожного хозяйства'
    """
    words = tuple(words)
    if not words:
        return ""
    gaps = tuple(gaps) if gaps is not None else (" ",) * (len(words) - 1)
    return _normal_cached(type_, words, gaps)
