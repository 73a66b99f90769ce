"""JPEG through jpegli (libjxl's JPEG encoder, via ``pyjpegli``): the same file format, fewer bytes.

The files are ordinary JPEGs (4:2:0); they are decoded with Pillow's libjpeg-turbo,
as a browser shows them, so the gain measured is the encoder's alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imgcr.codecs import pillow_io
from imgcr.codecs.base import Codec, Knob, Option, optional_import


def _jpegli():
    return optional_import("pyjpegli")


class JpegliCodec(Codec):
    id = "jpegli"
    label = "JPEG (jpegli)"
    extension = ".jpg"
    mime = "image/jpeg"
    library = "pyjpegli/jpegli"
    options = (
        Option("quality", 75, "jpegli quality (1-100, libjpeg's scale)", minimum=1, maximum=100),
    )
    knob = Knob("quality", 1, 100)
    quality_doc = "quality 0-100 -> jpegli quality (0 is clamped to 1)"

    def unavailable_reason(self) -> str | None:
        lib = _jpegli()
        return f"pyjpegli is not installed ({lib})" if isinstance(lib, str) else None

    def library_version(self) -> str:
        from importlib.metadata import version

        return f"pyjpegli {version('pyjpegli')}"

    def knob_for_quality(self, quality: float) -> float:
        return max(1.0, quality)

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        h, w = pixels.shape[:2]
        return bytes(_jpegli().encode(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes(), w, h,
                                      int(settings["quality"])))

    def _decode(self, data: bytes):
        return pillow_io.open_rgb(data)
