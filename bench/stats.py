"""Latency summaries shared by every benchmark, so all of them report percentiles the same way."""

from __future__ import annotations

import statistics


def latency_summary(samples_ms: list[float], digits: int = 3) -> dict[str, float]:
    """``n``, ``p50_ms``, ``p99_ms`` (nearest rank) and ``max_ms`` of latencies in milliseconds."""
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), digits),
        "p99_ms": round(p99, digits),
        "max_ms": round(ordered[-1], digits),
    }
