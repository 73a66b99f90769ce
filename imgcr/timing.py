"""Wall-clock timing as a median of repeats, with a time budget."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(fn: Callable[[], T], repeats: int = 3, budget_s: float = 2.0) -> tuple[T, float, int]:
    """Run ``fn`` up to ``repeats`` times (fewer once ``budget_s`` is spent).

    Returns:
        The last result, the median time in milliseconds, and the number of runs.
    """
    times = []
    result = None
    start = time.perf_counter()
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000.0)
        if time.perf_counter() - start > budget_s:
            break
    return result, statistics.median(times), len(times)  # type: ignore[return-value]  # repeats >= 1: fn ran
