"""curnlp/mirrors/: each copy of a library's internals equals the library's own call, and with
an installed release the mirror does not know the library's call gives the same result.

The sample (tests/data/mirror_sample.txt) is shipped with the tests, so these tests never
skip for want of the corpus; the corpus tests add the full vocabulary when it is there.
"""
from __future__ import annotations

import csv
import importlib
import logging
import os
import random
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from curnlp import mirrors, morph
from curnlp.mirrors import pymorphy3 as pm_mirror, razdel as razdel_mirror, sklearn as sk_mirror
from curnlp.normalize import clean_text, normalize

SAMPLE = Path(__file__).parent / "data" / "mirror_sample.txt"
CORPUS = os.environ.get("CURNLP_CORPUS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "corpora", "kursk", "appeals.csv")
NO_CORPUS = pytest.mark.skipif(not os.path.isfile(CORPUS), reason=f"corpus not found at {CORPUS} (set CURNLP_CORPUS)")


def sample_texts() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def corpus_texts() -> list[str]:
    with open(CORPUS, encoding="utf-8", newline="") as fh:
        return [row["Текст Сообщения"] for row in csv.DictReader(fh)]


def chunks_of(texts) -> list[str]:
    """Whitespace-free chunks of the clean texts, in order, without repeats."""
    return list(dict.fromkeys(c for t in texts for c in clean_text(t).split()))


def words_of(texts) -> list[str]:
    """Lowercase Cyrillic words (hyphenated ones too) with ё folded, as lemma() sees them."""
    found = (w.lower().replace("ё", "е") for t in texts for w in re.findall(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*", t))
    return list(dict.fromkeys(found))


@pytest.fixture
def unsupported(monkeypatch):
    """Re-import a mirror module as if no library release matched its MIRRORS; restored after."""
    reloaded = []

    def reload(module):
        monkeypatch.setattr(mirrors, "installed_version", lambda distribution: "0.0.0.dev0")
        importlib.reload(module)
        reloaded.append(module)
        assert module.SUPPORTED is False
        return module

    yield reload
    monkeypatch.undo()
    for module in reloaded:
        importlib.reload(module)


def needs(module):
    if not module.SUPPORTED:
        pytest.skip(f"{module.__name__}: the installed release is not one of {module.MIRRORS}: "
                    "the library's own call is used")


# --------------------------------------------------------------------------- supported()

@pytest.mark.parametrize("installed, ok", [("0.5.0", True), ("0.5", True), ("0.5.1.post2", True),
                                           ("0.50.0", False), ("0.6.0", False), ("1.0", False), (None, False)])
def test_supported_matches_release_prefixes(monkeypatch, caplog, installed, ok):
    monkeypatch.setattr(mirrors, "installed_version", lambda distribution: installed)
    with caplog.at_level(logging.INFO, logger="curnlp"):
        assert mirrors.supported("a mirror", {"razdel": ("0.5.",)}) is ok
    assert ("a mirror mirrors razdel 0.5." in caplog.text) is not ok


def test_supported_needs_every_distribution(monkeypatch):
    versions = {"pymorphy3": "2.0.6", "scikit-learn": "1.8.0"}
    monkeypatch.setattr(mirrors, "installed_version", versions.get)
    assert mirrors.supported("m", {"pymorphy3": ("2.0.6",)})
    assert not mirrors.supported("m", {"pymorphy3": ("2.0.6",), "scikit-learn": ("1.9.",)})


def test_the_installed_version_is_read_from_the_metadata():
    assert mirrors.installed_version("razdel")
    assert mirrors.installed_version("no-such-distribution-for-curnlp") is None


@pytest.mark.parametrize("module", [razdel_mirror, pm_mirror, sk_mirror], ids=lambda m: m.__name__)
def test_the_installed_release_is_a_mirrored_one(module):
    """Routing still works with another release (the library's call), only slower: after
    the equality tests below pass on a new release, add it to the module's MIRRORS."""
    installed = {d: mirrors.installed_version(d) for d in module.MIRRORS}
    assert module.SUPPORTED, f"{module.__name__} mirrors {module.MIRRORS}, installed {installed}"


# --------------------------------------------------------------------------- razdel

def test_the_sample_holds_the_chunks_razdel_is_asked_about():
    chunks = chunks_of(sample_texts())
    for chunk in ("д.5,", "т.е.", "37б/2?", "10-15", "Ростов-на-Дону,", "ул.Союзной", ":-(", "🤢🤢", "46:29:103022:50"):
        assert chunk in chunks


def test_razdel_mirror_equals_razdel_on_the_sample():
    needs(razdel_mirror)
    chunks = chunks_of(sample_texts())
    assert [c for c in chunks if razdel_mirror.mirror_split(c) != razdel_mirror.library_split(c)] == []


@pytest.mark.parametrize("chunk", [
    "д.105", "2021г.", "т.к.", "№37", "16Б", "19:00,", "2-3", "9-й", "Из-за", "температура,которая",
    "воды.Данная", "замеров?Просим", "01.12.2021", "1/2", "a_b", "ΔP", "mβж", ":-)))", "!?", "...", "--", "**",
    "Yahoo!", "(ул.Ленина)", "«ц.рынок-жд", "46:29:103022:50обл.", "-а-", "‑", "3.14,15", "х-трейл",
])
def test_razdel_mirror_equals_razdel_on_named_chunks(chunk):
    needs(razdel_mirror)
    assert razdel_mirror.mirror_split(chunk) == razdel_mirror.library_split(chunk)


def test_razdel_mirror_equals_razdel_on_random_chunks():
    """Random whitespace-free chunks over the characters razdel's rules look at."""
    needs(razdel_mirror)
    alphabet = list("аяёЁКzZ09.,-‑–—_/\\:;=()!?…*«»\"'№%$@#ΔσУ+") + ["yahoo", "YaHoO", "12", ":-)", ";((", "--"]
    rnd = random.Random(7)
    for _ in range(20_000):
        chunk = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 9)))
        assert razdel_mirror.mirror_split(chunk) == razdel_mirror.library_split(chunk), chunk


@NO_CORPUS
def test_razdel_mirror_equals_razdel_on_the_corpus():
    needs(razdel_mirror)
    chunks = chunks_of(corpus_texts())
    assert len(chunks) > 20_000
    assert [c for c in chunks if razdel_mirror.mirror_split(c) != razdel_mirror.library_split(c)] == []


def test_razdel_mirror_is_linear_on_a_long_punctuation_run():
    needs(razdel_mirror)
    chunk = "." * 200_000 + ":-)" + "-" * 200_000
    tokens = razdel_mirror.mirror_split(chunk)
    assert [t[2][:3] for t in tokens] == ["...", ":", "-", ")", "---"]
    assert tokens[-1][1] == len(chunk)


def test_the_chunk_cache_is_bounded():
    assert 0 < razdel_mirror._short_chunk_tokens.cache_info().maxsize <= 200_000


def test_without_a_known_razdel_normalize_gives_the_same_tokens(unsupported):
    texts = sample_texts()
    expected = [normalize(t).tokens for t in texts]
    module = unsupported(razdel_mirror)
    assert module.split_chunk("д.5,") == module.library_split("д.5,")
    asked = []
    library_split = module.library_split
    module.library_split = lambda chunk: asked.append(chunk) or library_split(chunk)
    assert [normalize(t).tokens for t in texts] == expected
    assert "т.е." in asked  # the chunks the fast path cannot cut went to razdel.tokenize


# --------------------------------------------------------------------------- pymorphy3

#: typos, compounds and hyphenated words the dictionary does not know
GUESSED = ("почнму распологаться короновирусной газпроммежрегионгаз лесо-посадку сел-поехал ооожилсервис "
           "многоквартимном н-р внж тсн ттг мерзниш пешком-это курск-ливны то-ли госномера фанари пушкена").split()


def first(morph_analyzer, low: str) -> tuple[str, str]:
    best = morph_analyzer.parse(low)[0]
    return str(best.tag), best.normal_form


def test_the_sample_holds_known_and_unknown_words():
    an = morph.analyzer()
    words = words_of(sample_texts())
    known = [w for w in words if an.word_is_known(w)]
    assert len(known) > 150 and len(words) - len(known) >= 5


def test_pymorphy3_mirror_equals_the_first_parse_on_the_sample():
    needs(pm_mirror)
    an = morph.analyzer()
    for low in words_of(sample_texts()) + GUESSED:
        tag, normal_form = pm_mirror.first_parse(an, low)
        assert (str(tag), normal_form) == first(an, low), low
        top = pm_mirror.dictionary_parse(an, low)
        assert (top is not None) == an.word_is_known(low), low
        if top is None:
            tag, normal_form = pm_mirror.guessed_parse(an, low)
            assert (str(tag), normal_form) == first(an, low), low


@NO_CORPUS
def test_pymorphy3_mirror_equals_the_first_parse_on_unknown_words_of_the_corpus():
    """Words the dictionary does not know (typos, compounds, hyphenated): the costly case."""
    needs(pm_mirror)
    an = morph.analyzer()
    unknown = [w for w in words_of(corpus_texts()) if pm_mirror.dictionary_parse(an, w) is None]
    assert len(unknown) > 1000
    for low in unknown:
        tag, normal_form = pm_mirror.guessed_parse(an, low)
        assert (str(tag), normal_form) == first(an, low), low


def test_pymorphy3_mirror_asks_parse_when_the_units_are_held_otherwise(monkeypatch):
    an = morph.analyzer()
    asked = []
    parse = an.parse
    monkeypatch.setattr(an, "parse", lambda word: asked.append(word) or parse(word))
    # units held in another container than the mirrored releases' list: the internals changed
    monkeypatch.setattr(an, "_units", tuple(an._units))
    tag, normal_form = pm_mirror.guessed_parse(an, "почнму")
    assert asked == ["почнму"]
    assert (str(tag), normal_form) == first(an, "почнму")


def test_without_a_known_pymorphy3_the_lemmas_are_the_same(unsupported):
    words = words_of(sample_texts()) + GUESSED
    expected = [morph.computed_lemma(w) for w in words]
    module = unsupported(pm_mirror)
    an = morph.analyzer()
    assert [w for w in words if (module.dictionary_parse(an, w) is None) == an.word_is_known(w)] == []
    assert [morph.computed_lemma(w) for w in words] == expected
    assert morph.computed_lemma("ул") == "ул" and morph.computed_lemma("улицах") == "улица"


# --------------------------------------------------------------------------- scikit-learn

def sparse_rows(dtype) -> sp.csr_matrix:
    """tf-idf-like rows: random weights, an empty row, a row of explicit zeros, one-entry rows."""
    rnd = np.random.default_rng(4)
    dense = rnd.random((40, 30)) * (rnd.random((40, 30)) < 0.2)
    dense[3] = 0.0
    dense[5] = 0.0
    dense[7, :] = 0.0
    dense[7, 11] = 2.5
    rows, cols = np.nonzero(dense)
    rows, cols = np.r_[rows, 5], np.r_[cols, 2]  # an explicit zero in a row of zeros
    coo = sp.coo_matrix((dense[rows, cols].astype(dtype), (rows, cols)), shape=dense.shape)
    matrix = coo.tocsr()
    assert matrix.nnz == len(rows) and matrix[5].nnz == 1
    matrix.indices, matrix.indptr = matrix.indices.astype(np.int64), matrix.indptr.astype(np.int64)
    return matrix


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sklearn_mirror_equals_normalize_in_place(dtype):
    from sklearn.preprocessing import normalize as sk_normalize
    matrix = sparse_rows(dtype)
    expected = sk_normalize(matrix, norm="l2", copy=True)
    data = matrix.data
    out = sk_mirror.normalize_rows_l2(matrix)
    assert out is matrix and out.data is data and out.dtype == dtype
    assert np.array_equal(out.indptr, expected.indptr) and np.array_equal(out.indices, expected.indices)
    assert np.array_equal(out.data, expected.data)
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-6) and norms[3] == norms[5] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_a_known_scikit_learn_the_rows_are_the_same(unsupported, dtype):
    expected = sk_mirror.normalize_rows_l2(sparse_rows(dtype))
    module = unsupported(sk_mirror)
    matrix = sparse_rows(dtype)
    assert module.normalize_rows_l2(matrix) is matrix
    assert np.array_equal(matrix.data, expected.data)


def test_the_public_fallback_stays_in_place_even_if_normalize_copied(monkeypatch):
    import sklearn.preprocessing
    expected = sk_mirror.normalize_rows_l2(sparse_rows(np.float64))
    real = sklearn.preprocessing.normalize
    monkeypatch.setattr(sklearn.preprocessing, "normalize", lambda m, **kw: real(m.copy(), **kw))
    matrix = sparse_rows(np.float64)
    assert sk_mirror.library_normalize_rows_l2(matrix) is matrix
    assert np.array_equal(matrix.data, expected.data)
