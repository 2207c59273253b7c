"""Personalised booklets, measured side by side in one run.

100 copies of the Nanjing-Florence booklet (content/delegates.csv) made by `personalise`
(body once, every recipient's fields as one layer, pages placed with pikepdf) vs rendering
each copy from scratch (build_document with the recipient's variables, no preflight, in this
same warm process). The from-scratch time is measured on a sample of copies spread over the
list and extrapolated to all of them: median seconds per copy x number of copies. Both sides
run in this one process, so CPU time (time.process_time) is the main figure: other programs on
a shared machine do not change it; wall time is printed too. Target: >= 50x; the merged
stream must be smaller than the sum of the separate copies.

Run: .venv/bin/python benchmarks/bench_personalise.py  (or `make bench`)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from twinprint.build import BuildRequest, build_document  # noqa: E402
from twinprint.personalise import personalise, read_recipients  # noqa: E402

SAMPLE = 5
COMMAND_SAMPLE = 3


def booklet_request(output: Path, variables: dict[str, str] | None = None) -> BuildRequest:
    return BuildRequest(ROOT / "content" / "nanjing-florence", "booklet", "en", output, ROOT,
                        tuple(sorted((variables or {}).items())), preflight=False)


def command_seconds(output: Path, variables: dict[str, str]) -> float:
    settings = [word for key, value in variables.items() for word in ("--set", f"{key}={value}")]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twinprint", "--project", str(ROOT), "build", str(ROOT / "content" / "nanjing-florence"),
                    "-l", "booklet", "--no-preflight", "-o", str(output), *settings], check=True, capture_output=True)
    return time.perf_counter() - started


def timed(action) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU time does not count other programs on the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    recipients = read_recipients(ROOT / "content" / "delegates.csv")
    count = len(recipients)
    sample = recipients[:: count // SAMPLE][:SAMPLE]
    with tempfile.TemporaryDirectory(prefix="twinprint-bench-") as folder:
        scratch = Path(folder)
        personalise(booklet_request(scratch / "warm-up"), recipients[:2])  # imports, fonts: paid once by both sides
        # Interleaved: personalise, half the from-scratch sample, personalise --merge, the other half.
        separate = timed(lambda: personalise(booklet_request(scratch / "copies"), recipients))
        per_copy = [timed(lambda: build_document(booklet_request(scratch / f"s{i}", r.variables())))[:2]
                    for i, r in enumerate(sample[: SAMPLE // 2])]
        merged = timed(lambda: personalise(booklet_request(scratch / "merged"), recipients, merge=True))
        per_copy += [timed(lambda: build_document(booklet_request(scratch / f"t{i}", r.variables())))[:2]
                     for i, r in enumerate(sample[SAMPLE // 2:])]
        per_command = [command_seconds(scratch / f"command-{i}", r.variables()) for i, r in enumerate(sample[:COMMAND_SAMPLE])]
        copies, merged_set = separate[2], merged[2]
        separate_bytes = sum(path.stat().st_size for path in copies.outputs)
        merged_bytes = merged_set.outputs[0].stat().st_size
    scratch_wall = statistics.median(w for w, _ in per_copy) * count
    scratch_cpu = statistics.median(c for _, c in per_copy) * count
    print(f"personalised {count} booklets of {copies.pages_per_copy} pages (personal pages "
          f"{', '.join(str(p + 1) for p in copies.personal_pages)}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  from scratch, extrapolated: median of {len(per_copy)} copies x {count}: {scratch_cpu:6.1f} s CPU, {scratch_wall:6.1f} s wall "
          f"(copies: {', '.join(f'{c:.2f}' for _, c in per_copy)} s CPU)")
    for label, (wall, cpu, _) in (("personalise        ", separate), ("personalise --merge", merged)):
        print(f"  {label} {cpu:6.1f} s CPU, {wall:6.1f} s wall ({cpu / count * 1000:.0f} ms CPU per copy)   "
              f"speed-up {scratch_cpu / cpu:5.1f}x CPU, {scratch_wall / wall:5.1f}x wall  (target >= 50x)")
    print(f"  one `twinprint build --set recipient=…` command per copy (wall, start-up included): median "
          f"{statistics.median(per_command):.2f} s x {count} = {statistics.median(per_command) * count:.0f} s, "
          f"{statistics.median(per_command) * count / separate[0]:.1f}x personalise")
    print(f"  merged stream {merged_bytes / 1e6:6.2f} MB vs {count} separate copies {separate_bytes / 1e6:6.2f} MB "
          f"(ratio {merged_bytes / separate_bytes:.3f}; must be < 1)")


if __name__ == "__main__":
    main()
