"""Stage 2a: named entities (persons, organizations, locations) with normal forms.

The tagger is Natasha's news NER (slovnet ``NewsNERTagger``: Navec embeddings, a CNN
encoder and a CRF), loaded straight from the model files shipped inside the natasha
package. ``natasha`` itself is never imported: its ``__init__`` pulls in pymorphy2,
which curnlp does not depend on. Normal forms are built with the shared pymorphy3
analyzer (:mod:`curnlp.morph`) by agreement heuristics, not by a syntax parser.

Tagging runs on :attr:`Normalized.clean` and reuses its razdel tokens, so nothing is
tokenized twice; offsets are mapped back into the original message.

The CNN runs as one matmul per layer over length-sorted batches of many messages;
the result is identical to slovnet's. On the Kursk corpus (one core, BLAS 1 thread,
``benchmarks/entities.py``): ~500 msg/s one by one from raw text (normalization
included), ~780 msg/s with :func:`extract_entities_many`, vs ~265 msg/s for natasha's
``Doc.tag_ner`` (which gives no normal forms).

Note: numpy's OpenBLAS uses all cores by default; on small matrices and a busy
machine that is several times *slower* than one thread. Services should run with
``OPENBLAS_NUM_THREADS=1`` (or ``threadpoolctl``) and scale with processes.
"""
from __future__ import annotations

import gzip
import importlib.util
import io
import json
import os
import re
import tarfile
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from . import morph
from .errors import CorruptModel, InvalidInput, describe
from .normalize import Normalized, Token, normalize

__all__ = ["Entity", "NER", "extract_entities", "extract_entities_many", "normal_form", "ENTITY_TYPES"]

#: The entity types the tagger emits.
ENTITY_TYPES = ("PER", "ORG", "LOC")

_NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"
_NER_FILE = "data/model/slovnet_ner_news_v1.tar"

# Longest token sequence fed to the CNN+CRF at once. Longer messages are cut at
# sentence ends (or, failing that, hard-cut) so memory stays bounded and cost linear
# (a 1 MB message: ~4 s warm, one core).
MAX_CHUNK_TOKENS = 256
# Batching: sequences of all messages are sorted by length and grouped up to this
# many padded tokens / sequences. Measured with benchmarks/entities.py (Kursk corpus,
# 2,403 pre-normalized messages, one core, BLAS 1 thread, warm, msg/s):
#   one sequence per call 688 | 512/64 1200 | 1024/64 1368 | 4096/64 1381 |
#   8192/128 1200 | 16384/256 1033.
# slovnet's own map(batch_size=8) was slower than one text at a time only because it
# keeps input order, so each batch pads to its longest message.
_BATCH_TOKENS = 4096
_BATCH_ITEMS = 64


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity found in a message.

    Attributes
    ----------
    type : str
        ``"PER"`` (person), ``"ORG"`` (organization) or ``"LOC"`` (location).
    text : str
        The entity as it reads in the clean text (markup removed, spacing collapsed).
    normal : str
        Nominative normal form, e.g. ``"Иванова Мария Петровна"`` for «Ивановой Марии
        Петровне»; capitalization of each word follows the message.
    start, end : int
        Offsets into the ORIGINAL message; ``original[start:end]`` is the raw source of
        the entity (equal to ``text`` unless markup or entities sat inside it).
    """

    type: str
    text: str
    normal: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict of the fields."""
        return {"type": self.type, "text": self.text, "normal": self.normal,
                "start": self.start, "end": self.end}


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------

def _natasha_dir() -> str:
    """The natasha package directory, found without importing natasha."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        from .errors import ModelNotFound
        raise ModelNotFound("the natasha package (which ships the NER model files) is not installed")
    return list(spec.submodule_search_locations)[0]


# The model files are read without building navec's or slovnet's Python objects for
# the 250k-word vocabulary (a list, a dict and an int per word twice, and navec's
# precomputed norms: ~215 MB peak, ~80 MB kept). Kept instead: the vocabulary as one
# UTF-8 blob with offsets and a sorted table of word hashes (~11 MB), and navec's 25 MB
# code table memory-mapped from the tar file (pages shared between processes, read on use).

class _Vocabulary:
    """Word -> id of a slovnet vocabulary, as slovnet's ``Vocab.item_ids.get(word, unk)``.

    The words are kept in one UTF-8 ``bytes`` with their offsets, and their hashes sorted
    with the ids beside them in compact arrays: a lookup is a binary search (C ``bisect``
    over an ``array``) for the word's hash, then a comparison of the bytes (~2 us; a dict
    would hold ~50 MB of Python objects).
    """

    __slots__ = ("_blob", "_starts", "_stops", "_hashes", "_ids", "_size", "unk_id", "pad_id")

    def __init__(self, items: list[bytes]) -> None:
        hashes = np.fromiter(map(hash, items), dtype=np.int64, count=len(items))
        order = np.argsort(hashes, kind="stable")  # equal hashes keep the id order
        # array.array: compact like numpy, but indexing gives plain ints and bisect runs in C
        self._hashes = array("q", hashes[order].tobytes())
        self._ids = array("q", order.astype(np.int64).tobytes())
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        stops = np.cumsum(lengths + 1) - 1
        self._stops = array("q", stops.tobytes())
        self._starts = array("q", (stops - lengths).tobytes())
        self._blob = b"\n".join(items)
        self._size = len(items)
        self.unk_id = self._find(b"<unk>")
        self.pad_id = self._find(b"<pad>")

    def __len__(self) -> int:
        return self._size

    def _find(self, key: bytes) -> int | None:
        hashes, h = self._hashes, hash(key)
        found = None
        at = bisect_left(hashes, h)
        while at < self._size and hashes[at] == h:
            i = self._ids[at]
            if self._blob[self._starts[i]:self._stops[i]] == key:
                found = i  # the last one, as slovnet's dict keeps for a repeated word
            at += 1
        return found

    def id(self, word: str) -> int:
        """The id of ``word``, or the unknown-word id."""
        found = self._find(word.encode("utf-8", "surrogatepass"))
        return self.unk_id if found is None else found


class _Items:
    """A small slovnet vocabulary (shapes, tags): items in order and a dict."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        self.item_ids = {item: i for i, item in enumerate(items)}
        self.unk_id = self.item_ids.get("<unk>")
        self.pad_id = self.item_ids.get("<pad>")


def _vocab_lines(data: bytes) -> list[str]:
    # slovnet: gzip-decompress, decode UTF-8, splitlines
    return gzip.decompress(data).decode("utf-8").splitlines()


def _load_slovnet(path: str):
    """slovnet's NER model (weights without Navec), and its word, shape and tag vocabularies."""
    from slovnet.exec.model import NER as NERModel
    from slovnet.exec.pack import Meta, bytes_array

    try:
        with tarfile.open(path) as tar:
            read = lambda name: tar.extractfile(tar.getmember(name)).read()
            meta = Meta.from_json(json.loads(read("meta.json")))
            meta.check_protocol()
            model = NERModel.from_json(json.loads(read("model.json")))
            arrays = {}
            for weight in model.weights:
                if weight.is_id:
                    shape, dtype, id_ = weight
                    arrays[id_] = bytes_array(read(f"arrays/{id_}.bin"), shape, dtype)
            text = gzip.decompress(read("vocabs/word.gz"))
            shapes = _Items(_vocab_lines(read("vocabs/shape.gz")))
            tags = _Items(_vocab_lines(read("vocabs/tag.gz")))
    except (OSError, KeyError, ValueError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise CorruptModel(f"cannot read the NER model {path}: {type(exc).__name__}: {exc}") from exc
    items = text.split(b"\n")
    if len(items) != len(text.decode("utf-8").splitlines()):  # a word with another line break in it
        items = [w.encode("utf-8") for w in text.decode("utf-8").splitlines()]
    return model.inject_arrays(arrays), _Vocabulary(items), shapes, tags


class _NavecArrays:
    """What slovnet's ``inject_navec`` reads of a Navec object: its id and PQ arrays."""

    def __init__(self, id_: str, indexes: np.ndarray, codes: np.ndarray) -> None:
        self.meta = type("Meta", (), {"id": id_})()
        self.pq = type("PQ", (), {"indexes": indexes, "codes": codes})()


def _load_navec(path: str) -> tuple[str, np.ndarray, np.ndarray]:
    """Navec's id, its (words x qdim) uint8 code indexes (memory-mapped from the tar when
    it is uncompressed) and its (qdim x centroids x chunk) float32 codes."""
    try:
        with tarfile.open(path) as tar:
            meta = json.loads(tar.extractfile(tar.getmember("meta.json")).read())
            member = tar.getmember("pq.bin")
            fh = tar.extractfile(member)
            vectors, dim, qdim, centroids = (int(x) for x in np.frombuffer(fh.read(16), np.uint32))
            size = vectors * qdim
            if member.size != 16 + size + 4 * dim * centroids:
                raise ValueError(f"pq.bin has {member.size} bytes, its header says "
                                 f"{16 + size + 4 * dim * centroids}")
            if isinstance(tar.fileobj, io.BufferedReader) and not member.issparse():  # plain tar: map it
                indexes = np.memmap(path, dtype=np.uint8, mode="r", offset=member.offset_data + 16,
                                    shape=(vectors, qdim))
                fh.seek(16 + size)
            else:
                indexes = np.frombuffer(fh.read(size), np.uint8).reshape(vectors, qdim)
            codes = np.frombuffer(fh.read(), np.float32).reshape(qdim, centroids, -1).copy()
    except (OSError, KeyError, ValueError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise CorruptModel(f"cannot read the Navec embeddings {path}: {type(exc).__name__}: {exc}") from exc
    if meta.get("protocol") != 1:
        raise CorruptModel(f"{path}: Navec protocol {meta.get('protocol')!r}, expected 1")
    return meta["id"], indexes, codes


class NER:
    """Natasha's news NER (slovnet + Navec) over pre-tokenized text.

    Build one with :meth:`shared` (process-wide, loaded lazily once) or directly with
    explicit model paths.

    Thread safety: a call keeps no state on the object. slovnet's model is a tree of
    immutable numpy weights whose ``__call__`` only allocates fresh arrays, the CRF
    decoding here is a pure function, and the word-encoding cache is an ``lru_cache``
    (thread-safe), so one instance may serve many threads without a lock.

    Parameters
    ----------
    navec_path, model_path : str, optional
        Navec embedding and slovnet NER tar files; default: those shipped in natasha.
    """

    _shared: "NER | None" = None
    _shared_lock = threading.Lock()

    def __init__(self, navec_path: str | None = None, model_path: str | None = None) -> None:
        base = None if navec_path and model_path else _natasha_dir()
        navec_path = navec_path or os.path.join(base, _NAVEC_FILE)
        model_path = model_path or os.path.join(base, _NER_FILE)
        model, words, shapes, tags = _load_slovnet(model_path)
        navec_id, indexes, codes = _load_navec(navec_path)
        if len(indexes) != len(words):
            raise CorruptModel(f"{navec_path} has {len(indexes)} word vectors, the NER vocabulary {len(words)} words")
        self._model = model.inject_navec(_NavecArrays(navec_id, indexes, codes))
        self._transitions = np.asarray(self._model.head.crf.transitions.array)
        self._words = words
        self._unk_id = words.unk_id
        self._word_pad = words.pad_id
        self._shape_ids = shapes.item_ids
        self._shape_unk = shapes.unk_id
        self._shape_pad = shapes.pad_id
        # tag id -> (part, type): part 0 = O/pad, 1 = B, 2 = I
        parts: list[tuple[int, str | None]] = []
        for tag in tags.items:
            if "-" in tag:
                part, type_ = tag.split("-", 1)
                parts.append((1 if part == "B" else 2, type_))
            else:
                parts.append((0, None))
        self._tags = tuple(parts)
        self.encode_word = lru_cache(maxsize=200_000)(self._encode_word)
        # The CNN re-laid out for (batch, seq, channels) arrays: each conv layer is one
        # matmul against its three kernel taps side by side (no window copies), ReLU,
        # and batch-norm folded into a scale and a shift. Same arithmetic as slovnet.
        self._layers = []
        for layer in self._model.encoder.layers:
            weight = layer.conv.weight.array  # filters x in x kernel
            filters, _, kernel = weight.shape
            if kernel != 3 or layer.conv.padding != 1:
                raise ValueError("unexpected slovnet NER architecture (conv kernel 3, padding 1 expected)")
            taps = np.ascontiguousarray(np.concatenate([weight[:, :, k].T for k in range(kernel)], axis=1))
            norm = layer.norm
            scale = (norm.weight.array / norm.std.array).astype(weight.dtype)
            shift = (norm.bias.array - norm.mean.array * scale).astype(weight.dtype)
            self._layers.append((taps, layer.conv.bias.array, scale, shift, filters))
        self._proj = (self._model.head.proj.weight.array, self._model.head.proj.bias.array)
        # Navec's product-quantized word vectors gathered with one np.take: each word's 100
        # codes offset into the flattened (100 x 256) table of 3-float pieces, each piece one
        # 12-byte item (3.5x faster than slovnet's two-array fancy indexing; same floats)
        word_emb = self._model.emb.word
        pieces = np.ascontiguousarray(word_emb.codes.array)  # qdim x centroids x chunk
        qdim, centroids, chunk = pieces.shape
        self._word_codes = word_emb.indexes.array  # vocabulary x qdim (uint8, memory-mapped)
        self._pieces = pieces.reshape(qdim * centroids, chunk).view(np.dtype((np.void, chunk * pieces.itemsize)))[:, 0]
        self._piece_offsets = np.arange(qdim, dtype=np.intp) * centroids
        self._piece_dtype, self._word_dim = pieces.dtype, qdim * chunk
        self._shape_vectors = self._model.emb.shape.weight.array

    @classmethod
    def shared(cls) -> "NER":
        """The process-wide instance, loaded on first use (thread-safe)."""
        if cls._shared is None:
            with cls._shared_lock:
                if cls._shared is None:
                    cls._shared = cls()
        return cls._shared

    def _encode_word(self, word: str) -> tuple[int, int]:
        from slovnet.shape import word_shape
        shape = self._shape_ids.get(word_shape(word), self._shape_unk)
        return self._words.id(word.lower()), shape

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
            for i, tags in zip(batch, self._tag_batch([sequences[i] for i in batch])):
                out[i] = self._spans(tags)
            pos = end
        return out

    def _tag_batch(self, batch: list[Sequence[str]]) -> list[np.ndarray]:
        lengths = np.fromiter((len(s) for s in batch), dtype=np.intp, count=len(batch))
        width = int(lengths.max())
        word_id = np.full((len(batch), width), self._word_pad, dtype=np.intp)
        shape_id = np.full((len(batch), width), self._shape_pad, dtype=np.intp)
        encode = self.encode_word
        for row, seq in enumerate(batch):
            ids = [encode(w) for w in seq]
            word_id[row, :len(ids)] = [a for a, _ in ids]
            shape_id[row, :len(ids)] = [b for _, b in ids]
        pad_mask = np.arange(width)[None, :] >= lengths[:, None]
        emissions = self._emissions(word_id, shape_id, pad_mask)
        tags = _viterbi(emissions, lengths, self._transitions)
        return [tags[row, :n] for row, n in enumerate(lengths.tolist())]

    def _embed(self, word_id: np.ndarray, shape_id: np.ndarray) -> np.ndarray:
        """Word (Navec) and shape vectors side by side, batch x seq x 330: what slovnet's
        ``WordShapeEmbedding`` computes (tests/test_entities.py checks equality)."""
        codes = self._word_codes[word_id.ravel()].astype(np.intp)
        codes += self._piece_offsets
        words = self._pieces.take(codes).view(self._piece_dtype).reshape(*word_id.shape, self._word_dim)
        return np.concatenate((words, self._shape_vectors[shape_id]), axis=-1)

    def _emissions(self, word_id: np.ndarray, shape_id: np.ndarray, pad_mask: np.ndarray) -> np.ndarray:
        """CRF emission scores (batch x seq x tags); padding is zero, as at a text's end."""
        keep = (~pad_mask)[:, :, None].astype(np.float32)
        x = self._embed(word_id, shape_id) * keep
        batch, width, _ = x.shape
        for taps, bias, scale, shift, filters in self._layers:
            padded = np.zeros((batch, width + 2, x.shape[2]), dtype=x.dtype)
            padded[:, 1:width + 1] = x
            y = (padded.reshape(-1, x.shape[2]) @ taps).reshape(batch, width + 2, 3 * filters)
            h = y[:, 0:width, :filters] + y[:, 1:width + 1, filters:2 * filters]
            h += y[:, 2:width + 2, 2 * filters:]
            h += bias
            np.maximum(h, 0, out=h)
            h *= scale
            h += shift
            h *= keep
            x = h
        weight, bias = self._proj
        return (x.reshape(-1, x.shape[2]) @ weight + bias).reshape(batch, width, -1)

    def _spans(self, tags: np.ndarray) -> list[tuple[int, int, str]]:
        """BIO tags -> spans, exactly as slovnet's ``bio_spans`` (an I without a B is dropped)."""
        spans = []
        previous: str | None = None
        start = stop = 0
        table = self._tags
        for index, tag in enumerate(tags.tolist()):
            part, type_ = table[tag]
            if part == 0:
                if previous:
                    spans.append((start, stop, previous))
                    previous = None
            elif part == 1:
                if previous:
                    spans.append((start, stop, previous))
                previous, start, stop = type_, index, index + 1
            else:
                stop = index + 1
        if previous:
            spans.append((start, stop, previous))
        return spans


def _viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Best CRF tag paths of a padded batch (same result as slovnet's ``CRF.decode``).

    Vectorized over the batch both ways (forward scores and back-tracking), so its
    Python overhead is one short loop per position, not per position per sequence.
    """
    batch, width, _ = emissions.shape
    score = emissions[:, 0]
    history = np.empty((max(width - 1, 0), batch, emissions.shape[2]), dtype=np.intp)
    for i in range(1, width):
        total = score[:, :, None] + transitions  # batch x prev x next
        best_prev = total.argmax(1)
        history[i - 1] = best_prev
        new = total.max(1) + emissions[:, i]
        alive = (i < lengths)[:, None]
        score = np.where(alive, new, score)
    tags = np.zeros((batch, width), dtype=np.intp)
    current = score.argmax(1)
    rows = np.arange(batch)
    last = lengths - 1
    for i in range(width - 1, 0, -1):
        active = i <= last
        tags[:, i] = np.where(active, current, 0)
        current = np.where(active, history[i - 1][rows, current], current)
    tags[:, 0] = current
    return tags


# ---------------------------------------------------------------------------
# Chunking long messages
# ---------------------------------------------------------------------------

_SENT_END = frozenset((".", "!", "?", "…", "...", "?!", "!!", "!!!", "??", ";"))


def _chunks(doc: Normalized) -> list[tuple[int, int]]:
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


# ---------------------------------------------------------------------------
# Normal forms
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------

def _as_doc(doc_or_text: Normalized | str) -> Normalized:
    if isinstance(doc_or_text, Normalized):
        return doc_or_text
    if isinstance(doc_or_text, str):
        return normalize(doc_or_text)
    hint = " (decode bytes first)" if isinstance(doc_or_text, (bytes, bytearray)) else ""
    raise InvalidInput(f"expected a message as str or Normalized, got {describe(doc_or_text)}{hint}")


_PLACEHOLDER_KIND = "placeholder"


def _merge_persons(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Join PER spans on adjacent tokens: the tagger often opens a new span at the first
    name after a surname («Кузнецовой | Светлане Ивановне»), two people never touch."""
    out: list[tuple[int, int, str]] = []
    for a, b, type_ in spans:
        if out and type_ == "PER" and out[-1][2] == "PER" and out[-1][1] == a:
            out[-1] = (out[-1][0], b, "PER")
        else:
            out.append((a, b, type_))
    return out


# Letters of a message decide whether it is written in one case only: the tagger
# relies on capitalization, so CAPS LOCK and all-lowercase messages are re-cased
# for the tagger (offsets and the entity text are untouched).
_MIN_LETTERS_FOR_RECASING = 20
_UPPER = re.compile(r"[А-ЯЁA-Z]")
_LOWER = re.compile(r"[а-яёa-z]")


def _ner_words(doc: Normalized) -> list[str]:
    """The token texts fed to the tagger, re-cased when the message has one case only."""
    words = [t.text for t in doc.tokens]
    clean = doc.clean
    upper = len(_UPPER.findall(clean))
    if upper and len(clean) > 8 * upper:  # cheap exit for the usual mixed-case message
        return words
    letters = upper + len(_LOWER.findall(clean))
    if letters < _MIN_LETTERS_FOR_RECASING or (upper < 0.6 * letters and upper > 0):
        return words
    return [_truecase(t.text) if t.kind == "word" else t.text for t in doc.tokens]


@lru_cache(maxsize=100_000)
def _truecase(word: str) -> str:
    """Likely writing of a word in a one-case message: proper nouns and adjectives from
    place names capitalized, known abbreviations in capitals, the rest lowercase."""
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


def _after_street_word(tokens: Sequence[Token], index: int) -> bool:
    """Whether the token before ``index`` (skipping a dot) is a street word such as «ул.»."""
    j = index - 1
    if j >= 0 and tokens[j].text == ".":
        j -= 1
    return j >= 0 and tokens[j].text.lower() in STREET_WORDS


def _entities_of(doc: Normalized, chunk_spans: list[tuple[int, list[tuple[int, int, str]]]]) -> list[Entity]:
    tokens = doc.tokens
    clean = doc.clean
    out: list[Entity] = []
    for offset, spans in chunk_spans:
        for a, b, type_ in _merge_persons(spans):
            a += offset
            b += offset
            # trim placeholders and punctuation off the edges (quotes stay if balanced inside)
            while a < b and (tokens[a].kind == _PLACEHOLDER_KIND or (tokens[a].kind == "punct"
                                                                     and tokens[a].text not in "«\"")):
                a += 1
            while a < b and (tokens[b - 1].kind == _PLACEHOLDER_KIND or (tokens[b - 1].kind == "punct"
                                                                         and tokens[b - 1].text not in "»\"")):
                b -= 1
            if a >= b or not any(t.kind == "word" for t in tokens[a:b]):
                continue
            span_tokens: Sequence[Token] = tokens[a:b]
            cs, ce = span_tokens[0].start, span_tokens[-1].stop
            words = tuple(t.text for t in span_tokens)
            gaps = tuple(clean[x.stop:y.start] for x, y in zip(span_tokens, span_tokens[1:]))
            start, end = doc.span_to_original(cs, ce)
            text = clean[cs:ce]
            normal = text if _after_street_word(tokens, a) else _normal_cached(type_, words, gaps)
            out.append(Entity(type_, text, normal, start, end))
    return out


def extract_entities_many(docs_or_texts: Iterable[Normalized | str], ner: NER | None = None) -> list[list[Entity]]:
    """Entities of many messages, tagged in length-sorted batches.

    Parameters
    ----------
    docs_or_texts : iterable of str or Normalized
        Messages (raw text is normalized first).
    ner : NER, optional
        Tagger to use; default the shared one (:meth:`NER.shared`).

    Returns
    -------
    list of list of Entity
        One list per message, entities in text order; same as calling
        :func:`extract_entities` on each message.

    Raises
    ------
    InvalidInput
        If an item is neither ``str`` nor :class:`Normalized`.
    """
    docs = [_as_doc(d) for d in docs_or_texts]
    plan: list[tuple[int, int, int]] = []  # (doc index, token start, token stop)
    for di, doc in enumerate(docs):
        for a, b in _chunks(doc):
            plan.append((di, a, b))
    if not plan:
        return [[] for _ in docs]
    ner = ner or NER.shared()
    words = [_ner_words(doc) for doc in docs]
    sequences = [words[di][a:b] for di, a, b in plan]
    tagged = ner.tag(sequences)
    per_doc: list[list[tuple[int, list[tuple[int, int, str]]]]] = [[] for _ in docs]
    for (di, a, _), spans in zip(plan, tagged):
        if spans:
            per_doc[di].append((a, spans))
    return [_entities_of(doc, chunks) if chunks else [] for doc, chunks in zip(docs, per_doc)]


def extract_entities(doc_or_text: Normalized | str, ner: NER | None = None) -> list[Entity]:
    """Persons, organizations and locations of one message.

    Parameters
    ----------
    doc_or_text : str or Normalized
        The message, raw or already normalized.
    ner : NER, optional
        Tagger to use; default the shared one, loaded on first call.

    Returns
    -------
    list of Entity
        In text order, offsets into the original message.

    Raises
    ------
    InvalidInput
        If the input is neither ``str`` nor :class:`Normalized`.

    Examples
    --------
    >>> [e.normal for e in extract_entities("Прошу наказать Иванову Марию Петровну")]
    ['Иванова Мария Петровна']
    """
    return extract_entities_many([doc_or_text], ner)[0]
