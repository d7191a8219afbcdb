"""Benchmark of curnlp.places against natasha's AddrExtractor: speed, quality, municipality.

Run from the repo root:

    python benchmarks/locations.py [--corpus PATH] [--natasha-sample 200]

Corpus path: --corpus, else $CURNLP_CORPUS, else ../shared/corpora/kursk/appeals.csv relative
to the repo root. The gold set (corpora/locations_gold.jsonl) holds ids and offsets only; the
texts are joined from the corpus at run time.

Span match rule: a predicted and a gold location match when they have the same kind and their
character spans in the original text overlap (at least one character); matching is one-to-one,
greedy in text order.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curnlp.places import KINDS, extract_locations  # noqa: E402
from curnlp.normalize import normalize  # noqa: E402
from curnlp.places import load_region, resolve_municipality  # noqa: E402

# natasha AddrPart.type -> our kind (parts we do not extract are dropped)
NATASHA_KIND = {
    **dict.fromkeys("улица проспект переулок проезд шоссе бульвар площадь набережная тупик линия аллея".split(), "street"),
    **dict.fromkeys("дом корпус строение".split(), "house"),
    "город": "city",
    **dict.fromkeys("село деревня посёлок поселок хутор станица слобода микрорайон аул".split(), "settlement"),
    "район": "district",
    **dict.fromkeys(["область", "край", "республика", "автономный округ"], "region"),
}
ADDRESS_KINDS = ("street", "house", "settlement", "city")


def corpus_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    if os.environ.get("CURNLP_CORPUS"):
        return Path(os.environ["CURNLP_CORPUS"])
    return (ROOT / ".." / "shared" / "corpora" / "kursk" / "appeals.csv").resolve()


def load_corpus(path: Path) -> dict[int, tuple[str, str]]:
    import csv

    csv.field_size_limit(10**8)
    out = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out[int(row["id"])] = (row["Текст Сообщения"] or "", row["Ответственное лицо"] or "")
    return out


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def match(pred: list[tuple[str, int, int]], gold: list[tuple[str, int, int]]) -> Counter:
    """tp/fp/fn per kind under the overlap rule (one-to-one, greedy)."""
    c: Counter = Counter()
    used = set()
    for kind, s, e in pred:
        hit = next((j for j, (gk, gs, ge) in enumerate(gold) if j not in used and gk == kind and s < ge and gs < e), None)
        if hit is None:
            c[kind, "fp"] += 1
        else:
            used.add(hit)
            c[kind, "tp"] += 1
    for j, (gk, _, _) in enumerate(gold):
        if j not in used:
            c[gk, "fn"] += 1
    return c


def prf(c: Counter, kinds) -> tuple[float, float, float, int]:
    tp = sum(c[k, "tp"] for k in kinds)
    fp = sum(c[k, "fp"] for k in kinds)
    fn = sum(c[k, "fn"] for k in kinds)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp + fn


def natasha_locations(extractor, doc) -> list[tuple[str, int, int]]:
    out = []
    for m in extractor(doc.clean):
        kind = NATASHA_KIND.get(m.fact.type)
        if kind is not None and m.stop > m.start:
            s, e = doc.span_to_original(m.start, m.stop)
            out.append((kind, s, e))
    return out


def gold_quality(name: str, gold: list[dict], corpus: dict, region, natasha) -> None:
    """P/R/F1 per kind and municipality accuracy on one gold set (curnlp and natasha)."""
    print(f"\n== gold set {name}: {len(gold)} messages, {sum(len(g['locations']) for g in gold)} locations; overlap match ==")
    ours, theirs = Counter(), Counter()
    muni_ok = muni_n = ev_ok = ev_n = ev_city = none_pred = 0
    for g in gold:
        text = corpus[g["id"]][0]
        doc = normalize(text)
        gl = [(x["kind"], x["start"], x["end"]) for x in g["locations"]]
        pred = extract_locations(doc, region)
        ours += match([(p.kind, p.start, p.end) for p in pred], gl)
        if natasha is not None:
            theirs += match(natasha_locations(natasha, doc), gl)
        if g["municipality"] is not None:
            m = resolve_municipality(pred, region, doc)
            muni_n += 1
            none_pred += m is None
            ok = m is not None and m.name == g["municipality"]
            muni_ok += ok
            if g["text_evident"]:
                ev_n += 1
                ev_ok += ok
                ev_city += ok or (m is not None and (m.parent == g["municipality"] or m.name == _parent(region, g["municipality"])))
    header = f"{'kind':28s} {'n':>4s} | {'curnlp P':>8s} {'R':>6s} {'F1':>6s}"
    if natasha is not None:
        header += f" | {'natasha P':>9s} {'R':>6s} {'F1':>6s}"
    print(header)
    for kind in (*KINDS, "street+house+settlement", "street+house+settlement+city"):
        kinds = tuple(kind.split("+"))
        p, r, f, n = prf(ours, kinds)
        line = f"{kind:28s} {n:4d} | {p:8.3f} {r:6.3f} {f:6.3f}"
        if natasha is not None:
            p2, r2, f2, _ = prf(theirs, kinds)
            line += f" | {p2:9.3f} {r2:6.3f} {f2:6.3f}"
        print(line)
    print(f"municipality accuracy, messages whose text names the place: {ev_ok}/{ev_n} = {ev_ok / max(ev_n, 1):.3f} "
          f"(city for an inner okrug or okrug for its city also right: {ev_city / max(ev_n, 1):.3f})")
    print(f"municipality accuracy, all messages with a gold municipality: {muni_ok}/{muni_n} = {muni_ok / max(muni_n, 1):.3f} "
          f"({none_pred} unresolved)")


def _parent(region, name: str) -> str | None:
    m = next((m for m in region.municipalities.values() if m.name == name), None)
    return region.municipalities[m.parent].name if m is not None and m.parent else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="appeals.csv (default $CURNLP_CORPUS or ../shared/corpora/kursk/appeals.csv)")
    ap.add_argument("--gold", nargs="+", default=[str(ROOT / "corpora" / "locations_gold.jsonl"),
                                                   str(ROOT / "corpora" / "locations_gold_blind.jsonl"),
                                                   str(ROOT / "corpora" / "locations_gold_dev.jsonl"),
                                                   str(ROOT / "corpora" / "locations_gold_test.jsonl"),
                                                   str(ROOT / "corpora" / "locations_gold_heldout.jsonl"),
                                                   str(ROOT / "corpora" / "locations_gold_heldout2.jsonl")],
                    help="gold sets, each reported separately")
    ap.add_argument("--route", action="store_true", help="also time full route_many with the shipped model")
    ap.add_argument("--heldout", action="store_true", help="also score with a pack mined without the gold messages")
    ap.add_argument("--natasha-sample", type=int, default=200, help="messages timed with AddrExtractor")
    ap.add_argument("--no-natasha", action="store_true")
    args = ap.parse_args()

    corpus = load_corpus(corpus_path(args.corpus))
    ids = sorted(corpus)
    texts = [corpus[i][0] for i in ids]
    region = load_region("kursk")
    print(f"corpus: {len(texts)} messages")

    # ---- speed: curnlp ----------------------------------------------------
    extract_locations("прогрев: ул. Союзная, д. 1, г. Курск")
    t0 = time.perf_counter()
    docs = [normalize(t) for t in texts]
    t_norm = time.perf_counter() - t0
    t0 = time.perf_counter()
    locs_all = [extract_locations(d, region) for d in docs]
    t_extract = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in texts:
        extract_locations(t, region)
    t_e2e = time.perf_counter() - t0
    e2e = len(texts) / t_e2e
    print("\n== speed (1 process, same messages) ==")
    print(f"curnlp normalize only          : {len(texts) / t_norm:8.0f} msg/s")
    print(f"curnlp extraction (Normalized) : {len(texts) / t_extract:8.0f} msg/s")
    print(f"curnlp end-to-end from str     : {e2e:8.0f} msg/s  (normalize + extract, warm lemma cache)")
    print(f"peak RSS after curnlp          : {maxrss_mb():8.1f} MB")

    golds = [(Path(g).name, [x for x in (json.loads(line) for line in open(g, encoding="utf-8") if line.strip())
                                 if x["id"] in corpus]) for g in args.gold]

    natasha = None
    if not args.no_natasha:
        from natasha import AddrExtractor, MorphVocab  # benchmark-only baseline (needs pymorphy2)

        natasha = AddrExtractor(MorphVocab())
        natasha(docs[0].clean)  # warm-up
        sample = docs[: args.natasha_sample]
        t0, c0 = time.perf_counter(), time.process_time()
        for d in sample:
            list(natasha(d.clean))
        nat_rate = len(sample) / (time.perf_counter() - t0)
        nat_cpu = len(sample) / (time.process_time() - c0)
        print(f"natasha AddrExtractor          : {nat_rate:8.1f} msg/s  (first {len(sample)} messages by id, clean text; "
              f"{nat_cpu:.1f} msg/s of CPU time)")
        print(f"ratio end-to-end / natasha     : {e2e / nat_rate:8.0f}x  (extraction only: {len(texts) / t_extract / nat_rate:.0f}x)")
        if args.route:
            import curnlp

            router = curnlp.load()
            router.route_many(texts[:50])
            t0, c0 = time.perf_counter(), time.process_time()
            router.route_many(texts)
            route_rate = len(texts) / (time.perf_counter() - t0)
            route_cpu = len(texts) / (time.process_time() - c0)
            print(f"full route_many (shipped model): {route_rate:8.0f} msg/s = {route_rate / nat_rate:.0f}x natasha "
                  f"(CPU time: {route_cpu:.0f} msg/s = {route_cpu / nat_cpu:.0f}x natasha's; the machine is shared)")
        print(f"peak RSS after natasha         : {maxrss_mb():8.1f} MB")

    for gold_name, gold in golds:
        gold_quality(gold_name, gold, corpus, region, natasha)
    if args.heldout:
        # the shipped pack was mined from the whole corpus, gold messages included: mine one without them
        import tempfile

        from curnlp.places import learn_pack, write_pack

        gold_ids = {g["id"] for _, gold in golds for g in gold}
        rows = [(corpus[i][0], corpus[i][1]) for i in ids if i not in gold_ids]
        pack = learn_pack(rows, base=region)
        with tempfile.TemporaryDirectory() as tmp:
            heldout = load_region(write_pack(pack, Path(tmp) / "heldout.json"))
        print(f"\n== held-out pack: mined from the {len(rows)} corpus messages outside the gold sets "
              f"({pack['provenance']['mined']['streets']} streets, {pack['provenance']['mined']['settlements']} settlements) ==")
        for gold_name, gold in golds:
            gold_quality(gold_name + " (held-out pack)", gold, corpus, heldout, None)

    # ---- corpus check: territorial administrations ----------------------------
    n = with_any = with_place = resolved = exact = parent_ok = 0
    place_resolved = place_exact = street_default = street_default_ok = 0
    for i, text, labels_idx in ((i, corpus[i][0], k) for k, i in enumerate(ids)):
        label = corpus[i][1]
        target = region.by_administration(label)
        if target is None:
            continue
        n += 1
        locs = locs_all[labels_idx]
        if not any(l.kind != "region" for l in locs):
            continue
        with_any += 1
        m = resolve_municipality(locs, region, docs[labels_idx])
        placey = any(l.kind in ("district", "city", "city_okrug", "settlement") for l in locs)
        with_place += placey
        if m is None:
            continue
        resolved += 1
        ok = m.administration == target.administration
        parent = region.municipalities[target.parent] if target.parent else None
        exact += ok
        parent_ok += ok or (parent is not None and m.administration == parent.administration)
        if placey:
            place_resolved += 1
            place_exact += ok
        if m.confidence == 0.35:
            street_default += 1
            street_default_ok += ok
    print(f"\n== corpus check: {n} messages handled by a territorial administration of the pack ==")
    print(f"any location mentioned (not just the region): {with_any} ({with_any / n:.1%}); resolved: {resolved} "
          f"(coverage {resolved / max(with_any, 1):.1%})")
    print(f"administration match, of resolved: {exact / max(resolved, 1):.1%} exact, "
          f"{parent_ok / max(resolved, 1):.1%} counting the city for an inner-okrug label")
    print(f"administration match, of all with any location (unresolved = wrong): {exact / max(with_any, 1):.1%}")
    print(f"messages naming a town/district/okrug/settlement: {with_place}; resolved {place_resolved}, "
          f"match {place_exact / max(place_resolved, 1):.1%}")
    print(f"streets only -> default city (confidence 0.35): {street_default}, match {street_default_ok / max(street_default, 1):.1%}")
    none = sum(resolve_municipality(locs, region, doc) is None for locs, doc in zip(locs_all, docs))
    print(f"\n== municipality coverage, whole corpus: {len(texts) - none}/{len(texts)} messages resolved "
          f"({none / len(texts):.1%} get none) ==")
    print(f"\npeak RSS (whole run): {maxrss_mb():.1f} MB")


if __name__ == "__main__":
    main()
