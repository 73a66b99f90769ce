"""Bjøntegaard delta rate and delta metric with PCHIP interpolation (JCT-VC CTC convention).

BD-rate: interpolate log10(rate) as a function of quality with a piecewise cubic
Hermite polynomial, integrate both curves over the quality range they share, and
turn the mean log-rate difference into a percentage: ``(10**mean - 1) * 100``
(negative = the test codec needs fewer bits for the same quality). BD-metric:
interpolate quality over log10(rate) and average the difference over the shared
log-rate range. The same base (10) is used for the log and its inverse.

Pinned by tests: the FAU-LMS/bjontegaard README example gives -4.4175 %, identical
curves give 0 %, and scaling every rate by 0.9 gives -10 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

MIN_POINTS = 4


@dataclass(frozen=True)
class BDResult:
    """BD figures of a test curve against an anchor; ``None`` values come with a reason."""

    bd_rate: float | None
    bd_metric: float | None
    overlap: float
    reason: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def _curve(rate: Sequence[float], quality: Sequence[float], higher_is_better: bool):
    r = np.asarray(rate, dtype=np.float64)
    q = np.asarray(quality, dtype=np.float64)
    keep = np.isfinite(r) & np.isfinite(q) & (r > 0)
    r, q = r[keep], q[keep]
    if not higher_is_better:
        q = -q
    order = np.argsort(r)
    return np.log10(r[order]), q[order]


def _strictly_increasing(x: np.ndarray) -> bool:
    return bool(np.all(np.diff(x) > 0))


def bd(
    anchor_rate: Sequence[float],
    anchor_quality: Sequence[float],
    test_rate: Sequence[float],
    test_quality: Sequence[float],
    higher_is_better: bool = True,
    min_points: int = MIN_POINTS,
    max_rate: float | None = None,
) -> BDResult:
    """BD-rate (%) and BD-metric (quality units) of ``test`` against ``anchor``.

    Args:
        *_rate: rates (bpp or bytes; any positive unit, the same for both curves).
        *_quality: quality values (PSNR dB, SSIM, LPIPS...).
        higher_is_better: False for distortions such as LPIPS (the sign of BD-metric
            then still reads "positive = test is better").
        min_points: fewer points than this on either curve gives ``None``.
        max_rate: only the low-rate end, up to this rate: BD-metric is averaged over the shared log-rate
            range below it, BD-rate over the qualities both curves reach at or below it (e.g. "below 0.5 bpp").
            The fits still use every point, so the curves keep their shape at the cut.
    """
    la, qa = _curve(anchor_rate, anchor_quality, higher_is_better)
    lt, qt = _curve(test_rate, test_quality, higher_is_better)
    if len(la) < min_points or len(lt) < min_points:
        return BDResult(None, None, 0.0, f"needs at least {min_points} points per curve (have {len(la)} and {len(lt)})")
    if not (_strictly_increasing(la) and _strictly_increasing(lt)):
        return BDResult(None, None, 0.0, "repeated rates on a curve")
    if not (_strictly_increasing(qa) and _strictly_increasing(qt)):
        return BDResult(None, None, 0.0, "quality does not increase with rate on a curve")
    q_lo, q_hi = max(qa[0], qt[0]), min(qa[-1], qt[-1])
    cut = None if max_rate is None else float(np.log10(max_rate))
    if cut is not None:  # the quality each curve has at the cut (or its last point below it)
        for lr, q in ((la, qa), (lt, qt)):
            q_hi = min(q_hi, float(PchipInterpolator(lr, q)(min(cut, lr[-1]))) if cut >= lr[0] else -np.inf)
    union = max(qa[-1], qt[-1]) - min(qa[0], qt[0])
    overlap = max(0.0, (q_hi - q_lo) / union) if union > 0 else 0.0
    bd_rate = None
    reason = None
    if q_hi > q_lo:
        ia = PchipInterpolator(qa, la).integrate(q_lo, q_hi)
        it = PchipInterpolator(qt, lt).integrate(q_lo, q_hi)
        bd_rate = float((10 ** ((it - ia) / (q_hi - q_lo)) - 1) * 100)
    else:
        reason = "the curves share no quality range"
    r_lo, r_hi = max(la[0], lt[0]), min(la[-1], lt[-1])
    if cut is not None:
        r_hi = min(r_hi, cut)
    bd_metric = None
    if r_hi > r_lo:
        ja = PchipInterpolator(la, qa).integrate(r_lo, r_hi)
        jt = PchipInterpolator(lt, qt).integrate(r_lo, r_hi)
        bd_metric = float((jt - ja) / (r_hi - r_lo))
    elif reason is None:
        reason = "the curves share no rate range"
    else:
        reason = "the curves share no quality or rate range"
    return BDResult(bd_rate, bd_metric, float(overlap), reason)
