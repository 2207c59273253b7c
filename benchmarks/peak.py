"""Peak memory of the running process, as the benchmarks report it."""

from __future__ import annotations

import resource
from pathlib import Path


def own_peak_rss_mb() -> float:
    """This process's peak resident set since it started (VmHWM), in MB: a child's ru_maxrss would carry
    its parent's peak across exec (Linux keeps the larger of the two)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
