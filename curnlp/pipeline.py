"""The per-message stages, defined once and run by serving and by training alike.

``text → normalize → words and language → place → record``: :meth:`Pipeline.read` takes
one message through these stages and returns a :class:`Read`. The :class:`~curnlp.router.Router`
reads every message it routes this way (then runs the entity stage on whole batches, the
classifier and the review rules), and :func:`curnlp.training.prepare` builds the records a
model is trained on with the very same call, so a record is never built two ways (a model
trained on records of one kind and served records of another would misroute silently).

A bundle's manifest names the stages and their settings (:meth:`Pipeline.config`), as
spaCy's ``config`` does; :func:`check_config` refuses a bundle that needs a stage this
curnlp does not have.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import IncompatibleModel
from .language import is_russian, language_of
from .normalize import Normalized, normalize
from .places import MunicipalityMatch, Place, Region, place_of
from .records import MessageRecord

__all__ = ["Pipeline", "Read", "STAGES", "MAX_LENGTH", "SURE_FOR_MODEL", "to_record", "word_texts", "words_of",
           "check_config"]

#: The stages a message goes through, in order; the last three run on whole batches in the Router.
STAGES = ("normalize", "words", "language", "place", "record", "entities", "classify", "review")
#: Default cap on the characters of one message; longer text is cut and flagged.
MAX_LENGTH = 100_000
#: A municipality resolved at least this surely is given to the model as it is; a weaker one
#: (a street alone, guessed to be in the regional capital) is marked with "?" so the model
#: weighs the guess apart from a sure match.
SURE_FOR_MODEL = 0.5


@dataclass(slots=True)
class Read:
    """One message after the per-message stages.

    ``readable``: it has a word (else the routing says ``no_words``); ``russian``: the words
    read as Russian (:func:`curnlp.language.is_russian`) or as a language the model learned
    (else the routing says ``not_russian``); ``place``: the place stage's
    result (None without a region pack); ``record``: what the classifier sees (every
    readable message has one); ``doc``: the normalized text, kept only when asked (the
    entity stage reads it), else dropped here so its tokens die young.
    """

    truncated: bool
    readable: bool = False
    russian: bool = False
    place: Place | None = None
    record: MessageRecord | None = None
    doc: Normalized | None = None


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The per-message stages with their settings: the region pack (None: no places, no
    municipality), the characters of a message that are read (``max_length``) and the
    languages besides Russian that the model learned (``languages``, ISO 639-1 codes of
    :data:`curnlp.language.LANGUAGES`: a region's second state language its archive holds)."""

    region: Region | None
    max_length: int = MAX_LENGTH
    languages: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 1:
            raise ValueError(f"max_length must be a positive int, got {self.max_length!r}")

    def read(self, text: str, keep_doc: bool = False) -> Read:
        """One message (a ``str``; the caller checks the type) through the per-message stages."""
        truncated = len(text) > self.max_length
        doc = normalize(_cut(text, self.max_length) if truncated else text)
        words = word_texts(doc)
        if not words:
            return Read(truncated)
        place = place_of(doc, self.region) if self.region is not None else None
        joined = " ".join(words)
        russian = is_russian(joined) is not False or bool(self.languages) and language_of(joined) in self.languages
        record = to_record(doc, place.municipality if place else None)
        return Read(truncated, True, russian, place, record, doc if keep_doc else None)

    def config(self) -> dict[str, Any]:
        """The stages and their settings, as a bundle's manifest records them (the languages a
        bundle routes come from its manifest's ``languages`` counts, not from here)."""
        return {"stages": list(STAGES), "max_length": self.max_length,
                "region": self.region.name if self.region is not None else None,
                "sure_for_model": SURE_FOR_MODEL, "record": "lemmas, clean text, municipality ('?' when unsure)"}


def check_config(config: Mapping[str, Any] | None) -> None:
    """Refuse a manifest's pipeline that names a stage this curnlp does not run (a bundle of a
    newer curnlp); a manifest without one predates it and uses these stages."""
    if not config:
        return
    unknown = [s for s in config.get("stages", ()) if s not in STAGES]
    if unknown:
        raise IncompatibleModel(f"the bundle's pipeline has stages this curnlp does not know: {unknown}; "
                                "upgrade curnlp to route with it")


def _cut(text: str, length: int) -> str:
    """The first ``length`` characters of ``text``, ending before a word rather than inside one
    (a place or a name cut in half would be read as another one)."""
    if text[length].isspace():
        return text[:length]
    space = max(text.rfind(" ", length - 200, length), text.rfind("\n", length - 200, length))
    return text[:space] if space > 0 else text[:length]


def word_texts(doc: Normalized) -> list[str]:
    """The texts of a message's word tokens; empty when it has none (only emoji, digits,
    punctuation or link / e-mail / phone placeholders): nothing to route."""
    return [t.text for t in doc.tokens if t.kind == "word"]


def words_of(doc: Normalized) -> str:
    """The words of a message joined by spaces (what the language detector reads)."""
    return " ".join(word_texts(doc))


def to_record(doc: Normalized, place: MunicipalityMatch | None) -> MessageRecord:
    """What the classifier sees of a message: lemmas, clean text and municipality
    (``"Курск?"`` when resolved with confidence below :data:`SURE_FOR_MODEL`)."""
    municipality = None
    if place is not None:
        municipality = place.name if place.confidence >= SURE_FOR_MODEL else place.name + "?"
    return MessageRecord.from_normalized(doc, municipality)
