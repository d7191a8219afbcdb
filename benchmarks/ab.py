"""A/B of two checkouts: ``route_many`` on unseen messages, fresh processes alternating.

Small speed changes (5-15%) hide in this machine's drift when two versions are timed
minutes apart. Here each repeat runs one fresh process per checkout, one right after the
other, pinned to the same core: each warms up on the older half of the corpus (by id),
then routes the newer half twice, timed by CPU seconds ("unseen", then "again" with every
cache warm). The checkouts share this Python environment (their own ``curnlp`` is imported
through ``PYTHONPATH``, as ``same_routing.py`` does); each child prints which one it ran.

    python benchmarks/ab.py OLD_CHECKOUT [NEW_CHECKOUT] [--repeats 8] [--entities] [--core 1]

NEW_CHECKOUT defaults to the checkout this script is in. Prints, per checkout, the median
and minimum of the unseen and the warm pass, and NEW / OLD of the medians.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

CHILD = """
import json, os, sys, time
sys.path.insert(0, {bench!r})
import _common
_common.pin_one_core({core!r})
older, newer = _common.split_by_time({corpus!r})
import curnlp
router = curnlp.load(entities={entities!r})
router.route_many(older)
times = []
for _ in range(2):
    cpu = time.process_time()
    router.route_many(newer)
    times.append(time.process_time() - cpu)
print(json.dumps({{"unseen": times[0], "again": times[1], "curnlp": os.path.dirname(curnlp.__file__)}}))
"""


def run(checkout: Path, args) -> dict:
    """One fresh process importing ``checkout``'s curnlp: CPU seconds of the two passes."""
    code = CHILD.format(bench=os.path.dirname(os.path.abspath(__file__)), core=args.core, corpus=os.path.abspath(args.corpus),
                        entities=args.entities)
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=checkout, capture_output=True, text=True,
                          check=False)  # cwd: "python -c" puts the working directory first on sys.path
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the child process failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(out["curnlp"]).resolve().parent != checkout.resolve():
        raise SystemExit(f"{checkout}: the child imported curnlp from {out['curnlp']} (is curnlp installed "
                         "non-editable in this environment?)")
    return out


def main() -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("old", type=Path, help="the checkout to compare against")
    p.add_argument("new", type=Path, nargs="?", default=_common.REPO, help="default: this checkout")
    p.add_argument("--repeats", type=int, default=8, help="fresh processes per checkout (default 8)")
    p.add_argument("--entities", action="store_true", help="full routing (NER on); default: fast mode")
    p.add_argument("--core", type=int, default=None, help="core to pin to (default: the lowest allowed)")
    args = p.parse_args()
    for checkout in (args.old, args.new):
        if not (checkout / "curnlp" / "__init__.py").is_file():
            p.error(f"{checkout} is not a curnlp checkout (no curnlp/__init__.py)")
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for i in range(args.repeats):
        for name in ("old", "new"):
            runs[name].append(run(getattr(args, name), args))
        print(f"repeat {i + 1}/{args.repeats}: " + "  ".join(
            f"{name} {runs[name][-1]['unseen']:.3f} / {runs[name][-1]['again']:.3f} s" for name in runs), flush=True)
    mode = "full (entities)" if args.entities else "fast mode"
    print(f"\nroute_many, {mode}, CPU seconds on the newer half; {args.repeats} fresh processes per checkout")
    medians = {}
    for name in ("old", "new"):
        for key in ("unseen", "again"):
            values = [r[key] for r in runs[name]]
            medians[name, key] = statistics.median(values)
            print(f"  {name} {str(getattr(args, name)):40} {key:6}: median {medians[name, key]:.3f} s,"
                  f" min {min(values):.3f} s")
    for key in ("unseen", "again"):
        print(f"new / old {key:6}: {medians['new', key] / medians['old', key]:.3f} (below 1: the new one is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
