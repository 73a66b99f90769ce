"""Classical baselines: bicubic / Lanczos upscaling (Pillow) and non-local means (scikit-image)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from imgcr.errors import ImgcrError

_FILTERS = {"bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


def resize(pixels: np.ndarray, size: tuple[int, int], method: str = "bicubic") -> np.ndarray:
    """uint8 RGB resized to ``size`` = (width, height) with Pillow's filter (antialiased when shrinking)."""
    return np.asarray(Image.fromarray(pixels).resize(size, _FILTERS[method]))


def upscale(pixels: np.ndarray, scale: int, method: str) -> np.ndarray:
    if scale < 1:
        raise ImgcrError(f"{method}: scale must be 1 or more")
    h, w = pixels.shape[:2]
    return resize(pixels, (w * scale, h * scale), method)


def nl_means(pixels: np.ndarray, sigma: float) -> np.ndarray:
    """Non-local means with h = 0.8 sigma (scikit-image's recommendation for fast mode)."""
    from skimage.restoration import denoise_nl_means

    x = pixels.astype(np.float64) / 255.0
    s = sigma / 255.0
    out = denoise_nl_means(x, h=0.8 * s, sigma=s, fast_mode=True, patch_size=5, patch_distance=6, channel_axis=-1)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
