"""A file encoded elsewhere joins a comparison: measured like imgcr's own codecs, its bytes kept as uploaded.

A user who made a file with another encoder (another JPEG library, an online tool, a camera, ``cjxl`` at some
setting) uploads it beside the original. imgcr decodes it with the decoder it reports its own files with when
it knows the format (JPEG, PNG, JPEG 2000, WebP, AVIF, JPEG XL, HEIF, JPEG XR, QOI), else with Pillow (BMP,
TIFF, GIF...); its size is the uploaded file's length, so bpp and ratio are the real ones; every metric is
computed against the original like the rest. It must have the original's size.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imgcr.codec_run import CodecResult
from imgcr.errors import CodecError, ImgcrError, first_line
from imgcr.images import LoadedImage, load_image
from imgcr.metrics import kept

CODEC_ID = "elsewhere"


def codec_id(path: Path) -> str:
    """The row's id: ``elsewhere-<file stem>`` (safe in a file name; a written copy is ``<image>_<id><ext>``)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.")[:40]
    return f"{CODEC_ID}-{stem}" if stem else CODEC_ID


def decode(data: bytes, name: str) -> tuple[np.ndarray, str, float]:
    """(uint8 RGB pixels, what decoded them, the decode's milliseconds) for a file of any format imgcr reads."""
    from imgcr.codecs import REGISTRY
    from imgcr.codecs.sniff import codec_for_bytes

    try:
        codec = REGISTRY[codec_for_bytes(data)]
    except (CodecError, KeyError):
        start = time.perf_counter()
        pixels = load_image(data, name).pixels
        return pixels, "Pillow", (time.perf_counter() - start) * 1000
    if not codec.available:
        raise ImgcrError(f"{name}: a {codec.label} file, but its decoder is unavailable here ({codec.unavailable_reason()})")
    try:
        start = time.perf_counter()
        pixels = codec.decode(data)
        ms = (time.perf_counter() - start) * 1000
        return pixels, f"{codec.label} decoder ({codec.library_version()})", ms
    except CodecError as exc:
        raise ImgcrError(f"{name}: could not decode it as {codec.label} ({first_line(exc)})") from None


def result(image: LoadedImage, path: str | Path, metric_ids: Sequence[str]) -> CodecResult:
    """The row a file encoded elsewhere adds to a comparison of ``image``."""
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise ImgcrError(f"{path.name}: the file is empty")
    pixels, decoder, decode_ms = decode(data, path.name)
    if pixels.shape != image.pixels.shape:
        raise ImgcrError(f"{path.name} is {pixels.shape[1]}x{pixels.shape[0]}, the original {image.width}x{image.height}: "
                         "a file encoded elsewhere must have the original's size")
    h, w = pixels.shape[:2]
    scorer = kept.scorer(image)  # the comparison's own: the reference prepared once for both
    measured = {m: scorer.compute(m, pixels) for m in metric_ids}
    return CodecResult(
        codec=codec_id(path), label=f"Uploaded: {path.name}", params={"file": path.name},
        library=f"decoded by {decoder}", extension=path.suffix.lower(), data=data, decoded=pixels,
        lossless=bool(np.array_equal(pixels, image.pixels)), bytes=len(data), bpp=len(data) * 8 / (w * h),
        ratio=w * h * 3 / len(data), metrics=measured, decode_ms=decode_ms, timing_runs=1)
