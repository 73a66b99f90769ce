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
from imgcr.errors import ImgcrError, first_line
from imgcr.images import LoadedImage, pixels_digest
from imgcr.models import ModelSpec, get_model
from imgcr.models.cost import COSTS, input_pixels
from imgcr.models.run import restore
from imgcr.numbers import rounded
from imgcr.pairs import Pair, RestoreProtocol, prepare_pair

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
    deltas: dict[str, float | None] = field(default_factory=dict)  # restored minus the report's baseline
    error: str | None = None
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "label": self.label, "seconds": rounded(self.seconds), "device": self.device,
                "notes": list(self.notes), "error": self.error, "cached": self.cached,
                "restored": {m: rounded(v) for m, v in self.metrics.items()},
                "deltas": {m: rounded(v) for m, v in self.deltas.items()},
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
    baseline_label: str = ""  # what deltas are measured against: the degraded image, or its bicubic upscale (SR)
    baseline_metrics: dict[str, float | None] = field(default_factory=dict)
    factor: int = 1  # the chain's downscale factor
    ensemble: bool = False


def measure(reference: np.ndarray | None, img: np.ndarray, metric_ids: Sequence[str]) -> dict[str, float | None]:
    """Metrics of ``img`` against ``reference``; None where undefined or the sizes differ."""
    if reference is None or img.shape != reference.shape:
        return {m: None for m in metric_ids}
    return {m: metrics.compute(m, reference, img) for m in metric_ids}


def deltas(after: dict[str, float | None], before: dict[str, float | None]) -> dict[str, float | None]:
    """``after - before`` per metric (None where either is undefined); for LPIPS negative is better."""
    return {m: None if v is None or before.get(m) is None else v - before[m] for m, v in after.items()}  # type: ignore[operator]


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def run_restore(
    image: LoadedImage,
    model_ids: Sequence[str],
    protocol: RestoreProtocol | str | None = None,
    metric_ids: Sequence[str] = DEFAULT_METRICS,
    cache: ResultCache | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> RestoreReport:
    """Degrade ``image`` under ``protocol`` (or take it as already degraded), restore with each model, score.

    ``protocol`` may be a chain alone (``"jpeg:10"``). A model that fails costs its own row (its ``error``),
    never the others'. Each fresh run also teaches the shared cost model (:data:`imgcr.models.cost.COSTS`).
    """
    for m in metric_ids:
        metrics.get_metric(m)
    specs = [get_model(mid) for mid in model_ids]
    if not specs:
        raise ImgcrError("choose at least one model")
    if not isinstance(protocol, RestoreProtocol):
        protocol = RestoreProtocol(chain=protocol)
    pair = prepare_pair(image.pixels, protocol)
    degraded_metrics = measure(pair.reference, pair.degraded, metric_ids)
    baseline_label, baseline_metrics, notes = _baseline(pair, degraded_metrics, metric_ids)
    cache = cache if cache is not None else default_cache()
    runs = []
    for i, spec in enumerate(specs):
        share = (i / len(specs), 1 / len(specs))  # this model's slice of the bar

        def report(fraction: float, text: str, share=share) -> None:
            if progress:
                progress(share[0] + share[1] * min(max(fraction, 0.0), 1.0), text)

        run = _run_one(spec, pair, protocol, cache, report, metric_ids)
        run.deltas = deltas(run.metrics, baseline_metrics) if run.pixels is not None else {}
        if run.pixels is not None and run.seconds and not run.cached:
            COSTS.learn(spec.id, input_pixels(spec.id, image.width, image.height, pair.factor), run.seconds,
                        protocol.ensemble)
        runs.append(run)
    if progress:
        progress(1.0, "done")
    return RestoreReport(pair.reference, pair.degraded, pair.chain, protocol.seed, degraded_metrics, runs,
                         pair.notes + notes, baseline_label, baseline_metrics, pair.factor, protocol.ensemble)


def _baseline(pair: Pair, degraded_metrics: dict[str, float | None], metric_ids: Sequence[str]):
    """What gains are measured against: the degraded image, or for a smaller (downscaled) one its bicubic upscale."""
    if pair.reference is None or pair.degraded.shape == pair.reference.shape:
        return "degraded", degraded_metrics, ()
    from imgcr.models import classical

    ref = pair.reference
    up = classical.resize(pair.degraded, (ref.shape[1], ref.shape[0]), "bicubic")
    note = (f"the degraded image is {pair.factor}x smaller than the original: gains (Δ) are measured against "
            "its bicubic upscale")
    return f"bicubic upscale x{pair.factor}", measure(ref, up, metric_ids), (note,)


def _run_one(spec: ModelSpec, pair: Pair, protocol: RestoreProtocol, cache: ResultCache,
             report: Callable[[float, str], None], metric_ids: Sequence[str]) -> ModelRun:
    """One model on the pair: cached by (degraded pixels, model, weights, σ, scale, ensemble), then scored."""
    report(0.0, spec.id)
    run = ModelRun(spec.id, spec.label)
    try:
        key = make_key("restore", 1, pixels_digest(pair.degraded), spec.id,
                       spec.weights.sha256 if spec.weights else None, pair.sigma, pair.scale,
                       *(("x8",) if protocol.ensemble else ()))
        entry = cache.get(key)
        if entry is None:
            entry = _restore_fresh(spec, pair, protocol.ensemble, report)
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
        run.metrics = measure(pair.reference, pixels, metric_ids)
        if pair.reference is not None and pixels.shape != pair.reference.shape:
            run.notes += (f"output {pixels.shape[1]}x{pixels.shape[0]} differs from the original's size",)
    except ImgcrError as exc:
        run.error = str(exc)
    except Exception as exc:  # a model that crashes costs its own row, never the others' or the request
        run.error = f"{spec.id} failed: {type(exc).__name__}: {first_line(exc) if str(exc).strip() else ''}"
        log.warning("restore: %s", run.error)
    return run


def _restore_fresh(spec: ModelSpec, pair: Pair, ensemble: bool, report: Callable[[float, str], None]) -> Entry:
    """Fetch the weights if allowed and needed, run the model, keep its exact pixels (lossless PNG on disk)."""

    def fetching(done: int, total: int) -> None:
        size = f" of {total / 1e6:.1f} MB" if total else " MB"
        report(0.0, f"{spec.id}: downloading {done / 1e6:.1f}{size}")

    def running(fraction: float) -> None:
        report(fraction, f"{spec.id}: {100 * fraction:.0f}%")

    if spec.weights is not None and weights.find(spec.weights) is None:  # fetched on first use, if allowed
        weights.require(spec.weights, progress=fetching)
    result = restore(pair.model_input, spec, sigma=pair.sigma, scale=pair.scale, progress=running, ensemble=ensemble)
    png = _png(result.pixels)
    return Entry({"seconds": result.seconds, "device": result.device, "notes": list(result.notes), "bytes": len(png)},
                 png, result.pixels)
