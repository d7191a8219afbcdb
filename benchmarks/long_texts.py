"""Long and hostile texts: time grows linearly with the length, and no input makes a stage
backtrack. (Unit tests only check that such texts route correctly; timings live here.)

For route (fast mode, no truncation) and normalize: seconds for 250 kB and for 1 MB of
messy markup and their ratio (linear: about 4), against ``html.unescape`` + ``str.split``
on the same text as the floor any cleaner pays; then each hostile text of the fuzz tests.

    python benchmarks/long_texts.py
"""
from __future__ import annotations

import html
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

BLOCK = ("<p>Здравствуйте! На ул. Союзной, д. 71б в г. Курске &laquo;яма&raquo; 2 м, звоните 8-900-123-45-67, "
         "см. https://vk.com/wall-1_2 [club1|Админ] УЖЕ ТРЕТИЙ ГОД 😡 Иванова М.П.</p>\n")


def _best(function, text: str, runs: int = 2) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        function(text)
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> int:
    import curnlp
    from curnlp.normalize import normalize
    router = curnlp.load(entities=False, max_length=2_000_000)
    quarter = BLOCK * (250_000 // len(BLOCK))
    full = quarter * 4
    print(f"{'stage':34s} {'250 kB s':>9s} {'1 MB s':>9s} {'ratio':>6s}   (linear: ~4)")
    for name, function in (("Router.route (fast mode, whole)", router.route), ("normalize", normalize),
                           ("html.unescape + split (floor)", lambda t: html.unescape(t).split())):
        a, b = _best(function, quarter), _best(function, full, runs=1)
        print(f"{name:34s} {a:9.3f} {b:9.3f} {b / a:6.2f}")
    from test_fuzz import HOSTILE
    print("\nhostile texts (fuzz tests), Router.route with the default 100,000-character cut:")
    shipped = curnlp.load(entities=True)
    for name in sorted(HOSTILE):
        t0 = time.perf_counter()
        try:
            shipped.route(HOSTILE[name])
        except curnlp.errors.InvalidInput:
            pass
        print(f"  {name:24s} {len(HOSTILE[name]):>9,d} chars  {time.perf_counter() - t0:6.2f} s")
    evil = {"<" * 200_000: "200k '<'", "<a " * 100_000: "100k '<a '", "&" * 200_000: "200k '&'",
            "[club1|" * 50_000: "50k '[club1|'", "<style>" * 50_000: "50k '<style>'", "+7" * 100_000: "100k '+7'"}
    print("\npathological markup, normalize:")
    for text, name in evil.items():
        print(f"  {name:24s} {_best(normalize, text, 1):6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
