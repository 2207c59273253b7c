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

from typing import Any

# Loaded on first use: an up-to-date `twinprint build` should not import what it does not run.
_EXPORTS = {"Job": "jobs", "Plan": "jobs", "plan_from_manifest": "jobs", "plan_from_requests": "jobs", "MANIFEST_FILE": "plancache",
            "find_manifest": "plancache", "parse_manifest": "manifest", "BatchOptions": "runner", "BatchReport": "runner",
            "JobOutcome": "runner", "run_batch": "runner"}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'twinprint.batch' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


__all__ = [
    "MANIFEST_FILE", "BatchOptions", "BatchReport", "Job", "JobOutcome", "Plan", "find_manifest", "parse_manifest",
    "plan_from_manifest", "plan_from_requests", "run_batch",
]
