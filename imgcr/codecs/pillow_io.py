"""Pillow save/open helpers shared by the Pillow-backed codecs."""

from __future__ import annotations

import io

import numpy as np
import PIL
from PIL import Image


def save(pixels: np.ndarray, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format=fmt, **params)
    return buf.getvalue()


def open_rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return np.asarray(im.convert("RGB"))


def pillow_version() -> str:
    return f"Pillow {PIL.__version__}"
