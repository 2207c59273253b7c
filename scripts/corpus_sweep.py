"""Sweep generated exhibits (tests/corpus.py) through every layout and language and report what preflight finds.

    python scripts/corpus_sweep.py [--count 20] [--first-seed 1000] [--layouts catalogue,booklet] [--output build/corpus]

Prints one line per build error or preflight error/warning, then a table of
counts per layout and check. Exit 0 always: this is a survey, not a gate
(`make test` renders the fixed sample and fails on errors).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from corpus import LAYOUTS, random_spec, render_corpus_exhibit, write_exhibit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--max-pixels", type=int, default=6000)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "corpus")
    args = parser.parse_args(argv)
    counts: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    renders = 0
    for seed in range(args.first_seed, args.first_seed + args.count):
        spec = random_spec(seed, max_pixels=args.max_pixels)
        folder = write_exhibit(spec, args.output / "content" / f"corpus-{seed}")
        for layout in args.layouts.split(","):
            for language in spec.data["languages"]:
                render = render_corpus_exhibit(folder, layout, language, args.output, spec.recipient)
                renders += 1
                if render.error:
                    counts[(layout, "build error")] += 1
                    print(f"seed {seed} {layout}.{language}: build error: {render.error}")
                for finding in render.findings:
                    counts[(layout, f"{finding.check} {finding.severity}")] += 1
                    print(f"seed {seed} {layout}.{language}: {finding.severity} ({finding.check}, page {finding.pages_text()}): {finding.message}")
    print(f"\n{renders} renders of {args.count} exhibits in {time.perf_counter() - started:.0f} s")
    for (layout, kind), count in sorted(counts.items()):
        print(f"{layout:10} {kind:24} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
