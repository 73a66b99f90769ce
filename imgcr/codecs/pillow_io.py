"""Pillow save/open helpers shared by the Pillow-backed codecs."""

from __future__ import annotations

import io

import numpy as np
import PIL
from PIL import Image


def save(pixels: np.ndarray, fmt: str, gray: bool = False, **params) -> bytes:
    """``pixels`` (RGB) in ``fmt``; ``gray``: as a one-channel image (the caller checked R = G = B)."""
    buf = io.BytesIO()
    im = Image.fromarray(np.ascontiguousarray(pixels[..., 0]), "L") if gray else Image.fromarray(pixels, "RGB")
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def open_rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return np.asarray(im.convert("RGB"))


def pillow_version() -> str:
    return f"Pillow {PIL.__version__}"
