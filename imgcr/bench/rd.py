"""Rate-distortion curves and BD tables from bench records (pure functions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from imgcr import metrics
from imgcr.bench.bdrate import BDResult, bd


def curves(records: Sequence[dict], metric: str, image: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per codec, points sorted by bpp: ``{"quality", "bpp", "value", "images"}``.

    With ``image=None`` the points average bpp and the metric over images at equal
    setting, keeping only settings that every image reached with a defined value.
    Lossless results (one point each, far right) are not curves and are left out.
    """
    metrics.get_metric(metric)
    rows = [r for r in records if (image is None or r["image"] == image) and r.get("quality") is not None]
    n_images = len({r["image"] for r in rows})
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get(metric) is not None and r.get("bpp") is not None:
            groups[(r["codec"], r["quality"])].append(r)
    out: dict[str, list[dict]] = defaultdict(list)
    for (codec, quality), rs in groups.items():
        if len({r["image"] for r in rs}) < n_images:
            continue
        out[codec].append({
            "quality": quality,
            "bpp": sum(r["bpp"] for r in rs) / len(rs),
            "value": sum(r[metric] for r in rs) / len(rs),
            "images": len(rs),
        })
    return {c: sorted(pts, key=lambda p: p["bpp"]) for c, pts in out.items()}


def bd_table(records: Sequence[dict], anchor: str = "jpeg", metric: str = "psnr",
             image: str | None = None, max_bpp: float | None = None) -> list[dict[str, Any]]:
    """BD-rate (%) and BD-metric of every codec against ``anchor`` on the (averaged) curves
    (``max_bpp``: only the low-rate end, see :func:`imgcr.bench.bdrate.bd`)."""
    spec = metrics.get_metric(metric)
    cs = curves(records, metric, image)
    base = cs.get(anchor)
    table = []
    for codec, pts in cs.items():
        if codec == anchor:
            continue
        if not base:
            res = BDResult(None, None, 0.0, f"anchor {anchor!r} has no points for {metric}")
        else:
            res = bd([p["bpp"] for p in base], [p["value"] for p in base],
                     [p["bpp"] for p in pts], [p["value"] for p in pts], higher_is_better=spec.higher_is_better, max_rate=max_bpp)
        table.append({"codec": codec, **res.to_json(), "points": len(pts)})
    for codec in dict.fromkeys(r["codec"] for r in records):
        if codec != anchor and codec not in cs:
            table.append({"codec": codec, **BDResult(None, None, 0.0, f"no {metric} curve (lossless or failed)").to_json(),
                          "points": 0})
    return table
