"""Published rate-distortion points, drawn beside imgcr's own curves (never mixed with its measurements).

CompressAI's pretrained Ballé models on Kodak24 (RGB PSNR, mean over the 24 images, real
bitstreams, CPU inference), from its repository's ``results/image/kodak/*_mse_cpu.json``. Their
networks were trained for millions of steps on a GPU; imgcr's learned codecs train for a couple of
hours on 2 CPU cores, so these curves show where the same designs end up, not a like-for-like race.
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
}


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
