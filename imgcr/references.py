"""Published rate-distortion points, drawn beside imgcr's own curves (never mixed with its measurements).

CompressAI's six pretrained designs (MSE) on Kodak24 (RGB PSNR, mean over the 24 images, real
bitstreams), from its repository's Kodak results (``compressai-NAME*.json``), and its JPEG anchor
(Pillow, 19 qualities) against which their published BD-rates are computed. Their networks were trained
for millions of steps on a GPU; imgcr's own learned codecs train for a couple of hours on 2 CPU cores, so
these curves show where the same designs end up, not a like-for-like race. With the published weights
fetched, the six run here as codecs (:mod:`imgcr.codecs.zoo`) and their measured curves lie beside these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# name -> (bpp, PSNR dB) points, low rate to high
KODAK_PSNR: dict[str, tuple[tuple[float, float], ...]] = {
    "CompressAI bmshj2018-factorized (published)": (
        (0.1226, 26.91), (0.1885, 28.22), (0.2878, 29.62), (0.4404, 31.28),
        (0.6481, 32.96), (0.9670, 35.38), (1.3512, 37.40), (1.8333, 39.62)),
    "CompressAI bmshj2018-hyperprior (published)": (
        (0.1313, 27.58), (0.2089, 29.20), (0.3199, 30.97), (0.4784, 32.84),
        (0.6687, 34.53), (0.9388, 36.74), (1.2592, 38.58), (1.6602, 40.56)),
    "CompressAI mbt2018-mean (published)": (
        (0.1239, 27.70), (0.1980, 29.36), (0.3072, 31.13), (0.4606, 32.95),
        (0.6617, 34.97), (0.9144, 36.91), (1.2342, 38.84), (1.6191, 40.63)),
    "CompressAI mbt2018 (published)": (
        (0.1105, 28.09), (0.1870, 29.65), (0.2877, 31.36), (0.4324, 33.09),
        (0.6388, 35.09), (0.8854, 36.99), (1.2003, 38.93), (1.5874, 40.64)),
    "CompressAI cheng2020-anchor (published)": (
        (0.1196, 28.58), (0.1838, 29.97), (0.2710, 31.34), (0.4174, 33.39), (0.5945, 35.12), (0.8057, 36.70)),
    "CompressAI cheng2020-attn (published)": (
        (0.1156, 28.43), (0.1745, 29.77), (0.2690, 31.32), (0.4270, 33.36), (0.5953, 34.95), (0.8059, 36.62)),
}

# CompressAI's JPEG anchor on the same images (Pillow 7.1.2, qualities low to high): its published BD-rates' baseline
KODAK_JPEG_ANCHOR: tuple[tuple[float, float], ...] = (
    (0.2212, 23.78), (0.3266, 26.58), (0.4231, 28.04), (0.5084, 29.04), (0.5879, 29.78), (0.6601, 30.38),
    (0.7289, 30.90), (0.7860, 31.31), (0.8497, 31.70), (0.9060, 32.06), (0.9644, 32.40), (1.0372, 32.79),
    (1.1274, 33.23), (1.2398, 33.79), (1.3688, 34.39), (1.5718, 35.24), (1.8588, 36.33), (2.3502, 37.91),
    (3.4013, 40.56))


def published_name(design: str) -> str:
    """The curve name of a published design (``mbt2018`` -> ``CompressAI mbt2018 (published)``)."""
    return f"CompressAI {design} (published)"


KODAK24_NAMES = frozenset(f"kodim{i:02d}.png" for i in range(1, 25))


def is_kodak24(images: list[dict[str, Any]]) -> bool:
    """Whether a bench run covered exactly the 24 Kodak images (by name), so the published means compare."""
    return {Path(str(i.get("name", ""))).name for i in images} == KODAK24_NAMES and len(images) == 24


def kodak_curves(metric: str = "psnr") -> dict[str, list[dict[str, Any]]]:
    """The published Kodak curves as :func:`imgcr.bench.plots.rd_figure` ``extra`` curves (PSNR only)."""
    if metric != "psnr":
        return {}
    return {name: [{"bpp": b, "value": v, "quality": None, "images": 24} for b, v in pts]
            for name, pts in KODAK_PSNR.items()}
