"""Many documents in one command: jobs from twinprint.toml, built in parallel, cached by input hash.

    manifest.py   twinprint.toml -> typed job groups
    jobs.py       job groups (or command-line folders) -> one Job per output file
    keys.py       sha256 of everything a job reads
    state.py      build/manifest.json, the record of what was built from what
    executors.py  a local process pool or a Dask cluster, one interface
    worker.py     what a worker does with one job (bundle.py ships files to clusters)
    runner.py     check, submit, publish atomically, record, report
    progress.py   progress bar or log lines, and the summary table
"""

from __future__ import annotations

from .jobs import Job, Plan, plan_from_manifest, plan_from_requests
from .manifest import MANIFEST_FILE, find_manifest, parse_manifest
from .runner import BatchOptions, BatchReport, JobOutcome, run_batch

__all__ = [
    "MANIFEST_FILE", "BatchOptions", "BatchReport", "Job", "JobOutcome", "Plan", "find_manifest", "parse_manifest",
    "plan_from_manifest", "plan_from_requests", "run_batch",
]
