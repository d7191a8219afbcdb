"""Evidence codes in Russian words: what a feature that pushed a decision means to a person.

``Routing.evidence`` lists, per target, the model's features with the largest share in the
decision, by their machine names (the feature names of :mod:`curnlp.layout`); :func:`readable`
turns one name into a phrase an operator can read; ``Routing.to_dict()["evidence_text"]``
holds those phrases, in the same order as ``evidence``.

Legend (``<p>`` is a labelling period counted from 0 in the code, from 1 for people):

=====================================  =====================================================
code                                   reading
=====================================  =====================================================
``w:яма``                              слово «яма» (a lemma; ``w:яма дорога``: слова «яма дорога»)
``c:ям``                               буквы «ям» (a character n-gram)
``m:Курск``                            муниципалитет Курск
``m:Курск?``                           муниципалитет Курск (предположительно): a place resolved
                                       with low confidence, e.g. a lone street taken to be in
                                       the regional capital
``p:topic=Уличное освещение``          тема «Уличное освещение» (the topic model's probability
                                       of that class; ``p:group=…``: группа «…»)
``x:Курск&topic=Уличное освещение``    Курск и тема «Уличное освещение» (municipality × class)
``t5:bias``                            период 6 разметки (the agency's habit in that period)
``t5:Курск``                           период 6: муниципалитет Курск
``t5:p:Уличное освещение``             период 6: тема «Уличное освещение»
``t5:w:яма``                           период 6: слово «яма»
``bias``                               общая склонность модели
=====================================  =====================================================

A period's stacked class carries no target in its code; :func:`readable` takes it from
``stack_target`` (``"topic"``/``"group"``), else says «тема или группа».
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

__all__ = ["readable", "readable_all", "stack_target_of", "TARGET_WORDS"]

#: The Russian word for each classified target.
TARGET_WORDS = {"topic": "тема", "group": "группа", "agency": "исполнитель"}

_PERIOD = re.compile(r"t(\d+):(.*)", re.S)
_TARGETED = re.compile(r"(?:p:|x:[^&]*&)(topic|group)=")


def _municipality(name: str) -> str:
    if name.endswith("?"):
        return f"муниципалитет {name[:-1]} (предположительно)"
    return f"муниципалитет {name}"


def _place(name: str) -> str:
    return f"{name[:-1]} (предположительно)" if name.endswith("?") else name


def _class(target: str | None, label: str) -> str:
    return f"{TARGET_WORDS.get(target or '', 'тема или группа')} «{label}»"


def _text(code: str) -> str | None:
    """A text feature (``w:``/``c:``) in words, None for any other code."""
    if code.startswith("w:"):
        words = code[2:].strip()
        return f"{'слова' if ' ' in words else 'слово'} «{words}»"
    if code.startswith("c:"):
        return f"буквы «{code[2:].strip()}»"
    return None


def readable(code: str, stack_target: str | None = None) -> str:
    """The Russian reading of one evidence code (see the module legend).

    >>> readable("w:яма"), readable("c:ям"), readable("m:Курск?")
    ('слово «яма»', 'буквы «ям»', 'муниципалитет Курск (предположительно)')
    >>> readable("x:Курск&topic=Уличное освещение")
    'Курск и тема «Уличное освещение»'
    >>> readable("t5:bias"), readable("t5:p:Уличное освещение", "topic"), readable("t0:Льгов")
    ('период 6 разметки', 'период 6: тема «Уличное освещение»', 'период 1: муниципалитет Льгов')

    An unknown code is returned as it is (a newer feature block is still shown).
    """
    period = _PERIOD.fullmatch(code)
    if period is not None:
        number, rest = int(period.group(1)) + 1, period.group(2)
        if rest == "bias":
            return f"период {number} разметки"
        if rest.startswith("p:"):
            inner = _class(stack_target, rest[2:])
        else:  # the period's text copy keeps its prefix; its municipality copy has none
            inner = _text(rest) or _municipality(rest)
        return f"период {number}: {inner}"
    if code == "bias":
        return "общая склонность модели"
    text = _text(code)
    if text is not None:
        return text
    if code.startswith("m:"):
        return _municipality(code[2:])
    if code.startswith("p:") and "=" in code:
        target, _, label = code[2:].partition("=")
        return _class(target, label)
    if code.startswith("x:") and "&" in code and "=" in code:
        place, _, rest = code[2:].partition("&")
        target, _, label = rest.partition("=")
        return f"{_place(place)} и {_class(target, label)}"
    return code


def stack_target_of(codes: Iterable[str], labels: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """Which target's probabilities a model stacked, as far as one routing shows it: the
    target named by a ``p:``/``x:`` code, else the target (of ``labels``: target → its
    predicted and alternative labels) that has every class of the ``t<p>:p:`` codes."""
    codes = list(codes)
    for code in codes:
        found = _TARGETED.match(code)
        if found is not None:
            return found.group(1)
    classes = {m.group(2)[2:] for m in map(_PERIOD.fullmatch, codes) if m is not None and m.group(2).startswith("p:")}
    if classes and labels:
        for target in ("topic", "group"):
            if classes <= set(labels.get(target, ())):
                return target
    return None


def readable_all(evidence: Mapping[str, Sequence[tuple[str, float]]],
                 labels: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[str]]:
    """``{target: [reading, ...]}`` parallel to ``evidence`` (``{target: [(code, weight), ...]}``)."""
    target = stack_target_of((code for ev in evidence.values() for code, _ in ev), labels)
    return {t: [readable(code, target) for code, _ in ev] for t, ev in evidence.items()}
