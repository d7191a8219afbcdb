"""Natasha's news NER (slovnet + Navec) in numpy over many token sequences at once.

A mirror of slovnet's NER inference (``WordShapeEmbedding`` over Navec's product-quantized
vectors, the CNN encoder, the CRF decoding, ``bio_spans``) and of the two model file
formats it reads (slovnet's pack tar, Navec's tar). Why a copy and not slovnet's call:

* slovnet tags one padded batch at a time in input order and runs each conv layer as a
  window copy; here every layer is one matmul over length-sorted batches;
* ``navec.Navec.load`` builds Python objects for the 250k-word vocabulary and precomputes
  norms curnlp never uses; here the vocabulary is one UTF-8 blob with a sorted hash table and
  Navec's code table is memory-mapped from the tar (pages shared between processes).

The arithmetic is slovnet's, so the tags are the same (``tests/test_mirror_slovnet.py``
compares them on messages shipped with the tests). When the installed slovnet or navec
is not a release listed in :data:`MIRRORS`, :func:`load` returns :class:`LibraryTagger`,
which tags with slovnet's own objects instead (slower, never wrong).

>>> MIRRORS["slovnet"], MIRRORS["navec"]
(('0.6.',), ('0.10.',))
"""
from __future__ import annotations

import gzip
import io
import json
import tarfile
from array import array
from bisect import bisect_left
from functools import lru_cache
from typing import Sequence

import numpy as np

from ..errors import CorruptModel, IncompatibleModel
from . import log, supported

#: The releases whose inference code and file formats this module copies.
MIRRORS: dict[str, tuple[str, ...]] = {"slovnet": ("0.6.",), "navec": ("0.10.",)}

#: Whether the installed slovnet and navec are those releases (checked once, at import;
#: tests monkeypatch it to exercise the fallback).
SUPPORTED = supported(__name__, MIRRORS)

#: A tagged span: (first token, last token + 1, entity type).
Span = tuple[int, int, str]


def load(navec_path: str, model_path: str) -> "Tagger | LibraryTagger":
    """The tagger for these model files: the mirror when the installed slovnet and navec
    are the releases it copies, else slovnet's own objects.

    Raises
    ------
    CorruptModel
        If a file cannot be read as the model it should hold.
    """
    if SUPPORTED:
        try:
            return Tagger(navec_path, model_path)
        except IncompatibleModel as exc:  # a model slovnet runs but the mirror's layout does not fit
            log.info("curnlp: %s: %s: using slovnet's own call", __name__, exc)
    return LibraryTagger(navec_path, model_path)


# ---------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------

class _Vocabulary:
    """Word -> id of a slovnet vocabulary, as slovnet's ``Vocab.item_ids.get(word, unk)``.

    The words are kept in one UTF-8 ``bytes`` with their offsets, and their hashes sorted
    with the ids beside them in compact arrays: a lookup is a binary search (C ``bisect``
    over an ``array``) for the word's hash, then a comparison of the bytes, instead of a
    dict of a quarter million Python strings.
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
        """The id of ``word``, or the unknown-word id.

        >>> v = _Vocabulary([b"<pad>", b"<unk>", "курск".encode()])
        >>> v.id("курск"), v.id("орёл"), v.pad_id
        (2, 1, 0)
        """
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
    # as slovnet reads a vocabulary: gzip-decompress, decode UTF-8, splitlines
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


# ---------------------------------------------------------------------------
# Inference
# ---------------------------------------------------------------------------

class Tagger:
    """slovnet's NER model run batch-wise in numpy (the mirror).

    Thread safety: a call keeps no state on the object. The weights are immutable numpy
    arrays, each call allocates fresh arrays, the CRF decoding is a pure function and the
    word-encoding cache is an ``lru_cache`` (thread-safe).
    """

    def __init__(self, navec_path: str, model_path: str) -> None:
        model, words, shapes, tags = _load_slovnet(model_path)
        navec_id, indexes, codes = _load_navec(navec_path)
        if len(indexes) != len(words):
            raise CorruptModel(f"{navec_path} has {len(indexes)} word vectors, the NER vocabulary {len(words)} words")
        self.model = model.inject_navec(_NavecArrays(navec_id, indexes, codes))
        self.words = words
        self.word_pad = words.pad_id
        self._transitions = np.asarray(self.model.head.crf.transitions.array)
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
        #: word -> (word id, shape id), cached: a message repeats most of its words' encodings
        self.encode_word = lru_cache(maxsize=200_000)(self._encode_word)
        # The CNN re-laid out for (batch, seq, channels) arrays: each conv layer is one
        # matmul against its three kernel taps side by side (no window copies), ReLU,
        # and batch-norm folded into a scale and a shift. Same arithmetic as slovnet.
        self._layers = []
        for layer in self.model.encoder.layers:
            weight = layer.conv.weight.array  # filters x in x kernel
            filters, _, kernel = weight.shape
            if kernel != 3 or layer.conv.padding != 1:
                raise IncompatibleModel(f"{model_path}: conv kernel {kernel}, padding {layer.conv.padding} "
                                        "(the mirror runs kernel 3, padding 1)")
            taps = np.ascontiguousarray(np.concatenate([weight[:, :, k].T for k in range(kernel)], axis=1))
            norm = layer.norm
            scale = (norm.weight.array / norm.std.array).astype(weight.dtype)
            shift = (norm.bias.array - norm.mean.array * scale).astype(weight.dtype)
            self._layers.append((taps, layer.conv.bias.array, scale, shift, filters))
        self._proj = (self.model.head.proj.weight.array, self.model.head.proj.bias.array)
        # Navec's product-quantized word vectors gathered with one np.take: each word's
        # codes offset into the flattened (qdim x centroids) table of float pieces, each
        # piece one fixed-size void item, instead of slovnet's two-array fancy indexing
        # (same floats, fewer passes over memory)
        word_emb = self.model.emb.word
        pieces = np.ascontiguousarray(word_emb.codes.array)  # qdim x centroids x chunk
        qdim, centroids, chunk = pieces.shape
        self.word_codes = word_emb.indexes.array  # vocabulary x qdim (uint8, memory-mapped)
        self._pieces = pieces.reshape(qdim * centroids, chunk).view(np.dtype((np.void, chunk * pieces.itemsize)))[:, 0]
        self._piece_offsets = np.arange(qdim, dtype=np.intp) * centroids
        self._piece_dtype, self._word_dim = pieces.dtype, qdim * chunk
        self.shape_vectors = self.model.emb.shape.weight.array

    def _encode_word(self, word: str) -> tuple[int, int]:
        from slovnet.shape import word_shape
        shape = self._shape_ids.get(word_shape(word), self._shape_unk)
        return self.words.id(word.lower()), shape

    def tag_batch(self, batch: Sequence[Sequence[str]]) -> list[list[Span]]:
        """Spans of each non-empty token sequence of ``batch``, padded to the longest
        (padding does not change a sequence's tags: it is zeroed as at a text's end)."""
        lengths = np.fromiter((len(s) for s in batch), dtype=np.intp, count=len(batch))
        width = int(lengths.max())
        word_id = np.full((len(batch), width), self.word_pad, dtype=np.intp)
        shape_id = np.full((len(batch), width), self._shape_pad, dtype=np.intp)
        encode = self.encode_word
        for row, seq in enumerate(batch):
            ids = [encode(w) for w in seq]
            word_id[row, :len(ids)] = [a for a, _ in ids]
            shape_id[row, :len(ids)] = [b for _, b in ids]
        pad_mask = np.arange(width)[None, :] >= lengths[:, None]
        emissions = self.emissions(word_id, shape_id, pad_mask)
        tags = viterbi(emissions, lengths, self._transitions)
        return [self._spans(tags[row, :n]) for row, n in enumerate(lengths.tolist())]

    def embed(self, word_id: np.ndarray, shape_id: np.ndarray) -> np.ndarray:
        """Word (Navec) and shape vectors side by side, batch x seq x dims: what slovnet's
        ``WordShapeEmbedding`` computes."""
        codes = self.word_codes[word_id.ravel()].astype(np.intp)
        codes += self._piece_offsets
        words = self._pieces.take(codes).view(self._piece_dtype).reshape(*word_id.shape, self._word_dim)
        return np.concatenate((words, self.shape_vectors[shape_id]), axis=-1)

    def emissions(self, word_id: np.ndarray, shape_id: np.ndarray, pad_mask: np.ndarray) -> np.ndarray:
        """CRF emission scores (batch x seq x tags); padding is zero, as at a text's end."""
        keep = (~pad_mask)[:, :, None].astype(np.float32)
        x = self.embed(word_id, shape_id) * keep
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

    def _spans(self, tags: np.ndarray) -> list[Span]:
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


def viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Best CRF tag paths of a padded batch (same result as slovnet's ``CRF.decode``).

    Vectorized over the batch both ways (forward scores and back-tracking), so its
    Python overhead is one short loop per position, not per position per sequence.

    >>> emissions = np.array([[[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]], dtype=np.float32)
    >>> viterbi(emissions, np.array([2]), np.zeros((2, 2), np.float32)).tolist()
    [[1, 0, 0]]
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


class LibraryTagger:
    """The fallback: slovnet's and navec's own objects, one token sequence at a time.

    ``slovnet.NER.load(...).navec(navec.Navec.load(...))`` is what natasha's
    ``NewsNERTagger`` builds. Its ``__call__`` takes raw text and tokenizes it with
    razdel; curnlp's tokens are already made (and re-cased), so each sequence goes
    through the same object's next steps: its encoder, model + CRF decoding, tag
    decoder and ``slovnet.bio.bio_spans``. One sequence per call, as natasha tags a
    document, so no padding enters the convolutions.
    """

    encode_word = None  # slovnet encodes words itself

    def __init__(self, navec_path: str, model_path: str) -> None:
        import navec
        import slovnet
        try:
            self._api = slovnet.NER.load(model_path).navec(navec.Navec.load(navec_path))
        except (OSError, KeyError, ValueError, tarfile.TarError, json.JSONDecodeError) as exc:
            raise CorruptModel(f"cannot read the NER model {model_path} with Navec {navec_path}: "
                               f"{type(exc).__name__}: {exc}") from exc

    def tag_batch(self, batch: Sequence[Sequence[str]]) -> list[list[Span]]:
        """Spans of each non-empty token sequence of ``batch``."""
        from slovnet.bio import bio_spans
        from slovnet.token import Token
        infer = self._api.infer
        out = []
        for words in batch:
            words = list(words)
            tags = next(infer.decoder(infer.process(infer.encoder([words]))))
            tokens = [Token(i, i + 1, w) for i, w in enumerate(words)]
            out.append([(s.start, s.stop, s.type) for s in bio_spans(tokens, tags)])
        return out
