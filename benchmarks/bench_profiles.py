"""File size, build time and preflight time per profile and layout, measured side by side in one run.

Run: .venv/bin/python benchmarks/bench_profiles.py [slug]
Prints one row per (layout, profile): pages, PDF size, build seconds (render + finish + preflight),
preflight seconds and preflight's share of the build, and the size relative to the screen profile.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from twinprint.build import BuildRequest, build_document
from twinprint.errors import TwinprintError
from twinprint.prepress.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = [name for name in ("catalogue", "poster", "booklet", "report") if (ROOT / "layouts" / name / "layout.html").is_file()]


def main() -> None:
    slug = sys.argv[1] if len(sys.argv) > 1 else "nanjing-florence"
    out = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    print(f"{'layout':10} {'profile':10} {'pages':>5} {'size KB':>8} {'x screen':>8} {'build s':>8} {'preflight s':>11} {'share':>6}  result")
    for layout in LAYOUTS:
        screen_size = None
        for profile in PROFILES:
            request = BuildRequest(ROOT / "content" / slug, layout, "en", out, ROOT, profile=profile)
            started = time.perf_counter()
            try:
                result = build_document(request)
            except TwinprintError as error:
                print(f"{layout:10} {profile:10} failed: {error.message[:100]}")
                continue
            seconds = time.perf_counter() - started
            size = result.output.stat().st_size
            screen_size = screen_size or size
            check = result.preflight
            assert check is not None
            print(f"{layout:10} {profile:10} {result.page_count:5d} {size / 1024:8.0f} {size / screen_size:8.2f} {seconds:8.2f} "
                  f"{check.seconds:11.2f} {check.seconds / seconds:6.0%}  {check.summary().split(':')[0]}, "
                  f"{len(check.warnings)} warnings")


if __name__ == "__main__":
    main()
