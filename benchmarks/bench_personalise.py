"""Personalised booklets, measured side by side in one run.

1. 100 copies of the Nanjing-Florence booklet (content/delegates.csv) made by `personalise`
   (body once, the recipients' fields as layer documents of at most LAYER_BATCH recipients, pages
   placed with pikepdf) vs rendering each copy from scratch (build_document with the recipient's
   variables, no preflight, in this same warm process); and `--merge` run again, as after an edit
   of the recipients list, with the body kept from the run before (personal_body.py). The
   from-scratch time is measured on a sample of copies spread over the list and extrapolated: median seconds per copy x copies.
   Both sides run in this one process, so CPU time (time.process_time) is the main figure: other
   programs on a shared machine do not change it; wall time is printed too. Target: >= 100x.
2. The whole command, `twinprint personalise … --merge` for the 100 (start-up included, wall),
   vs one `twinprint build --set recipient=…` command per copy.
3. 1000 copies (generated names of every script the fonts draw: tests/corpus.py recipients_csv)
   into one `--merge` stream, in a fresh process: wall, CPU and peak resident memory
   (ru_maxrss of that process, and of its own children separately). Target: <= 400 MB.

Run: .venv/bin/python benchmarks/bench_personalise.py [--skip-1000]  (or `make bench`)
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from peak import own_peak_rss_mb  # noqa: E402
from twinprint.build import BuildRequest, build_document  # noqa: E402
from twinprint.personalise import LAYER_BATCH, personalise, read_recipients  # noqa: E402

SAMPLE = 5
COMMAND_SAMPLE = 3
LARGE_RUN = 1000
SEED = ROOT / "content" / "nanjing-florence"


def booklet_request(output: Path, variables: dict[str, str] | None = None) -> BuildRequest:
    return BuildRequest(SEED, "booklet", "en", output, ROOT, tuple(sorted((variables or {}).items())), preflight=False)


def command_seconds(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twinprint", "--project", str(ROOT), *arguments], check=True, capture_output=True,
                   env=os.environ | {"PYTHONPATH": str(ROOT / "src")})
    return time.perf_counter() - started


def build_command(output: Path, variables: dict[str, str]) -> list[str]:
    settings = [word for key, value in variables.items() for word in ("--set", f"{key}={value}")]
    return ["build", str(SEED), "-l", "booklet", "--no-preflight", "-o", str(output), *settings]


def timed(action) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU time does not count other programs on the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def large_run_child(csv_file: Path, output: Path) -> None:
    """In a fresh process: personalise --merge of every row, then print what it cost as JSON."""
    recipients = read_recipients(csv_file)
    wall, cpu, made = timed(lambda: personalise(booklet_request(output), recipients, merge=True))
    print(json.dumps({"wall": wall, "cpu": cpu, "copies": made.copies, "pages": made.copies * made.pages_per_copy,
                      "bytes": made.outputs[0].stat().st_size,
                      # The child's own high-water mark: its ru_maxrss would carry the benchmark's peak across exec.
                      "rss_mb": own_peak_rss_mb(),
                      "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def large_run(folder: Path) -> dict:
    from corpus import recipients_csv

    csv_file = folder / f"people-{LARGE_RUN}.csv"
    csv_file.write_text(recipients_csv(LARGE_RUN), encoding="utf-8")
    out = subprocess.run([sys.executable, __file__, "--large-run-child", str(csv_file), str(folder / "large")],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def main(skip_large: bool) -> None:
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
        # The same stream again, as after an edit of the recipients list: the body is kept from the run before.
        rerun = timed(lambda: personalise(booklet_request(scratch / "merged"), recipients, merge=True))
        assert rerun[2].body_kept
        whole_command = command_seconds(["personalise", str(SEED), "--recipients", str(ROOT / "content" / "delegates.csv"),
                                         "--merge", "-o", str(scratch / "command")])
        per_command = [command_seconds(build_command(scratch / f"command-{i}", r.variables())) for i, r in enumerate(sample[:COMMAND_SAMPLE])]
        copies, merged_set = separate[2], merged[2]
        separate_bytes = sum(path.stat().st_size for path in copies.outputs)
        merged_bytes = merged_set.outputs[0].stat().st_size
        large = None if skip_large else large_run(scratch)
    scratch_wall = statistics.median(w for w, _ in per_copy) * count
    scratch_cpu = statistics.median(c for _, c in per_copy) * count
    command_each = statistics.median(per_command)
    print(f"personalised {count} booklets of {copies.pages_per_copy} pages (personal pages "
          f"{', '.join(str(p + 1) for p in copies.personal_pages)}; layer batches of {LAYER_BATCH}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  from scratch, extrapolated: median of {len(per_copy)} copies x {count}: {scratch_cpu:6.1f} s CPU, {scratch_wall:6.1f} s wall "
          f"(copies: {', '.join(f'{c:.2f}' for _, c in per_copy)} s CPU)")
    for label, (wall, cpu, _) in (("personalise        ", separate), ("personalise --merge", merged),
                                  ("--merge, body kept ", rerun)):
        print(f"  {label} {cpu:6.1f} s CPU, {wall:6.1f} s wall ({cpu / count * 1000:.0f} ms CPU per copy)   "
              f"speed-up {scratch_cpu / cpu:5.1f}x CPU, {scratch_wall / wall:5.1f}x wall  (target >= 100x)")
    print(f"  whole command `twinprint personalise … --merge` (wall, start-up included): {whole_command:.2f} s; "
          f"one `twinprint build --set recipient=…` command per copy: median {command_each:.2f} s x {count} = "
          f"{command_each * count:.0f} s: {command_each * count / whole_command:.1f}x")
    print(f"  merged stream {merged_bytes / 1e6:6.2f} MB vs {count} separate copies {separate_bytes / 1e6:6.2f} MB "
          f"(ratio {merged_bytes / separate_bytes:.3f}; must be < 1)")
    if large:
        print(f"{large['copies']} booklets ({large['pages']} pages) in one --merge stream, fresh process: {large['wall']:.1f} s wall, "
              f"{large['cpu']:.1f} s CPU ({large['cpu'] / large['copies'] * 1000:.0f} ms per copy), {large['bytes'] / 1e6:.1f} MB; "
              f"peak RSS {large['rss_mb']:.0f} MB (target <= 400 MB), its children {large['children_rss_mb']:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--large-run-child"]:
        large_run_child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main("--skip-1000" in sys.argv[1:])
