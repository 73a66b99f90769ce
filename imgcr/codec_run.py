"""One codec on one image: encode (or search a target), decode, measure; cached by content.

:class:`Run` holds what a comparison shares (the image, its settings, the cache, the reference's
:class:`~imgcr.metrics.Scorer`); :meth:`Run.first` does a codec's encode, decode and fast metrics and hands
back the step that computes its slow metrics, so a comparison can show every row before the slow numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import __version__, config, metrics
from imgcr.cache import Entry, ResultCache, make_key
from imgcr.codecs import get_codec
from imgcr.cores import Cores, release_memory
from imgcr.errors import CodecError, CodecUnavailableError
from imgcr.images import LoadedImage
from imgcr.numbers import rounded
from imgcr.search import QUALITY_KINDS, Target, search
from imgcr.timing import timed

DEFAULT_QUALITY = 75


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
    pending: tuple[str, ...] = ()  # metrics still being computed (a streamed comparison fills them in)

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
        repeats: encode/decode timing runs (median reported); an interactive comparison times one run.
    """

    quality: float | None = None
    target: Target | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    metric_ids: tuple[str, ...] = metrics.DEFAULT_METRICS
    repeats: int = 1

    @classmethod
    def of(cls, quality: float | None = None, target: Target | None = None,
           options: dict[str, dict[str, Any]] | None = None, metric_ids: Sequence[str] = metrics.DEFAULT_METRICS,
           repeats: int = 1) -> CompareSettings:
        metric_ids = tuple(metric_ids)
        if target is not None and target.kind in QUALITY_KINDS and target.kind not in metric_ids:
            metric_ids += (target.kind,)  # what the target is met on is shown beside the rest
        return cls(quality, target, dict(options or {}), metric_ids, repeats)


class Run:
    """The shared part of one comparison; its methods run in worker threads."""

    def __init__(self, image: LoadedImage, settings: CompareSettings, cache: ResultCache, scorer: metrics.Scorer):
        self.image, self.settings, self.cache, self.scorer = image, settings, cache, scorer
        self.fast = tuple(m for m in settings.metric_ids if not metrics.get_metric(m).slow)
        # the slow metrics share the cores: LPIPS's network takes them all, MS-SSIM and SSIMULACRA2 one each (two
        # of those at once: their working arrays are a band's, not an image's)
        self._cores = Cores(config.compare_workers())

    def first(self, cid: str) -> tuple[CodecResult, Callable[[], tuple[CodecResult, None]] | None]:
        """Encode, decode and the fast metrics; with the step that adds the slow ones (None: nothing left)."""
        codec = get_codec(cid, require_available=False)
        result = CodecResult(cid, codec.label, extension=codec.extension)
        reason = codec.unavailable_reason()
        if reason:
            result.available, result.error, result.library = False, reason, codec.library
            return result, None
        result.library = codec.library_version()
        how = self.settings
        settings = codec.resolve(DEFAULT_QUALITY if how.quality is None else how.quality, how.options.get(cid, {}))
        searching = how.target is not None and codec.searchable(settings)
        key = make_key("compare", 1, self.image.digest, cid, result.library, settings,
                       how.target.__dict__ if searching and how.target else None)
        try:
            entry = self.cache.get(key)
            if entry is None:
                entry = _encode(codec, self.image.pixels, settings, how.target if searching else None, how.repeats)
                self.cache.put(key, entry)
            else:
                result.cached = True
            if entry.decoded is None:  # entries are immutable: a new one with the pixels replaces it in memory
                entry = entry.with_decoded(codec.decode(entry.data))
                self.cache.put(key, entry, disk=False)
            entry = self._measure(key, entry, self.fast)
        except (CodecError, CodecUnavailableError) as exc:
            result.error = str(exc)
            return result, None
        _fill(result, entry, self.image, how.metric_ids)
        if how.target is not None and not searching:
            result.target = {"kind": how.target.kind, "target": how.target.value, "met": None,
                             "note": "lossless: target not applicable" if codec.is_lossless(settings) else "no knob to search"}
        if not result.pending:
            return result, None

        def rest() -> tuple[CodecResult, None]:
            done = entry
            for m in result.pending:
                with self._cores.take(self._cores.total if metrics.get_metric(m).all_cores else 1):
                    done = self._measure(key, done, (m,))
                release_memory()
            return replace(result, metrics={m: done.metrics.get(m) for m in how.metric_ids}, pending=()), None

        return result, rest

    def _measure(self, key: str, entry: Entry, metric_ids) -> Entry:
        """``entry`` with ``metric_ids`` computed where it lacks them (stored, so a repeat does no work)."""
        decoded = entry.decoded
        assert decoded is not None  # decoded before any metric
        found = {}
        for m in metric_ids:
            if _needs(entry.metrics, m):
                value = self.scorer.compute(m, decoded)
                if value is not None or not metrics.get_metric(m).unavailable():
                    found[m] = value  # a null stored only when undefined, never because unavailable here
        if found:
            entry = entry.with_metrics(found)
            self.cache.put(key, entry)
        return entry


def _fill(result: CodecResult, entry: Entry, image: LoadedImage, metric_ids) -> None:
    rec = entry.record
    n_pixels = image.width * image.height
    result.params, result.lossless = rec["params"], rec["lossless"]
    result.data, result.decoded = entry.data, entry.decoded
    result.bytes = len(entry.data)
    result.bpp = result.bytes * 8 / n_pixels
    result.ratio = n_pixels * 3 / result.bytes
    result.metrics = {m: entry.metrics.get(m) for m in metric_ids}
    result.pending = tuple(m for m in metric_ids if _needs(entry.metrics, m))
    result.encode_ms, result.decode_ms, result.timing_runs = rec["encode_ms"], rec["decode_ms"], rec["timing_runs"]
    result.target = rec.get("target")


def _needs(stored: Mapping[str, Any], metric_id: str) -> bool:
    """Compute ``metric_id`` unless the entry holds it: a value, or a null for an undefined metric (PSNR of a
    lossless file). A metric unavailable here is never stored, so it is computed once it is available."""
    return metric_id not in stored


def _target_metric(kind: str, pixels: np.ndarray):
    """The metric a quality target measures each probe with, prepared once for this reference where it can be."""
    if kind not in QUALITY_KINDS:
        return None
    spec = metrics.METRICS[kind]
    if spec.unavailable():
        raise CodecError(f"a {kind} target needs {spec.id}, which is unavailable here: {spec.unavailable()}")
    if spec.prepare is None or min(pixels.shape[:2]) < spec.min_side:
        return spec.fn
    prepared = spec.prepare(pixels)
    return lambda ref, decoded: prepared(decoded)


def _encode(codec, pixels, settings, target, repeats) -> Entry:
    codec.prepare()  # model loading is not decode time
    report, chosen = None, None
    if target is not None:
        measure = _target_metric(target.kind, pixels)
        settings, chosen, report = search(codec, pixels, settings, target, measure)
    if chosen is not None and chosen.data is not None and chosen.encode_ms is not None and repeats <= 1:
        data, enc_ms, runs = chosen.data, chosen.encode_ms, 1  # the search's own timed encode of this setting
    else:
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
