"""Noticing that the labelling convention changed: a CUSUM on the errors of unflagged routings.

A router promises that its unflagged routings are right with probability ``accuracy``
(:mod:`curnlp.live.promise`). :class:`Monitor` watches that promise as true labels come
in: each observed *unflagged* routing adds to a one-sided Bernoulli CUSUM (Page's test)
the log-likelihood ratio of "error rate ``bad``" against "error rate ``1 - accuracy``"::

    S = max(0, S + (log(bad / e0) if wrong else log((1 - bad) / (1 - e0))))

and the alarm fires when ``S >= h``. With the defaults (e0 = 0.15, bad = 0.5, h = 6) a
stretch where every unflagged routing is wrong fires after 5 messages, one where half are
wrong after ~20 on average; at the promised error rate the mean run between false alarms
is several thousand observations (``tests/test_live_monitor.py`` simulates it). The same
test runs per predicted agency (``h_agency``, higher since there are many of them): a
reorganization that renames one agency flags only the messages routed to it.

Unflagged routings alone cannot show a change when the threshold flags nearly everything
(a bundle that cannot keep its promise routes little): a second CUSUM watches *every*
routing with a true label against the overall accuracy the latest held-out rows showed
(``baseline``, set by :meth:`expect` at each update; alternative error
``min(0.95, 1 - baseline + shift)``, null error at least 0.02, threshold ``h_all``), and raises the same alarm.

When the alarm fires the change point is estimated as the time of the first observation
after the CUSUM last left zero; from then on the router flags routings
``convention_changed`` until an update holds at least ``catch_up_rows`` labelled rows
after that point (:meth:`caught_up`), then the statistics restart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Monitor"]


@dataclass
class _Cusum:
    s: float = 0.0
    start: float | None = None  # time of the first observation since s last was 0 (None: untimed)
    start_index: int | None = None


@dataclass
class Monitor:
    """Sequential test of the accuracy of unflagged routings, overall and per agency."""

    accuracy: float = 0.85
    bad: float = 0.5
    h: float = 6.0
    h_agency: float = 8.0
    catch_up_rows: int = 30
    #: overall accuracy expected of every routing (None: the all-routings test is off)
    baseline: float | None = None
    shift: float = 0.35
    h_all: float = 8.0
    #: True while the overall test has fired and no update has caught up
    alarm: bool = False
    #: agencies whose own test fired (their routings are flagged)
    agencies: set = field(default_factory=set)
    #: estimated time the change started (None when the observations carried no time)
    change_time: float | None = None
    #: observations seen, alarms raised (``{"index", "time", "change_time", "agency"}``)
    seen: int = 0
    alarms: list = field(default_factory=list)
    _all: _Cusum = field(default_factory=_Cusum, repr=False)
    _per: dict = field(default_factory=dict, repr=False)
    _any: _Cusum = field(default_factory=_Cusum, repr=False)

    def __post_init__(self) -> None:
        e0 = 1.0 - self.accuracy
        if not 0 < e0 < self.bad < 1:
            raise ValueError(f"need 0 < 1 - accuracy < bad < 1, got accuracy={self.accuracy}, bad={self.bad}")
        self._up = math.log(self.bad / e0)
        self._down = math.log((1 - self.bad) / (1 - e0))

    @property
    def active(self) -> bool:
        """Whether any routing is being flagged now."""
        return self.alarm or bool(self.agencies)

    def flags(self, agency: str | None) -> bool:
        """Whether a routing whose deciding label is ``agency`` must be flagged ``convention_changed``."""
        return self.alarm or (agency is not None and agency in self.agencies)

    def observe(self, predicted: str | None, truth: str | None, *, flagged: bool, time: float | None = None) -> bool:
        """Feed one routed message: its deciding label, the true one and whether it was
        flagged for review. The unflagged test counts unflagged routings with a true label,
        the all-routings test (with a ``baseline``) every routing with one. Returns True
        when this observation raised an alarm."""
        self.seen += 1
        if truth is None:
            return False
        wrong = predicted != truth
        when = None if time is None else float(time)  # untimed observations give no change time
        fired = False
        if self.baseline is not None and 1 - self.baseline < 0.95:
            e0 = max(1 - self.baseline, 0.02)  # a perfect recent record still allows rare errors
            e1 = min(0.95, e0 + self.shift)
            up, down = math.log(e1 / e0), math.log((1 - e1) / (1 - e0))
            if self._step(self._any, wrong, when, self.h_all, up, down) and not self.alarm:
                self.alarm, self.change_time, fired = True, self._any.start, True
                self.alarms.append({"index": self.seen, "time": when, "change_time": self._any.start,
                                    "agency": None, "test": "all"})
        if flagged:
            return fired
        if self._step(self._all, wrong, when, self.h) and not self.alarm:
            fired = self.alarm = True
            self.change_time = self._all.start
            self.alarms.append({"index": self.seen, "time": when, "change_time": self._all.start, "agency": None,
                                "test": "unflagged"})
        if predicted is not None:
            cusum = self._per.setdefault(predicted, _Cusum())
            if self._step(cusum, wrong, when, self.h_agency) and predicted not in self.agencies:
                self.agencies.add(predicted)
                self.alarms.append({"index": self.seen, "time": when, "change_time": cusum.start,
                                    "agency": predicted, "test": "agency"})
                if self.change_time is None:
                    self.change_time = cusum.start
                fired = True
        return fired

    def _step(self, c: _Cusum, wrong: bool, when: float, h: float, up: float | None = None,
              down: float | None = None) -> bool:
        if c.s == 0.0:
            c.start, c.start_index = when, self.seen
        c.s = max(0.0, c.s + ((self._up if up is None else up) if wrong else (self._down if down is None else down)))
        return c.s >= h

    def expect(self, accuracy: float | None) -> None:
        """Set the overall accuracy every routing is expected to reach (from the latest held-out rows)."""
        self.baseline = None if accuracy is None else float(accuracy)

    def caught_up(self, rows_after_change: int) -> bool:
        """After an update holding ``rows_after_change`` labelled rows since the change:
        clear the alarm (and restart the tests) when they are enough; returns whether it did."""
        if not self.active or rows_after_change < self.catch_up_rows:
            return False
        self.reset()
        return True

    def reset(self) -> None:
        """Clear the alarms and restart the statistics (keeps the history of alarms)."""
        self.alarm, self.agencies, self.change_time = False, set(), None
        self._all, self._per, self._any = _Cusum(), {}, _Cusum()

    def to_dict(self) -> dict[str, Any]:
        """Parameters and state (JSON), as the manifest stores them."""
        return {"accuracy": self.accuracy, "bad": self.bad, "h": self.h, "h_agency": self.h_agency,
                "catch_up_rows": self.catch_up_rows, "baseline": self.baseline, "alarm": self.alarm, "agencies": sorted(self.agencies),
                "change_time": self.change_time, "seen": self.seen, "alarms": self.alarms[-20:]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, accuracy: float = 0.85) -> "Monitor":
        """A monitor with the parameters and alarm state of :meth:`to_dict` (statistics restart)."""
        d = dict(d or {})
        m = cls(accuracy=float(d.get("accuracy", accuracy)), bad=float(d.get("bad", 0.5)), h=float(d.get("h", 6.0)),
                h_agency=float(d.get("h_agency", 8.0)), catch_up_rows=int(d.get("catch_up_rows", 30)))
        m.alarm, m.agencies, m.change_time = bool(d.get("alarm")), set(d.get("agencies") or ()), d.get("change_time")
        m.seen, m.alarms = int(d.get("seen", 0)), list(d.get("alarms") or [])
        m.baseline = d.get("baseline")
        return m
