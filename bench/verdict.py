"""What every benchmark prints for a claim: the value beside its target and whether it is met.

A "met" from one timed run of a thin wrapper is noise, so :func:`median_time` times a
function several times and gives the median; the benchmarks report that.
"""

from __future__ import annotations

import statistics
import time


def verdict(value: float, target: float, at_least: bool, digits: int = 2) -> str:
    """``(target >= 1.7: met)`` or ``(target <= 1.05: NOT met)``, for the end of a result line."""
    met = value >= target if at_least else value <= target
    return f"(target {'>=' if at_least else '<='} {target:.{digits}f}: {'met' if met else 'NOT met'})"


def no_target(reason: str = "a comparison, no target set") -> str:
    return f"({reason})"


def median_time(function, repeat: int = 3):
    """(median wall time over ``repeat`` runs, the last run's result)."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
