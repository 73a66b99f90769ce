"""Degrade (optionally), restore with one or several models, measure against the original; cached.

The one backend the Restore tab, ``python -m imgcr restore`` and the compress-then-restore
codecs call.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from imgcr import metrics, weights
from imgcr.cache import Entry, ResultCache, default_cache, make_key
from imgcr.degrade import chain_label, degrade, downscale_factor, parse_chain
from imgcr.errors import ImgcrError, first_line
from imgcr.images import LoadedImage, pixels_digest
from imgcr.models import get_model
from imgcr.models.run import restore
from imgcr.numbers import rounded

log = logging.getLogger(__name__)

DEFAULT_METRICS = ("psnr", "ssim", "lpips")


@dataclass
class ModelRun:
    model: str
    label: str
    pixels: np.ndarray | None = None
    seconds: float | None = None
    device: str | None = None
    notes: tuple[str, ...] = ()
    metrics: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "label": self.label, "seconds": rounded(self.seconds), "device": self.device,
                "notes": list(self.notes), "error": self.error, "cached": self.cached,
                "restored": {m: rounded(v) for m, v in self.metrics.items()},
                "shape": None if self.pixels is None else list(self.pixels.shape)}


@dataclass
class RestoreReport:
    reference: np.ndarray | None
    degraded: np.ndarray
    chain: str
    seed: int
    degraded_metrics: dict[str, float | None]
    runs: list[ModelRun]
    notes: tuple[str, ...] = ()
    baseline_label: str = ""  # what Δ columns are measured against: the degraded image, or its bicubic upscale (SR)
    baseline_metrics: dict[str, float | None] = field(default_factory=dict)


def measure(reference: np.ndarray | None, img: np.ndarray, metric_ids: Sequence[str]) -> dict[str, float | None]:
    """Metrics of ``img`` against ``reference``; None where undefined or the sizes differ."""
    if reference is None or img.shape != reference.shape:
        return {m: None for m in metric_ids}
    return {m: metrics.compute(m, reference, img) for m in metric_ids}


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def run_restore(
    image: LoadedImage,
    model_ids: Sequence[str],
    chain: str | None = None,
    seed: int = 0,
    sigma: float | None = None,
    scale: int | None = None,
    metric_ids: Sequence[str] = DEFAULT_METRICS,
    cache: ResultCache | None = None,
    progress: Callable[[float, str], None] | None = None,
    ensemble: bool = False,
) -> RestoreReport:
    """Degrade ``image`` by ``chain`` (or take it as already degraded), restore with each model.

    Args:
        chain: e.g. ``"jpeg:10"``, ``"noise:25,down:2"``; None/"none": the image is the degraded input
            and there is no reference to measure against.
        sigma: noise level for models that take one; defaults to the chain's noise, else 25.
        scale: SR factor; defaults to the chain's downscale factor, else the model's own.
        ensemble: x8 self-ensemble (the mean over the 8 flips/rotations; 8x the time).
    """
    for m in metric_ids:
        metrics.get_metric(m)
    specs = [get_model(mid) for mid in model_ids]
    if not specs:
        raise ImgcrError("choose at least one model")
    steps = parse_chain(chain)
    cache = cache if cache is not None else default_cache()
    notes: list[str] = []
    if steps:
        factor = downscale_factor(steps)
        ref = image.pixels
        if factor > 1:
            h, w = ref.shape[:2]
            ref = np.ascontiguousarray(ref[: h - h % factor, : w - w % factor])
            if ref.shape != image.pixels.shape:
                notes.append(f"reference cropped to {ref.shape[1]}x{ref.shape[0]} (a multiple of {factor})")
        degraded = degrade(image.pixels, steps, seed)
        reference = ref
    else:
        factor, degraded, reference = 1, image.pixels, None
        notes.append("no degradation applied: the image is taken as degraded; there is no reference to score against")
    noise = [s.value for s in steps if s.kind == "noise"]
    sigma = sigma if sigma is not None else (noise[0] if noise else None)
    scale = scale if scale is not None else (factor if factor > 1 else None)
    degraded_metrics = measure(reference, degraded, metric_ids)
    baseline_label, baseline_metrics = "degraded", degraded_metrics
    if reference is not None and degraded.shape != reference.shape:
        # a smaller degraded image has no metrics of its own: SR gains are measured against its bicubic upscale
        from imgcr.models import classical

        up = classical.resize(degraded, (reference.shape[1], reference.shape[0]), "bicubic")
        baseline_label, baseline_metrics = f"bicubic upscale x{factor}", measure(reference, up, metric_ids)
        notes.append(f"the degraded image is {factor}x smaller than the original: gains (Δ) are measured against "
                     "its bicubic upscale")
    runs = []
    digest = pixels_digest(degraded)
    for i, spec in enumerate(specs):
        share = (i / len(specs), 1 / len(specs))  # this model's slice of the bar

        def report(fraction: float, text: str, share=share) -> None:
            if progress:
                progress(share[0] + share[1] * min(max(fraction, 0.0), 1.0), text)

        report(0.0, spec.id)
        run = ModelRun(spec.id, spec.label)
        try:
            key = make_key("restore", 1, digest, spec.id, spec.weights.sha256 if spec.weights else None, sigma, scale,
                           *(("x8",) if ensemble else ()))
            entry = cache.get(key)
            if entry is None:
                sid = spec.id

                def fetching(done: int, total: int, sid: str = sid) -> None:
                    size = f" of {total / 1e6:.1f} MB" if total else " MB"
                    report(0.0, f"{sid}: downloading {done / 1e6:.1f}{size}")

                def running(fraction: float, sid: str = sid) -> None:
                    report(fraction, f"{sid}: {100 * fraction:.0f}%")

                if spec.weights is not None and weights.find(spec.weights) is None:  # fetched on first use, if allowed
                    weights.require(spec.weights, progress=fetching)
                result = restore(degraded, spec, sigma=sigma, scale=scale, progress=running, ensemble=ensemble)
                png = _png(result.pixels)  # lossless: the cache's disk layer keeps the exact pixels
                entry = Entry({"seconds": result.seconds, "device": result.device, "notes": list(result.notes),
                               "bytes": len(png)}, png, result.pixels)
                cache.put(key, entry)
            else:
                run.cached = True
                if entry.decoded is None:  # read from disk: decode once, keep the pixels in memory
                    entry = entry.with_decoded(np.asarray(Image.open(io.BytesIO(entry.data)).convert("RGB")))
                    cache.put(key, entry, disk=False)
            pixels = entry.decoded
            assert pixels is not None  # a fresh entry has its pixels; one from disk was just decoded
            run.pixels = pixels
            run.seconds, run.device = entry.record["seconds"], entry.record["device"]
            run.notes = tuple(entry.record["notes"])
            run.metrics = measure(reference, pixels, metric_ids)
            if reference is not None and pixels.shape != reference.shape:
                run.notes += (f"output {pixels.shape[1]}x{pixels.shape[0]} differs from the original's size",)
        except ImgcrError as exc:
            run.error = str(exc)
        except Exception as exc:  # a model that crashes costs its own row, never the others' or the request
            run.error = f"{spec.id} failed: {type(exc).__name__}: {first_line(exc) if str(exc).strip() else ''}"
            log.warning("restore: %s", run.error)
        runs.append(run)
    if progress:
        progress(1.0, "done")
    return RestoreReport(reference, degraded, chain_label(steps), seed, degraded_metrics, runs, tuple(notes),
                         baseline_label, baseline_metrics)
