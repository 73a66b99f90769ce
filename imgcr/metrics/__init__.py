"""The metric registry: one MetricSpec per metric, its convention in its label.

Image type: two ``uint8 HxWx3 RGB`` arrays of equal shape, reference first.
A metric returns ``None`` where it is undefined (PSNR of identical images,
MS-SSIM under 161 px), never a fake number.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from imgcr.colour import luma
from imgcr.errors import UnknownNameError, WeightsError
from imgcr.metrics import butteraugli as _butteraugli
from imgcr.metrics import lpips_metric
from imgcr.metrics import ssimulacra2 as _ssimulacra2
from imgcr.metrics.ssim import MS_SSIM_MIN_SIDE, ms_ssim, ssim, ssim_map

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricSpec:
    id: str
    label: str
    higher_is_better: bool
    fn: Callable[[np.ndarray, np.ndarray], float | None]
    unavailable: Callable[[], str | None] = lambda: None
    min_side: int = 1  # below this short side the metric is undefined: None, not a number
    slow: bool = False  # computed after every codec's fast numbers have landed (a comparison shows them first)
    # per-reference preparation for scoring many images against one reference (LPIPS: its features once); what
    # it returns scores an image, and may have a ``warm()`` that makes now what it would make at first use
    prepare: Callable[[np.ndarray], Callable[[np.ndarray], float | None]] | None = None
    all_cores: bool = False  # runs on every core itself (a network): a comparison runs nothing beside it
    # the value of a pixel-identical pair (a lossless codec's row), given without computing it; None: computed
    identical: float | None = None


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    if a.dtype == np.uint8 and b.dtype == np.uint8:
        # exact: integer squared differences summed in double by OpenCV (no float64 copies)
        return cv2.norm(np.ascontiguousarray(a), np.ascontiguousarray(b), cv2.NORM_L2SQR) / a.size
    d = a.astype(np.float64) - b.astype(np.float64)
    return float(np.mean(d * d))


def _psnr_from_mse(mse: float, peak: float = 255.0) -> float | None:
    return None if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def psnr(ref: np.ndarray, test: np.ndarray) -> float | None:
    """PSNR over all RGB samples, peak 255; None for identical images."""
    return _psnr_from_mse(_mse(ref, test))


def psnr_y(ref: np.ndarray, test: np.ndarray) -> float | None:
    """PSNR on BT.601 Y (the super-resolution convention), peak 255, no rounding."""
    return _psnr_from_mse(_mse(luma(ref, studio=True), luma(test, studio=True)))


METRICS: dict[str, MetricSpec] = {
    m.id: m
    for m in (
        MetricSpec("psnr", "PSNR (dB, RGB)", True, psnr),
        MetricSpec("psnr_y", "PSNR-Y (dB, BT.601 luma)", True, psnr_y),
        MetricSpec("ssim", "SSIM (RGB mean, Gaussian σ=1.5)", True, ssim, min_side=11, identical=1.0),
        MetricSpec("ms_ssim", "MS-SSIM (RGB mean, 5 scales)", True, ms_ssim, min_side=MS_SSIM_MIN_SIDE, slow=True,
                   identical=1.0),
        MetricSpec("lpips", "LPIPS (AlexNet, lower is better)", False, lpips_metric.lpips_alex, lpips_metric.unavailable_reason,
                   min_side=lpips_metric.LPIPS_MIN_SIDE, slow=True,
                   prepare=lpips_metric.lpips_reference, all_cores=True, identical=0.0),
        MetricSpec("ssimulacra2", "SSIMULACRA2 (100 = identical, 90 visually lossless, 70 high, 50 medium, 30 low)", True,
                   _ssimulacra2.ssimulacra2, min_side=_ssimulacra2.MIN_SIDE, slow=True,
                   prepare=lambda ref: _ssimulacra2.Reference(ref).score, identical=100.0),
        MetricSpec("butteraugli", "Butteraugli (libjxl, max-norm; < 1 invisible at 1:1, > 2 clearly visible; lower is better)",
                   False, _butteraugli.butteraugli, _butteraugli.unavailable_reason, min_side=_butteraugli.MIN_SIDE, slow=True,
                   identical=0.0),
        MetricSpec("butteraugli_3norm", "Butteraugli 3-norm (libjxl; lower is better)", False, _butteraugli.butteraugli_3norm,
                   _butteraugli.unavailable_reason, min_side=_butteraugli.MIN_SIDE, slow=True, identical=0.0),
    )
}

DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "ssimulacra2")


def get_metric(metric_id: str) -> MetricSpec:
    try:
        return METRICS[metric_id]
    except KeyError:
        raise UnknownNameError(f"unknown metric {metric_id!r} (known: {', '.join(METRICS)})") from None


def compute(metric_id: str, ref: np.ndarray, test: np.ndarray) -> float | None:
    """One metric value, or None where undefined or unavailable here."""
    return _guarded(get_metric(metric_id), ref, test, None)


def _guarded(spec: MetricSpec, ref: np.ndarray, test: np.ndarray, fn) -> float | None:
    if spec.unavailable():
        return None
    if ref.shape != test.shape:
        raise ValueError(f"shape mismatch {ref.shape} vs {test.shape}")
    if min(ref.shape[:2]) < spec.min_side:
        return None
    if spec.identical is not None and np.array_equal(ref, test):  # a lossless row: its value is known exactly
        return spec.identical
    try:
        value = fn(test) if fn is not None else spec.fn(ref, test)
    except WeightsError as exc:  # e.g. the LPIPS trunk could not be fetched: the metric is unavailable, not the request
        log.warning("%s unavailable: %s", spec.id, exc)
        return None
    return None if value is None or not math.isfinite(value) else float(value)


class Scorer:
    """Metrics of many images against one reference (a comparison's codecs): what a metric can prepare per
    reference (LPIPS: the reference's features) is prepared once, on first use. Thread-safe; values equal
    :func:`compute`'s."""

    def __init__(self, ref: np.ndarray):
        self.ref = ref
        self._prepared: dict[str, Callable[[np.ndarray], float | None]] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}  # one per metric: LPIPS's preparation never holds up another's

    def _fn(self, spec: MetricSpec, warm: bool = False):
        if spec.prepare is None or min(self.ref.shape[:2]) < spec.min_side:
            return None
        with self._lock:
            lock = self._locks.setdefault(spec.id, threading.Lock())
        with lock:
            if spec.id not in self._prepared:
                self._prepared[spec.id] = spec.prepare(self.ref)
            fn = self._prepared[spec.id]
            if warm and hasattr(fn, "warm"):  # made now, not at its first use (a comparison's LPIPS waits for it)
                fn.warm()
            return fn

    def prepare(self, metric_ids) -> list[str]:
        """Prepare now what ``metric_ids`` prepare per reference (where they do and are available here), what is
        lazy included (LPIPS's features); returns the metrics prepared. The values computed afterwards are the
        same. (A comparison leaves LPIPS lazy: its reference bands then alternate with the codecs', and its peak
        memory at 10 MP stays 0.1 GB lower than with every reference band made first.)"""
        done = []
        for m in metric_ids:
            spec = get_metric(m)
            if spec.prepare is None or spec.unavailable():
                continue
            try:
                if self._fn(spec, warm=True) is not None:
                    done.append(m)
            except WeightsError as exc:
                log.warning("%s unavailable: %s", spec.id, exc)
        return done

    def compute(self, metric_id: str, test: np.ndarray) -> float | None:
        spec = get_metric(metric_id)
        if spec.unavailable():
            return None
        try:
            fn = self._fn(spec)
        except WeightsError as exc:
            log.warning("%s unavailable: %s", spec.id, exc)
            return None
        return _guarded(spec, self.ref, test, fn)


__all__ = ["METRICS", "DEFAULT_METRICS", "MetricSpec", "Scorer", "compute", "get_metric", "psnr", "psnr_y", "ssim", "ms_ssim", "ssim_map"]
