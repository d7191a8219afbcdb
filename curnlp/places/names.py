"""Place names into their canonical form: the morphology the location scan needs.

pymorphy3 (through :mod:`curnlp.morph`) is asked only about the few words next to a type word
or a gazetteer hit: is it an adjective and of which gender, a surname, a common noun, and what
is its nominative («улице Союзной» → «Союзная», «Льгова» → «Льгов»). Each question is cached
(bounded), because the same street and village names recur across messages.
"""
from __future__ import annotations

from functools import lru_cache

from .. import morph

_ADJ_ENDINGS = ("ая", "ой", "ую", "ый", "ий", "ое", "ей", "ого", "его", "ому", "ему", "ом", "ем", "ым", "им", "ые", "ие",
                "ых", "их", "яя", "юю", "ее", "ыми", "ими")


def ordinal_name(text: str, gender: str) -> str:
    """'7-му', 'masc' -> '7-й'."""
    return text.split("-", 1)[0] + {"masc": "-й", "femn": "-я", "neut": "-е"}.get(gender, "-й")


@lru_cache(maxsize=20_000)
def lower_name_ok_strict(word: str, gender: str) -> bool:
    """A lowercase word after a type word in a mixed-case message: an unknown word, an agreeing adjective or a proper name."""
    genders = adjective_genders(word)
    low = word.lower()
    if len(low) >= 4 and unknown_word(low):
        return True  # a word no dictionary knows, or a place name: a name («в районе деревни клишино»)
    if genders:
        return gender in genders
    parses = morph.parse(low)
    return bool(parses) and parses[0].tag.POS == "NOUN" and any(g in parses[0].tag for g in ("Surn", "Name", "Geox"))


@lru_cache(maxsize=20_000)
def unknown_word(word: str) -> bool:
    """Not an ordinary dictionary word: unknown to pymorphy or a geographic name ("будище")."""
    low = word.lower()
    if not low.isalpha():
        return False
    parses = morph.parse(low)
    return not morph.analyzer().word_is_known(low) or any("Geox" in p.tag for p in parses[:2])


@lru_cache(maxsize=20_000)
def name_like(word: str) -> bool:
    """A lower-case word that is most likely a name: unknown to the dictionary, or a surname/place name."""
    if unknown_word(word):
        return True
    parses = morph.parse(word.lower())
    return bool(parses) and any(g in parses[0].tag for g in ("Surn", "Geox"))


@lru_cache(maxsize=20_000)
def common_noun(word: str) -> bool:
    """A common noun (no name, surname or place name reading among the likely parses): "ЯМЫ", "Победы"."""
    parses = [p for p in morph.parse(word.lower()) if p.score >= 0.1] or list(morph.parse(word.lower()))[:1]
    return bool(parses) and all(p.tag.POS == "NOUN" and not any(g in p.tag for g in ("Surn", "Name", "Geox", "Patr"))
                                for p in parses)


@lru_cache(maxsize=20_000)
def nominative(word: str) -> str:
    """Nominative of a noun or adjective, keeping its number ("Лугах" -> "Луга", "Ивановки" -> "Ивановка")."""
    for p in morph.parse(word.lower()):
        if p.tag.POS in ("NOUN", "ADJF"):
            form = p.inflect({"nomn"} if p.tag.number == "plur" else {"nomn", "sing"})
            if form is not None:
                return cap_name(form.word)
    return cap_name(word)


@lru_cache(maxsize=20_000)
def lower_name_ok(word: str) -> bool:
    """In an all-lowercase message: can ``word`` be a name (an adjective or a proper/oblique noun)?"""
    parses = morph.parse(word.lower())
    if not parses:
        return False
    tag = parses[0].tag
    if tag.POS == "ADJF":
        return True
    return tag.POS == "NOUN" and ("Surn" in tag or "Name" in tag or "Geox" in tag or tag.case == "gent")


def cap_name(word: str) -> str:
    """Capitalize each hyphen part: 'северо-западный' -> 'Северо-Западный'; keep 'КЗТЗ', '1-я'."""
    if word.isupper() and len(word) > 1:
        return word
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


@lru_cache(maxsize=20_000)
def adjective_genders(word: str) -> tuple[str, ...] | None:
    """Genders (and 'plur') an adjective form can have, or None if ``word`` is not a full adjective."""
    low = word.lower().replace("ё", "е")
    if not low.endswith(_ADJ_ENDINGS) or not low[0].isalpha():
        return None
    genders = set()
    for p in morph.parse(low):
        tag = p.tag
        if tag.POS == "ADJF" and "Apro" not in tag and "Anum" not in tag:
            genders.add(str(tag.gender) if tag.gender else "plur")
        elif tag.POS == "NOUN" and p.score > 0.3 and "Surn" not in tag and "Geox" not in tag:
            return None  # mostly a noun ("проезд", "Заря")
    return tuple(sorted(g for g in genders if g)) or None


@lru_cache(maxsize=20_000)
def inflect_adjective(word: str, gender: str) -> str | None:
    """Nominative singular of an adjective in ``gender`` ('Союзной', 'femn' -> 'Союзная')."""
    low = word.lower()
    for p in morph.parse(low):
        if p.tag.POS == "ADJF" and (p.tag.gender == gender or p.tag.number == "plur" or gender == "plur"):
            form = p.inflect({"nomn", "sing", gender} if gender != "plur" else {"nomn", "plur"})
            if form is not None:
                return cap_name(form.word)
    return None


@lru_cache(maxsize=20_000)
def noun_nominative(word: str) -> str:
    """Nominative of a place-name noun ('Льгова' -> 'Льгов'); the word itself if unsure."""
    low = word.lower()
    for p in morph.parse(low):
        if p.tag.POS == "NOUN" and "Geox" in p.tag:
            form = p.inflect({"nomn"})
            if form is not None:
                return cap_name(form.word)
    return cap_name(word)


@lru_cache(maxsize=20_000)
def street_noun(word: str, marker: str) -> str:
    """A one-noun street name in the marker's oblique case goes to the nominative ('улице Пучковке')."""
    cases = {str(p.tag.case) for p in morph.parse(marker) if p.tag.POS == "NOUN"} - {"nomn", "gent"}
    if not cases or not word[:1].isupper():
        return cap_name(word)
    for p in morph.parse(word.lower()):
        if p.tag.POS == "NOUN" and str(p.tag.case) in cases and p.tag.number == "sing" and "Surn" not in p.tag and "Name" not in p.tag:
            form = p.inflect({"nomn"})
            if form is not None:
                return cap_name(form.word)
    return cap_name(word)


def canon_name(words: list[str], gender: str, inflect_nouns: bool) -> str:
    """Canonical name words: adjectives agreeing with the type word go to the nominative."""
    if len(words) == 1:
        w = words[0]
        genders = adjective_genders(w)
        if genders and (gender in genders or "plur" in genders):
            return inflect_adjective(w, gender) or cap_name(w)
        if gender == "femn" and w.lower().endswith(("ой", "ей", "ую")):  # "улице Литейной" (also a noun "литейная")
            adj = inflect_adjective(w, gender)
            if adj is not None:
                return adj
        return noun_nominative(w) if inflect_nouns else cap_name(w)
    # adjective + noun in an oblique case agreeing with each other: "в деревне Старом Бузце"
    if inflect_nouns and len(words) == 2 and adjective_genders(words[0]):
        adj_parses = [p for p in morph.parse(words[0].lower()) if p.tag.POS == "ADJF"]
        noun_parses = [p for p in morph.parse(words[1].lower()) if p.tag.POS == "NOUN"]
        for a in adj_parses:
            for n in noun_parses:
                if a.tag.case == n.tag.case and a.tag.case not in ("nomn", "gent") and a.tag.gender == n.tag.gender:
                    na, nn = a.inflect({"nomn", "sing"}), n.inflect({"nomn", "sing"})
                    if na and nn:
                        return f"{cap_name(na.word)} {cap_name(nn.word)}"
    return " ".join(w if w[:1].isdigit() or w in ("лет", "летия") else cap_name(w) for w in words)

