"""Which municipality an agency serves, so that a message placed surely in one municipality
is not routed to another municipality's own bodies.

A city committee («Комитет дорожного хозяйства города Курска») or a district administration
(«Администрация Обоянского района») serves one territory; a regional ministry or inspection
serves them all. The territory of an agency is read from its name by the place stage itself
(:func:`curnlp.places.locate` on the label: «города Курска» → Курск, «Обоянского района» →
Обоянский район), so no list is kept by hand and any region pack works. A message whose
municipality is sure may go to the bodies of that municipality, of the units around it (the
district of a town, the city of an inner okrug) and of the units inside it, and to every
body with no territory of its own; the others are taken out of the agency's distribution
(not renormalized: the confidences stay the model's probabilities).
"""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from .places import Region, locate

__all__ = ["Territories", "SURE"]

#: A municipality resolved at least this surely restricts the agencies; a guess does not.
SURE = 0.5


class Territories:
    """The territory of each agency class of a model, for one region pack.

    >>> from curnlp.places import load_region
    >>> t = Territories(["Комитет дорожного хозяйства города Курска", "Администрация г. Обояни",
    ...                  "Администрация Обоянского района", "Комитет здравоохранения Курской области"],
    ...                 load_region("kursk"))
    >>> t.homes
    ('Курск', 'Обоянь', 'Обоянский район', None)
    >>> t.allowed("Обоянь").tolist()            # the town, its district and the region's bodies
    [False, True, True, True]
    >>> t.allowed("Сеймский округ").tolist()    # an inner okrug of Kursk: the city's bodies serve it
    [True, False, False, True]
    """

    def __init__(self, agencies: Sequence[str], region: Region) -> None:
        self.region = region
        self.labels = tuple(agencies)
        homes = []
        for label in agencies:
            match = locate(label, region=region).municipality
            homes.append(match.name if match is not None and match.confidence >= SURE else None)
        #: the municipality each agency serves (None: the whole region, or not said by its name)
        self.homes: tuple[str | None, ...] = tuple(homes)
        self._masks: dict[str, np.ndarray | None] = {}
        self._own: dict[str, int] = {}
        self._lock = threading.Lock()

    def allowed(self, municipality: str) -> np.ndarray | None:
        """Which agencies may handle a message surely in ``municipality`` (a bool per agency
        class), or None when all may (a municipality the pack does not know)."""
        mask = self._masks.get(municipality, False)
        if mask is False:
            related = self._related(municipality)
            mask = None if related is None else np.array([h is None or h in related for h in self.homes], dtype=bool)
            with self._lock:
                self._masks[municipality] = mask
        return mask

    def own(self, municipality: str) -> int:
        """The agency class that is ``municipality``'s own body (its administration, else the
        one of the unit around it: a town's district), or -1 when the model has none."""
        found = self._own.get(municipality)
        if found is None:
            units = self.region.municipalities
            by_name = {m.name: m for m in units.values()}
            found, unit = -1, by_name.get(municipality)
            while unit is not None and found < 0:
                candidates = [j for j, h in enumerate(self.homes) if h == unit.name]
                # the administration first (its label starts with the word), then any body of the unit
                admins = [j for j in candidates if self.labels[j].lower().startswith("администрация")]
                found = (admins or candidates or [-1])[0]
                unit = units.get(unit.parent) if unit.parent else None
            with self._lock:
                self._own[municipality] = found
        return found

    def _related(self, name: str) -> frozenset[str] | None:
        """``name``, the units around it and the units inside it (names), or None if unknown."""
        units = self.region.municipalities
        by_name = {m.name: m for m in units.values()}
        unit = by_name.get(name)
        if unit is None:
            return None
        around, up = set(), unit
        while up is not None:
            around.add(up.name)
            up = units.get(up.parent) if up.parent else None
        inside = {m.name for m in units.values() if self._within(m, unit.id, units)}
        return frozenset(around | inside)

    @staticmethod
    def _within(unit, ancestor_id: str, units) -> bool:
        seen = set()
        while unit.parent and unit.parent not in seen:
            if unit.parent == ancestor_id:
                return True
            seen.add(unit.parent)
            unit = units.get(unit.parent)
            if unit is None:
                return False
        return False
