"""The NER tagger: Natasha's news model over token sequences, in batches.

The model is Natasha's news NER (slovnet ``NewsNERTagger``: Navec embeddings, a CNN
encoder and a CRF), read straight from the files shipped inside the natasha package.
``natasha`` itself is never imported: its ``__init__`` pulls in pymorphy2, which curnlp
does not depend on. The numpy inference is :mod:`curnlp.mirrors.slovnet` (slovnet's own
objects when the installed releases are not the mirrored ones); this module finds the
files, keeps one shared tagger per process, sorts sequences by length into batches and
cuts long messages into sentence-aligned chunks.

Note: numpy's OpenBLAS uses all cores by default; on small matrices and a busy machine
that is slower than one thread. Services should run with ``OPENBLAS_NUM_THREADS=1``
(or ``threadpoolctl``) and scale with processes.

>>> from curnlp.normalize import normalize
>>> chunk_ranges(normalize("Прошу починить фонарь в Курске"))
[(0, 5)]
>>> len(chunk_ranges(normalize("Яма на дороге. " * 200)))
4
"""
from __future__ import annotations

import importlib.util
import os
import threading
from typing import Sequence

from ..errors import ModelNotFound
from ..mirrors import slovnet as engine
from ..normalize import Normalized

__all__ = ["NER", "MAX_CHUNK_TOKENS", "chunk_ranges"]

_NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"
_NER_FILE = "data/model/slovnet_ner_news_v1.tar"

# Longest token sequence fed to the CNN+CRF at once. Longer messages are cut at
# sentence ends (or, failing that, hard-cut) so memory stays bounded and cost linear.
MAX_CHUNK_TOKENS = 256
# Batching: the sequences of all messages are sorted by length and grouped up to this
# many padded tokens / sequences, so padding costs little; benchmarks/entities.py sweeps
# these limits (figures in benchmarks/README.md).
_BATCH_TOKENS = 4096
_BATCH_ITEMS = 64


def _natasha_dir() -> str:
    """The natasha package directory, found without importing natasha."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound("the natasha package (which ships the NER model files) is not installed")
    return list(spec.submodule_search_locations)[0]


class NER:
    """Natasha's news NER (slovnet + Navec) over pre-tokenized text.

    Build one with :meth:`shared` (process-wide, loaded lazily once) or directly with
    explicit model paths.

    Thread safety: a call keeps no state on the object (see
    :class:`curnlp.mirrors.slovnet.Tagger`), so one instance may serve many threads
    without a lock.

    Parameters
    ----------
    navec_path, model_path : str, optional
        Navec embedding and slovnet NER tar files; default: those shipped in natasha.

    Raises
    ------
    ModelNotFound
        If no path is given and natasha is not installed.
    CorruptModel
        If a file cannot be read as the model it should hold.
    """

    _shared: "NER | None" = None
    _shared_lock = threading.Lock()

    def __init__(self, navec_path: str | None = None, model_path: str | None = None) -> None:
        base = None if navec_path and model_path else _natasha_dir()
        navec_path = navec_path or os.path.join(base, _NAVEC_FILE)
        model_path = model_path or os.path.join(base, _NER_FILE)
        #: the inference: the numpy mirror, or slovnet's own objects (see :func:`curnlp.mirrors.slovnet.load`)
        self.engine = engine.load(navec_path, model_path)
        #: word -> (word id, shape id) cache of the mirror; None when slovnet encodes words itself
        self.encode_word = self.engine.encode_word

    @classmethod
    def shared(cls) -> "NER":
        """The process-wide instance, loaded on first use (thread-safe)."""
        if cls._shared is None:
            with cls._shared_lock:
                if cls._shared is None:
                    cls._shared = cls()
        return cls._shared

    def tag(self, sequences: Sequence[Sequence[str]]) -> list[list[tuple[int, int, str]]]:
        """Tag token sequences; return ``(first, last_exclusive, type)`` token-index spans.

        Sequences are sorted by length and run in batches of similar length, so
        padding costs almost nothing; each sequence is tagged as natasha would tag it.
        """
        out: list[list[tuple[int, int, str]]] = [[] for _ in sequences]
        order = sorted((i for i in range(len(sequences)) if sequences[i]), key=lambda i: len(sequences[i]))
        pos = 0
        while pos < len(order):
            longest = len(sequences[order[pos]])
            end = pos + 1
            while end < len(order) and end - pos < _BATCH_ITEMS:
                longest = len(sequences[order[end]])
                if longest * (end - pos + 1) > _BATCH_TOKENS:
                    break
                end += 1
            batch = order[pos:end]
            for i, spans in zip(batch, self.engine.tag_batch([sequences[i] for i in batch])):
                out[i] = spans
            pos = end
        return out


# ---------------------------------------------------------------------------
# Chunking long messages
# ---------------------------------------------------------------------------

_SENT_END = frozenset((".", "!", "?", "…", "...", "?!", "!!", "!!!", "??", ";"))


def chunk_ranges(doc: Normalized) -> list[tuple[int, int]]:
    """Token ranges to tag: the whole message when short, else sentence-aligned pieces.

    A cut goes after a sentence end (or at a line break) followed by a capitalized
    word; a sentence longer than :data:`MAX_CHUNK_TOKENS` is hard-cut.
    """
    tokens = doc.tokens
    n = len(tokens)
    if n <= MAX_CHUNK_TOKENS:
        return [(0, n)] if n else []
    clean = doc.clean
    ranges = []
    start = 0
    good = -1  # last good cut position (exclusive end) in the current chunk
    for i in range(1, n):
        prev, tok = tokens[i - 1], tokens[i]
        if tok.text[:1].isupper() and (prev.text in _SENT_END or "\n" in clean[prev.stop:tok.start]):
            good = i
        if i - start >= MAX_CHUNK_TOKENS:
            cut = good if good > start + MAX_CHUNK_TOKENS // 4 else i
            ranges.append((start, cut))
            start, good = cut, -1
    ranges.append((start, n))
    return ranges
