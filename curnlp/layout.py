"""The column layout of the agency model's features, described once.

Fitting (:class:`curnlp.models.RoutingClassifier`, scikit-learn sparse matrices) and
inference (:class:`curnlp.predictor.Predictor`, plain numpy) must agree on where each
block of the agency features starts; both read it from :class:`AgencyLayout`, so the two
cannot drift. The blocks, in order:

1. text: the TF-IDF columns of the message (``w:`` lemma n-grams, ``c:`` character n-grams);
2. municipality one-hot (``m:<name>``), when the municipality block is on;
3. stacked probabilities of the topic or group model (``p:<target>=<class>``);
4. municipality × stacked class (``x:<municipality>&<target>=<class>``);
5. with labelling periods, one slot per period (``t<period>:...``): the text again when
   ``period_text``, then a bias, the municipality one-hot and the stacked probabilities.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

__all__ = ["AgencyLayout"]


@dataclass(frozen=True, slots=True)
class AgencyLayout:
    """Sizes of the agency feature blocks.

    >>> layout = AgencyLayout(text=3, municipalities=2, municipality_block=True, stacked=2, periods=2,
    ...                       period_text=False)
    >>> layout.offsets(), layout.period_slot(), layout.width()
    ((3, 5, 7, 11), 5, 21)
    >>> names = dict(text_names=["w:яма", "w:фонарь", "c:ям"], municipality_names=["Курск", "Льгов"],
    ...              stack_target="topic", stack_names=["дороги", "свет"])
    >>> [layout.name(i, **names) for i in (1, 3, 6, 8, 11, 17)]
    ['w:фонарь', 'm:Курск', 'p:topic=свет', 'x:Курск&topic=свет', 't0:bias', 't1:Курск']
    """

    text: int
    municipalities: int
    municipality_block: bool
    stacked: int  # classes of the stacked model; 0 when no probabilities are stacked
    periods: int  # period slots; 0 without periods
    period_text: bool

    def offsets(self) -> tuple[int, int, int, int]:
        """Columns where the municipality, the stacked probabilities, the interactions and
        the period slots start."""
        muni = self.text
        stack = muni + (self.municipalities if self.municipality_block else 0)
        inter = stack + self.stacked
        return muni, stack, inter, inter + self.municipalities * self.stacked

    def period_slot(self) -> int:
        """Columns of one period's slot: [text], bias, municipality one-hot, stacked probabilities."""
        return (self.text if self.period_text else 0) + 1 + self.municipalities + self.stacked

    def width(self) -> int:
        """All columns of the agency features."""
        return self.offsets()[3] + self.period_slot() * self.periods

    def name(self, i: int, text_names: Sequence[str], municipality_names: Sequence[str], stack_target: str | None,
             stack_names: Sequence[str]) -> str:
        """The readable name of column ``i`` (see the module docstring for the prefixes)."""
        muni_at, stack_at, inter_at, periods_at = self.offsets()
        if i < muni_at:
            return str(text_names[i])
        if i < stack_at:
            return "m:" + str(municipality_names[i - muni_at])
        if i < inter_at:
            return f"p:{stack_target}={stack_names[i - stack_at]}"
        if i < periods_at:
            m, c = divmod(i - inter_at, self.stacked)
            return f"x:{municipality_names[m]}&{stack_target}={stack_names[c]}"
        period, j = divmod(i - periods_at, self.period_slot())
        if self.period_text:
            if j < self.text:
                return f"t{period}:{text_names[j]}"
            j -= self.text
        if j == 0:
            return f"t{period}:bias"
        if j <= self.municipalities:
            return f"t{period}:{municipality_names[j - 1]}"
        return f"t{period}:p:{stack_names[j - 1 - self.municipalities]}"
