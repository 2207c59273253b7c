"""Batch benchmarks, measured side by side in one run (ratios; the machine has 2 cores).

1. No-change rebuild of every demo job (twinprint.toml) vs the cold build: target <= 1%.
   Measured in-process (the batch itself) and as the `twinprint build` command (with Python start-up).
2. 2 workers vs 1 on every demo job (25): target >= 1.8x.
3. Peak resident memory of one worker building a 200-page catalogue (synthetic content): target <= 250 MB.
4. Dask LocalCluster (2 worker processes, 1 thread each) vs the local pool on the same 8 jobs: overhead.

Run: .venv/bin/python benchmarks/bench_batch.py  (or `make bench`)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from twinprint.batch import BatchOptions, BatchReport, plan_from_manifest, run_batch  # noqa: E402

MANIFEST = ROOT / "twinprint.toml"
SECTIONS_FOR_200_PAGES = 118
ROUNDS = 2


def timed_batch(output: Path, manifest: Path = MANIFEST, project: Path = ROOT, **options: object) -> tuple[float, BatchReport]:
    started = time.perf_counter()
    plan = plan_from_manifest(manifest, project, output_dir=output)
    report = run_batch(plan, BatchOptions(**options))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    failed = report.failed
    if failed:
        raise SystemExit(f"benchmark job failed: {failed[0].error}")
    return elapsed, report


def command_seconds(output: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twinprint", "--project", str(ROOT), "build", "-o", str(output)],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import twinprint.cli"], check=True, capture_output=True)
    return time.perf_counter() - started


def bench_no_change(scratch: Path) -> None:
    output = scratch / "demo"
    cold, report = timed_batch(output, force=True)
    warm, again = timed_batch(output)
    warm2, _ = timed_batch(output)
    cli_warm = min(command_seconds(output) for _ in range(3))
    up_to_date = len(again.with_status("up to date"))
    print(f"1. no-change rebuild of every demo job ({len(report.outcomes)} jobs, {report.where}); load average {os.getloadavg()[0]:.1f}")
    print(f"   cold build          {cold:7.2f} s")
    print(f"   no-change rebuild   {min(warm, warm2) * 1000:7.1f} ms in-process, planning included ({up_to_date} up to date)   "
          f"ratio {min(warm, warm2) / cold:6.2%}  (target <= 1%)")
    imports = min(import_seconds() for _ in range(3))
    print(f"   `twinprint build`   {cli_warm * 1000:7.1f} ms as a command   ratio {cli_warm / cold:6.2%}   "
          f"(of which {imports * 1000:.0f} ms are Python start-up and `import twinprint.cli`)")


def bench_workers(scratch: Path) -> None:
    ones, twos = [], []
    for _ in range(ROUNDS):  # interleaved, so that other load on the machine hits both alike
        one, report = timed_batch(scratch / "one", force=True, workers=1)
        two, _ = timed_batch(scratch / "two", force=True, workers=2)
        ones.append(one)
        twos.append(two)
    one, two = statistics.median(ones), statistics.median(twos)
    work = sum(o.seconds for o in report.outcomes)
    print(f"2. every demo job ({len(report.outcomes)}), 1 worker vs 2, pool start-up included, median of {ROUNDS} interleaved rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"   1 worker  {one:6.2f} s   2 workers {two:6.2f} s   speed-up {one / two:4.2f}x  (target >= 1.8x; "
          f"rounds: {', '.join(f'{a:.1f}/{b:.1f}' for a, b in zip(ones, twos))} s)")
    print(f"   the jobs themselves took {work:.1f} s with 1 worker: {one - work:.1f} s went to starting the pool and publishing")


def synthetic_catalogue(project: Path, sections: int) -> Path:
    """A copy of a seed whose sections repeat with long text: about 2.5 pages per section."""
    source = ROOT / "content" / "nanjing-florence"
    folder = project / "content" / "big"
    shutil.copytree(source, folder)
    data = yaml.safe_load((source / "exhibit.yaml").read_text(encoding="utf-8"))
    paragraph = "The two cities exchanged delegations, students and artists, and every year the friendship grew " \
                "through shared exhibitions, concerts and research projects. " * 3
    base = data["sections"]
    repeated = []
    for index in range(sections):
        section = dict(base[index % len(base)], id=f"part-{index}")
        section.pop("body_file", None)
        section["body"] = "\n\n".join([paragraph] * 7)
        if index >= len(base):
            section["figures"] = [dict(f, id=f"{f['id']}-{index}") for f in section.get("figures", [])]
        repeated.append(section)
    data["sections"] = repeated
    (folder / "exhibit.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def bench_memory(scratch: Path) -> None:
    project = scratch / "big-project"
    synthetic_catalogue(project, SECTIONS_FOR_200_PAGES)
    shutil.copytree(ROOT / "content" / "milan-shanghai", project / "content" / "small")
    manifest = project / "twinprint.toml"
    # Two jobs so that a worker process runs them (one job alone runs in the coordinating process).
    manifest.write_text('[[jobs]]\ncontent = ["content/big", "content/small"]\nlanguages = ["en"]\n', encoding="utf-8")
    _, report = timed_batch(scratch / "big-out", manifest, project, force=True, workers=1)
    big = next(o for o in report.outcomes if o.name.startswith("big/"))
    print(f"3. one worker building a {big.pages}-page catalogue ({big.seconds:.1f} s)")
    print(f"   peak resident memory of the worker  {big.peak_rss_mb:6.1f} MB  (target <= 250 MB)")


def bench_dask(scratch: Path) -> None:
    from distributed import LocalCluster

    manifest = scratch / "eight.toml"
    manifest.write_text('[[jobs]]\ncontent = ["content/*"]\nlayouts = ["catalogue", "poster"]\nlanguages = ["en", "zh"]\n', encoding="utf-8")
    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        start_up = time.perf_counter() - started
        first, report = timed_batch(scratch / "dask", manifest, force=True, cluster=cluster.scheduler_address)
        local, dask = [], []
        for _ in range(ROUNDS):  # interleaved; Dask's workers are warm after the first run, like a running cluster
            local.append(timed_batch(scratch / "local", manifest, force=True, workers=2)[0])
            dask.append(timed_batch(scratch / "dask", manifest, force=True, cluster=cluster.scheduler_address)[0])
    pool, warm = statistics.median(local), statistics.median(dask)
    print(f"4. {len(report.outcomes)} jobs on a Dask LocalCluster (2 processes x 1 thread) vs the local pool (2 workers, started "
          f"each run), median of {ROUNDS}; load average {os.getloadavg()[0]:.1f}")
    print(f"   local pool {pool:6.2f} s   Dask, warm workers {warm:6.2f} s ({warm / pool:4.2f}x)   "
          f"Dask, first run {first:6.2f} s ({first / pool:4.2f}x)   cluster start-up {start_up:4.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["no-change", "workers", "memory", "dask"], action="append")
    chosen = set(parser.parse_args().only or ["no-change", "workers", "memory", "dask"])
    with tempfile.TemporaryDirectory(prefix="twinprint-bench-") as folder:
        scratch = Path(folder)
        for name, bench in (("no-change", bench_no_change), ("workers", bench_workers), ("memory", bench_memory), ("dask", bench_dask)):
            if name in chosen:
                bench(scratch)


if __name__ == "__main__":
    main()
