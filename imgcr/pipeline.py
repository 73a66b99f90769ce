"""Compare codecs on one image: encode (or meet a target), decode, measure; cached.

This is the one backend the UI, the CLI and the benchmarks call. :func:`compare_iter` yields the
results as they land: codecs run concurrently on the machine's cores (threads: the codec libraries,
OpenCV and torch release the GIL), each codec's row comes with its fast metrics (PSNR, SSIM) as soon as
it is decoded, and the slow ones (MS-SSIM, LPIPS) fill in after every row is there. :func:`compare`
returns the final list; the numbers are the same whichever way (tested).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from imgcr import codec_run, config, metrics
from imgcr.cache import ResultCache, default_cache
from imgcr.codec_run import CodecResult, CompareSettings
from imgcr.codecs import DEFAULT_CODECS, get_codec
from imgcr.images import LoadedImage
from imgcr.metrics import kept

Progress = Callable[[float, str], None]
__all__ = ["CodecResult", "CompareSettings", "compare", "compare_iter"]


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
    last = deque(compare_iter(image, codecs, settings, cache, progress, **fields), maxlen=1)
    return [r for r in (last[0] if last else []) if r is not None]


def compare_iter(
    image: LoadedImage,
    codecs: Sequence[str] = DEFAULT_CODECS,
    settings: CompareSettings | None = None,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    **fields: Any,
) -> Iterator[list[CodecResult | None]]:
    """:func:`compare`, yielding the results in codec order each time one lands (None: not there yet; a
    result whose ``pending`` names metrics has its slow metrics still to come). ``workers`` (a field, default
    ``IMGCR_COMPARE_WORKERS`` or the machine's cores) is how many codecs run at once."""
    workers = fields.pop("workers", None) or config.compare_workers()
    settings = settings if settings is not None else CompareSettings.of(**fields)
    for m in settings.metric_ids:
        metrics.get_metric(m)
    cache = cache if cache is not None else default_cache()
    codecs = list(dict.fromkeys(codecs))
    for cid in (*codecs, *settings.options):
        get_codec(cid, require_available=False)  # unknown ids fail before any work, never ignored
    run = codec_run.Run(image, settings, cache, kept.scorer(image))  # prepared on upload, kept for re-runs
    results: list[CodecResult | None] = [None] * len(codecs)
    steps, total = 0, 2 * len(codecs)
    if progress:
        progress(0.0, "encoding")
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="imgcr-compare") as pool:
        futures: dict[Future, int] = {pool.submit(run.first, cid): i for i, cid in enumerate(codecs)}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                i = futures.pop(fut)
                result, later = fut.result()
                results[i] = result
                steps += 1 if later is not None else 2
                if later is not None:  # its slow metrics queue behind every codec's first step
                    futures[pool.submit(later)] = i
                if progress and steps < total:
                    progress(steps / total, f"{result.codec}: {'measuring ' + ', '.join(result.pending) if result.pending else 'done'}")
            yield list(results)
    if progress:
        progress(1.0, "done")
