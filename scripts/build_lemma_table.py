#!/usr/bin/env python3
"""Build ``curnlp/data/lemmas_ru.tsv.gz``: precomputed lemmas of common Russian words.

The words are the commonest all-Cyrillic words (hyphenated ones included) of the Navec
news vocabulary shipped inside the ``natasha`` package (``navec_news_v1_1B_250K_300d_100q``,
MIT licence: word counts over a news corpus; no citizens' messages), ё folded to е, kept
only when the pymorphy3 dictionary knows them (their lemma depends on the dictionary
alone, not on pymorphy3's guessing of unknown words). Each lemma is computed by
:func:`curnlp.morph.computed_lemma`, the function that runs without the table, so
routing is the same with or without it (``tests/test_normalize.py`` checks every entry).

File format (gzip, UTF-8): a JSON header line, a blank line, the forms one per line, a
blank line, their lemmas in the same order. The header records the source, the word
count, ``curnlp.morph.LEMMA_RULES`` and the pymorphy3 dictionary revision; curnlp uses
the table only under the same rules and dictionary.

Usage::

    python scripts/build_lemma_table.py [--words 100000] [--check]
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "curnlp" / "data" / "lemmas_ru.tsv.gz"
_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*")


def navec_words() -> list[str]:
    """Cyrillic words of natasha's Navec vocabulary, commonest first (ties: alphabetical)."""
    from importlib import resources
    from navec import Navec
    path = resources.files("natasha").joinpath("data/emb/navec_news_v1_1B_250K_300d_100q.tar")
    with resources.as_file(path) as tar:
        vocab = Navec.load(str(tar)).vocab
    pairs = sorted((-count, word) for word, count in zip(vocab.words, vocab.counts) if _WORD.fullmatch(word))
    return [word for _, word in pairs]


def build(n_words: int) -> bytes:
    sys.path.insert(0, str(REPO))
    from curnlp import morph
    forms: list[str] = []
    seen: set[str] = set()
    for word in navec_words():
        low = word.replace("ё", "е")
        if low in seen or not morph.analyzer().word_is_known(low):
            continue
        seen.add(low)
        forms.append(low)
        if len(forms) == n_words:
            break
    lemmas = [morph.computed_lemma(w) for w in forms]
    head = {"source": "natasha navec_news_v1_1B_250K_300d_100q vocabulary (MIT), commonest dictionary words",
            "built_by": "scripts/build_lemma_table.py", "words": len(forms), "rules": morph.LEMMA_RULES,
            "dictionary": morph.dictionary_id()}
    text = json.dumps(head, ensure_ascii=False) + "\n\n" + "\n".join(forms) + "\n\n" + "\n".join(lemmas)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=100_000, help="how many words (default 100,000)")
    p.add_argument("--check", action="store_true", help="exit 1 if the shipped table differs from a fresh build")
    args = p.parse_args()
    data = build(args.words)
    if args.check:
        same = OUT.is_file() and gzip.decompress(OUT.read_bytes()) == gzip.decompress(data)
        print(f"{OUT.relative_to(REPO)}: {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    OUT.write_bytes(data)
    print(f"wrote {OUT.relative_to(REPO)} ({len(data) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
