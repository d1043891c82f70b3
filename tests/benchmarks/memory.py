"""Resident memory of this process, for the soak benchmark and the long-session test."""

from __future__ import annotations

import gc


def rss_mb() -> float:
    """Resident set size of this process, in MB, after a full garbage collection."""
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")
