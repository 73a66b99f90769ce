"""How much does imgcr's app path cost on top of the raw library calls it wraps?

For each default codec at quality 75 on a ~2K photo, this times:
  raw       the library calls themselves (Pillow save/open, imagecodecs encode/decode)
  codec     imgcr's codec classes (option resolution, checks, conversion to RGB arrays)
  pipeline  imgcr.pipeline.compare() without metrics and without cache, which is what the
            app and CLI run per codec (encode, decode, shape check, record keeping)
and prints the overhead of each against raw encode + decode. Medians of --runs runs.

Usage: python benchmarks/overhead.py [--image PATH] [--runs 7] [--write docs/benchmarks.md]
The default image is Debian's mate-backgrounds LadyBird.jpg (GPL-2+), downscaled 2560x1600 ->
2048x1280 with Lanczos to remove its JPEG blocking (apt-get install mate-backgrounds).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

from imgcr import __version__  # noqa: E402
from imgcr.cache import ResultCache  # noqa: E402
from imgcr.codecs import DEFAULT_CODECS, get_codec  # noqa: E402
from imgcr.images import from_array, load_image  # noqa: E402
from imgcr.pipeline import compare  # noqa: E402
from imgcr.timing import timed  # noqa: E402

DEFAULT_IMAGE = Path("/usr/share/backgrounds/mate/nature/LadyBird.jpg")


def raw_calls(codec_id: str, settings: dict):
    """The bare library calls each codec wraps, with the same settings."""
    import imagecodecs
    import pillow_avif  # noqa: F401  (the same AVIF plugin the codec uses)

    def pil(fmt, **kw):
        def enc(x):
            buf = io.BytesIO()
            Image.fromarray(x).save(buf, format=fmt, **kw)
            return buf.getvalue()

        def dec(b):
            return np.asarray(Image.open(io.BytesIO(b)).convert("RGB"))

        return enc, dec

    s = settings
    if codec_id == "jpeg":
        return pil("JPEG", quality=s["quality"], subsampling=2, progressive=False, optimize=True)
    if codec_id == "png":
        return pil("PNG", compress_level=s["compress_level"])
    if codec_id == "webp":
        return pil("WEBP", quality=s["quality"], method=s["method"], lossless=False, exact=False)
    if codec_id == "avif":
        return pil("AVIF", quality=s["quality"], speed=s["speed"], subsampling=s["subsampling"], codec="aom")
    if codec_id == "jpeg2000":
        return (lambda x: imagecodecs.jpeg2k_encode(x, level=s["psnr"], reversible=False, mct=True, codecformat="J2K"),
                imagecodecs.jpeg2k_decode)
    if codec_id == "jpegxl":
        return (lambda x: imagecodecs.jpegxl_encode(x, level=s["quality"], lossless=False, effort=s["effort"]),
                imagecodecs.jpegxl_decode)
    raise KeyError(codec_id)


def median_ms(fn, runs: int) -> float:
    return timed(fn, repeats=runs, budget_s=float("inf"))[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    loaded = load_image(args.image)
    if loaded.width > 2048:
        w = 2048
        h = round(loaded.height * w / loaded.width)
        loaded = from_array(np.asarray(Image.fromarray(loaded.pixels).resize((w, h), Image.LANCZOS)), args.image.name)
    x = loaded.pixels
    _ = loaded.digest  # hashed once per loaded image, as in the app
    rows = []
    for cid in DEFAULT_CODECS:
        codec = get_codec(cid)
        settings = codec.resolve(75)
        enc, dec = raw_calls(cid, settings)
        data = enc(x)
        assert codec.encode(x, settings) == data or cid in ("avif",), f"{cid}: wrapper bytes differ from raw"
        raw_enc = median_ms(lambda: enc(x), args.runs)
        raw_dec = median_ms(lambda: dec(data), args.runs)
        imgcr_enc = median_ms(lambda: codec.encode(x, settings), args.runs)
        imgcr_dec = median_ms(lambda: codec.decode(data), args.runs)
        pipe = median_ms(lambda: compare(loaded, [cid], metric_ids=(), repeats=1, cache=ResultCache(None)), args.runs)
        raw = raw_enc + raw_dec
        rows.append((cid, len(data), raw_enc, raw_dec, imgcr_enc, imgcr_dec, pipe,
                     100 * (imgcr_enc + imgcr_dec - raw) / raw, 100 * (pipe - raw) / raw))
    head = ("| codec | bytes | raw enc ms | raw dec ms | imgcr enc ms | imgcr dec ms | pipeline ms "
            "| codec overhead | pipeline overhead |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head] + [
        f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:+.1f}% | {r[8]:+.1f}% |"
        for r in rows
    ]
    info = (f"imgcr {__version__}; image {args.image.name} at {loaded.width}x{loaded.height}; median of {args.runs} runs; "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    table = "\n".join(lines)
    print(info)
    print(table)
    if args.write:
        write_block(args.write, "overhead", info, table)

if __name__ == "__main__":
    main()
