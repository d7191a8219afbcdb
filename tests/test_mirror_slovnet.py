"""curnlp.mirrors.slovnet equals slovnet/Navec's own call, and its fallback gives the same entities.

The sample is written here (no corpus needed), so these tests never skip: appeals with
markup, CAPS LOCK, no punctuation, phone numbers, names in oblique cases.
"""
import os

import numpy as np
import pytest

from curnlp.mirrors import slovnet as mirror
from curnlp.ner import NER, extract_entities_many
from curnlp.ner import tagger as ner_tagger

SAMPLE = [
    "В Льгове и Курчатове нет автобусов до Москвы, прошу Министерство транспорта Курской области разобраться",
    "Добрый день! Жалоба на МУП «Водоканал» г. Курска, звонила Петровой Ольге 8 (4712) 55-55-55",
    "<p>Прошу губернатора Курской области Старовойта Романа Владимировича помочь</p>",
    "Уважаемая Наталья Сергеевна! В Советском районе не вывозят мусор.",
    "Глава Курска Игорь Куцак встретился с жителями Сеймского округа.",
    "ЗДРАВСТВУЙТЕ! В ПОСЕЛКЕ ЮБИЛЕЙНЫЙ КУРСКОГО РАЙОНА НЕТ ВОДЫ УЖЕ НЕДЕЛЮ, ЖАЛОБУ НАПРАВЛЯЛА ПЕТРОВОЙ ЕЛЕНЕ",
    "добрый день в курске яма прошу передать губернатору старовойту роману владимировичу",
    "Пишу по просьбе мамы Ефремовой Нины Григорьевны (тел. +79081216069). Живем в Курском районе",
    "Прошу&nbsp;помочь. Жалоба на Администрацию Сеймского&nbsp;округа г. Курска, ул. Ленина д.5 кв 12",
    "ничего интересного тут нет",
    "",
    "Обращаюсь в Роспотребнадзор и Государственную жилищную инспекцию: УК «Уют-Сервис» не чинит крышу на "
    "пр-те Победы. Директор Кутепова Т.В. не отвечает. " * 20,
]


def _paths() -> tuple[str, str]:
    base = ner_tagger._natasha_dir()
    return os.path.join(base, ner_tagger._NAVEC_FILE), os.path.join(base, ner_tagger._NER_FILE)


@pytest.fixture(scope="module")
def library():
    """slovnet's public API over natasha's files, as natasha's NewsNERTagger builds it."""
    import navec
    import slovnet
    navec_path, model_path = _paths()
    return slovnet.NER.load(model_path).navec(navec.Navec.load(navec_path))


@pytest.fixture(scope="module")
def fallback():
    """An NER built as when the installed slovnet/navec are not the mirrored releases."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mirror, "SUPPORTED", False)
        return NER(*_paths())


def test_the_installed_releases_are_the_mirrored_ones():
    # otherwise the suite would test slovnet against itself and the mirror would go unused
    assert mirror.SUPPORTED
    assert isinstance(NER.shared().engine, mirror.Tagger)
    assert not mirror.supported("test", {"slovnet": ("9.9.",)})
    assert not mirror.supported("test", {"no-such-distribution-curnlp": ("1.",)})


def test_tags_equal_slovnet_on_its_own_tokenization(library):
    import razdel
    texts = [t for t in SAMPLE if t]
    tokens = [list(razdel.tokenize(t)) for t in texts]
    ours = NER.shared().tag([[t.text for t in ts] for ts in tokens])
    assert sum(map(len, ours)) > 20
    for text, ts, spans in zip(texts, tokens, ours):
        theirs = [(s.start, s.stop, s.type) for s in library(text).spans]
        assert [(ts[a].start, ts[b - 1].stop, type_) for a, b, type_ in spans] == theirs, text


def test_word_and_shape_vectors_equal_slovnets_embedding():
    """The one-take gather of Navec's quantized vectors gives slovnet's floats exactly
    (random, padding and unknown word ids; an empty batch)."""
    engine = NER.shared().engine
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (5, 23), (64, 64), (2, 0)]:
        word_id = rng.integers(0, len(engine.word_codes), shape)
        shape_id = rng.integers(0, len(engine.shape_vectors), shape)
        if word_id.size:
            word_id[0, 0], word_id.flat[-1] = engine.word_pad, engine.words.unk_id
        ours, theirs = engine.embed(word_id, shape_id), engine.model.emb(word_id, shape_id)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)


def test_compact_vocabulary_gives_slovnets_ids_for_every_word():
    from slovnet.exec.pack import Pack
    with Pack(_paths()[1]) as pack:
        theirs = pack.load_vocab("word")
    ours = NER.shared().engine.words
    assert len(ours) == len(theirs.items) > 200_000
    assert (ours.unk_id, ours.pad_id) == (theirs.unk_id, theirs.pad_id)
    assert all(ours.id(w) == i for i, w in enumerate(theirs.items))
    for missing in ("курскпромбанкдорстрой", "", "яма\ud83d", "\x00", "zzzzzzzzzz"):  # unknown, even a lone surrogate
        assert ours.id(missing) == theirs.item_ids.get(missing, theirs.unk_id) == theirs.unk_id


def test_navec_codes_are_mapped_from_the_tar_not_copied():
    engine = NER.shared().engine
    assert isinstance(engine.model.emb.word.indexes.array, np.memmap)
    assert engine.model.emb.word.indexes.array.shape[0] == len(engine.words)


def test_fallback_uses_slovnets_objects_and_finds_the_same_entities(fallback):
    assert isinstance(fallback.engine, mirror.LibraryTagger) and fallback.encode_word is None
    ours = extract_entities_many(SAMPLE)
    assert sum(map(len, ours[:-1])) > 15 and len(ours[-1]) > 20
    assert extract_entities_many(SAMPLE, ner=fallback) == ours


def test_fallback_tags_equal_the_mirror_in_mixed_length_batches(fallback):
    import razdel
    sequences = [[t.text for t in razdel.tokenize(text)] for text in SAMPLE]
    sequences += [["Курск"], ["в", "Курске"], []]
    assert fallback.tag(sequences) == NER.shared().tag(sequences)


def test_a_layout_the_mirror_does_not_run_falls_back(monkeypatch):
    from curnlp.errors import IncompatibleModel

    def refuse(navec_path, model_path):
        raise IncompatibleModel(f"{model_path}: conv kernel 5")

    sentinel = object()
    monkeypatch.setattr(mirror, "Tagger", refuse)
    monkeypatch.setattr(mirror, "LibraryTagger", lambda navec_path, model_path: sentinel)
    assert mirror.load(*_paths()) is sentinel


def test_fallback_reports_a_damaged_file_as_corrupt_model(tmp_path, monkeypatch):
    from curnlp.errors import CorruptModel
    monkeypatch.setattr(mirror, "SUPPORTED", False)
    (tmp_path / "ner.tar").write_bytes(b"not a tar file")
    with pytest.raises(CorruptModel):
        NER(_paths()[0], str(tmp_path / "ner.tar"))
