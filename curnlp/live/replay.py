"""Prequential replay of a dated archive: route, observe, update, in time order.

:func:`replay` trains on the earliest ``start`` share of the archive, then for each block
(a calendar period of the time column, ``every="1M"``, or ``every=N`` messages): routes
the block with the current model (each message as of its own time), reveals each
message's true labels one by one to the router's monitor (a message routed after an
alarm in the same block is flagged ``convention_changed``, as it would be live), then
updates the model on the block through :func:`curnlp.live.update` (no cross-validation;
the promise threshold is chosen on the forward predictions of the latest blocks).

After an alarm the replay also routes the block as of each earlier labelling period the
model knows (``Router.route_many(times=...)`` at the period's end) and, once
``switch_after`` labelled messages have been seen since the alarm, routes the rest of the
block by the period that got most of them right (when it beats the latest by 20 points):
a convention that comes back (an umbrella label dropped again) is recognized at once
instead of being relearned. The routings stay flagged ``convention_changed``.
"""
from __future__ import annotations

import base64
import dataclasses
import io
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .monitor import Monitor

__all__ = ["replay", "ReplayResult"]

_TARGETS = ("topic", "group", "agency")


@dataclass(frozen=True)
class ReplayResult:
    """``routings``: one Routing per input row, in input order (None for the training rows
    before ``start``); ``summary``: per target overall / last half / per block metrics,
    alarms and recovery; ``order``: the row positions in time order."""

    routings: list
    summary: dict
    order: np.ndarray
    truths: dict
    updates: list

    def to_dict(self) -> dict:
        """The summary (JSON)."""
        return dict(self.summary)

    def correct(self, target: str = "agency") -> np.ndarray:
        """Per routed row in time order: 1 right, 0 wrong (no prediction counts as wrong)."""
        return np.array([_right(self.routings[i], target, self.truths[target][i]) for i in self._routed()], dtype=float)

    def _routed(self) -> list[int]:
        return [int(i) for i in self.order if self.routings[i] is not None and self.truths_any(int(i))]

    def truths_any(self, i: int) -> bool:
        return any(v[i] is not None for v in self.truths.values())

    def plot(self, target: str = "agency", window: int = 50, ax=None):
        """Trailing accuracy and unflagged share over the replay, with updates and alarms marked."""
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(10, 4))
        ok = self.correct(target)
        flagged = np.array([self.routings[i].needs_review for i in self._routed()], dtype=float)
        k = np.ones(window) / window
        if len(ok) >= window:
            ax.plot(np.convolve(ok, k, "valid"), label=f"{target} accuracy (trailing {window})")
            ax.plot(np.convolve(1 - flagged, k, "valid"), label="unflagged share", alpha=0.7)
        for a in self.summary.get("alarms", []):
            ax.axvline(a["position"], color="red", ls="--", lw=1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("routed messages (time order); red: alarms")
        ax.legend(loc="lower left")
        return ax

    def to_html(self, path: str | None = None) -> str:
        """An HTML page: the summary tables and the plot (written to ``path`` when given)."""
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        import pandas as pd
        rows = [{"target": t, "scope": scope, **m} for t, d in self.summary["targets"].items()
                for scope, m in (("overall", d["overall"]), ("last half", d["last_half"]))]
        parts = ["<h2>curnlp replay</h2>", pd.DataFrame(rows).to_html(index=False, float_format="%.3f")]
        if self.summary.get("alarms"):
            parts += ["<h3>alarms</h3>", pd.DataFrame(self.summary["alarms"]).to_html(index=False)]
        parts += ["<h3>blocks</h3>", pd.DataFrame(self.summary["blocks"]).to_html(index=False, float_format="%.3f")]
        ax = self.plot()
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        plt.close(ax.figure)
        parts.insert(2, f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">')
        page = "<html><meta charset='utf-8'><body>" + "\n".join(parts) + "</body></html>"
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page


def _right(r, target: str, truth: str | None) -> bool:
    pred = getattr(r, target, None)
    return pred is not None and truth is not None and pred.label == truth


def _top3(r, target: str, truth: str | None) -> bool:
    pred = getattr(r, target, None)
    if pred is None or truth is None:
        return False
    return truth in [pred.label] + [a for a, _ in pred.alternatives[:2]]


def _metrics(rs: Sequence[Any], truths: Sequence[str | None], target: str) -> dict[str, float | int]:
    pairs = [(r, t) for r, t in zip(rs, truths) if t is not None]
    n = len(pairs)
    if n == 0:
        return {"n": 0}
    un = [(r, t) for r, t in pairs if not r.needs_review]
    return {"n": n, "accuracy": sum(_right(r, target, t) for r, t in pairs) / n,
            "top3": sum(_top3(r, target, t) for r, t in pairs) / n,
            "unflagged": len(un) / n,
            "unflagged_accuracy": (sum(_right(r, target, t) for r, t in un) / len(un)) if un else float("nan")}


def _period_ends(router: Any) -> list[float]:
    """The last time of each labelling period of the router's model but the latest."""
    try:
        periods = router.classifier.periods_ or []
    except Exception:  # a bundle without its classifier: no earlier conventions to offer
        return []
    return [float(p.end) for p in periods[:-1]]


def _blocks(t: np.ndarray, kind: str, every: str | int, n0: int) -> list[np.ndarray]:
    """Consecutive position ranges (in time order) after the first ``n0``."""
    n = len(t)
    if isinstance(every, (int, np.integer)) and not isinstance(every, bool):
        if every < 1:
            raise ValueError(f"every must be ≥ 1, not {every}")
        cuts = list(range(n0, n, int(every))) + [n]
    else:
        if kind != "datetime" or not isinstance(every, str) or not re.fullmatch(r"\d*[DWMQY]", every.strip()):
            raise ValueError(f"every must be a number of messages or a calendar period like '1M', '7D' "
                             f"(for a date column), not {every!r}")
        import pandas as pd
        keys = pd.Series(pd.to_datetime(t[n0:], unit="s")).dt.to_period(every.strip()).astype(str).to_numpy()
        cuts = [n0] + [n0 + i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [n]
    return [np.arange(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def replay(data: Any, *, text: str | None = None, topic: str | None = None, group: str | None = None,
           agency: str | None = None, time: str, every: str | int = "1M", start: float = 0.2,
           region: Any = None, review_accuracy: float = 0.85, delta: float = 0.2, monitor: Monitor | None = None,
           progress: bool = False, switch_after: int = 10, **options: Any) -> ReplayResult:
    """Walk ``data`` in time order: train on the first ``start`` share, then route, observe
    and update block by block (see the module doc). ``options`` go to training."""
    import pandas as pd

    import curnlp
    from ..corpus import _resolve_column, guess_text_column, read_table, time_column
    from ..errors import CorpusError
    from .update import held_out_of, keep_rows, update
    frame = read_table(data) if not isinstance(data, pd.DataFrame) else data
    text_col = _resolve_column(text or guess_text_column(list(frame.columns)), list(frame.columns))
    if text_col is None:
        raise CorpusError(f"text column {text!r} not in the data")
    keep = np.array([isinstance(v, str) and bool(v.strip()) for v in frame[text_col].tolist()])
    frame = frame[keep].reset_index(drop=True)
    t, kind, time_col = time_column(frame, time, text_col)
    if not 0 < start < 1:
        raise ValueError(f"start must be in (0, 1), not {start!r}")
    order = np.argsort(t, kind="stable")
    st = t[order]
    n = len(order)
    n0 = int(np.searchsorted(st, st[min(int(round(start * n)), n - 1)], side="left"))
    labels = {k: v for k, v in (("topic", topic), ("group", group), ("agency", agency)) if v is not None}
    truths = {}
    for target, col in labels.items():
        found = _resolve_column(col, list(frame.columns))
        if found is None:
            raise CorpusError(f"label column {col!r} not in the data")
        truths[target] = [v.strip() if isinstance(v, str) and v.strip() else None for v in frame[found].tolist()]
    first = frame.iloc[order[:n0]].reset_index(drop=True)
    router = curnlp.train(first, text=text_col, **labels, time=time_col, region=region, folds=0, forward_folds=0,
                          review_accuracy=review_accuracy, **options)
    router.entities = False  # labels only: named entities play no part in the replay
    keep_rows(router, first)
    router.monitor = monitor if monitor is not None else Monitor(accuracy=review_accuracy)
    mon = router.monitor
    routings: list[Any] = [None] * len(frame)
    target = router.review_target
    updates, blocks_out, alarms = [], [], []
    blocks = _blocks(st, kind, every, n0)
    if progress:
        from tqdm.auto import tqdm
        blocks = tqdm(blocks, desc="replay", unit="block")
    position = 0
    for b, block in enumerate(blocks):
        idx = order[block]
        sub = frame.iloc[idx]
        texts = sub[text_col].tolist()
        routed = router.route_many(texts, times=sub[time_col].tolist(), evidence=False)
        # the block as of each earlier convention the model knows: after an alarm the router
        # routes by the one that fits the labels seen since the change (a reorganization undone)
        ends = _period_ends(router)
        by_period = [router.route_many(texts, times=[e] * len(texts), evidence=False) for e in ends] + [routed]
        hits = np.zeros(len(by_period))
        observed, use = 0, len(by_period) - 1
        stale = []
        truth_of = truths.get(target, [None] * len(frame))
        for j, i in enumerate(idx):
            r = by_period[use][j]
            decided = getattr(r, target)
            if mon.active and decided is not None and "convention_changed" not in r.review_reasons \
                    and mon.flags(decided.label):
                r = dataclasses.replace(r, needs_review=True, review_reasons=r.review_reasons + ("convention_changed",))
            stale.append(mon.active)
            pred = getattr(r, target)
            before = len(mon.alarms)
            mon.observe(None if pred is None else pred.label, truths.get(target, [None] * len(frame))[i],
                        flagged=r.needs_review, time=float(t[i]))
            for a in mon.alarms[before:]:
                alarms.append({**a, "position": position, "block": b})
            if len(mon.alarms) > before:
                hits[:], observed = 0, 0
            if mon.active and truth_of[i] is not None:
                hits += [_right(rs[j], target, truth_of[i]) for rs in by_period]
                observed += 1
                if observed >= switch_after:
                    best = int(np.flatnonzero(hits == hits.max())[-1])  # ties: the latest convention
                    use = best if hits[best] >= hits[-1] + 0.2 * observed else len(by_period) - 1
            routings[i] = r
            position += 1
        if mon.active and mon.change_time is not None:  # predicted by a model the change made stale
            stale = [s or float(t[i]) >= mon.change_time for s, i in zip(stale, idx)]
        held = held_out_of(router, [routings[i] for i in idx], [truths.get(target, [None] * len(frame))[i] for i in idx],
                           stale, [float(t[i]) for i in idx])
        blocks_out.append({"block": b, "rows": len(idx), "threshold": router.review_threshold,
                           "alarm": mon.active,
                           **{f"{k}_{m}": v for k in truths for m, v in _metrics(
                               [routings[i] for i in idx], [truths[k][i] for i in idx], k).items() if m != "n"}})
        if b == len(blocks) - 1:
            break
        change = mon.change_time if mon.active else None
        router = update(router, sub, held_out=held, change_time=change, delta=delta)
        router.entities = False  # (update cleared the alarm if the rows after the change sufficed)
        updates.append({"after_block": b, "rows": int(block[-1] + 1), "threshold": router.review_threshold,
                        "promise": router.promise})
    summary = _summary(routings, truths, order, n0, alarms, blocks_out, updates, kind)
    return ReplayResult(routings, summary, order, truths, updates)


def _summary(routings, truths, order, n0, alarms, blocks, updates, kind) -> dict:
    routed = [int(i) for i in order[n0:]]
    half = routed[len(routed) - (len(order) // 2):] if len(order) // 2 <= len(routed) else routed
    out: dict[str, Any] = {"rows": len(order), "trained_on_first": int(n0), "blocks": blocks,
                           "updates": len(updates), "targets": {}}
    for target, tr in truths.items():
        out["targets"][target] = {
            "overall": _metrics([routings[i] for i in routed], [tr[i] for i in routed], target),
            "last_half": _metrics([routings[i] for i in half], [tr[i] for i in half], target)}
    main = "agency" if "agency" in truths else next(iter(truths))
    ok = np.array([_right(routings[i], main, truths[main][i]) for i in routed], dtype=float)
    out["alarms"] = []
    for a in alarms:
        rec = dict(a)
        if a["agency"] is None:
            rec["recovered_after"] = _recovery(ok, a["position"], 50, 0.70)
        out["alarms"].append(rec)
    return out


def _recovery(ok: np.ndarray, fired: int, window: int, level: float) -> int | None:
    """Messages after ``fired`` until the trailing-``window`` accuracy is back at ``level`` (None: never)."""
    for j in range(fired + 1, len(ok) + 1):
        lo = max(0, j - window)
        if j - lo == window and ok[lo:j].mean() >= level:
            return j - fired
    return None
