"""How numbers leave imgcr: rounded for JSON and tables, undefined values as ``None``."""

from __future__ import annotations

import math


def rounded(x: float | None, nd: int = 6) -> float | None:
    """``x`` rounded to ``nd`` decimals; ``None`` (and NaN) stay ``None``, so JSON says null and a table cell stays empty."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, nd)
