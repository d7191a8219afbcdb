"""Stage 4: the Router runs normalize → extract → classify on messages and returns Routing.

A Router is loaded once (``curnlp.load()``) and shared: it holds the classifier, the
region pack and the review threshold, and no per-call mutable state, so many threads
may call :meth:`Router.route` at once.
"""
from __future__ import annotations

import logging
import os

import numpy as np
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import bundle as _bundle
from .ner import Entity, distinct_entities, extract_entities_many
from .predictor import NotCompilable, Prediction, Predictor
from .records import MessageRecord
from .errors import CorruptModel, InvalidInput, ModelNotFound, describe
from .pipeline import MAX_LENGTH, Pipeline, Read, check_config
from .territory import SURE as TERRITORY_SURE, Territories
from .language import learned_languages
from .places import Location, OtherRegion, Place, Region, load_region

__all__ = ["Prediction", "Routing", "Router", "DEFAULT_MODEL", "TARGETS", "REVIEW_REASONS"]

log = logging.getLogger("curnlp")


def _default_model() -> Path:
    """The shipped bundle: inside the installed package, or ``models/kursk`` of a source checkout."""
    installed = Path(__file__).resolve().parent / "shipped" / "kursk"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "models" / "kursk"


#: The shipped default bundle (``models/kursk`` in the repository).
DEFAULT_MODEL = _default_model()
#: What a bundle can predict, in routing order.
TARGETS = ("topic", "group", "agency")
#: How many features are reported as evidence per decision.
EVIDENCE_WORDS = 5
#: Every reason a Routing can be flagged for review, in the order they are listed (see Routing).
REVIEW_REASONS = ("no_words", "not_russian", "outside_region", "truncated", "no_prediction", "low_confidence",
                  "convention_changed")


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a message goes and why.

    ``topic``/``group``/``agency`` are None when the bundle has no model for them or when
    the router cannot know them (see the reasons below); ``needs_review`` is true exactly
    when ``review_reasons`` is not empty; ``evidence`` maps a target to the features that
    pushed its decision, as ``(code, weight)`` pairs (codes such as ``w:яма``, ``m:Курск``,
    ``p:topic=…``; :attr:`evidence_text` reads them in Russian, see :mod:`curnlp.evidence`
    for the legend); ``truncated`` tells that only the first
    ``max_length`` characters were read; ``model`` is the bundle id; ``group_name`` is
    the region pack's human-readable name of the group code; ``region`` is the official
    name of the region the message is about when known (the home region's whenever a
    municipality of its pack is resolved, the other region's when ``outside_region``);
    ``outside`` holds the other region, city and the words that show it, with offsets into the
    original text; ``locations`` and ``entities`` hold each place and name once (its first
    mention), at most 100 of each. The labels are the argmax of the distributions they are
    reported with (:func:`curnlp.predictor.reported`): never the merged rare class, the topic
    within the chosen group, and for a message surely in one municipality, an agency of that
    municipality or of the whole region (:mod:`curnlp.territory`).

    ``review_reasons`` (in this order; a message can have several):

    * ``no_words``: nothing to read (empty, spaces, emoji, digits, punctuation, only a
      link): no labels, no places;
    * ``not_russian``: the words are not Russian (:mod:`curnlp.language`): no labels (the
      model reads Russian lemmas; anything it said would be a guess), places and names kept;
    * ``outside_region``: the problem is in another region (:func:`curnlp.places.russia.detect_other_region`):
      ``agency`` is None (no agency of the home region handles it) and ``municipality``
      None; ``topic``/``group`` are kept (what the problem is), ``region``/``outside`` name the place;
    * ``truncated``: the message was longer than ``max_length`` and only its start was read;
    * ``no_prediction``: the bundle gave no prediction for the target that decides review;
    * ``low_confidence``: the deciding prediction (the agency) is below the bundle's
      review threshold: the labels are suggestions for a person;
    * ``convention_changed``: the router's monitor (:class:`curnlp.live.Monitor`, fed by
      :meth:`Router.observe`) found its unflagged routings (overall, or to this agency)
      wrong more often than promised: the labelling convention seems to have changed, and
      until an update catches up the labels are suggestions.
    """

    topic: Prediction | None
    group: Prediction | None
    agency: Prediction | None
    needs_review: bool
    municipality: str | None
    locations: list[Location]
    entities: list[Entity]
    evidence: dict[str, list[tuple[str, float]]]
    model: str
    truncated: bool = False
    group_name: str | None = None
    review_reasons: tuple[str, ...] = ()
    place: Place | None = None

    @property
    def region(self) -> str | None:
        """The official name of the region the message is about (``place.region``), or None."""
        return self.place.region if self.place is not None else None

    @property
    def outside(self) -> OtherRegion | None:
        """The other region the problem is in (``place.outside``), or None."""
        return self.place.outside if self.place is not None else None

    @property
    def evidence_text(self) -> dict[str, list[str]]:
        """``evidence`` in Russian words, item for item: ``{"agency": ["муниципалитет Обоянь",
        "слово «обоянь»", "период 6: муниципалитет Обоянь", ...], ...}`` (see :mod:`curnlp.evidence`)."""
        from .evidence import readable_all
        labels = {t: [p.label, *(label for label, _ in p.alternatives)]
                  for t, p in (("topic", self.topic), ("group", self.group)) if p is not None}
        return readable_all(self.evidence, labels)

    def to_dict(self) -> dict:
        """A JSON-serializable dict. ``evidence`` keeps the ``[code, weight]`` pairs;
        ``evidence_text`` holds their Russian readings in the same order."""
        return {
            "topic": self.topic.to_dict() if self.topic else None,
            "group": self.group.to_dict() if self.group else None,
            "group_name": self.group_name,
            "agency": self.agency.to_dict() if self.agency else None,
            "needs_review": self.needs_review,
            "review_reasons": list(self.review_reasons),
            "region": self.region,
            "outside": self.outside.to_dict() if self.outside else None,
            "municipality": self.municipality,
            "locations": [loc.to_dict() for loc in self.locations],
            "entities": [ent.to_dict() for ent in self.entities],
            "evidence": {t: [[w, round(v, 4)] for w, v in ev] for t, ev in self.evidence.items()},
            "evidence_text": self.evidence_text,
            "model": self.model,
            "truncated": self.truncated,
            "place": self.place.to_dict() if self.place else None,
        }


def _check(text: object, index: int | None = None) -> str:
    if isinstance(text, str):
        return text
    where = "" if index is None else f" at position {index}"
    hint = " (decode bytes first)" if isinstance(text, (bytes, bytearray)) else ""
    raise InvalidInput(f"expected a message as str{where}, got {describe(text)}{hint}")


class Router:
    """Routes messages with one loaded model bundle; create it once and share it.

    Parameters
    ----------
    classifier : curnlp.models.RoutingClassifier or curnlp.predictor.Predictor
        The fitted classifier, or its compiled predictor. A classifier is compiled into a
        :class:`~curnlp.predictor.Predictor` here (a snapshot: make a new Router after
        changing the classifier); one that cannot be compiled routes as it is.
    manifest : mapping
        The bundle manifest (id, labels, metrics, review threshold).
    region : Region or str
        Region pack used for locations and municipality (default: the manifest's; a
        manifest with ``"region": null`` has none: no locations, municipality None).
    entities : bool
        Run Natasha NER (persons, organizations, locations). ``False`` is the fast mode.
    max_length : int
        Characters of a message that are read; the rest is cut and ``truncated`` set.
    path : Path, optional
        Where the bundle was loaded from (worker processes reload it from there).
    """

    def __init__(self, classifier: Any, manifest: Mapping[str, Any], *, region: Region | str | None = None,
                 entities: bool = True, max_length: int = MAX_LENGTH, path: Path | None = None) -> None:
        self._classifier = None if isinstance(classifier, Predictor) else classifier
        #: what routes: the compiled predictor (numpy only), else the classifier itself
        self.model = classifier if isinstance(classifier, Predictor) else _compiled(classifier)
        self.manifest = dict(manifest)
        check_config(self.manifest.get("pipeline"))
        self.region = region_of(region, self.manifest)
        #: non-Russian languages the bundle learned (manifest ``languages``): routed, not withheld
        self.languages = learned_languages(self.manifest)
        #: the per-message stages (:mod:`curnlp.pipeline`), the same that built the training records
        self.pipeline = Pipeline(self.region, max_length, self.languages)
        #: the municipality each agency serves: a message surely in one municipality is not routed to
        #: another's own bodies (None without a region pack or an agency model)
        self.territories = (Territories([str(c) for c in self.model.classes_["agency"]], self.region)
                            if self.region is not None and "agency" in self.model.targets_ else None)
        self.entities = entities
        self.max_length = max_length
        self.path = path
        self.review_threshold = float(self.manifest.get("review_threshold", 0.5))
        #: the drift monitor (:class:`curnlp.live.Monitor`) that :meth:`observe` feeds; None: nothing flagged
        self.monitor: Any = None
        if (self.manifest.get("live") or {}).get("monitor"):  # an updated bundle: its alarm state carries over
            from .live.monitor import Monitor
            self.monitor = Monitor.from_dict(self.manifest["live"]["monitor"])
        #: the training rows the bundle keeps (:func:`curnlp.live.keep_rows`), saved as ``rows.joblib``
        self.kept_rows: dict[str, list] | None = None
        #: the target whose confidence decides ``needs_review``: the agency, else the last one learned
        self.review_target = next(t for t in ("agency", "group", "topic") if t in self.model.targets_)

    # -- loading and saving ---------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, entities: bool = True,
             max_length: int = MAX_LENGTH, warm_up: bool = True) -> "Router":
        """Load a bundle written by :meth:`save` (default: the shipped Kursk model).

        With ``warm_up`` (the default) the shared pymorphy3 analyzer and, when
        ``entities`` is on, the NER model are built here (see :meth:`warm_up`), so the
        first :meth:`route` is as fast as the others; ``warm_up=False`` defers them to
        the first call.

        Raises ModelNotFound, CorruptModel or IncompatibleModel (see :mod:`curnlp.bundle`).
        """
        where = Path(path) if path is not None else DEFAULT_MODEL
        t0 = time.perf_counter()
        manifest = _bundle.read_manifest(where)
        # the predictor routes without importing scikit-learn; bundles of older curnlp
        # versions (or with an uncompilable vectorizer) have only the classifier
        name = "predictor" if "predictor.joblib" in manifest["files"] else "classifier"
        loaded = _bundle.read_bundle(where, names=(name,), manifest=manifest)
        if "classifier.joblib" not in manifest["files"]:
            raise CorruptModel(f"bundle {where} has no classifier.joblib in its manifest")
        router = cls(loaded.objects[name], loaded.manifest, entities=entities, max_length=max_length, path=where)
        t1 = time.perf_counter()
        if warm_up:
            router.warm_up()
        log.info("curnlp: loaded model %s (curnlp %s, bundle format %s) from %s in %.2f s, warm-up %.2f s",
                 router.id, router.manifest.get("versions", {}).get("curnlp", "?"),
                 router.manifest.get("format_version"), where, t1 - t0, time.perf_counter() - t1)
        return router

    def warm_up(self) -> "Router":
        """Build what the first :meth:`route` would otherwise build lazily (the shared
        pymorphy3 analyzer, the NER model when ``entities`` is on, scikit-learn's code
        paths) by routing a built-in sample message; returns ``self``. Thread-safe and
        cheap to repeat (the shared objects are built once per process)."""
        from .ner import NER
        from .morph import analyzer

        analyzer()
        if self.entities:
            NER.shared()
        self.route(_WARM_UP_MESSAGE)
        return self

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write this router's model as a bundle directory; returns its path."""
        keep = {k: v for k, v in self.manifest.items()
                if k not in ("format_version", "bundle_id", "created", "versions", "files")}
        objects = {"classifier": self.classifier}
        if isinstance(self.model, Predictor):
            objects["predictor"] = self.model
        if self.kept_rows is not None:
            objects["rows"] = self.kept_rows
        path = _bundle.write_bundle(directory, objects, keep)
        self.manifest = _bundle.read_manifest(path)
        self.path = path
        return path

    @property
    def classifier(self) -> Any:
        """The scikit-learn estimator (:class:`~curnlp.models.RoutingClassifier`): for
        inspection, evaluation and retraining. A loaded router reads it from its bundle on
        first access (this imports scikit-learn; routing does not need it)."""
        if self._classifier is None:
            if self.path is None:
                raise ModelNotFound("this Router was made from a Predictor alone: it has no classifier to give")
            self._classifier = _bundle.read_bundle(self.path, names=("classifier",)).objects["classifier"]
        return self._classifier

    @property
    def promise(self) -> dict | None:
        """What the bundle states of its unflagged routings (``manifest["promise"]``: accuracy,
        coverage, threshold, what it was checked on), or None for a bundle never updated."""
        return self.manifest.get("promise")

    def observe(self, routing: Routing, labels: Mapping[str, str] | str | None, *, time: object = None) -> bool:
        """Feed the true labels of a routed message to the drift monitor (created on first use);
        returns True when this observation raised an alarm (see :class:`curnlp.live.Monitor`)."""
        from .live.observe import observe
        return observe(self, routing, labels, time=time)

    def update(self, data: Any, **options: Any) -> "Router":
        """A new Router trained on this one's rows plus the labelled ``data`` (see :func:`curnlp.live.update`)."""
        from .live.update import update
        return update(self, data, **options)

    @property
    def id(self) -> str:
        """The bundle id (a hash of the model files), recorded in every Routing."""
        return str(self.manifest.get("bundle_id", "unsaved"))

    @property
    def targets(self) -> tuple[str, ...]:
        """The targets the bundle predicts (a subset of topic, group, agency)."""
        return tuple(t for t in TARGETS if t in self.model.targets_)

    def without_entities(self) -> "Router":
        """This router without the entity stage: a new Router sharing the model, for work where
        only the labels matter (evaluation, an update's held-out routing); ``self`` when it
        has none. The router in use is left as it is, so other threads may go on routing."""
        if not self.entities:
            return self
        return Router(self.model, self.manifest, region=self.region, entities=False, max_length=self.max_length,
                      path=self.path)

    def __repr__(self) -> str:
        return f"Router(model={self.id!r}, targets={self.targets}, region={self.region.name if self.region else None!r}, entities={self.entities})"

    def __reduce__(self):
        # worker processes rebuild the router from its bundle rather than pickling models
        if self.path is None:
            raise TypeError("an unsaved Router cannot be sent to another process; save() it first")
        return (_load_for_worker, (str(self.path), self.entities, self.max_length))

    # -- routing ----------------------------------------------------------------
    def route(self, text: str, *, time: object = None) -> Routing:
        """Route one message. Any ``str`` routes: a message with no words gives a Routing
        with no labels flagged ``no_words``. ``time`` (a date/datetime, a string such as
        ``"2021-03-15"`` or ``"15.03.2021"``, or a number like the training time column;
        None, NaN or a blank string: now)
        routes it as of then, by the labelling convention of that period, for a bundle
        trained with a time column (default: as of now, the latest period).

        Raises
        ------
        InvalidInput
            If ``text`` is not a ``str``.
        """
        return self._route_batch([_check(text)], self._times([time], 1))[0]

    def route_many(self, texts: Iterable[str], *, batch_size: int = 256, n_jobs: int = 1,
                   errors: str = "raise", times: Iterable[object] | None = None,
                   evidence: bool = True) -> list[Routing]:
        """Route many messages; the result has the same length and order.

        Parameters
        ----------
        texts : iterable of str
        batch_size : int
            Messages processed together (NER and the classifier work on whole batches).
        n_jobs : int
            Worker processes (``-1``: all cores). Each worker loads the bundle once.
        errors : {"raise", "return"}
            On an item that is not a ``str``, raise :class:`InvalidInput`, or put the
            exception in its place in the result and go on. (Every ``str`` routes.)
        times : iterable or None
            One time per message (None, NaN or an empty string = now): route each as of
            then (see :meth:`route`).
        evidence : bool
            ``False`` leaves ``Routing.evidence`` empty (what batch scoring does: it has
            no column for it, and explaining is a noticeable share of fast-mode routing).
        """
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
        if not _positive(batch_size) or not (_positive(n_jobs) or n_jobs == -1):
            raise ValueError(f"batch_size must be a positive int and n_jobs a positive int or -1, "
                             f"not batch_size={batch_size!r}, n_jobs={n_jobs!r}")
        if isinstance(texts, (str, bytes)):
            raise InvalidInput(f"route_many expects an iterable of messages, got {describe(texts)}; use route()")
        items = list(texts)
        when = self._times(times, len(items))
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if n_jobs > 1 and len(items) > batch_size and when is None:
            from .batch.workers import route_in_processes
            return route_in_processes(self, items, batch_size=batch_size, n_jobs=n_jobs, errors=errors,
                                      evidence=evidence)
        out: list[Any] = []
        for start in range(0, len(items), batch_size):
            out.extend(self._route_chunk(items[start:start + batch_size], start, errors,
                                         None if when is None else when[start:start + batch_size], evidence))
        return out

    def _times(self, times: Iterable[object] | None, n: int) -> list[float | None] | None:
        """Times as the classifier's sortable numbers (None: now); None when all are None."""
        if times is None:
            return None
        items = list(times)
        if len(items) != n:
            raise InvalidInput(f"times: {len(items)} values for {n} messages")
        items = [None if _no_time(v) else v for v in items]
        if all(v is None for v in items):
            return None
        from .io.dates import parse_times
        from .errors import CorpusError
        kind = (self.manifest.get("time") or {}).get("kind")
        if kind is None:
            return None  # a bundle trained without a time column routes the same at any time
        out: list[float | None] = []
        for v in items:
            if v is None:
                out.append(None)
                continue
            try:
                values, got = parse_times([v], "time")
            except CorpusError as exc:
                raise InvalidInput(f"time {v!r}: not a date, datetime or number") from exc
            if got != kind and not (kind == "datetime" and got == "number" and not isinstance(v, str)):
                raise InvalidInput(f"time {v!r}: this bundle was trained on {kind} times "
                                   f"(column {self.manifest['time'].get('column')!r})")
            out.append(float(values[0]))
        return out

    def _route_chunk(self, chunk: Sequence[object], offset: int, errors: str,
                     times: Sequence[float | None] | None = None, evidence: bool = True) -> list[Any]:
        if errors == "raise":
            return self._route_read([self._read(_check(t, offset + i)) for i, t in enumerate(chunk)], times, evidence)
        good, results = [], [None] * len(chunk)
        for i, text in enumerate(chunk):
            try:
                read = self._read(_check(text, offset + i))
            except InvalidInput as exc:
                results[i] = exc
            else:
                good.append((i, read))
        good_times = None if times is None else [times[i] for i, _ in good]
        for (i, _), routing in zip(good, self._route_read([read for _, read in good], good_times, evidence)):
            results[i] = routing
        return results

    # -- the stages -----------------------------------------------------------------
    def _read(self, text: str) -> Read:
        return self.pipeline.read(text, keep_doc=self.entities)

    def _route_batch(self, texts: Sequence[str], times: Sequence[float | None] | None = None) -> list[Routing]:
        return self._route_read([self._read(t) for t in texts], times)

    def _route_read(self, reads: Sequence[Read], times: Sequence[float | None] | None = None,
                    evidence: bool = True) -> list[Routing]:
        if not reads:
            return []
        entities: list[list[Entity]] = [[] for _ in reads]
        readable = [i for i, r in enumerate(reads) if r.readable]
        if self.entities and readable:
            for i, ents in zip(readable, extract_entities_many([reads[i].doc for i in readable])):
                entities[i] = distinct_entities(ents)
        decisions: list[Any] = [({}, {})] * len(reads)
        russian = [i for i, r in enumerate(reads) if r.russian]
        if russian:
            for i, decision in zip(russian, self._classify(
                    [reads[i].record for i in russian], None if times is None else [times[i] for i in russian],
                    EVIDENCE_WORDS if evidence else 0, [reads[i].place for i in russian])):
                decisions[i] = decision
        out = []
        for read, ents, (preds, evidence) in zip(reads, entities, decisions):
            place = read.place
            other = place.outside if place is not None else None
            reasons = []
            if not read.readable:
                reasons.append("no_words")
            elif not read.russian:
                reasons.append("not_russian")
            if other is not None:
                reasons.append("outside_region")
                preds = {t: p for t, p in preds.items() if t != "agency"}
                evidence = {t: e for t, e in evidence.items() if t != "agency"}
            if read.truncated:
                reasons.append("truncated")
            if read.russian and other is None:
                decisive = preds.get(self.review_target)
                if decisive is None:
                    reasons.append("no_prediction")
                elif decisive.confidence < self.review_threshold:
                    reasons.append("low_confidence")
                if self.monitor is not None and self.monitor.flags(decisive.label if decisive else None):
                    reasons.append("convention_changed")
            match = place.municipality if place is not None else None
            out.append(Routing(topic=preds.get("topic"), group=preds.get("group"), agency=preds.get("agency"),
                               needs_review=bool(reasons), municipality=match.name if match else None,
                               locations=list(place.locations) if place else [], entities=ents,
                               evidence=evidence, model=self.id,
                               truncated=read.truncated, group_name=self._group_name(preds.get("group")),
                               review_reasons=tuple(reasons), place=place))
        return out

    def _group_name(self, group: Prediction | None) -> str | None:
        return self.region.groups.get(group.label) if group is not None and self.region else None

    def _classify(self, records: Sequence[MessageRecord], times: Sequence[float | None] | None = None,
                  k: int = EVIDENCE_WORDS, places: Sequence[Place | None] = ()
                  ) -> list[tuple[dict[str, Prediction], dict[str, list[tuple[str, float]]]]]:
        options: dict[str, Any] = {"k": k}
        if times is not None:  # bundles of older curnlp versions take no times
            options["times"] = times
        options.update(self._territory_options(places))
        return self.model.predict_explained(records, **options)

    def _territory_options(self, places: Sequence[Place | None]) -> dict[str, np.ndarray]:
        """Per message, the agencies that may handle it given its municipality and the
        municipality's own body, which takes the probability of the others' bodies
        (:class:`curnlp.territory.Territories`); empty when no message is restricted."""
        if self.territories is None:
            return {}
        sure = [p.municipality.name if p is not None and p.municipality is not None
                and p.municipality.confidence >= TERRITORY_SURE else None for p in places]
        masks = [None if name is None else self.territories.allowed(name) for name in sure]
        if all(m is None for m in masks):
            return {}
        width = len(self.territories.homes)
        return {"agency_allowed": np.stack([np.ones(width, dtype=bool) if m is None else m for m in masks]),
                "agency_own": np.array([-1 if m is None else self.territories.own(name)
                                        for name, m in zip(sure, masks)], dtype=np.int64)}


#: Routed by :meth:`Router.warm_up` (touches every stage: markup, places, a person, the classifier).
_WARM_UP_MESSAGE = ("<p>Иванова Мария Петровна: на ул. Ленина, д. 5 в г. Курске и в д. Духовец Курского р-на "
                    "третий день нет воды&nbsp;!</p>")



def _no_time(value: object) -> bool:
    """Whether a time value means "now": None, NaN or a blank string (an empty cell)."""
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str)
                                                                              and not value.strip())


def _compiled(classifier: Any) -> Any:
    """The classifier's :class:`~curnlp.predictor.Predictor`, or the classifier itself
    when it cannot be compiled (a custom vectorizer)."""
    try:
        return Predictor.from_classifier(classifier)
    except NotCompilable as exc:
        log.info("curnlp: the classifier routes as it is (no compiled predictor: %s)", exc)
        return classifier


def region_of(region: Region | str | None, manifest: Mapping[str, Any]) -> Region | None:
    """The region pack of a Router: ``region`` when given, else the pack embedded in the
    manifest (``region_pack``), else the one it names; ``"region": null`` means none (no
    locations, no municipality); a manifest without the key predates that and means Kursk."""
    if region is not None:
        return load_region(region)
    if isinstance(manifest.get("region_pack"), dict):
        import json
        from .places.packs import _parse_pack
        return _parse_pack(json.dumps(manifest["region_pack"], ensure_ascii=False),
                           f"bundle manifest (region {manifest.get('region')!r})")
    if "region" in manifest and manifest["region"] is None:
        return None
    return load_region(manifest.get("region") or "kursk")


def _positive(value: object) -> bool:
    """Whether ``value`` is an int (not a bool) above zero."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _load_for_worker(path: str, entities: bool, max_length: int) -> Router:
    return Router.load(path, entities=entities, max_length=max_length)
