"""Compare codecs on one image: encode (or meet a target), decode, measure; cached.

This is the one backend function the UI, the CLI and the benchmarks call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import __version__, metrics
from imgcr.cache import Entry, ResultCache, default_cache, make_key
from imgcr.codecs import DEFAULT_CODECS, get_codec
from imgcr.errors import CodecError, CodecUnavailableError
from imgcr.images import LoadedImage
from imgcr.numbers import rounded
from imgcr.search import Target, search
from imgcr.timing import timed

DEFAULT_QUALITY = 75
Progress = Callable[[float, str], None]


@dataclass
class CodecResult:
    """One codec's outcome on one image. ``data`` is the real encoded file."""

    codec: str
    label: str
    available: bool = True
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    library: str = ""
    extension: str = ""
    lossless: bool = False
    data: bytes | None = None
    decoded: np.ndarray | None = None
    bytes: int | None = None
    bpp: float | None = None
    ratio: float | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    encode_ms: float | None = None
    decode_ms: float | None = None
    timing_runs: int = 0
    target: dict[str, Any] | None = None
    cached: bool = False
    file: str | None = None

    @property
    def ok(self) -> bool:
        return self.available and self.error is None and self.data is not None

    def to_json(self) -> dict[str, Any]:
        out = {
            "codec": self.codec,
            "label": self.label,
            "available": self.available,
            "error": self.error,
            "params": self.params,
            "library": self.library,
            "lossless": self.lossless,
            "bytes": self.bytes,
            "bpp": rounded(self.bpp, 5),
            "ratio": rounded(self.ratio, 4),
        }
        for m in metrics.METRICS:
            out[m] = rounded(self.metrics.get(m), 6)
        out.update(
            encode_ms=rounded(self.encode_ms, 3),
            decode_ms=rounded(self.decode_ms, 3),
            timing_runs=self.timing_runs,
            target=self.target,
            cached=self.cached,
            file=self.file,
        )
        return out

    def write(self, folder: Path, stem: str) -> Path:
        """Write the real encoded bytes as ``<stem>_<codec><ext>`` and remember the path."""
        if self.data is None:
            raise CodecError(f"{self.codec}: nothing to write")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stem}_{self.codec}{self.extension}"
        path.write_bytes(self.data)
        self.file = str(path)
        return path


@dataclass(frozen=True)
class CompareSettings:
    """What a comparison measures.

    Attributes:
        quality: the common 0-100 scale (default 75); ignored by lossless settings.
        target: equal-size or equal-quality mode; the codec's knob is searched.
        options: per-codec option overrides, e.g. ``{"jpeg": {"subsampling": "4:4:4"}}``.
        metric_ids: metrics to compute against the original.
        repeats: encode/decode timing runs (median reported).
    """

    quality: float | None = None
    target: Target | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    metric_ids: tuple[str, ...] = metrics.DEFAULT_METRICS
    repeats: int = 3

    @classmethod
    def of(cls, quality: float | None = None, target: Target | None = None,
           options: dict[str, dict[str, Any]] | None = None, metric_ids: Sequence[str] = metrics.DEFAULT_METRICS,
           repeats: int = 3) -> CompareSettings:
        return cls(quality, target, dict(options or {}), tuple(metric_ids), repeats)


def compare(
    image: LoadedImage,
    codecs: Sequence[str] = DEFAULT_CODECS,
    settings: CompareSettings | None = None,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    **fields: Any,
) -> list[CodecResult]:
    """Encode ``image`` with each codec (ids, in display order) and measure the results.

    ``settings`` say what to measure; alternatively give its fields by name (``quality=60``,
    ``target=Target("bpp", 0.5)``, ``metric_ids=("psnr",)``...). Returns one CodecResult per codec;
    failures and unavailable codecs carry their reason.
    """
    settings = settings if settings is not None else CompareSettings.of(**fields)
    for m in settings.metric_ids:
        metrics.get_metric(m)
    cache = cache if cache is not None else default_cache()
    codecs = list(dict.fromkeys(codecs))
    for cid in (*codecs, *settings.options):
        get_codec(cid, require_available=False)  # unknown ids fail before any work, never ignored
    results = []
    for i, cid in enumerate(codecs):
        if progress:
            progress(i / max(1, len(codecs)), f"{cid}: encoding")
        results.append(_one(image, cid, settings, cache))
    if progress:
        progress(1.0, "done")
    return results


def _one(image: LoadedImage, cid: str, how: CompareSettings, cache: ResultCache) -> CodecResult:
    quality, target, metric_ids = how.quality, how.target, how.metric_ids
    codec = get_codec(cid, require_available=False)
    result = CodecResult(cid, codec.label, extension=codec.extension)
    reason = codec.unavailable_reason()
    if reason:
        result.available, result.error, result.library = False, reason, codec.library
        return result
    result.library = codec.library_version()
    settings = codec.resolve(DEFAULT_QUALITY if quality is None else quality, how.options.get(cid, {}))
    searching = target is not None and codec.searchable(settings)
    key = make_key(
        "compare", 1, image.digest, cid, result.library, settings, target.__dict__ if searching else None
    )
    try:
        entry = cache.get(key)
        if entry is None:
            entry = _encode(codec, image.pixels, settings, target if searching else None, how.repeats)
            cache.put(key, entry)
        else:
            result.cached = True
        if entry.decoded is None:  # entries are immutable: a new one with the pixels replaces it in memory
            entry = entry.with_decoded(codec.decode(entry.data))
            cache.put(key, entry, disk=False)
        decoded = entry.decoded
        assert decoded is not None  # just decoded when it was missing
        missing = [m for m in metric_ids if _needs(entry.metrics, m)]
        found = {}
        for m in missing:
            value = metrics.compute(m, image.pixels, decoded)
            if value is not None or not metrics.get_metric(m).unavailable():
                found[m] = value  # a null stored only when undefined, never because unavailable here
        if found:
            entry = entry.with_metrics(found)
            cache.put(key, entry)
    except (CodecError, CodecUnavailableError) as exc:
        result.error = str(exc)
        return result
    rec = entry.record
    n_pixels = image.width * image.height
    result.params = rec["params"]
    result.lossless = rec["lossless"]
    result.data, result.decoded = entry.data, entry.decoded
    result.bytes = len(entry.data)
    result.bpp = result.bytes * 8 / n_pixels
    result.ratio = n_pixels * 3 / result.bytes
    result.metrics = {m: entry.metrics.get(m) for m in metric_ids}
    result.encode_ms, result.decode_ms, result.timing_runs = rec["encode_ms"], rec["decode_ms"], rec["timing_runs"]
    result.target = rec.get("target")
    if target is not None and not searching:
        result.target = {"kind": target.kind, "target": target.value, "met": None,
                         "note": "lossless: target not applicable" if codec.is_lossless(settings) else "no knob to search"}
    return result


def _needs(stored: Mapping[str, Any], metric_id: str) -> bool:
    """Compute ``metric_id`` unless the entry holds a value, or a null for an available (so undefined) metric."""
    if metric_id not in stored:
        return True
    return stored[metric_id] is None and not metrics.get_metric(metric_id).unavailable()


def _encode(codec, pixels, settings, target, repeats) -> Entry:
    codec.prepare()  # model loading is not decode time
    report = None
    if target is not None:
        measure = metrics.METRICS[target.kind].fn if target.kind in ("psnr", "ssim") else None
        settings, _, report = search(codec, pixels, settings, target, measure)
    data, enc_ms, runs = timed(lambda: codec.encode(pixels, settings), repeats)
    decoded, dec_ms, _ = timed(lambda: codec.decode(data), repeats)
    if decoded.shape != pixels.shape:
        raise CodecError(f"{codec.id} decoded {decoded.shape}, expected {pixels.shape}")
    record = {
        "params": codec.effective(settings),
        "lossless": codec.is_lossless(settings),
        "bytes": len(data),
        "encode_ms": enc_ms,
        "decode_ms": dec_ms,
        "timing_runs": runs,
        "target": report.to_json() if report else None,
        "imgcr": __version__,
    }
    return Entry(record, data, decoded)
